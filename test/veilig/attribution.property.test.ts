import fc from 'fast-check';
import { flatten, lookup4, lookup6, words6 } from '../../src/veilig/attribution';
import { makePrefix, prefixLast, type Prefix } from '../../src/net';

/** The owner by brute force: the longest declared prefix holding the address (the first one on a tie). */
function naive(claims: Array<{ prefix: Prefix; owner: number }>, addr: bigint): number {
  let best: { prefix: Prefix; owner: number } | null = null;
  for (const c of claims) {
    if (addr < c.prefix.addr || addr > prefixLast(c.prefix)) continue;
    if (!best || c.prefix.len > best.prefix.len) best = c;
  }
  return best ? best.owner : -1;
}

/** Builds the table the index uses from flattened ranges (as buildAttributionIndex does), through the public lookups. */
function tableOf(family: 4 | 6, ranges: Array<{ lo: bigint; hi: bigint; owner: number }>) {
  const words = family === 4 ? 1 : 4;
  const starts = new Uint32Array(ranges.length * words);
  const ends = new Uint32Array(ranges.length * words);
  const owner = new Int32Array(ranges.length);
  ranges.forEach((r, i) => {
    const s = family === 4 ? Uint32Array.of(Number(r.lo)) : words6(r.lo);
    const e = family === 4 ? Uint32Array.of(Number(r.hi)) : words6(r.hi);
    starts.set(s, i * words);
    ends.set(e, i * words);
    owner[i] = r.owner;
  });
  return { starts, ends, owner, length: ranges.length };
}

/** Exact duplicates keep the first declaration, as the index does. */
function firstOfEach(claims: Array<{ prefix: Prefix; owner: number }>): Array<{ prefix: Prefix; owner: number }> {
  const seen = new Set<string>();
  return claims.filter((c) => {
    const key = `${c.prefix.addr}/${c.prefix.len}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

// Prefixes drawn from a small space so that nesting, duplicates and neighbours are common.
const claim4 = fc.record({ addr: fc.integer({ min: 0, max: 255 }), len: fc.integer({ min: 24, max: 32 }), owner: fc.integer({ min: 0, max: 5 }) }).map((c) => ({ prefix: makePrefix(4, 0xc0000200n + BigInt(c.addr), c.len, { mask: true }), owner: c.owner }));
const claim6 = fc.record({ addr: fc.bigInt({ min: 0n, max: (1n << 16n) - 1n }), len: fc.integer({ min: 112, max: 128 }), owner: fc.integer({ min: 0, max: 5 }) }).map((c) => ({ prefix: makePrefix(6, 0x3fff0000000000000000000000000000n + c.addr, c.len, { mask: true }), owner: c.owner }));

describe('attribution: flattened ranges answer as the longest declared prefix', () => {
  test('IPv4, every address of the space', () => {
    fc.assert(
      fc.property(fc.array(claim4, { maxLength: 12 }), (claims) => {
        const unique = firstOfEach(claims);
        const ranges = flatten(claims);
        for (let i = 1; i < ranges.length; i++) expect(ranges[i].lo).toBeGreaterThan(ranges[i - 1].hi);
        const t = tableOf(4, ranges);
        for (let a = 0xc0000200 - 2; a <= 0xc00002ff + 2; a++) expect(lookup4(t, a)).toBe(naive(unique, BigInt(a)));
      }),
      { numRuns: 300 },
    );
  });

  test('IPv6, boundaries and random addresses', () => {
    fc.assert(
      fc.property(fc.array(claim6, { maxLength: 10 }), fc.array(fc.bigInt({ min: 0n, max: (1n << 17n) - 1n }), { maxLength: 60 }), (claims, probes) => {
        const unique = firstOfEach(claims);
        const t = tableOf(6, flatten(claims));
        const base = 0x3fff0000000000000000000000000000n;
        const edges = unique.flatMap((c) => [c.prefix.addr - 1n, c.prefix.addr, prefixLast(c.prefix), prefixLast(c.prefix) + 1n]);
        for (const a of [...edges, ...probes.map((p) => base + p)]) expect(lookup6(t, words6(a))).toBe(naive(unique, a));
      }),
      { numRuns: 300 },
    );
  });
});
