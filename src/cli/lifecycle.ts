import * as path from 'node:path';
import { type CommandContext, EXIT, type ExitCode, UserError } from './context';
import { printJson } from './report/output';
import { formatFinding, type Finding } from '../model/finding';
import type { Inventory } from '../model/inventory';
import { validateInventory } from '../validation';
import { readLedgerFile } from '../ipv6/store';
import { operatorName } from '../util/operator';
import { scaffold } from './commands/onboard';
import { type Context, LifecycleError, type Planned } from '../lifecycle/change';
import { commitChange } from '../lifecycle/commit';
import { lifecycleJournal } from '../reconciler/journal';
import { withJournal, withLifecycle } from './lifecycle-gate';
import { STATE_FLAG } from './lifecycle-gate';
import { FORMAT_FLAG } from './report/output';
export { STATE_FLAG } from './lifecycle-gate';

/** The flags every lifecycle change (`move`, `offboard`) takes besides its own. */
export const LIFECYCLE_FLAGS = {
  'dry-run': { type: 'boolean' as const, help: 'show what would change, write nothing' },
  state: STATE_FLAG,
  format: FORMAT_FLAG,
};
import { impactOf, impactText } from '../lifecycle/impact';
import { OverlaySource } from '../validation/overlay';

/**
 * The imperative shell shared by `ggi move` and `ggi offboard`: under the ledger lock, gate the inventory, plan the
 * change, validate the inventory as the change would leave it, show what changes in the network, and write it.
 * `tolerated` names the finding codes the change is meant to leave for a person to resolve (offboard: rules that
 * still name the organisation).
 */
export async function runLifecycle(ctx: CommandContext, planIt: (c: Context) => Planned, opts: { organisation: string; dryRun: boolean; tolerated?: readonly string[] }): Promise<ExitCode> {
  return withLifecycle(ctx, (inv, dir) => {
    const ledger = readLedgerFile(path.join(dir, 'ipv6', 'ledger.yaml'));
    if (!ledger.ok) throw new UserError('the ledger is not valid; fix it first', EXIT.INVALID, ledger.findings);
    const c: Context = { inv, read: (rel) => new OverlaySource(dir, {}).read(rel), ledger, now: ctx.io.now(), who: operatorName(ctx.io.env, ctx.io.cwd), scaffold: scaffold as Context['scaffold'] };
    let planned: Planned;
    try {
      planned = planIt(c);
    } catch (e) {
      if (e instanceof LifecycleError) throw new UserError(e.message);
      throw e;
    }
    const files = planned.change.files;
    const overlay = new OverlaySource(dir, Object.fromEntries(files.map((f) => [f.rel, f.text])));
    const after = validateInventory(overlay, { now: ctx.io.now(), warnings: false, pinsRequired: false });
    const tolerated = new Set(opts.tolerated ?? []);
    const blocking = after.findings.filter((f) => f.severity === 'error' && !tolerated.has(f.code));
    if (!after.inventory || blocking.length) throw new UserError(`ggi ${planned.change.what} would leave an inventory that does not validate; nothing was written`, EXIT.INVALID, blocking);
    const toResolve = after.findings.filter((f) => f.severity === 'error' && tolerated.has(f.code));
    const impact = files.length ? impactOf(inv, after.inventory, cloudStacks) : null;
    const change = withJournal(ctx, dir, planned.change, { organisation: opts.organisation, notes: planned.notes, added: planned.addedDevices, removed: planned.removedDevices });
    const written = opts.dryRun ? [] : commitChange(dir, change, lifecycleJournal);
    report(ctx, planned, impact, written, toResolve, opts.dryRun);
    return EXIT.OK;
  });
}

/** The organisation stacks of the cloud side (stacks/plan.ts), by name; null without a cloud section. */
function cloudStacks(inv: Inventory): Map<string, unknown> | null {
  if (!inv.settings.cloud) return null;
  const { planCloud } = require('../../stacks/plan') as typeof import('../../stacks/plan');
  try {
    return new Map(planCloud(inv).organisations.map((o) => [o.stack, o]));
  } catch {
    return null;
  }
}

function report(ctx: CommandContext, p: Planned, impact: ReturnType<typeof impactOf> | null, written: string[], toResolve: Finding[], dryRun: boolean): void {
  const pin = p.addedDevices.map((d) => `pin the host key of ${d}: set its management.hostKey (ssh-keygen -lf on the device's /etc/ssh/ssh_host_ed25519_key.pub)`);
  const steps = written.length || dryRun ? ['ggi validate', ...pin, 'ggi plan', 'ggi apply'] : [];
  // `lab up` on a running lab rewires it to the inventory: new CEs and LAN hosts in, the ones that left out.
  const labSteps = steps.length ? ['ggi validate --target lab', 'ggi lab up', 'ggi apply --target lab', 'ggi verify --target lab'] : [];
  if (ctx.args.flags.format === 'json') {
    printJson(ctx.io, { change: p.change.what, dryRun, written, notes: p.notes, impact, toResolve, nextSteps: steps, labSteps });
    return;
  }
  const o = ctx.io.stdout;
  for (const n of p.notes) o(`${n}\n`);
  if (impact) o(impactText(impact));
  if (dryRun) o(`dry run: nothing was written (${p.change.files.map((f) => f.rel).join(', ') || 'nothing to write'})\n`);
  else if (written.length) o(`wrote ${written.join(', ')}\n`);
  else o('nothing changed\n');
  if (toResolve.length) {
    o(`to resolve (${toResolve.length}): these still name it; 'ggi validate' reports them until they are changed\n`);
    for (const f of toResolve) o(`  ${formatFinding(f)}\n`);
  }
  if (steps.length) o(`next steps:\n${steps.map((s, i) => `  ${i + 1}. ${s}`).join('\n')}\nor in the lab:\n${labSteps.map((s, i) => `  ${i + 1}. ${s}`).join('\n')}\n`);
}
