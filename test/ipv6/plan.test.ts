import fc from 'fast-check';
import { contains, formatPrefix, isAligned, overlaps, parsePrefix, supernet } from '../../src/net';
import { allocationCapacity, categoryPrefix, locate, planFromSettings, slotCapacity, slotFootprint, slotPrefix, PLAN_KINDS, type PlanKind } from '../../src/ipv6';
import type { Settings } from '../../src/model/schema';
import { plan, SETTINGS } from './fixtures';

/** Settings with another layout: block length + organisation bits + category bits must stay /46. */
function layout(organisationBits: number, categoryBits: number, order: 'organisation-category' | 'category-organisation'): Settings {
  const blockLen = 46 - organisationBits - categoryBits;
  const blocks = {
    gemeente: `2a04::/${blockLen}`,
    provincie: `2a05::/${blockLen}`,
    waterschap: `2a05::/${blockLen}`,
    samenwerkingsverband: `2a06::/${blockLen}`,
    leverancier: `2a07::/${blockLen}`,
  };
  const categories = Array.from({ length: Math.min(2 ** categoryBits, 8) }, (_, i) => ({ name: `c${i}`, code: i, internet: i === 0 }));
  return { ...SETTINGS, numberingPlan: { ...SETTINGS.numberingPlan, blocks, layout: { organisationBits, categoryBits, order, status: 'assumed' }, categories } };
}

describe('numbering plan', () => {
  const p = plan();

  it('reads the default plan: four /33 blocks, 11+2 bits, 2048 slots, 8192 /46s per block', () => {
    expect(p.allocationLength).toBe(46);
    expect(formatPrefix(p.blocks.get('gemeente')!)).toBe('2a07:3500::/33');
    expect(p.distinctBlocks.map((b) => b.kinds)).toEqual([['gemeente'], ['provincie', 'waterschap'], ['samenwerkingsverband'], ['leverancier']]);
    expect(slotCapacity(p)).toBe(2048);
    expect(allocationCapacity(p, 'gemeente')).toBe(8192n);
  });

  it('puts a slot in a /44 and its categories at their codes', () => {
    expect(formatPrefix(slotPrefix(p, 'gemeente', 0)!)).toBe('2a07:3500::/44');
    expect(formatPrefix(slotPrefix(p, 'gemeente', 1)!)).toBe('2a07:3500:10::/44');
    expect(formatPrefix(categoryPrefix(p, 'gemeente', 0, 'internet'))).toBe('2a07:3500::/46');
    expect(formatPrefix(categoryPrefix(p, 'gemeente', 0, 'diginetwerk'))).toBe('2a07:3500:4::/46');
    expect(formatPrefix(categoryPrefix(p, 'gemeente', 164, 'diginetwerk'))).toBe('2a07:3500:a44::/46');
    expect(formatPrefix(categoryPrefix(p, 'leverancier', 2047, 'reserve'))).toBe('2a07:3503:7ffc::/46');
    expect(() => categoryPrefix(p, 'gemeente', 2048, 'internet')).toThrow(/slot 2048/);
    expect(() => categoryPrefix(p, 'gemeente', 0, 'nope')).toThrow(/unknown network category/);
  });

  it('locates a /46 back to its slot and category code (DOMAIN.md §1.9 example)', () => {
    const at = locate(p, parsePrefix('2a07:3500:a44::/46'))!;
    expect(at.block.kinds).toEqual(['gemeente']);
    expect(at).toMatchObject({ slot: 164, code: 1 });
    expect(locate(p, parsePrefix('2a07:3500:8a44::/46'))).toBeNull(); // bit 33 set: outside the /33
  });

  it('property: every /46 is in its block, aligned, distinct per (slot, category), and a slot shares one /44', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...PLAN_KINDS),
        fc.integer({ min: 0, max: 2047 }),
        fc.integer({ min: 0, max: 2047 }),
        fc.constantFrom('internet', 'diginetwerk', 'besloten', 'reserve'),
        fc.constantFrom('internet', 'diginetwerk', 'besloten', 'reserve'),
        (kind: PlanKind, s1, s2, c1, c2) => {
          const a = categoryPrefix(p, kind, s1, c1);
          const b = categoryPrefix(p, kind, s2, c2);
          const block = p.blocks.get(kind)!;
          expect(contains(block, a)).toBe(true);
          expect(a.len).toBe(46);
          expect(isAligned(6, a.addr, 46)).toBe(true);
          expect((Number((a.addr >> 80n) & 0xffffn) % 4)).toBe(0); // third hextet a multiple of 4 (§1.5)
          expect(overlaps(a, b)).toBe(s1 === s2 && c1 === c2);
          expect(contains(slotPrefix(p, kind, s1)!, a)).toBe(true);
          if (s1 === s2) expect(formatPrefix(supernet(a, 44))).toBe(formatPrefix(supernet(b, 44)));
          expect(locate(p, a)).toMatchObject({ slot: s1 });
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('property: other layouts (bit splits, either order) keep /46s in the block, aligned and distinct', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 12 }),
        fc.integer({ min: 1, max: 3 }),
        fc.constantFrom('organisation-category' as const, 'category-organisation' as const),
        fc.nat(),
        fc.nat(),
        fc.nat(),
        fc.nat(),
        (orgBits, catBits, order, r1, r2, r3, r4) => {
          const built = planFromSettings(layout(orgBits, catBits, order));
          expect(built.problems).toEqual([]);
          const q = built.plan!;
          const n = q.categories.length;
          const s1 = r1 % 2 ** orgBits;
          const s2 = r2 % 2 ** orgBits;
          const c1 = q.categories[r3 % n].name;
          const c2 = q.categories[r4 % n].name;
          const a = categoryPrefix(q, 'gemeente', s1, c1);
          const b = categoryPrefix(q, 'gemeente', s2, c2);
          expect(contains(q.blocks.get('gemeente')!, a)).toBe(true);
          expect(isAligned(6, a.addr, 46)).toBe(true);
          expect(overlaps(a, b)).toBe(s1 === s2 && c1 === c2);
          const foot = slotFootprint(q, 'gemeente', s1);
          expect(foot.some((f) => contains(f, a))).toBe(true);
          expect(slotFootprint(q, 'gemeente', s2).some((f) => foot.some((g) => overlaps(f, g)))).toBe(s1 === s2);
          if (order === 'organisation-category') expect(contains(slotPrefix(q, 'gemeente', s1)!, b) || s1 !== s2).toBe(true);
          else expect(slotPrefix(q, 'gemeente', s1)).toBeNull();
          expect(locate(q, a)).toMatchObject({ slot: s1, code: q.categories[r3 % n].code });
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('reports an inconsistent plan instead of computing with it', () => {
    const wrongWidth = planFromSettings({ ...SETTINGS, numberingPlan: { ...SETTINGS.numberingPlan, layout: { ...SETTINGS.numberingPlan.layout, organisationBits: 10 } } });
    expect(wrongWidth.plan).toBeNull();
    expect(wrongWidth.problems[0]).toMatchObject({ code: 'IPV6_PLAN', path: ['numberingPlan', 'layout'] });
    const dupCode = planFromSettings({ ...SETTINGS, numberingPlan: { ...SETTINGS.numberingPlan, categories: [{ name: 'internet', code: 0, internet: true }, { name: 'diginetwerk', code: 0, internet: false }] } });
    expect(dupCode.problems.map((x) => x.message).join()).toMatch(/share code 0/);
    const tooBig = planFromSettings({ ...SETTINGS, numberingPlan: { ...SETTINGS.numberingPlan, categories: [{ name: 'internet', code: 4, internet: true }] } });
    expect(tooBig.problems.map((x) => x.message).join()).toMatch(/does not fit in 2 category bits/);
  });
});
