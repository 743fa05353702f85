import * as fs from 'node:fs';
import * as path from 'node:path';
import { synthesize } from '../../stacks/main';
import { FIVE_TUPLE_MAX_RULES } from '../../stacks/build';
import { activeAllocations } from '../../stacks/plan';
import { diffSynthOutputs } from '../../stacks/diff';
import { ConstructValidationError } from '../../src/constructs/errors';
import type { FlatRule } from '../../src/constructs/zone-policy';
import { BASE_ORGS, load, readStacks, readTree, resources, slotPrefix, tempDirs, writeInventory, type OrgSpec } from './fixture';
import { checkIsolation, checkTunnels, ipamCidrs } from './invariants';

const RULES: FlatRule[] = [
  { ruleId: 'gm-to-kps-https', action: 'pass', proto: 'tcp', src: ['2001:db8::/32'], dst: ['3fff:100::/32'], dports: '443' },
  { ruleId: 'deny-markt-to-overheid', action: 'drop', proto: 'ip', src: ['3fff:400::/32'], dst: ['2001:db8::/32', '3fff:300::/32'], dports: null },
];

const temp = tempDirs();

// The base fixture, with a quarantined /46 and a sub-allocation that must stay out of IPAM.
const EXTRA_LEDGER = [
  `  - { prefix: "${slotPrefix('gemeente', 64, 2)}", organisation: GM0546, category: diginetwerk, status: quarantined, by: test, at: "2026-01-01T10:00:00Z", justification: test, released: { at: "2026-02-01T00:00:00Z", by: test, reason: returned, quarantineUntil: "2026-08-01" } }`,
  `  - { prefix: "2001:db8:400::/48", parent: "${slotPrefix('gemeente', 64, 0)}", organisation: GM0546, category: diginetwerk, status: assigned, by: test, at: "2026-01-06T10:00:00Z" }`,
];

function baseInventory(orgs: OrgSpec[] = BASE_ORGS): string {
  return writeInventory(path.join(temp('inv'), 'inventory'), orgs, { extraLedger: EXTRA_LEDGER });
}

describe('synthesized cloud side of a small inventory', () => {
  const inv = load(baseInventory());
  const out = temp('out');
  const result = synthesize(inv, out, { policyRules: RULES });
  const stacks = readStacks(out);

  test('one hub stack and one stack per attaching organisation, supplier or IPv6 holder', () => {
    expect(result.stacks).toEqual(['hub', 'policy', 'org-GM0546', 'org-GM0599', 'org-GM0626', 'org-LV0001', 'org-SV0001']);
    expect([...stacks.keys()].sort()).toEqual([...result.stacks].sort());
  });

  test('the isolation invariant holds: each attachment is associated and propagates to exactly its zone table', () => {
    const { violations, attachments } = checkIsolation(stacks);
    expect(violations).toEqual([]);
    const seen = attachments.map((a) => `${a.organisation}:${a.zone}`).sort();
    expect(seen).toEqual(['GM0546:markt', 'GM0546:overheid', 'LV0001:markt', 'SV0001:overheid']);
  });

  test('the hub has one route table per zone and publishes each under its own zone', () => {
    const hub = stacks.get('hub')!;
    const tables = resources(hub, 'aws_ec2_transit_gateway_route_table');
    expect(tables.map(([, t]) => (t.tags as Record<string, string>)['ggi:zone']).sort()).toEqual(['markt', 'overheid']);
    for (const [id, t] of tables) {
      const zone = (t.tags as Record<string, string>)['ggi:zone'];
      const params = resources(hub, 'aws_ssm_parameter').filter(([, p]) => p.value === `\${aws_ec2_transit_gateway_route_table.${id}.id}`);
      expect(params.map(([, p]) => p.name)).toEqual([`/ggi/hub/route-table/${zone}`]);
    }
  });

  test('tunnel inside CIDRs are valid, unreserved and unique across the inventory', () => {
    const { attachments } = checkIsolation(stacks);
    expect(attachments.length).toBe(4);
    expect(checkTunnels(attachments)).toEqual([]);
  });

  test("every organisation's active /46s, and nothing else, are its IPAM pool CIDRs", () => {
    const got = ipamCidrs(stacks);
    const want = new Map<string, string[]>();
    for (const e of inv.ledger.entries) {
      if (e.status === 'quarantined' || e.parent) continue;
      want.set(e.organisation, [...(want.get(e.organisation) ?? []), e.prefix].sort());
    }
    expect(Object.fromEntries(got)).toEqual(Object.fromEntries(want));
    expect(got.get('GM0546')).not.toContain(slotPrefix('gemeente', 64, 2));
    for (const o of BASE_ORGS) expect(got.get(o.id)).toEqual(activeAllocations(inv, o.id));
  });

  test('the hub has one IPAM pool per numbering-plan block holding the block', () => {
    const hub = stacks.get('hub')!;
    const cidrs = resources(hub, 'aws_vpc_ipam_pool_cidr').map(([, c]) => c.cidr).sort();
    expect(cidrs).toEqual(Object.values(inv.settings.numberingPlan.blocks).sort());
    expect(resources(hub, 'aws_vpc_ipam_pool').length).toBe(5);
  });

  test('the supplier attaches in markt only', () => {
    const lv = stacks.get('org-LV0001')!;
    const zones = resources(lv, 'aws_vpn_connection').map(([, v]) => (v.tags as Record<string, string>)['ggi:zone']);
    expect(zones).toEqual(['markt']);
  });

  test('a connection point without a public address gets no VPN, keeps its IPAM pool, and is reported', () => {
    const rdam = stacks.get('org-GM0599')!;
    expect(resources(rdam, 'aws_vpn_connection')).toEqual([]);
    expect(resources(rdam, 'aws_vpc_ipam_pool_cidr').length).toBe(1);
    expect(result.notes.map((n) => [n.code, n.file.endsWith('GM0599.yaml')])).toEqual([['CLOUD_NO_PUBLIC_ADDRESS', true]]);
  });

  test('the zone policy is strict-order stateful 5-tuple rules in its own stack, not in the hub', () => {
    expect(resources(stacks.get('hub')!, 'aws_networkfirewall_rule_group')).toEqual([]);
    const groups = resources(stacks.get('policy')!, 'aws_networkfirewall_rule_group');
    expect(groups.length).toBe(1);
    const g = groups[0][1] as { type: string; capacity: number; rule_group: { stateful_rule_options: { rule_order: string }; rules_source: { stateful_rule: Array<{ action: string; header: { protocol: string }; rule_option: Array<{ keyword: string; settings: string[] }> }> } } };
    expect(g.type).toBe('STATEFUL');
    expect(g.rule_group.stateful_rule_options.rule_order).toBe('STRICT_ORDER');
    const r = g.rule_group.rules_source.stateful_rule;
    expect(r.map((x) => [x.action, x.header.protocol, x.rule_option.find((o) => o.keyword === 'sid')!.settings[0]])).toEqual([['PASS', 'TCP', '1'], ['DROP', 'IP', '2']]);
    expect(g.capacity).toBeGreaterThanOrEqual(2);
    const fp = resources(stacks.get('policy')!, 'aws_networkfirewall_firewall_policy');
    expect(fp.length).toBe(1);
  });

  test('a large policy is written as Suricata strings, with the same rules in the same order', () => {
    const many: FlatRule[] = Array.from({ length: FIVE_TUPLE_MAX_RULES + 1 }, (_, i) => ({ ...RULES[0], ruleId: `r${i}` }));
    const o = temp('bigpol');
    synthesize(inv, o, { policyRules: many });
    const g = resources(readStacks(o).get('policy')!, 'aws_networkfirewall_rule_group')[0][1] as { rule_group: { rules_source: { rules_string: string } } };
    const lines = g.rule_group.rules_source.rules_string.split('\n').filter(Boolean);
    expect(lines.length).toBe(many.length);
    expect(lines[0]).toBe('pass tcp 2001:db8::/32 any -> 3fff:100::/32 443 (msg:"r0"; sid:1; rev:1;)');
    expect(lines.map((l) => Number(/sid:(\d+);/.exec(l)![1]))).toEqual(many.map((_, i) => i + 1));
  });

  test('the local backend is explicit and relative', () => {
    for (const [name, tf] of stacks) expect(tf.terraform?.backend).toEqual({ local: { path: `../../../terraform.${name}.tfstate` } });
    for (const [, bytes] of readTree(out)) expect(bytes.toString('utf8')).not.toContain(process.cwd());
  });
});

describe('determinism and onboarding', () => {
  test('two synths of the same inventory are byte-identical, wherever they are written', () => {
    const inv = load(baseInventory());
    const a = temp('a');
    const b = path.join(temp('b'), 'deeper', 'out');
    synthesize(inv, a, { policyRules: RULES });
    synthesize(load(baseInventory()), b, { policyRules: RULES });
    const ta = readTree(a);
    const tb = readTree(b);
    expect([...ta.keys()]).toEqual([...tb.keys()]);
    for (const [k, v] of ta) expect(tb.get(k)!.equals(v)).toBe(true);
  });

  test('onboarding one gemeente adds its own stack and changes no other stack', () => {
    const before = temp('before');
    synthesize(load(baseInventory()), before, { policyRules: RULES });
    // A gemeente onboarded after the others, with a connection point in both zones and two /46s.
    const amsterdam: OrgSpec = { id: 'GM0363', kind: 'gemeente', name: 'Amsterdam', slot: 67, zones: ['overheid', 'markt'], publicAddress: '203.0.113.30', asn: 65004, categories: [0, 1], at: '2026-03-01T10:00:00Z' };
    const after = temp('after');
    const res = synthesize(load(baseInventory([...BASE_ORGS, amsterdam])), after, { policyRules: RULES });
    expect(res.stacks).toContain('org-GM0363');

    const tb = readTree(before);
    const ta = readTree(after);
    const changed = [...ta.keys()].filter((k) => k !== 'manifest.json' && !(tb.get(k) && tb.get(k)!.equals(ta.get(k)!)));
    expect(changed).toEqual(['stacks/org-GM0363/cdk.tf.json']);
    const d = diffSynthOutputs(before, after);
    expect([d.added, d.removed, d.changed]).toEqual([['org-GM0363'], [], []]);
    expect(d.unchanged).toContain('hub');
    expect([...tb.keys()].filter((k) => !ta.has(k))).toEqual([]);
    // The manifest only gains the new stack.
    const mb = JSON.parse(tb.get('manifest.json')!.toString()) as { stacks: Record<string, unknown> };
    const ma = JSON.parse(ta.get('manifest.json')!.toString()) as { stacks: Record<string, unknown> };
    delete ma.stacks['org-GM0363'];
    expect(ma).toEqual(mb);

    const stacks = readStacks(after);
    const { violations, attachments } = checkIsolation(stacks);
    expect(violations).toEqual([]);
    expect(checkTunnels(attachments)).toEqual([]);
    expect(ipamCidrs(stacks).get('GM0363')).toEqual([slotPrefix('gemeente', 67, 0), slotPrefix('gemeente', 67, 1)].sort());
  });

  test('with the real policy, onboarding a gemeente never touches the hub stack', () => {
    const policy = 'rules:\n  - { id: overheid-https, from: { zone: overheid }, to: { zone: overheid }, proto: tcp, ports: [443], action: allow, owner: test, reason: test }\n';
    const write = (orgs: OrgSpec[]): string => {
      const dir = baseInventory(orgs);
      fs.mkdirSync(path.join(dir, 'policy'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'policy', '10-base.yaml'), policy);
      return dir;
    };
    const before = temp('pol-before');
    const r1 = synthesize(load(write(BASE_ORGS)), before);
    expect(r1.stacks).toContain('policy');
    const after = temp('pol-after');
    const haarlem: OrgSpec = { id: 'GM0392', kind: 'gemeente', name: 'Haarlem', slot: 68, zones: ['overheid'], publicAddress: '203.0.113.40', asn: 65005, categories: [0], at: '2026-03-02T10:00:00Z' };
    synthesize(load(write([...BASE_ORGS, haarlem])), after);
    const tb = readTree(before);
    const ta = readTree(after);
    const changed = [...ta.keys()].filter((k) => k !== 'manifest.json' && !(tb.get(k) && tb.get(k)!.equals(ta.get(k)!)));
    // Its own stack, and the rule group that lists the zone's members; never the hub or another organisation.
    expect(changed.filter((k) => k !== 'stacks/policy/cdk.tf.json')).toEqual(['stacks/org-GM0392/cdk.tf.json']);
  });

  test('a removed organisation leaves no stale stack behind', () => {
    const out = temp('stale');
    synthesize(load(baseInventory()), out, { policyRules: RULES });
    const before = temp('stale-before');
    fs.cpSync(out, before, { recursive: true });
    // GM0626 leaves; Leiden's connection point drops markt (its stack changes).
    const orgs = BASE_ORGS.filter((o) => o.id !== 'GM0626').map((o) => (o.id === 'GM0546' ? { ...o, zones: ['overheid' as const] } : o));
    synthesize(load(baseInventory(orgs)), out, { policyRules: RULES });
    expect(fs.existsSync(path.join(out, 'stacks', 'org-GM0626'))).toBe(false);
    const d = diffSynthOutputs(before, out);
    expect([d.added, d.removed, d.changed]).toEqual([[], ['org-GM0626'], ['org-GM0546']]);
  });
});

describe('refusals are located validation errors, never raw exceptions', () => {
  function refusal(orgs: OrgSpec[], opts: { extraCloud?: string } = {}): ConstructValidationError {
    const inv = load(writeInventory(path.join(temp('bad'), 'inventory'), orgs, opts));
    try {
      synthesize(inv, temp('bad-out'), { policyRules: [] });
    } catch (e) {
      if (e instanceof ConstructValidationError) return e;
      throw e;
    }
    throw new Error('synthesize accepted the inventory');
  }

  test('an unsigned supplier is refused with a clear error at its ggiAfspraken', () => {
    const e = refusal([...BASE_ORGS, { id: 'LV0002', kind: 'leverancier', name: 'Ongetekend BV', slot: 2, zones: ['markt'], publicAddress: '198.51.100.8', asn: 65011, signed: false, categories: [1] }]);
    expect(e.code).toBe('CLOUD_SUPPLIER_UNSIGNED');
    expect(e.message).toMatch(/LV0002 has not signed the GGI agreements/);
    expect(e.loc?.file).toMatch(/LV0002\.yaml$/);
    expect(e.sub).toEqual(['ggiAfspraken']);
  });

  test('a supplier without any ggiAfspraken is refused too', () => {
    const e = refusal([{ id: 'LV0003', kind: 'leverancier', name: 'Zonder BV', slot: 3, zones: ['markt'], publicAddress: '198.51.100.9', asn: 65012, categories: [1] }]);
    expect(e.code).toBe('CLOUD_SUPPLIER_UNSIGNED');
  });

  test('a supplier asking for overheid is refused', () => {
    const e = refusal([{ id: 'LV0004', kind: 'leverancier', name: 'Te ver BV', slot: 4, zones: ['overheid', 'markt'], publicAddress: '198.51.100.10', asn: 65013, signed: true, categories: [1] }]);
    expect(e.code).toBe('CLOUD_SUPPLIER_ZONE');
  });

  test('a CE using the hub ASN is refused at its connection point', () => {
    const e = refusal([{ ...BASE_ORGS[0], asn: 64512 }]);
    expect(e.code).toBe('CLOUD_CGW_ASN');
    expect(e.sub).toEqual(['connectionPoint']);
  });

  test('a hub ASN AWS does not accept is refused at ggi.yaml cloud', () => {
    const inv = load(writeInventory(path.join(temp('asn'), 'inventory'), BASE_ORGS));
    const bad = { ...inv, settings: { ...inv.settings, cloud: { ...inv.settings.cloud!, hubAsn: 65535 } } };
    expect(() => synthesize(bad, temp('asn-out'), { policyRules: [] })).toThrow(/hub ASN 65535/);
  });

  test('a tunnel pool outside 169.254.0.0/16 is refused', () => {
    const e = refusal(BASE_ORGS, { extraCloud: '  tunnelInsidePool: 10.0.0.0/16\n' });
    expect(e.code).toBe('CLOUD_TUNNEL_POOL');
    expect(e.sub).toEqual(['cloud', 'tunnelInsidePool']);
  });
});

describe('backends from ggi.yaml', () => {
  function backendOf(extraCloud: string): Map<string, unknown> {
    const inv = load(writeInventory(path.join(temp('be'), 'inventory'), BASE_ORGS.slice(0, 2), { extraCloud }));
    const out = temp('be-out');
    synthesize(inv, out, { policyRules: [] });
    return new Map([...readStacks(out)].map(([k, v]) => [k, v.terraform?.backend]));
  }

  test('s3: one key per stack', () => {
    const b = backendOf('  backend: { type: s3, bucket: ggi-state, region: eu-central-1, dynamodbTable: ggi-locks }\n');
    expect(b.get('hub')).toEqual({ s3: { bucket: 'ggi-state', key: 'ggi/hub.tfstate', region: 'eu-central-1', encrypt: true, dynamodb_table: 'ggi-locks' } });
    expect((b.get('org-GM0546') as { s3: { key: string } }).s3.key).toBe('ggi/org-GM0546.tfstate');
  });

  test('pg: one schema per stack and never a connection string in the output', () => {
    const b = backendOf('  backend: { type: pg, connStrEnv: GGI_PG }\n');
    expect(b.get('hub')).toEqual({ pg: { schema_name: 'ggi_hub' } });
    expect(b.get('org-GM0546')).toEqual({ pg: { schema_name: 'ggi_org_gm0546' } });
  });
});
