/**
 * What each DHCP appliance (role `dhcp`) serves, from the inventory: per segment with a `dhcp` block,
 * an IPv4 pool (declared in the segment) and an IPv6 pool inside the segment's /64, which must be the organisation's
 * own /64 allocation in the ledger (the visitor allocation: `ggi ipv6 allocate ORG --category CAT --length 64`). Pure; the checks
 * (`checkDhcp`) and the intents come from one pass, so what validates is exactly what is rendered.
 *
 * Addresses on a served IPv4 segment: the first usable is the router (the CE, as src/intent/build.ts gives it), the
 * last usable is the appliance itself (its listening address and DHCP server identifier); the pool lies in between.
 */
import { createHash } from 'node:crypto';
import type { Finding } from '../model/finding';
import { indexInventory, type Device, type Inventory, type Organisation } from '../model/inventory';
import { PLATFORM_OF_ROLE, type SecretRef } from '../model/schema';
import { contains, formatAddress, formatPrefix, parseAddress, parsePrefix, prefixFirst, prefixLast, type Prefix } from '../net';
import { ifName } from './names';

/** The one platform that serves role dhcp (the inventory schema says which). */
const DHCP_PLATFORM = PLATFORM_OF_ROLE.dhcp;

export interface DhcpPool {
  first: string;
  last: string;
}

export interface DhcpSubnet {
  /** Stable id (from organisation and segment), so that leases keep their subnet across changes. */
  id: number;
  organisation: string;
  segment: string;
  /** The appliance's interface on this segment (at most 15 characters). */
  interface: string;
  vlan?: number;
  family: 4 | 6;
  /** CIDR of the segment. */
  subnet: string;
  pool: DhcpPool;
  /** IPv4: the router option (the CE's address on the segment). */
  router?: string;
  /** IPv4: the appliance's own address on the segment, with prefix length. */
  serverAddress?: string;
}

/** The desired state of one DHCP appliance: plain data, platform-neutral (its platform's driver renders it). */
export interface DhcpIntent {
  id: string;
  organisation?: string;
  management: { address: string; port: number; user: string; password?: SecretRef };
  /** Sorted by organisation, segment, family. */
  subnets: DhcpSubnet[];
}

export interface DhcpBuild {
  intents: DhcpIntent[];
  findings: Finding[];
}

/** DHCP server subnet ids (Kea's) are 1 … 2^32-2; 31 bits of a hash keep them positive and stable. */
export function subnetId(organisation: string, segment: string, family: 4 | 6): number {
  const h = createHash('sha256').update(`${organisation}\0${segment}\0${family}`).digest();
  return (h.readUInt32BE(0) & 0x7fffffff) || 1;
}

/** The appliance's interface name for a segment (the CE's is `l-…`; `s-…` here). */
export function dhcpInterfaceName(organisation: string, segment: string): string {
  return ifName('s-', `${organisation}-${segment}`);
}

const DEFAULT_V6_POOL = { first: 0x1000n, last: 0x1fffn };

export function buildDhcpIntents(inv: Inventory): DhcpBuild {
  const s = inv.sources;
  const idx = indexInventory(inv);
  const findings: Finding[] = [];
  const byServer = new Map<string, DhcpSubnet[]>();

  for (const d of inv.devices) {
    if ((d.platform === DHCP_PLATFORM) !== (d.role === 'dhcp')) {
      findings.push(s.error('DHCP_APPLIANCE', `device '${d.id}' has role ${d.role} and platform ${d.platform}: a DHCP appliance has role dhcp and platform ${DHCP_PLATFORM}, and only it`, d.loc, [d.platform === DHCP_PLATFORM ? 'role' : 'platform']));
    }
    if (d.role === 'dhcp' && !d.management.password) {
      findings.push(s.warning('DHCP_API_PASSWORD', `device '${d.id}' has no management.password: its API cannot be reached with basic authentication`, d.loc, ['management']));
    }
  }

  for (const o of inv.organisations) {
    o.segments.forEach((g, gi) => {
      if (!g.dhcp) return;
      const at = (...rest: Array<string | number>) => ['segments', gi, 'dhcp', ...rest];
      const server = idx.devices.get(g.dhcp.server);
      if (!server) {
        findings.push(s.error('UNKNOWN_REFERENCE', `segment '${g.name}' of ${o.id}: no device '${g.dhcp.server}' to serve DHCP`, o.loc, at('server')));
        return;
      }
      if (server.role !== 'dhcp') {
        findings.push(s.error('DHCP_SERVER', `segment '${g.name}' of ${o.id}: device '${server.id}' is a ${server.role} (platform ${server.platform}), not a DHCP appliance (role dhcp)`, o.loc, at('server')));
        return;
      }
      const list = byServer.get(server.id) ?? [];
      const iface = dhcpInterfaceName(o.id, g.name);
      const vlan = g.vlan ? { vlan: g.vlan } : {};
      const v4 = ipv4Subnet(inv, o, gi, findings);
      if (v4) list.push({ id: subnetId(o.id, g.name, 4), organisation: o.id, segment: g.name, interface: iface, ...vlan, family: 4, ...v4 });
      const v6 = ipv6Subnet(inv, o, gi, findings);
      if (v6) list.push({ id: subnetId(o.id, g.name, 6), organisation: o.id, segment: g.name, interface: iface, ...vlan, family: 6, ...v6 });
      if (!g.ipv4 && !g.ipv6) findings.push(s.error('DHCP_POOL', `segment '${g.name}' of ${o.id} has a dhcp block but neither ipv4 nor ipv6`, o.loc, at()));
      byServer.set(server.id, list);
    });
  }

  const ids = new Map<number, string>();
  const intents: DhcpIntent[] = [];
  for (const d of [...idx.devices.values()].filter((x) => x.role === 'dhcp').sort((a, b) => cmp(a.id, b.id))) {
    const subnets = (byServer.get(d.id) ?? []).sort((a, b) => cmp(a.organisation, b.organisation) || cmp(a.segment, b.segment) || a.family - b.family);
    for (const sn of subnets) {
      const other = ids.get(sn.id);
      if (other) findings.push(s.error('DHCP_SUBNET_ID', `segments ${other} and ${sn.organisation}/${sn.segment} hash to one subnet id ${sn.id}; rename one`, d.loc));
      ids.set(sn.id, `${sn.organisation}/${sn.segment}`);
    }
    intents.push(intentOf(d, subnets));
  }
  return { intents, findings };
}

/** The findings of `buildDhcpIntents` (for `ggi validate`). */
export function checkDhcp(inv: Inventory): Finding[] {
  return buildDhcpIntents(inv).findings;
}

function intentOf(d: Device, subnets: DhcpSubnet[]): DhcpIntent {
  return {
    id: d.id,
    ...(d.organisation ? { organisation: d.organisation } : {}),
    management: { address: d.management.address, port: d.management.port, user: d.management.user, ...(d.management.password ? { password: d.management.password } : {}) },
    subnets,
  };
}

function ipv4Subnet(inv: Inventory, o: Organisation, gi: number, findings: Finding[]): Omit<DhcpSubnet, 'id' | 'organisation' | 'segment' | 'interface' | 'family' | 'vlan'> | null {
  const s = inv.sources;
  const g = o.segments[gi];
  const pool = g.dhcp!.ipv4Pool;
  const at = ['segments', gi, 'dhcp', 'ipv4Pool'];
  if (!g.ipv4) {
    if (pool) findings.push(s.error('DHCP_POOL', `segment '${g.name}' of ${o.id} has an ipv4Pool but no ipv4 prefix`, o.loc, at));
    return null;
  }
  const p = parsePrefix(g.ipv4, { strict: false });
  if (p.len > 29) {
    findings.push(s.error('DHCP_POOL', `segment '${g.name}' of ${o.id} (${g.ipv4}) is too small for a router, a DHCP server and a pool; use a /29 or larger`, o.loc, ['segments', gi, 'ipv4']));
    return null;
  }
  if (!pool) {
    findings.push(s.error('DHCP_POOL', `segment '${g.name}' of ${o.id} is served by DHCP but declares no ipv4Pool`, o.loc, ['segments', gi, 'dhcp']));
    return null;
  }
  const router = prefixFirst(p) + 1n;
  const server = prefixLast(p) - 1n;
  const range = checkPool(inv, o, gi, 'ipv4Pool', p, pool, [router, server], findings);
  if (!range) return null;
  return {
    subnet: formatPrefix(p),
    pool: { first: formatAddress(4, range.first), last: formatAddress(4, range.last) },
    router: formatAddress(4, router),
    serverAddress: `${formatAddress(4, server)}/${p.len}`,
  };
}

function ipv6Subnet(inv: Inventory, o: Organisation, gi: number, findings: Finding[]): Omit<DhcpSubnet, 'id' | 'organisation' | 'segment' | 'interface' | 'family' | 'vlan'> | null {
  const s = inv.sources;
  const g = o.segments[gi];
  const at = ['segments', gi, 'ipv6'];
  if (!g.ipv6) {
    if (g.dhcp!.ipv6Pool) findings.push(s.error('DHCP_POOL', `segment '${g.name}' of ${o.id} has an ipv6Pool but no ipv6 prefix`, o.loc, ['segments', gi, 'dhcp', 'ipv6Pool']));
    return null;
  }
  const p = parsePrefix(g.ipv6, { strict: false });
  // The /64 must be the organisation's own allocation in the ledger, so every address handed out is attributable.
  const recorded = inv.ledger.entries.some((e) => {
    if (e.status === 'quarantined' || e.organisation !== o.id) return false;
    try {
      const q = parsePrefix(e.prefix, { strict: false });
      return q.family === 6 && q.len === p.len && q.addr === p.addr;
    } catch {
      return false;
    }
  });
  if (p.len !== 64 || !recorded) {
    findings.push(
      s.error(
        'DHCP_IPV6_LEDGER',
        `segment '${g.name}' of ${o.id} is served by DHCPv6, so ${g.ipv6} must be a /64 allocated to ${o.id} in the ledger (ggi ipv6 allocate ${o.id} --category … --length 64)`,
        o.loc,
        at,
      ),
    );
    return null;
  }
  const declared = g.dhcp!.ipv6Pool;
  const pool = declared ?? { first: formatAddress(6, p.addr + DEFAULT_V6_POOL.first), last: formatAddress(6, p.addr + DEFAULT_V6_POOL.last) };
  const range = checkPool(inv, o, gi, 'ipv6Pool', p, pool, [p.addr + 1n], findings);
  if (!range) return null;
  return { subnet: formatPrefix(p), pool: { first: formatAddress(6, range.first), last: formatAddress(6, range.last) } };
}

/** A pool inside the segment, ordered, not the network or broadcast address, not a reserved (router/server) one. */
function checkPool(inv: Inventory, o: Organisation, gi: number, key: 'ipv4Pool' | 'ipv6Pool', p: Prefix, pool: DhcpPool, reserved: bigint[], findings: Finding[]): { first: bigint; last: bigint } | null {
  const s = inv.sources;
  const g = o.segments[gi];
  const at = ['segments', gi, 'dhcp', key];
  const problem = (m: string) => {
    findings.push(s.error('DHCP_POOL', `segment '${g.name}' of ${o.id}: ${key} ${pool.first}-${pool.last} ${m}`, o.loc, at));
    return null;
  };
  let first: { family: 4 | 6; value: bigint };
  let last: { family: 4 | 6; value: bigint };
  try {
    first = parseAddress(pool.first);
    last = parseAddress(pool.last);
  } catch {
    return problem('is not a pair of addresses');
  }
  if (first.family !== p.family || last.family !== p.family) return problem(`mixes address families with ${formatPrefix(p)}`);
  const inside = (v: bigint) => contains(p, { family: p.family, addr: v, len: p.family === 4 ? 32 : 128 });
  if (!inside(first.value) || !inside(last.value)) return problem(`is not inside ${formatPrefix(p)}`);
  if (first.value > last.value) return problem('ends before it starts');
  if (p.family === 4 && (first.value === prefixFirst(p) || last.value === prefixLast(p))) return problem('includes the network or broadcast address');
  const hit = reserved.find((r) => r >= first.value && r <= last.value);
  if (hit !== undefined) return problem(`includes ${formatAddress(p.family, hit)}, which the ${hit === reserved[0] ? 'router' : 'DHCP appliance'} uses`);
  return { first: first.value, last: last.value };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
