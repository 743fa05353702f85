import * as fs from 'node:fs';
import * as path from 'node:path';
import { compileZonePolicy, type FlatRule } from '../../src/constructs/zone-policy';
import { ConstructValidationError } from '../../src/constructs/errors';
import { synthesize } from '../../stacks/main';
import { gateInventory } from '../../stacks/gate';
import { planCloud } from '../../stacks/plan';
import type { VeiligDecl } from '../../src/model/schema/veilig';
import { activeDetectionRules, hubDetectionAlerts } from '../../src/veilig/detection';
import { readStacks, resources, tempDir } from '../constructs/fixture';

/** Detection on the cloud hub: the alert rules head the zone policy's first stateful rule group, in both forms. */

const NOW = new Date('2026-12-06T12:00:00Z');
const base = { owner: 'soc', reason: 'test' };
const DECLS: VeiligDecl['detection'] = [
  { id: 'bekend-kwaadaardig', kind: 'destination', prefixes: ['198.51.100.250/32', '2001:db8:bad::/48'], ...base },
  { id: 'geen-telnet', kind: 'service', proto: 'tcp', ports: [23, '6000-6063'], ...base },
  { id: 'scan-of-flood', kind: 'rate', perSecond: 200, ...base },
  { id: 'verlopen', kind: 'service', proto: 'udp', ports: [69], expires: '2026-12-01', ...base },
];
const ALERTS = hubDetectionAlerts(activeDetectionRules({ detection: DECLS }, NOW));
const RULES: FlatRule[] = [
  { ruleId: 'web', action: 'pass', proto: 'tcp', src: ['2001:db8::/32'], dst: ['3fff:100::/32'], dports: '443' },
  { ruleId: 'default-deny', action: 'drop', proto: 'ip', src: ['0.0.0.0/0', '::/0'], dst: ['0.0.0.0/0', '::/0'], dports: null },
];

describe('detection alerts in the zone policy rule group', () => {
  test('Suricata strings: the alerts first, then the policy with its own sids', () => {
    const c = compileZonePolicy(RULES, undefined, 'suricata', ALERTS);
    const lines = c.groups[0].rules.split('\n').filter(Boolean);
    expect(lines.slice(0, 3)).toEqual(ALERTS.map((a) => a.text));
    expect(lines.slice(3).map((l) => /sid:(\d+);/.exec(l)![1])).toEqual(['1', '2']);
    expect(c.groups[0].count).toBe(5);
    expect([c.ruleCount, c.alertCount]).toEqual([2, 3]);
    expect(lines.join('\n')).not.toContain('verlopen');
  });

  test('structured rules: ALERT with variables for several destinations or ports, msg and sid as options', () => {
    const g = compileZonePolicy(RULES, undefined, 'five-tuple', ALERTS).groups[0].fiveTuple!;
    expect(g.rules.map((r) => [r.action, r.header.protocol, r.header.destination, r.header.destinationPort])).toEqual([
      ['ALERT', 'IP', `$R${ALERTS[0].sid}_DST`, 'ANY'],
      ['ALERT', 'TCP', 'ANY', `$R${ALERTS[1].sid}_DPORT`],
      ['ALERT', 'IP', 'ANY', 'ANY'],
      ['PASS', 'TCP', '3fff:100::/32', '443'],
      ['DROP', 'IP', 'ANY', 'ANY'],
    ]);
    expect(g.ipSets[0]).toEqual({ key: `R${ALERTS[0].sid}_DST`, ipSet: { definition: ['198.51.100.250/32', '2001:db8:bad::/48'] } });
    expect(g.portSets[0]).toEqual({ key: `R${ALERTS[1].sid}_DPORT`, portSet: { definition: ['23', '6000:6063'] } });
    expect(g.rules[2].ruleOption).toEqual([
      { keyword: 'msg', settings: ['"ggi-det:scan-of-flood"'] },
      { keyword: 'flow', settings: ['to_server,not_established'] },
      { keyword: 'detection_filter', settings: ['track by_src, count 200, seconds 1'] },
      { keyword: 'sid', settings: [String(ALERTS[2].sid)] },
    ]);
  });

  test('a detection sid inside the policy\'s range, or used twice, is refused', () => {
    const low = { ...ALERTS[0], sid: 2 };
    expect(() => compileZonePolicy(RULES, undefined, 'suricata', [low])).toThrow(ConstructValidationError);
    expect(() => compileZonePolicy(RULES, undefined, 'suricata', [ALERTS[0], { ...ALERTS[1], sid: ALERTS[0].sid }])).toThrow(/used twice/);
  });
});

describe('ggi synth on the example inventory: the detection rules reach the hub', () => {
  const EXAMPLE = path.resolve(__dirname, '..', '..', 'inventory');
  const out = tempDir('detection');
  afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

  test('every rule in force is one alert, ahead of the policy, named by its id', () => {
    const inv = gateInventory(EXAMPLE).inventory!;
    const ids = inv.veilig!.detection.map((r) => r.id);
    expect(planCloud(inv, NOW).hub.detection.map((a) => a.ruleId)).toEqual(ids);
    synthesize(inv, out);
    const [[, g]] = resources(readStacks(out).get('policy')!, 'aws_networkfirewall_rule_group') as Array<[string, { rule_group: { rules_source: { stateful_rule?: Array<{ action: string; rule_option: Array<{ keyword: string; settings: string[] }> }>; rules_string?: string } } }]>;
    const src = g.rule_group.rules_source;
    const msgs = src.stateful_rule
      ? src.stateful_rule.map((r) => [r.action, r.rule_option.find((o) => o.keyword === 'msg')!.settings[0].replace(/"/g, '')])
      : src.rules_string!.split('\n').filter(Boolean).map((l) => [l.split(' ')[0].toUpperCase(), /msg:"([^"]*)"/.exec(l)![1]]);
    expect(msgs.slice(0, ids.length)).toEqual(ids.map((id) => ['ALERT', `ggi-det:${id}`]));
    expect(msgs.slice(ids.length).every(([a]) => a !== 'ALERT')).toBe(true);
  });
});
