import fc from 'fast-check';
import { type Family, MAX, normalize, type Range, type RangeList, union } from '../../src/zones/addr';
import { AtomSpace, compileFamily, decompose, SignatureIndex, type SrcClass, sweep, visitClipped } from '../../src/zones/engine';
import { toRuleLike } from '../../src/zones/lint';
import { buildModel, policySpec, ruleSpec, SELECTORS } from './gen';

/**
 * The engine's building blocks against naive references: the atom space (boundaries numbered through their doubles,
 * atoms of every list computed up front), the sweep (signature classes, its active set), range-list union, and
 * `visitClipped` (a clipped decomposition taken from the full one).
 */

// Values that stress the atom space: IPv4-sized, IPv6 prefixes that share their low 64 bits, addresses a few apart
// high in the IPv6 space (they round to the same double), and the very top.
const BASE = 1n << 100n;
const values6 = fc.oneof(
  fc.bigInt({ min: 0n, max: 1n << 32n }),
  fc.nat(64).map((k) => (0x20010db8n << 96n) + (BigInt(k) << 64n)),
  fc.nat(40).map((k) => BASE + BigInt(k)),
  fc.nat(3).map((k) => MAX[6] - BigInt(k)),
);
const range6 = fc.tuple(values6, values6).map(([a, b]) => (a <= b ? { lo: a, hi: b } : { lo: b, hi: a }));
const list6 = fc.array(range6, { maxLength: 5 });

function refBounds(family: Family, lists: RangeList[]): bigint[] {
  const all = [0n, MAX[family] + 1n];
  for (const l of lists) for (const r of l) all.push(r.lo, r.hi + 1n);
  return [...new Set(all.map(String))].map(BigInt).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

function refAtoms(bounds: bigint[], list: RangeList): number[] {
  const out: number[] = [];
  for (const r of list) {
    const a = bounds.indexOf(r.lo);
    const b = bounds.indexOf(r.hi + 1n);
    if (out.length && out[out.length - 1] === a) out[out.length - 1] = b;
    else out.push(a, b);
  }
  return out;
}

describe('AtomSpace (property)', () => {
  it('has the sorted distinct boundaries, and the atoms of every list, given or not', () => {
    fc.assert(
      fc.property(fc.array(list6, { maxLength: 8 }), fc.nat(), (lists, pick) => {
        // Some lists twice, by identity: they count once.
        const given = lists.concat(lists.filter((_, i) => i % 2 === 0));
        const space = new AtomSpace(6, given);
        const bounds = refBounds(6, lists);
        expect(space.bounds).toEqual(bounds);
        for (const l of lists) expect(Array.from(space.atoms(l))).toEqual(refAtoms(bounds, l));
        // A list it was not built from, on its boundaries: looked up by value.
        if (bounds.length > 2) {
          const i = pick % (bounds.length - 1);
          const j = i + 1 + (pick % (bounds.length - 1 - i));
          const other: RangeList = [{ lo: bounds[i], hi: bounds[j] - 1n }];
          expect(Array.from(space.atoms(other))).toEqual([i, j]);
        }
        // A boundary it does not have.
        const missing = [BASE + 1000n, 7n, (0x20010db8n << 96n) + 5n].find((v) => !bounds.includes(v) && !bounds.includes(v + 1n));
        if (missing !== undefined) expect(() => space.atoms([{ lo: missing, hi: missing }])).toThrow(/not in the atom space/);
      }),
      { numRuns: 300 },
    );
  });

  it('works for IPv4 the same way', () => {
    const v4 = fc.bigInt({ min: 0n, max: MAX[4] });
    const list4 = fc.array(fc.tuple(v4, v4).map(([a, b]) => (a <= b ? { lo: a, hi: b } : { lo: b, hi: a })), { maxLength: 4 });
    fc.assert(
      fc.property(fc.array(list4, { maxLength: 6 }), (lists) => {
        const space = new AtomSpace(4, lists);
        const bounds = refBounds(4, lists);
        expect(space.bounds).toEqual(bounds);
        for (const l of lists) expect(Array.from(space.atoms(l))).toEqual(refAtoms(bounds, l));
      }),
      { numRuns: 200 },
    );
  });
});

const N_ATOMS = 24;
/** Sorted, disjoint, non-adjacent half-open atom intervals over [0, N_ATOMS). */
const atomList = fc.uniqueArray(fc.nat(N_ATOMS - 1), { maxLength: 12 }).map((pts) => {
  const s = [...pts].sort((a, b) => a - b);
  const out: number[] = [];
  for (let i = 0; i + 1 < s.length; i += 2) {
    // [s[i], s[i+1]) unless it would touch the previous one
    if (out.length && out[out.length - 1] >= s[i]) continue;
    out.push(s[i], s[i + 1]);
  }
  return out;
});

function covers(l: ArrayLike<number>, a: number): boolean {
  for (let i = 0; i < l.length; i += 2) if (l[i] <= a && a < l[i + 1]) return true;
  return false;
}

function refSweep(lists: Array<ArrayLike<number>>, ids: number[], clip?: number[]): Array<{ segs: number[]; members: number[] }> {
  const classes = new Map<string, { segs: number[]; members: number[] }>();
  for (let a = 0; a < N_ATOMS; a++) {
    if (clip && !covers(clip, a)) continue;
    const members = ids.filter((id) => covers(lists[id], a)).sort((x, y) => x - y);
    if (!members.length) continue;
    const key = members.join(',');
    let c = classes.get(key);
    if (!c) classes.set(key, (c = { segs: [], members }));
    if (c.segs.length && c.segs[c.segs.length - 1] === a) c.segs[c.segs.length - 1] = a + 1;
    else c.segs.push(a, a + 1);
  }
  return [...classes.values()];
}

describe('sweep (property)', () => {
  it('groups atoms by the lists covering them, in order of first atom', () => {
    fc.assert(
      fc.property(fc.array(atomList, { minLength: 1, maxLength: 10 }), fc.array(fc.boolean(), { minLength: 10, maxLength: 10 }), fc.option(atomList, { nil: undefined }), fc.boolean(), (lists, use, clip, typed) => {
        const given: Array<ArrayLike<number>> = typed ? lists.map((l) => Int32Array.from(l)) : lists;
        // Ids need not be dense or ordered, and one may come twice.
        const ids = lists.map((_, i) => i).filter((i) => use[i]).reverse();
        const twice = ids.length ? [...ids, ids[0]] : ids;
        const got = sweep(given, twice, clip).map((c) => ({ segs: c.segs, members: c.members }));
        expect(got).toEqual(refSweep(lists, ids, clip));
      }),
      { numRuns: 500 },
    );
  });
});

describe('SignatureIndex', () => {
  it('tells signatures apart that share their first part', () => {
    const ix = new SignatureIndex();
    expect(ix.get(1, 2)).toBe(-1);
    ix.set(1, 2, 0);
    ix.set(1, 4, 1);
    ix.set(2 ** 40 + 0.5, 2, 2);
    ix.set(-7, 2, 3);
    expect([ix.get(1, 2), ix.get(1, 4), ix.get(2 ** 40 + 0.5, 2), ix.get(-7, 2)]).toEqual([0, 1, 2, 3]);
    expect([ix.get(1, 5), ix.get(2, 2), ix.get(-7, 4)]).toEqual([-1, -1, -1]);
  });

  it('agrees with a map on the whole signature (property)', () => {
    const part = fc.constantFrom(-3, 0, 1, 2, 2 ** 36 + 1, 2 ** 50);
    fc.assert(
      fc.property(fc.array(fc.tuple(part, part), { maxLength: 60 }), (sigs) => {
        const ix = new SignatureIndex();
        const ref = new Map<string, number>();
        sigs.forEach(([a, b], i) => {
          const k = `${a}:${b}`;
          expect(ix.get(a, b)).toBe(ref.get(k) ?? -1);
          if (!ref.has(k)) {
            ref.set(k, i);
            ix.set(a, b, i);
          }
        });
        for (const [k, v] of ref) {
          const [a, b] = k.split(':').map(Number);
          expect(ix.get(a, b)).toBe(v);
        }
      }),
    );
  });
});

describe('range lists (property)', () => {
  const small = fc.tuple(fc.nat(60), fc.nat(6)).map(([lo, w]) => ({ lo: BigInt(lo), hi: BigInt(lo + w) }));
  const members = (l: RangeList): string => {
    const s: number[] = [];
    for (const r of l) for (let x = Number(r.lo); x <= Number(r.hi); x++) s.push(x);
    return [...new Set(s)].sort((a, b) => a - b).join(',');
  };
  const canonical = (l: RangeList): boolean => l.every((r, i) => r.lo <= r.hi && (i === 0 || l[i - 1].hi + 1n < r.lo));

  it('normalize gives the canonical list of any list, sorted or not', () => {
    fc.assert(
      fc.property(fc.array(small, { maxLength: 8 }), fc.boolean(), (list, presort) => {
        const input = presort ? [...list].sort((a, b) => (a.lo < b.lo ? -1 : a.lo > b.lo ? 1 : 0)) : list;
        const copy = input.map((r) => ({ ...r }));
        const out = normalize(input);
        expect(canonical(out)).toBe(true);
        expect(members(out)).toBe(members(list));
        expect(input).toEqual(copy); // the input is left alone
      }),
    );
  });

  it('union of canonical lists is their canonical union, and leaves its inputs alone', () => {
    fc.assert(
      fc.property(fc.array(small, { maxLength: 6 }), fc.array(small, { maxLength: 6 }), (x, y) => {
        const a = normalize(x);
        const b = normalize(y);
        const [ca, cb] = [a.map((r) => ({ ...r })), b.map((r) => ({ ...r }))];
        const u = union(a, b);
        expect(canonical(u)).toBe(true);
        expect(members(u)).toBe(members([...a, ...b]));
        expect(a).toEqual(ca);
        expect(b).toEqual(cb);
        if (a.length && b.length) for (const r of u) expect(a.includes(r as Range) || b.includes(r as Range)).toBe(false);
      }),
    );
  });
});

describe('visitClipped (property)', () => {
  it('visits what decompose with the same clips visits, in the same order', () => {
    const clipSel = fc.array(fc.nat(SELECTORS.length - 1), { minLength: 1, maxLength: 2 });
    fc.assert(
      fc.property(policySpec, clipSel, clipSel, (spec, ds, ss) => {
        // Clips are the union of some rules' sets: build them as extra rules so they are in the atom space.
        const m = buildModel({ ...spec, rules: [...spec.rules, ...ds.map((d) => ({ src: d, dst: ss[0], proto: 'any' as const, ports: null, allow: true })), ...ss.map((s) => ({ src: s, dst: s, proto: 'any' as const, ports: null, allow: true }))] });
        const clipSets = m.rules.slice(spec.rules.length);
        const rules = m.rules.slice(0, spec.rules.length).map(toRuleLike);
        for (const f of [4, 6] as Family[]) {
          const pick = (s: { v4: RangeList; v6: RangeList }): RangeList => (f === 4 ? s.v4 : s.v6);
          const fr = compileFamily(f, rules, clipSets.flatMap((r) => [r.src, r.dst]));
          const dClip = fr.space.atoms(normalize(clipSets.slice(0, ds.length).flatMap((r) => pick(r.src))));
          const sClip = fr.space.atoms(pick(clipSets[clipSets.length - 1].src));
          const classes: Array<{ segs: number[]; cells: SrcClass[] }> = [];
          decompose(fr, (d, s, idxs) => {
            if (!classes.length || classes[classes.length - 1].segs !== d) classes.push({ segs: d, cells: [] });
            classes[classes.length - 1].cells.push({ segs: s, rules: idxs });
          });
          const want: unknown[] = [];
          decompose(fr, (d, s, idxs) => want.push([d, s, idxs]), { dstClip: dClip, srcClip: () => sClip });
          const got: unknown[] = [];
          visitClipped(classes, dClip, sClip, (d, s, cell) => got.push([d, s, cell.rules]));
          expect(got).toEqual(want);
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('decompose (property)', () => {
  it('visits cells whose atoms all have exactly the listed rules, ascending, and covers every covered pair once', () => {
    // Many rules over few, wide sets: crowded cells whose rules come from several src sets.
    const wide = ['zone:overheid', 'org:GM0001', 'pfx:192.0.2.0/24', 'pfx:192.0.2.0/26', 'pfx:0.0.0.0/0', 'pfx:::/0', 'pfx:2001:db8::/120'].map((x) => SELECTORS.indexOf(x));
    const crowded = ruleSpec.chain((r) => fc.tuple(fc.constantFrom(...wide), fc.constantFrom(...wide)).map(([src, dst]) => ({ ...r, src, dst })));
    const spec = fc.record({ joins: policySpec.map((p) => p.joins), rules: fc.array(fc.oneof({ arbitrary: ruleSpec, weight: 1 }, { arbitrary: crowded, weight: 4 }), { minLength: 30, maxLength: 90 }) });
    fc.assert(
      fc.property(spec, (sp) => {
        const m = buildModel(sp);
        for (const f of [4, 6] as Family[]) {
          const fr = compileFamily(f, m.rules.map(toRuleLike));
          const covering = (s: number, d: number): number[] => fr.rules.flatMap((r, i) => (covers(r.src, s) && covers(r.dst, d) ? [i] : []));
          const seen = new Set<string>();
          decompose(fr, (dsegs, ssegs, rules) => {
            for (let i = 1; i < rules.length; i++) expect(rules[i - 1]).toBeLessThan(rules[i]);
            for (let a = 0; a < dsegs.length; a += 2) {
              for (let d = dsegs[a]; d < dsegs[a + 1]; d++) {
                for (let b = 0; b < ssegs.length; b += 2) {
                  for (let s = ssegs[b]; s < ssegs[b + 1]; s++) {
                    expect(covering(s, d)).toEqual(rules);
                    expect(seen.has(`${s}:${d}`)).toBe(false);
                    seen.add(`${s}:${d}`);
                  }
                }
              }
            }
          });
          for (let d = 0; d < fr.space.size; d++) for (let s = 0; s < fr.space.size; s++) if (covering(s, d).length) expect(seen.has(`${s}:${d}`)).toBe(true);
        }
      }),
      { numRuns: 25 },
    );
  });
});
