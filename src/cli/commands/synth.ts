import * as fs from 'node:fs';
import * as path from 'node:path';
import { EXIT, flagString, UserError, type Command, type CommandContext, type ExitCode } from '../context';
import { formatFinding, type Finding } from '../../model/finding';
import { isConstructValidationError } from '../../constructs/errors';
import { FORMAT_FLAG, printJson } from '../report/output';
import { OutputFolderError } from '../../util/output-folder';

/**
 * `ggi synth [--out DIR] [--format text|json]`: the cloud side as Terraform JSON, the same as `cdktf synth` with the
 * repository's cdktf.json. cdktf itself is loaded only here, inside run(), so other commands start fast.
 */
const synth: Command = {
  spec: {
    name: 'synth',
    summary: 'synthesize the cloud hub and organisation stacks (cdktf) into Terraform JSON',
    flags: {
      out: { type: 'string', help: 'output folder: new, empty, or written by an earlier synth (docs/cli.md "Output folders")', default: 'cdktf.out' },
      format: FORMAT_FLAG,
    },
    details:
      'Runs only on an inventory that passes `ggi validate`: every check that can report an error runs first, and nothing is written for an inventory with errors. ' +
      'The analyses that can only warn (shadowed, redundant and conflicting policy rules) are left out to keep synth fast: `ggi validate` shows those lint warnings. ' +
      'One stack `hub`, one `policy` for the zone policy, one `org-<ID>` per organisation that attaches to the hub, is a supplier or holds IPv6 allocations.',
  },
  async run(ctx: CommandContext): Promise<ExitCode> {
    const json = flagString(ctx.args, 'format') === 'json';
    const outArg = flagString(ctx.args, 'out') ?? 'cdktf.out';
    // Loads no cdktf on this thread until the gate passed; the synth workers start (and load it) while the gate runs.
    // The output folder is one of its own (stacks/output.ts, src/util/output-folder): checked before anything runs.
    const { synthIntoFolder } = require('../../../stacks/output') as typeof import('../../../stacks/output');
    let result: Awaited<ReturnType<typeof synthIntoFolder>>;
    try {
      result = await synthIntoFolder(ctx.global.inventory, outArg, ctx.io.cwd, { profile: ctx.global.profile, now: ctx.io.now() });
    } catch (e) {
      if (e instanceof OutputFolderError) throw new UserError(`cannot write the synthesized stacks to ${outArg}: ${e.reason}`);
      const code = (e as NodeJS.ErrnoException).code;
      if (typeof code === 'string' && /^E[A-Z]+$/.test(code) && !isConstructValidationError(e)) {
        // The output folder cannot be written (permissions, a file in the way, a full disk): the user's to fix.
        throw new UserError(`cannot write the synthesized stacks to ${outArg}: ${(e as Error).message}`);
      }
      throw e;
    }
    writeTimings(ctx, result);
    if (!result.ok) {
      const message = result.refused ? 'the cloud stacks refuse this inventory' : `the inventory in ${ctx.global.inventory} is invalid: run 'ggi validate' for all findings`;
      return fail(ctx, json, result.findings, message);
    }
    if (json) {
      printJson(ctx.io, { ok: true, out: outArg, stacks: result.stacks, findings: result.notes, lint: LINT_NOTE });
    } else {
      for (const n of result.notes) ctx.io.stderr(`${formatFinding(n)}\n`);
      ctx.io.stdout(`synthesized ${result.stacks.length} stacks into ${outArg}: ${result.stacks.join(', ')}\n`);
      ctx.io.stderr(`ggi: note: ${LINT_NOTE}\n`);
    }
    return EXIT.OK;
  },
};

const LINT_NOTE = "policy lint warnings (shadowed, redundant, conflicting rules) are not checked by synth: run 'ggi validate' to see them";

/**
 * GGI_SYNTH_TIMINGS=FILE writes the phases of this run (ms since the process started), the worker pool and the
 * process's CPU time and peak memory so far as JSON into FILE: what bench/synth.ts reads from the real CLI.
 */
function writeTimings(ctx: CommandContext, result: { timings: unknown; pool: unknown }): void {
  const file = ctx.io.env.GGI_SYNTH_TIMINGS;
  if (!file) return;
  const cpu = process.cpuUsage();
  const doc = { timings: result.timings, pool: result.pool, cpuMs: (cpu.user + cpu.system) / 1000, maxRssKb: process.resourceUsage().maxRSS };
  fs.writeFileSync(path.resolve(ctx.io.cwd, file), `${JSON.stringify(doc)}\n`);
}

function fail(ctx: CommandContext, json: boolean, findings: Finding[], message: string): ExitCode {
  if (json) {
    printJson(ctx.io, { ok: false, stacks: [], findings });
  } else {
    for (const f of findings) ctx.io.stderr(`${formatFinding(f)}\n`);
  }
  ctx.io.stderr(`ggi: ${message}\n`);
  return EXIT.INVALID;
}

export const commands: Command[] = [synth];
