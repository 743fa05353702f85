import fc from 'fast-check';
import { parse } from 'yaml';
import { fastParseLedger } from '../../src/model/fastyaml';
import { renderFreshLedger } from '../../src/ipv6/store';
import type { LedgerEntryDecl } from '../../src/model/schema';

/** The fast ledger reader must agree with the yaml library whenever it answers (and answer for what ggi writes). */
describe('fast ledger reader', () => {
  const tricky = fc.oneof(
    fc.string({ maxLength: 30 }),
    fc.constantFrom('a: b', 'x #y', '#lead', "it's", '"quoted"', "'single'", '- dash', 'true', 'null', '~', '0x1f', '1e3', '007', '12', '1.5', '.inf', 'a,b', '{x}', '[y]', 'é ü 𝄞', ' lead', 'trail ', 'multi\nline', 'tab\there', 'back\\slash', '2a07:3500::/46', 'GM0001', '2026-01-01'),
  );
  const entry: fc.Arbitrary<LedgerEntryDecl> = fc.record({
    prefix: fc.constantFrom('2a07:3500::/46', '2a07:3500:4::/48', '2a07:3500:0:1::/64'),
    organisation: fc.constantFrom('GM0001', 'SV0002'),
    category: fc.constantFrom('internet', 'diginetwerk'),
    status: fc.constantFrom('allocated' as const, 'assigned' as const, 'quarantined' as const),
    purpose: fc.option(tricky, { nil: undefined }),
    source: fc.constantFrom('ggi' as const, 'logius' as const),
    internetRouted: fc.option(fc.boolean(), { nil: undefined }),
    by: tricky,
    at: fc.constant('2026-11-23T12:00:00Z'),
    released: fc.option(fc.record({ at: fc.constant('2026-11-24T00:00:00Z'), by: tricky, reason: tricky, quarantineUntil: fc.constant('2027-05-22') }), { nil: undefined }),
  });

  it('property: on ledgers ggi renders, it answers and agrees with the yaml library', () => {
    let answered = 0;
    let total = 0;
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 8 }), fc.array(fc.record({ organisation: fc.constant('GM0001'), block: fc.constant('gemeente'), slot: fc.nat(2047) }), { maxLength: 4 }), (entries, slots) => {
        const clean = entries.map((e) => Object.fromEntries(Object.entries(e).filter(([, v]) => v !== undefined)) as LedgerEntryDecl);
        const text = renderFreshLedger({ slots, entries: clean });
        const fast = fastParseLedger(text);
        total++;
        if (fast) {
          answered++;
          expect(fast.value).toEqual(parse(text));
        }
      }),
      { numRuns: 600 },
    );
    // It must actually be the fast path for most ledgers (only exotic scalars fall back).
    expect(answered / total).toBeGreaterThan(0.2);
  });

  it('property: on arbitrary small documents it either declines or agrees', () => {
    const line = fc.oneof(
      fc.constantFrom('version: 1', 'slots:', 'entries:', '  - { organisation: GM0001, block: gemeente, slot: 1 }', '  - prefix: a', '    status: allocated', '    released:', '      at: x', '      by: y', '# c', '', '- a: b', '  b: 2', '    x: [1]', 'k: v # c', "k: 'q''s'", 'k: "d"', '  - {a: 1,b: "x, y"}', 'x: 1\n  y: 2', '  -  prefix: b'),
      tricky.map((t) => `key: ${t}`),
      tricky.map((t) => `    purpose: ${t}`),
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 12 }), (ls) => {
        const text = ls.join('\n') + '\n';
        let expected: unknown;
        try {
          expected = parse(text, { uniqueKeys: true, strict: true });
        } catch {
          expected = Symbol('error');
        }
        const fast = fastParseLedger(text);
        if (fast) expect(fast.value).toEqual(expected ?? {});
      }),
      { numRuns: 3000 },
    );
  });

  it('property: items that repeat, reorder and vary their values and layout read as the yaml library reads them', () => {
    // A small alphabet, so that a key often has the same text as in the item before (the reader shares such values).
    const value = fc.constantFrom('GM0014', 'GM0014', 'allocated', '2a07:3500::/46', '2a07:3500::/48', "'2a07:3500::/46'", '"GM0014"', '12', '012', 'true', 'x # c', 'a: b', '{ a: 1 }', '[]', 'é', '');
    const key = fc.constantFrom('prefix', 'organisation', 'status', 'parent', 'by');
    const item = fc.uniqueArray(fc.tuple(key, value), { minLength: 1, maxLength: 5, selector: ([k]) => k });
    fc.assert(
      fc.property(fc.array(item, { minLength: 1, maxLength: 6 }), fc.constantFrom('  ', '    ', ''), fc.constantFrom(' ', '   '), (items, indent, after) => {
        const lines = ['entries:'];
        for (const it of items) {
          it.forEach(([k, v], i) => {
            lines.push(`${indent}${i === 0 ? `-${after}` : ' '.repeat(after.length + 1)}${k}:${v === '' ? '' : ` ${v}`}`);
          });
        }
        const text = lines.join('\n') + '\n';
        let expected: unknown;
        try {
          expected = parse(text, { uniqueKeys: true, strict: true });
        } catch {
          expected = Symbol('error');
        }
        const fast = fastParseLedger(text);
        if (fast) expect(fast.value).toEqual(expected);
      }),
      { numRuns: 2000 },
    );
  });

  it('answers for the canonical form and gives where each sequence ends', () => {
    const text = 'version: 1\nslots:\n  - { organisation: GM0001, block: gemeente, slot: 0 } # c\nentries:\n  - prefix: 2a07:3500::/46\n    purpose: \'a: b\'\n    released:\n      at: x\n# tail\n';
    const fast = fastParseLedger(text)!;
    expect(fast.value).toEqual(parse(text));
    expect(fast.seqTails.get('slots')).toEqual({ at: text.indexOf('entries:'), indent: '  ' });
    expect(fast.seqTails.get('entries')).toEqual({ at: text.indexOf('# tail'), indent: '  ' });
    expect(fastParseLedger('a: &x 1\nb: *x\n')).toBeNull();
    expect(fastParseLedger('a: |\n  text\n')).toBeNull();
    expect(fastParseLedger('a: 1\na: 2\n')).toBeNull();
  });
});
