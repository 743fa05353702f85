import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import type { VeiligDecl } from '../../src/model/schema/veilig';
import { activeDetectionRules, DETECTION_SID_BASE, detectionSids, detectionTable, hubDetectionAlerts, type DetectionRule } from '../../src/veilig/detection';
import { detectionLogPrefix, NFLOG_GROUP_DETECTION } from '../../src/veilig/nflog';
import { describeWith, need, unmet } from '../helpers/prereq';

type Decl = VeiligDecl['detection'][number];
const NOW = new Date('2026-12-06T12:00:00Z');
const base = { owner: 'soc', reason: 'test' };

const EXAMPLE: Decl[] = [
  { id: 'bekend-kwaadaardig', kind: 'destination', prefixes: ['198.51.100.250/32', '2001:db8:bad::/48'], ...base },
  { id: 'geen-telnet', kind: 'service', proto: 'tcp', ports: [23], ...base },
  { id: 'scan-of-flood', kind: 'rate', perSecond: 200, ...base },
];

/** Lines of the table that log with `id`'s prefix. */
const logLines = (table: string, id: string) => table.split('\n').filter((l) => l.includes(`prefix "${detectionLogPrefix(id)}"`));

/** Arbitrary detection rules with unique ids, some expired relative to NOW. */
const ruleArb: fc.Arbitrary<Decl> = fc.record({
  kind: fc.constantFrom('destination' as const, 'service' as const, 'rate' as const),
  prefixes: fc.option(fc.subarray(['192.0.2.0/25', '192.0.2.128/25', '198.51.100.7/32', '2001:db8:bad::/48', '2001:db8:bad:1::/64', '3fff:10::/32']), { nil: undefined }),
  proto: fc.option(fc.constantFrom('tcp' as const, 'udp' as const, 'icmp' as const, 'icmpv6' as const, 'any' as const), { nil: undefined }),
  ports: fc.option(fc.array(fc.oneof(fc.integer({ min: 1, max: 65535 }), fc.constant('6000-6063')), { minLength: 1, maxLength: 3 }), { nil: undefined }),
  perSecond: fc.integer({ min: 1, max: 100000 }),
  expires: fc.option(fc.constantFrom('2026-12-05', '2026-12-06', '2026-12-07', '2030-01-01'), { nil: undefined }),
}).map((r) => ({
  id: 'x',
  kind: r.kind,
  ...(r.kind === 'destination' ? { prefixes: r.prefixes?.length ? r.prefixes : ['203.0.113.9/32'] } : r.prefixes?.length ? { prefixes: r.prefixes } : {}),
  ...(r.kind === 'service' ? { proto: r.proto ?? 'udp' } : r.proto ? { proto: r.proto } : {}),
  ...(r.ports && (r.proto === 'tcp' || r.proto === 'udp' || (r.kind === 'service' && !r.proto)) ? { ports: r.ports } : {}),
  ...(r.kind === 'rate' ? { perSecond: r.perSecond } : {}),
  ...(r.expires ? { expires: r.expires } : {}),
  ...base,
}));
const rulesArb = fc.array(ruleArb, { minLength: 0, maxLength: 8 }).map((rs) => rs.map((r, i) => ({ ...r, id: `regel-${i}-${r.kind}` })));

describe('detection rules: which are in force', () => {
  test('a rule is in force through its expiry date and gone the day after (as validate warns)', () => {
    const rules: Decl[] = [
      { ...EXAMPLE[1], id: 'tot-gisteren', expires: '2026-12-05' },
      { ...EXAMPLE[1], id: 'tot-vandaag', expires: '2026-12-06' },
      { ...EXAMPLE[1], id: 'tot-morgen', expires: '2026-12-07' },
    ];
    expect(activeDetectionRules({ detection: rules }, NOW).map((r) => r.id)).toEqual(['tot-vandaag', 'tot-morgen']);
    expect(activeDetectionRules({ detection: rules }, new Date('2026-12-08T00:00:00Z'))).toEqual([]);
    expect(activeDetectionRules(null, NOW)).toEqual([]);
  });

  test('prefixes are aggregated per family; ports only with tcp or udp', () => {
    const [r] = activeDetectionRules({ detection: [{ id: 'a', kind: 'destination', prefixes: ['192.0.2.128/25', '2001:db8::/33', '192.0.2.0/25', '2001:db8:8000::/33'], proto: 'tcp', ports: [23, 23, '80-81'], ...base }] }, NOW);
    expect(r).toEqual({ id: 'a', kind: 'destination', ipv4: ['192.0.2.0/24'], ipv6: ['2001:db8::/32'], proto: 'tcp', ports: ['23', '80-81'] });
  });
});

describe('detection on the borders (packet filter)', () => {
  test('the example rules: named sets in both families, proto/port, per-source meters; every line logs to the detection group', () => {
    const t = detectionTable(activeDetectionRules({ detection: EXAMPLE }, NOW));
    expect(t).toContain('table inet ggi_veilig {');
    expect(t).toContain('type filter hook forward priority filter - 10; policy accept;');
    expect(t).toMatch(/set det-bekend-kwaadaardig_dst4 \{\n\t\ttype ipv4_addr\n\t\tflags interval\n\t\telements = \{ 198\.51\.100\.250\/32 \}/);
    expect(t).toMatch(/set det-bekend-kwaadaardig_dst6 \{\n\t\ttype ipv6_addr\n\t\tflags interval\n\t\telements = \{ 2001:db8:bad::\/48 \}/);
    expect(logLines(t, 'bekend-kwaadaardig')).toEqual([
      '\t\tct state new ip daddr @det-bekend-kwaadaardig_dst4 counter name "det-bekend-kwaadaardig" log group 2 prefix "ggi-det:bekend-kwaadaardig"',
      '\t\tct state new ip6 daddr @det-bekend-kwaadaardig_dst6 counter name "det-bekend-kwaadaardig" log group 2 prefix "ggi-det:bekend-kwaadaardig"',
    ]);
    expect(logLines(t, 'geen-telnet')).toEqual(['\t\tct state new meta l4proto tcp th dport 23 counter name "det-geen-telnet" log group 2 prefix "ggi-det:geen-telnet"']);
    expect(logLines(t, 'scan-of-flood')).toEqual([
      '\t\tct state new meta nfproto ipv4 update @det-scan-of-flood_src4 { ip saddr limit rate over 200/second } counter name "det-scan-of-flood" log group 2 prefix "ggi-det:scan-of-flood"',
      '\t\tct state new meta nfproto ipv6 update @det-scan-of-flood_src6 { ip6 saddr limit rate over 200/second } counter name "det-scan-of-flood" log group 2 prefix "ggi-det:scan-of-flood"',
    ]);
  });

  test('detection never decides: no verdict in the table, the chain accepts', () => {
    fc.assert(
      fc.property(rulesArb, (decls) => {
        const t = detectionTable(activeDetectionRules({ detection: decls }, NOW));
        const verdicts = t.split('\n').filter((l) => /\b(drop|reject|jump|goto|return|queue)\b/.test(l) || (/\baccept\b/.test(l) && !l.includes('policy accept;')));
        expect(verdicts).toEqual([]);
      }),
    );
  });

  test('property: every rule in force has exactly one counter and its log lines; expired rules appear nowhere', () => {
    fc.assert(
      fc.property(rulesArb, (decls) => {
        const active = activeDetectionRules({ detection: decls }, NOW);
        const t = detectionTable(active);
        for (const d of decls) {
          const expired = d.expires !== undefined && d.expires < '2026-12-06';
          const counters = t.split('\n').filter((l) => l === `\tcounter det-${d.id} {`);
          if (expired) {
            expect(t).not.toContain(d.id);
            continue;
          }
          expect(counters).toHaveLength(1);
          const lines = logLines(t, d.id);
          // icmp to IPv6 prefixes only (or icmpv6 to IPv4) can never match: validate refuses it; the table has no line.
          const never = (d.proto === 'icmp' && !d.prefixes?.some((p) => !p.includes(':')) && Boolean(d.prefixes)) || (d.proto === 'icmpv6' && !d.prefixes?.some((p) => p.includes(':')) && Boolean(d.prefixes));
          expect(lines.length >= 1).toBe(!never);
          for (const l of lines) {
            expect(l).toContain(`counter name "det-${d.id}" log group ${NFLOG_GROUP_DETECTION} prefix`);
            if (d.kind === 'rate') expect(l).toContain(`limit rate over ${d.perSecond}/second`);
          }
        }
        // Nothing else logs.
        const logging = t.split('\n').filter((l) => l.includes(' log '));
        expect(logging.length).toBe(active.reduce((n, r) => n + logLines(t, r.id).length, 0));
      }),
    );
  });
});

describe('detection on the cloud hub (Suricata)', () => {
  test('the example rules as alert rules naming the rule', () => {
    const a = hubDetectionAlerts(activeDetectionRules({ detection: EXAMPLE }, NOW));
    const sid = detectionSids(EXAMPLE.map((r) => r.id));
    expect(a.map((x) => x.text)).toEqual([
      `alert ip any any -> [198.51.100.250/32,2001:db8:bad::/48] any (msg:"ggi-det:bekend-kwaadaardig"; flow:to_server,not_established; sid:${sid.get('bekend-kwaadaardig')}; rev:1;)`,
      `alert tcp any any -> any 23 (msg:"ggi-det:geen-telnet"; flow:to_server,not_established; sid:${sid.get('geen-telnet')}; rev:1;)`,
      `alert ip any any -> any any (msg:"ggi-det:scan-of-flood"; flow:to_server,not_established; detection_filter:track by_src, count 200, seconds 1; sid:${sid.get('scan-of-flood')}; rev:1;)`,
    ]);
  });

  test('property: sids are unique, above the policy range, and a rule keeps its sid when others come and go', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.stringMatching(/^[a-z0-9]{1,8}(-[a-z0-9]{1,8}){0,2}$/), { minLength: 1, maxLength: 30 }), fc.nat(), (ids, k) => {
        const all = detectionSids(ids);
        expect(new Set(all.values()).size).toBe(ids.length);
        for (const s of all.values()) expect(s).toBeGreaterThanOrEqual(DETECTION_SID_BASE);
        const kept = ids.filter((_, i) => i !== k % ids.length);
        const fewer = detectionSids(kept);
        // Without a hash collision (which the arbitrary ids essentially never have), nothing moves.
        const collisions = new Set([...all.values()].map((s) => s)).size !== ids.length;
        if (!collisions) for (const id of kept) expect(fewer.get(id)).toBe(all.get(id));
      }),
    );
  });

  test('property: one alert per rule in force, its msg the rule id, expired rules absent', () => {
    fc.assert(
      fc.property(rulesArb, (decls) => {
        const alerts = hubDetectionAlerts(activeDetectionRules({ detection: decls }, NOW));
        const live = decls.filter((d) => !(d.expires !== undefined && d.expires < '2026-12-06'));
        expect(alerts.map((a) => a.ruleId)).toEqual(live.map((d) => d.id));
        for (const a of alerts) {
          expect(a.text.match(/msg:"([^"]*)"/)?.[1]).toBe(detectionLogPrefix(a.ruleId));
          expect(a.text).toMatch(/^alert (tcp|udp|ip) any any -> \S+ \S+ \(.*; sid:\d+; rev:1;\)$/);
        }
      }),
    );
  });
});

/** Runs `nft -c -f` on `text` in a new network namespace (root; nothing of the machine's ruleset is touched). */
function nftCheck(text: string): { ok: boolean; err: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ggi-det-'));
  try {
    const f = path.join(dir, 'ruleset.nft');
    fs.writeFileSync(f, text);
    const r = spawnSync('unshare', ['--net', 'nft', '-c', '-f', f], { encoding: 'utf8' });
    return { ok: r.status === 0, err: `${r.stderr}${r.error ? String(r.error) : ''}` };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describeWith(unmet(need.root('root (a network namespace for nft -c)'), need.command('nft', 'nftables'), need.command('unshare', 'util-linux')), 'detection table: nft -c accepts it', () => {
  test('the example rules and rules of every shape', () => {
    const shapes: Decl[] = [
      ...EXAMPLE,
      { id: 'udp-poorten', kind: 'service', proto: 'udp', ports: [69, '6000-6063'], ...base },
      { id: 'ping6', kind: 'service', proto: 'icmpv6', ...base },
      { id: 'ping4-naar', kind: 'destination', proto: 'icmp', prefixes: ['192.0.2.0/24'], ...base },
      { id: 'syn-scan', kind: 'rate', proto: 'tcp', ports: [22, 3389], prefixes: ['198.51.100.0/24', '2001:db8::/32'], perSecond: 20, ...base },
      { id: 'v6-alleen', kind: 'rate', perSecond: 5, prefixes: ['3fff::/20'], ...base },
      // Ids the grammar would refuse as names: a leading digit, keywords.
      { id: '23', kind: 'service', proto: 'tcp', ports: [23], ...base },
      { id: 'counter', kind: 'destination', prefixes: ['192.0.2.1/32'], ...base },
      { id: 'drop', kind: 'rate', perSecond: 9, ...base },
    ];
    const r = nftCheck(detectionTable(activeDetectionRules({ detection: shapes }, NOW)));
    expect(r.err).toBe('');
    expect(r.ok).toBe(true);
  });

  test('no rules in force: an empty chain, still valid', () => {
    expect(nftCheck(detectionTable([] as DetectionRule[])).ok).toBe(true);
  });
});
