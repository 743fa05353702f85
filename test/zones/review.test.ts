import { buildPolicy, lintPolicy } from '../../src/zones';
import { reviewOptions } from '../../src/zones/review';
import { checkPolicy } from '../../src/zones/lint';
import { cleanup, MINIMAL_SETTINGS } from '../helpers/tmp-inventory';
import { loadInventory } from '../../src/model/load';
import type { Finding } from '../../src/model/finding';
import { loadFixture, writeInventory } from './fixture';

const R = (id: string, from: string, to: string, rest: string, meta = 'owner: netwerk, reason: test') => `  - { id: ${id}, from: ${from}, to: ${to}, ${rest}, ${meta} }\n`;

/** Line of the rule `id` in the policy text (1-based), for located findings. */
function lineOf(text: string, needle: string): number {
  return text.split('\n').findIndex((l) => l.includes(needle)) + 1;
}

const POLICY =
  'rules:\n' +
  // a mistyped /46: allocated to nobody (GM0001 has 2a07:3500:4::/46)
  R('typo', '{ prefixes: [192.0.2.0/27, "2a07:3500:40::/46"] }', '{ services: [brp] }', 'proto: tcp, ports: [443], action: allow') +
  // only the mistyped /46: the rule reaches nothing, and the finding is at the prefix
  R('typo-only', '{ prefixes: ["2a07:3500:40::/46"] }', '{ services: [brp] }', 'proto: tcp, ports: [443], action: allow') +
  // GM0002 (via SV0001) joins overheid only; the saas is in markt
  R('wrong-zone', '{ organisations: [GM0001, GM0002] }', '{ services: [saas] }', 'proto: tcp, ports: [443], action: allow') +
  // markt to an overheid service: never carried, caught here before any guardrail
  R('never', '{ zone: markt }', '{ services: [brp] }', 'proto: tcp, ports: [443], action: allow') +
  R('broad', '{ organisations: [GM0001] }', '{ organisations: [GM0002] }', 'proto: tcp, action: allow') +
  R('rdp', '{ zone: markt }', '{ organisations: [LV0001] }', 'proto: tcp, ports: [443, 3389], action: allow') +
  R('rdp-own', '{ organisations: [LV0001] }', '{ organisations: [LV0001] }', 'proto: tcp, ports: [3389], action: allow') +
  R('old', '{ zone: overheid }', '{ services: [brp] }', 'proto: tcp, ports: [8443], action: allow, expires: 2026-01-31') +
  R('soon', '{ zone: overheid }', '{ services: [brp] }', 'proto: tcp, ports: [8444], action: allow, expires: 2026-03-10') +
  R('anon', '{ zone: overheid }', '{ services: [brp] }', 'proto: tcp, ports: [8445], action: allow', 'owner: tbd, reason: "-"') +
  R('fine', '{ zone: markt }', '{ services: [saas] }', 'proto: tcp, ports: [443], action: allow');

const TODAY = new Date('2026-02-15T12:00:00Z');

function byCode(fs: Finding[], code: string): Finding[] {
  return fs.filter((f) => f.code === code);
}

describe("policy lint: the reviewer's checks", () => {
  const inv = loadFixture(POLICY);
  const { policy, findings } = buildPolicy(inv);
  const lint = lintPolicy(policy, inv.sources, TODAY);
  const file = 'policy/10-rules.yaml';

  it('builds', () => expect(findings).toEqual([]));

  it('reports the mistyped /46 that no one holds, at the prefix', () => {
    const f = byCode(lint, 'POLICY_DEAD_SELECTOR').filter((x) => x.message.includes('rule typo:'));
    expect(f).toHaveLength(1);
    expect(f[0].message).toMatch(/prefix 2a07:3500:40::\/46 in from covers no declared address/);
    expect(f[0]).toMatchObject({ severity: 'warning', line: lineOf(POLICY, 'id: typo') });
    expect(f[0].file.endsWith(file)).toBe(true);
    // located at the prefix itself, not at the rule
    expect(f[0].column).toBe(POLICY.split('\n')[lineOf(POLICY, 'id: typo') - 1].indexOf('"2a07:3500:40::/46"') + 1);
  });

  it('reports the mistyped /46 of a rule that has nothing else as the dead prefix, not as a rule that never matches', () => {
    // (it is also shadowed by the rule typo above, which lists the same /46)
    expect(lint.filter((x) => x.message.includes('typo-only') && x.code !== 'POLICY_SHADOWED').map((x) => [x.code, x.line, x.column])).toEqual([
      ['POLICY_DEAD_SELECTOR', lineOf(POLICY, 'id: typo-only'), POLICY.split('\n')[lineOf(POLICY, 'id: typo-only') - 1].indexOf('"2a07') + 1],
    ]);
  });

  it('reports an organisation whose addresses lie outside the zones the rule reaches, with an example address', () => {
    const f = byCode(lint, 'POLICY_DEAD_SELECTOR').filter((x) => x.message.includes('wrong-zone'));
    expect(f.map((x) => x.message)).toEqual([expect.stringMatching(/organisation GM0002 in from covers only addresses in overheid \(e\.g\. 192\.0\.2\.48\), where the to side \(markt\) never is/)]);
  });

  it('reports a rule that can never match, with an example packet', () => {
    const f = byCode(lint, 'POLICY_NEVER_MATCHES');
    expect(f.map((x) => x.message)).toEqual([expect.stringMatching(/^rule never can never match: its from reaches markt and its to overheid.*e\.g\. tcp\/443 from 198\.51\.100\.0 to 192\.0\.2\.128/)]);
    expect(f[0].line).toBe(lineOf(POLICY, 'id: never'));
  });

  it('reports an over-broad rule', () => {
    expect(byCode(lint, 'POLICY_OVERBROAD').map((x) => x.message)).toEqual([expect.stringMatching(/^rule broad allows every tcp port .* between GM0001 and GM0002, e\.g\. tcp\/0 from 192\.0\.2\.0 to 192\.0\.2\.48/)]);
  });

  it('reports RDP across an organisation boundary, not inside one organisation (nor again for a rule already over-broad)', () => {
    const f = byCode(lint, 'POLICY_RISKY_SERVICE');
    expect(f.map((x) => x.message)).toEqual([expect.stringMatching(/^rule rdp allows RDP \(tcp\/3389\) across an organisation boundary, e\.g\. tcp\/3389 from 198\.51\.100\.0 to 203\.0\.113\.0 \(GM0001 to LV0001\)/)]);
  });

  it('reports expired and expiring rules as of the injected date, and missing metadata', () => {
    expect(byCode(lint, 'POLICY_EXPIRED').map((x) => x.message)).toEqual([expect.stringMatching(/^rule old expired on 2026-01-31/)]);
    expect(byCode(lint, 'POLICY_EXPIRING').map((x) => x.message)).toEqual([expect.stringMatching(/^rule soon expires on 2026-03-10, within 30 days/)]);
    expect(byCode(lint, 'POLICY_MISSING_OWNER').map((x) => x.message)).toEqual([expect.stringMatching(/^rule anon has no real owner/)]);
    expect(byCode(lint, 'POLICY_MISSING_REASON').map((x) => x.message)).toEqual([expect.stringMatching(/^rule anon has no real reason/)]);
  });

  it('leaves the clean rule alone', () => expect(lint.filter((f) => f.message.includes('rule fine'))).toEqual([]));

  it('takes its thresholds from ggi.yaml policy.lint', () => {
    const settings = `${MINIMAL_SETTINGS}policy:\n  lint:\n    expiringWithinDays: 10\n    broadPorts: 0\n    riskyServices: [{ name: HTTPS, proto: tcp, ports: [443] }]\n`;
    const inv2 = loadFixture(POLICY, { 'ggi.yaml': settings });
    expect(reviewOptions(inv2.settings.policy?.lint)).toEqual({ expiringWithinDays: 10, broadPorts: 0, risky: [{ name: 'HTTPS', proto: 'tcp', ports: [443, 443] }] });
    const l2 = checkPolicy(inv2, TODAY);
    expect(byCode(l2, 'POLICY_EXPIRING')).toEqual([]);
    expect(byCode(l2, 'POLICY_OVERBROAD')).toEqual([]);
    expect(byCode(l2, 'POLICY_RISKY_SERVICE').map((x) => x.message)).toEqual(expect.arrayContaining([expect.stringMatching(/^rule rdp allows HTTPS \(tcp\/443\)/), expect.stringMatching(/^rule fine allows HTTPS/)]));
  });

  it('a bad threshold is a located finding', () => {
    const dir = writeInventory(POLICY, { 'ggi.yaml': `${MINIMAL_SETTINGS}policy:\n  lint:\n    broadPorts: -1\n` });
    try {
      const { findings: fs } = loadInventory(dir);
      expect(fs.filter((f) => f.severity === 'error')).toEqual([expect.objectContaining({ code: 'SCHEMA_RANGE', file: expect.stringMatching(/ggi\.yaml$/), line: MINIMAL_SETTINGS.split('\n').length + 2 })]);
    } finally {
      cleanup(dir);
    }
  });
});
