import { type AddrSet, type Family, intersect, type Range, type RangeList, toCidrs } from './addr';
import { AtomSpace, type ERule, protoMask, segsIntersect, segsSubtract, segsUnion, sweep } from './engine';
import type { PolicyModel, PortSet, RuleModel, ZoneName } from './types';
import { ZONES } from './types';

/**
 * nftables compilation. One `table inet ggi` per device, owned by ggi: the file first creates and deletes only that
 * table (so nothing else on the device is touched) and then declares it whole, atomically in one `nft -f`.
 *
 * The forward chain drops by policy (and counts what it drops: a last `counter drop` rule), accepts established/related traffic, never forwards between two uplinks (the
 * zones never meet on a CE), and jumps per (in, out) interface pair to a chain holding the policy rules in order,
 * each restricted to the addresses that can really be on that pair. Rules keep first-match order, so the device
 * gives exactly the verdict of `policy query` for the traffic it carries.
 */

export type NftRole = 'ce' | 'border-overheid' | 'border-markt' | 'kps-peer' | 'supplier-router' | 'radius';
export type NftInterfaceKind = 'lan' | 'uplink' | 'downlink' | 'kps' | 'supplier' | 'mgmt' | 'peer';

export interface NftDeviceInput {
  deviceId: string;
  role: NftRole;
  organisation?: string;
  interfaces: Array<{ name: string; kind: NftInterfaceKind; zone?: ZoneName; organisation?: string }>;
}

export class NftInputError extends Error {}

interface FamilyIndex {
  family: Family;
  space: AtomSpace;
  rules: ERule[];
  /** Rules by the src atoms they cover, and by the dst atoms. */
  bySrc: AtomIndex;
  byDst: AtomIndex;
}

interface AtomIndex {
  /** atom -> class, -1 when no rule covers it */
  atomClass: Int32Array;
  /** class -> rule indices (ascending) */
  classRules: number[][];
}

function atomIndex(space: AtomSpace, rules: ERule[], side: 'src' | 'dst'): AtomIndex {
  const groups = new Map<Int32Array, number[]>();
  rules.forEach((r, i) => {
    const l = side === 'src' ? r.src : r.dst;
    let g = groups.get(l);
    if (!g) groups.set(l, (g = []));
    g.push(i);
  });
  const lists = [...groups.keys()];
  const classes = sweep(lists, lists.map((_, i) => i));
  const atomClass = new Int32Array(space.size).fill(-1);
  const classRules: number[][] = [];
  const members = [...groups.values()];
  classes.forEach((c, ci) => {
    for (let i = 0; i < c.segs.length; i += 2) atomClass.fill(ci, c.segs[i], c.segs[i + 1]);
    const rs: number[] = [];
    for (const k of c.members) rs.push(...members[k]);
    classRules.push(rs.sort((a, b) => a - b));
  });
  return { atomClass, classRules };
}

interface Prepared {
  fam: Record<Family, FamilyIndex>;
  atomSets: Map<AddrSet, AtomSet>;
  memo: Map<string, AtomSet>;
  /** Atom intervals (as text) -> CIDRs, shared by every device of the policy. */
  cidrs: Map<string, string[]>;
}

const prepared = new WeakMap<PolicyModel, Prepared>();

function pick(s: AddrSet, f: Family): RangeList {
  return f === 4 ? s.v4 : s.v6;
}

/** Indexes the policy once for compiling many devices: atoms over every set in play, rules by src class. */
function prepare(policy: PolicyModel): Prepared {
  const hit = prepared.get(policy);
  if (hit) return hit;
  const extra: AddrSet[] = [];
  for (const z of ZONES) extra.push(policy.zones[z].all, policy.zones[z].live);
  for (const o of policy.orgs) extra.push(o.zones.overheid, o.zones.markt);
  for (const s of policy.services) extra.push(s.set);
  const fam = {} as Record<Family, FamilyIndex>;
  for (const family of [4, 6] as Family[]) {
    const lists = new Set<RangeList>();
    for (const r of policy.rules) {
      lists.add(pick(r.src, family));
      lists.add(pick(r.dst, family));
    }
    for (const e of extra) lists.add(pick(e, family));
    const space = new AtomSpace(family, lists);
    const keys = new Map<RangeList, number>();
    const rules: ERule[] = [];
    policy.rules.forEach((r, ref) => {
      const mask = protoMask(r.proto, family);
      const sl = pick(r.src, family);
      const dl = pick(r.dst, family);
      if (!mask || !sl.length || !dl.length) return;
      let k = keys.get(sl);
      if (k === undefined) keys.set(sl, (k = keys.size));
      rules.push({ src: space.atoms(sl), dst: space.atoms(dl), srcKey: k, dstKey: -1, mask, ports: r.ports ?? [0, 65535], allow: r.action === 'allow', ref });
    });
    fam[family] = { family, space, rules, bySrc: atomIndex(space, rules, 'src'), byDst: atomIndex(space, rules, 'dst') };
  }
  const p: Prepared = { fam, atomSets: new Map(), memo: new Map(), cidrs: new Map() };
  prepared.set(policy, p);
  return p;
}

function atomCount(segs: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < segs.length; i += 2) n += segs[i + 1] - segs[i];
  return n;
}

/** Rules (indices into fi.rules, ascending) whose src (or dst) meets the given atoms: a superset to filter exactly. */
function candidates(ix: AtomIndex, atoms: ArrayLike<number>): number[] {
  const seen = new Set<number>();
  for (let i = 0; i < atoms.length; i += 2) {
    let prev = -2;
    for (let a = atoms[i]; a < atoms[i + 1]; a++) {
      const c = ix.atomClass[a];
      if (c >= 0 && c !== prev) seen.add(c);
      prev = c;
    }
  }
  if (seen.size === 1) return ix.classRules[[...seen][0]];
  const out = new Set<number>();
  for (const c of seen) for (const r of ix.classRules[c]) out.add(r);
  return [...out].sort((a, b) => a - b);
}

// ---------------------------------------------------------------------------------------------------------------
// What lies behind each interface

/** An address set as atom intervals of both families (see engine.ts): set algebra on plain numbers. */
type AtomSet = Record<Family, number[]>;
const NO_ATOMS: AtomSet = { 4: [], 6: [] };

function atomsOf(prep: Prepared, set: AddrSet): AtomSet {
  let a = prep.atomSets.get(set);
  if (!a) {
    a = { 4: Array.from(prep.fam[4].space.atoms(set.v4)), 6: Array.from(prep.fam[6].space.atoms(set.v6)) };
    prep.atomSets.set(set, a);
  }
  return a;
}

function unionA(sets: AtomSet[]): AtomSet {
  let out = NO_ATOMS;
  for (const x of sets) out = { 4: segsUnion(out[4], x[4]), 6: segsUnion(out[6], x[6]) };
  return out;
}

function subtractA(a: AtomSet, b: AtomSet): AtomSet {
  return { 4: segsSubtract(a[4], b[4]), 6: segsSubtract(a[6], b[6]) };
}

function memo(prep: Prepared, key: string, f: () => AtomSet): AtomSet {
  let v = prep.memo.get(key);
  if (!v) prep.memo.set(key, (v = f()));
  return v;
}

/** What a connection point carries in a zone: the organisation and those it serves (all of them without `org`). */
function carriedBy(policy: PolicyModel, prep: Prepared, org: string | undefined, zone: ZoneName): AtomSet {
  return memo(prep, `carried|${org ?? '*'}|${zone}`, () =>
    unionA(policy.orgs.filter((o) => (org ? o.via === org || o.id === org : o.via !== null) && o.joins.includes(zone)).map((o) => atomsOf(prep, o.zones[zone]))),
  );
}

/** A LAN interface that names its organisation carries only that organisation's addresses. */
function lanSet(policy: PolicyModel, prep: Prepared, org: string, zone: ZoneName): AtomSet {
  const o = policy.orgs.find((x) => x.id === org);
  return o?.joins.includes(zone) ? atomsOf(prep, o.zones[zone]) : NO_ATOMS;
}

function kpsSet(policy: PolicyModel, prep: Prepared): AtomSet {
  return memo(prep, 'kps', () => unionA(policy.services.filter((v) => v.provider === 'kps' && v.zone === 'overheid').map((v) => atomsOf(prep, v.set))));
}

function supplierSet(policy: PolicyModel, prep: Prepared, org: string | undefined): AtomSet {
  return memo(prep, `supplier|${org ?? '*'}`, () => {
    const marktServices = policy.services.filter((v) => v.zone === 'markt' && v.provider !== 'kps');
    const sets = marktServices.filter((v) => !org || v.provider === org).map((v) => atomsOf(prep, v.set));
    const providers = new Set(marktServices.map((v) => v.provider));
    for (const o of policy.orgs) if ((org ? o.id === org : providers.has(o.id)) && o.joins.includes('markt')) sets.push(atomsOf(prep, o.zones.markt));
    return unionA(sets);
  });
}

interface Side {
  /** The interface (or, for a border's edge, the interfaces taken together). */
  ifaces: string[];
  label: string;
  kind: NftInterfaceKind;
  /** Addresses behind this interface, per zone it is in. */
  zones: Partial<Record<ZoneName, AtomSet>>;
  /** A border's CE downlinks taken together, for traffic from one CE to another. */
  ceToCe?: boolean;
}

function deviceZone(role: NftRole): ZoneName | undefined {
  return role === 'border-overheid' || role === 'kps-peer' ? 'overheid' : role === 'border-markt' ? 'markt' : undefined;
}

function sides(policy: PolicyModel, prep: Prepared, input: NftDeviceInput): Side[] {
  const out: Side[] = [];
  const dz = deviceZone(input.role);
  const own = input.organisation;
  for (const itf of input.interfaces) {
    const zones: Partial<Record<ZoneName, AtomSet>> = {};
    const z = itf.zone ?? dz;
    switch (itf.kind) {
      case 'lan': {
        if (input.role === 'kps-peer') zones.overheid = kpsSet(policy, prep);
        else if (input.role === 'supplier-router') zones.markt = supplierSet(policy, prep, itf.organisation ?? own);
        else for (const zz of ZONES) zones[zz] = itf.organisation ? lanSet(policy, prep, itf.organisation, zz) : carriedBy(policy, prep, own, zz);
        break;
      }
      case 'uplink':
      case 'peer':
        if (z && input.role !== 'radius') {
          // Everything in the zone except what this device itself serves (anti-spoofing on the way in).
          let inside = NO_ATOMS;
          if (input.role === 'ce') inside = carriedBy(policy, prep, own, z);
          else if (input.role === 'kps-peer') inside = kpsSet(policy, prep);
          else if (input.role === 'supplier-router') inside = supplierSet(policy, prep, own);
          zones[z] = subtractA(atomsOf(prep, policy.zones[z].live), inside);
        }
        break;
      case 'downlink':
        if (z) zones[z] = carriedBy(policy, prep, itf.organisation, z);
        break;
      case 'kps':
        zones.overheid = kpsSet(policy, prep);
        break;
      case 'supplier':
        zones.markt = supplierSet(policy, prep, itf.organisation);
        break;
      case 'mgmt':
        break;
    }
    out.push({ ifaces: [itf.name], label: itf.name, kind: itf.kind, zones });
  }
  // A border filters per CE downlink; the edge behind it (the KPS, all suppliers) is one side, so the ruleset grows
  // with the number of CEs, not with CEs times suppliers. Routing picks the edge interface. Traffic from one CE to
  // another crosses the border too: one chain for all downlinks together (each CE already keeps its own sources
  // honest on its LAN side), so the ruleset does not grow with CEs squared.
  if (input.role === 'border-overheid' || input.role === 'border-markt') {
    const downs = out.filter((x) => x.kind === 'downlink');
    if (downs.length > 1) {
      const zones: Partial<Record<ZoneName, AtomSet>> = {};
      for (const z of ZONES) {
        const parts = downs.map((d) => d.zones[z]).filter((x): x is AtomSet => Boolean(x));
        if (parts.length) zones[z] = unionA(parts);
      }
      out.push({ ifaces: downs.flatMap((d) => d.ifaces), label: 'downlinks', kind: 'downlink', zones, ceToCe: true });
    }
    const edgeKind: NftInterfaceKind = input.role === 'border-overheid' ? 'kps' : 'supplier';
    const edges = out.filter((x) => x.kind === edgeKind);
    if (edges.length > 1) {
      const zones: Partial<Record<ZoneName, AtomSet>> = {};
      for (const z of ZONES) {
        const parts = edges.map((e) => e.zones[z]).filter((x): x is AtomSet => Boolean(x));
        if (parts.length) zones[z] = unionA(parts);
      }
      const group: Side = { ifaces: edges.flatMap((e) => e.ifaces), label: edgeKind === 'kps' ? 'kps' : 'suppliers', kind: edgeKind, zones };
      return [...out.filter((x) => x.kind !== edgeKind), group];
    }
  }
  return out;
}

/** The (in, out) pairs a device forwards between, by role. */
function forwardPairs(role: NftRole, a: Side, b: Side): boolean {
  if (a.ceToCe || b.ceToCe) return a === b;
  if (a.label === b.label) return false;
  const inside = (k: NftInterfaceKind) => k === 'lan';
  const outside = (k: NftInterfaceKind) => k === 'uplink' || k === 'peer';
  switch (role) {
    case 'ce':
    case 'supplier-router':
      return (inside(a.kind) && outside(b.kind)) || (outside(a.kind) && inside(b.kind));
    // A KPS peer's inside is its services and, where another data centre fronts them, its link there (kind kps).
    case 'kps-peer': {
      const kpsInside = (k: NftInterfaceKind) => k === 'lan' || k === 'kps';
      return (kpsInside(a.kind) && outside(b.kind)) || (outside(a.kind) && kpsInside(b.kind));
    }
    // Borders filter between the CEs and what lies behind the zone's edge (the KPS, the suppliers).
    case 'border-overheid':
      return (a.kind === 'downlink' && b.kind === 'kps') || (a.kind === 'kps' && b.kind === 'downlink');
    case 'border-markt':
      return (a.kind === 'downlink' && b.kind === 'supplier') || (a.kind === 'supplier' && b.kind === 'downlink');
    case 'radius':
      return false;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Rendering

const NAME_OK = /^[A-Za-z0-9_.:@+-]{1,15}$/;

function q(s: string): string {
  return `"${s.replace(/["\\]/g, '')}"`;
}

function portsText(ports: PortSet): string {
  const parts: string[] = [];
  for (let i = 0; i < ports.length; i += 2) parts.push(ports[i] === ports[i + 1] ? `${ports[i]}` : `${ports[i]}-${ports[i + 1]}`);
  return parts.length === 1 ? parts[0] : `{ ${parts.join(', ')} }`;
}

class SetNamer {
  private readonly byKey = new Map<string, string>();
  readonly decls: string[] = [];
  /** An nft expression for the set: a named set for groups, the prefix itself for one. */
  ref(family: Family, cidrs: string[]): string {
    if (cidrs.length === 1) return cidrs[0];
    const key = `${family}|${cidrs.join(',')}`;
    let name = this.byKey.get(key);
    if (!name) {
      name = `v${family}_${this.byKey.size + 1}`;
      this.byKey.set(key, name);
      this.decls.push(`\tset ${name} {\n\t\ttype ${family === 4 ? 'ipv4_addr' : 'ipv6_addr'}\n\t\tflags interval\n\t\telements = { ${cidrs.join(', ')} }\n\t}`);
    }
    return `@${name}`;
  }
  /** A named set of interface names (a border's edge interfaces). */
  ifnames(names: string[]): string {
    const key = `if|${names.join(',')}`;
    let name = this.byKey.get(key);
    if (!name) {
      name = `ifs_${this.byKey.size + 1}`;
      this.byKey.set(key, name);
      this.decls.push(`\tset ${name} {\n\t\ttype ifname\n\t\telements = { ${names.map(q).join(', ')} }\n\t}`);
    }
    return `@${name}`;
  }
}

function ruleLines(r: FilterRule, sets: SetNamer, drop: string): string[] {
  const family = r.family;
  const ip = family === 4 ? 'ip' : 'ip6';
  const match = `${ip} saddr ${sets.ref(family, r.src)} ${ip} daddr ${sets.ref(family, r.dst)}`;
  // A counter on every policy rule: which device's filter took a packet is read off the rule's counter (policy trace).
  const verdict = `counter ${r.action === 'allow' ? 'accept' : drop} comment ${q(r.id.slice(0, 120))}`;
  switch (r.proto) {
    case 'tcp':
    case 'udp':
      return [`${match} ${r.ports ? `${r.proto} dport ${portsText(r.ports)}` : `meta l4proto ${r.proto}`} ${verdict}`];
    case 'icmp':
      return family === 4 ? [`${match} meta l4proto icmp ${verdict}`] : [];
    case 'icmpv6':
      return family === 6 ? [`${match} meta l4proto ipv6-icmp ${verdict}`] : [];
    case 'any':
      return [`${match} ${verdict}`];
  }
}

function chainName(a: string, b: string): string {
  return `fwd_${a}_to_${b}`.replace(/[^A-Za-z0-9_]/g, '_');
}

/** One policy rule cut to one interface pair and one address family: plain data, for any platform's packet filter. */
export interface FilterRule {
  id: string;
  action: 'allow' | 'deny';
  proto: RuleModel['proto'];
  /** Port ranges as flat [lo, hi, lo, hi, …] pairs; null: every port (or a protocol without ports). */
  ports: number[] | null;
  family: Family;
  src: string[];
  dst: string[];
}

/** Traffic forwarded from one side (interfaces) to another, filtered by `rules` in first-match order. */
export interface FilterPair {
  /** `<from>_to_<to>` side labels (an interface name, or 'kps' / 'suppliers' for a border's edge taken together). */
  from: { label: string; interfaces: string[] };
  to: { label: string; interfaces: string[] };
  rules: FilterRule[];
}

/** Traffic to the device itself that is accepted (besides loopback, established flows and essential ICMP). */
export interface FilterService {
  interfaces: string[];
  proto: 'tcp' | 'udp';
  ports: number[];
  comment: string;
}

/**
 * A device's whole packet filter as plain, platform-neutral data (JSON-serialisable): what it accepts for itself, the
 * uplinks it never forwards between (the zones never meet), and the policy per interface pair. Drivers render it
 * (linux-frr: nftables, `nftablesTable`). Everything else is dropped.
 */
export interface DeviceFilter {
  deviceId: string;
  role: NftRole;
  services: FilterService[];
  /** Interfaces (uplinks in different zones) between which nothing is forwarded; empty when fewer than two. */
  isolate: string[];
  pairs: FilterPair[];
  /** Log what the policy drops (GGI-Veilig, docs/veilig.md); absent: drop silently. Set by the driver, not the policy. */
  dropLog?: DropLog;
}

/** Every packet the policy drops goes to a packet-log group (read by the device's log daemon), at most `perSecond`. */
export interface DropLog {
  group: number;
  prefix: string;
  perSecond: number;
  burst: number;
}

const DROP_LOG_CHAIN = 'drop_logged';

/**
 * The chain every policy drop jumps to when drops are logged: one rate limit for the whole device (a flood of denied
 * packets cannot become a flood of log lines; above the limit packets are dropped unlogged), then the drop. A `goto`,
 * so a rule's own counter still counts its drops and nothing returns to the rule list.
 */
function dropLogChain(d: DropLog): string {
  return `\tchain ${DROP_LOG_CHAIN} {\n\t\tlimit rate ${d.perSecond}/second burst ${d.burst} packets log prefix ${q(d.prefix)} group ${d.group}\n\t\tdrop\n\t}`;
}

/** The packet filter of one device. Deterministic: the same policy and input give the same filter. */
export function deviceFilter(policy: PolicyModel, input: NftDeviceInput): DeviceFilter {
  for (const itf of input.interfaces) {
    if (!NAME_OK.test(itf.name)) throw new NftInputError(`interface name '${itf.name}' on ${input.deviceId} is not a valid Linux interface name`);
  }
  const prep = prepare(policy);
  const cidrCache = prep.cidrs;
  const cidrsOf = (fi: FamilyIndex, segs: ArrayLike<number>): string[] => {
    const key = `${fi.family}|${Array.prototype.join.call(segs, ',')}`;
    let c = cidrCache.get(key);
    if (!c) cidrCache.set(key, (c = toCidrs(fi.family, fi.space.ranges(segs))));
    return c;
  };
  const ss = sides(policy, prep, input);
  const pairs: FilterPair[] = [];
  for (const a of ss) {
    for (const b of ss) {
      if (!forwardPairs(input.role, a, b)) continue;
      const rules: FilterRule[] = [];
      for (const z of ZONES) {
        const sa = a.zones[z];
        const sb = b.zones[z];
        if (!sa || !sb) continue;
        for (const family of [4, 6] as Family[]) {
          const fi = prep.fam[family];
          const S = sa[family];
          const D = sb[family];
          if (!S.length || !D.length) continue;
          // Look the rules up from the smaller side (a LAN, not the whole zone).
          const cand = atomCount(S) <= atomCount(D) ? candidates(fi.bySrc, S) : candidates(fi.byDst, D);
          for (const ri of cand) {
            const er = fi.rules[ri];
            const si = segsIntersect(er.src, S);
            if (!si.length) continue;
            const di = segsIntersect(er.dst, D);
            if (!di.length) continue;
            const r = policy.rules[er.ref];
            rules.push({ id: r.id, action: r.action, proto: r.proto, ports: r.ports, family, src: cidrsOf(fi, si), dst: cidrsOf(fi, di) });
          }
        }
      }
      if (rules.length) pairs.push({ from: { label: a.label, interfaces: a.ifaces }, to: { label: b.label, interfaces: b.ifaces }, rules });
    }
  }

  const names = (kinds: NftInterfaceKind[]) => input.interfaces.filter((i) => kinds.includes(i.kind)).map((i) => i.name);
  const uplinks = names(['uplink']);
  const mgmt = names(['mgmt']);
  const routing = names(['uplink', 'downlink', 'kps', 'supplier', 'peer']);
  const services: FilterService[] = [];
  if (mgmt.length) services.push({ interfaces: mgmt, proto: 'tcp', ports: [22], comment: 'ssh (management)' });
  if (routing.length && input.role !== 'radius') services.push({ interfaces: routing, proto: 'tcp', ports: [179], comment: 'bgp' });
  // BFD control packets (RFC 5881, single hop): without them every session's BFD stays down and failover waits for BGP.
  if (routing.length && input.role !== 'radius') services.push({ interfaces: routing, proto: 'udp', ports: [3784], comment: 'bfd' });
  if (input.role === 'radius') {
    const rad = names(['lan', 'uplink', 'downlink', 'peer']);
    if (rad.length) {
      services.push({ interfaces: rad, proto: 'udp', ports: [1812, 1813], comment: 'radius' });
      services.push({ interfaces: rad, proto: 'tcp', ports: [2083], comment: 'radsec' });
    }
  }
  return { deviceId: input.deviceId, role: input.role, services, isolate: uplinks.length > 1 ? uplinks : [], pairs };
}

/**
 * `table inet ggi { … }` for a device's filter: sets, the input chain, the forward chain (drop by policy, established
 * and related accepted, no forwarding between uplinks, a jump per interface pair) and one chain per pair holding the
 * policy rules in order. Deterministic.
 */
export function nftablesTable(filter: DeviceFilter): string {
  const sets = new SetNamer();
  const jumps: string[] = [];
  const chains: string[] = [];
  const drop = filter.dropLog ? `goto ${DROP_LOG_CHAIN}` : 'drop';
  for (const p of filter.pairs) {
    const lines = p.rules.flatMap((r) => ruleLines(r, sets, drop).map((l) => `\t\t${l}`));
    if (!lines.length) continue;
    const name = chainName(p.from.label, p.to.label);
    const ifs = (l: string[]) => (l.length === 1 ? q(l[0]) : sets.ifnames(l));
    jumps.push(`\t\tiifname ${ifs(p.from.interfaces)} oifname ${ifs(p.to.interfaces)} jump ${name}`);
    chains.push(`\tchain ${name} {\n${lines.join('\n')}\n\t}`);
  }
  const ifset = (n: string[]) => (n.length === 1 ? q(n[0]) : `{ ${n.map(q).join(', ')} }`);
  const input_: string[] = [
    '\t\ttype filter hook input priority filter; policy drop;',
    '\t\tiif "lo" accept',
    '\t\tct state established,related accept',
    '\t\tct state invalid drop',
    // Neighbour discovery and the ICMPv6 errors IPv6 cannot work without (RFC 4890).
    '\t\tmeta l4proto ipv6-icmp icmpv6 type { destination-unreachable, packet-too-big, time-exceeded, parameter-problem, echo-request, nd-router-solicit, nd-router-advert, nd-neighbor-solicit, nd-neighbor-advert } accept comment "icmpv6 essentials"',
    '\t\tmeta l4proto icmp icmp type { destination-unreachable, time-exceeded, parameter-problem, echo-request } accept comment "icmp essentials"',
  ];
  for (const s of filter.services) {
    const ports = s.ports.length === 1 ? `${s.ports[0]}` : `{ ${s.ports.join(', ')} }`;
    input_.push(`\t\tiifname ${ifset(s.interfaces)} ${s.proto} dport ${ports} accept comment ${q(s.comment)}`);
  }
  const forward: string[] = [
    '\t\ttype filter hook forward priority filter; policy drop;',
    '\t\tct state established,related accept',
    '\t\tct state invalid drop',
  ];
  if (filter.isolate.length > 1) forward.push(`\t\tiifname ${ifset(filter.isolate)} oifname ${ifset(filter.isolate)} ${drop} comment "zones never exchange traffic"`);
  forward.push(...jumps);
  // What no rule took: counted, then dropped as the chain's policy would (the default deny, made visible).
  forward.push(`\t\tcounter ${drop} comment "ggi: default deny"`);
  const out: string[] = ['table inet ggi {'];
  out.push(...sets.decls);
  out.push(`\tchain input {\n${input_.join('\n')}\n\t}`);
  out.push(`\tchain forward {\n${forward.join('\n')}\n\t}`);
  if (filter.dropLog) out.push(dropLogChain(filter.dropLog));
  out.push(...chains);
  out.push('}', '');
  return out.join('\n');
}

/**
 * The ruleset of one device as a file that replaces only `table inet ggi` (it first creates and deletes that table,
 * then declares it whole, atomically in one `nft -f`), leaving other tables alone.
 */
export function nftablesForDevice(policy: PolicyModel, input: NftDeviceInput): string {
  return [
    `# ggi: nftables ruleset for ${input.deviceId} (${input.role}); generated from the policy, do not edit`,
    '# Only the table "inet ggi" is replaced; other tables on the device are left alone.',
    'table inet ggi',
    'delete table inet ggi',
    nftablesTable(deviceFilter(policy, input)),
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------------------------
// Flat rules for the cloud hub firewall

export interface FlatRule {
  ruleId: string;
  action: 'pass' | 'drop';
  proto: 'tcp' | 'udp' | 'icmp' | 'icmpv6' | 'ip';
  src: string[];
  dst: string[];
  /** "443" or "1024-65535"; null for every port or a protocol without ports. */
  dports: string | null;
}

const FAMILIES: readonly Family[] = [4, 6];
/** A side with no address in a zone and family (never emitted, never mutated). */
const NO_CIDRS: string[] = [];

/**
 * The policy as flat rules in precedence order, for firewalls that take 5-tuples. Each policy rule is cut per zone
 * (so no flat rule ever spans the zones) and per family; ports become one rule per range.
 */
export function flattenRules(policy: PolicyModel): FlatRule[] {
  const out: FlatRule[] = [];
  // A national policy has ~11,000 distinct address sets but builds them from ~1,300 distinct ranges (organisations'
  // prefixes), so each range is cut to each zone's live addresses and printed once. intersect and toCidrs both work
  // range by range, so a set's per-range results, concatenated in order, are exactly toCidrs(intersect(set, live)).
  interface RangeCut {
    lo: bigint;
    hi: bigint;
    /** By zone (index into ZONES): the CIDRs of the range within the zone's live addresses. */
    cidrs: string[][];
  }
  const rangeCuts: Record<Family, Map<number, RangeCut[]>> = { 4: new Map(), 6: new Map() };
  const rangeCut = (family: Family, r: Range): string[][] => {
    // Keyed by a number from the range's start, not the bigint itself: V8 hashes a BigInt by its low 64 bits, zero for
    // nearly every IPv6 prefix. Ranges that share the number share a bucket.
    const key = family === 4 ? Number(r.lo) : Number(BigInt.asUintN(53, r.lo ^ (r.lo >> 64n)));
    let bucket = rangeCuts[family].get(key);
    if (!bucket) rangeCuts[family].set(key, (bucket = []));
    for (const c of bucket) if (c.lo === r.lo && c.hi === r.hi) return c.cidrs;
    const cidrs = ZONES.map((z) => toCidrs(family, intersect([r], pick(policy.zones[z].live, family))));
    bucket.push({ lo: r.lo, hi: r.hi, cidrs });
    return cidrs;
  };
  // A rule side's CIDRs per zone and family (slot: zone index * FAMILIES.length + family index), once per address set:
  // rules share sets (20,000 rules, 11,000 sources, 200 destinations), and one lookup per side replaces one per cut.
  const setCuts = new Map<AddrSet, string[][]>();
  const cutsOf = (set: AddrSet): string[][] => {
    let cuts = setCuts.get(set);
    if (!cuts) {
      cuts = [];
      for (let i = 0; i < ZONES.length * FAMILIES.length; i++) cuts.push(NO_CIDRS);
      for (let fi = 0; fi < FAMILIES.length; fi++) {
        const list = pick(set, FAMILIES[fi]);
        for (let ri = 0; ri < list.length; ri++) {
          const byZone = rangeCut(FAMILIES[fi], list[ri]);
          for (let zi = 0; zi < ZONES.length; zi++) {
            const c = cuts[zi * FAMILIES.length + fi];
            const t = byZone[zi];
            // Most sets meet a zone in one range: then that range's (shared, never mutated) array is the side's.
            if (t.length) cuts[zi * FAMILIES.length + fi] = c.length ? c.concat(t) : t;
          }
        }
      }
      setCuts.set(set, cuts);
    }
    return cuts;
  };
  for (const r of policy.rules) {
    const proto: FlatRule['proto'] = r.proto === 'any' ? 'ip' : r.proto;
    const action = r.action === 'allow' ? 'pass' : 'drop';
    const ports = r.ports && (r.proto === 'tcp' || r.proto === 'udp') ? r.ports : null;
    const srcCuts = cutsOf(r.src);
    const dstCuts = cutsOf(r.dst);
    for (let zi = 0; zi < ZONES.length; zi++) {
      for (let fi = 0; fi < FAMILIES.length; fi++) {
        if (!protoMask(r.proto, FAMILIES[fi])) continue;
        const src = srcCuts[zi * FAMILIES.length + fi];
        const dst = dstCuts[zi * FAMILIES.length + fi];
        if (!src.length || !dst.length) continue;
        if (ports) {
          for (let i = 0; i < ports.length; i += 2) {
            out.push({ ruleId: r.id, action, proto, src, dst, dports: ports[i] === ports[i + 1] ? `${ports[i]}` : `${ports[i]}-${ports[i + 1]}` });
          }
        } else out.push({ ruleId: r.id, action, proto, src, dst, dports: null });
      }
    }
  }
  return out;
}
