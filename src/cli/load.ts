import { loadInventory } from '../model/load';
import type { Inventory } from '../model/inventory';
import { hasErrors, type Finding } from '../model/finding';
import { UserError, type CommandContext } from './context';

/**
 * Loads the inventory for a command. Load (syntax/schema) errors stop the command with exit 1 and the findings on
 * stderr; warnings are returned for the command to show or not.
 */
export function loadForCommand(ctx: CommandContext): { inventory: Inventory; findings: Finding[] } {
  const { inventory, findings } = loadInventory(ctx.global.inventory, { profile: ctx.global.profile });
  if (!inventory || hasErrors(findings)) {
    throw new UserError(`the inventory in ${ctx.global.inventory} is invalid: run 'ggi validate' for all findings`, 1, findings.filter((f) => f.severity === 'error'));
  }
  return { inventory, findings };
}

/**
 * The gate of commands that hand an artefact to the outside world (CLI.md: exports, synth, plan, apply): the full
 * validation runs first (without the analyses that can only warn), and any error refuses the command with exit 1.
 */
export function loadValidated(ctx: CommandContext): { inventory: Inventory; findings: Finding[] } {
  const { validateInventory } = require('../validation') as typeof import('../validation');
  const r = validateInventory(ctx.global.inventory, { profile: ctx.global.profile, now: ctx.io.now(), warnings: false });
  if (!r.inventory || !r.ok) {
    throw new UserError(`the inventory in ${ctx.global.inventory} is invalid: run 'ggi validate' for all findings`, 1, r.findings.filter((f) => f.severity === 'error'));
  }
  return { inventory: r.inventory, findings: r.findings };
}
