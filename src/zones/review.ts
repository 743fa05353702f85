import type { Finding } from '../model/finding';
import type { SelectorDecl } from '../model/schema';
import type { SourceIndex } from '../model/source';
import { formatAddress } from '../net';
import { type AddrSet, type Family, parseCidr, type Range, type RangeList, setIntersect, setIsEmpty, setSubtract, setUnion } from './addr';
import { parsePortList } from './model';
import { protoMask } from './engine';
import { partyOf, endpointOf } from './scope';
import type { PolicyModel, PortSet, RuleModel, ZoneName } from './types';
import { ZONES } from './types';

/**
 * The reviewer's checks of `policy lint`: what a careful reviewer looks for beyond shadowing and guardrails. Each
 * finding is located at the rule or the selector entry it is about and gives an example packet where one exists.
 *
 * - POLICY_DEAD_SELECTOR: an entry of `from`/`to` (a prefix, organisation or service) covering no declared address,
 *   or only addresses outside the zones the other side reaches: it quietly does nothing (a mistyped /46).
 * - POLICY_NEVER_MATCHES: both sides resolve to addresses, but never to two in one zone and family (e.g. from markt
 *   to an overheid service): the network never carries a packet of the rule, whatever the guardrails say.
 * - POLICY_OVERBROAD: an allow rule opening at least `broadPorts` ports (or every protocol) between zones,
 *   organisations or prefixes rather than to a service.
 * - POLICY_RISKY_SERVICE: an allow rule letting a risky service (RDP, SMB, telnet, LDAP …) cross an organisation
 *   boundary.
 */

export interface RiskyService {
  name: string;
  proto: 'tcp' | 'udp';
  ports: PortSet;
}

export interface ReviewOptions {
  /** Rules expiring within this many days get POLICY_EXPIRING. */
  expiringWithinDays: number;
  /** An allow rule opening at least this many ports (per protocol) is over-broad; 0 turns the check off. */
  broadPorts: number;
  risky: readonly RiskyService[];
}

/** Sane defaults (docs/inventory.md, `policy.lint` in ggi.yaml). */
export const DEFAULT_RISKY: readonly RiskyService[] = [
  { name: 'FTP', proto: 'tcp', ports: [21, 21] },
  { name: 'telnet', proto: 'tcp', ports: [23, 23] },
  { name: 'NetBIOS', proto: 'udp', ports: [137, 138] },
  { name: 'NetBIOS/SMB', proto: 'tcp', ports: [139, 139] },
  { name: 'unencrypted LDAP', proto: 'tcp', ports: [389, 389] },
  { name: 'unencrypted LDAP', proto: 'udp', ports: [389, 389] },
  { name: 'SMB', proto: 'tcp', ports: [445, 445] },
  { name: 'RDP', proto: 'tcp', ports: [3389, 3389] },
  { name: 'RDP', proto: 'udp', ports: [3389, 3389] },
  { name: 'VNC', proto: 'tcp', ports: [5900, 5900] },
];

export const DEFAULT_REVIEW: ReviewOptions = { expiringWithinDays: 30, broadPorts: 1024, risky: DEFAULT_RISKY };

/** The settings of ggi.yaml `policy.lint` (already checked by the schema) as review options, defaults filled in. */
export function reviewOptions(s: { expiringWithinDays?: number; broadPorts?: number; riskyServices?: ReadonlyArray<{ name: string; proto: 'tcp' | 'udp'; ports: ReadonlyArray<number | string> }> } | undefined): ReviewOptions {
  return {
    expiringWithinDays: s?.expiringWithinDays ?? DEFAULT_REVIEW.expiringWithinDays,
    broadPorts: s?.broadPorts ?? DEFAULT_REVIEW.broadPorts,
    risky: s?.riskyServices ? s.riskyServices.map((x) => ({ name: x.name, proto: x.proto, ports: parsePortList(x.ports) })) : DEFAULT_RISKY,
  };
}

function pick(s: { v4: RangeList; v6: RangeList }, f: Family): RangeList {
  return f === 4 ? s.v4 : s.v6;
}

const FAMILIES: readonly Family[] = [4, 6];

/** Per zone, the part of a set whose addresses really reach it. Cached per set object (rules share them). */
class ZoneCuts {
  private readonly cache = new Map<AddrSet, Record<ZoneName, AddrSet>>();
  private readonly masks = new Map<AddrSet, number>();
  constructor(private readonly policy: PolicyModel) {}
  of(s: AddrSet): Record<ZoneName, AddrSet> {
    let c = this.cache.get(s);
    if (!c) {
      c = {} as Record<ZoneName, AddrSet>;
      for (const z of ZONES) c[z] = setIntersect(s, this.policy.zones[z].live);
      this.cache.set(s, c);
    }
    return c;
  }
  /** Bit (zone index * 2 + family index) set where the set has addresses that reach the zone: no set is built. */
  mask(s: AddrSet): number {
    let m = this.masks.get(s);
    if (m === undefined) {
      m = 0;
      for (let zi = 0; zi < ZONES.length; zi++) {
        const live = this.policy.zones[ZONES[zi]].live;
        if (overlaps(s.v4, live.v4)) m |= 1 << (zi * 2);
        if (overlaps(s.v6, live.v6)) m |= 1 << (zi * 2 + 1);
      }
      this.masks.set(s, m);
    }
    return m;
  }
}

/** Whether two sorted, disjoint range lists share an address: each range of the shorter is looked up in the longer. */
function overlaps(a: RangeList, b: RangeList): boolean {
  if (!a.length || !b.length) return false;
  if (a.length > b.length) [a, b] = [b, a];
  for (const r of a) {
    // The first range of b ending at or after r.lo.
    let lo = 0;
    let hi = b.length;
    while (lo < hi) {
      const m = (lo + hi) >> 1;
      if (b[m].hi < r.lo) lo = m + 1;
      else hi = m;
    }
    if (lo < b.length && b[lo].lo <= r.hi) return true;
  }
  return false;
}

/** The mask bits of the families a rule's protocol has (ICMP is one family). */
function familyBits(fams: readonly Family[]): number {
  let m = 0;
  for (const f of fams) m |= f === 4 ? 0b0101 : 0b1010;
  return m;
}

/** The first zone and family in a mask. */
function firstMeet(mask: number): { zone: ZoneName; family: Family } {
  for (let b = 0; b < 4; b++) if (mask & (1 << b)) return { zone: ZONES[b >> 1], family: b & 1 ? 6 : 4 };
  throw new Error('internal: empty mask');
}

function firstAddr(s: AddrSet, f: Family): string | null {
  const l = pick(s, f);
  return l.length ? formatAddress(f, l[0].lo) : null;
}

function countPorts(p: PortSet | null): number {
  if (!p) return 65536;
  let n = 0;
  for (let i = 0; i < p.length; i += 2) n += p[i + 1] - p[i] + 1;
  return n;
}

function overlapPort(a: PortSet | null, b: PortSet): number | null {
  const x = a ?? [0, 65535];
  for (let i = 0; i < x.length; i += 2) {
    for (let j = 0; j < b.length; j += 2) {
      const lo = Math.max(x[i], b[j]);
      if (lo <= Math.min(x[i + 1], b[j + 1])) return lo;
    }
  }
  return null;
}

function families(r: RuleModel): Family[] {
  return FAMILIES.filter((f) => protoMask(r.proto, f) !== 0);
}

function exampleText(proto: string, port: number | undefined, src: string, dst: string): string {
  return `${proto}${port !== undefined ? `/${port}` : ''} from ${src} to ${dst}`;
}

/** The entries of a selector that name addresses one by one (prefixes, organisations, services), as sets. */
class EntrySets {
  private readonly prefixes = new Map<string, AddrSet>();
  private readonly orgs = new Map<string, AddrSet | null>();
  private readonly services = new Map<string, AddrSet | null>();
  constructor(private readonly policy: PolicyModel) {
    for (const v of policy.services) if (!this.services.has(v.name)) this.services.set(v.name, v.set);
  }
  prefix(p: string): AddrSet {
    let s = this.prefixes.get(p);
    if (!s) {
      try {
        const c = parseCidr(p);
        const r: Range[] = [{ lo: c.range.lo, hi: c.range.hi }];
        s = c.family === 4 ? { v4: r, v6: [] } : { v4: [], v6: r };
      } catch {
        s = { v4: [], v6: [] };
      }
      this.prefixes.set(p, s);
    }
    return s;
  }
  org(id: string): AddrSet | null {
    let s = this.orgs.get(id);
    if (s === undefined) {
      const o = this.policy.orgs.find((x) => x.id === id);
      s = o ? setSubtract(setUnion(o.zones.overheid, o.zones.markt), o.visitor) : null;
      this.orgs.set(id, s);
    }
    return s;
  }
  service(name: string): AddrSet | null {
    return this.services.get(name) ?? null;
  }
}

/** Calls `visit` for each entry of a selector that names addresses; the label and path are made only when asked for. */
function forEachEntry(sets: EntrySets, sel: SelectorDecl, visit: (set: AddrSet, field: 'prefixes' | 'organisations' | 'services', i: number) => void): void {
  const { prefixes, organisations, services } = sel;
  if (prefixes) for (let i = 0; i < prefixes.length; i++) visit(sets.prefix(prefixes[i]), 'prefixes', i);
  if (organisations) {
    for (let i = 0; i < organisations.length; i++) {
      const s = sets.org(organisations[i]);
      if (s) visit(s, 'organisations', i);
    }
  }
  if (services) {
    for (let i = 0; i < services.length; i++) {
      const s = sets.service(services[i]);
      if (s) visit(s, 'services', i);
    }
  }
}

function hasEntries(sel: SelectorDecl): boolean {
  return Boolean(sel.prefixes || sel.organisations || sel.services);
}

const ENTRY_NAME = { prefixes: 'prefix', organisations: 'organisation', services: 'service' } as const;

function zonesText(mask: number): string {
  const zs = ZONES.filter((_, zi) => mask & (0b11 << (zi * 2)));
  return zs.length ? zs.join(' and ') : 'no zone';
}

/** The reviewer's findings for a built policy (see the top of this file). */
export function reviewPolicy(policy: PolicyModel, sources: SourceIndex, opts: ReviewOptions = DEFAULT_REVIEW): Finding[] {
  const out: Finding[] = [];
  const cuts = new ZoneCuts(policy);
  let declared: AddrSet = { v4: [], v6: [] };
  for (const z of ZONES) declared = setUnion(declared, policy.zones[z].all);
  const sets = new EntrySets(policy);
  const partiesMemo = new Map<AddrSet, Map<string, AddrSet>>();

  for (const r of policy.rules) {
    const fams = families(r);
    if (!fams.length) continue;
    const fbits = familyBits(fams);
    const sm = cuts.mask(r.src);
    const dm = cuts.mask(r.dst);
    const meet = sm & dm & fbits;
    // A side that reaches no zone at all: its entries are dead (the mistyped prefix), reported where they are written.
    const deadSides = (['from', 'to'] as const).filter((side) => !((side === 'from' ? sm : dm) & fbits) && hasEntries(side === 'from' ? r.from : r.to));
    if (!meet && deadSides.length) {
      for (const side of deadSides) reportDead(side, 0);
      continue;
    }
    if (!meet) {
      // Rules that match no packet even as written are POLICY_EMPTY already.
      const f = fams.find((x) => pick(r.src, x).length && pick(r.dst, x).length);
      if (f === undefined) continue;
      const port = r.ports ? r.ports[0] : r.proto === 'tcp' || r.proto === 'udp' ? 0 : undefined;
      const ex = exampleText(r.proto, port, firstAddr(r.src, f)!, firstAddr(r.dst, f)!);
      out.push(
        sources.warning(
          'POLICY_NEVER_MATCHES',
          `rule ${r.id} can never match: its from reaches ${zonesText(sm & fbits)} and its to ${zonesText(dm & fbits)}, and the network carries no packet between them (e.g. ${ex}); the zones never exchange traffic`,
          r.loc,
          ['to'],
        ),
      );
      continue;
    }
    // Dead entries: judged against the zones the other side reaches.
    for (const side of ['from', 'to'] as const) reportDead(side, (side === 'from' ? dm : sm) & fbits);
    function reportDead(side: 'from' | 'to', other: number): void {
      forEachEntry(sets, side === 'from' ? r.from : r.to, (set, field, i) => {
        const em = cuts.mask(set);
        if (em & other) return;
        const label = `${ENTRY_NAME[field]} ${(r[side] as Record<string, string[]>)[field][i]}`;
        const mine = setIntersect(set, declared);
        const f = fams.find((x) => pick(mine, x).length) ?? fams.find((x) => pick(set, x).length) ?? fams[0];
        let why: string;
        if (setIsEmpty(mine)) why = 'covers no declared address (no organisation or service holds any of it), so it does nothing; is it mistyped?';
        else if (!em) why = `covers only addresses that reach no zone (e.g. ${firstAddr(mine, f) ?? firstAddr(mine, f === 4 ? 6 : 4)}: the connection point does not join its zone), so it does nothing`;
        else why = `covers only addresses in ${zonesText(em)} (e.g. ${firstAddr(mine, f) ?? firstAddr(mine, f === 4 ? 6 : 4)}), where the ${side === 'from' ? 'to' : 'from'} side (${zonesText(other)}) never is, so it does nothing`;
        out.push(sources.warning('POLICY_DEAD_SELECTOR', `rule ${r.id}: ${label} in ${side} ${why}`, r.loc, [side, field, i]));
      });
    }
    if (r.action !== 'allow') continue;
    const at = firstMeet(meet);
    // Over-broad: every port (or protocol) between whole zones, organisations or prefixes.
    const broadSide = (sel: SelectorDecl) => !sel.services;
    const n = r.proto === 'icmp' || r.proto === 'icmpv6' ? 0 : countPorts(r.ports);
    let broad = false;
    if (opts.broadPorts > 0 && n >= opts.broadPorts && broadSide(r.from) && broadSide(r.to)) {
      const what = r.proto === 'any' ? 'every protocol and port' : r.ports ? `${n} ${r.proto} ports` : `every ${r.proto} port`;
      const sc = cuts.of(r.src)[at.zone];
      const dc = cuts.of(r.dst)[at.zone];
      const ex = exampleText(r.proto, r.proto === 'any' ? undefined : (r.ports?.[0] ?? 0), firstAddr(sc, at.family)!, firstAddr(dc, at.family)!);
      broad = true;
      out.push(sources.warning('POLICY_OVERBROAD', `rule ${r.id} allows ${what} (${opts.broadPorts} or more is over-broad) between ${describeSide(r.from)} and ${describeSide(r.to)}, e.g. ${ex}; name the ports the flow needs`, r.loc, r.ports ? ['ports'] : ['proto']));
    }
    // Risky services across an organisation boundary (an over-broad rule opens them too, and says so once).
    for (const rs of broad ? [] : opts.risky) {
      if (r.proto !== 'any' && r.proto !== rs.proto) continue;
      const port = r.proto === 'any' ? rs.ports[0] : overlapPort(r.ports, rs.ports);
      if (port === null) continue;
      const cross = crossing(policy, cuts.of(r.src), cuts.of(r.dst), fams, partiesMemo);
      if (!cross) break;
      out.push(
        sources.warning(
          'POLICY_RISKY_SERVICE',
          `rule ${r.id} allows ${rs.name} (${rs.proto}/${port}) across an organisation boundary, e.g. ${exampleText(rs.proto, port, cross.src, cross.dst)} (${cross.from} to ${cross.to}); use an encrypted protocol or keep it inside one organisation`,
          r.loc,
          r.ports ? ['ports'] : ['proto'],
        ),
      );
      break;
    }
  }
  return out;
}

function describeSide(s: SelectorDecl): string {
  if (s.zone) return `zone ${s.zone}`;
  if (s.organisations) return s.organisations.length <= 3 ? s.organisations.join(', ') : `${s.organisations.length} organisations`;
  if (s.prefixes) return s.prefixes.length <= 2 ? s.prefixes.join(', ') : `${s.prefixes.length} prefixes`;
  if (s.segments) return `segments ${s.segments.join(', ')}`;
  return 'services';
}

/** The parties (scope.ts) holding addresses of a set, each with its part; cached per set. */
function partiesOf(policy: PolicyModel, s: AddrSet, memo: Map<AddrSet, Map<string, AddrSet>>): Map<string, AddrSet> {
  let m = memo.get(s);
  if (m) return m;
  m = new Map();
  const add = (p: string, part: AddrSet) => {
    if (setIsEmpty(part)) return;
    const had = m!.get(p);
    m!.set(p, had ? setUnion(had, part) : part);
  };
  for (const v of policy.services) add(v.provider, setIntersect(s, v.set));
  for (const o of policy.orgs) {
    for (const z of ZONES) add(o.id, setIntersect(s, o.zones[z]));
  }
  memo.set(s, m);
  return m;
}

/** A packet of the rule's zone cuts between two different parties, if there is one. */
function crossing(
  policy: PolicyModel,
  sc: Record<ZoneName, AddrSet>,
  dc: Record<ZoneName, AddrSet>,
  fams: readonly Family[],
  memo: Map<AddrSet, Map<string, AddrSet>>,
): { src: string; dst: string; from: string; to: string } | null {
  for (const z of ZONES) {
    const ps = partiesOf(policy, sc[z], memo);
    const pd = partiesOf(policy, dc[z], memo);
    for (const [a, sa] of ps) {
      for (const [b, sb] of pd) {
        if (a === b) continue;
        for (const f of fams) {
          const s = firstAddr(sa, f);
          const d = firstAddr(sb, f);
          if (!s || !d) continue;
          // The example must be GGI traffic: its ends are the parties flowScope sees (services before organisations).
          const es = partyOf(endpointOf(policy, f, pick(sa, f)[0].lo));
          const ed = partyOf(endpointOf(policy, f, pick(sb, f)[0].lo));
          if (es === ed || (endpointOf(policy, f, pick(sa, f)[0].lo).kind === 'service' && endpointOf(policy, f, pick(sb, f)[0].lo).kind === 'service')) continue;
          return { src: s, dst: d, from: es === 'kps' ? 'the KPS' : String(es), to: ed === 'kps' ? 'the KPS' : String(ed) };
        }
      }
    }
  }
  return null;
}
