import * as path from 'node:path';
import { type Command, EXIT, UsageError, UserError } from '../context';
import { FORMAT_FLAG, printJson, writeOutputFolder, writingTo } from '../report/output';
import { InputError, readTextFile } from '../../util/input';
import { writeFileAtomic } from '../../util/atomic';

/** `ggi generate national|example`: write a generated inventory into a folder (benchmarks, scale tests, the example). */

/**
 * The upper bounds of the size flags (docs/inventory.md): the policy of a national inventory ten times over, and the
 * seed's 32 bits (mulberry32). Past them the generator would only run out of memory, slowly.
 */
export const MAX_RULES = 200_000;
const MAX_SEED = 2 ** 32 - 1;

function intFlag(v: unknown, name: string, min: number, max: number = Number.MAX_SAFE_INTEGER): number | undefined {
  if (v === undefined) return undefined;
  const s = String(v);
  if (!/^\d+$/.test(s) || Number(s) < min) throw new UsageError(`--${name} must be a whole number >= ${min} (got '${s.length > 40 ? `${s.slice(0, 40)}…` : s}')`);
  if (Number(s) > max) throw new UsageError(`--${name} must be at most ${max} (got ${s.length > 40 ? `${s.slice(0, 40)}…` : s})`);
  return Number(s);
}

/** Writes a generated inventory into its output folder (src/util/output-folder: a folder of its own, a manifest). */
function writeGenerated(out: string, files: ReadonlyMap<string, string>, cwd: string): void {
  writeOutputFolder(out, [...files].map(([rel, text]) => ({ path: rel, content: text })), { command: 'generate', cwd });
}

export const commands: Command[] = [
  {
    spec: {
      name: 'generate national',
      summary: 'write the full-size synthetic national inventory (342 gemeenten, samenwerkingsverbanden, suppliers, policy)',
      flags: {
        out: { type: 'string', help: 'folder to write the inventory into: new, empty, or written by an earlier generate' },
        seed: { type: 'string', help: 'PRNG seed; the same seed gives the same inventory', default: '1' },
        rules: { type: 'string', help: `number of policy rules (at most ${MAX_RULES})`, default: '20000' },
        format: FORMAT_FLAG,
        samenwerkingsverbanden: { type: 'string', help: 'number of synthetic samenwerkingsverbanden', default: '40' },
        suppliers: { type: 'string', help: 'number of synthetic suppliers', default: '100' },
      },
      details: 'Gemeenten come from data/gemeenten.csv; everything else is synthetic and uses documentation addresses only.',
    },
    async run(ctx) {
      const out = ctx.args.flags.out;
      if (typeof out !== 'string' || out === '') throw new UsageError('--out DIR is required');
      const seed = intFlag(ctx.args.flags.seed, 'seed', 0, MAX_SEED)!;
      const rules = intFlag(ctx.args.flags.rules, 'rules', 0, MAX_RULES)!;
      const samenwerkingsverbanden = intFlag(ctx.args.flags.samenwerkingsverbanden, 'samenwerkingsverbanden', 0)!;
      const suppliers = intFlag(ctx.args.flags.suppliers, 'suppliers', 0)!;
      // Required lazily: other commands should not pay for the generator.
      const { generateNationalInventory } = require('../../generate/national') as typeof import('../../generate/national');
      let files: Map<string, string>;
      try {
        files = generateNationalInventory({ seed, rules, samenwerkingsverbanden, suppliers });
      } catch (e) {
        throw new UsageError(e instanceof Error ? e.message : String(e));
      }
      writeGenerated(out, files, ctx.io.cwd);
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
        out: { type: 'string', help: 'folder to write the inventory into: new, empty, or written by an earlier generate' },
        doc: { type: 'string', help: 'also rewrite the generated "Full example" part of this file (docs/inventory.md)' },
        format: FORMAT_FLAG,
      },
    },
    async run(ctx) {
      const out = ctx.args.flags.out;
      if (typeof out !== 'string' || out === '') throw new UsageError('--out DIR is required');
      const { buildExampleInventory } = require('../../generate/example') as typeof import('../../generate/example');
      const files = buildExampleInventory();
      const doc = ctx.args.flags.doc;
      let docText: { file: string; text: string } | null = null;
      if (typeof doc === 'string' && doc !== '') {
        const { refreshInventoryDoc } = require('../../generate/doc-example') as typeof import('../../generate/doc-example');
        const file = path.resolve(ctx.io.cwd, doc);
        try {
          // Through the bounded reader: a regular file of at most MAX_INPUT_BYTES (never /dev/zero or a FIFO), read
          // before anything is written.
          docText = { file, text: refreshInventoryDoc(readTextFile(file, { shown: doc }), files) };
        } catch (e) {
          if (e instanceof InputError) throw new UserError(`cannot update ${doc}: ${e.message}`);
          const why = (e as NodeJS.ErrnoException).code ?? (e instanceof Error ? e.message : String(e));
          throw new UserError(`cannot update ${doc}: ${why}`);
        }
      }
      writeGenerated(out, files, ctx.io.cwd);
      const json = ctx.args.flags.format === 'json';
      if (!json) ctx.io.stdout(`wrote ${files.size} files to ${out}\n`);
      if (docText) {
        const { file, text } = docText;
        writingTo(String(doc), () => writeFileAtomic(file, text, 'keep'));
        if (!json) ctx.io.stdout(`updated the example in ${doc}\n`);
      }
      if (json) printJson(ctx.io, { ok: true, out, files: files.size, ...(typeof doc === 'string' && doc !== '' ? { doc } : {}) });
      return EXIT.OK;
    },
  },
];
