import { createHmac } from 'node:crypto';
import { renderFreeradiusHome } from '../../govroam/freeradius';
import type { RadiusIntent } from '../../govroam/intent';
import { freeradiusString, radsecproxyString, renderNlrsRadsecproxy, renderParticipantRadsecproxy, type SecretResolver } from '../../govroam/render';
import type { RadiusPeer } from '../../govroam/topology';
import type { DeviceIntent } from '../../intent/types';
import type { SecretRef } from '../../model/schema';
import { secretPlaceholder, type Candidate, type CandidateDocument, type SecretUse } from '../contract';

/**
 * The `radius` platform's candidate: radsecproxy (a participant's proxy or an NLRS) or a FreeRADIUS home server, as
 * documents with secrets as placeholders. Pure. Paths on the device are not in the candidate's identity: a document
 * is named by its place under the device root (`etc/radsecproxy.conf`); the content refers to other files through
 * `ROOT_PLACEHOLDER`, which staging replaces with the device root ('' on a real host, a folder per lab device).
 */

export const ROOT_PLACEHOLDER = '@@ggi-root@@';
/** Loopback ports of the Status-Server listeners ggi verifies with (radsecproxy, FreeRADIUS). */
export const HEALTH_PORT = { radsecproxy: 18123, freeradius: 18122 } as const;
/** Secrets computed at staging from real ones (never configured): the health listener's and the CUI hash key. */
export const DERIVED = { health: 'derived/health', cuiKey: 'derived/cui-key' } as const;

/** How a document's secrets are written: radsecproxy %-escapes, a FreeRADIUS quoted string, or the raw value (a key file). */
export type Syntax = 'radsecproxy' | 'freeradius' | 'raw';

export interface RadiusDocument {
  name: string;
  /** Below the device root, without a leading slash. */
  rel: string;
  mode: number;
  syntax: Syntax;
}

export type Daemon = 'radsecproxy' | 'freeradius';

/** Driver-private data in `Candidate.checks`. */
export interface RadiusChecks {
  kind: RadiusIntent['kind'];
  daemon: Daemon;
  documents: RadiusDocument[];
  /** What the derived secrets are derived from. */
  derivedFrom: string;
  healthPort: number;
}

export const TLS_DIR = 'etc/radsecproxy/tls';
export const RADSECPROXY_CONF = 'etc/radsecproxy.conf';
export const RADSECPROXY_LOG = 'var/log/radsecproxy/radsecproxy.log';
export const FREERADIUS_DIR = 'etc/freeradius/3.0';
export const HEALTH_SECRET = 'etc/ggi/radius-health.secret';

/** Secret ids as they appear in plans and the journal. */
function peerSecretId(peer: RadiusPeer): string {
  return `radius/${peer.name}`;
}

function placeholderResolver(uses: Map<string, SecretUse>): SecretResolver {
  return (ref) => {
    const use = [...uses.values()].find((u) => sameRef(u.ref, ref));
    return use ? secretPlaceholder(use.id) : null;
  };
}

function sameRef(a: SecretRef, b: SecretRef): boolean {
  return 'env' in a ? 'env' in b && a.env === b.env : 'file' in b && a.file === b.file;
}

function addPeerSecrets(uses: Map<string, SecretUse>, peers: readonly RadiusPeer[]): void {
  for (const p of peers) {
    if (p.transport !== 'udp' || !p.secret) continue;
    // Peers sharing one reference share one secret id (and one value).
    if (![...uses.values()].some((u) => sameRef(u.ref, p.secret!))) uses.set(peerSecretId(p), { id: peerSecretId(p), ref: p.secret });
  }
}

/** Thrown for an intent the driver cannot render (a device of platform radius without govroam data). */
export class RadiusRenderError extends Error {}

function idsIn(content: string): string[] {
  return [...new Set([...content.matchAll(/@@ggi-secret:([^@]+?)@@/g)].map((m) => m[1]))].filter((id) => !id.startsWith('derived/')).sort();
}

export function renderRadius(intent: Pick<DeviceIntent, 'id'> & { radius?: RadiusIntent }): Candidate {
  const r = intent.radius;
  if (!r) throw new RadiusRenderError(`device ${intent.id} (platform radius) has no govroam part: name it as a participant's device in govroam.yaml`);
  const uses = new Map<string, SecretUse>();
  const docs: Array<{ doc: RadiusDocument; content: string }> = [];
  const health = secretPlaceholder(DERIVED.health);
  let daemon: Daemon;
  let derivedFrom: string;
  if (r.kind === 'home') {
    const p = r.plan.participants.find((x) => x.slug === r.name);
    const server = p?.homeServers.find((h) => h.name === r.server);
    if (!p || !server) throw new RadiusRenderError(`device ${intent.id}: no home server ${r.server ?? '?'} of ${r.name} in govroam.yaml`);
    if (!server.secret) throw new RadiusRenderError(`device ${intent.id}: ${server.what} uses RADIUS/UDP without a secret reference`);
    addPeerSecrets(uses, [server]);
    derivedFrom = [...uses.values()].find((u) => sameRef(u.ref, server.secret!))!.id;
    const fr = renderFreeradiusHome(p, server, placeholderResolver(uses), { health: { port: HEALTH_PORT.freeradius, secret: health }, cuiKey: secretPlaceholder(DERIVED.cuiKey) });
    for (const f of fr.files) docs.push({ doc: { name: `freeradius/${f.path}`, rel: `${FREERADIUS_DIR}/${f.path}`, mode: f.mode, syntax: 'freeradius' }, content: f.content });
    daemon = 'freeradius';
  } else {
    const tlsIds = { ca: 'radius/tls-ca', cert: 'radius/tls-cert', key: 'radius/tls-key' } as const;
    const opts = {
      tls: { caFile: `${ROOT_PLACEHOLDER}/${TLS_DIR}/ca.pem`, certFile: `${ROOT_PLACEHOLDER}/${TLS_DIR}/cert.pem`, keyFile: `${ROOT_PLACEHOLDER}/${TLS_DIR}/key.pem` },
      logDestination: `${ROOT_PLACEHOLDER}/${RADSECPROXY_LOG}`,
      health: { port: HEALTH_PORT.radsecproxy, secret: health },
      ...(r.logLevel !== undefined ? { logLevel: r.logLevel } : {}),
    };
    let conf: string;
    if (r.kind === 'nlrs') {
      if (!r.address) throw new RadiusRenderError(`device ${intent.id}: the national proxy has no address`);
      conf = renderNlrsRadsecproxy(r.plan, { ...opts, listen: r.address });
    } else {
      const p = r.plan.participants.find((x) => x.slug === r.name);
      if (!p) throw new RadiusRenderError(`device ${intent.id}: participant ${r.name} is not in govroam.yaml`);
      addPeerSecrets(uses, [...p.nas, ...p.homeServers, ...r.plan.nlrs]);
      conf = renderParticipantRadsecproxy(r.plan, p, placeholderResolver(uses), opts);
    }
    docs.push({ doc: { name: 'radsecproxy.conf', rel: RADSECPROXY_CONF, mode: 0o600, syntax: 'radsecproxy' }, content: conf });
    for (const [k, id] of Object.entries(tlsIds) as Array<[keyof typeof tlsIds, string]>) {
      uses.set(id, { id, ref: r.tls[k] });
      docs.push({ doc: { name: `tls/${k}.pem`, rel: `${TLS_DIR}/${k}.pem`, mode: 0o600, syntax: 'raw' }, content: secretPlaceholder(id) });
    }
    daemon = 'radsecproxy';
    derivedFrom = tlsIds.key;
  }
  docs.push({ doc: { name: 'health.secret', rel: HEALTH_SECRET, mode: 0o600, syntax: 'raw' }, content: health });
  docs.sort((a, b) => (a.doc.name < b.doc.name ? -1 : a.doc.name > b.doc.name ? 1 : 0));
  const documents: CandidateDocument[] = docs.map(({ doc, content }) => {
    const ids = idsIn(content);
    return { name: doc.name, format: 'text', content, ...(ids.length ? { secrets: ids } : {}) };
  });
  const checks: RadiusChecks = { kind: r.kind, daemon, documents: docs.map((d) => d.doc), derivedFrom, healthPort: daemon === 'radsecproxy' ? HEALTH_PORT.radsecproxy : HEALTH_PORT.freeradius };
  return { deviceId: intent.id, platform: 'radius', documents, secrets: [...uses.values()].sort((a, b) => (a.id < b.id ? -1 : 1)), checks };
}

/** The derived secrets from the value they are derived from (HMAC-SHA256, so neither reveals the other). */
export function deriveSecrets(source: string): Map<string, string> {
  const d = (label: string) => createHmac('sha256', source).update(`ggi ${label}`).digest('hex').slice(0, 40);
  return new Map([
    [DERIVED.health, d('radius health')],
    [DERIVED.cuiKey, d('govroam cui key')],
  ]);
}

/** A secret value as written in a document of this syntax, or an error message (never containing the value). */
export function encodeSecret(syntax: Syntax, id: string, value: string): { text: string } | { error: string } {
  if (syntax === 'raw') return { text: value };
  if (/[\r\n\0]/.test(value)) return { error: `the secret ${id} contains a line break or NUL` };
  if (syntax === 'radsecproxy') return { text: radsecproxyString(value) };
  if (value.includes('\\')) return { error: `the secret ${id} contains a backslash, which FreeRADIUS's configuration cannot express; choose another secret` };
  return { text: freeradiusString(value).slice(1, -1) };
}
