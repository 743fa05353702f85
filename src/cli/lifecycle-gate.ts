import * as path from 'node:path';
import type { Finding } from '../model/finding';
import type { Inventory } from '../model/inventory';
import { loadValidForCommand } from './gate';
import { ledgerLockPath, ledgerPath, LockError, withLock } from '../ipv6/store';
import { EXIT, UserError, type CommandContext } from './context';
import { changeId, type ChangeSet, fileDigests, finishPending } from '../lifecycle/commit';
import { lifecycleJournal, type LifecycleJournalEntry } from '../reconciler/journal';
import { operatorName } from '../util/operator';

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
    finished = finishPending(path.resolve(ctx.io.cwd, ctx.global.inventory), lifecycleJournal);
  } catch (e) {
    throw new UserError((e as Error).message);
  }
  if (finished) ctx.io.stderr(`finished an interrupted change first: ${finished}\n`);
}

/** The `--state` flag of the lifecycle commands: the folder whose journal (as `apply`'s) records each change. */
export const STATE_FLAG = { type: 'string' as const, help: 'state folder: STATE/journal.jsonl records the change, as apply records its own', default: '.ggi-state' };

/** The change with its journal line (src/reconciler/journal.ts LifecycleJournalEntry): digests of the files, no text. */
export function withJournal(ctx: CommandContext, dir: string, change: ChangeSet, x: { organisation: string; notes: readonly string[]; added: readonly string[]; removed: readonly string[] }): ChangeSet {
  const file = path.join(path.resolve(ctx.io.cwd, String(ctx.args.flags.state ?? STATE_FLAG.default)), 'journal.jsonl');
  const entry: LifecycleJournalEntry = {
    kind: 'lifecycle',
    change: changeId(),
    at: ctx.io.now().toISOString(),
    operator: operatorName(ctx.io.env, ctx.io.cwd),
    command: change.what,
    organisation: x.organisation,
    outcome: 'written',
    notes: [...x.notes],
    ...fileDigests(dir, change.files),
    devices: { added: [...x.added], removed: [...x.removed] },
  };
  return { ...change, journal: { file, entry: entry as unknown as LifecycleJournalEntry & Record<string, unknown> } };
}
