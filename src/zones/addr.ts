import { type Family, formatPrefix, hostMask, parsePrefix, rangeToPrefixes } from '../net';

/**
 * The exact address sets of the policy engine: sorted disjoint inclusive range lists on bigint with union,
 * intersection, difference and CIDR decomposition, kept allocation-light for the engine's hot paths. Addresses and
 * prefixes are parsed and formatted by src/net.
 */

export type { Family };

/** An inclusive range of addresses. */
export interface Range {
  lo: bigint;
  hi: bigint;
}

/** Sorted, disjoint, non-adjacent ranges. */
export type RangeList = Range[];

/** An exact address set in both families. */
export interface AddrSet {
  v4: RangeList;
  v6: RangeList;
}

export const BITS: Record<Family, number> = { 4: 32, 6: 128 };
export const MAX: Record<Family, bigint> = { 4: (1n << 32n) - 1n, 6: (1n << 128n) - 1n };

/** Parses `addr/len` (or a bare address as a host prefix) into its range (src/net parses it). Host bits are masked away. */
export function parseCidr(s: string): { family: Family; len: number; range: Range } {
  const p = parsePrefix(s, { strict: false });
  return { family: p.family, len: p.len, range: { lo: p.addr, hi: p.addr | hostMask(p.family, p.len) } };
}

// ---------------------------------------------------------------------------------------------------------------
// Range lists

export function normalize(list: Range[]): RangeList {
  if (list.length <= 1) return list.slice();
  // Lists often come sorted already (a set's prefixes, a union of sorted lists): then the sort is skipped. The merge
  // below gives the same result whatever the order among equal starts.
  let sorted = true;
  for (let i = 1; sorted && i < list.length; i++) sorted = list[i - 1].lo <= list[i].lo;
  const s = sorted ? list : list.slice().sort((a, b) => (a.lo < b.lo ? -1 : a.lo > b.lo ? 1 : 0));
  const out: Range[] = [];
  let cur = { ...s[0] };
  for (let i = 1; i < s.length; i++) {
    const r = s[i];
    if (r.lo <= cur.hi + 1n) {
      if (r.hi > cur.hi) cur.hi = r.hi;
    } else {
      out.push(cur);
      cur = { ...r };
    }
  }
  out.push(cur);
  return out;
}

export function union(a: RangeList, b: RangeList): RangeList {
  if (a.length === 0) return b;
  if (b.length === 0) return a;
  // Both sorted: merge them in one pass (what normalize would do after sorting the concatenation).
  const out: Range[] = [];
  let i = 0;
  let j = 0;
  let cur: Range | undefined;
  while (i < a.length || j < b.length) {
    const r = j >= b.length || (i < a.length && a[i].lo <= b[j].lo) ? a[i++] : b[j++];
    if (cur && r.lo <= cur.hi + 1n) {
      if (r.hi > cur.hi) cur.hi = r.hi;
    } else {
      cur = { lo: r.lo, hi: r.hi };
      out.push(cur);
    }
  }
  return out;
}

export function intersect(a: RangeList, b: RangeList): RangeList {
  if (!a.length || !b.length) return [];
  // A small set against a large one (a rule's prefixes against a zone): binary-search instead of merging.
  if (a.length * 8 < b.length) return intersectSmall(a, b);
  if (b.length * 8 < a.length) return intersectSmall(b, a);
  const out: Range[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const lo = a[i].lo > b[j].lo ? a[i].lo : b[j].lo;
    const hi = a[i].hi < b[j].hi ? a[i].hi : b[j].hi;
    if (lo <= hi) out.push({ lo, hi });
    if (a[i].hi < b[j].hi) i++;
    else j++;
  }
  return out;
}

function intersectSmall(small: RangeList, big: RangeList): RangeList {
  const out: Range[] = [];
  for (const r of small) {
    // first range of big whose hi >= r.lo
    let lo = 0;
    let hi = big.length;
    while (lo < hi) {
      const m = (lo + hi) >> 1;
      if (big[m].hi < r.lo) lo = m + 1;
      else hi = m;
    }
    for (let j = lo; j < big.length && big[j].lo <= r.hi; j++) {
      const a = big[j].lo > r.lo ? big[j].lo : r.lo;
      const b = big[j].hi < r.hi ? big[j].hi : r.hi;
      if (a <= b) out.push({ lo: a, hi: b });
    }
  }
  return out;
}

export function subtract(a: RangeList, b: RangeList): RangeList {
  const out: Range[] = [];
  let j = 0;
  for (const r of a) {
    let lo = r.lo;
    const hi = r.hi;
    while (j < b.length && b[j].hi < lo) j++;
    let k = j;
    while (k < b.length && b[k].lo <= hi) {
      if (b[k].lo > lo) out.push({ lo, hi: b[k].lo - 1n });
      if (b[k].hi >= hi) {
        lo = hi + 1n;
        break;
      }
      lo = b[k].hi + 1n;
      k++;
    }
    if (lo <= hi) out.push({ lo, hi });
  }
  return out;
}

export function containsAddr(list: RangeList, v: bigint): boolean {
  let lo = 0;
  let hi = list.length - 1;
  while (lo <= hi) {
    const m = (lo + hi) >> 1;
    if (list[m].hi < v) lo = m + 1;
    else if (list[m].lo > v) hi = m - 1;
    else return true;
  }
  return false;
}

/** The minimal list of CIDR prefixes covering a range list exactly (src/net's decomposition, printed). */
export function toCidrs(family: Family, list: RangeList): string[] {
  const out: string[] = [];
  for (const r of list) for (const p of rangeToPrefixes(family, r.lo, r.hi)) out.push(formatPrefix(p));
  return out;
}

export const EMPTY_SET: AddrSet = Object.freeze({ v4: [], v6: [] }) as AddrSet;

export function setUnion(a: AddrSet, b: AddrSet): AddrSet {
  return { v4: union(a.v4, b.v4), v6: union(a.v6, b.v6) };
}
export function setIntersect(a: AddrSet, b: AddrSet): AddrSet {
  return { v4: intersect(a.v4, b.v4), v6: intersect(a.v6, b.v6) };
}
export function setSubtract(a: AddrSet, b: AddrSet): AddrSet {
  return { v4: subtract(a.v4, b.v4), v6: subtract(a.v6, b.v6) };
}
export function setIsEmpty(a: AddrSet): boolean {
  return a.v4.length === 0 && a.v6.length === 0;
}
export function setEquals(a: AddrSet, b: AddrSet): boolean {
  const eq = (x: RangeList, y: RangeList): boolean => x.length === y.length && x.every((r, i) => r.lo === y[i].lo && r.hi === y[i].hi);
  return eq(a.v4, b.v4) && eq(a.v6, b.v6);
}

/** Builds a set from CIDR strings (host bits masked). */
export function setFromCidrs(cidrs: readonly string[]): AddrSet {
  const v4: Range[] = [];
  const v6: Range[] = [];
  for (const c of cidrs) {
    const p = parseCidr(c);
    (p.family === 4 ? v4 : v6).push(p.range);
  }
  return { v4: normalize(v4), v6: normalize(v6) };
}

export function setCidrs(a: AddrSet): string[] {
  return [...toCidrs(4, a.v4), ...toCidrs(6, a.v6)];
}
