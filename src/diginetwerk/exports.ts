/**
 * Routing-security exports from the same plan the routers are configured from (pure text builders): RIPE `route6` /
 * `route` objects and ROA suggestions for every prefix GGI-Netwerk announces to the KPS, and the ip6.arpa delegations
 * of every active allocation as a zone-file fragment with each organisation's declared nameservers.
 *
 * Which ASN originates: the Koppelnet ASN (ggi.yaml `diginetwerk.koppelnetAsn`). The KPS peers with GGI-Netwerk's
 * border, not with a gemeente's CE; a CE's ASN is private (RFC 6996) and never seen past the border, so the origin the
 * KPS (and any ROV it does, RFC 6811) sees is the Koppelnetwerk's own ASN (DOMAIN.md §2.5: "BGP between each
 * Koppelnetwerk and KPS, with the Koppelnetwerkaanbieder's own AS number").
 *
 * ROA max length is the prefix length (RFC 9319: minimal ROAs; a more-specific is then invalid, which is what keeps a
 * hijacked more-specific of a gemeente's prefix out, the same rule the borders apply to CE announcements).
 */
import { comparePrefix, formatPrefix, parsePrefix, reverseZones, type Prefix } from '../net';
import { connectingOrganisation, indexInventory, type Inventory } from '../model/inventory';
import { activePrefixes, isActive, entryPrefix } from '../ipv6';
import { rpslText } from '../util/escape/rpsl';
import { diginetwerkUnfit, documentationAllowed } from './routing';

export interface RouteOrigin {
  readonly prefix: string;
  readonly family: 4 | 6;
  readonly organisation: string;
  readonly name: string;
  /** The origin AS the KPS sees. */
  readonly origin: number;
  /** ROA max length: the prefix length (no more-specifics). */
  readonly maxLength: number;
}

/**
 * Every prefix announced to the KPS, with its organisation: the active Diginetwerk-zone allocations (not
 * sub-allocations, not internet categories) and the registered IPv4 of each organisation whose connection point
 * (its own or its samenwerkingsverband's) joins the overheid zone. The same selection as `kpsRoutingPolicy().announce`,
 * kept per organisation.
 */
export function routeOrigins(inv: Inventory): RouteOrigin[] {
  const idx = indexInventory(inv);
  const zoneCats = new Set(inv.settings.zones.overheid.ipv6Categories);
  const internet = new Set(inv.settings.numberingPlan.categories.filter((c) => c.internet).map((c) => c.name));
  const origin = inv.settings.diginetwerk.koppelnetAsn;
  const documentation = documentationAllowed(inv);
  const out: Array<RouteOrigin & { p: Prefix }> = [];
  for (const org of inv.organisations) {
    const conn = connectingOrganisation(idx, org);
    if (!conn?.connectionPoint?.zones.includes('overheid')) continue;
    const prefixes: Prefix[] = [];
    for (const a of activePrefixes(inv, org.id)) if (!a.entry.parent && zoneCats.has(a.category) && !internet.has(a.category)) prefixes.push(a.prefix);
    for (const s of org.ipv4?.overheid ?? []) prefixes.push(parsePrefix(s, { strict: false }));
    for (const p of prefixes) {
      if (diginetwerkUnfit(p, { documentation }) !== null) continue; // checkDiginetwerk reports these; they are never announced
      out.push({ p, prefix: formatPrefix(p), family: p.family, organisation: org.id, name: org.name, origin, maxLength: p.len });
    }
  }
  return out.sort((a, b) => comparePrefix(a.p, b.p) || (a.organisation < b.organisation ? -1 : 1)).map(({ p: _p, ...r }) => r);
}

function attr(name: string, value: string): string {
  return `${`${name}:`.padEnd(16)}${value}`;
}

/** RIPE `route6` (IPv6) and `route` (IPv4) objects, one per announced prefix, separated by a blank line. */
export function exportRouteObjects(inv: Inventory): string {
  const r = inv.settings.numberingPlan.ripe;
  const objs = routeOrigins(inv).map((o) =>
    [
      attr(o.family === 6 ? 'route6' : 'route', o.prefix),
      attr('descr', `${rpslText(o.name)} (${o.organisation}), announced to Diginetwerk by ${rpslText(inv.settings.network.name)}`),
      attr('origin', `AS${o.origin}`),
      attr('mnt-by', r.mntBy),
      attr('source', r.source),
    ].join('\n'),
  );
  return objs.length ? `${objs.join('\n\n')}\n` : '';
}

export interface RoaSuggestion {
  readonly prefix: string;
  readonly maxLength: number;
  readonly asn: number;
  readonly organisation: string;
}

export function roaSuggestions(inv: Inventory): RoaSuggestion[] {
  return routeOrigins(inv).map((o) => ({ prefix: o.prefix, maxLength: o.maxLength, asn: o.origin, organisation: o.organisation }));
}

/** ROA suggestions as CSV in the column order of the RIPE NCC RPKI dashboard's bulk upload (ASN, prefix, max length). */
export function exportRoaCsv(inv: Inventory): string {
  const lines = ['ASN,IP Prefix,Max Length,Comment'];
  for (const r of roaSuggestions(inv)) lines.push(`AS${r.asn},${r.prefix},${r.maxLength},${r.organisation}`);
  return `${lines.join('\n')}\n`;
}

export interface ArpaDelegation {
  readonly zone: string;
  readonly prefix: string;
  readonly organisation: string;
  readonly nameservers: string[];
}

/**
 * The ip6.arpa delegations: every active allocation's /48 zones (a /46 is not on a nibble boundary, DOMAIN.md §1.10)
 * with the organisation's declared nameservers. Organisations without `dns.nameservers` are listed with none.
 */
export function arpaDelegations(inv: Inventory): ArpaDelegation[] {
  const orgs = new Map(inv.organisations.map((o) => [o.id, o]));
  const out: ArpaDelegation[] = [];
  const entries = inv.ledger.entries.filter((e) => isActive(e) && !e.parent && entryPrefix(e).family === 6).sort((a, b) => comparePrefix(entryPrefix(a), entryPrefix(b)));
  for (const e of entries) {
    const ns = [...(orgs.get(e.organisation)?.dns?.nameservers ?? [])].map((n) => n.toLowerCase().replace(/\.$/, ''));
    for (const z of reverseZones(entryPrefix(e))) out.push({ zone: z.zone, prefix: formatPrefix(z.prefix), organisation: e.organisation, nameservers: ns });
  }
  return out;
}

/**
 * A zone-file fragment (RFC 1035 master file syntax) with absolute owner names, so that it can be included in any
 * parent zone that holds the blocks: one NS record per nameserver per /48. Zones of organisations without declared
 * nameservers are listed as comments (no delegation is better than a lame one).
 */
export function exportArpaZone(inv: Inventory, ttl = 86400): string {
  const lines = [`; ip6.arpa delegations of ${inv.settings.network.name}, generated by ggi from the IPv6 ledger`];
  for (const d of arpaDelegations(inv)) {
    if (!d.nameservers.length) {
      lines.push(`; ${d.zone}. (${d.prefix}, ${d.organisation}): no nameservers declared (dns.nameservers), not delegated`);
      continue;
    }
    lines.push(`; ${d.prefix} ${d.organisation}`);
    for (const ns of d.nameservers) lines.push(`${d.zone}.\t${ttl}\tIN\tNS\t${ns}.`);
  }
  return `${lines.join('\n')}\n`;
}

/** The nibble-aligned ip6.arpa zone that holds every numbering-plan block (the parent the fragment belongs in). */
export function arpaParentZone(inv: Inventory): string {
  const blocks = Object.values(inv.settings.numberingPlan.blocks).map((b) => parsePrefix(b, { strict: false }));
  let len = Math.min(...blocks.map((b) => b.len));
  const common = (l: number) => blocks.every((b) => b.addr >> BigInt(128 - l) === blocks[0].addr >> BigInt(128 - l));
  while (len > 0 && !common(len)) len--;
  len -= len % 4;
  const parent = { family: 6 as const, addr: (blocks[0].addr >> BigInt(128 - len)) << BigInt(128 - len), len };
  return len === 0 ? 'ip6.arpa' : reverseZones(parent)[0].zone;
}
