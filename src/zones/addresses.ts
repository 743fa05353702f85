import { addressesInZone } from '../ipv6/addresses';
import type { Inventory, Organisation } from '../model/inventory';
import { prefixLast } from '../net';
import { type AddrSet, normalize, type Range } from './addr';
import type { ZoneName } from './types';

/**
 * An organisation's addresses in a zone (src/ipv6 `addressesInZone`: its active ledger allocations whose category
 * belongs to the zone, plus its registered IPv4 for that zone), as an exact address set.
 */
export function orgZoneSet(inv: Inventory, org: Organisation, zone: ZoneName): AddrSet {
  const v4: Range[] = [];
  const v6: Range[] = [];
  for (const p of addressesInZone(inv, org.id, zone)) (p.family === 4 ? v4 : v6).push({ lo: p.addr, hi: prefixLast(p) });
  return { v4: normalize(v4), v6: normalize(v6) };
}
