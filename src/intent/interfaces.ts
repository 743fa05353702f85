import type { Finding } from '../model/finding';
import type { Device, Inventory, InventoryIndex, Organisation } from '../model/inventory';
import { contains, formatAddress, parseAddress, parsePrefix, prefixFirst, subnet, type Prefix } from '../net';
import type { IntentDeps } from './deps';
import { ifName } from './names';
import { cmp, sortPrefixes } from './prefix-lists';
import type { IntentZone, InterfaceIntent } from './types';

/** Interfaces of a device that are not point-to-point links: management, LAN segments, service fronts. Pure. */

const ZONES: readonly IntentZone[] = ['overheid', 'markt'];

export function mgmtInterface(inv: Inventory, d: Device): InterfaceIntent {
  const a = parseAddress(d.management.address);
  let len = a.family === 4 ? 32 : 128;
  const pool = inv.settings.transfer.managementIpv4;
  if (pool && a.family === 4) {
    const p = parsePrefix(pool, { strict: false });
    if (contains(p, { family: 4, addr: a.value, len: 32 })) len = p.len;
  }
  return { name: 'mgmt0', kind: 'mgmt', addresses: [`${formatAddress(a.family, a.value)}/${len}`] };
}

/**
 * The router's own address inside a LAN or service prefix: the first usable one (`rank` 1: the second CE of a pair
 * takes the next). Null when the prefix has no room for it.
 */
export function gatewayAddress(p: Prefix, rank = 0): string | null {
  const hostBits = (p.family === 4 ? 32 : 128) - p.len;
  if (hostBits < 2 || (hostBits < 64 && 1n << BigInt(hostBits) <= BigInt(rank) + 2n)) return null;
  return `${formatAddress(p.family, prefixFirst(p) + 1n + BigInt(rank))}/${p.len}`;
}

export function lanInterfaces(inv: Inventory, idx: InventoryIndex, ce: Organisation, deps: IntentDeps, servicePrefixes: readonly Prefix[], findings: Finding[], rank = 0): InterfaceIntent[] {
  const orgs = [ce, ...[...(idx.members.get(ce.id) ?? [])].sort((x, y) => cmp(x.id, y.id))];
  const out: InterfaceIntent[] = [];
  for (const o of orgs) {
    const zonePrefixes: Record<IntentZone, Prefix[]> = { overheid: deps.addressesInZone(inv, o.id, 'overheid'), markt: deps.addressesInZone(inv, o.id, 'markt') };
    const zoneOf = (p: Prefix): IntentZone | undefined => ZONES.find((z) => zonePrefixes[z].some((zp) => contains(zp, p)));
    const segPrefixes: Prefix[] = [];
    o.segments.forEach((g, gi) => {
      const addrs: string[] = [];
      const zones = new Set<IntentZone | undefined>();
      for (const [text, key] of [[g.ipv4, 'ipv4'], [g.ipv6, 'ipv6']] as const) {
        if (!text) continue;
        const p = parsePrefix(text, { strict: false });
        segPrefixes.push(p);
        const gw = gatewayAddress(p, rank);
        if (!gw) {
          findings.push(inv.sources.warning('INTENT_SEGMENT_TOO_SMALL', `segment '${g.name}' of ${o.id} (${text}) has no room for a router address`, o.loc, ['segments', gi, key]));
          continue;
        }
        addrs.push(gw);
        zones.add(zoneOf(p));
      }
      if (addrs.length === 0) return;
      const z = zones.size === 1 ? [...zones][0] : undefined;
      out.push({ name: ifName('l-', `${o.id}-${g.name}`), kind: 'lan', ...(z ? { zone: z } : {}), organisation: o.id, segment: g.name, ...(g.vlan ? { vlan: g.vlan } : {}), addresses: addrs });
    });
    // Zone space without any segment in it (e.g. registered IPv4 for overheid when the segments use other space) gets
    // one more LAN, so that the organisation has a source address in every zone its connection point joins: the first
    // /64 of an IPv6 block, an IPv4 block as a whole. Service prefixes inside the organisation's space (a supplier's,
    // hosted on its router) and segments are avoided.
    const taken = [...servicePrefixes, ...segPrefixes];
    const free = (x: Prefix) => !taken.some((sp) => contains(sp, x) || contains(x, sp));
    const joined = ZONES.filter((z) => ce.connectionPoint?.zones.includes(z));
    const extra: Array<{ gw: string; zone: IntentZone }> = [];
    for (const z of joined) {
      for (const p of sortPrefixes(zonePrefixes[z])) {
        if (segPrefixes.some((sp) => contains(p, sp))) continue;
        let lan: Prefix | undefined;
        if (p.family === 6 && p.len < 64) {
          for (let k = 0n; k < 256n && k < 1n << BigInt(64 - p.len); k++) {
            const cand = subnet(p, 64, k);
            if (free(cand)) {
              lan = cand;
              break;
            }
          }
        } else if (free(p)) lan = p;
        const gw = lan ? gatewayAddress(lan, rank) : null;
        if (gw) extra.push({ gw, zone: z });
      }
    }
    // One such LAN per zone, so that every interface belongs to one zone (hosts route by it).
    for (const z of ZONES) {
      const mine = extra.filter((e) => e.zone === z);
      if (mine.length === 0) continue;
      const addrs = [...mine.filter((e) => !e.gw.includes(':')), ...mine.filter((e) => e.gw.includes(':'))].map((e) => e.gw);
      out.push({ name: ifName('l-', `${o.id}-${z === 'overheid' ? 'ovh' : 'mkt'}`), kind: 'lan', zone: z, organisation: o.id, addresses: addrs });
    }
  }
  return out;
}

export function serviceInterfaces(inv: Inventory, d: Device, services: Inventory['services'], findings: Finding[]): InterfaceIntent[] {
  const out: InterfaceIntent[] = [];
  for (const v of services) {
    const addrs: string[] = [];
    v.prefixes.forEach((text, i) => {
      const p = parsePrefix(text, { strict: false });
      const gw = gatewayAddress(p);
      if (!gw) {
        findings.push(inv.sources.warning('INTENT_SERVICE_HOST_ROUTE', `service '${v.name}' prefix ${text} is too small for a router address; the lab cannot host it behind ${d.id}`, v.loc, ['prefixes', i]));
        return;
      }
      addrs.push(gw);
    });
    if (addrs.length === 0) continue;
    out.push({ name: ifName('v-', v.name), kind: 'lan', zone: v.zone, ...(v.provider !== 'kps' ? { organisation: v.provider } : {}), service: v.name, addresses: [...addrs.filter((a) => !a.includes(':')), ...addrs.filter((a) => a.includes(':'))] });
  }
  return out;
}

export function chooseRouterId(d: Device, interfaces: InterfaceIntent[]): string | null {
  if (d.routerId && !d.routerId.includes(':')) return d.routerId;
  if (!d.management.address.includes(':')) return d.management.address;
  for (const i of interfaces) for (const a of i.addresses) if (!a.includes(':')) return a.split('/')[0];
  return null;
}
