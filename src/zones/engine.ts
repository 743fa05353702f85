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

/**
 * Distinct BigInts numbered in order of appearance. Found through their double (exact for IPv4, the top 53 bits for
 * IPv6), not through a Map<bigint>: V8 hashes a BigInt by its lowest 64 bits, which IPv6 prefixes all share. A value
 * whose double an earlier, different value already has goes through its exact text instead (rare: addresses a few
 * bits apart).
 */
class BigIds {
  readonly values: bigint[] = [];
  private readonly byDouble = new Map<number, number>();
  private readonly byText = new Map<string, number>();

  id(x: bigint): number {
    const k = Number(x);
    const i = this.byDouble.get(k);
    if (i === undefined) {
      this.byDouble.set(k, this.values.length);
      this.values.push(x);
      return this.values.length - 1;
    }
    if (this.values[i] === x) return i;
    const t = x.toString(16);
    let j = this.byText.get(t);
    if (j === undefined) {
      j = this.values.length;
      this.byText.set(t, j);
      this.values.push(x);
    }
    return j;
  }

  /** The id of a value seen before, or -1. */
  find(x: bigint): number {
    const i = this.byDouble.get(Number(x));
    if (i === undefined) return -1;
    if (this.values[i] === x) return i;
    return this.byText.get(x.toString(16)) ?? -1;
  }
}

export class AtomSpace {
  readonly bounds: bigint[];
  /** Bounds by value: `boundIndex[ids.find(v)]` is v's index in `bounds`. */
  private readonly ids: BigIds;
  private readonly boundIndex: Int32Array;
  private readonly cache = new Map<RangeList, Int32Array>();

  constructor(readonly family: Family, lists: Iterable<RangeList>) {
    // Lists repeat boundaries (a national policy: ~50k, ~1.5k distinct), so range ends are numbered as distinct
    // values first, only those are sorted, and every list's atoms come from the numbers: each BigInt is looked at
    // once. Ends are numbered as given (`hi`), so `hi + 1n` is computed once per distinct end.
    const starts = new BigIds();
    const ends = new BigIds();
    starts.id(0n);
    ends.id(MAX[family]);
    const seen = new Set<RangeList>();
    const distinct: RangeList[] = [];
    /** Per range of the distinct lists, in order: the ids of its start and of its end. */
    const rangeIds: number[] = [];
    for (const l of lists) {
      if (seen.has(l)) continue;
      seen.add(l);
      distinct.push(l);
      for (let k = 0; k < l.length; k++) rangeIds.push(starts.id(l[k].lo), ends.id(l[k].hi));
    }
    // A bound is a start or an end + 1 (the same value may be both): sort the candidates, rank them.
    const nStarts = starts.values.length;
    const cand = [...starts.values, ...ends.values.map((h) => h + 1n)];
    const rank = new Int32Array(cand.length);
    const b: bigint[] = [];
    for (const i of cand.map((_, k) => k).sort((x, y) => cmpBig(cand[x], cand[y]))) {
      if (!b.length || b[b.length - 1] !== cand[i]) b.push(cand[i]);
      rank[i] = b.length - 1;
    }
    this.bounds = b;
    // Every bound by value, for `atoms` of lists not seen here: the starts, and the ends + 1 added to them.
    const index = Array.from(rank.subarray(0, nStarts));
    for (let k = nStarts; k < cand.length; k++) index[starts.id(cand[k])] = rank[k];
    this.ids = starts;
    this.boundIndex = new Int32Array(index);
    // All lists' atoms in one buffer, each list a view of its part: one buffer instead of thousands of small ones.
    const all = new Int32Array(rangeIds.length);
    let at = 0;
    let end = 0;
    for (let d = 0; d < distinct.length; d++) {
      const l = distinct[d];
      const start = end;
      for (let k = 0; k < l.length; k++, at += 2) {
        const a = rank[rangeIds[at]];
        const z = rank[nStarts + rangeIds[at + 1]];
        if (end > start && all[end - 1] === a) all[end - 1] = z;
        else {
          all[end++] = a;
          all[end++] = z;
        }
      }
      this.cache.set(l, new Int32Array(all.buffer, start * 4, end - start));
    }
  }

  /** The index of a boundary (exact). */
  private indexOf(v: bigint): number {
    const id = this.ids.find(v);
    return id < 0 ? -1 : this.boundIndex[id];
  }

  get size(): number {
    return this.bounds.length - 1;
  }

  /**
   * The atom intervals of a range list; every boundary must be one of this space's (it was built from the list).
   * Read-only: the lists the space was built from share one buffer.
   */
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
    const arr = new Int32Array(out);
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
  const v4 = family === 4;
  // Distinct non-empty lists, numbered in order of appearance: the rules' set keys.
  const keys = new Map<RangeList, number>();
  const keyOf = (l: RangeList): number => {
    if (!l.length) return -1;
    let k = keys.get(l);
    if (k === undefined) keys.set(l, (k = keys.size));
    return k;
  };
  const srcKeys = new Int32Array(items.length);
  const dstKeys = new Int32Array(items.length);
  for (let i = 0; i < items.length; i++) {
    srcKeys[i] = keyOf(v4 ? items[i].src.v4 : items[i].src.v6);
    dstKeys[i] = keyOf(v4 ? items[i].dst.v4 : items[i].dst.v6);
  }
  for (let i = 0; i < extra.length; i++) keyOf(v4 ? extra[i].v4 : extra[i].v6);
  const space = new AtomSpace(family, keys.keys());
  const atoms: Int32Array[] = [];
  for (const l of keys.keys()) atoms.push(space.atoms(l));
  const rules: ERule[] = [];
  for (let ref = 0; ref < items.length; ref++) {
    const it = items[ref];
    const mask = protoMask(it.proto, family);
    const k = srcKeys[ref];
    const dk = dstKeys[ref];
    if (!mask || k < 0 || dk < 0) continue;
    rules.push({ src: atoms[k], dst: atoms[dk], srcKey: k, dstKey: dk, mask, ports: it.ports ?? ALL_PORTS, allow: it.allow, ref });
  }
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
  for (let j = 0; j < ids.length; j++) if (ids[j] > maxId) maxId = ids[j];
  ensureRandoms(maxId + 1);
  const parts: Array<ArrayLike<number>> = [];
  let n = 0;
  for (let j = 0; j < ids.length; j++) {
    const l = clip ? segsIntersect(lists[ids[j]], clip) : lists[ids[j]];
    parts.push(l);
    n += l.length;
  }
  if (n === 0) return [];
  // Events sorted by position: packed as pos * M + index in one float64 (exact below 2^53), sorted natively.
  const keys = new Float64Array(n);
  /** id + 1 where a segment starts, -(id + 1) where it ends */
  const evId = new Int32Array(n);
  let e = 0;
  for (let j = 0; j < parts.length; j++) {
    const l = parts[j];
    const id = ids[j];
    for (let i = 0; i < l.length; i += 2) {
      keys[e] = l[i];
      evId[e++] = id + 1;
      keys[e] = l[i + 1];
      evId[e++] = -(id + 1);
    }
  }
  let maxPos = 0;
  for (let k = 0; k < n; k++) if (keys[k] > maxPos) maxPos = keys[k];
  const M = 2 ** Math.ceil(Math.log2(n + 1));
  if ((maxPos + 1) * M >= 2 ** 53) throw new Error('internal: too many events for the packed sort');
  for (let k = 0; k < n; k++) keys[k] = keys[k] * M + k;
  keys.sort();
  // Unpacked once into small integers (position, event), which the loop below reads without boxing.
  const evPos = new Int32Array(n);
  const evAt = new Int32Array(n);
  for (let k = 0; k < n; k++) {
    const p = Math.floor(keys[k] / M);
    evPos[k] = p;
    evAt[k] = keys[k] - p * M;
  }
  const classes: SweepClass[] = [];
  const bySignature = new SignatureIndex();
  // The active ids as a set: a list with each id's slot in it, so adding and removing allocate nothing.
  const active = new Int32Array(ids.length);
  const slotOf = new Int32Array(maxId + 1).fill(-1);
  let nActive = 0;
  // Arrays are made at their size where it is known: one grown by push from empty reserves 16 slots, and a
  // decomposition makes tens of thousands of small ones.
  const newClass = (): number => {
    const members = new Array<number>(nActive);
    for (let k = 0; k < nActive; k++) members[k] = active[k];
    classes.push({ segs: [], members: sortNumbers(members) });
    return classes.length - 1;
  };
  let h1 = 0;
  let h2 = 0;
  let i = 0;
  let pos = evPos[0];
  while (i < n) {
    let next = pos;
    for (; i < n; i++) {
      if (evPos[i] !== pos) {
        next = evPos[i];
        break;
      }
      const ev = evId[evAt[i]];
      // An id given twice counts once, in the set and in the signature alike.
      if (ev > 0) {
        const id = ev - 1;
        if (slotOf[id] >= 0) continue;
        slotOf[id] = nActive;
        active[nActive++] = id;
        h1 += R1[id];
        h2 += R2[id];
      } else {
        const id = -ev - 1;
        const at = slotOf[id];
        if (at < 0) continue;
        const last = active[--nActive];
        active[at] = last;
        slotOf[last] = at;
        slotOf[id] = -1;
        h1 -= R1[id];
        h2 -= R2[id];
      }
    }
    if (i >= n) break;
    if (nActive) {
      let ci = bySignature.get(h1, h2);
      if (ci < 0) bySignature.set(h1, h2, (ci = newClass()));
      const c = classes[ci];
      const m = c.segs.length;
      if (!m) c.segs = [pos, next];
      else if (c.segs[m - 1] === pos) c.segs[m - 1] = next;
      else c.segs.push(pos, next);
    }
    pos = next;
  }
  return classes;
}

/**
 * Values (class indices) by a two-part signature: keyed on the first part alone, and on both only for the rare
 * signature whose first part an earlier one already has; cheaper than building a string key per lookup.
 */
export class SignatureIndex {
  private readonly byFirst = new Map<number, { h2: number; value: number }>();
  private byBoth: Map<string, number> | undefined;

  /** The value for the signature, or -1. */
  get(h1: number, h2: number): number {
    const e = this.byFirst.get(h1);
    if (e === undefined) return -1;
    if (e.h2 === h2) return e.value;
    return this.byBoth?.get(`${h1}:${h2}`) ?? -1;
  }

  /** Sets the value of a signature that has none. */
  set(h1: number, h2: number, value: number): void {
    if (!this.byFirst.has(h1)) this.byFirst.set(h1, { h2, value });
    else (this.byBoth ??= new Map()).set(`${h1}:${h2}`, value);
  }
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
  const g = new SetGrouper(fr.rules);
  // Sweep distinct dst sets, not rules: a zone shared by thousands of rules is swept once.
  const byDst = g.group(fr.rules.map((_, i) => i), 'dst');
  const dstClasses = sweep(byDst.lists, byDst.ids, opts.dstClip).map((c) => ({ segs: c.segs, members: gather(byDst.groups, c.members) }));
  for (let d = 0; d < dstClasses.length; d++) {
    const dc = dstClasses[d];
    if (opts.keepDst && !opts.keepDst(dc.members)) continue;
    // Group the class's rules by src set so shared selectors are swept once.
    const bySrc = g.group(dc.members, 'src');
    const clip = opts.srcClip ? opts.srcClip(dc.members) : undefined;
    const srcClasses = sweep(bySrc.lists, bySrc.ids, clip);
    for (let c = 0; c < srcClasses.length; c++) {
      const rules = gather(bySrc.groups, srcClasses[c].members);
      if (opts.keepCell && !opts.keepCell(rules)) continue;
      visit(dc.segs, srcClasses[c].segs, rules);
    }
  }
}

/**
 * Groups rules by their dst or src set (the set's key), numbering the groups 0, 1, … in order of appearance: the
 * sweep's ids. One slot per key, reset after each grouping, so the hundreds of groupings of a decomposition allocate
 * no maps.
 */
class SetGrouper {
  private readonly slot: Int32Array;

  constructor(private readonly rules: readonly ERule[]) {
    let max = -1;
    for (const r of rules) {
      if (r.srcKey < 0 || r.dstKey < 0) throw new Error('internal: decompose needs set keys');
      max = Math.max(max, r.srcKey, r.dstKey);
    }
    this.slot = new Int32Array(max + 1).fill(-1);
  }

  /** Rule indices (in the order given) by set: `groups[i]` has set `lists[i]`; `ids` is 0 … groups - 1. */
  group(ris: readonly number[], side: 'dst' | 'src'): { groups: number[][]; lists: Int32Array[]; ids: number[] } {
    const groups: number[][] = [];
    const lists: Int32Array[] = [];
    const ids: number[] = [];
    for (let i = 0; i < ris.length; i++) {
      const ri = ris[i];
      const r = this.rules[ri];
      const key = side === 'dst' ? r.dstKey : r.srcKey;
      const gi = this.slot[key];
      if (gi < 0) {
        this.slot[key] = groups.length;
        ids.push(groups.length);
        groups.push([ri]);
        lists.push(side === 'dst' ? r.dst : r.src);
      } else groups[gi].push(ri);
    }
    for (let gi = 0; gi < groups.length; gi++) {
      const r = this.rules[groups[gi][0]];
      this.slot[side === 'dst' ? r.dstKey : r.srcKey] = -1;
    }
    return { groups, lists, ids };
  }
}

/** The rules of the given groups, ascending. */
function gather(groups: readonly number[][], ids: readonly number[]): number[] {
  if (ids.length === 1) return groups[ids[0]];
  let n = 0;
  for (let i = 0; i < ids.length; i++) n += groups[ids[i]].length;
  const out = new Array<number>(n);
  n = 0;
  for (let i = 0; i < ids.length; i++) {
    const grp = groups[ids[i]];
    for (let j = 0; j < grp.length; j++) out[n++] = grp[j];
  }
  return sortNumbers(out);
}

/** Sorts numbers ascending, in place: short lists (nearly all here) by insertion, which allocates nothing. */
function sortNumbers(a: number[]): number[] {
  if (a.length > 16) return a.sort((x, y) => x - y);
  for (let i = 1; i < a.length; i++) {
    const x = a[i];
    let j = i - 1;
    for (; j >= 0 && a[j] > x; j--) a[j + 1] = a[j];
    a[j + 1] = x;
  }
  return a;
}

/** A cell of a decomposition (its src atoms within a dst class, and its rules), for analyses that keep them. */
export interface SrcClass {
  segs: number[];
  rules: number[];
}

export interface DstClass<C extends SrcClass = SrcClass> {
  segs: number[];
  cells: C[];
}

/**
 * Visits the cells that `decompose(fr, visit, { dstClip, srcClip: () => srcClip })` visits, in the same order and with
 * the same segments and rules, given the classes of `decompose(fr, …)` without clips. Clipping does not change which
 * rules cover an atom, so a clipped class is a full class intersected with the clip, and the sweep meets classes in
 * the order of their first atom (classes are disjoint, so the order is total).
 */
export function visitClipped<C extends SrcClass>(
  classes: ReadonlyArray<DstClass<C>>,
  dstClip: ArrayLike<number>,
  srcClip: ArrayLike<number>,
  visit: (dstSegs: number[], srcSegs: number[], cell: C) => void,
): void {
  const dsts: Array<{ segs: number[]; dc: DstClass<C> }> = [];
  for (const dc of classes) {
    const segs = segsIntersect(dc.segs, dstClip);
    if (segs.length) dsts.push({ segs, dc });
  }
  dsts.sort((a, b) => a.segs[0] - b.segs[0]);
  for (const { segs: dsegs, dc } of dsts) {
    const srcs: Array<{ segs: number[]; cell: C }> = [];
    for (const cell of dc.cells) {
      const segs = segsIntersect(cell.segs, srcClip);
      if (segs.length) srcs.push({ segs, cell });
    }
    srcs.sort((a, b) => a.segs[0] - b.segs[0]);
    for (const { segs, cell } of srcs) visit(dsegs, segs, cell);
  }
}

export interface Piece {
  /** Index into fr.rules, or -1 for the default deny. */
  rule: number;
  ports: PortSet;
}

/** First match inside one cell for one protocol class: which rule decides which ports. */
export function firstMatch(rules: readonly ERule[], idxs: readonly number[], bit: number, withDefault = false): Piece[] {
  let rest = bitDomain(bit);
  let out: Piece[] = [];
  for (let i = 0; i < idxs.length; i++) {
    const ri = idxs[i];
    const r = rules[ri];
    if (!(r.mask & bit)) continue;
    const rp = rulePorts(r, bit);
    const eff = psIntersect(rp, rest);
    if (eff.length) {
      if (out.length) out.push({ rule: ri, ports: eff });
      else out = [{ rule: ri, ports: eff }];
      // What is left matters only to later rules or the default.
      if (i === idxs.length - 1 && !withDefault) break;
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
