import type { Loc } from '../model/source';
import { formatAddress } from '../net';
import { type AddrSet, EMPTY_SET, type Family, normalize, type RangeList, setEquals, setFromCidrs, setIntersect, setIsEmpty, setSubtract, setUnion, toCidrs } from './addr';
import {
  bitName,
  compileFamily,
  decompose,
  type ERule,
  firstMatch,
  hasPorts,
  ICMP,
  OTHER,
  PROTO_BITS,
  psIntersect,
  type RuleLike,
  segsUnion,
  TCP,
  UDP,
} from './engine';
import type { PolicyModel, PortSet, RuleModel, ZoneName } from './types';
import { ZONES } from './types';

/**
 * Differential reachability on end-to-end verdicts. The network's verdict is the rules' first match restricted to
 * what the structure carries (src and dst both live in one zone), so each rule is cut per zone into
 * `rule ∩ (live_Z × live_Z)`; that list, first match, default deny, is exactly the end-to-end verdict.
 *
 * Only cells of the packet space that some changed zone-rule covers can change verdict (elsewhere both versions
 * hold the same rules in the same order), so the decomposition is clipped to those.
 */

export interface ChangeExample {
  src: string;
  dst: string;
  proto: 'tcp' | 'udp' | 'icmp' | 'icmpv6' | 'any';
  dport?: number;
}

export interface Change {
  src: string[];
  dst: string[];
  /** `other` is every IP protocol besides tcp, udp and icmp/icmpv6; `any` is all of them. */
  proto: 'tcp' | 'udp' | 'icmp' | 'icmpv6' | 'other' | 'any';
  dports: string | null;
  example: ChangeExample;
  rules: string[];
}

export interface DiffResult {
  opened: Change[];
  closed: Change[];
  /** Where the responsible rules are declared: head rules for opened, base rules for closed. */
  locations: { head: Map<string, Loc>; base: Map<string, Loc> };
}

interface ZoneRule {
  rule: RuleModel;
  zone: ZoneName;
  src: AddrSet;
  dst: AddrSet;
}

function zoneRules(policy: PolicyModel): ZoneRule[] {
  const cache = new Map<AddrSet, Map<ZoneName, AddrSet>>();
  const cut = (s: AddrSet, z: ZoneName): AddrSet => {
    let m = cache.get(s);
    if (!m) cache.set(s, (m = new Map()));
    let r = m.get(z);
    if (!r) m.set(z, (r = setIntersect(s, policy.zones[z].live)));
    return r;
  };
  const out: ZoneRule[] = [];
  const add = (rule: RuleModel, src: AddrSet, dst: AddrSet) => {
    for (const z of ZONES) {
      const s = cut(src, z);
      const d = cut(dst, z);
      if ((s.v4.length && d.v4.length) || (s.v6.length && d.v6.length)) out.push({ rule, zone: z, src: s, dst: d });
    }
  };
  // Flows GGI-Netwerk never carries (scope.ts) have a verdict of their own in both versions: as leading denies they can
  // never change verdict, so the diff reports none of them.
  for (const { rule, set } of notGgiParties(policy)) add(rule, set, set);
  for (const r of policy.rules) {
    add(r, r.src, r.dst);
  }
  return out;
}

/** A pseudo-rule id no declared rule can have (ids are [a-z0-9-]+). */
const NOT_GGI = '\u0000not-ggi';

/**
 * The parties of `flowScope` as address sets, in its precedence: all services together (service to service is never
 * GGI traffic), then each organisation's addresses not already a service's or an earlier organisation's, with the
 * services it provides.
 */
function notGgiParties(policy: PolicyModel): Array<{ rule: RuleModel; set: AddrSet }> {
  const pseudo = (party: string): RuleModel => ({
    id: `${NOT_GGI}:${party}`,
    order: -1,
    action: 'deny',
    proto: 'any',
    ports: null,
    src: EMPTY_SET,
    dst: EMPTY_SET,
    from: {},
    to: {},
    owner: '',
    reason: 'not GGI traffic',
    loc: { file: '', path: [] },
  });
  const out: Array<{ rule: RuleModel; set: AddrSet }> = [];
  const byProvider = new Map<string, AddrSet[]>();
  const services: AddrSet = { v4: [], v6: [] };
  for (const v of policy.services) {
    services.v4.push(...v.set.v4);
    services.v6.push(...v.set.v6);
    const l = byProvider.get(v.provider);
    if (l) l.push(v.set);
    else byProvider.set(v.provider, [v.set]);
  }
  const taken: AddrSet = { v4: normalize(services.v4), v6: normalize(services.v6) };
  if (!setIsEmpty(taken)) out.push({ rule: pseudo('services'), set: taken });
  const claimed: AddrSet = { v4: taken.v4.slice(), v6: taken.v6.slice() };
  const seen = new Set<string>();
  for (const o of policy.orgs) {
    if (seen.has(o.id)) continue;
    seen.add(o.id);
    const mine: AddrSet = { v4: [...o.zones.overheid.v4, ...o.zones.markt.v4], v6: [...o.zones.overheid.v6, ...o.zones.markt.v6] };
    const own = setSubtract({ v4: normalize(mine.v4), v6: normalize(mine.v6) }, claimed);
    // Kept sorted and disjoint for the next subtraction.
    claimed.v4 = normalize([...claimed.v4, ...own.v4]);
    claimed.v6 = normalize([...claimed.v6, ...own.v6]);
    let set = own;
    for (const x of byProvider.get(o.id) ?? []) set = setUnion(set, x);
    if (!setIsEmpty(set)) out.push({ rule: pseudo(o.id), set });
  }
  return out;
}

function samePorts(a: PortSet | null, b: PortSet | null): boolean {
  if (a === null || b === null) return a === b;
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function sameZoneRule(a: ZoneRule, b: ZoneRule): boolean {
  return (
    a.zone === b.zone &&
    a.rule.action === b.rule.action &&
    a.rule.proto === b.rule.proto &&
    samePorts(a.rule.ports, b.rule.ports) &&
    (a.src === b.src || setEquals(a.src, b.src)) &&
    (a.dst === b.dst || setEquals(a.dst, b.dst))
  );
}

/** Longest increasing subsequence (indices into `seq`). */
function lis(seq: number[]): Set<number> {
  const tails: number[] = [];
  const prev = new Array<number>(seq.length).fill(-1);
  for (let i = 0; i < seq.length; i++) {
    let lo = 0;
    let hi = tails.length;
    while (lo < hi) {
      const m = (lo + hi) >> 1;
      if (seq[tails[m]] < seq[i]) lo = m + 1;
      else hi = m;
    }
    if (lo > 0) prev[i] = tails[lo - 1];
    tails[lo] = i;
  }
  const out = new Set<number>();
  for (let k = tails.length ? tails[tails.length - 1] : -1; k >= 0; k = prev[k]) out.add(k);
  return out;
}

interface Entry extends RuleLike {
  inA: boolean;
  inB: boolean;
  /** Rule ids in base and head (the same for shared entries). */
  a?: RuleModel;
  b?: RuleModel;
}

/** Both versions' zone-rules merged into one sequence whose restriction to either version is that version's order. */
function mergeVersions(base: ZoneRule[], head: ZoneRule[]): Entry[] {
  const key = (z: ZoneRule) => `${z.rule.id}\u0000${z.zone}`;
  const headByKey = new Map<string, number>();
  for (let i = 0; i < head.length; i++) headByKey.set(key(head[i]), i);
  const candA: number[] = [];
  const candB: number[] = [];
  base.forEach((z, i) => {
    const j = headByKey.get(key(z));
    if (j !== undefined && sameZoneRule(z, head[j])) {
      candA.push(i);
      candB.push(j);
    }
  });
  const keep = lis(candB);
  const pairA = new Map<number, number>();
  const pairB = new Set<number>();
  candA.forEach((i, k) => {
    if (keep.has(k)) {
      pairA.set(i, candB[k]);
      pairB.add(candB[k]);
    }
  });
  const entry = (z: ZoneRule, inA: boolean, inB: boolean, a?: RuleModel, b?: RuleModel): Entry => ({
    src: z.src,
    dst: z.dst,
    proto: z.rule.proto,
    ports: z.rule.ports,
    allow: z.rule.action === 'allow',
    inA,
    inB,
    a,
    b,
  });
  const out: Entry[] = [];
  let j = 0;
  for (let i = 0; i < base.length; i++) {
    const pj = pairA.get(i);
    if (pj === undefined) {
      out.push(entry(base[i], true, false, base[i].rule));
      continue;
    }
    while (j < pj) {
      if (!pairB.has(j)) out.push(entry(head[j], false, true, undefined, head[j].rule));
      j++;
    }
    out.push(entry(base[i], true, true, base[i].rule, head[pj].rule));
    j = pj + 1;
  }
  for (; j < head.length; j++) if (!pairB.has(j)) out.push(entry(head[j], false, true, undefined, head[j].rule));
  return out;
}

interface RawPiece {
  dir: 'opened' | 'closed';
  family: Family;
  bit: number;
  lo: number;
  hi: number;
  rule: RuleModel;
  dst: number[];
  src: number[];
}

/** Every region of packets whose end-to-end verdict differs between `base` and `head`. */
export function diffPolicies(base: PolicyModel, head: PolicyModel): DiffResult {
  const entries = mergeVersions(zoneRules(base), zoneRules(head));
  const raw: RawPiece[] = [];
  const spaces = new Map<Family, ReturnType<typeof compileFamily>>();
  for (const family of [4, 6] as Family[]) {
    const fr = compileFamily(family, entries);
    spaces.set(family, fr);
    const rules = fr.rules;
    const changed = (r: ERule): boolean => !(entries[r.ref].inA && entries[r.ref].inB);
    let dstClip: number[] = [];
    for (const r of rules) if (changed(r)) dstClip = segsUnion(dstClip, r.dst);
    if (!dstClip.length) continue;
    decompose(
      fr,
      (dseg, sseg, idxs) => {
        const ia = idxs.filter((i) => entries[rules[i].ref].inA);
        const ib = idxs.filter((i) => entries[rules[i].ref].inB);
        for (const bit of PROTO_BITS) {
          const pa = firstMatch(rules, ia, bit, true);
          const pb = firstMatch(rules, ib, bit, true);
          // Walk both partitions of the port range together.
          for (const x of pa) {
            const allowA = x.rule >= 0 && rules[x.rule].allow;
            for (const y of pb) {
              const allowB = y.rule >= 0 && rules[y.rule].allow;
              if (allowA === allowB) continue;
              const ov = psIntersect(x.ports, y.ports);
              for (let k = 0; k < ov.length; k += 2) {
                const dir = allowB ? 'opened' : 'closed';
                const rule = dir === 'opened' ? entries[rules[y.rule].ref].b! : entries[rules[x.rule].ref].a!;
                raw.push({ dir, family, bit, lo: ov[k], hi: ov[k + 1], rule, dst: dseg, src: sseg });
              }
            }
          }
        }
      },
      {
        dstClip,
        keepDst: (m) => m.some((i) => changed(rules[i])),
        srcClip: (m) => {
          let c: number[] = [];
          for (const i of m) if (changed(rules[i])) c = segsUnion(c, rules[i].src);
          return c;
        },
        keepCell: (m) => m.some((i) => changed(rules[i])),
      },
    );
  }
  const locations = { head: new Map<string, Loc>(), base: new Map<string, Loc>() };
  const opened = group(raw.filter((p) => p.dir === 'opened'), spaces);
  const closed = group(raw.filter((p) => p.dir === 'closed'), spaces);
  for (const p of raw) (p.dir === 'opened' ? locations.head : locations.base).set(p.rule.id, p.rule.loc);
  return { opened, closed, locations };
}

/** Groups pieces into readable changes: same rule, protocol and ports; sources merged per destination, then back. */
function group(pieces: RawPiece[], spaces: Map<Family, ReturnType<typeof compileFamily>>): Change[] {
  // 1. per (family, rule, bit, ports, dst): union of src
  const k1 = new Map<string, { p: RawPiece; src: number[] }>();
  for (const p of pieces) {
    const k = `${p.family}|${p.rule.id}|${p.bit}|${p.lo}-${p.hi}|${p.dst.join(',')}`;
    const g = k1.get(k);
    if (g) g.src = segsUnion(g.src, p.src);
    else k1.set(k, { p, src: p.src });
  }
  // 2. per (family, rule, bit, ports, src): union of dst
  const k2 = new Map<string, { p: RawPiece; src: number[]; dst: number[] }>();
  for (const { p, src } of k1.values()) {
    const k = `${p.family}|${p.rule.id}|${p.bit}|${p.lo}-${p.hi}|${src.join(',')}`;
    const g = k2.get(k);
    if (g) g.dst = segsUnion(g.dst, p.dst);
    else k2.set(k, { p, src, dst: p.dst });
  }
  // 3. a region open for every protocol and port is one `any` change
  const k3 = new Map<string, Array<{ p: RawPiece; src: number[]; dst: number[] }>>();
  for (const g of k2.values()) {
    const k = `${g.p.family}|${g.p.rule.id}|${g.src.join(',')}|${g.dst.join(',')}`;
    const l = k3.get(k);
    if (l) l.push(g);
    else k3.set(k, [g]);
  }
  const out: Array<Change & { sort: string }> = [];
  for (const list of k3.values()) {
    const full = (bit: number) => list.some((g) => g.p.bit === bit && (!hasPorts(bit) || (g.p.lo === 0 && g.p.hi === 65535)));
    const { family } = list[0].p;
    const fr = spaces.get(family)!;
    const src = toCidrs(family, fr.space.ranges(list[0].src));
    const dst = toCidrs(family, fr.space.ranges(list[0].dst));
    const ex = { src: formatAddress(family, fr.space.lo(list[0].src[0])), dst: formatAddress(family, fr.space.lo(list[0].dst[0])) };
    const sort = `${list[0].p.rule.order.toString().padStart(8, '0')}|${family}|${ex.src}|${ex.dst}`;
    if (full(TCP) && full(UDP) && full(ICMP) && full(OTHER)) {
      out.push({ src, dst, proto: 'any', dports: null, example: { ...ex, proto: 'any' }, rules: [list[0].p.rule.id], sort });
      continue;
    }
    for (const g of list.sort((a, b) => a.p.bit - b.p.bit || a.p.lo - b.p.lo)) {
      const name = bitName(g.p.bit, family);
      const ports = hasPorts(g.p.bit);
      const dports = !ports || (g.p.lo === 0 && g.p.hi === 65535) ? null : g.p.lo === g.p.hi ? `${g.p.lo}` : `${g.p.lo}-${g.p.hi}`;
      out.push({
        src,
        dst,
        proto: name,
        dports,
        example: { ...ex, proto: name === 'other' ? 'any' : name, ...(ports ? { dport: g.p.lo } : {}) },
        rules: [g.p.rule.id],
        sort: `${sort}|${g.p.bit}|${String(g.p.lo).padStart(5, '0')}`,
      });
    }
  }
  out.sort((a, b) => (a.sort < b.sort ? -1 : a.sort > b.sort ? 1 : 0));
  return out.map(({ sort: _s, ...c }) => c);
}

export type { RangeList };

/**
 * Who a change's addresses belong to, for people reading a diff: services and organisations whose addresses it
 * touches (by name, a few), else a count.
 */
export function describeAddresses(policy: PolicyModel, cidrs: readonly string[], max = 3): string {
  let set: AddrSet = { v4: [], v6: [] };
  try {
    set = setFromCidrs(cidrs);
  } catch {
    return '';
  }
  const touches = (s: AddrSet) => setIntersect(s, set).v4.length > 0 || setIntersect(s, set).v6.length > 0;
  const services = policy.services.filter((v) => touches(v.set)).map((v) => v.name);
  const orgs = policy.orgs.filter((o) => touches(o.zones.overheid) || touches(o.zones.markt)).map((o) => o.id);
  const parts: string[] = [];
  if (services.length) parts.push(services.length <= max ? services.join(', ') : `${services.length} services`);
  if (orgs.length) parts.push(orgs.length <= max ? orgs.join(', ') : `${orgs.length} organisations`);
  return parts.join('; ');
}
