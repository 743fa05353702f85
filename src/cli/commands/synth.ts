import * as path from 'node:path';
import { EXIT, flagString, UserError, type Command, type CommandContext, type ExitCode } from '../context';
import { formatFinding, type Finding } from '../../model/finding';
import type { Inventory } from '../../model/inventory';
import { isConstructValidationError } from '../../constructs/errors';
import { FORMAT_FLAG, printJson } from '../report/output';

/**
 * `ggi synth [--out DIR] [--format text|json]`: the cloud side as Terraform JSON, the same as `cdktf synth` with the
 * repository's cdktf.json. cdktf itself is loaded only here, inside run(), so other commands start fast.
 */
const synth: Command = {
  spec: {
    name: 'synth',
    summary: 'synthesize the cloud hub and organisation stacks (cdktf) into Terraform JSON',
    flags: {
      out: { type: 'string', help: 'output folder', default: 'cdktf.out' },
      format: FORMAT_FLAG,
    },
    details: 'Runs only on an inventory that passes `ggi validate`. One stack `hub`, one `org-<ID>` per organisation that attaches to the hub, is a supplier or holds IPv6 allocations.',
  },
  async run(ctx: CommandContext): Promise<ExitCode> {
    const json = flagString(ctx.args, 'format') === 'json';
    const outArg = flagString(ctx.args, 'out') ?? 'cdktf.out';
    const out = path.resolve(ctx.io.cwd, outArg);
    const { gateInventory } = require('../../../stacks/gate') as typeof import('../../../stacks/gate');
    const gate = gateInventory(ctx.global.inventory, { profile: ctx.global.profile, now: ctx.io.now() });
    if (!gate.inventory) {
      const errors = gate.findings.filter((f) => f.severity === 'error');
      return fail(ctx, json, errors, `the inventory in ${ctx.global.inventory} is invalid: run 'ggi validate' for all findings`);
    }
    const inv: Inventory = gate.inventory;
    const { synthesizeParallel } = require('../../../stacks/main') as typeof import('../../../stacks/main');
    let result: { stacks: string[]; notes: Finding[] };
    try {
      result = await synthesizeParallel(inv, out);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (typeof code === 'string' && /^E[A-Z]+$/.test(code) && !isConstructValidationError(e)) {
        // The output folder cannot be written (permissions, a file in the way, a full disk): the user's to fix.
        throw new UserError(`cannot write the synthesized stacks to ${outArg}: ${(e as Error).message}`);
      }
      if (!isConstructValidationError(e)) throw e;
      const f = inv.sources.error(e.code, e.message, e.loc ?? inv.settings.loc, e.loc ? e.sub : []);
      return fail(ctx, json, [f], 'the cloud stacks refuse this inventory');
    }
    if (json) {
      printJson(ctx.io, { ok: true, out: outArg, stacks: result.stacks, findings: result.notes });
    } else {
      for (const n of result.notes) ctx.io.stderr(`${formatFinding(n)}\n`);
      ctx.io.stdout(`synthesized ${result.stacks.length} stacks into ${outArg}: ${result.stacks.join(', ')}\n`);
    }
    return EXIT.OK;
  },
};

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
