import { checkFamily, checkValue, maxAddress, NetError, type Family } from './address';
import { formatPrefix, prefixLast, type Prefix } from './prefix';
import { rangeToPrefixes } from './range';

type Interval = readonly [bigint, bigint];

/**
 * An exact set of addresses of one family: sorted, disjoint, non-adjacent inclusive [lo, hi] intervals.
 * Immutable; every operation is a linear merge over the interval lists.
 */
export class IntervalSet {
  readonly family: Family;
  readonly intervals: ReadonlyArray<Interval>;

  /** Trusts that `intervals` is already normalised; use the static constructors from outside. */
  private constructor(family: Family, intervals: Interval[]) {
    this.family = family;
    this.intervals = Object.freeze(intervals.map((iv) => Object.freeze(iv) as Interval));
  }

  static empty(family: Family): IntervalSet {
    checkFamily(family);
    return new IntervalSet(family, []);
  }

  static full(family: Family): IntervalSet {
    checkFamily(family);
    return new IntervalSet(family, [[0n, maxAddress(family)]]);
  }

  static fromRange(family: Family, lo: bigint, hi: bigint): IntervalSet {
    checkFamily(family);
    checkValue(family, lo);
    checkValue(family, hi);
    return new IntervalSet(family, lo <= hi ? [[lo, hi]] : []);
  }

  /** Any intervals (unsorted, overlapping, adjacent); empty ones (lo > hi) are dropped. */
  static fromIntervals(family: Family, ivs: ReadonlyArray<readonly [bigint, bigint]>): IntervalSet {
    checkFamily(family);
    const list: Interval[] = [];
    for (const [lo, hi] of ivs) {
      checkValue(family, lo);
      checkValue(family, hi);
      if (lo <= hi) list.push([lo, hi]);
    }
    list.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    return new IntervalSet(family, coalesce(list));
  }

  /** The addresses of the given prefixes; prefixes of the other family are an error. */
  static fromPrefixes(family: Family, ps: readonly Prefix[]): IntervalSet {
    checkFamily(family);
    const list: Interval[] = [];
    for (const p of ps) {
      if (p.family !== family) throw new NetError(`${formatPrefix(p)} is not IPv${family}`);
      list.push([p.addr, prefixLast(p)]);
    }
    list.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    return new IntervalSet(family, coalesce(list));
  }

  static fromPrefix(p: Prefix): IntervalSet {
    return new IntervalSet(p.family, [[p.addr, prefixLast(p)]]);
  }

  union(o: IntervalSet): IntervalSet {
    this.same(o);
    const a = this.intervals;
    const b = o.intervals;
    if (a.length === 0) return o;
    if (b.length === 0) return this;
    const merged: Interval[] = [];
    let i = 0;
    let j = 0;
    while (i < a.length || j < b.length) {
      if (j >= b.length || (i < a.length && a[i][0] <= b[j][0])) merged.push(a[i++]);
      else merged.push(b[j++]);
    }
    return new IntervalSet(this.family, coalesce(merged));
  }

  intersect(o: IntervalSet): IntervalSet {
    this.same(o);
    const a = this.intervals;
    const b = o.intervals;
    const out: Interval[] = [];
    let i = 0;
    let j = 0;
    while (i < a.length && j < b.length) {
      const lo = a[i][0] > b[j][0] ? a[i][0] : b[j][0];
      const hi = a[i][1] < b[j][1] ? a[i][1] : b[j][1];
      if (lo <= hi) out.push([lo, hi]);
      if (a[i][1] < b[j][1]) i++;
      else j++;
    }
    return new IntervalSet(this.family, out);
  }

  subtract(o: IntervalSet): IntervalSet {
    this.same(o);
    if (o.intervals.length === 0 || this.intervals.length === 0) return this;
    const out: Interval[] = [];
    const b = o.intervals;
    let j = 0;
    for (const [lo0, hi] of this.intervals) {
      let lo = lo0;
      while (j < b.length && b[j][1] < lo) j++;
      let k = j;
      while (k < b.length && b[k][0] <= hi && lo <= hi) {
        if (b[k][0] > lo) out.push([lo, b[k][0] - 1n]);
        lo = b[k][1] + 1n;
        if (b[k][1] > hi) break;
        k++;
      }
      if (lo <= hi) out.push([lo, hi]);
      j = k;
    }
    return new IntervalSet(this.family, out);
  }

  complement(): IntervalSet {
    const out: Interval[] = [];
    let next = 0n;
    for (const [lo, hi] of this.intervals) {
      if (lo > next) out.push([next, lo - 1n]);
      next = hi + 1n;
    }
    const max = maxAddress(this.family);
    if (next <= max) out.push([next, max]);
    return new IntervalSet(this.family, out);
  }

  isEmpty(): boolean {
    return this.intervals.length === 0;
  }

  isFull(): boolean {
    return this.intervals.length === 1 && this.intervals[0][0] === 0n && this.intervals[0][1] === maxAddress(this.family);
  }

  equals(o: IntervalSet): boolean {
    if (this.family !== o.family || this.intervals.length !== o.intervals.length) return false;
    return this.intervals.every((iv, i) => iv[0] === o.intervals[i][0] && iv[1] === o.intervals[i][1]);
  }

  /** True when every member of this set is in `o`. */
  isSubsetOf(o: IntervalSet): boolean {
    return this.family === o.family && this.subtract(o).isEmpty();
  }

  /** True when the sets share at least one address. */
  intersects(o: IntervalSet): boolean {
    return this.family === o.family && !this.intersect(o).isEmpty();
  }

  containsValue(v: bigint): boolean {
    let lo = 0;
    let hi = this.intervals.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const [a, b] = this.intervals[mid];
      if (v < a) hi = mid - 1;
      else if (v > b) lo = mid + 1;
      else return true;
    }
    return false;
  }

  /** Number of addresses. */
  size(): bigint {
    let n = 0n;
    for (const [lo, hi] of this.intervals) n += hi - lo + 1n;
    return n;
  }

  /** The minimal CIDR decomposition, sorted. */
  toPrefixes(): Prefix[] {
    return this.intervals.flatMap(([lo, hi]) => rangeToPrefixes(this.family, lo, hi));
  }

  first(): bigint | null {
    return this.intervals.length ? this.intervals[0][0] : null;
  }

  last(): bigint | null {
    return this.intervals.length ? this.intervals[this.intervals.length - 1][1] : null;
  }

  /** Canonical string: equal sets give equal keys. */
  key(): string {
    return `${this.family}:${this.intervals.map(([lo, hi]) => `${lo.toString(16)}-${hi.toString(16)}`).join(',')}`;
  }

  /** Readable: the CIDR decomposition, comma separated ('(none)' when empty). */
  toString(): string {
    return this.isEmpty() ? '(none)' : this.toPrefixes().map(formatPrefix).join(', ');
  }

  private same(o: IntervalSet): void {
    if (o.family !== this.family) throw new NetError(`cannot combine an IPv${this.family} set with an IPv${o.family} set`);
  }
}

/** Merges sorted-by-lo intervals that overlap or touch. */
function coalesce(sorted: readonly Interval[]): Interval[] {
  const out: Array<[bigint, bigint]> = [];
  for (const [lo, hi] of sorted) {
    const last = out[out.length - 1];
    if (last && lo <= last[1] + 1n) {
      if (hi > last[1]) last[1] = hi;
    } else out.push([lo, hi]);
  }
  return out;
}
