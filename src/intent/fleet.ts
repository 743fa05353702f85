import type { Finding } from '../model/finding';
import type { Device, Inventory, InventoryIndex, Organisation } from '../model/inventory';
import { contains, formatPrefix, isDefaultRoute, parsePrefix, type Prefix } from '../net';
import type { IntentDeps, KpsRouting } from './deps';
import type { DhcpSubnet } from './dhcp';
import type { TransferNet } from './transfer';
import { prefixList, sortPrefixes } from './prefix-lists';
import type { BgpNeighbor, IntentZone, InterfaceIntent, PrefixList, PrefixListEntry, StaticRoute } from './types';

/**
 * What the role builders share: the fleet (topology and routing data computed once per inventory) and the draft of
 * the device being built (its interfaces, sessions, lists, originated prefixes), with the two ways to add to it.
 */

export const ZONES: readonly IntentZone[] = ['overheid', 'markt'];
export const BORDER_ROLE: Record<IntentZone, 'border-overheid' | 'border-markt'> = { overheid: 'border-overheid', markt: 'border-markt' };

export interface Link {
  key: string;
  /** The side that gets the first (even) address: the border towards CEs, KPS and suppliers. */
  a: { device: string; iface: string };
  b: { device: string; iface: string };
  /** The zone the link is in (a CE's uplink, a border's edge). */
  zone: IntentZone;
  net?: TransferNet;
}

export interface Fleet {
  inv: Inventory;
  idx: InventoryIndex;
  deps: IntentDeps;
  findings: Finding[];
  /** The borders of each zone, by id: the first is active, the others stand by (they announce with a longer AS path). */
  borders: Record<IntentZone, Device[]>;
  /**
   * A device's place in its redundant group: 0 for the active one, 1… for those that stand by. A standby device
   * prepends its own ASN that many times on every eBGP session, so that while the active one lives both directions of
   * every flow cross it: a border's stateful filter sees the whole conversation (asymmetric paths would not).
   */
  standbyRank(d: Device): number;
  /** CE device id -> the organisation whose connection point it terminates. */
  ceOrg: Map<string, Organisation>;
  linksOf(deviceId: string): Link[];
  kps: KpsRouting | null;
  allowDefault: boolean;
  internetPrefixes: Prefix[];
  /** Everything a CE or supplier may legitimately send; also bounds what a border passes on (max-prefix). */
  zoneBound: number;
  announcementsOf(o: Organisation, z: IntentZone): Prefix[];
  /** Services per hosting router: KPS services on the (first) KPS peer, supplier services on the supplier's first router. */
  servicesOn: Map<string, Inventory['services']>;
  supplierPrefixes(r: Device): Prefix[];
  servicePrefixes: Prefix[];
  /** DHCP appliance id -> the subnets it serves (src/intent/dhcp.ts). */
  dhcpSubnets: Map<string, DhcpSubnet[]>;
}

export type SessionPolicy = (family: 4 | 6) => { in: string; out: string; maxIn: number; maxOut?: number; prependOut?: number };

export interface DeviceDraft {
  d: Device;
  interfaces: InterfaceIntent[];
  lists: PrefixList[];
  neighbors: BgpNeighbor[];
  originate: Prefix[];
  /** Originated prefixes reached through a next hop instead of anchored by a blackhole route (a KPS peer's services). */
  nextHops: StaticRoute[];
  localAsn?: number;
  /** DHCP appliances: what they serve. */
  dhcp?: { subnets: DhcpSubnet[] };
  /** A point-to-point link: interface, addresses and (when `remoteAsn` is known) one BGP session per family. */
  addSession(l: Link, kind: InterfaceIntent['kind'], zone: IntentZone | undefined, remoteAsn: number | undefined, policy: SessionPolicy): void;
  /** Adds a prefix list once (by name) and returns its name. */
  addList(name: string, family: 4 | 6, entries: Array<Omit<PrefixListEntry, 'seq'>>): string;
}

export function newDraft(d: Device, first: InterfaceIntent): DeviceDraft {
  const draft: DeviceDraft = {
    d,
    interfaces: [first],
    lists: [],
    neighbors: [],
    originate: [],
    nextHops: [],
    addSession(l, kind, zone, remoteAsn, policy) {
      const mine = l.a.device === d.id ? l.a : l.b;
      const other = l.a.device === d.id ? l.b : l.a;
      const isA = mine === l.a;
      const n = l.net!;
      const myAddrs = isA ? [`${n.v4.low}/31`, `${n.v6.low}/127`] : [`${n.v4.high}/31`, `${n.v6.high}/127`];
      const peerAddrs = isA ? [`${n.v4.high}/31`, `${n.v6.high}/127`] : [`${n.v4.low}/31`, `${n.v6.low}/127`];
      draft.interfaces.push({ name: mine.iface, kind, ...(zone ? { zone } : {}), addresses: myAddrs, peer: { device: other.device, interface: other.iface, addresses: peerAddrs } });
      if (remoteAsn === undefined) return;
      for (const family of [4, 6] as const) {
        const p = policy(family);
        draft.neighbors.push({
          address: family === 4 ? (isA ? n.v4.high : n.v4.low) : isA ? n.v6.high : n.v6.low,
          family,
          remoteAsn,
          peerDevice: other.device,
          interface: mine.iface,
          description: `${other.device}${zone ? ` (${zone})` : ''}`,
          prefixListIn: p.in,
          prefixListOut: p.out,
          maxPrefixIn: p.maxIn,
          // The KPS is the one peer whose configuration is not ggi's: its filtered routes count towards the limit too.
          ...(kind === 'kps' ? { maxPrefixCountsFiltered: true } : {}),
          ...(p.maxOut !== undefined ? { maxPrefixOut: p.maxOut } : {}),
          ...(p.prependOut ? { prependOut: p.prependOut } : {}),
        });
      }
    },
    addList(name, family, entries) {
      if (!draft.lists.some((x) => x.name === name)) draft.lists.push(prefixList(name, family, entries));
      return name;
    },
  };
  return draft;
}

export function borderAsn(inv: Inventory, b: Device): number {
  if (b.asn !== undefined) return b.asn;
  return b.role === 'border-overheid' ? inv.settings.diginetwerk.koppelnetAsn : inv.settings.network.backboneAsn;
}

/**
 * What border-overheid announces to the KPS: the Diginetwerk routing policy's list, minus (defensively, with an error
 * finding) a default route or anything inside an internet-category prefix (DOMAIN.md §5 rules 8 and 12).
 */
export function kpsAnnounce(inv: Inventory, d: Device, kps: KpsRouting, internet: Prefix[], findings: Finding[]): Prefix[] {
  const out: Prefix[] = [];
  for (const p of sortPrefixes(kps.announce)) {
    if (isDefaultRoute(p)) {
      findings.push(inv.sources.error('DIGINETWERK_DEFAULT_ROUTE', `a default route would be announced to the KPS; it is left out`, d.loc));
      continue;
    }
    if (internet.some((i) => contains(i, p) || contains(p, i))) {
      findings.push(inv.sources.error('IPV6_CATEGORY_LEAK', `${formatPrefix(p)} is internet-category space and is not announced towards Diginetwerk`, d.loc));
      continue;
    }
    out.push(p);
  }
  return out;
}

export function internetCategoryPrefixes(inv: Inventory): Prefix[] {
  const cats = new Set(inv.settings.numberingPlan.categories.filter((c) => c.internet).map((c) => c.name));
  return inv.ledger.entries.filter((e) => e.status !== 'quarantined' && cats.has(e.category)).map((e) => parsePrefix(e.prefix, { strict: false }));
}
