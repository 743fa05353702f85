import type { Finding } from '../src/model/finding';
import type { Inventory } from '../src/model/inventory';
import type { ValidationResult } from '../src/validation';
import type { PolicyModel } from '../src/zones';

/*
 * The check modules (zod, the schemas, src/zones, …) are required inside the functions: loading this module costs
 * nothing up front, so the synth workers start before this thread loads them.
 */
type Validation = typeof import('../src/validation');

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
  const { validateInventory } = require('../src/validation') as Validation;
  return gateResult(validateInventory(dir, { profile: opts.profile, now: opts.now }));
}

/**
 * The gate `ggi synth` runs, for a synth that goes on to flatten the policy:
 * - every check that can yield an error runs, as in validateInventory, but the analyses that can only warn (the
 *   policy's shadowed, redundant and conflicting rules) are left out: a synth needs only "is it valid?", and
 *   `ggi validate` shows those lint warnings;
 * - the policy check's model (buildPolicy) is returned with the result, so the synth flattens that one instead of
 *   building the policy a second time. The policy check is what `checkPolicy` does (buildPolicy, then lintPolicy);
 *   test/constructs/gate.test.ts compares the findings with validateInventory's.
 * It runs on this thread alone. Parsing a share of the files on a second thread was measured slower here once the
 * parser and the schemas got faster: the synth worker already loads cdktf on the other core meanwhile.
 */
export function gateInventoryForSynth(dir: string, opts: { profile?: string; now?: Date } = {}): GateResult & { policy: PolicyModel | null } {
  const { loadInventory } = require('../src/model/load') as typeof import('../src/model/load');
  const { compareFindings, hasErrors } = require('../src/model/finding') as typeof import('../src/model/finding');
  const { CHECKS } = require('../src/validation') as Validation;
  const { buildPolicy, lintPolicy } = require('../src/zones') as typeof import('../src/zones');
  const now = opts.now ?? new Date();
  const loaded = loadInventory(dir, { profile: opts.profile });
  const findings: Finding[] = [...loaded.findings];
  let policy: PolicyModel | null = null;
  const inv = loaded.inventory;
  if (inv) {
    for (const group of CHECKS) {
      if (group.onlyIfValid && hasErrors(findings)) continue;
      let result: Finding[];
      try {
        if (group.name === 'policy') {
          const built = buildPolicy(inv);
          policy = built.policy;
          result = [...built.findings, ...lintPolicy(built.policy, inv.sources, now, { analyse: false })];
        } else {
          result = group.run(inv, now, { warnings: false });
        }
      } catch (e) {
        // As validateInventory: a check that crashes must not hide the others' findings.
        const msg = e instanceof Error ? e.message : String(e);
        result = [{ severity: 'error', code: 'INTERNAL_CHECK_ERROR', message: `the ${group.name} check failed: ${msg}`, file: inv.settings.loc.file, line: 1, column: 1 }];
        if (process.env.GGI_DEBUG === '1' && e instanceof Error) process.stderr.write(`${e.stack}\n`);
      }
      findings.push(...result);
      if (group.name === 'references' && hasErrors(result)) break;
    }
  }
  findings.sort(compareFindings);
  const ok = !hasErrors(findings);
  return { ...gateResult({ inventory: inv, findings, checkOf: new Map(), ok }), policy: ok ? policy : null };
}

function gateResult(r: ValidationResult): GateResult {
  const { formatFinding } = require('../src/model/finding') as typeof import('../src/model/finding');
  const inventory = r.ok ? r.inventory : null;
  const shown = inventory ? r.findings : r.findings.filter((f) => f.severity === 'error');
  return { inventory, findings: r.findings, report: shown.map(formatFinding) };
}
