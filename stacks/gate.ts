import { formatFinding, type Finding } from '../src/model/finding';
import type { Inventory } from '../src/model/inventory';
import { validateInventory } from '../src/validation';

export interface GateResult {
  /** Null when the inventory did not pass validation: nothing may be synthesized from it. */
  inventory: Inventory | null;
  findings: Finding[];
  /** The findings formatted for a terminal: all of them when it passed (warnings), the errors when it did not. */
  report: string[];
}

/**
 * Bad input reaches the stacks only after validation passed: every check `ggi validate` runs (schema, references,
 * IPv6 plan and ledger, policy, Diginetwerk, govroam) must be free of errors.
 */
export function gateInventory(dir: string, opts: { profile?: string; now?: Date } = {}): GateResult {
  const r = validateInventory(dir, { profile: opts.profile, now: opts.now });
  const inventory = r.ok ? r.inventory : null;
  const shown = inventory ? r.findings : r.findings.filter((f) => f.severity === 'error');
  return { inventory, findings: r.findings, report: shown.map(formatFinding) };
}
