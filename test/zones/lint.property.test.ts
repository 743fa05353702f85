import fc from 'fast-check';
import { analyseRules, checkGuardrails, parsePacket, rulesVerdict } from '../../src/zones';
import { parseAddress as parseAddr } from '../../src/net';
import { type Family, MAX, type RangeList } from '../../src/zones/addr';
import type { GuardrailModel, PolicyModel, RuleModel } from '../../src/zones/types';
import { buildModel, policySpec, type RuleSpec, ruleSpec, SELECTORS } from './gen';

/**
 * The rule analysis and the guardrail check (which share one decomposition per policy) against a brute force over
 * every packet class: each pair of elementary address intervals, each protocol class, each elementary port interval.
 */

const BITS = ['tcp', 'udp', 'icmp', 'other'] as const;
type Bit = (typeof BITS)[number];

function protoHas(proto: string, bit: Bit, f: Family): boolean {
  if (proto === 'any') return true;
  if (bit === 'icmp') return proto === (f === 4 ? 'icmp' : 'icmpv6');
  return proto === bit;
}
const inList = (l: RangeList, a: bigint): boolean => l.some((r) => r.lo <= a && a <= r.hi);
const pick = (s: { v4: RangeList; v6: RangeList }, f: Family): RangeList => (f === 4 ? s.v4 : s.v6);
const inPorts = (ports: number[] | null, p: number): boolean => {
  if (!ports) return true;
  for (let i = 0; i < ports.length; i += 2) if (ports[i] <= p && p <= ports[i + 1]) return true;
  return false;
};

interface Expected {
  empty: string[];
  shadowed: Array<[string, string[]]>;
  redundant: string[];
  conflicts: Array<[string, string[]]>;
  violations: string[];
}

function bruteForce(m: PolicyModel): Expected {
  const rules = m.rules;
  const n = rules.length;
  const hasBox = new Array<boolean>(n).fill(false);
  const live = new Array<boolean>(n).fill(false);
  const culprits = rules.map(() => new Set<number>());
  /** Packets a rule decides, with the rule that would decide them without it (-1: the default). */
  const takeover: Array<[number, number]> = [];
  const violations = m.guardrails.map(() => [new Set<number>(), new Set<number>()]);
  for (const f of [4, 6] as Family[]) {
    const sets = [...rules.flatMap((r) => [r.src, r.dst]), ...m.guardrails.flatMap((g) => [g.src, g.dst])].map((s) => pick(s, f));
    const bounds = new Set<bigint>([0n]);
    for (const l of sets) for (const r of l) bounds.add(r.lo).add(r.hi + 1n);
    const atoms = [...bounds].filter((b) => b <= MAX[f]);
    const portBounds = new Set<number>([0]);
    for (const p of [...rules.map((r) => r.ports), ...m.guardrails.map((g) => g.ports)]) if (p) for (let i = 0; i < p.length; i += 2) portBounds.add(p[i]).add(p[i + 1] + 1);
    const ports = [...portBounds].filter((p) => p <= 65535);
    rules.forEach((r, i) => {
      if (BITS.some((b) => protoHas(r.proto, b, f)) && pick(r.src, f).length && pick(r.dst, f).length) hasBox[i] = true;
    });
    for (const s of atoms) {
      for (const d of atoms) {
        const cover = rules.map((r) => inList(pick(r.src, f), s) && inList(pick(r.dst, f), d));
        if (!cover.some(Boolean) && !m.guardrails.length) continue;
        for (const bit of BITS) {
          for (const port of bit === 'tcp' || bit === 'udp' ? ports : [0]) {
            const matching: number[] = [];
            rules.forEach((r, i) => {
              if (cover[i] && protoHas(r.proto, bit, f) && (bit === 'tcp' || bit === 'udp' ? inPorts(r.ports, port) : true)) matching.push(i);
            });
            if (!matching.length) continue;
            const decider = matching[0];
            live[decider] = true;
            for (const i of matching.slice(1)) culprits[i].add(decider);
            takeover.push([decider, matching.length > 1 ? matching[1] : -1]);
            if (!rules[decider].action.startsWith('allow')) continue;
            m.guardrails.forEach((g, gi) => {
              const gPorts = bit === 'tcp' || bit === 'udp' ? g.ports : null;
              if (protoHas(g.proto, bit, f) && inList(pick(g.src, f), s) && inList(pick(g.dst, f), d) && inPorts(gPorts, port)) violations[gi][f === 4 ? 0 : 1].add(decider);
            });
          }
        }
      }
    }
  }
  const notRedundant = new Array<boolean>(n).fill(false);
  for (const [r, q] of takeover) {
    const allow = rules[r].action === 'allow';
    if (q < 0 ? allow : rules[q].action !== rules[r].action || !live[q]) notRedundant[r] = true;
  }
  const out: Expected = { empty: [], shadowed: [], redundant: [], conflicts: [], violations: [] };
  rules.forEach((r, i) => {
    if (!hasBox[i]) {
      out.empty.push(r.id);
      return;
    }
    const cs = [...culprits[i]].sort((a, b) => a - b);
    if (!live[i]) {
      out.shadowed.push([r.id, cs.map((c) => rules[c].id)]);
      return;
    }
    if (!notRedundant[i]) out.redundant.push(r.id);
    const conflicting = cs.filter((c) => rules[c].action !== r.action);
    if (conflicting.length) out.conflicts.push([r.id, conflicting.map((c) => rules[c].id)]);
  });
  m.guardrails.forEach((g, gi) => {
    const seen = new Set<number>();
    for (const fam of violations[gi]) {
      for (const r of [...fam].sort((a, b) => a - b)) {
        if (seen.has(r)) continue;
        seen.add(r);
        out.violations.push(`${g.id}:${rules[r].id}`);
      }
    }
  });
  return out;
}

/** A policy with guardrails: the guardrails' sets are those of extra rules, built alongside and then taken out. */
const withGuardrails = (rules: fc.Arbitrary<RuleSpec[]>): fc.Arbitrary<PolicyModel> =>
  fc.tuple(policySpec, rules, fc.array(ruleSpec, { maxLength: 3 })).map(([spec, rs, gs]) => {
    const m = buildModel({ ...spec, rules: [...rs, ...gs] });
    const rulesOnly = m.rules.slice(0, rs.length);
    const guardrails: GuardrailModel[] = m.rules.slice(rs.length).map((g: RuleModel, i) => ({ id: `g${i}`, src: g.src, dst: g.dst, proto: g.proto, ports: g.ports, from: g.from, to: g.to, reason: 'test', loc: g.loc }));
    return { ...m, rules: rulesOnly, guardrails };
  });

function check(m: PolicyModel): void {
  const want = bruteForce(m);
  const a = analyseRules(m);
  expect({ empty: a.empty, shadowed: [...a.shadowed], redundant: a.redundant, conflicts: [...a.conflicts] }).toEqual({
    empty: want.empty,
    shadowed: want.shadowed,
    redundant: want.redundant,
    conflicts: want.conflicts,
  });
  const v = checkGuardrails(m);
  expect(v.map((x) => `${x.guardrail}:${x.rule}`)).toEqual(want.violations);
  for (const x of v) {
    // The example is a packet the guardrail forbids and the rule lets through.
    const g = m.guardrails.find((gr) => gr.id === x.guardrail)!;
    const p = parsePacket(x.example);
    const r = rulesVerdict(m, p);
    expect(r?.id).toBe(x.rule);
    const f = parseAddr(x.example.src).family;
    expect(inList(pick(g.src, f), p.src) && inList(pick(g.dst, f), p.dst)).toBe(true);
    const bit: Bit = x.example.proto === 'any' ? 'other' : x.example.proto === 'icmpv6' ? 'icmp' : x.example.proto;
    expect(protoHas(g.proto, bit, f)).toBe(true);
    if (x.example.dport !== undefined) expect(inPorts(g.ports, x.example.dport)).toBe(true);
  }
}

describe('rule analysis and guardrails (property)', () => {
  it('equal a brute force over every packet class', () => {
    fc.assert(
      fc.property(withGuardrails(fc.array(ruleSpec, { maxLength: 8 })), check),
      { numRuns: 200 },
    );
  });

  it('equal the brute force for policies of a few rules, whose cells mostly have one rule (decided without a first match)', () => {
    fc.assert(
      fc.property(withGuardrails(fc.array(ruleSpec, { minLength: 1, maxLength: 3 })), check),
      { numRuns: 200 },
    );
  });

  it('equal the brute force for policies with crowded cells', () => {
    fc.assert(
      fc.property(withGuardrails(fc.array(ruleSpec, { minLength: 25, maxLength: 40 })), check),
      { numRuns: 15 },
    );
  });

  it('give the same answers when asked again, and in either order (one decomposition per policy)', () => {
    fc.assert(
      fc.property(withGuardrails(fc.array(ruleSpec, { maxLength: 8 })), (m) => {
        const first = { g: checkGuardrails(m), a: analyseRules(m) };
        const again = { g: checkGuardrails(m), a: analyseRules(m) };
        expect(again).toEqual(first);
        const fresh = { ...m };
        expect({ g: checkGuardrails(fresh), a: analyseRules(fresh) }).toEqual(first);
      }),
      { numRuns: 20 },
    );
  });
});

describe('culprit lists', () => {
  it('keep the first 64 earlier rules found, distinct, ascending', () => {
    // 70 deny rules on one port each, then an allow rule on all 70 ports: shadowed by all of them.
    const src = SELECTORS.indexOf('org:GM0001');
    const dst = SELECTORS.indexOf('svc:brp');
    const rules: RuleSpec[] = Array.from({ length: 70 }, (_, i) => ({ src, dst, proto: 'tcp' as const, ports: [[1000 + i, 1000 + i]] as Array<[number, number]>, allow: false }));
    rules.push({ src, dst, proto: 'tcp', ports: [[1000, 1069]], allow: true });
    const m = buildModel({ joins: [[true, true], [true, true], [true, true]], rules });
    const a = analyseRules(m);
    expect(a.shadowed.get('r70')).toEqual(Array.from({ length: 64 }, (_, i) => `r${i}`));
  });
});
