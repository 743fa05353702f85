import fc from 'fast-check';
import { analyseRules, parsePacket, query, rulesVerdict } from '../../src/zones';
import type { PolicyModel } from '../../src/zones';
import { buildModel, policySpec, ruleSpec, samplePackets, SELECTORS, type PolicySpec } from './gen';

/** A deliberately naive evaluator: CIDR strings, string protocols, no shared code with the engine. */
function v4(a: string): number[] {
  return a.split('.').map(Number);
}
const bitsCache = new Map<string, string>();
function ipToBits(a: string): string {
  const hit = bitsCache.get(a);
  if (hit) return hit;
  const b = ipToBits0(a);
  bitsCache.set(a, b);
  return b;
}
function ipToBits0(a: string): string {
  if (a.includes('.')) return v4(a).map((x) => x.toString(2).padStart(8, '0')).join('');
  const [h, t] = a.split('::');
  const hs = h ? h.split(':') : [];
  const ts = t !== undefined && t ? t.split(':') : [];
  const groups = [...hs, ...new Array(8 - hs.length - ts.length).fill('0'), ...ts];
  return groups.map((g) => parseInt(g, 16).toString(2).padStart(16, '0')).join('');
}
function inCidr(addr: string, cidr: string): boolean {
  const [net, len] = cidr.split('/');
  if (addr.includes(':') !== net.includes(':')) return false;
  return ipToBits(addr).slice(0, Number(len)) === ipToBits(net).slice(0, Number(len));
}

const ORGS: Record<string, { overheid: string[]; markt: string[]; visitor: string[] }> = {
  GM0001: { overheid: ['192.0.2.0/27', '2001:db8::/124'], markt: ['192.0.2.32/28', '2001:db8::10/124'], visitor: ['192.0.2.24/29'] },
  GM0002: { overheid: ['192.0.2.48/28'], markt: ['192.0.2.64/27', '2001:db8::20/123'], visitor: [] },
  LV0001: { overheid: [], markt: ['192.0.2.96/28', '2001:db8::40/124'], visitor: [] },
};
const SVC: Record<string, { zone: 'overheid' | 'markt'; provider: string; cidrs: string[] }> = {
  brp: { zone: 'overheid', provider: 'kps', cidrs: ['192.0.2.128/28', '2001:db8::80/124'] },
  saas: { zone: 'markt', provider: 'LV0001', cidrs: ['192.0.2.144/29', '2001:db8::90/124'] },
};

/** The party of an address: a service's provider (services first), else the organisation holding it, else null. */
function party(a: string): { party: string | null; service: boolean } {
  for (const s of Object.values(SVC)) if (s.cidrs.some((c) => inCidr(a, c))) return { party: s.provider, service: true };
  for (const [id, o] of Object.entries(ORGS)) if ([...o.overheid, ...o.markt].some((c) => inCidr(a, c))) return { party: id, service: false };
  return { party: null, service: false };
}

function naive(spec: PolicySpec, p: { src: string; dst: string; proto: string; dport?: number }): boolean {
  const zones = ['overheid', 'markt'] as const;
  const orgIds = Object.keys(ORGS);
  const live = (a: string, z: 'overheid' | 'markt') =>
    orgIds.some((id, i) => spec.joins[i][zones.indexOf(z)] && ORGS[id][z].some((c) => inCidr(a, c))) || Object.values(SVC).some((s) => s.zone === z && s.cidrs.some((c) => inCidr(a, c)));
  if (!zones.some((z) => live(p.src, z) && live(p.dst, z))) return false;
  // Not GGI traffic (never carried, so never allowed): service to service, or within one party.
  const ps = party(p.src);
  const pd = party(p.dst);
  if ((ps.service && pd.service) || (ps.party !== null && ps.party === pd.party)) return false;
  const sel = (i: number, a: string): boolean => {
    const [kind, v] = SELECTORS[i].split(/:(.*)/s);
    if (kind === 'zone') return live(a, v as 'overheid');
    if (kind === 'org') return [...ORGS[v].overheid, ...ORGS[v].markt].some((c) => inCidr(a, c)) && !ORGS[v].visitor.some((c) => inCidr(a, c));
    if (kind === 'svc') return SVC[v].cidrs.some((c) => inCidr(a, c));
    return inCidr(a, v);
  };
  const v6 = p.src.includes(':');
  for (const r of spec.rules) {
    const protoOk =
      r.proto === 'any' ||
      (r.proto === 'tcp' && p.proto === 'tcp') ||
      (r.proto === 'udp' && p.proto === 'udp') ||
      (r.proto === 'icmp' && p.proto === 'icmp' && !v6) ||
      (r.proto === 'icmpv6' && p.proto === 'icmpv6' && v6);
    if (!protoOk) continue;
    if (r.ports && (p.proto === 'tcp' || p.proto === 'udp') && !r.ports.some(([lo, hi]) => p.dport! >= lo && p.dport! <= hi)) continue;
    if (sel(r.src, p.src) && sel(r.dst, p.dst)) return r.allow;
  }
  return false;
}

const PACKETS = samplePackets();

describe('query (property)', () => {
  it('equals a naive first-match evaluator', () => {
    fc.assert(
      fc.property(policySpec, (spec) => {
        const m = buildModel(spec);
        for (const p of PACKETS) {
          const got = query(m, p).allowed;
          if (got !== naive(spec, p)) throw new Error(`query says ${got} for ${JSON.stringify(p)}`);
        }
      }),
      { numRuns: 15 },
    );
  });

  it('equals the naive evaluator for large policies too (where query uses its dst index)', () => {
    const big = fc.record({ joins: policySpec.map((p) => p.joins), rules: fc.array(ruleSpec, { minLength: 70, maxLength: 120 }) });
    fc.assert(
      fc.property(big, (spec) => {
        const m = buildModel(spec);
        for (const p of PACKETS) {
          const got = query(m, p).allowed;
          if (got !== naive(spec, p)) throw new Error(`query says ${got} for ${JSON.stringify(p)}`);
        }
      }),
      { numRuns: 5 },
    );
  });

  it('lint: shadowed rules decide no packet, redundant rules change no verdict when removed', () => {
    fc.assert(
      fc.property(policySpec, (spec) => {
        const m = buildModel(spec);
        const a = analyseRules(m);
        const parsed = PACKETS.map(parsePacket);
        const decided = new Set(parsed.map((p) => rulesVerdict(m, p)?.id));
        for (const id of a.shadowed.keys()) if (decided.has(id)) throw new Error(`shadowed rule ${id} decides a packet`);
        for (const id of a.redundant) {
          const without: PolicyModel = { ...m, rules: m.rules.filter((r) => r.id !== id) };
          for (const p of parsed) {
            if ((rulesVerdict(without, p)?.action === 'allow') !== (rulesVerdict(m, p)?.action === 'allow')) throw new Error(`removing redundant ${id} changes a packet`);
          }
        }
      }),
      { numRuns: 40 },
    );
  });
});
