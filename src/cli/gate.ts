import * as path from 'node:path';
import type { Finding } from '../model/finding';
import type { Inventory } from '../model/inventory';
import { validateInventory } from '../validation';
import { EXIT, UserError, type CommandContext } from './context';

/**
 * The gate of every command that writes state (ledger, organisation files) or hands an artefact to the outside world
 * (exports, rendered configurations, plan, apply, drift): the full validation, as `ggi validate` runs it, must find no
 * error (CLI.md). Refuses with exit 1 and the error findings otherwise; returns the inventory and its warnings.
 * The analyses that can only warn are left out: a gate only asks "is it valid?".
 * A CE's missing host-key pin blocks only the commands that connect to real devices (`pinsRequired`: plan, apply and
 * drift on the inventory's own addresses; the lab pins its own keys); `tolerate` names error codes a command is meant
 * to run with (a lifecycle command with rules still naming an offboarded organisation).
 */
export function loadValidForCommand(ctx: CommandContext, opts: { profile?: string; doing?: string; pinsRequired?: boolean; tolerate?: readonly string[] } = {}): { inventory: Inventory; findings: Finding[] } {
  const r = validateInventory(path.resolve(ctx.io.cwd, ctx.global.inventory), { profile: opts.profile ?? ctx.global.profile, now: ctx.io.now(), warnings: false, pinsRequired: opts.pinsRequired ?? false });
  const errors = r.findings.filter((f) => f.severity === 'error' && !opts.tolerate?.includes(f.code));
  if (!r.inventory || errors.length) {
    const what = opts.doing ?? `ggi ${ctx.spec.name}`;
    throw new UserError(`the inventory in ${ctx.global.inventory} does not validate (${errors.length} error${errors.length === 1 ? '' : 's'}), so ${what} refuses to run; nothing was written. Run 'ggi validate' for all findings`, EXIT.INVALID, errors);
  }
  return { inventory: r.inventory, findings: r.findings };
}
