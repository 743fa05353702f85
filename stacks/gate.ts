import { formatFinding, hasErrors, type Finding } from '../src/model/finding';
import type { Inventory } from '../src/model/inventory';
import { loadInventory } from '../src/model/load';

export interface GateResult {
  /** Null when the inventory did not pass validation: nothing may be synthesized from it. */
  inventory: Inventory | null;
  findings: Finding[];
  /** The findings formatted for a terminal. */
  report: string[];
}

/**
 * Bad input reaches the stacks only after validation passed: every check `ggi validate` runs must be clean of errors.
 */
export function gateInventory(dir: string, opts: { profile?: string; now?: Date } = {}): GateResult {
  const validate = validator();
  let inventory: Inventory | null;
  let findings: Finding[];
  if (validate) {
    const r = validate(dir, { profile: opts.profile, now: opts.now });
    inventory = r.ok ? r.inventory : null;
    findings = r.findings;
  } else {
    const r = loadInventory(dir, { profile: opts.profile });
    inventory = r.inventory && !hasErrors(r.findings) ? r.inventory : null;
    findings = r.findings;
  }
  const shown = inventory ? findings : findings.filter((f) => f.severity === 'error');
  return { inventory, findings, report: shown.map(formatFinding) };
}

type Validate = (dir: string, o: { profile?: string; now?: Date }) => { inventory: Inventory | null; findings: Finding[]; ok: boolean };

/**
 * The lead's full validation, when every check module it needs is present; until then the load's own findings are
 * the gate (schema and YAML errors).
 */
function validator(): Validate | null {
  try {
    return (require('../src/validation') as { validateInventory: Validate }).validateInventory;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND') return null;
    throw e;
  }
}
