import type { Finding } from '../model/finding';
import type { Inventory } from '../model/inventory';
import { buildIntents } from '../intent';
import type { DeviceFilter } from '../intent/types';

/**
 * The device-building checks of `ggi plan` (the INTENT_* findings: borders, ASNs, transfer pools, interface names,
 * router ids), so that "validate passes" means "plan can build". The packet filters are not compiled here: that
 * is the slow part of building, and the policy it compiles is checked by the policy group already.
 */
export function checkIntents(inv: Inventory): Finding[] {
  // An empty filter stands in for each device's compiled one.
  const compile = (input: { deviceId: string; role: DeviceFilter['role'] }): DeviceFilter => ({ deviceId: input.deviceId, role: input.role, services: [], isolate: [], pairs: [] });
  return buildIntents(inv, { deps: { prepareFilters: () => ({ compile, findings: [] }) } }).findings;
}
