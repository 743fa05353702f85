import type { Inventory } from '../model/inventory';
import type { SecretRef } from '../model/schema';
import { govroamPlan, type GovroamPlan, type ParticipantPlan, type RadiusPeer } from './topology';

/**
 * What a device of the `radius` platform runs, as plain data (part of its DeviceIntent): the govroam plan (who talks
 * to whom) and which piece of it this device is.
 * - `proxy`: a participant's radsecproxy (SP and/or IdP side), on the device named in govroam.yaml `device`;
 * - `nlrs`: a national proxy (the lab's stand-in for Stichting govroam's NLRS);
 * - `home`: a participant's FreeRADIUS home server (RADIUS/UDP), which authenticates its own users (EAP).
 */
export type RadiusDeviceKind = 'proxy' | 'nlrs' | 'home';

export interface RadiusIntent {
  kind: RadiusDeviceKind;
  plan: GovroamPlan;
  /** proxy and home: the participant's slug; nlrs: the NLRS block name (e.g. nlrs-1). */
  name: string;
  /** The address the daemon binds to (radsecproxy's proxy address, the NLRS address, the home server's address). */
  address: string | null;
  /** home: the home server's block name in the participant's plan (e.g. idp-radius-1). */
  server?: string;
  /** RadSec certificate of this device: CA, certificate and key, read at apply time like any secret. */
  tls: { ca: SecretRef; cert: SecretRef; key: SecretRef };
  /** radsecproxy LogLevel (default 3); the lab's NLRS log every message (5), so a test can see what reached them. */
  logLevel?: number;
}

/** Environment variable names of a device's RadSec material: `GGI_RADSEC_CA`, `GGI_RADSEC_CERT_<ID>`, `GGI_RADSEC_KEY_<ID>`. */
export function radsecTlsRefs(deviceId: string): RadiusIntent['tls'] {
  const id = deviceId.toUpperCase().replace(/[^A-Z0-9]/g, '_');
  return { ca: { env: 'GGI_RADSEC_CA' }, cert: { env: `GGI_RADSEC_CERT_${id}` }, key: { env: `GGI_RADSEC_KEY_${id}` } };
}

/** The participant whose radsecproxy runs on this inventory device (govroam.yaml `device`), or null. */
export function proxyIntentFor(inv: Inventory, deviceId: string): RadiusIntent | null {
  const plan = govroamPlan(inv);
  const p = inv.govroam?.participants.find((x) => x.device === deviceId);
  if (!plan || !p) return null;
  const pp = plan.participants.find((x) => x.organisation === p.organisation)!;
  return { kind: 'proxy', plan, name: pp.slug, address: pp.proxyAddress, tls: radsecTlsRefs(deviceId) };
}

/** The RADIUS/UDP home servers of IdPs: each is a FreeRADIUS that a `home` device runs. */
export function homeServers(plan: GovroamPlan): Array<{ participant: ParticipantPlan; server: RadiusPeer }> {
  return plan.participants.filter((p) => p.isIdp).flatMap((p) => p.homeServers.filter((h) => h.transport === 'udp').map((server) => ({ participant: p, server })));
}

/** Device id of a lab-only RADIUS device: `nlrs-1`, `idp-gm0363-radius-1`. */
export function labRadiusDeviceId(kind: 'nlrs' | 'home', name: string, server?: string): string {
  return kind === 'nlrs' ? name : `idp-${name}-${(server ?? '').replace(/^idp-/, '')}`;
}

/** The intents of the devices that exist only in the lab (the NLRS and every IdP's FreeRADIUS home server). */
export function labRadiusIntents(inv: Inventory): Array<{ id: string; radius: RadiusIntent }> {
  const plan = govroamPlan(inv);
  if (!plan) return [];
  const out: Array<{ id: string; radius: RadiusIntent }> = [];
  for (const n of plan.nlrs) {
    const id = labRadiusDeviceId('nlrs', n.name);
    out.push({ id, radius: { kind: 'nlrs', plan, name: n.name, address: n.host, tls: radsecTlsRefs(id), logLevel: 5 } });
  }
  for (const { participant, server } of homeServers(plan)) {
    const id = labRadiusDeviceId('home', participant.slug, server.name);
    out.push({ id, radius: { kind: 'home', plan, name: participant.slug, address: server.host, server: server.name, tls: radsecTlsRefs(id) } });
  }
  return out;
}
