import { type AddrSet, BITS, type Family, MAX, type Range, type RangeList } from './addr';
import type { DeclProto, PortSet } from './types';

/**
 * The exact packet-space engine.
 *
 * Per address family the address space is cut into atoms: the intervals between consecutive boundaries of every
 * address set in play, so every set is an exact union of atoms (an atom-interval list, Int32Array [a0,b0,a1,b1…],
 * half-open). A packet is (src atom, dst atom, protocol, port). Protocols are four classes: tcp, udp, icmp (icmpv6 in
 * IPv6) and other; tcp and udp have ports 0–65535, the others one pseudo-port 0.
 *
 * `decompose` enumerates the space as cells: a dst class (dst atoms matched by exactly the same rules) times a src
 * class within it (src atoms matched by the same rules among those). Inside a cell only the protocol/port dimension
 * is left, where first-match is a sweep over port intervals. Classes are found by sweeping interval endpoints with an
 * order-independent 72-bit random signature of the active rule set, so the cost follows the number of intervals, not
 * the number of atoms or packets.
 */

export const TCP = 1;
export const UDP = 2;
export const ICMP = 4;
export const OTHER = 8;
export const PROTO_BITS = [TCP, UDP, ICMP, OTHER] as const;
export const ALL_PORTS: PortSet = [0, 65535];
export const NO_PORT: PortSet = [0, 0];

export function protoMask(proto: DeclProto, family: Family): number {
  switch (proto) {
    case 'tcp':
      return TCP;
    case 'udp':
      return UDP;
    case 'icmp':
      return family === 4 ? ICMP : 0;
    case 'icmpv6':
      return family === 6 ? ICMP : 0;
    case 'any':
      return TCP | UDP | ICMP | OTHER;
  }
}

export function bitName(bit: number, family: Family): 'tcp' | 'udp' | 'icmp' | 'icmpv6' | 'other' {
  return bit === TCP ? 'tcp' : bit === UDP ? 'udp' : bit === ICMP ? (family === 4 ? 'icmp' : 'icmpv6') : 'other';
}

export function hasPorts(bit: number): boolean {
  return (bit & (TCP | UDP)) !== 0;
}

// ---------------------------------------------------------------------------------------------------------------
// Port sets (flat inclusive intervals)

export function psIntersect(a: PortSet, b: PortSet): PortSet {
  return intersectPairs(a, b, 1);
}

/**
 * The intersection of two sorted lists of [lo, hi] pairs, by merging them. `closed` 1: closed intervals, so a
 * single shared value counts; 0: half-open segments, which must share more than an end point.
 */
function intersectPairs(a: ArrayLike<number>, b: ArrayLike<number>, closed: 0 | 1): number[] {
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const lo = Math.max(a[i], b[j]);
    const hi = Math.min(a[i + 1], b[j + 1]);
    if (lo < hi + closed) out.push(lo, hi);
    if (a[i + 1] < b[j + 1]) i += 2;
    else j += 2;
  }
  return out;
}

export function psOverlaps(a: PortSet, b: PortSet): boolean {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (Math.max(a[i], b[j]) <= Math.min(a[i + 1], b[j + 1])) return true;
    if (a[i + 1] < b[j + 1]) i += 2;
    else j += 2;
  }
  return false;
}

export function psSubtract(a: PortSet, b: PortSet): PortSet {
  const out: number[] = [];
  let j = 0;
  for (let i = 0; i < a.length; i += 2) {
    let lo = a[i];
    const hi = a[i + 1];
    while (j < b.length && b[j + 1] < lo) j += 2;
    let k = j;
    while (k < b.length && b[k] <= hi) {
      if (b[k] > lo) out.push(lo, b[k] - 1);
      if (b[k + 1] >= hi) {
        lo = hi + 1;
        break;
      }
      lo = b[k + 1] + 1;
      k += 2;
    }
    if (lo <= hi) out.push(lo, hi);
  }
  return out;
}

export function psUnion(a: PortSet, b: PortSet): PortSet {
  if (!a.length) return b;
  if (!b.length) return a;
  return unionPairs(a, b, 1);
}

/**
 * The union of two lists of [lo, hi] pairs, flat and sorted. `touch` 1: closed intervals, so [1,2] and [3,4] join;
 * 0: half-open segments, which join only when they meet or overlap.
 */
function unionPairs(a: ArrayLike<number>, b: ArrayLike<number>, touch: 0 | 1): number[] {
  const pairs: Array<[number, number]> = [];
  for (let i = 0; i < a.length; i += 2) pairs.push([a[i], a[i + 1]]);
  for (let i = 0; i < b.length; i += 2) pairs.push([b[i], b[i + 1]]);
  pairs.sort((x, y) => x[0] - y[0]);
  const out: number[] = [];
  for (const [lo, hi] of pairs) {
    const n = out.length;
    if (n && lo <= out[n - 1] + touch) out[n - 1] = Math.max(out[n - 1], hi);
    else out.push(lo, hi);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Atoms

function cmpBig(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export class AtomSpace {
  readonly bounds: bigint[];
  private readonly cache = new Map<RangeList, Int32Array>();

  constructor(readonly family: Family, lists: Iterable<RangeList>) {
    const all: bigint[] = [0n, MAX[family] + 1n];
    const seen = new Set<RangeList>();
    for (const l of lists) {
      if (seen.has(l)) continue;
      seen.add(l);
      for (const r of l) all.push(r.lo, r.hi + 1n);
    }
    all.sort(cmpBig);
    const b: bigint[] = [];
    for (const x of all) if (!b.length || b[b.length - 1] !== x) b.push(x);
    this.bounds = b;
  }

  /** The index of a boundary (exact). */
  private indexOf(v: bigint): number {
    const b = this.bounds;
    let lo = 0;
    let hi = b.length - 1;
    while (lo <= hi) {
      const m = (lo + hi) >> 1;
      const x = b[m];
      if (x < v) lo = m + 1;
      else if (x > v) hi = m - 1;
      else return m;
    }
    return -1;
  }

  get size(): number {
    return this.bounds.length - 1;
  }

  /** The atom intervals of a range list; every boundary must be one of this space's (it was built from the list). */
  atoms(list: RangeList): Int32Array {
    const hit = this.cache.get(list);
    if (hit) return hit;
    const out: number[] = [];
    for (const r of list) {
      const a = this.indexOf(r.lo);
      const b = this.indexOf(r.hi + 1n);
      if (a < 0 || b < 0) throw new Error('internal: range boundary not in the atom space');
      const n = out.length;
      if (n && out[n - 1] === a) out[n - 1] = b;
      else out.push(a, b);
    }
    const arr = Int32Array.from(out);
    this.cache.set(list, arr);
    return arr;
  }

  atomOf(v: bigint): number {
    let lo = 0;
    let hi = this.bounds.length - 2;
    while (lo < hi) {
      const m = (lo + hi + 1) >> 1;
      if (this.bounds[m] <= v) lo = m;
      else hi = m - 1;
    }
    return lo;
  }

  lo(atom: number): bigint {
    return this.bounds[atom];
  }

  /** Atom intervals back to address ranges. */
  ranges(segs: ArrayLike<number>): RangeList {
    const out: Range[] = [];
    for (let i = 0; i < segs.length; i += 2) {
      const lo = this.bounds[segs[i]];
      const hi = this.bounds[segs[i + 1]] - 1n;
      const n = out.length;
      if (n && out[n - 1].hi + 1n === lo) out[n - 1].hi = hi;
      else out.push({ lo, hi });
    }
    return out;
  }
}

export function segsIntersect(a: ArrayLike<number>, b: ArrayLike<number>): number[] {
  if (!a.length || !b.length) return [];
  if (a.length * 8 < b.length) return segsIntersectSmall(a, b);
  if (b.length * 8 < a.length) return segsIntersectSmall(b, a);
  return intersectPairs(a, b, 0);
}

function segsIntersectSmall(small: ArrayLike<number>, big: ArrayLike<number>): number[] {
  const out: number[] = [];
  const n = big.length >> 1;
  for (let i = 0; i < small.length; i += 2) {
    const s0 = small[i];
    const s1 = small[i + 1];
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const m = (lo + hi) >> 1;
      if (big[2 * m + 1] <= s0) lo = m + 1;
      else hi = m;
    }
    for (let j = lo; j < n && big[2 * j] < s1; j++) {
      const x = Math.max(big[2 * j], s0);
      const y = Math.min(big[2 * j + 1], s1);
      if (x < y) out.push(x, y);
    }
  }
  return out;
}

export function segsUnion(a: ArrayLike<number>, b: ArrayLike<number>): number[] {
  return unionPairs(a, b, 0);
}

export function segsSubtract(a: ArrayLike<number>, b: ArrayLike<number>): number[] {
  const out: number[] = [];
  let j = 0;
  for (let i = 0; i < a.length; i += 2) {
    let lo = a[i];
    const hi = a[i + 1];
    while (j < b.length && b[j + 1] <= lo) j += 2;
    let k = j;
    while (k < b.length && b[k] < hi) {
      if (b[k] > lo) out.push(lo, b[k]);
      lo = Math.max(lo, b[k + 1]);
      k += 2;
    }
    if (lo < hi) out.push(lo, hi);
  }
  return out;
}

export function segsContains(a: ArrayLike<number>, atom: number): boolean {
  let lo = 0;
  let hi = a.length / 2 - 1;
  while (lo <= hi) {
    const m = (lo + hi) >> 1;
    if (a[2 * m + 1] <= atom) lo = m + 1;
    else if (a[2 * m] > atom) hi = m - 1;
    else return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------------------------
// Rules in one family

export interface ERule {
  src: Int32Array;
  dst: Int32Array;
  /** Identity of the src set (rules sharing a selector share it). */
  srcKey: number;
  /** Identity of the dst set. */
  dstKey: number;
  mask: number;
  /** Ports for tcp/udp. */
  ports: PortSet;
  allow: boolean;
  /** The caller's index (e.g. the RuleModel's position). */
  ref: number;
}

export interface RuleLike {
  src: AddrSet;
  dst: AddrSet;
  proto: DeclProto;
  ports: PortSet | null;
  allow: boolean;
}

export interface FamilyRules {
  family: Family;
  space: AtomSpace;
  rules: ERule[];
}

/** Compiles rules into one family's atom space; `extra` sets get boundaries too (guardrails, zones, clips). */
export function compileFamily(family: Family, items: readonly RuleLike[], extra: readonly AddrSet[] = []): FamilyRules {
  const pick = (s: AddrSet): RangeList => (family === 4 ? s.v4 : s.v6);
  const lists = new Set<RangeList>();
  for (const it of items) {
    lists.add(pick(it.src));
    lists.add(pick(it.dst));
  }
  for (const e of extra) lists.add(pick(e));
  const space = new AtomSpace(family, lists);
  const keys = new Map<RangeList, number>();
  const rules: ERule[] = [];
  items.forEach((it, ref) => {
    const mask = protoMask(it.proto, family);
    const sl = pick(it.src);
    const dl = pick(it.dst);
    if (!mask || !sl.length || !dl.length) return;
    let k = keys.get(sl);
    if (k === undefined) {
      k = keys.size;
      keys.set(sl, k);
    }
    let dk = keys.get(dl);
    if (dk === undefined) {
      dk = keys.size;
      keys.set(dl, dk);
    }
    rules.push({ src: space.atoms(sl), dst: space.atoms(dl), srcKey: k, dstKey: dk, mask, ports: it.ports ?? ALL_PORTS, allow: it.allow, ref });
  });
  return { family, space, rules };
}

export function rulePorts(r: ERule, bit: number): PortSet {
  return hasPorts(bit) ? r.ports : NO_PORT;
}

export function bitDomain(bit: number): PortSet {
  return hasPorts(bit) ? ALL_PORTS : NO_PORT;
}

// ---------------------------------------------------------------------------------------------------------------
// Decomposition

/** Deterministic random 36-bit numbers for the class signatures (two independent sums: 72 bits). */
const R1: number[] = [];
const R2: number[] = [];
let seed = 0x2545f491;
function rnd(): number {
  // xorshift32, twice, to fill 36 bits
  seed ^= seed << 13;
  seed >>>= 0;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  seed >>>= 0;
  const a = seed;
  seed ^= seed << 13;
  seed >>>= 0;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  seed >>>= 0;
  return a * 16 + (seed & 15);
}
function ensureRandoms(n: number): void {
  while (R1.length < n) {
    R1.push(rnd());
    R2.push(rnd());
  }
}

export interface SweepClass {
  /** Atom intervals of the class. */
  segs: number[];
  /** Ids active on the class, ascending. */
  members: number[];
}

/**
 * Groups the atoms covered by the given interval lists by which of them cover it. Atoms covered by none are left
 * out. `clip` restricts the sweep to those atoms.
 */
export function sweep(lists: ReadonlyArray<ArrayLike<number>>, ids: readonly number[], clip?: ArrayLike<number>): SweepClass[] {
  let maxId = 0;
  for (const id of ids) if (id > maxId) maxId = id;
  ensureRandoms(maxId + 1);
  const evPos: number[] = [];
  const evId: number[] = [];
  for (const id of ids) {
    const l = clip ? segsIntersect(lists[id], clip) : lists[id];
    for (let i = 0; i < l.length; i += 2) {
      evPos.push(l[i], l[i + 1]);
      evId.push(id + 1, -(id + 1));
    }
  }
  const n = evPos.length;
  if (n === 0) return [];
  // Events sorted by position: packed as pos * M + index in one float64 (exact below 2^53), sorted natively.
  let maxPos = 0;
  for (const p of evPos) if (p > maxPos) maxPos = p;
  const M = 2 ** Math.ceil(Math.log2(n + 1));
  if ((maxPos + 1) * M >= 2 ** 53) throw new Error('internal: too many events for the packed sort');
  const keys = new Float64Array(n);
  for (let i = 0; i < n; i++) keys[i] = evPos[i] * M + i;
  keys.sort();
  const classes: SweepClass[] = [];
  const byKey = new Map<string, SweepClass>();
  const active = new Set<number>();
  let h1 = 0;
  let h2 = 0;
  let i = 0;
  while (i < n) {
    const pos = Math.floor(keys[i] / M);
    while (i < n && Math.floor(keys[i] / M) === pos) {
      const e = evId[keys[i] % M];
      const id = Math.abs(e) - 1;
      if (e > 0) {
        active.add(id);
        h1 += R1[id];
        h2 += R2[id];
      } else {
        active.delete(id);
        h1 -= R1[id];
        h2 -= R2[id];
      }
      i++;
    }
    if (i >= n || active.size === 0) continue;
    const next = Math.floor(keys[i] / M);
    const key = `${h1}:${h2}`;
    let c = byKey.get(key);
    if (!c) {
      c = { segs: [], members: [...active].sort((a, b) => a - b) };
      byKey.set(key, c);
      classes.push(c);
    }
    const m = c.segs.length;
    if (m && c.segs[m - 1] === pos) c.segs[m - 1] = next;
    else c.segs.push(pos, next);
  }
  return classes;
}

export interface DecomposeOptions {
  /** Only these dst atoms. */
  dstClip?: ArrayLike<number>;
  /** Only these src atoms, given the rules of a dst class. */
  srcClip?: (rules: readonly number[]) => ArrayLike<number> | undefined;
  /** Skip a dst class (e.g. it contains no changed rule). */
  keepDst?: (rules: readonly number[]) => boolean;
  /** Skip a cell. */
  keepCell?: (rules: readonly number[]) => boolean;
}

/**
 * Visits every cell of the packet space that some rule covers: `rules` are indices into `fr.rules`, ascending (the
 * caller orders `fr.rules` by precedence).
 */
export function decompose(
  fr: FamilyRules,
  visit: (dstSegs: number[], srcSegs: number[], rules: number[]) => void,
  opts: DecomposeOptions = {},
): void {
  // Sweep distinct dst sets, not rules: a zone shared by thousands of rules is swept once.
  const { groups: byDst, lists: dstLists } = groupBySet(fr, fr.rules.keys(), 'dst');
  const dstClasses = sweep(dstLists, [...byDst.keys()], opts.dstClip).map((c) => ({ segs: c.segs, members: gather(byDst, c.members) }));
  for (const dc of dstClasses) {
    if (opts.keepDst && !opts.keepDst(dc.members)) continue;
    // Group the class's rules by src set so shared selectors are swept once.
    const { groups: bySrc, lists: srcLists } = groupBySet(fr, dc.members, 'src');
    const keys = [...bySrc.keys()];
    const clip = opts.srcClip ? opts.srcClip(dc.members) : undefined;
    const srcClasses = sweep(srcLists, keys, clip);
    for (const sc of srcClasses) {
      const rules = gather(bySrc, sc.members);
      if (opts.keepCell && !opts.keepCell(rules)) continue;
      visit(dc.segs, sc.segs, rules);
    }
  }
}

/** Groups rules (indices, in the order given) by their dst or src set, keeping each set's list for the sweep. */
function groupBySet(fr: FamilyRules, ris: Iterable<number>, side: 'dst' | 'src'): { groups: Map<number, number[]>; lists: Int32Array[] } {
  const groups = new Map<number, number[]>();
  const lists: Int32Array[] = [];
  for (const ri of ris) {
    const r = fr.rules[ri];
    const key = side === 'dst' ? r.dstKey : r.srcKey;
    let g = groups.get(key);
    if (!g) {
      g = [];
      groups.set(key, g);
      lists[key] = side === 'dst' ? r.dst : r.src;
    }
    g.push(ri);
  }
  return { groups, lists };
}

/** The rules of the given groups, ascending. */
function gather(groups: Map<number, number[]>, keys: readonly number[]): number[] {
  if (keys.length === 1) return groups.get(keys[0])!;
  const out: number[] = [];
  for (const k of keys) for (const ri of groups.get(k)!) out.push(ri);
  return out.sort((a, b) => a - b);
}

export interface Piece {
  /** Index into fr.rules, or -1 for the default deny. */
  rule: number;
  ports: PortSet;
}

/** First match inside one cell for one protocol class: which rule decides which ports. */
export function firstMatch(rules: readonly ERule[], idxs: readonly number[], bit: number, withDefault = false): Piece[] {
  let rest = bitDomain(bit);
  const out: Piece[] = [];
  for (const ri of idxs) {
    const r = rules[ri];
    if (!(r.mask & bit)) continue;
    const rp = rulePorts(r, bit);
    const eff = psIntersect(rp, rest);
    if (eff.length) {
      out.push({ rule: ri, ports: eff });
      rest = psSubtract(rest, rp);
      if (!rest.length) break;
    }
  }
  if (withDefault && rest.length) out.push({ rule: -1, ports: rest });
  return out;
}

/** The allowed ports of a cell for one protocol class. */
export function allowedPorts(rules: readonly ERule[], idxs: readonly number[], bit: number): PortSet {
  let allowed: PortSet = [];
  for (const p of firstMatch(rules, idxs, bit)) if (rules[p.rule].allow) allowed = psUnion(allowed, p.ports);
  return allowed;
}

export function familyOf(s: string): Family {
  return s.includes(':') ? 6 : 4;
}

export { BITS };
