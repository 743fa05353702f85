import { comparePrefix, isDefaultRoute, parsePrefix, samePrefix, specialPurpose, type Prefix } from '../net';
import { connectingOrganisation, indexInventory as buildIndex, type Inventory, type InventoryIndex, type Organisation } from '../model/inventory';
import type { ZoneName } from '../model/schema';
import { activePrefixes, addressesInZone, planFromSettings } from '../ipv6';

/**
 * Diginetwerk routing as commonly practised (DOMAIN.md §2.5, §7; not in readable sources, so every number is in
 * ggi.yaml): eBGP to the KPS, announce only the registered Diginetwerk addresses of organisations in the overheid
 * zone, accept only the declared Diginetwerk service prefixes, never a default route, max-prefix limits both ways.
 */

export interface KpsRoutingPolicy {
  /** What GGI-Netwerk announces to the KPS, per organisation's registered prefix (not aggregated across organisations). */
  readonly announce: Prefix[];
  /** What GGI-Netwerk accepts from the KPS: the declared overheid service prefixes. */
  readonly accept: Prefix[];
  readonly maxPrefixIn: number;
  readonly maxPrefixOut: number;
  readonly allowDefaultRoute: boolean;
}

/** The inventory's index, built once per inventory: the intent builder asks for every CE's announcements. */
const indexes = new WeakMap<Inventory, InventoryIndex>();
function indexInventory(inv: Inventory): InventoryIndex {
  let idx = indexes.get(inv);
  if (!idx) indexes.set(inv, (idx = buildIndex(inv)));
  return idx;
}

/**
 * Why a prefix may not be used towards Diginetwerk (only public, registered numbers are, D3), or null when it may.
 * Documentation ranges (RFC 5737, RFC 3849, RFC 9637) and the benchmarking range (RFC 2544) never appear on a real
 * network: they are accepted only when `documentation` says the inventory is a lab or an example on purpose.
 */
export function diginetwerkUnfit(p: Prefix, opts: { documentation?: boolean } = {}): string | null {
  if (isDefaultRoute(p)) return 'the default route';
  const special = specialPurpose(p);
  if (special === null || (opts.documentation && (special === 'documentation' || special === 'benchmarking'))) return null;
  return special === 'documentation' || special === 'benchmarking' ? `${special} space, usable only under the lab profile or with diginetwerk.documentationAddresses in ggi.yaml` : special;
}

/** Whether the inventory may use documentation and benchmarking ranges as Diginetwerk addresses: the lab profile, or ggi.yaml says so. */
export function documentationAllowed(inv: Inventory): boolean {
  return inv.profile === 'lab' || inv.settings.diginetwerk.documentationAddresses === true;
}

/** Whether the organisation's traffic reaches the overheid zone (its own or its samenwerkingsverband's connection point joins it). */
export function inOverheidZone(inv: Inventory, org: Organisation): boolean {
  const conn = connectingOrganisation(indexInventory(inv), org);
  return Boolean(conn?.connectionPoint?.zones.includes('overheid'));
}

function uniqueSorted(ps: Prefix[]): Prefix[] {
  const sorted = [...ps].sort(comparePrefix);
  return sorted.filter((p, i) => i === 0 || !samePrefix(p, sorted[i - 1]));
}

export function kpsRoutingPolicy(inv: Inventory): KpsRoutingPolicy {
  const plan = planFromSettings(inv.settings).plan;
  const internet = new Set(plan ? plan.categories.filter((c) => c.internet).map((c) => c.name) : []);
  const overheidCategories = new Set(inv.settings.zones.overheid.ipv6Categories.filter((c) => !internet.has(c)));
  const idx = indexInventory(inv);
  const announce: Prefix[] = [];
  for (const org of inv.organisations) {
    const conn = connectingOrganisation(idx, org);
    if (!conn?.connectionPoint?.zones.includes('overheid')) continue;
    for (const a of activePrefixes(inv, org.id)) if (!a.entry.parent && overheidCategories.has(a.category)) announce.push(a.prefix);
    for (const s of org.ipv4?.overheid ?? []) announce.push(parsePrefix(s, { strict: false }));
  }
  const accept: Prefix[] = [];
  for (const svc of inv.services) {
    if (svc.zone !== 'overheid' || svc.provider !== 'kps') continue;
    for (const s of svc.prefixes) accept.push(parsePrefix(s, { strict: false }));
  }
  // Never a default route (unless ggi.yaml says otherwise for accepting), never private space: checkDiginetwerk reports them.
  const allowDefaultRoute = inv.settings.diginetwerk.allowDefaultRoute;
  const documentation = documentationAllowed(inv);
  return {
    announce: uniqueSorted(announce.filter((p) => diginetwerkUnfit(p, { documentation }) === null)),
    accept: uniqueSorted(accept.filter((p) => (allowDefaultRoute && isDefaultRoute(p)) || diginetwerkUnfit(p, { documentation }) === null)),
    maxPrefixIn: inv.settings.diginetwerk.maxPrefixFromKps,
    maxPrefixOut: inv.settings.diginetwerk.maxPrefixToKps,
    allowDefaultRoute,
  };
}

/**
 * What a CE may announce into a zone: its organisation's addresses in that zone and, for a samenwerkingsverband, its
 * members' (each member keeps its own prefixes behind the shared connection point). Empty when the organisation has no
 * connection point joining the zone. Not aggregated across organisations, so traffic stays attributable.
 */
export function ceAnnouncements(inv: Inventory, orgId: string, zone: ZoneName): Prefix[] {
  const idx = indexInventory(inv);
  const org = idx.orgs.get(orgId);
  if (!org?.connectionPoint?.zones.includes(zone)) return [];
  const ids = [org.id, ...(org.kind === 'samenwerkingsverband' ? (idx.members.get(org.id) ?? []).map((m) => m.id) : [])];
  const out: Prefix[] = [];
  for (const id of ids) out.push(...addressesInZone(inv, id, zone));
  const documentation = documentationAllowed(inv);
  return uniqueSorted(out.filter((p) => zone !== 'overheid' || diginetwerkUnfit(p, { documentation }) === null));
}
