import type { Finding } from '../model/finding';
import type { SelectorDecl } from '../model/schema';
import type { NodePath, SourceIndex } from '../model/source';
import { type AddrSet, type Family, formatAddr, parseCidr, type Range, type RangeList, setIntersect, setIsEmpty, setSubtract, setUnion } from './addr';
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
}

/** Whether the two sides share a zone and family in which both have addresses. */
function meets(a: Record<ZoneName, AddrSet>, b: Record<ZoneName, AddrSet>, families: readonly Family[]): { zone: ZoneName; family: Family } | null {
  for (const z of ZONES) for (const f of families) if (pick(a[z], f).length && pick(b[z], f).length) return { zone: z, family: f };
  return null;
}

function firstAddr(s: AddrSet, f: Family): string | null {
  const l = pick(s, f);
  return l.length ? formatAddr(f, l[0].lo) : null;
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

interface Entry {
  /** e.g. "prefix 2a07:3500:1e8::/46" */
  label: string;
  set: AddrSet;
  path: NodePath;
}

/** The entries of a selector that name addresses one by one (prefixes, organisations, services). */
function entries(policy: PolicyModel, sel: SelectorDecl, side: 'from' | 'to', memo: Map<string, AddrSet>): Entry[] {
  const out: Entry[] = [];
  const get = (key: string, make: () => AddrSet) => {
    let s = memo.get(key);
    if (!s) memo.set(key, (s = make()));
    return s;
  };
  sel.prefixes?.forEach((p, i) => {
    const set = get(`p|${p}`, () => {
      try {
        const c = parseCidr(p);
        const r: Range[] = [{ lo: c.range.lo, hi: c.range.hi }];
        return c.family === 4 ? { v4: r, v6: [] } : { v4: [], v6: r };
      } catch {
        return { v4: [], v6: [] };
      }
    });
    out.push({ label: `prefix ${p}`, set, path: [side, 'prefixes', i] });
  });
  sel.organisations?.forEach((id, i) => {
    const o = policy.orgs.find((x) => x.id === id);
    if (!o) return;
    const set = get(`o|${id}`, () => setSubtract(setUnion(o.zones.overheid, o.zones.markt), o.visitor));
    out.push({ label: `organisation ${id}`, set, path: [side, 'organisations', i] });
  });
  sel.services?.forEach((name, i) => {
    const v = policy.services.find((x) => x.name === name);
    if (!v) return;
    out.push({ label: `service ${name}`, set: v.set, path: [side, 'services', i] });
  });
  return out;
}

function zonesText(c: Record<ZoneName, AddrSet>, fams: readonly Family[]): string {
  const zs = ZONES.filter((z) => fams.some((f) => pick(c[z], f).length));
  return zs.length ? zs.join(' and ') : 'no zone';
}

/** The reviewer's findings for a built policy (see the top of this file). */
export function reviewPolicy(policy: PolicyModel, sources: SourceIndex, opts: ReviewOptions = DEFAULT_REVIEW): Finding[] {
  const out: Finding[] = [];
  const cuts = new ZoneCuts(policy);
  let declared: AddrSet = { v4: [], v6: [] };
  for (const z of ZONES) declared = setUnion(declared, policy.zones[z].all);
  const memo = new Map<string, AddrSet>();
  const entryCuts = new Map<AddrSet, { cut: Record<ZoneName, AddrSet>; declared: boolean }>();
  const partiesMemo = new Map<AddrSet, Map<string, AddrSet>>();

  for (const r of policy.rules) {
    const fams = families(r);
    if (!fams.length) continue;
    const sc = cuts.of(r.src);
    const dc = cuts.of(r.dst);
    const hasSrc = fams.some((f) => pick(r.src, f).length);
    const hasDst = fams.some((f) => pick(r.dst, f).length);
    // Rules that match no packet even as written are POLICY_EMPTY already.
    const writtenFamily = fams.find((f) => pick(r.src, f).length && pick(r.dst, f).length);
    const meet = meets(sc, dc, fams);
    if (!meet && writtenFamily !== undefined) {
      const f = writtenFamily;
      const port = r.ports ? r.ports[0] : r.proto === 'tcp' || r.proto === 'udp' ? 0 : undefined;
      const ex = exampleText(r.proto === 'any' ? 'any' : r.proto, port, firstAddr(r.src, f)!, firstAddr(r.dst, f)!);
      out.push(
        sources.warning(
          'POLICY_NEVER_MATCHES',
          `rule ${r.id} can never match: its from reaches ${zonesText(sc, fams)} and its to ${zonesText(dc, fams)}, and the network carries no packet between them (e.g. ${ex}); the zones never exchange traffic`,
          r.loc,
          ['to'],
        ),
      );
      continue;
    }
    if (!meet) continue;
    // Dead entries: judged against the other side's zones.
    for (const [side, sel, other] of [['from', r.from, dc], ['to', r.to, sc]] as const) {
      for (const e of entries(policy, sel, side, memo)) {
        let ec = entryCuts.get(e.set);
        if (!ec) entryCuts.set(e.set, (ec = { cut: cuts.of(e.set), declared: !setIsEmpty(setIntersect(e.set, declared)) }));
        if (meets(ec.cut, other, fams)) continue;
        const f = fams.find((x) => pick(e.set, x).length) ?? fams[0];
        let why: string;
        if (!ec.declared) why = `covers no declared address (no organisation or service holds any of it), so it does nothing; is it mistyped?`;
        else if (ZONES.every((z) => setIsEmpty(ec!.cut[z]))) {
          why = `covers only addresses that reach no zone (e.g. ${firstAddr(setIntersect(e.set, declared), f) ?? '-'}: its connection point does not join the zone), so it does nothing`;
        } else {
          why = `covers only addresses in ${zonesText(ec.cut, FAMILIES)} (e.g. ${firstAddr(setIntersect(e.set, declared), f) ?? firstAddr(e.set, f)}), where the ${side === 'from' ? 'to' : 'from'} side (${zonesText(other, fams)}) never is, so it does nothing`;
        }
        out.push(sources.warning('POLICY_DEAD_SELECTOR', `rule ${r.id}: ${e.label} in ${side} ${why}`, r.loc, e.path));
      }
    }
    if (r.action !== 'allow') continue;
    // Over-broad: every port (or protocol) between whole zones, organisations or prefixes.
    const broadSide = (s: SelectorDecl) => !s.services;
    const n = r.proto === 'icmp' || r.proto === 'icmpv6' ? 0 : countPorts(r.ports);
    if (opts.broadPorts > 0 && n >= opts.broadPorts && broadSide(r.from) && broadSide(r.to)) {
      const what = r.proto === 'any' ? 'every protocol and port' : r.ports ? `${n} ${r.proto} ports` : `every ${r.proto} port`;
      const ex = exampleText(r.proto, r.proto === 'any' ? undefined : (r.ports?.[0] ?? 0), firstAddr(sc[meet.zone], meet.family)!, firstAddr(dc[meet.zone], meet.family)!);
      out.push(sources.warning('POLICY_OVERBROAD', `rule ${r.id} allows ${what} (at least ${opts.broadPorts} is over-broad) between ${describeSide(r.from)} and ${describeSide(r.to)}, e.g. ${ex}; name the ports the flow needs`, r.loc, r.ports ? ['ports'] : ['proto']));
    }
    // Risky services across an organisation boundary.
    for (const rs of opts.risky) {
      if (r.proto !== 'any' && r.proto !== rs.proto) continue;
      const port = r.proto === 'any' ? rs.ports[0] : overlapPort(r.ports, rs.ports);
      if (port === null) continue;
      const cross = crossing(policy, sc, dc, fams, partiesMemo);
      if (!cross) break;
      out.push(
        sources.warning(
          'POLICY_RISKY_SERVICE',
          `rule ${r.id} allows ${rs.name} (${rs.proto}/${port}) across an organisation boundary, e.g. ${exampleText(rs.proto, port, cross.src, cross.dst)} (${cross.from} to ${cross.to}); use an encrypted protocol or keep it inside the organisation`,
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
