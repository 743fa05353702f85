import type { Inventory } from '../model/inventory';
import { activeDetectionRules } from '../veilig/detection';
import type { DeviceIntent } from './types';

/** Where GGI-Veilig's detection rules run: the zone borders, which every packet between a zone and the rest crosses. */
const DETECTING_ROLES: ReadonlySet<DeviceIntent['role']> = new Set(['border-overheid', 'border-markt']);

/**
 * Adds the detection rules in force on `now` (veilig.yaml `detection`, src/veilig/detection.ts) to the intent of a
 * border; other devices and inventories without rules are returned unchanged.
 */
export function detectionFor(inv: Inventory, now: Date): (intent: DeviceIntent) => DeviceIntent {
  const rules = activeDetectionRules(inv.veilig, now);
  return (intent) => (rules.length && DETECTING_ROLES.has(intent.role) ? { ...intent, detection: { rules } } : intent);
}
