import * as path from 'node:path';
import { type CommandContext, EXIT, UserError } from './context';
import type { LabState } from '../lab';
import type { LabTarget } from '../lab/inventory-lab';

/**
 * The lab a command acts on (`--lab-state`): its target record and state, read once, with one message for every
 * command when it is unreadable or not up. `whenDown` says what the user should run first.
 */
export function readRunningLab(ctx: CommandContext, whenDown: string): { stateDir: string; labTarget: LabTarget; state: LabState } {
  const lab = require('../lab') as typeof import('../lab');
  const il = require('../lab/inventory-lab') as typeof import('../lab/inventory-lab');
  const flag = String(ctx.args.flags['lab-state']);
  const stateDir = path.resolve(ctx.io.cwd, flag);
  let labTarget: LabTarget | null | undefined;
  let state: LabState | null | undefined;
  try {
    labTarget = il.readLabTarget(stateDir);
    state = lab.readState(stateDir);
  } catch (e) {
    throw new UserError(`cannot read the lab in ${flag}: ${e instanceof Error ? e.message : String(e)}`, EXIT.DEVICE_FAILED);
  }
  if (!labTarget || !state) throw new UserError(`the lab is not up (no lab in ${flag}): ${whenDown}`, EXIT.DEVICE_FAILED);
  return { stateDir, labTarget, state };
}
