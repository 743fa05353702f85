import type { Inventory } from '../model/inventory';
import type { SecretRef } from '../model/schema';
import { govroamPlan, type GovroamPlan, type ParticipantPlan, RADIUS_ACCT_PORT, RADIUS_AUTH_PORT, RADSEC_PORT, type RadiusPeer } from './topology';

/** Resolves a secret reference at render time; the value never enters the inventory, logs or findings. */
export type SecretResolver = (ref: SecretRef) => string | null;

export interface RenderedFile {
  /** Relative to the output folder. */
  path: string;
  content: string;
  mode: number;
}

/** A problem that stops rendering (a missing secret); the message names the reference, never a value. */
export class GovroamRenderError extends Error {}

export interface RadsecproxyOptions {
  /** TLS files as they are on the RADIUS servers. */
  tls: { caFile: string; certFile: string; keyFile: string };
  /** radsecproxy's LogDestination URL; radsecproxy opens it even when only checking (-p), so it must be writable. */
  logDestination?: string;
  /** LogLevel 1–5 (default 3: one line per Access-Accept/Reject, which the baseline's logging needs). */
  logLevel?: number;
  /** F-Ticks country code of the visited institution (default NL). */
  fticksCountry?: string;
  /** Bind to this address only (default: every address, `*`). */
  listen?: string;
  /**
   * A Status-Server listener for ggi's own verification on the device (RFC 5997): RADIUS/UDP on 127.0.0.1:port with
   * a client block for 127.0.0.1 only. `secret` is written as given (a secret placeholder when rendering a candidate).
   */
  health?: { port: number; secret: string };
}

export const HEALTH_CLIENT = 'ggi-health';

function listenAt(opts: RadsecproxyOptions, port: number): string {
  return opts.listen ? `${hostLine(opts.listen)}:${port}` : `*:${port}`;
}

/** The loopback listener and client block that let ggi send Status-Server from the device itself. */
function healthLines(opts: RadsecproxyOptions): { listen: string[]; client: string[] } {
  if (!opts.health) return { listen: [], client: [] };
  return {
    listen: [`ListenUDP 127.0.0.1:${opts.health.port}`],
    client: [
      '# ggi sends Status-Server (RFC 5997) here from the device itself to verify a change; loopback only.',
      `client ${HEALTH_CLIENT} {`,
      '    host 127.0.0.1',
      '    type udp',
      `    secret ${radsecproxyString(opts.health.secret)}`,
      '}',
      '',
    ],
  };
}

export const DEFAULT_RADSECPROXY_LOG = '/var/log/radsecproxy/radsecproxy.log';
const FTICKS_PREFIX = 'F-TICKS/govroam/1.0';
/** RADIUS attribute numbers used in rewrite blocks (radsecproxy only takes numbers). */
const ATTR_CUI = 89; // Chargeable-User-Identity, RFC 4372
const ATTR_OPERATOR_NAME = 126; // Operator-Name, RFC 5580

/**
 * radsecproxy writes string values with `%XX` escapes (also inside secrets): escaping everything but a safe set
 * means any secret works, including spaces, quotes and '#', and nothing in it can end the line or start a comment.
 */
export function radsecproxyString(v: string): string {
  return [...Buffer.from(v, 'utf8')].map((b) => (/[A-Za-z0-9._@:/+=-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`)).join('');
}

/**
 * A FreeRADIUS 3 double-quoted string. Its parser (3.2, tried) turns `\"` into `"` but keeps `\\` as two
 * backslashes, so a backslash cannot be written reliably: callers refuse such values (see `freeradiusSecret`).
 */
export function freeradiusString(v: string): string {
  if (v.includes('\\')) throw new GovroamRenderError('a FreeRADIUS string cannot hold a backslash');
  return `"${v.replace(/"/g, '\\"')}"`;
}

/** radsecproxy realm regex for exactly this realm (matched case-insensitively against the whole User-Name). */
export function realmRegex(realm: string): string {
  return `/@${realm.replace(/[.\\^$*+?()[\]{}|/]/g, (c) => `\\${c}`)}$/`;
}

function describeRef(ref: SecretRef): string {
  return 'env' in ref ? `environment variable ${ref.env}` : `file ${ref.file}`;
}

/** Resolves a UDP peer's secret or explains what is missing; RadSec peers need none. */
function secretFor(peer: RadiusPeer, resolve: SecretResolver): string | null {
  if (peer.transport === 'radsec') return null;
  if (!peer.secret) throw new GovroamRenderError(`${peer.what} uses RADIUS/UDP and has no secret reference`);
  const v = resolve(peer.secret);
  if (v === null || v === '') throw new GovroamRenderError(`${peer.what}: the secret (${describeRef(peer.secret)}) is not set or not readable`);
  if (/[\r\n\0]/.test(v)) throw new GovroamRenderError(`${peer.what}: the secret (${describeRef(peer.secret)}) contains a line break or NUL`);
  return v;
}

function freeradiusSecret(peer: RadiusPeer, resolve: SecretResolver): string {
  const v = secretFor(peer, resolve)!;
  if (v.includes('\\')) throw new GovroamRenderError(`${peer.what}: the secret (${describeRef(peer.secret!)}) contains a backslash, which FreeRADIUS's configuration cannot express; choose another secret`);
  return freeradiusString(v);
}

function hostLine(host: string): string {
  // radsecproxy wants IPv6 literals in brackets; a prefix (clients) keeps its length after the bracket.
  if (!host.includes(':')) return host;
  const [addr, len] = host.split('/');
  return len === undefined ? `[${addr}]` : `[${addr}]/${len}`;
}

function serverBlock(peer: RadiusPeer, secret: string | null): string[] {
  return [
    `server ${peer.name} {`,
    `    host ${hostLine(peer.host)}`,
    `    port ${peer.port}`,
    ...(peer.transport === 'radsec' ? ['    type tls', '    tls govroam'] : ['    type udp', `    secret ${radsecproxyString(secret!)}`]),
    // Status-Server only where the peer answers it; 'auto' probes once and falls back to counting lost requests.
    '    statusServer auto',
    '}',
    '',
  ];
}

function clientBlock(peer: RadiusPeer, secret: string | null, extra: string[] = []): string[] {
  return [
    `client ${peer.name} {`,
    `    host ${hostLine(peer.host)}`,
    ...(peer.transport === 'radsec' ? ['    type tls', '    tls govroam'] : ['    type udp', `    secret ${radsecproxyString(secret!)}`]),
    ...extra.map((l) => `    ${l}`),
    '}',
    '',
  ];
}

function commonHeader(title: string, opts: RadsecproxyOptions, listen: string[]): string[] {
  return [
    `# ${title}`,
    '# Generated by ggi from govroam.yaml (`ggi govroam render`); edit the inventory, not this file. Contains secrets: mode 0600.',
    ...listen,
    `LogLevel ${opts.logLevel ?? 3}`,
    `LogDestination file://${opts.logDestination ?? DEFAULT_RADSECPROXY_LOG}`,
    // The eduroam logging baseline wants the outer User-Name and Calling-Station-Id of every request (DOMAIN.md §3.4).
    'LogFullUsername on',
    'LogMAC Original',
    // F-Ticks: one line per authentication for federation statistics; no MAC address in them (privacy).
    'FTicksReporting Basic',
    'FTicksMAC Static',
    `FTicksPrefix ${FTICKS_PREFIX}`,
    // A request never goes back to the block it came from (client and server blocks of one peer share a name).
    'LoopPrevention on',
    '',
    'tls govroam {',
    `    CACertificateFile ${opts.tls.caFile}`,
    `    CertificateFile ${opts.tls.certFile}`,
    `    CertificateKeyFile ${opts.tls.keyFile}`,
    '    TlsVersion TLS1_2:',
    '}',
    '',
  ];
}

/**
 * radsecproxy for one participant.
 * - SP: accepts RADIUS/UDP from its access points, stamps Operator-Name (`1` + realm) and asks for a CUI, sends every
 *   foreign realm to the NLRS over RadSec.
 * - IdP: accepts RadSec from the NLRS and sends its own realms to its home servers (FreeRADIUS).
 * - Accounting is answered here (accountingResponse on) and no realm has an accountingServer: it never leaves (RFC 7593).
 */
export function renderParticipantRadsecproxy(plan: GovroamPlan, p: ParticipantPlan, resolve: SecretResolver, opts: RadsecproxyOptions): string {
  const listen = [
    ...(p.isSp ? [`ListenUDP ${listenAt(opts, RADIUS_AUTH_PORT)}`, `ListenUDP ${listenAt(opts, RADIUS_ACCT_PORT)}`] : []),
    ...(p.isIdp ? [`ListenTLS ${listenAt(opts, RADSEC_PORT)}`] : []),
  ];
  const health = healthLines(opts);
  const lines = commonHeader(`radsecproxy for ${p.organisation} (${p.roles.join(' + ')}; realms ${p.realms.join(', ')}; logs kept ${p.logRetentionDays} days)`, opts, [...listen, ...health.listen]);
  lines.push(...health.client);
  if (p.isSp) {
    lines.push(
      '# Requests from our own access points: Operator-Name identifies this visited network (RFC 5580, namespace 1 = realm);',
      '# a CUI attribute holding one NUL byte asks the home IdP for a Chargeable-User-Identity (RFC 4372).',
      '# Supplement = only when the access point did not set them itself.',
      `rewrite operator-${p.slug} {`,
      `    SupplementAttribute ${ATTR_OPERATOR_NAME}:'${radsecproxyString(p.operatorName)}`,
      `    SupplementAttribute ${ATTR_CUI}:'%00`,
      '}',
      '',
    );
    if (p.nas.length === 0) lines.push(`# No access points (nas) declared for ${p.organisation} in govroam.yaml.`, '');
    for (const nas of p.nas) {
      lines.push(...clientBlock(nas, secretFor(nas, resolve), [`RewriteIn operator-${p.slug}`, `FticksVISCOUNTRY ${opts.fticksCountry ?? 'NL'}`, `FticksVISINST ${radsecproxyString(p.slug)}`]));
    }
  }
  // The NLRS sends requests for our realms (IdP); as a client it shares its name with the server block (LoopPrevention).
  if (p.isIdp) for (const n of plan.nlrs) lines.push(...clientBlock(n, secretFor(n, resolve)));
  for (const n of plan.nlrs) lines.push(...serverBlock(n, secretFor(n, resolve)));
  for (const h of p.homeServers) lines.push(...serverBlock(h, secretFor(h, resolve)));
  if (p.isIdp) {
    for (const realm of p.realms) {
      lines.push(`# Our own users: authenticated by our home servers.`, `realm ${realmRegex(realm)} {`, ...p.homeServers.map((h) => `    server ${h.name}`), '    accountingResponse on', '}', '');
    }
  }
  lines.push(
    p.isSp ? '# Every other realm goes to the national proxies (NLRS).' : '# An IdP-only proxy forwards nothing else: other realms are refused.',
    'realm * {',
    ...(p.isSp ? plan.nlrs.map((n) => `    server ${n.name}`) : ['    replyMessage "unknown realm"']),
    // Accounting stays here even if govroam.yaml says forwardAccounting (rule 19 warns about that).
    '    accountingResponse on',
    '}',
    '',
  );
  return lines.join('\n');
}

/**
 * The national proxy as the lab runs it: RadSec from every participant, each IdP realm to its participant's proxy,
 * unknown realms rejected, accounting answered and dropped. The real NLRS is run by Stichting govroam; this one
 * exists so that the lab (and its tests) can route a request end to end.
 */
export function renderNlrsRadsecproxy(plan: GovroamPlan, opts: RadsecproxyOptions): string {
  const health = healthLines(opts);
  const lines = commonHeader('radsecproxy for the national proxy (NLRS) in the lab', opts, [`ListenTLS ${listenAt(opts, RADSEC_PORT)}`, ...health.listen]);
  lines.push(...health.client);
  const reachable = plan.participants.filter((p) => p.proxyAddress !== null);
  for (const p of plan.participants.filter((x) => x.proxyAddress === null)) lines.push(`# ${p.organisation}: no device with a radsecproxy address; not connected.`);
  for (const p of reachable) {
    const peer: RadiusPeer = { name: p.slug, host: p.proxyAddress!, transport: 'radsec', port: RADSEC_PORT, what: `proxy of ${p.organisation}` };
    lines.push(...clientBlock(peer, null));
    if (p.isIdp) lines.push(...serverBlock(peer, null));
  }
  for (const p of reachable.filter((x) => x.isIdp)) {
    for (const realm of p.realms) lines.push(`realm ${realmRegex(realm)} {`, `    server ${p.slug}`, '    accountingResponse on', '}', '');
  }
  lines.push('realm * {', '    replyMessage "unknown realm"', '    accountingResponse on', '}', '');
  return lines.join('\n');
}

/**
 * The FreeRADIUS pieces a govroam IdP's home server needs beside Debian's defaults: the participant's radsecproxy as
 * its only client (`clients.conf`) and the participant's realms as local realms that are never proxied
 * (`proxy.conf`), plus notes on log retention. One set per RADIUS/UDP home server (each has its own secret); a
 * RadSec home server is not a FreeRADIUS this renders for.
 */
export function renderFreeradius(p: ParticipantPlan, resolve: SecretResolver): Array<{ server: string; clientsConf: string; proxyConf: string; notes: string }> {
  const udp = p.homeServers.filter((h) => h.transport === 'udp');
  if (!p.isIdp || udp.length === 0) return [];
  if (p.proxyAddress === null) throw new GovroamRenderError(`${p.organisation} is an IdP but names no device for its radsecproxy: its FreeRADIUS would not know its client`);
  return udp.map((h) => {
    const head = [`# FreeRADIUS ${h.name.replace(/^idp-/, '')} of ${p.organisation} (${h.host}), generated by ggi from govroam.yaml; do not edit by hand.`];
    const clients = [
      ...head,
      "# The only client is the participant's radsecproxy: the NLRS and the access points never talk to FreeRADIUS directly.",
      `client ${p.slug}-radsecproxy {`,
      `\tipaddr = ${p.proxyAddress}`,
      `\tsecret = ${freeradiusSecret(h, resolve)}`,
      `\tshortname = ${p.slug}-radsecproxy`,
      // radsecproxy sends Message-Authenticator in every Access-Request; requiring it refuses forged packets (BlastRADIUS).
      '\trequire_message_authenticator = yes',
      '\tnas_type = other',
      '}',
      '',
    ];
    const proxy = [
      ...head,
      '# Nothing is proxied from here: radsecproxy already did the routing. Our realms are local (no pool); the suffix',
      '# module strips them, so users are looked up without @realm.',
      'proxy server {',
      '\tdefault_fallback = no',
      '}',
      '',
      'realm LOCAL {',
      '}',
      '',
      ...p.realms.flatMap((r) => [`realm ${r} {`, '}', '']),
    ];
    const notes = [
      `Log retention for ${p.organisation}: keep RADIUS logs at least ${p.logRetentionDays} days (govroam rule 18).`,
      '- radsecproxy: logrotate/radsecproxy (rendered next to radsecproxy.conf) keeps its log that long.',
      `- FreeRADIUS: Debian's /etc/logrotate.d/freeradius keeps radius.log 52 days ('daily', 'rotate 52'): raise it to 'rotate ${p.logRetentionDays}'.`,
      "- FreeRADIUS logs authentications only with 'auth = yes' in the log section of radiusd.conf; the eduroam baseline",
      '  wants outer and inner User-Name, Calling-Station-Id, Operator-Name, CUI and the result of each (e.g. linelog).',
      '- Install: clients.conf and proxy.conf replace the files of the same name in /etc/freeradius/3.0 (owner freerad,',
      "  mode 0640); check with 'freeradius -C' before restarting.",
      '',
    ];
    return { server: h.name.replace(/^idp-/, ''), clientsConf: clients.join('\n'), proxyConf: proxy.join('\n'), notes: notes.join('\n') };
  });
}

/** logrotate for radsecproxy's log file, keeping it as long as the participant declared (daily files). */
export function renderLogrotate(p: ParticipantPlan, logFile = DEFAULT_RADSECPROXY_LOG): string {
  return [
    `# ${p.organisation}: RADIUS logs are kept ${p.logRetentionDays} days (govroam rule 18). Generated by ggi.`,
    `${logFile} {`,
    '\tdaily',
    `\trotate ${p.logRetentionDays}`,
    `\tmaxage ${p.logRetentionDays + 1}`,
    '\tmissingok',
    '\tnotifempty',
    '\tcompress',
    '\tdelaycompress',
    // radsecproxy keeps the file open; copytruncate avoids needing a reopen signal.
    '\tcopytruncate',
    '}',
    '',
  ].join('\n');
}

/** DNS records for dynamic discovery (RFC 7585), one NAPTR per realm of a participant that declares one. */
export function renderNaptr(inv: Inventory): string {
  const g = inv.govroam;
  if (!g) return '';
  const lines: string[] = [];
  for (const p of g.participants) {
    if (!p.naptr) continue;
    const n = p.naptr;
    const target = n.replacement.endsWith('.') ? n.replacement : `${n.replacement}.`;
    for (const realm of p.realms) lines.push(`${realm.toLowerCase()}. IN NAPTR ${n.order} ${n.preference} "${n.flags}" "${n.service}" "${n.regexp}" ${target}`);
  }
  return lines.join('\n') + (lines.length ? '\n' : '');
}

/**
 * Every file `ggi govroam render` writes: per participant `<org>/radsecproxy.conf`, `<org>/logrotate/radsecproxy`
 * and, per RADIUS/UDP home server of an IdP, `<org>/freeradius/<server>/{clients.conf,proxy.conf,README}`; the lab's
 * `nlrs/radsecproxy.conf`; and `naptr.zone`. Throws GovroamRenderError naming every missing secret.
 */
export function renderGovroam(inv: Inventory, resolve: SecretResolver, opts: RadsecproxyOptions): RenderedFile[] {
  // A dry pass first, so that one run names every missing secret instead of the first one only. It renders with a
  // stand-in for every secret: a set secret's value is checked (line breaks, backslashes) in the real pass.
  const missing = new Set<string>();
  renderAll(inv, (ref) => {
    const v = resolve(ref);
    if (v === null || v === '') missing.add(describeRef(ref));
    return 'ggi-dry-run-placeholder';
  }, opts);
  if (missing.size) {
    const list = [...missing].sort();
    throw new GovroamRenderError(`${list.length === 1 ? 'a secret is' : `${list.length} secrets are`} not set or not readable: ${list.join(', ')}`);
  }
  return renderAll(inv, resolve, opts);
}

function renderAll(inv: Inventory, resolve: SecretResolver, opts: RadsecproxyOptions): RenderedFile[] {
  const plan = govroamPlan(inv);
  if (!plan) return [];
  const files: RenderedFile[] = [];
  const logFile = opts.logDestination ?? DEFAULT_RADSECPROXY_LOG;
  for (const p of plan.participants) {
    files.push({ path: `${p.slug}/radsecproxy.conf`, content: renderParticipantRadsecproxy(plan, p, resolve, opts), mode: 0o600 });
    files.push({ path: `${p.slug}/logrotate/radsecproxy`, content: renderLogrotate(p, logFile), mode: 0o644 });
    for (const fr of renderFreeradius(p, resolve)) {
      files.push({ path: `${p.slug}/freeradius/${fr.server}/clients.conf`, content: fr.clientsConf, mode: 0o600 });
      files.push({ path: `${p.slug}/freeradius/${fr.server}/proxy.conf`, content: fr.proxyConf, mode: 0o644 });
      files.push({ path: `${p.slug}/freeradius/${fr.server}/README`, content: fr.notes, mode: 0o644 });
    }
  }
  files.push({ path: 'nlrs/radsecproxy.conf', content: renderNlrsRadsecproxy(plan, opts), mode: 0o600 });
  files.push({ path: 'naptr.zone', content: renderNaptr(inv), mode: 0o644 });
  return files;
}

/** Compatibility with the first version: only the participants' radsecproxy files. */
export function renderRadsecproxy(inv: Inventory, resolve: SecretResolver, tls: RadsecproxyOptions['tls']): RenderedFile[] {
  return renderGovroam(inv, resolve, { tls }).filter((f) => f.path.endsWith('/radsecproxy.conf') && !f.path.startsWith('nlrs/'));
}
