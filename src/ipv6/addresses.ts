import { aggregate, parsePrefix, type Prefix } from '../net';
import type { Inventory, LedgerEntry, Organisation } from '../model/inventory';
import type { ZoneName } from '../model/schema';
import { entryPrefix, isActive } from './ledger';

/**
 * Address helpers for the policy engine and the intent builder: which prefixes an organisation holds and which of
 * them are addresses in a zone. Called often (per organisation, per rule), so the per-inventory index is built once.
 */

export interface ActivePrefix {
  readonly category: string;
  readonly prefix: Prefix;
  readonly status: 'allocated' | 'assigned';
  readonly entry: LedgerEntry;
}

interface AddressIndex {
  readonly orgs: ReadonlyMap<string, Organisation>;
  /** Active entries by organisation, in ledger order (parsed only when asked for: most are sub-allocations). */
  readonly active: ReadonlyMap<string, LedgerEntry[]>;
  readonly prefixes: Map<string, ActivePrefix[]>;
  readonly zoneOf: ReadonlyMap<string, ZoneName>;
  readonly inZone: Map<string, Prefix[]>;
}

const cache = new WeakMap<Inventory, AddressIndex>();

function index(inv: Inventory): AddressIndex {
  let idx = cache.get(inv);
  if (idx) return idx;
  const orgs = new Map<string, Organisation>();
  for (const o of inv.organisations) if (!orgs.has(o.id)) orgs.set(o.id, o);
  const active = new Map<string, LedgerEntry[]>();
  for (const e of inv.ledger.entries) {
    if (!isActive(e)) continue;
    const list = active.get(e.organisation);
    if (list) list.push(e);
    else active.set(e.organisation, [e]);
  }
  const zoneOf = new Map<string, ZoneName>();
  for (const z of ['overheid', 'markt'] as const) for (const c of inv.settings.zones[z].ipv6Categories) if (!zoneOf.has(c)) zoneOf.set(c, z);
  idx = { orgs, active, prefixes: new Map(), zoneOf, inZone: new Map() };
  cache.set(inv, idx);
  return idx;
}

/** The organisation's active ledger prefixes (allocations and sub-allocations), in ledger order. */
export function activePrefixes(inv: Inventory, orgId: string): ActivePrefix[] {
  const idx = index(inv);
  let list = idx.prefixes.get(orgId);
  if (!list) {
    list = (idx.active.get(orgId) ?? []).map((e) => ({ category: e.category, prefix: entryPrefix(e), status: e.status as 'allocated' | 'assigned', entry: e }));
    idx.prefixes.set(orgId, list);
  }
  return [...list];
}

/** The zone whose addresses a network category provides (ggi.yaml `zones.*.ipv6Categories`), or null (e.g. internet). */
export function zoneOfCategory(inv: Inventory, categoryName: string): ZoneName | null {
  return index(inv).zoneOf.get(categoryName) ?? null;
}

/**
 * The organisation's addresses in a zone, aggregated: its active ledger allocations (not sub-allocations) whose category
 * belongs to the zone, plus its registered IPv4 for that zone.
 */
export function addressesInZone(inv: Inventory, orgId: string, zone: ZoneName): Prefix[] {
  const idx = index(inv);
  const key = `${orgId}\0${zone}`;
  const hit = idx.inZone.get(key);
  if (hit) return [...hit];
  const out: Prefix[] = [];
  for (const e of idx.active.get(orgId) ?? []) if (!e.parent && idx.zoneOf.get(e.category) === zone) out.push(entryPrefix(e));
  const org = idx.orgs.get(orgId);
  for (const s of org?.ipv4?.[zone] ?? []) out.push(parsePrefix(s, { strict: false }));
  const result = aggregate(out);
  idx.inZone.set(key, result);
  return [...result];
}
