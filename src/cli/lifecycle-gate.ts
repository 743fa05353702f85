import * as path from 'node:path';
import type { Finding } from '../model/finding';
import type { Inventory } from '../model/inventory';
import { loadValidForCommand } from './gate';
import { ledgerLockPath, ledgerPath, LockError, withLock } from '../ipv6/store';
import { EXIT, UserError, type CommandContext } from './context';
import { finishPending } from '../lifecycle/commit';

/**
 * The gate of the lifecycle commands (move, offboard, gemeenten): main's gate (the full validation, no error), with
 * rules that still name an offboarded organisation let through: they are the to-do an offboard leaves, not an
 * inconsistency a lifecycle change would build on (plan and apply refuse them).
 */
export function loadLifecycleInventory(ctx: CommandContext): { inventory: Inventory; findings: Finding[] } {
  return loadValidForCommand(ctx, { tolerate: ['ORGANISATION_OFFBOARDED'] });
}

/**
 * Runs a lifecycle change holding the ledger's lock (the one lock of everything that hands out or takes back what
 * the ledger records): finishes a change an earlier run left half written, then gates, then runs `fn`.
 */
export async function withLifecycle<T>(ctx: CommandContext, fn: (inv: Inventory, dir: string) => Promise<T> | T): Promise<T> {
  if (ctx.global.profile !== 'default') throw new UserError(`ggi ${ctx.spec.name} writes the inventory, so it works on the default profile only`, EXIT.USAGE);
  const dir = path.resolve(ctx.io.cwd, ctx.global.inventory);
  const file = ledgerPath(dir);
  const lock = ledgerLockPath(file);
  try {
    return await withLock(lock, async () => {
      finishInterrupted(ctx);
      return fn(loadLifecycleInventory(ctx).inventory, dir);
    });
  } catch (e) {
    if (e instanceof LockError) throw new UserError(e.message);
    throw e;
  }
}

/** Finishes a lifecycle change that an earlier run left half written (call it holding the ledger's lock). */
export function finishInterrupted(ctx: CommandContext): void {
  let finished: string | null;
  try {
    finished = finishPending(path.resolve(ctx.io.cwd, ctx.global.inventory));
  } catch (e) {
    throw new UserError((e as Error).message);
  }
  if (finished) ctx.io.stderr(`finished an interrupted change first: ${finished}\n`);
}
