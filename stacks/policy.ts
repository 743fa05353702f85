import type { Inventory } from '../src/model/inventory';
import type { FlatRule } from '../src/constructs/zone-policy';

/**
 * The flattened policy for the hub's rule group, from the policy engine (src/zones: buildPolicy, then flattenRules,
 * the same rules nftables gets). Null while the engine is not there yet: the hub then has no rule group.
 */
export function hubPolicyRules(inv: Inventory): FlatRule[] | null {
  let zones: { buildPolicy?: (inv: Inventory) => unknown };
  let nft: { flattenRules?: (policy: unknown) => FlatRule[] };
  try {
    zones = require('../src/zones');
    nft = require('../src/zones/nftables');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND') return null;
    throw e;
  }
  if (typeof zones.buildPolicy !== 'function' || typeof nft.flattenRules !== 'function') return null;
  return nft.flattenRules(zones.buildPolicy(inv));
}
