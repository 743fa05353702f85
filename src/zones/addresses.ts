import type { Inventory, Organisation } from '../model/inventory';
import type { ZoneName } from './types';

/**
 * An organisation's addresses in a zone: its active top-level ledger blocks whose category belongs to the zone
 * (ggi.yaml `zones.<zone>.ipv6Categories`), plus its registered IPv4 for that zone. Returned as CIDR strings.
 *
 * This mirrors `addressesInZone` of src/ipv6; kept here so the policy engine does not depend on the ledger module's
 * internals beyond this one definition.
 */
export function orgZoneCidrs(inv: Inventory, org: Organisation, zone: ZoneName): string[] {
  const cats = new Set(inv.settings.zones[zone].ipv6Categories);
  const out: string[] = [];
  for (const e of inv.ledger.entries) {
    if (e.organisation !== org.id || e.status === 'quarantined' || e.parent) continue;
    if (cats.has(e.category)) out.push(e.prefix);
  }
  for (const p of org.ipv4?.[zone] ?? []) out.push(p);
  return out;
}
