import type { Finding } from '../model/finding';
import { connectingOrganisation, indexInventory, type Inventory } from '../model/inventory';
import type { SelectorDecl } from '../model/schema';
import type { Loc, NodePath } from '../model/source';
import { type AddrSet, EMPTY_SET, type Family, normalize, parseCidr, type Range, setSubtract, setUnion } from './addr';
import { orgZoneSet } from './addresses';
import { type DeclProto, type GuardrailModel, type OrgModel, type PolicyModel, type PortSet, type RuleModel, type ServiceModel, type ZoneModel, type ZoneName, ZONES } from './types';

/**
 * Resolves the inventory's policy into exact address sets (see DESIGN.md, src/zones). Errors in a rule (unknown
 * reference, bad ports) become located findings and the rule is left out of the model: the command exits 1 anyway.
 */
export function buildPolicy(inv: Inventory): { policy: PolicyModel; findings: Finding[] } {
  const findings: Finding[] = [];
  const parse = cidrParser();
  const idx = indexInventory(inv);
  const orgs: OrgModel[] = [];
  const orgById = new Map<string, OrgModel>();
  for (const o of inv.organisations) {
    if (orgById.has(o.id)) continue;
    const via = connectingOrganisation(idx, o);
    const joins = (via?.connectionPoint?.zones ?? []).filter((z, i, a) => a.indexOf(z) === i);
    const zones = {} as Record<ZoneName, AddrSet>;
    for (const z of ZONES) zones[z] = orgZoneSet(inv, o, z);
    const visitor = safeSet(parse, o.segments.filter((g) => g.purpose === 'govroam-visitor').flatMap((g) => [g.ipv6, g.ipv4].filter((x): x is string => Boolean(x))));
    const m: OrgModel = { id: o.id, via: via ? via.id : null, joins, zones, visitor };
    orgs.push(m);
    orgById.set(o.id, m);
  }

  const services: ServiceModel[] = [];
  const serviceByName = new Map<string, ServiceModel>();
  for (const v of inv.services) {
    if (serviceByName.has(v.name)) continue;
    const m: ServiceModel = { name: v.name, zone: v.zone, provider: v.provider, set: safeSet(parse, v.prefixes) };
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

  const resolver = new SelectorResolver(inv, orgById, serviceByName, zones, parse);

  const rules: RuleModel[] = [];
  for (const r of [...inv.rules].sort((a, b) => a.order - b.order)) {
    const errs: Finding[] = [];
    const src = resolver.resolve(r.from, r.loc, ['from'], errs);
    const dst = resolver.resolve(r.to, r.loc, ['to'], errs);
    const ports = parsePorts(r.proto, r.ports, r.loc, inv, errs);
    if (errs.length) {
      findings.push(...errs);
      if (errs.some((f) => f.severity === 'error')) continue;
    }
    // Built in two steps rather than with a conditional spread (slow before the code is optimised), same key order.
    const rule: Omit<RuleModel, 'expires' | 'loc'> & { expires?: string; loc?: Loc } = {
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
    };
    if (r.expires) rule.expires = r.expires;
    rule.loc = r.loc;
    rules.push(rule as RuleModel);
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

type CidrParser = (cidr: string) => { family: Family; lo: bigint; hi: bigint } | null;

/** `parseCidr` memoised for one build (a national policy names a few hundred prefixes ~20,000 times); null: unparsable. */
function cidrParser(): CidrParser {
  const memo = new Map<string, { family: Family; lo: bigint; hi: bigint } | null>();
  return (c) => {
    let p = memo.get(c);
    if (p === undefined) {
      try {
        const { family, range } = parseCidr(c);
        p = { family, lo: range.lo, hi: range.hi };
      } catch {
        p = null;
      }
      memo.set(c, p);
    }
    return p;
  };
}

function safeSet(parse: CidrParser, cidrs: readonly string[]): AddrSet {
  // The schema already rejected malformed prefixes; anything unparsable here is simply not an address.
  const v4: Range[] = [];
  const v6: Range[] = [];
  for (const c of cidrs) {
    const p = parse(c);
    if (p) (p.family === 4 ? v4 : v6).push({ lo: p.lo, hi: p.hi });
  }
  return { v4: normalize(v4), v6: normalize(v6) };
}

/** A node of the selector cache: one step of a selector's kind and names. */
interface CacheNode {
  next: Map<string, CacheNode> | undefined;
  set: AddrSet | undefined;
  /** Whether the node's name (the last of its path) names something that exists. */
  known: boolean;
}

/** Resolves selectors, sharing one set object per distinct selector so the engine can de-duplicate work. */
class SelectorResolver {
  // By the field that decides the set, then a name at a time: exact, and no key string built per lookup (40,000
  // selectors in a national policy).
  private readonly byOrganisations = cacheNode();
  private readonly byServices = cacheNode();
  private readonly byPrefixes = cacheNode();
  private readonly bySegments = cacheNode();
  /** An organisation's own addresses: every zone, without its govroam visitors (they belong to no one's policy). */
  private readonly own = new Map<OrgModel, AddrSet>();
  constructor(
    private readonly inv: Inventory,
    private readonly orgById: Map<string, OrgModel>,
    private readonly services: Map<string, ServiceModel>,
    private readonly zones: Record<ZoneName, ZoneModel>,
    private readonly parse: CidrParser,
  ) {}

  resolve(sel: SelectorDecl, loc: Loc, sub: NodePath, errs: Finding[]): AddrSet {
    // Walking a name list's path in its cache also checks the names: whether a name is known is looked up once, when
    // its node is made, instead of once per selector (string-keyed lookups are what resolving costs).
    const orgs = sel.organisations;
    const byOrgs = orgs && this.walk(this.byOrganisations, orgs, this.orgById, 'organisation', 'organisations', loc, sub, errs);
    const services = sel.services;
    const byServices = services && this.walk(this.byServices, services, this.services, 'service', 'services', loc, sub, errs);
    if (sel.zone) return this.zones[sel.zone].live;
    // The set depends only on the first of these fields that is given (see `compute`).
    let node: CacheNode;
    if (byOrgs) node = byOrgs;
    else if (byServices) node = byServices;
    else if (sel.prefixes) node = this.walk(this.byPrefixes, sel.prefixes);
    else if (sel.segments) node = this.walk(this.bySegments, sel.segments);
    else return EMPTY_SET;
    node.set ??= this.compute(sel);
    return node.set;
  }

  /**
   * The cache node of a name list. With `known`, every name not in it is an error (`what` and `field` say where).
   */
  private walk(node: CacheNode, names: readonly string[], known?: ReadonlyMap<string, unknown>, what?: string, field?: string, loc?: Loc, sub?: NodePath, errs?: Finding[]): CacheNode {
    for (let i = 0; i < names.length; i++) {
      node = step(node, names[i], known);
      if (!node.known) errs!.push(this.inv.sources.error('POLICY_UNKNOWN_REFERENCE', `unknown ${what} '${names[i]}' in the selector`, loc!, [...sub!, field!, i]));
    }
    return node;
  }

  private compute(sel: SelectorDecl): AddrSet {
    let set: AddrSet = EMPTY_SET;
    if (sel.organisations) {
      for (const id of sel.organisations) {
        const o = this.orgById.get(id);
        if (!o) continue;
        let own = this.own.get(o);
        if (!own) this.own.set(o, (own = setSubtract(setUnion(o.zones.overheid, o.zones.markt), o.visitor)));
        set = setUnion(set, own);
      }
    } else if (sel.services) {
      for (const n of sel.services) {
        const v = this.services.get(n);
        if (v) set = setUnion(set, v.set);
      }
    } else if (sel.prefixes) {
      set = safeSet(this.parse, sel.prefixes);
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
      set = safeSet(this.parse, cidrs);
    }
    return set;
  }
}

function cacheNode(known = true): CacheNode {
  return { next: undefined, set: undefined, known };
}

/** The child of a node for one more name; a new child is `known` when `known` (if given) has the name. */
function step(node: CacheNode, key: string, known?: ReadonlyMap<string, unknown>): CacheNode {
  node.next ??= new Map();
  let n = node.next.get(key);
  if (!n) node.next.set(key, (n = cacheNode(known ? known.has(key) : true)));
  return n;
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
  const flat: number[] = [];
  for (let i = 0; i < specs.length; i++) {
    const p = specs[i];
    let lo: number;
    let hi: number;
    if (typeof p === 'number') {
      lo = p;
      hi = p;
    } else {
      const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(p);
      if (!m) {
        errs.push(s.error('POLICY_PORT_RANGE', `'${p}' is not a port or a range "from-to"`, loc, ['ports', i]));
        continue;
      }
      lo = Number(m[1]);
      hi = m[2] === undefined ? lo : Number(m[2]);
    }
    if (lo > 65535 || hi > 65535) {
      errs.push(s.error('POLICY_PORT_RANGE', `port ${p} is above 65535`, loc, ['ports', i]));
      continue;
    }
    if (lo > hi) {
      errs.push(s.error('POLICY_PORT_RANGE', `port range ${p} runs backwards (from > to)`, loc, ['ports', i]));
      continue;
    }
    flat.push(lo, hi);
  }
  return mergePorts(flat);
}

/** Valid port specs (numbers and "from-to", as the schema checked them) as a PortSet; malformed entries are skipped. */
export function parsePortList(specs: ReadonlyArray<number | string>): PortSet {
  const flat: number[] = [];
  for (const p of specs) {
    const m = typeof p === 'number' ? [String(p), String(p), undefined] : /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(p);
    if (!m) continue;
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (lo <= hi && hi <= 65535) flat.push(lo, hi);
  }
  return mergePorts(flat);
}

/** Sorts and merges flat [lo, hi] pairs into a PortSet (closed intervals: touching ones join). */
function mergePorts(flat: number[]): PortSet {
  let sorted = true;
  for (let i = 2; sorted && i < flat.length; i += 2) sorted = flat[i - 2] <= flat[i];
  if (!sorted) {
    const pairs: Array<[number, number]> = [];
    for (let i = 0; i < flat.length; i += 2) pairs.push([flat[i], flat[i + 1]]);
    pairs.sort((a, b) => a[0] - b[0]);
    flat = pairs.flat();
  }
  const out: PortSet = [];
  for (let i = 0; i < flat.length; i += 2) {
    const lo = flat[i];
    const hi = flat[i + 1];
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
