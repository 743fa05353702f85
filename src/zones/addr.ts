/**
 * Address arithmetic the policy engine needs, on BigInt: parse/format addresses and prefixes, and sorted disjoint
 * inclusive range lists (exact address sets) with union, intersection, difference and CIDR decomposition.
 * Kept local to the engine so its hot paths stay small and allocation-light.
 */

export type Family = 4 | 6;

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

export class AddrError extends Error {}

export function parseAddr(s: string): { family: Family; value: bigint } {
  const t = s.trim();
  if (t.includes(':')) return { family: 6, value: parseV6(t) };
  if (t.includes('.')) return { family: 4, value: parseV4(t) };
  throw new AddrError(`'${s}' is not an IP address`);
}

function parseV4(s: string): bigint {
  const parts = s.split('.');
  if (parts.length !== 4) throw new AddrError(`'${s}' is not an IPv4 address`);
  let v = 0n;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) throw new AddrError(`'${s}' is not an IPv4 address`);
    v = (v << 8n) | BigInt(Number(p));
  }
  return v;
}

function parseV6(s: string): bigint {
  let text = s;
  // An embedded IPv4 tail (::ffff:192.0.2.1) is rewritten as two hex groups.
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    const v4 = parseV4(text.slice(lastColon + 1));
    text = `${text.slice(0, lastColon + 1)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const tail: bigint[] = [];
  const dbl = text.split('::');
  if (dbl.length > 2) throw new AddrError(`'${s}' is not an IPv6 address`);
  const groups = (x: string): bigint[] =>
    x === ''
      ? []
      : x.split(':').map((g) => {
          if (!/^[0-9a-fA-F]{1,4}$/.test(g)) throw new AddrError(`'${s}' is not an IPv6 address`);
          return BigInt(parseInt(g, 16));
        });
  const head = groups(dbl[0]);
  const rest = dbl.length === 2 ? groups(dbl[1]) : [];
  const total = head.length + rest.length + tail.length;
  let all: bigint[];
  if (dbl.length === 2) {
    if (total > 7) throw new AddrError(`'${s}' is not an IPv6 address`);
    all = [...head, ...new Array<bigint>(8 - total).fill(0n), ...rest, ...tail];
  } else {
    if (total !== 8) throw new AddrError(`'${s}' is not an IPv6 address`);
    all = [...head, ...tail];
  }
  let v = 0n;
  for (const g of all) v = (v << 16n) | g;
  return v;
}

/** Parses `addr/len` (or a bare address as a host prefix) into its range. Host bits are masked away. */
export function parseCidr(s: string): { family: Family; len: number; range: Range } {
  const [a, l, extra] = s.trim().split('/');
  if (extra !== undefined) throw new AddrError(`'${s}' is not a CIDR prefix`);
  const { family, value } = parseAddr(a);
  const bits = BITS[family];
  const len = l === undefined ? bits : /^\d{1,3}$/.test(l) ? Number(l) : NaN;
  if (!(len >= 0 && len <= bits)) throw new AddrError(`'${s}' has an invalid prefix length`);
  const host = (1n << BigInt(bits - len)) - 1n;
  const lo = value & ~host & MAX[family];
  return { family, len, range: { lo, hi: lo | host } };
}

export function formatAddr(family: Family, v: bigint): string {
  // Hot (every CIDR the policy engine prints): split the value with a few BigInt operations into plain numbers and
  // build the text directly, instead of one BigInt shift per byte or group and intermediate arrays.
  if (family === 4) {
    const n = Number(v & 0xffffffffn);
    return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
  }
  const hi = v >> 64n;
  const lo = BigInt.asUintN(64, v);
  const w0 = Number(BigInt.asUintN(32, hi >> 32n));
  const w1 = Number(BigInt.asUintN(32, hi));
  const w2 = Number(lo >> 32n);
  const w3 = Number(BigInt.asUintN(32, lo));
  const g = [w0 >>> 16, w0 & 0xffff, w1 >>> 16, w1 & 0xffff, w2 >>> 16, w2 & 0xffff, w3 >>> 16, w3 & 0xffff];
  // RFC 5952: compress the longest run (>= 2) of zero groups, the first on a tie.
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  let out = '';
  if (best < 0) {
    for (let i = 0; i < 8; i++) out += i ? `:${g[i].toString(16)}` : g[i].toString(16);
    return out;
  }
  for (let i = 0; i < best; i++) out += i ? `:${g[i].toString(16)}` : g[i].toString(16);
  out += '::';
  for (let i = best + bestLen; i < 8; i++) out += i > best + bestLen ? `:${g[i].toString(16)}` : g[i].toString(16);
  return out;
}

export function formatCidr(family: Family, lo: bigint, len: number): string {
  return `${formatAddr(family, lo)}/${len}`;
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

/** The minimal list of CIDR prefixes covering a range list exactly. */
export function toCidrs(family: Family, list: RangeList): string[] {
  const out: string[] = [];
  const bits = BITS[family];
  for (const r of list) {
    let lo = r.lo;
    while (lo <= r.hi) {
      // The largest aligned block at lo that fits: limited by lo's lowest set bit and by the room left.
      const room = bitLength(r.hi - lo + 1n) - 1;
      const align = lo === 0n ? bits : bitLength(lo & -lo) - 1;
      const k = Math.min(room, align);
      out.push(formatCidr(family, lo, bits - k));
      lo += 1n << BigInt(k);
    }
  }
  return out;
}

function bitLength(x: bigint): number {
  // Most values the policy handles fit a double exactly: count bits there, not in a 128-digit binary string.
  if (x <= 0xffffffffn) return 32 - Math.clz32(Number(x));
  const h = x.toString(16);
  return (h.length - 1) * 4 + 32 - Math.clz32(parseInt(h[0], 16));
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
