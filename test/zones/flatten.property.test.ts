import fc from 'fast-check';
import { type AddrSet, BITS, type Family, MAX, setIntersect, toCidrs, type RangeList } from '../../src/zones/addr';
import { protoMask } from '../../src/zones/engine';
import { flattenRules, type FlatRule } from '../../src/zones/nftables';
import { ZONES, type PolicyModel } from '../../src/zones/types';
import { formatAddress } from '../../src/net';
import { buildModel, policySpec } from './gen';

/**
 * The hub's flat rules and the address printing under them against straightforward references: flattenRules (which
 * cuts and prints each distinct range once and shares the results between sets) against cutting and printing every
 * set whole, src/net's formatAddress against a field-by-field RFC 5952 formatter, toCidrs against a bit-length taken from the binary text.
 */

/** RFC 5952 section 4 the plain way: eight fields, the longest run (>= 2) of zero fields compressed, the first on a tie. */
function refFormat(family: Family, v: bigint): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((s) => String((v >> s) & 255n)).join('.');
  const fields = [7, 6, 5, 4, 3, 2, 1, 0].map((i) => Number((v >> BigInt(i * 16)) & 0xffffn));
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; i++) {
    let j = i;
    while (j < 8 && fields[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
  }
  const hex = (xs: number[]) => xs.map((x) => x.toString(16)).join(':');
  return best < 0 ? hex(fields) : `${hex(fields.slice(0, best))}::${hex(fields.slice(best + bestLen))}`;
}

function refFlatten(policy: PolicyModel): FlatRule[] {
  const out: FlatRule[] = [];
  for (const r of policy.rules) {
    for (const z of ZONES) {
      const src = setIntersect(r.src, policy.zones[z].live);
      const dst = setIntersect(r.dst, policy.zones[z].live);
      for (const family of [4, 6] as Family[]) {
        if (!protoMask(r.proto, family)) continue;
        const s = family === 4 ? src.v4 : src.v6;
        const d = family === 4 ? dst.v4 : dst.v6;
        if (!s.length || !d.length) continue;
        const base = { ruleId: r.id, action: r.action === 'allow' ? ('pass' as const) : ('drop' as const), proto: r.proto === 'any' ? ('ip' as const) : r.proto, src: toCidrs(family, s), dst: toCidrs(family, d) };
        if (r.ports && (r.proto === 'tcp' || r.proto === 'udp')) {
          for (let i = 0; i < r.ports.length; i += 2) out.push({ ...base, dports: r.ports[i] === r.ports[i + 1] ? `${r.ports[i]}` : `${r.ports[i]}-${r.ports[i + 1]}` });
        } else out.push({ ...base, dports: null });
      }
    }
  }
  return out;
}

function refToCidrs(family: Family, list: RangeList): string[] {
  const bitLength = (x: bigint): number => (x === 0n ? 0 : x.toString(2).length);
  const out: string[] = [];
  for (const r of list) {
    let lo = r.lo;
    while (lo <= r.hi) {
      const k = Math.min(bitLength(r.hi - lo + 1n) - 1, lo === 0n ? BITS[family] : bitLength(lo & -lo) - 1);
      out.push(`${formatAddress(family, lo)}/${BITS[family] - k}`);
      lo += 1n << BigInt(k);
    }
  }
  return out;
}

// IPv6 values with runs of zero groups in every position, and values around the 32-bit and 64-bit boundaries.
const group = fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 0, max: 0xffff }));
const v6 = fc.oneof(
  fc.array(group, { minLength: 8, maxLength: 8 }).map((g) => g.reduce((v, x) => (v << 16n) | BigInt(x), 0n)),
  fc.bigInt({ min: 0n, max: MAX[6] }),
  fc.bigInt({ min: 0n, max: 1n << 66n }),
);
const v4 = fc.bigInt({ min: 0n, max: MAX[4] });

describe('flat rules for the hub', () => {
  it("src/net's formatAddress (the engine's hot path) prints what a field-by-field RFC 5952 formatter prints", () => {
    fc.assert(fc.property(v4, (v) => formatAddress(4, v) === refFormat(4, v)), { numRuns: 500 });
    fc.assert(fc.property(v6, (v) => formatAddress(6, v) === refFormat(6, v)), { numRuns: 2000 });
    for (const v of [0n, 1n, MAX[6], 1n << 64n, (1n << 64n) - 1n, 0xffffffffn, 1n << 32n]) expect(formatAddress(6, v)).toBe(refFormat(6, v));
  });

  it('toCidrs decomposes ranges as with an exact bit length', () => {
    const range = (value: fc.Arbitrary<bigint>) => fc.tuple(value, value).map(([a, b]) => [a <= b ? { lo: a, hi: b } : { lo: b, hi: a }]);
    fc.assert(fc.property(range(v4), (l) => expect(toCidrs(4, l)).toEqual(refToCidrs(4, l))), { numRuns: 300 });
    fc.assert(fc.property(range(v6), (l) => expect(toCidrs(6, l)).toEqual(refToCidrs(6, l))), { numRuns: 300 });
    expect(toCidrs(6, [{ lo: 0n, hi: MAX[6] }])).toEqual(['::/0']);
    expect(toCidrs(4, [{ lo: 0n, hi: MAX[4] }])).toEqual(['0.0.0.0/0']);
  });

  it('flattenRules gives the rules of cutting and printing each set whole', () => {
    fc.assert(
      fc.property(policySpec, (spec) => {
        const policy = buildModel(spec);
        expect(flattenRules(policy)).toEqual(refFlatten(policy));
      }),
      { numRuns: 150 },
    );
  });

  it('keeps ranges apart that share their leading bits or their low 64 bits', () => {
    // Ranges with the same start, starts that differ only above bit 64, or that fold to the same number: flattenRules
    // memoises per range by a number taken from its start, so these must still come out apart.
    const r = (lo: bigint, hi: bigint) => ({ lo, hi });
    const base = 0x20010db8n << 96n;
    const sets: AddrSet[] = [
      { v4: [], v6: [r(base, base + 0xffn)] },
      { v4: [], v6: [r(base + 0x100n, base + 0x1ffn)] },
      { v4: [], v6: [r(base, base + 0x1ffn)] },
      { v4: [], v6: [r(base + (1n << 64n), base + (1n << 64n) + 0xffn)] },
      { v4: [], v6: [r(base, base), r(base + 2n, base + 3n)] },
      // Its start folds (high 64 bits XOR low 64 bits) to the same number as `base`.
      { v4: [], v6: [r(base + (1n << 64n) + 1n, base + (1n << 64n) + 1n)] },
    ];
    const live: AddrSet = { v4: [], v6: [r(base, base + (2n << 64n))] };
    const policy: PolicyModel = {
      rules: sets.map((s, i) => ({ id: `r${i}`, src: s, dst: sets[(i + 1) % sets.length], proto: 'any', ports: null, action: 'allow' }) as unknown as PolicyModel['rules'][number]),
      guardrails: [],
      zones: { overheid: { all: live, live }, markt: { all: live, live: { v4: [], v6: [] } } } as unknown as PolicyModel['zones'],
      orgs: [],
      services: [],
    };
    const flat = flattenRules(policy);
    expect(flat).toEqual(refFlatten(policy));
    expect(flat.map((f) => f.src)).toEqual([['2001:db8::/120'], ['2001:db8::100/120'], ['2001:db8::/119'], ['2001:db8:0:1::/120'], ['2001:db8::/128', '2001:db8::2/127'], ['2001:db8:0:1::1/128']]);
  });
});
