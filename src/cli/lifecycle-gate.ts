import * as path from 'node:path';
import type { Finding } from '../model/finding';
import type { Inventory } from '../model/inventory';
import { validateInventory } from '../validation';
import { ledgerPath, LockError, withLock } from '../ipv6/store';
import { EXIT, UserError, type CommandContext } from './context';
import { finishPending } from '../lifecycle/commit';

/**
 * The gate of the lifecycle commands (move, offboard, gemeenten): the full validation must find no error, or the
 * command refuses with exit 1 and writes nothing. A CE's missing host key pin does not block them: they connect to
 * nothing (plan and apply on real devices still require it).
 */
export function loadLifecycleInventory(ctx: CommandContext): { inventory: Inventory; findings: Finding[] } {
  const r = validateInventory(path.resolve(ctx.io.cwd, ctx.global.inventory), { profile: ctx.global.profile, now: ctx.io.now(), warnings: false, pinsRequired: false });
  // Rules that still name an offboarded organisation are the to-do an offboard leaves, not an inconsistency a lifecycle
  // change would build on; plan and apply refuse them.
  const errors = r.findings.filter((f) => f.severity === 'error' && f.code !== 'ORGANISATION_OFFBOARDED');
  if (!r.inventory || errors.length) {
    throw new UserError(`the inventory in ${ctx.global.inventory} does not validate (${errors.length} error${errors.length === 1 ? '' : 's'}), so ggi ${ctx.spec.name} refuses to run; nothing was written. Run 'ggi validate' for all findings`, EXIT.INVALID, errors);
  }
  return { inventory: r.inventory, findings: r.findings };
}

/**
 * Runs a lifecycle change holding the ledger's lock (the one lock of everything that hands out or takes back what
 * the ledger records): finishes a change an earlier run left half written, then gates, then runs `fn`.
 */
export async function withLifecycle<T>(ctx: CommandContext, fn: (inv: Inventory, dir: string) => Promise<T> | T): Promise<T> {
  if (ctx.global.profile !== 'default') throw new UserError(`ggi ${ctx.spec.name} writes the inventory, so it works on the default profile only`, EXIT.USAGE);
  const dir = path.resolve(ctx.io.cwd, ctx.global.inventory);
  const file = ledgerPath(dir);
  // The same lock file as the ledger store's updateLedger.
  const lock = `${path.join(path.dirname(file), `.${path.basename(file)}`)}.lock`;
  try {
    return await withLock(lock, async () => {
      let finished: string | null;
      try {
        finished = finishPending(dir);
      } catch (e) {
        throw new UserError((e as Error).message);
      }
      if (finished) ctx.io.stderr(`finished an interrupted change first: ${finished}\n`);
      return fn(loadLifecycleInventory(ctx).inventory, dir);
    });
  } catch (e) {
    if (e instanceof LockError) throw new UserError(e.message);
    throw e;
  }
}
