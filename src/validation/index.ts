import { checkReferences } from '../model/checks';
import { compareFindings, hasErrors, type Finding } from '../model/finding';
import type { Inventory } from '../model/inventory';
import { loadInventory } from '../model/load';
import type { InventorySource } from '../model/files';
import { checkIpv6 } from '../ipv6/checks';
import { checkDiginetwerk } from '../diginetwerk/checks';
import { checkResilience } from '../diginetwerk/resilience';
import { checkPolicy } from '../zones/lint';
import { checkGovroam } from '../govroam/checks';
import { checkVeilig } from '../veilig/checks';
import { checkAddressClaims } from './claims';
import { checkIntents } from './intent';
import { checkDhcp } from '../intent/dhcp';

/** One named group of checks, so reports (JUnit, SARIF) can say which check produced what. */
export interface CheckGroup {
  readonly name: string;
  readonly run: (inv: Inventory, now: Date, opts: CheckOptions) => Finding[];
  /** Runs only when the groups before it found no error (its results would be noise, or it cannot run at all). */
  readonly onlyIfValid?: boolean;
}

export interface CheckOptions {
  /**
   * Run the analyses that can only yield warnings (today: the policy's shadowed, redundant and conflicting rules).
   * Default true; a gate that only needs "is it valid?" (the synth gate) turns them off.
   */
  warnings?: boolean;
  /**
   * A CE without a pinned host key is an error (default true). False for the lab target (the lab pins the keys it
   * makes) and for commands that only write the inventory (they connect to nothing).
   */
  pinsRequired?: boolean;
}

export const CHECKS: readonly CheckGroup[] = [
  { name: 'references', run: (inv, now, opts) => checkReferences(inv, now, { pinsRequired: opts.pinsRequired }) },
  { name: 'ipv6', run: (inv) => checkIpv6(inv) },
  { name: 'addresses', run: (inv) => checkAddressClaims(inv) },
  { name: 'diginetwerk', run: (inv) => checkDiginetwerk(inv) },
  { name: 'resilience', run: (inv, now) => checkResilience(inv, now) },
  { name: 'policy', run: (inv, now, opts) => checkPolicy(inv, now, { analyse: opts.warnings !== false }) },
  { name: 'govroam', run: (inv) => checkGovroam(inv) },
  { name: 'veilig', run: (inv, now) => checkVeilig(inv, now) },
  { name: 'dhcp', run: (inv) => checkDhcp(inv) },
  { name: 'intent', run: (inv) => checkIntents(inv), onlyIfValid: true },
];

export interface ValidationResult {
  inventory: Inventory | null;
  findings: Finding[];
  /** The check that produced each finding ('schema' for load findings), for JUnit/SARIF grouping. */
  checkOf: Map<Finding, string>;
  ok: boolean;
}

/**
 * Loads and checks a whole inventory. Semantic checks run only on a schema-valid inventory; reference errors stop
 * the domain checks, whose results would be noise on dangling references.
 */
export function validateInventory(source: InventorySource | string, opts: { profile?: string; now?: Date } & CheckOptions = {}): ValidationResult {
  const now = opts.now ?? new Date();
  const loaded = loadInventory(source, { profile: opts.profile });
  const checkOf = new Map<Finding, string>();
  const findings: Finding[] = [];
  for (const f of loaded.findings) {
    findings.push(f);
    checkOf.set(f, f.code.startsWith('YAML') ? 'yaml' : 'schema');
  }
  if (loaded.inventory) {
    for (const group of CHECKS) {
      if (group.onlyIfValid && hasErrors(findings)) continue;
      let result: Finding[];
      try {
        result = group.run(loaded.inventory, now, { warnings: opts.warnings, pinsRequired: opts.pinsRequired });
      } catch (e) {
        // A check that crashes must not hide the others' findings; report it as an internal error finding.
        const msg = e instanceof Error ? e.message : String(e);
        result = [{ severity: 'error', code: 'INTERNAL_CHECK_ERROR', message: `the ${group.name} check failed: ${msg}`, file: loaded.inventory.settings.loc.file, line: 1, column: 1 }];
        if (process.env.GGI_DEBUG === '1' && e instanceof Error) process.stderr.write(`${e.stack}\n`);
      }
      for (const f of result) {
        findings.push(f);
        checkOf.set(f, group.name);
      }
      if (group.name === 'references' && hasErrors(result)) break;
    }
  }
  findings.sort(compareFindings);
  return { inventory: loaded.inventory, findings, checkOf, ok: !hasErrors(findings) };
}

