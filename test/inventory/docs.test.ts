import * as fs from 'node:fs';
import * as path from 'node:path';
import type { z } from 'zod';
import * as S from '../../src/model/schema';
import { buildExampleInventory } from '../../src/generate/example';
import { refreshInventoryDoc } from '../../src/generate/doc-example';

/** docs/inventory.md must document every key the schemas accept, and its example must be the shipped inventory. */

const ROOT = path.resolve(__dirname, '../..');
const DOC = fs.readFileSync(path.join(ROOT, 'docs/inventory.md'), 'utf8');

interface Def {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  element?: z.ZodType;
  options?: z.ZodType[];
  valueType?: z.ZodType;
  in?: z.ZodType;
}

/** Every key path a schema accepts, e.g. `numberingPlan.layout.order`, `rules[].from.zone`, `profiles.<name>.remap[].to`. */
function keyPaths(schema: z.ZodType, prefix = '', out = new Set<string>()): Set<string> {
  const def = (schema as unknown as { _zod: { def: Def } })._zod.def;
  const join = (k: string) => (prefix ? `${prefix}.${k}` : k);
  switch (def.type) {
    case 'object':
      for (const [k, v] of Object.entries(def.shape!)) {
        out.add(join(k));
        keyPaths(v, join(k), out);
      }
      break;
    case 'optional':
    case 'default':
    case 'nullable':
    case 'prefault':
    case 'readonly':
    case 'nonoptional':
      keyPaths(def.innerType!, prefix, out);
      break;
    case 'array':
      keyPaths(def.element!, `${prefix}[]`, out);
      break;
    case 'union':
      for (const o of def.options!) keyPaths(o, prefix, out);
      break;
    case 'record':
      keyPaths(def.valueType!, join('<name>'), out);
      break;
    case 'pipe':
      keyPaths(def.in!, prefix, out);
      break;
  }
  return out;
}

describe('docs/inventory.md', () => {
  const files: Array<[string, z.ZodType]> = [
    ['ggi.yaml', S.settingsSchema],
    ['organisations', S.organisationSchema],
    ['devices', S.devicesFileSchema],
    ['services', S.servicesFileSchema],
    ['policy', S.policyFileSchema],
    ['govroam.yaml', S.govroamSchema],
    ['ipv6/ledger.yaml', S.ledgerSchema],
  ];

  it.each(files)('documents every key of %s', (_name, schema) => {
    const paths = [...keyPaths(schema)];
    expect(paths.length).toBeGreaterThan(3);
    // Selector keys are documented once, under rules[].from; zones.markt shares the keys of zones.overheid;
    // devices written inside an organisation file share the keys of devices/*.yaml.
    const canonical = (p: string) =>
      p
        .replace(/^(rules\[\]\.to|guardrails\[\]\.never\.(from|to))\./, 'rules[].from.')
        .replace(/^zones\.markt\./, 'zones.overheid.')
        .replace(/^participants\[\]\.servers\[\]\./, 'nlrs[].');
    const missing = paths.map(canonical).filter((p) => !DOC.includes(`\`${p}\``));
    expect(missing).toEqual([]);
  });

  it('ends with the generated example (run `ggi generate example --out inventory --doc docs/inventory.md` after changing it)', () => {
    expect(refreshInventoryDoc(DOC, buildExampleInventory())).toBe(DOC);
  });

  it('shows the example files exactly as they are in inventory/ (whole files and excerpts)', () => {
    const blocks = [...DOC.matchAll(/<!-- (file|excerpt): (inventory\/[^ ]+) -->\n```yaml\n([\s\S]*?)```\n/g)];
    expect(blocks.length).toBeGreaterThanOrEqual(15);
    for (const [, kind, file, text] of blocks) {
      const actual = fs.readFileSync(path.join(ROOT, file), 'utf8');
      if (kind === 'file') expect(`${file}:\n${text}`).toBe(`${file}:\n${actual}`);
      else expect(actual.includes(text) ? file : `${file}: excerpt not found`).toBe(file);
    }
  });
});
