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
