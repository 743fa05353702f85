import { indexInventory, type Inventory } from '../model/inventory';
import type { SecretRef } from '../model/schema';

/**
 * The RADIUS topology that govroam.yaml describes, resolved to plain data: who talks to whom, over what, with which
 * secret reference. Renderers work on this, never on the raw inventory, so that a schema change touches one file.
 */

/** A RADIUS peer: a server to forward to, or a client to accept requests from. */
export interface RadiusPeer {
  /** Block name in radsecproxy, unique per file: `nlrs-<name>`, `idp-<name>`, `nas-<name>`, or an organisation id. */
  name: string;
  /** An address, or for clients a prefix. */
  host: string;
  transport: 'udp' | 'radsec';
  port: number;
  /** Only for RADIUS/UDP; RadSec peers authenticate with certificates (the RFC 6614 secret is `radsec`). */
  secret?: SecretRef;
  /** Where the peer is declared, for messages (e.g. "national proxy nlrs-1"). */
  what: string;
}

export interface ParticipantPlan {
  organisation: string;
  /** Lower-case organisation id: the folder name in rendered output. */
  slug: string;
  roles: Array<'idp' | 'sp'>;
  isIdp: boolean;
  isSp: boolean;
  realms: string[];
  /** Where the participant's radsecproxy is reached (by the NLRS and by its own FreeRADIUS); null when unknown. */
  proxyAddress: string | null;
  /** SP only: access points / WLAN controllers that send RADIUS/UDP to the proxy. */
  nas: RadiusPeer[];
  /** IdP only: the home servers that authenticate the participant's own users. */
  homeServers: RadiusPeer[];
  /** Operator-Name (RFC 5580) the SP stamps on its requests: namespace `1` followed by its first realm. */
  operatorName: string;
  logRetentionDays: number;
  /** As declared; the renderers never forward accounting anyway (rule 19). */
  forwardAccounting: boolean;
}

export interface GovroamPlan {
  nlrs: RadiusPeer[];
  participants: ParticipantPlan[];
}

export const RADSEC_PORT = 2083;
export const RADIUS_AUTH_PORT = 1812;
export const RADIUS_ACCT_PORT = 1813;

export function govroamPlan(inv: Inventory): GovroamPlan | null {
  const g = inv.govroam;
  if (!g) return null;
  const idx = indexInventory(inv);
  const nlrs: RadiusPeer[] = g.nlrs.map((s) => ({
    // Block names say what a peer is; the example's NLRS are already called nlrs-1, nlrs-2.
    name: s.name.startsWith('nlrs') ? s.name : `nlrs-${s.name}`,
    host: s.address,
    transport: s.transport,
    port: s.port ?? (s.transport === 'radsec' ? RADSEC_PORT : RADIUS_AUTH_PORT),
    ...(s.transport === 'udp' && s.secret ? { secret: s.secret } : {}),
    what: `national proxy '${s.name}'`,
  }));
  const participants = [...g.participants]
    .sort((a, b) => a.organisation.localeCompare(b.organisation))
    .map((p): ParticipantPlan => {
      const device = p.device ? idx.devices.get(p.device) : undefined;
      const isSp = p.roles.includes('sp');
      const isIdp = p.roles.includes('idp');
      const nas: RadiusPeer[] = isSp
        ? p.nas.map((n) => ({ name: `nas-${n.name}`, host: n.prefix, transport: 'udp' as const, port: RADIUS_AUTH_PORT, secret: n.secret, what: `access points '${n.name}' of ${p.organisation}` }))
        : [];
      const homeServers: RadiusPeer[] = isIdp
        ? p.servers.map((s) => ({
            name: `idp-${s.name}`,
            host: s.address,
            transport: s.transport,
            port: s.port ?? (s.transport === 'radsec' ? RADSEC_PORT : RADIUS_AUTH_PORT),
            ...(s.transport === 'udp' && s.secret ? { secret: s.secret } : {}),
            what: `RADIUS server '${s.name}' of ${p.organisation}`,
          }))
        : [];
      return {
        organisation: p.organisation,
        slug: p.organisation.toLowerCase(),
        roles: [...p.roles],
        isIdp,
        isSp,
        realms: p.realms.map((r) => r.toLowerCase()),
        // Declared, or else the management address of the device that runs it.
        proxyAddress: p.proxyAddress ?? (device ? device.management.address : null),
        nas,
        homeServers,
        operatorName: `1${p.realms[0].toLowerCase()}`,
        logRetentionDays: p.logRetentionDays,
        forwardAccounting: p.forwardAccounting,
      };
    });
  return { nlrs, participants };
}
