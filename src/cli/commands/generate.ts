import * as path from 'node:path';
import { type Command, EXIT, UsageError, UserError } from '../context';
import { FORMAT_FLAG, printJson, writingTo } from '../report/output';

/** `ggi generate national|example`: write a generated inventory into a folder (benchmarks, scale tests, the example). */

function intFlag(v: unknown, name: string, min: number): number | undefined {
  if (v === undefined) return undefined;
  const s = String(v);
  if (!/^\d+$/.test(s) || Number(s) < min) throw new UsageError(`--${name} must be a whole number >= ${min} (got '${s}')`);
  return Number(s);
}

export const commands: Command[] = [
  {
    spec: {
      name: 'generate national',
      summary: 'write the full-size synthetic national inventory (342 gemeenten, samenwerkingsverbanden, suppliers, policy)',
      flags: {
        out: { type: 'string', help: 'folder to write the inventory into (created; existing files are overwritten)' },
        seed: { type: 'string', help: 'PRNG seed; the same seed gives the same inventory', default: '1' },
        rules: { type: 'string', help: 'number of policy rules', default: '20000' },
        samenwerkingsverbanden: { type: 'string', help: 'number of synthetic samenwerkingsverbanden', default: '40' },
        suppliers: { type: 'string', help: 'number of synthetic suppliers', default: '100' },
        format: FORMAT_FLAG,
      },
      details: 'Gemeenten come from data/gemeenten.csv; everything else is synthetic and uses documentation addresses only.',
    },
    async run(ctx) {
      const out = ctx.args.flags.out;
      if (typeof out !== 'string' || out === '') throw new UsageError('--out DIR is required');
      const seed = intFlag(ctx.args.flags.seed, 'seed', 0)!;
      const rules = intFlag(ctx.args.flags.rules, 'rules', 0)!;
      const samenwerkingsverbanden = intFlag(ctx.args.flags.samenwerkingsverbanden, 'samenwerkingsverbanden', 0)!;
      const suppliers = intFlag(ctx.args.flags.suppliers, 'suppliers', 0)!;
      // Required lazily: other commands should not pay for the generator.
      const { generateNationalInventory, writeInventoryFiles } = require('../../generate/national') as typeof import('../../generate/national');
      let files: Map<string, string>;
      try {
        files = generateNationalInventory({ seed, rules, samenwerkingsverbanden, suppliers });
      } catch (e) {
        throw new UsageError(e instanceof Error ? e.message : String(e));
      }
      const dir = path.resolve(ctx.io.cwd, out);
      writingTo(dir, () => writeInventoryFiles(dir, files));
      if (ctx.args.flags.format === 'json') printJson(ctx.io, { ok: true, out, files: files.size, seed, rules });
      else ctx.io.stdout(`wrote ${files.size} files to ${out} (seed ${seed}, ${rules} rules)\n`);
      return EXIT.OK;
    },
  },
  {
    spec: {
      name: 'generate example',
      summary: 'write the example national inventory (the one shipped in inventory/)',
      flags: {
        out: { type: 'string', help: 'folder to write the inventory into' },
        doc: { type: 'string', help: 'also rewrite the generated "Full example" part of this file (docs/inventory.md)' },
        format: FORMAT_FLAG,
      },
    },
    async run(ctx) {
      const out = ctx.args.flags.out;
      if (typeof out !== 'string' || out === '') throw new UsageError('--out DIR is required');
      const { buildExampleInventory } = require('../../generate/example') as typeof import('../../generate/example');
      const { writeFiles } = require('../../generate/world') as typeof import('../../generate/world');
      const files = buildExampleInventory();
      const dir = path.resolve(ctx.io.cwd, out);
      writingTo(dir, () => writeFiles(dir, files));
      const json = ctx.args.flags.format === 'json';
      if (!json) ctx.io.stdout(`wrote ${files.size} files to ${out}\n`);
      const doc = ctx.args.flags.doc;
      if (typeof doc === 'string' && doc !== '') {
        const { refreshInventoryDoc } = require('../../generate/doc-example') as typeof import('../../generate/doc-example');
        const fs = require('node:fs') as typeof import('node:fs');
        const file = path.resolve(ctx.io.cwd, doc);
        let text: string;
        try {
          text = refreshInventoryDoc(fs.readFileSync(file, 'utf8'), files);
        } catch (e) {
          throw new UserError(`cannot update ${doc}: ${e instanceof Error ? e.message : String(e)}`);
        }
        writingTo(file, () => fs.writeFileSync(file, text));
        if (!json) ctx.io.stdout(`updated the example in ${doc}\n`);
      }
      if (json) printJson(ctx.io, { ok: true, out, files: files.size, ...(typeof doc === 'string' && doc !== '' ? { doc } : {}) });
      return EXIT.OK;
    },
  },
];
