import type { Finding } from '../model/finding';
import type { Inventory } from '../model/inventory';
import { buildIntents } from '../intent';

/**
 * The device-building checks of `ggi plan` (the INTENT_* findings: borders, ASNs, transfer pools, interface names,
 * router ids), so that "validate passes" means "plan can build". The nftables rulesets are not compiled here: that
 * is the slow part of building, and the policy it compiles is checked by the policy group already.
 */
export function checkIntents(inv: Inventory): Finding[] {
  return buildIntents(inv, { deps: { prepareNftables: () => ({ compile: () => '', findings: [] }) } }).findings;
}
