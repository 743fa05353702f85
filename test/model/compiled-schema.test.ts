import * as fs from 'node:fs';
import * as path from 'node:path';
import * as fc from 'fast-check';
import * as jsYaml from 'js-yaml';
import type { z } from 'zod';
import { compiledSchema, schemaFor } from '../../src/model/load';

/**
 * The loader checks files with zod's compiled parsers (`z.compile`), which fall back to the runtime parser on any
 * input they reject. These tests hold the two to the same answers: the same output on valid files, and the same
 * issues (codes, paths, messages) on files broken in every way a mutation can reach.
 */

const EXAMPLE = path.join(__dirname, '..', '..', 'inventory');

function exampleFiles(): Array<{ rel: string; schema: z.ZodType; value: unknown }> {
  const out: Array<{ rel: string; schema: z.ZodType; value: unknown }> = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const abs = path.join(dir, e.name);
      if (e.isDirectory()) walk(abs);
      else if (/\.ya?ml$/.test(e.name)) {
        const rel = path.relative(EXAMPLE, abs).split(path.sep).join('/');
        const schema = schemaFor(rel);
        if (schema) out.push({ rel, schema, value: jsYaml.load(fs.readFileSync(abs, 'utf8'), { schema: jsYaml.CORE_SCHEMA }) });
      }
    }
  };
  walk(EXAMPLE);
  return out.sort((a, b) => a.rel.localeCompare(b.rel));
}

function answer(schema: z.ZodType, value: unknown) {
  const r = schema.safeParse(value);
  return r.success ? { ok: true, data: r.data } : { ok: false, issues: r.error.issues.map((i) => ({ ...i })) };
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Every path to a node of a plain value, the root included. */
function paths(v: unknown, at: Array<string | number> = [], out: Array<Array<string | number>> = []): Array<Array<string | number>> {
  out.push(at);
  if (Array.isArray(v)) for (const [i, x] of v.entries()) paths(x, [...at, i], out);
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) paths(x, [...at, k], out);
  return out;
}

type Mutation = { kind: 'replace'; with: Json } | { kind: 'delete' } | { kind: 'add'; key: string; with: Json };

function mutate(value: unknown, at: Array<string | number>, m: Mutation): unknown {
  const copy = structuredClone(value) as Record<string | number, unknown>;
  if (!at.length) return m.kind === 'replace' ? m.with : copy;
  let parent: Record<string | number, unknown> = copy;
  for (const seg of at.slice(0, -1)) parent = parent[seg] as Record<string | number, unknown>;
  const last = at[at.length - 1];
  const node = parent[last];
  if (m.kind === 'replace') parent[last] = m.with;
  else if (m.kind === 'delete') {
    if (Array.isArray(parent)) parent.splice(last as number, 1);
    else delete parent[last];
  } else if (node && typeof node === 'object' && !Array.isArray(node)) (node as Record<string, unknown>)[m.key] = m.with;
  else parent[last] = { [m.key]: m.with };
  return copy;
}

/** Values shaped like the inventory's own, so mutations reach past the first type check. */
const scalar = fc.oneof(
  fc.constantFrom('GM0546', 'SV0001', 'overheid', 'markt', 'tcp', 'allow', '192.0.2.0/24', '192.0.2.1/24', '2a07:3500::/46', 'zz', '', '2026-02-30', 'ce-gm0546'),
  fc.string({ maxLength: 8 }),
  fc.integer({ min: -2, max: 70000 }),
  fc.double({ noNaN: true }),
  fc.boolean(),
  fc.constant(null),
);
const json: fc.Arbitrary<Json> = fc.letrec<{ v: Json }>((tie) => ({
  v: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalar, fc.array(tie('v'), { maxLength: 3 }), fc.dictionary(fc.constantFrom('id', 'zone', 'prefixes', 'from', 'to', 'x', 'ports'), tie('v'), { maxKeys: 3 })),
})).v;

describe('compiled schemas', () => {
  const files = exampleFiles();

  it('covers every schema of the inventory layout', () => {
    const kinds = new Set(files.map((f) => f.rel.split('/')[0]));
    for (const k of ['ggi.yaml', 'govroam.yaml', 'ipv6', 'organisations', 'services', 'policy', 'devices']) expect(kinds).toContain(k);
    // z.compile hands back the schema itself when it cannot compile it; then nothing here would be tested.
    for (const f of files) expect(compiledSchema(f.schema)).not.toBe(f.schema);
  });

  it('give the runtime parser’s output on every file of the example inventory', () => {
    for (const f of files) {
      const got = answer(compiledSchema(f.schema), f.value);
      expect(got.ok).toBe(true);
      expect(got).toEqual(answer(f.schema, f.value));
    }
  });

  it('give the runtime parser’s issues on mutated files', () => {
    const cases = fc
      .integer({ min: 0, max: files.length - 1 })
      .chain((i) => fc.tuple(fc.constant(i), fc.constantFrom(...paths(files[i].value))))
      .chain(([i, at]) =>
        fc.tuple(
          fc.constant(i),
          fc.constant(at),
          fc.oneof(
            json.map((w): Mutation => ({ kind: 'replace', with: w })),
            fc.constant<Mutation>({ kind: 'delete' }),
            fc.tuple(fc.constantFrom('id', 'extra', 'zones', 'ports', 'never'), json).map(([key, w]): Mutation => ({ kind: 'add', key, with: w })),
          ),
        ),
      );
    let rejected = 0;
    fc.assert(
      fc.property(cases, ([i, at, m]) => {
        const f = files[i];
        const v = mutate(f.value, at, m);
        const want = answer(f.schema, v);
        if (!want.ok) rejected++;
        expect(answer(compiledSchema(f.schema), v)).toEqual(want);
      }),
      { numRuns: 600, seed: 20261123 },
    );
    // The mutations must mostly break files, or the comparison would prove little about the failure path.
    expect(rejected).toBeGreaterThan(300);
  });
});
