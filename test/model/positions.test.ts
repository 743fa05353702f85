import * as fc from 'fast-check';
import { parseYaml, SourceFile } from '../../src/model/source';
import { generateNationalInventory } from '../../src/generate/national';
import { buildExampleInventory } from '../../src/generate/example';

/** Locating a node item by item (for large files) must give exactly the position a whole-file parse gives. */
describe('SourceFile positions: item slices agree with the whole-file parse', () => {
  const saved = SourceFile.sliceThreshold;
  beforeAll(() => (SourceFile.sliceThreshold = 0));
  afterAll(() => (SourceFile.sliceThreshold = saved));

  const files = new Map<string, string>([...generateNationalInventory({ seed: 7, rules: 600 }), ...buildExampleInventory()]);
  const targets = [...files.entries()].filter(([f]) => /^(policy|services|devices)\//.test(f) || f === 'ipv6/ledger.yaml' || f === 'govroam.yaml');

  it('for every item and every key of every item, in every kind of file', () => {
    let compared = 0;
    for (const [file, text] of targets) {
      const { value } = parseYaml(file, text);
      // One whole-file parse per file is the reference; every lookup under test starts from a fresh, unparsed file.
      const whole = new SourceFile(file, text);
      for (const [top, list] of Object.entries(value as Record<string, unknown>)) {
        if (!Array.isArray(list)) continue;
        list.forEach((item, i) => {
          const paths: Array<Array<string | number>> = [[top, i]];
          if (item && typeof item === 'object') {
            for (const [k, v] of Object.entries(item)) {
              paths.push([top, i, k]);
              if (v && typeof v === 'object') {
                for (const k2 of Object.keys(v)) {
                  paths.push([top, i, k, Array.isArray(v) ? Number(k2) : k2]);
                  const v2 = (v as Record<string, unknown>)[k2];
                  if (Array.isArray(v2)) for (let n = 0; n <= v2.length; n++) paths.push([top, i, k, k2, n]);
                }
                if (!Array.isArray(v)) paths.push([top, i, k, 'no-such-key'], [top, i, k, 'no-such-key', 0]);
              }
            }
            paths.push([top, i, 'no-such-key']);
          }
          for (const p of paths) {
            for (const key of [false, true]) {
              const fresh = new SourceFile(file, text);
              expect([file, p, key, fresh.position(p, { key })]).toEqual([file, p, key, whole.positionWhole(p, { key })]);
              compared++;
            }
          }
        });
      }
    }
    expect(compared).toBeGreaterThan(5000);
  });

  it('for every top-level key and every key of a mapping under one, in every file', () => {
    let compared = 0;
    for (const [file, text] of files) {
      const { value } = parseYaml(file, text);
      const whole = new SourceFile(file, text);
      const paths: string[][] = [['no-such-key'], ['no-such-key', 'x']];
      for (const [top, v] of Object.entries(value as Record<string, unknown>)) {
        paths.push([top], [top, 'no-such-key']);
        if (v && typeof v === 'object' && !Array.isArray(v)) for (const k of Object.keys(v)) paths.push([top, k]);
      }
      for (const p of paths) {
        for (const key of [false, true]) {
          const fresh = new SourceFile(file, text);
          expect([file, p, key, fresh.position(p, { key })]).toEqual([file, p, key, whole.positionWhole(p, { key })]);
          compared++;
        }
      }
    }
    expect(compared).toBeGreaterThan(3000);
  });

  it('for keys of mappings in odd but valid layouts', () => {
    const piece = fc.constantFrom(
      'a: 1',
      'a:\n  b: 2\n  c: 3',
      'a:   # c\n\n  # inside\n  b:   x # t\n  c:\n    d: 4',
      'a:\n    b: "q: r"\n    c: \'s\'',
      'a: {b: 1, c: 2}',
      'a:\n  - b: 1\n  - c: 2',
      'a:\n  b: |\n    c: not a key\n  c: 5',
      'a:\n  b: >-\n    text\n\n    more\n  c: [1, 2]',
      'a:\n  b: &x 1\n  c: *x',
      'a:\n  b: !!str 1\n  c:',
      'a:\n  "b": 1\n  c: 2',
      'a:\n  b: plain\n    continued\n  c: 3',
      'a: "two\n  lines"',
      '"a":\n  b: 1',
      'a:\n  ? b\n  : 1\n  c: 2',
    );
    fc.assert(
      fc.property(fc.array(piece, { minLength: 1, maxLength: 4 }), fc.boolean(), (pieces, marker) => {
        // Each piece under its own top-level key (a0, a1, …), so that keys stay unique.
        const body = pieces.map((t, i) => t.replace(/^(")?a(")?:/, (_m, q1, q2) => `${q1 ?? ''}a${i}${q2 ?? ''}:`)).join('\n');
        const text = `${marker ? '# head\n---\n' : ''}${body}\n`;
        const parsed = parseYaml('f.yaml', text);
        if (parsed.value === undefined) return true;
        for (let i = 0; i < pieces.length; i++) {
          for (const p of [[`a${i}`], [`a${i}`, 'b'], [`a${i}`, 'c'], [`a${i}`, 'd'], [`a${i}`, 'zz']]) {
            for (const key of [false, true]) {
              const fresh = new SourceFile('f.yaml', text);
              if (JSON.stringify(fresh.position(p, { key })) !== JSON.stringify(parsed.source.positionWhole(p, { key }))) return false;
            }
          }
        }
        return true;
      }),
      { numRuns: 400 },
    );
  });

  it('for keys and list items of one-line flow mappings in items, in odd but valid layouts', () => {
    const flow = fc.constantFrom(
      '{ prefixes: [2a07:3500::/46, 198.51.100.0/24] }',
      '{prefixes: [a,b , c]}',
      '{ organisations: [GM0014], services: [x-y] }',
      '{ zone: overheid }',
      '{ a: [ 1 , 2 ], b: c }',
      "{ a: ['q', b] }",
      '{ a: [b, c] } # comment',
      '{ a: [[1], 2] }',
      '{ a: "x, y" }',
      '{ a: [x:, y] }',
      '{ a: [b, ] }',
      '{ a: &x [b] }',
      '{}',
      '[a, b]',
      'plain',
    );
    fc.assert(
      fc.property(fc.array(flow, { minLength: 1, maxLength: 5 }), (values) => {
        const text = `rules:\n${values.map((v, i) => `  - id: r${i}\n    from: ${v}\n    n: ${i}`).join('\n')}\n`;
        const parsed = parseYaml('f.yaml', text);
        if (parsed.value === undefined) return true;
        for (let i = 0; i < values.length; i++) {
          for (const k of ['prefixes', 'organisations', 'services', 'zone', 'a', 'b', 'x']) {
            for (const p of [['rules', i, 'from', k], ['rules', i, 'from', k, 0], ['rules', i, 'from', k, 1], ['rules', i, 'from', k, 2], ['rules', i, 'from', k, 0, 0]] as Array<Array<string | number>>) {
              for (const key of [false, true]) {
                const fresh = new SourceFile('f.yaml', text);
                if (JSON.stringify(fresh.position(p, { key })) !== JSON.stringify(parsed.source.positionWhole(p, { key }))) return false;
              }
            }
          }
        }
        return true;
      }),
      { numRuns: 300 },
    );
  });

  it('on random block-style documents with comments and blank lines', () => {
    const item = fc.record({ id: fc.stringMatching(/^[a-z]{1,8}$/), n: fc.integer({ min: 0, max: 99 }), tags: fc.array(fc.stringMatching(/^[a-z]{1,5}$/), { maxLength: 3 }) });
    fc.assert(
      fc.property(fc.array(item, { minLength: 1, maxLength: 12 }), fc.array(fc.boolean(), { minLength: 12, maxLength: 12 }), (items, noise) => {
        const lines = ['# head', 'rules:'];
        items.forEach((it, i) => {
          if (noise[i]) lines.push('', '  # a comment between items');
          lines.push(`  - id: ${it.id}`, `    n: ${it.n}`, `    tags: [${it.tags.join(', ')}]`);
        });
        lines.push('', '# tail', 'other: 1');
        const text = lines.join('\n') + '\n';
        for (let i = 0; i < items.length; i++) {
          for (const p of [['rules', i], ['rules', i, 'n'], ['rules', i, 'tags', 0], ['rules', i, 'x']] as Array<Array<string | number>>) {
            const a = parseYaml('f.yaml', text).source;
            if (JSON.stringify(a.position(p)) !== JSON.stringify(a.positionWhole(p))) return false;
          }
        }
        return true;
      }),
      { numRuns: 300 },
    );
  });
});
