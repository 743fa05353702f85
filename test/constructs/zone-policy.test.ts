import { compileZonePolicy, CAPACITY_STEP, suricataRule, ZonePolicy, type FlatRule } from '../../src/constructs/zone-policy';
import { ConstructValidationError } from '../../src/constructs/errors';
import { synthScope } from '../../src/constructs/testing';

const rule = (over: Partial<FlatRule> & { ruleId: string }): FlatRule => ({ action: 'pass', proto: 'tcp', src: ['2001:db8::/32'], dst: ['3fff:100::/32'], dports: '443', ...over });

describe('compiling the flattened policy to Network Firewall stateful rules', () => {
  const rules: FlatRule[] = [
    rule({ ruleId: 'https' }),
    rule({ ruleId: 'high-ports', proto: 'udp', dports: '1024-65535', src: ['2001:db8::/32', '3fff:300::/32'] }),
    rule({ ruleId: 'ping', proto: 'icmpv6', dports: null }),
    rule({ ruleId: 'web', dports: '80,443' }),
    rule({ ruleId: 'deny-all', action: 'drop', proto: 'ip', dports: null, src: ['0.0.0.0/0', '::/0'], dst: ['::/0', '0.0.0.0/0'] }),
    rule({ ruleId: 'matches-nothing', src: [] }),
  ];
  const c = compileZonePolicy(rules);

  test('every rule is a 5-tuple header in policy order, with sids counting up in the same order', () => {
    expect(c.groups.length).toBe(1);
    expect(c.groups[0].rules.split('\n').filter(Boolean)).toEqual([
      'pass tcp 2001:db8::/32 any -> 3fff:100::/32 443 (msg:"https"; sid:1; rev:1;)',
      'pass udp [2001:db8::/32,3fff:300::/32] any -> 3fff:100::/32 1024:65535 (msg:"high-ports"; sid:2; rev:1;)',
      'pass icmp 2001:db8::/32 any -> 3fff:100::/32 any (msg:"ping"; sid:3; rev:1;)',
      'pass tcp 2001:db8::/32 any -> 3fff:100::/32 [80,443] (msg:"web"; sid:4; rev:1;)',
      'drop ip any any -> any any (msg:"deny-all"; sid:5; rev:1;)',
    ]);
    expect(c.ruleCount).toBe(5);
  });

  test('capacity is computed from the rule count, rounded up to leave room (capacity cannot change in place)', () => {
    expect(c.groups[0].capacity).toBe(CAPACITY_STEP);
    const many = Array.from({ length: 250 }, (_, i) => rule({ ruleId: `r${i}` }));
    expect(compileZonePolicy(many).groups.map((g) => g.capacity)).toEqual([300]);
  });

  test('a policy beyond one group is cut, in order, where a group would pass the AWS limits', () => {
    const many = Array.from({ length: 120 }, (_, i) => rule({ ruleId: `r${i}` }));
    const line = suricataRule(many[0], 1).length + 1;
    const cut = compileZonePolicy(many, line * 50);
    expect(cut.groups.length).toBe(3);
    expect(cut.groups.reduce((n, g) => n + g.count, 0)).toBe(120);
    for (const g of cut.groups) expect(g.rules.length).toBeLessThanOrEqual(line * 50);
    const sids = cut.groups.flatMap((g) => [...g.rules.matchAll(/sid:(\d+);/g)].map((m) => Number(m[1])));
    expect(sids).toEqual(Array.from({ length: 120 }, (_, i) => i + 1));
    expect(() => compileZonePolicy(many, line * 5)).toThrow(/rule groups; a firewall policy references at most 20/);
  });

  test('the five-tuple format carries the same rules as structured blocks, lists as variables', () => {
    const f = compileZonePolicy(rules, undefined, 'five-tuple');
    expect(f.groups.length).toBe(1);
    const g = f.groups[0].fiveTuple!;
    expect(g.rules.map((r) => [r.action, r.header.protocol, r.header.source, r.header.destination, r.header.destinationPort])).toEqual([
      ['PASS', 'TCP', '2001:db8::/32', '3fff:100::/32', '443'],
      ['PASS', 'UDP', '$R2_SRC', '3fff:100::/32', '1024:65535'],
      ['PASS', 'ICMP', '2001:db8::/32', '3fff:100::/32', 'ANY'],
      ['PASS', 'TCP', '2001:db8::/32', '3fff:100::/32', '$R4_DPORT'],
      ['DROP', 'IP', 'ANY', 'ANY', 'ANY'],
    ]);
    expect(g.rules.map((r) => r.ruleOption.find((o) => o.keyword === 'sid')!.settings[0])).toEqual(['1', '2', '3', '4', '5']);
    expect(g.ipSets).toEqual([{ key: 'R2_SRC', ipSet: { definition: ['2001:db8::/32', '3fff:300::/32'] } }]);
    expect(g.portSets).toEqual([{ key: 'R4_DPORT', portSet: { definition: ['80', '443'] } }]);
    type Tf = { resource: Record<string, Record<string, { rule_group: { rules_source: { stateful_rule: unknown[]; rules_string?: string }; rule_variables: { ip_sets: unknown[] } } }>> };
    const tf = synthScope((sc) => new ZonePolicy(sc, 'p', { name: 'ggi-zone-policy', rules, format: 'five-tuple' })) as Tf;
    const rg = Object.values(tf.resource.aws_networkfirewall_rule_group)[0].rule_group;
    expect(rg.rules_source.stateful_rule.length).toBe(5);
    expect(rg.rules_source.rules_string).toBeUndefined();
    expect(rg.rule_variables.ip_sets.length).toBe(1);
  });

  test.each([
    [rule({ ruleId: 'x', proto: 'icmp', dports: '80' }), /ports 80 given for protocol icmp/],
    [rule({ ruleId: 'x', dports: '70000' }), /not a port/],
    [rule({ ruleId: 'x', dports: '90-80' }), /not a port/],
    [rule({ ruleId: 'x', src: ['2001:db8::1/32'] }), /not a prefix/],
  ])('refuses %#', (r, msg) => {
    let err: unknown;
    try {
      compileZonePolicy([r]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConstructValidationError);
    expect((err as Error).message).toMatch(msg);
  });

  test('the construct: STATEFUL rule groups in STRICT_ORDER, run in order by a default-deny firewall policy', () => {
    type Tf = { resource: Record<string, Record<string, Record<string, unknown>>> };
    const tf = synthScope((s) => new ZonePolicy(s, 'p', { name: 'ggi-zone-policy', rules, maxRulesChars: 200 })) as Tf;
    const groups = Object.entries(tf.resource.aws_networkfirewall_rule_group) as Array<[string, { name: string; type: string; capacity: number; rule_group: { stateful_rule_options: { rule_order: string }; rules_source: { rules_string: string } } }]>;
    expect(groups.length).toBe(3);
    for (const [, g] of groups) {
      expect(g.type).toBe('STATEFUL');
      expect(g.rule_group.stateful_rule_options.rule_order).toBe('STRICT_ORDER');
    }
    const fp = Object.values(tf.resource.aws_networkfirewall_firewall_policy)[0] as { firewall_policy: { stateful_default_actions: string[]; stateful_engine_options: { rule_order: string }; stateful_rule_group_reference: Array<{ priority: number; resource_arn: string }> } };
    expect(fp.firewall_policy.stateful_default_actions).toEqual(['aws:drop_strict']);
    expect(fp.firewall_policy.stateful_engine_options.rule_order).toBe('STRICT_ORDER');
    // Priorities follow the groups' order, and the groups' order follows the rules' order.
    const byId = new Map(groups);
    const ordered = fp.firewall_policy.stateful_rule_group_reference.sort((a, b) => a.priority - b.priority).map((r) => byId.get(/\.([^.]+)\.arn\}$/.exec(r.resource_arn)![1])!.rule_group.rules_source.rules_string);
    const sids = ordered.flatMap((t) => [...t.matchAll(/sid:(\d+);/g)].map((m) => Number(m[1])));
    expect(sids).toEqual([1, 2, 3, 4, 5]);
    expect(() => synthScope((s) => new ZonePolicy(s, 'p', { name: 'bad name', rules }))).toThrow(ConstructValidationError);
  });

  test('address lists and ports shared between rules (as flattenRules hands them out) compile as fresh copies do', () => {
    const src = ['2001:db8:0:0::/32', '3fff:300::/32', '2001:db8::/32'];
    const dst = ['3fff:100::/32'];
    const shared: FlatRule[] = [
      rule({ ruleId: 'a', src, dst, dports: '22, 80-81' }),
      rule({ ruleId: 'b', src, dst, dports: '22, 80-81' }),
      rule({ ruleId: 'c', proto: 'udp', src: dst, dst: src, dports: '0-65535' }),
      rule({ ruleId: 'd', src: ['::/0', '0.0.0.0/0', '::/0'], dst, dports: null }),
    ];
    const copies = shared.map((r) => ({ ...r, src: [...r.src], dst: [...r.dst] }));
    const lines = compileZonePolicy(shared).groups[0].rules;
    expect(lines).toBe(compileZonePolicy(copies).groups[0].rules);
    expect(lines.split('\n')[1]).toBe('pass tcp [2001:db8::/32,3fff:300::/32] any -> 3fff:100::/32 [22,80:81] (msg:"b"; sid:2; rev:1;)');
    expect(lines.split('\n')[3]).toBe('pass tcp any any -> 3fff:100::/32 any (msg:"d"; sid:4; rev:1;)');
    // A bad value is reported for the first rule that uses it, shared or not; ports given to a portless protocol too.
    const bad = ['2001:db8::/32', 'not-a-prefix'];
    expect(() => compileZonePolicy([rule({ ruleId: 'first', dst: bad }), rule({ ruleId: 'second', src: bad })])).toThrow(/policy rule first: dst 'not-a-prefix'/);
    expect(() => compileZonePolicy([rule({ ruleId: 'ok', dports: '53' }), rule({ ruleId: 'icmp', proto: 'icmp', dports: '53' })])).toThrow(/policy rule icmp: ports 53/);
    expect(() => compileZonePolicy([rule({ ruleId: 'p1', dports: '70000' }), rule({ ruleId: 'p2', dports: '70000' })])).toThrow(/policy rule p1: '70000'/);
  });
});
