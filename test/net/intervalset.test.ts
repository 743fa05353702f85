import fc from 'fast-check';
import { formatPrefix, IntervalSet, NetError, parseAddress, parsePrefix, prefixLast } from '../../src/net';

const RUNS = { numRuns: 500 };

/** The universe 10.0.0.0/26: 64 addresses; a brute-force set is a Set of offsets. */
const BASE = parseAddress('10.0.0.0').value;
const N = 64;
const U = IntervalSet.fromPrefixes(4, [parsePrefix('10.0.0.0/26')]);

const ivArb = fc.tuple(fc.integer({ min: 0, max: N - 1 }), fc.integer({ min: 0, max: N - 1 }));
const setArb = fc.array(ivArb, { maxLength: 8 }).map((ivs) => {
  const brute = new Set<number>();
  for (const [a, b] of ivs) for (let i = Math.min(a, b); i <= Math.max(a, b); i++) brute.add(i);
  const set = IntervalSet.fromIntervals(
    4,
    ivs.map(([a, b]) => [BASE + BigInt(Math.min(a, b)), BASE + BigInt(Math.max(a, b))] as const),
  );
  return { brute, set };
});

function members(s: IntervalSet): Set<number> {
  const out = new Set<number>();
  for (let i = 0; i < N; i++) if (s.containsValue(BASE + BigInt(i))) out.add(i);
  return out;
}

function normalised(s: IntervalSet): void {
  for (let i = 0; i < s.intervals.length; i++) {
    const [lo, hi] = s.intervals[i];
    expect(lo <= hi).toBe(true);
    if (i > 0) expect(lo > s.intervals[i - 1][1] + 1n).toBe(true);
  }
}

const sorted = (xs: Set<number>) => [...xs].sort((a, b) => a - b);

describe('IntervalSet vs brute force on 10.0.0.0/26', () => {
  it('union, intersect, subtract, complement', () => {
    fc.assert(
      fc.property(setArb, setArb, (a, b) => {
        const union = a.set.union(b.set);
        const inter = a.set.intersect(b.set);
        const diff = a.set.subtract(b.set);
        for (const s of [a.set, union, inter, diff]) normalised(s);
        expect(sorted(members(union))).toEqual(sorted(new Set([...a.brute, ...b.brute])));
        expect(sorted(members(inter))).toEqual(sorted(a.brute).filter((x) => b.brute.has(x)));
        expect(sorted(members(diff))).toEqual(sorted(a.brute).filter((x) => !b.brute.has(x)));
        // everything stays inside the universe
        expect(union.isSubsetOf(U)).toBe(true);
        const comp = a.set.complement();
        normalised(comp);
        expect(sorted(members(comp))).toEqual([...Array(N).keys()].filter((x) => !a.brute.has(x)));
        expect(comp.subtract(U).equals(IntervalSet.full(4).subtract(U))).toBe(true);
        expect(comp.complement().equals(a.set)).toBe(true);
        expect(a.set.union(comp).isFull()).toBe(true);
        expect(a.set.intersect(comp).isEmpty()).toBe(true);
        expect(a.set.intersects(b.set)).toBe(!inter.isEmpty());
      }),
      RUNS,
    );
  });

  it('size, first, isEmpty, equals/key, toPrefixes', () => {
    fc.assert(
      fc.property(setArb, setArb, (a, b) => {
        expect(a.set.size()).toBe(BigInt(a.brute.size));
        expect(a.set.isEmpty()).toBe(a.brute.size === 0);
        expect(a.set.first()).toBe(a.brute.size ? BASE + BigInt(Math.min(...a.brute)) : null);
        const same = sorted(a.brute).join() === sorted(b.brute).join();
        expect(a.set.equals(b.set)).toBe(same);
        expect(a.set.key() === b.set.key()).toBe(same);
        const ps = a.set.toPrefixes();
        expect(IntervalSet.fromPrefixes(4, ps).equals(a.set)).toBe(true);
        let count = 0n;
        for (let i = 0; i < ps.length; i++) {
          count += prefixLast(ps[i]) - ps[i].addr + 1n;
          if (i > 0) expect(ps[i].addr > prefixLast(ps[i - 1])).toBe(true);
        }
        expect(count).toBe(a.set.size());
        // containsValue outside the universe
        expect(a.set.containsValue(BASE - 1n)).toBe(false);
        expect(a.set.containsValue(BASE + BigInt(N))).toBe(false);
      }),
      RUNS,
    );
  });
});

describe('IntervalSet basics', () => {
  it('full and empty', () => {
    expect(IntervalSet.full(6).size()).toBe(1n << 128n);
    expect(IntervalSet.full(4).complement().isEmpty()).toBe(true);
    expect(IntervalSet.empty(6).complement().isFull()).toBe(true);
    expect(IntervalSet.full(6).toPrefixes().map(formatPrefix)).toEqual(['::/0']);
    expect(IntervalSet.empty(4).first()).toBeNull();
    expect(IntervalSet.empty(4).toString()).toBe('(none)');
    expect(IntervalSet.fromRange(4, 5n, 4n).isEmpty()).toBe(true);
  });

  it('keeps families apart', () => {
    expect(() => IntervalSet.full(4).union(IntervalSet.full(6))).toThrow(NetError);
    expect(() => IntervalSet.fromPrefixes(4, [parsePrefix('::/0')])).toThrow(NetError);
    expect(IntervalSet.full(4).equals(IntervalSet.full(6))).toBe(false);
    expect(IntervalSet.full(4).key()).not.toBe(IntervalSet.full(6).key());
  });

  it('is immutable', () => {
    const s = IntervalSet.fromPrefixes(4, [parsePrefix('192.0.2.0/24')]);
    expect(Object.isFrozen(s.intervals)).toBe(true);
    expect(Object.isFrozen(s.intervals[0])).toBe(true);
    s.union(IntervalSet.fromPrefixes(4, [parsePrefix('198.51.100.0/24')]));
    expect(s.toString()).toBe('192.0.2.0/24');
  });

  it('handles many intervals linearly', () => {
    const a = IntervalSet.fromIntervals(6, Array.from({ length: 20000 }, (_, i) => [BigInt(i) * 4n, BigInt(i) * 4n + 1n] as const));
    const b = IntervalSet.fromIntervals(6, Array.from({ length: 20000 }, (_, i) => [BigInt(i) * 4n + 1n, BigInt(i) * 4n + 2n] as const));
    expect(a.union(b).intervals.length).toBe(20000);
    expect(a.intersect(b).size()).toBe(20000n);
    expect(a.subtract(b).size()).toBe(20000n);
    expect(a.complement().intervals.length).toBe(20000);
  });
});
