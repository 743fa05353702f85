import fc from 'fast-check';
import { Address6 } from 'ip-address';
import {
  aggregate, comparePrefix, contains, containsAddress, familyBits, firstFree, formatAddress, formatPrefix, IntervalSet, isAligned,
  overlaps, parseAddress, parsePrefix, prefixLast, rangeToPrefixes, subnet, subnetCount, subnetIndex, type Family, type Prefix,
} from '../../src/net';

const RUNS = { numRuns: 500 };

/** IPv6 values with many zero fields, so that '::' placement gets exercised. */
const v6Value = fc
  .array(fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 1, max: 0xf }), fc.integer({ min: 0, max: 0xffff })), { minLength: 8, maxLength: 8 })
  .map((fs) => fs.reduce((acc, f) => (acc << 16n) | BigInt(f), 0n));
const v4Value = fc.bigInt({ min: 0n, max: (1n << 32n) - 1n });
const anyAddress = fc.oneof(
  v4Value.map((value) => ({ family: 4 as Family, value })),
  v6Value.map((value) => ({ family: 6 as Family, value })),
);

function mask(family: Family, value: bigint, len: number): Prefix {
  const bits = familyBits(family);
  const host = (1n << BigInt(bits - len)) - 1n;
  return { family, addr: value & ~host & ((1n << BigInt(bits)) - 1n), len };
}
const anyPrefix = anyAddress.chain(({ family, value }) => fc.integer({ min: 0, max: familyBits(family) }).map((len) => mask(family, value, len)));

/** Prefixes inside a small universe base/baseLen, so that containment and overlap happen often. */
function prefixIn(base: Prefix): fc.Arbitrary<Prefix> {
  const bits = familyBits(base.family);
  const span = 1n << BigInt(bits - base.len);
  return fc
    .tuple(fc.bigInt({ min: 0n, max: span - 1n }), fc.integer({ min: base.len, max: bits }))
    .map(([off, len]) => mask(base.family, base.addr + off, len));
}
const U4 = parsePrefix('10.0.0.0/26');
const small4 = prefixIn(U4);
const small6 = prefixIn(parsePrefix('2001:db8::/122'));

const range = (p: Prefix): [bigint, bigint] => [p.addr, prefixLast(p)];

describe('format/parse', () => {
  it('parse(format(v)) == v and format is idempotent, and IPv6 matches ip-address correctForm', () => {
    fc.assert(
      fc.property(anyAddress, ({ family, value }) => {
        const s = formatAddress(family, value);
        expect(parseAddress(s)).toEqual({ family, value });
        expect(formatAddress(family, parseAddress(s).value)).toBe(s);
        if (family === 6) {
          expect(s).toBe(Address6.fromBigInt(value).correctForm());
          expect(s).not.toMatch(/(^|:)0[0-9a-f]/);
          expect(s).toBe(s.toLowerCase());
        }
      }),
      RUNS,
    );
  });

  it('any spelling of an IPv6 address (uppercase, leading zeros, uncompressed) parses to the same value', () => {
    fc.assert(
      fc.property(v6Value, fc.boolean(), fc.boolean(), (value, upper, pad) => {
        const fields = [];
        for (let i = 7; i >= 0; i--) fields.push(((value >> BigInt(16 * i)) & 0xffffn).toString(16));
        let s = fields.map((f) => (pad ? f.padStart(4, '0') : f)).join(':');
        if (upper) s = s.toUpperCase();
        expect(parseAddress(s).value).toBe(value);
      }),
      RUNS,
    );
  });

  it('formatPrefix/parsePrefix round trip', () => {
    fc.assert(
      fc.property(anyPrefix, (p) => {
        expect(parsePrefix(formatPrefix(p))).toEqual(p);
      }),
      RUNS,
    );
  });

  it('strict parse rejects exactly the prefixes with host bits', () => {
    fc.assert(
      fc.property(anyAddress, fc.integer({ min: 0, max: 128 }), ({ family, value }, l) => {
        const len = Math.min(l, familyBits(family));
        const s = `${formatAddress(family, value)}/${len}`;
        if (isAligned(family, value, len)) expect(parsePrefix(s)).toEqual({ family, addr: value, len });
        else {
          expect(() => parsePrefix(s)).toThrow(/has host bits set \(network is /);
          expect(parsePrefix(s, { strict: false })).toEqual(mask(family, value, len));
        }
      }),
      RUNS,
    );
  });
});

describe('contains / overlaps', () => {
  const pair = fc.oneof(fc.tuple(small4, small4), fc.tuple(small6, small6), fc.tuple(small4, small6), fc.tuple(anyPrefix, anyPrefix));
  it('agree with the address ranges', () => {
    fc.assert(
      fc.property(pair, ([a, b]) => {
        const [alo, ahi] = range(a);
        const [blo, bhi] = range(b);
        const same = a.family === b.family;
        expect(contains(a, b)).toBe(same && alo <= blo && bhi <= ahi);
        expect(overlaps(a, b)).toBe(same && alo <= bhi && blo <= ahi);
        expect(overlaps(a, b)).toBe(overlaps(b, a));
        expect(containsAddress(a, b.family, b.addr)).toBe(same && alo <= b.addr && b.addr <= ahi);
      }),
      RUNS,
    );
  });
});

describe('subnet', () => {
  const arb = anyPrefix.chain((p) =>
    fc.integer({ min: p.len, max: Math.min(familyBits(p.family), p.len + 20) }).chain((newLen) => {
      const n = 1n << BigInt(newLen - p.len);
      return fc.tuple(fc.constant(p), fc.constant(newLen), fc.bigInt({ min: 0n, max: n - 1n }), fc.bigInt({ min: 0n, max: n - 1n }));
    }),
  );
  it('subnet(i) lies inside the parent, is aligned, and distinct indices are disjoint', () => {
    fc.assert(
      fc.property(arb, ([p, newLen, i, j]) => {
        const a = subnet(p, newLen, i);
        const b = subnet(p, newLen, j);
        expect(a.len).toBe(newLen);
        expect(contains(p, a)).toBe(true);
        expect(isAligned(a.family, a.addr, newLen)).toBe(true);
        expect(subnetIndex(p, a)).toBe(i);
        expect(overlaps(a, b)).toBe(i === j);
        expect(() => subnet(p, newLen, subnetCount(p, newLen))).toThrow(/out of range/);
      }),
      RUNS,
    );
  });
});

describe('firstFree', () => {
  /** Small v4 parent inside 10.0.0.0/26, used prefixes around it (inside, covering, elsewhere, other family). */
  const arb = fc
    .tuple(prefixIn(parsePrefix('10.0.0.0/24')).filter((p) => p.len <= 30), fc.array(fc.oneof(prefixIn(parsePrefix('10.0.0.0/23')), small6), { maxLength: 12 }))
    .chain(([parent, used]) => fc.tuple(fc.constant(parent), fc.constant(used), fc.integer({ min: parent.len, max: Math.min(32, parent.len + 6) })));

  it('returns the lowest aligned free subnet (brute force)', () => {
    fc.assert(
      fc.property(arb, ([parent, used, len]) => {
        const got = firstFree(parent, len, used);
        let want: Prefix | null = null;
        for (let i = 0n; i < subnetCount(parent, len); i++) {
          const c = subnet(parent, len, i);
          if (!used.some((u) => overlaps(u, c))) {
            want = c;
            break;
          }
        }
        expect(got).toEqual(want);
        if (got) {
          expect(contains(parent, got)).toBe(true);
          expect(isAligned(4, got.addr, len)).toBe(true);
          expect(used.some((u) => overlaps(u, got))).toBe(false);
        }
        // skip behaves like used
        expect(firstFree(parent, len, used.slice(0, 3), { skip: used.slice(3) })).toEqual(want);
      }),
      RUNS,
    );
  });

  it('preferNibble picks the lowest candidate whose nibble block is untouched, else the plain lowest', () => {
    const parent6 = parsePrefix('2001:db8::/116');
    const arb6 = fc.tuple(fc.array(prefixIn(parent6), { maxLength: 8 }), fc.integer({ min: 117, max: 128 }));
    fc.assert(
      fc.property(arb6, ([used, len]) => {
        const got = firstFree(parent6, len, used, { preferNibble: true });
        const plain = firstFree(parent6, len, used);
        const zoneLen = Math.floor(len / 4) * 4;
        let want: Prefix | null = null;
        if (zoneLen < len) {
          for (let i = 0n; i < subnetCount(parent6, zoneLen); i++) {
            const z = subnet(parent6, zoneLen, i);
            if (!used.some((u) => overlaps(u, z))) {
              want = { family: 6, addr: z.addr, len };
              break;
            }
          }
        }
        expect(got).toEqual(want ?? plain);
        if (got) expect(used.some((u) => overlaps(u, got))).toBe(false);
      }),
      RUNS,
    );
  });
});

function setOf(ps: readonly Prefix[], family: Family): IntervalSet {
  return IntervalSet.fromPrefixes(family, ps.filter((p) => p.family === family));
}

describe('aggregate', () => {
  const arb = fc.array(fc.oneof(small4, small4, small6, anyPrefix), { maxLength: 30 });
  it('covers exactly the same addresses, minimally, sorted per family', () => {
    fc.assert(
      fc.property(arb, (ps) => {
        const r = aggregate(ps);
        for (const f of [4, 6] as const) expect(setOf(r, f).equals(setOf(ps, f))).toBe(true);
        for (let i = 0; i + 1 < r.length; i++) expect(comparePrefix(r[i], r[i + 1])).toBeLessThan(0);
        for (let i = 0; i < r.length; i++) {
          for (let j = 0; j < r.length; j++) {
            if (i === j) continue;
            expect(overlaps(r[i], r[j])).toBe(false);
            const a = r[i];
            const b = r[j];
            const siblings = a.family === b.family && a.len === b.len && a.len > 0 && (a.addr ^ b.addr) === 1n << BigInt(familyBits(a.family) - a.len);
            expect(siblings).toBe(false);
          }
        }
      }),
      RUNS,
    );
  });
});

describe('rangeToPrefixes', () => {
  const arb = fc.oneof(
    fc.tuple(fc.constant(4 as Family), v4Value, v4Value),
    fc.tuple(fc.constant(6 as Family), v6Value, v6Value),
    fc.tuple(fc.constant(6 as Family), fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }), fc.bigInt({ min: 0n, max: (1n << 128n) - 1n })),
  );
  it('is an exact, ordered, aligned cover without mergeable neighbours', () => {
    fc.assert(
      fc.property(arb, ([family, x, y]) => {
        const lo = x < y ? x : y;
        const hi = x < y ? y : x;
        const r = rangeToPrefixes(family, lo, hi);
        expect(r[0].addr).toBe(lo);
        expect(prefixLast(r[r.length - 1])).toBe(hi);
        // plain checks in the loop: a few hundred expect() calls per run would dominate the runtime
        const bad: string[] = [];
        for (let i = 0; i < r.length; i++) {
          if (r[i].family !== family || !isAligned(family, r[i].addr, r[i].len)) bad.push(`unaligned ${formatPrefix(r[i])}`);
          if (i > 0) {
            const a = r[i - 1];
            const b = r[i];
            if (b.addr !== prefixLast(a) + 1n) bad.push(`gap or overlap before ${formatPrefix(b)}`);
            if (a.len === b.len && isAligned(family, a.addr, a.len - 1)) bad.push(`mergeable ${formatPrefix(a)} ${formatPrefix(b)}`);
          }
        }
        expect(bad).toEqual([]);
        // the greedy cover has at most two prefixes per length
        expect(r.length).toBeLessThanOrEqual(2 * familyBits(family));
        expect(IntervalSet.fromPrefixes(family, r).equals(IntervalSet.fromRange(family, lo, hi))).toBe(true);
      }),
      RUNS,
    );
  });
});
