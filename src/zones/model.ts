import type { Finding } from '../model/finding';
import { connectingOrganisation, indexInventory, type Inventory } from '../model/inventory';
import type { SelectorDecl } from '../model/schema';
import type { Loc, NodePath } from '../model/source';
import { type AddrSet, EMPTY_SET, normalize, parseCidr, type Range, setSubtract, setUnion } from './addr';
import { orgZoneSet } from './addresses';
import { type DeclProto, type GuardrailModel, type OrgModel, type PolicyModel, type PortSet, type RuleModel, type ServiceModel, type ZoneModel, type ZoneName, ZONES } from './types';

/**
 * Resolves the inventory's policy into exact address sets (see DESIGN.md, src/zones). Errors in a rule (unknown
 * reference, bad ports) become located findings and the rule is left out of the model: the command exits 1 anyway.
 */
export function buildPolicy(inv: Inventory): { policy: PolicyModel; findings: Finding[] } {
  const findings: Finding[] = [];
  const idx = indexInventory(inv);
  const orgs: OrgModel[] = [];
  const orgById = new Map<string, OrgModel>();
  for (const o of inv.organisations) {
    if (orgById.has(o.id)) continue;
    const via = connectingOrganisation(idx, o);
    const joins = (via?.connectionPoint?.zones ?? []).filter((z, i, a) => a.indexOf(z) === i);
    const zones = {} as Record<ZoneName, AddrSet>;
    for (const z of ZONES) zones[z] = orgZoneSet(inv, o, z);
    const visitor = safeSet(o.segments.filter((g) => g.purpose === 'govroam-visitor').flatMap((g) => [g.ipv6, g.ipv4].filter((x): x is string => Boolean(x))));
    const m: OrgModel = { id: o.id, via: via ? via.id : null, joins, zones, visitor };
    orgs.push(m);
    orgById.set(o.id, m);
  }

  const services: ServiceModel[] = [];
  const serviceByName = new Map<string, ServiceModel>();
  for (const v of inv.services) {
    if (serviceByName.has(v.name)) continue;
    const m: ServiceModel = { name: v.name, zone: v.zone, provider: v.provider, set: safeSet(v.prefixes) };
    services.push(m);
    serviceByName.set(v.name, m);
  }

  const zones = {} as Record<ZoneName, ZoneModel>;
  for (const z of ZONES) {
    // Collect, then normalise once: unions in a loop would be quadratic over ~500 organisations.
    const all: AddrSet = { v4: [], v6: [] };
    const live: AddrSet = { v4: [], v6: [] };
    const add = (t: AddrSet, x: AddrSet) => {
      t.v4.push(...x.v4);
      t.v6.push(...x.v6);
    };
    for (const o of orgs) {
      add(all, o.zones[z]);
      if (o.joins.includes(z)) add(live, o.zones[z]);
    }
    for (const v of services) {
      if (v.zone !== z) continue;
      add(all, v.set);
      add(live, v.set);
    }
    zones[z] = { name: z, all: { v4: normalize(all.v4), v6: normalize(all.v6) }, live: { v4: normalize(live.v4), v6: normalize(live.v6) } };
  }

  const resolver = new SelectorResolver(inv, orgById, serviceByName, zones);

  const rules: RuleModel[] = [];
  for (const r of [...inv.rules].sort((a, b) => a.order - b.order)) {
    const errs: Finding[] = [];
    const src = resolver.resolve(r.from, r.loc, ['from'], errs);
    const dst = resolver.resolve(r.to, r.loc, ['to'], errs);
    const ports = parsePorts(r.proto, r.ports, r.loc, inv, errs);
    findings.push(...errs);
    if (errs.some((f) => f.severity === 'error')) continue;
    rules.push({
      id: r.id,
      order: rules.length,
      action: r.action,
      proto: r.proto,
      ports,
      src,
      dst,
      from: r.from,
      to: r.to,
      owner: r.owner,
      reason: r.reason,
      ...(r.expires ? { expires: r.expires } : {}),
      loc: r.loc,
    });
  }

  const guardrails: GuardrailModel[] = [];
  for (const g of inv.guardrails) {
    const errs: Finding[] = [];
    const base: Loc = { file: g.loc.file, path: [...g.loc.path, 'never'] };
    const src = resolver.resolve(g.never.from, base, ['from'], errs);
    const dst = resolver.resolve(g.never.to, base, ['to'], errs);
    const proto: DeclProto = g.never.proto ?? 'any';
    const ports = parsePorts(proto, g.never.ports, base, inv, errs, g.never.proto === undefined);
    findings.push(...errs);
    if (errs.some((f) => f.severity === 'error')) continue;
    guardrails.push({ id: g.id, src, dst, proto, ports, from: g.never.from, to: g.never.to, reason: g.reason, loc: g.loc });
  }
  return { policy: { rules, guardrails, zones, orgs, services }, findings };
}

function safeSet(cidrs: readonly string[]): AddrSet {
  // The schema already rejected malformed prefixes; anything unparsable here is simply not an address.
  const v4: Range[] = [];
  const v6: Range[] = [];
  for (const c of cidrs) {
    try {
      const p = parseCidr(c);
      (p.family === 4 ? v4 : v6).push(p.range);
    } catch {
      /* reported by the schema */
    }
  }
  return { v4: normalize(v4), v6: normalize(v6) };
}

/** Resolves selectors, sharing one set object per distinct selector so the engine can de-duplicate work. */
class SelectorResolver {
  private readonly cache = new Map<string, AddrSet>();
  constructor(
    private readonly inv: Inventory,
    private readonly orgById: Map<string, OrgModel>,
    private readonly services: Map<string, ServiceModel>,
    private readonly zones: Record<ZoneName, ZoneModel>,
  ) {}

  resolve(sel: SelectorDecl, loc: Loc, sub: NodePath, errs: Finding[]): AddrSet {
    const s = this.inv.sources;
    if (sel.organisations) {
      sel.organisations.forEach((id, i) => {
        if (!this.orgById.has(id)) errs.push(s.error('POLICY_UNKNOWN_REFERENCE', `unknown organisation '${id}' in the selector`, loc, [...sub, 'organisations', i]));
      });
    }
    if (sel.services) {
      sel.services.forEach((n, i) => {
        if (!this.services.has(n)) errs.push(s.error('POLICY_UNKNOWN_REFERENCE', `unknown service '${n}' in the selector`, loc, [...sub, 'services', i]));
      });
    }
    const key = JSON.stringify(sel);
    const hit = this.cache.get(key);
    if (hit) return hit;
    let set: AddrSet = EMPTY_SET;
    if (sel.zone) set = this.zones[sel.zone].live;
    else if (sel.organisations) {
      for (const id of sel.organisations) {
        const o = this.orgById.get(id);
        if (!o) continue;
        // An organisation's addresses in every zone, without its govroam visitors (they belong to no one's policy).
        set = setUnion(set, setSubtract(setUnion(o.zones.overheid, o.zones.markt), o.visitor));
      }
    } else if (sel.services) {
      for (const n of sel.services) {
        const v = this.services.get(n);
        if (v) set = setUnion(set, v.set);
      }
    } else if (sel.prefixes) {
      set = safeSet(sel.prefixes);
    } else if (sel.segments) {
      const purposes = new Set<string>(sel.segments);
      const cidrs: string[] = [];
      for (const o of this.inv.organisations) {
        for (const g of o.segments) {
          if (!purposes.has(g.purpose)) continue;
          if (g.ipv6) cidrs.push(g.ipv6);
          if (g.ipv4) cidrs.push(g.ipv4);
        }
      }
      set = safeSet(cidrs);
    }
    this.cache.set(key, set);
    return set;
  }
}

/** Parses `ports:`; checks ranges and that only tcp/udp carry ports. */
export function parsePorts(
  proto: DeclProto,
  specs: ReadonlyArray<number | string> | undefined,
  loc: Loc,
  inv: Inventory,
  errs: Finding[],
  protoImplicit = false,
): PortSet | null {
  if (!specs || specs.length === 0) return null;
  const s = inv.sources;
  if (proto !== 'tcp' && proto !== 'udp') {
    const what = protoImplicit ? 'no proto (any)' : `proto ${proto}`;
    errs.push(s.error('POLICY_PROTO_PORTS', `ports need proto tcp or udp; this has ${what}, which has no ports`, loc, ['ports']));
    return null;
  }
  const pairs: Array<[number, number]> = [];
  specs.forEach((p, i) => {
    let lo: number;
    let hi: number;
    if (typeof p === 'number') {
      lo = p;
      hi = p;
    } else {
      const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(p);
      if (!m) {
        errs.push(s.error('POLICY_PORT_RANGE', `'${p}' is not a port or a range "from-to"`, loc, ['ports', i]));
        return;
      }
      lo = Number(m[1]);
      hi = m[2] === undefined ? lo : Number(m[2]);
    }
    if (lo > 65535 || hi > 65535) {
      errs.push(s.error('POLICY_PORT_RANGE', `port ${p} is above 65535`, loc, ['ports', i]));
      return;
    }
    if (lo > hi) {
      errs.push(s.error('POLICY_PORT_RANGE', `port range ${p} runs backwards (from > to)`, loc, ['ports', i]));
      return;
    }
    pairs.push([lo, hi]);
  });
  pairs.sort((a, b) => a[0] - b[0]);
  const out: PortSet = [];
  for (const [lo, hi] of pairs) {
    const n = out.length;
    if (n && lo <= out[n - 1] + 1) out[n - 1] = Math.max(out[n - 1], hi);
    else out.push(lo, hi);
  }
  return out;
}

/** A readable form of a selector, for messages and renderers. */
export function describeSelector(sel: SelectorDecl): string {
  if (sel.zone) return `zone ${sel.zone}`;
  if (sel.organisations) return `organisations ${sel.organisations.join(', ')}`;
  if (sel.services) return `services ${sel.services.join(', ')}`;
  if (sel.prefixes) return `prefixes ${sel.prefixes.join(', ')}`;
  if (sel.segments) return `segments ${sel.segments.join(', ')}`;
  return 'nothing';
}

export function formatPorts(ports: PortSet | null): string | null {
  if (!ports) return null;
  const parts: string[] = [];
  for (let i = 0; i < ports.length; i += 2) parts.push(ports[i] === ports[i + 1] ? `${ports[i]}` : `${ports[i]}-${ports[i + 1]}`);
  return parts.join(',');
}
