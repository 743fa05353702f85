import * as path from 'node:path';
import type { Finding } from '../model/finding';
import type { Inventory } from '../model/inventory';
import { validateInventory } from '../validation';
import { EXIT, UserError, type CommandContext } from '../cli/context';

/**
 * The gate of the lifecycle commands (move, offboard, gemeenten): the full validation must find no error, or the
 * command refuses with exit 1 and writes nothing. A CE's missing host key pin does not block them: they connect to
 * nothing (plan and apply on real devices still require it).
 */
export function loadLifecycleInventory(ctx: CommandContext): { inventory: Inventory; findings: Finding[] } {
  const r = validateInventory(path.resolve(ctx.io.cwd, ctx.global.inventory), { profile: ctx.global.profile, now: ctx.io.now(), warnings: false, pinsRequired: false });
  const errors = r.findings.filter((f) => f.severity === 'error');
  if (!r.inventory || errors.length) {
    throw new UserError(`the inventory in ${ctx.global.inventory} does not validate (${errors.length} error${errors.length === 1 ? '' : 's'}), so ggi ${ctx.spec.name} refuses to run; nothing was written. Run 'ggi validate' for all findings`, EXIT.INVALID, errors);
  }
  return { inventory: r.inventory, findings: r.findings };
}
