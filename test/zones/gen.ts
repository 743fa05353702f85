import fc from 'fast-check';
import { type AddrSet, EMPTY_SET, setFromCidrs, setSubtract, setUnion } from '../../src/zones/addr';
import type { DeclProto, OrgModel, PolicyModel, RuleModel, ServiceModel, ZoneName } from '../../src/zones/types';

/**
 * Random small policies over a small universe (192.0.2.0/24 and 2001:db8::/120), for property tests against a
 * brute-force evaluator.
 */
const ORG_DEFS = [
  { id: 'GM0001', overheid: ['192.0.2.0/27', '2001:db8::/124'], markt: ['192.0.2.32/28', '2001:db8::10/124'], visitor: ['192.0.2.24/29'] },
  { id: 'GM0002', overheid: ['192.0.2.48/28'], markt: ['192.0.2.64/27', '2001:db8::20/123'], visitor: [] },
  { id: 'LV0001', overheid: [], markt: ['192.0.2.96/28', '2001:db8::40/124'], visitor: [] },
];
const SERVICE_DEFS: Array<{ name: string; zone: ZoneName; provider: string; cidrs: string[] }> = [
  { name: 'brp', zone: 'overheid', provider: 'kps', cidrs: ['192.0.2.128/28', '2001:db8::80/124'] },
  // Offered by LV0001: its own LAN to it is not GGI traffic.
  { name: 'saas', zone: 'markt', provider: 'LV0001', cidrs: ['192.0.2.144/29', '2001:db8::90/124'] },
];
const PREFIX_POOL = ['192.0.2.0/24', '192.0.2.0/26', '192.0.2.16/28', '192.0.2.40/29', '192.0.2.128/25', '192.0.2.136/29', '192.0.2.200/29', '2001:db8::/120', '2001:db8::8/125', '2001:db8::84/126', '0.0.0.0/0', '::/0'];
export const SELECTORS = ['zone:overheid', 'zone:markt', 'org:GM0001', 'org:GM0002', 'org:LV0001', 'svc:brp', 'svc:saas', ...PREFIX_POOL.map((p) => `pfx:${p}`)];
export const PORT_POINTS = [0, 1, 22, 53, 79, 80, 81, 443, 1024, 8080, 65535];

export interface RuleSpec {
  src: number;
  dst: number;
  proto: DeclProto;
  ports: Array<[number, number]> | null;
  allow: boolean;
}
export interface PolicySpec {
  joins: boolean[][]; // per org: [overheid, markt]
  rules: RuleSpec[];
}

const portRange = fc.tuple(fc.constantFrom(...PORT_POINTS), fc.constantFrom(...PORT_POINTS)).map(([a, b]) => (a <= b ? [a, b] : [b, a]) as [number, number]);
export const ruleSpec: fc.Arbitrary<RuleSpec> = fc
  .record({
    src: fc.nat(SELECTORS.length - 1),
    dst: fc.nat(SELECTORS.length - 1),
    proto: fc.constantFrom<DeclProto>('tcp', 'udp', 'icmp', 'icmpv6', 'any'),
    ports: fc.option(fc.array(portRange, { minLength: 1, maxLength: 2 }), { nil: null }),
    allow: fc.boolean(),
  })
  .map((r) => ({ ...r, ports: r.proto === 'tcp' || r.proto === 'udp' ? r.ports : null }));

export const policySpec: fc.Arbitrary<PolicySpec> = fc.record({
  joins: fc.array(fc.tuple(fc.boolean(), fc.boolean()).map((t) => [t[0], t[1]]), { minLength: ORG_DEFS.length, maxLength: ORG_DEFS.length }),
  rules: fc.array(ruleSpec, { maxLength: 8 }),
});

/** A head version: some rules changed, inserted, removed or moved, maybe a connection point's zones. */
export const specPair: fc.Arbitrary<[PolicySpec, PolicySpec]> = policySpec.chain((base) =>
  fc
    .record({
      ops: fc.array(
        fc.oneof(
          fc.record({ k: fc.constant('ins' as const), at: fc.nat(), r: ruleSpec }),
          fc.record({ k: fc.constant('del' as const), at: fc.nat() }),
          fc.record({ k: fc.constant('mod' as const), at: fc.nat(), r: ruleSpec }),
          fc.record({ k: fc.constant('swap' as const), at: fc.nat() }),
          fc.record({ k: fc.constant('join' as const), at: fc.nat(), z: fc.nat(1) }),
        ),
        { maxLength: 3 },
      ),
    })
    .map(({ ops }) => {
      const rules = base.rules.slice();
      const joins = base.joins.map((j) => j.slice());
      for (const op of ops) {
        const n = rules.length;
        if (op.k === 'ins') rules.splice(op.at % (n + 1), 0, op.r);
        else if (op.k === 'del' && n) rules.splice(op.at % n, 1);
        else if (op.k === 'mod' && n) rules[op.at % n] = op.r;
        else if (op.k === 'swap' && n > 1) {
          const i = op.at % (n - 1);
          [rules[i], rules[i + 1]] = [rules[i + 1], rules[i]];
        } else if (op.k === 'join') joins[op.at % joins.length][op.z] = !joins[op.at % joins.length][op.z];
      }
      return [base, { joins, rules }] as [PolicySpec, PolicySpec];
    }),
);

/** Rule ids are stable per spec object identity, so a kept rule keeps its id across versions. */
export function buildModel(spec: PolicySpec, ids?: Map<RuleSpec, string>): PolicyModel {
  const zonesList: ZoneName[] = ['overheid', 'markt'];
  const orgs: OrgModel[] = ORG_DEFS.map((d, i) => ({
    id: d.id,
    via: d.id,
    joins: zonesList.filter((_, zi) => spec.joins[i][zi]),
    zones: { overheid: setFromCidrs(d.overheid), markt: setFromCidrs(d.markt) },
    visitor: setFromCidrs(d.visitor),
  }));
  const services: ServiceModel[] = SERVICE_DEFS.map((s) => ({ name: s.name, zone: s.zone, provider: s.provider, set: setFromCidrs(s.cidrs) }));
  const zones = {} as Record<ZoneName, { name: ZoneName; all: AddrSet; live: AddrSet }>;
  for (const z of zonesList) {
    let all: AddrSet = EMPTY_SET;
    let live: AddrSet = EMPTY_SET;
    for (const o of orgs) {
      all = setUnion(all, o.zones[z]);
      if (o.joins.includes(z)) live = setUnion(live, o.zones[z]);
    }
    for (const s of services) if (s.zone === z) {
      all = setUnion(all, s.set);
      live = setUnion(live, s.set);
    }
    zones[z] = { name: z, all, live };
  }
  const sel = (i: number): AddrSet => {
    const [kind, v] = SELECTORS[i].split(/:(.*)/s);
    if (kind === 'zone') return zones[v as ZoneName].live;
    if (kind === 'org') {
      const o = orgs.find((x) => x.id === v)!;
      return setSubtract(setUnion(o.zones.overheid, o.zones.markt), o.visitor);
    }
    if (kind === 'svc') return services.find((x) => x.name === v)!.set;
    return setFromCidrs([v]);
  };
  const rules: RuleModel[] = spec.rules.map((r, k) => {
    let ports: number[] | null = null;
    if (r.ports) {
      const s = r.ports.slice().sort((a, b) => a[0] - b[0]);
      ports = [];
      for (const [lo, hi] of s) {
        const n = ports.length;
        if (n && lo <= ports[n - 1] + 1) ports[n - 1] = Math.max(ports[n - 1], hi);
        else ports.push(lo, hi);
      }
    }
    const id = ids?.get(r) ?? `r${k}`;
    return {
      id,
      order: k,
      action: r.allow ? 'allow' : 'deny',
      proto: r.proto,
      ports,
      src: sel(r.src),
      dst: sel(r.dst),
      from: { prefixes: ['192.0.2.0/24'] },
      to: { prefixes: ['192.0.2.0/24'] },
      owner: 'test',
      reason: 'test',
      loc: { file: 'policy/x.yaml', path: ['rules', k] },
    };
  });
  return { rules, guardrails: [], zones, orgs, services };
}

/** Assigns ids so that the same RuleSpec object keeps its id in both versions. */
export function idsFor(a: PolicySpec, b: PolicySpec): Map<RuleSpec, string> {
  const m = new Map<RuleSpec, string>();
  let n = 0;
  for (const r of [...a.rules, ...b.rules]) if (!m.has(r)) m.set(r, `r${n++}`);
  return m;
}

/** Packets to brute-force over: every interesting address and port. */
export function samplePackets(): Array<{ src: string; dst: string; proto: 'tcp' | 'udp' | 'icmp' | 'icmpv6' | 'any'; dport?: number }> {
  const v4 = [0, 16, 24, 31, 40, 48, 64, 96, 128, 136, 143, 151, 160, 255].map((x) => `192.0.2.${x}`);
  const v6 = [0, 8, 16, 32, 64, 0x80, 0x84, 0x90, 0xa0, 0xff].map((x) => `2001:db8::${x.toString(16)}`);
  const out: ReturnType<typeof samplePackets> = [];
  for (const fam of [v4, v6]) {
    for (const s of fam) for (const d of fam) {
      for (const port of [0, 22, 80, 81, 443, 8080, 65535]) {
        out.push({ src: s, dst: d, proto: 'tcp', dport: port });
        if (port % 2) out.push({ src: s, dst: d, proto: 'udp', dport: port });
      }
      out.push({ src: s, dst: d, proto: 'udp', dport: 53 });
      out.push({ src: s, dst: d, proto: fam === v4 ? 'icmp' : 'icmpv6' });
      out.push({ src: s, dst: d, proto: 'any' });
    }
  }
  return out;
}
