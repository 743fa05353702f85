import type { Inventory } from '../src/model/inventory';
import { buildPolicy, flattenRules, type PolicyModel } from '../src/zones';
import type { FlatRule } from '../src/constructs/zone-policy';

/**
 * The flattened policy for the cloud rule group: the same rules, in the same precedence, that nftables gets
 * (src/zones: buildPolicy, then flattenRules; each rule cut per zone and family, ports one range per rule).
 */
export function hubPolicyRules(inv: Inventory): FlatRule[] {
  return hubPolicyRulesOf(buildPolicy(inv).policy);
}

/** `hubPolicyRules` from a policy already built (the synth gate's: see gateInventoryForSynth). */
export function hubPolicyRulesOf(policy: PolicyModel): FlatRule[] {
  return flattenRules(policy);
}
