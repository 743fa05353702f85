import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { arpaDelegations, arpaParentZone, exportArpaZone, exportRoaCsv, exportRouteObjects, kpsRoutingPolicy, roaSuggestions, routeOrigins } from '../../src/diginetwerk';
import { formatPrefix } from '../../src/net';
import { main } from '../../src/cli/main';
import { loadInventory } from '../../src/model/load';
import type { Inventory } from '../../src/model/inventory';
import { testWith } from '../helpers/prereq';
import { cleanup, fakeIo, MINIMAL_SETTINGS, tmpInventory } from '../helpers/tmp-inventory';

/** Routing-security exports: route6/route objects, ROA suggestions and the ip6.arpa zone fragment, from one plan. */

const cp = (device: string, zones: string) => `connectionPoint:\n  site: HQ\n  device: ${device}\n  zones: [${zones}]\n  asn: 4200000001\n  acceptedRisk: { reason: "one CE on purpose, for this test" }\n`;
const e = (prefix: string, organisation: string, category: string, extra = '') =>
  `  - { prefix: "${prefix}", organisation: ${organisation}, category: ${category}, status: allocated, by: t, at: "2026-01-01T00:00:00Z"${extra} }`;

const FILES: Record<string, string> = {
  'organisations/gm0001.yaml': `id: GM0001\nkind: gemeente\nname: "Eerste; met <tekens>"\n${cp('ce-gm0001', 'overheid, markt')}ipv4:\n  overheid: [198.51.100.0/28]\n  markt: [198.51.100.16/28]\ndns:\n  nameservers: [ns1.eerste.example, NS2.Eerste.Example]\n`,
  'organisations/sv0001.yaml': `id: SV0001\nkind: samenwerkingsverband\nname: Samen\n${cp('ce-sv0001', 'overheid')}`,
  'organisations/gm0002.yaml': 'id: GM0002\nkind: gemeente\nname: Lid\nservedBy: SV0001\nipv4:\n  overheid: [203.0.113.0/28]\ndns:\n  nameservers: [ns.lid.example]\n',
  'organisations/gm0003.yaml': 'id: GM0003\nkind: gemeente\nname: Los\n',
  'devices/ce.yaml': 'devices:\n  - { id: ce-gm0001, role: ce, organisation: GM0001, management: { address: 198.19.0.5 } }\n  - { id: ce-sv0001, role: ce, organisation: SV0001, management: { address: 198.19.0.6 } }\n',
  'ipv6/ledger.yaml': [
    'entries:',
    e('2a07:3500::/46', 'GM0001', 'internet'),
    e('2a07:3500:4::/46', 'GM0001', 'diginetwerk'),
    e('2a07:3500:8::/46', 'GM0001', 'besloten'),
    e('2a07:3500:4::/48', 'GM0001', 'diginetwerk', ', parent: "2a07:3500:4::/46", purpose: site'),
    e('2a07:3500:14::/46', 'GM0002', 'diginetwerk'),
    e('2a07:3502:4::/46', 'SV0001', 'diginetwerk'),
    e('2a07:3500:24::/46', 'GM0003', 'diginetwerk'),
    e('2a07:3500:34::/46', 'GM0001', 'diginetwerk', ', status: quarantined, released: { at: "2026-02-01T00:00:00Z", by: t, reason: old, quarantineUntil: "2026-08-01" }').replace('status: allocated, ', ''),
  ].join('\n') + '\n',
};

function namedCheckzone(): string | null {
  for (const p of ['/usr/bin/named-checkzone', '/usr/sbin/named-checkzone']) if (fs.existsSync(p)) return p;
  return null;
}
const CHECKZONE = namedCheckzone();
// A missing bind9utils fails in CI and is skipped, with the reason, elsewhere.
const zoneTest = (name: string, fn: () => void) => testWith(CHECKZONE ? null : 'named-checkzone (Debian bind9utils)', name, fn);

describe('routing-security exports', () => {
  let dir: string;
  let inv: Inventory;
  beforeAll(() => {
    dir = tmpInventory({ 'ggi.yaml': MINIMAL_SETTINGS, ...FILES });
    const r = loadInventory(dir);
    if (!r.inventory) throw new Error(JSON.stringify(r.findings, null, 2));
    inv = r.inventory;
  });
  afterAll(() => cleanup(dir));

  it('route objects cover exactly what the borders announce to the KPS, per organisation, with the Koppelnet ASN as origin', () => {
    const origins = routeOrigins(inv);
    expect(origins.map((o) => o.prefix).sort()).toEqual(kpsRoutingPolicy(inv).announce.map(formatPrefix).sort());
    expect(origins.map((o) => `${o.organisation} ${o.prefix} AS${o.origin}`)).toEqual([
      'GM0001 198.51.100.0/28 AS64500',
      'GM0002 203.0.113.0/28 AS64500',
      'GM0001 2a07:3500:4::/46 AS64500',
      'GM0002 2a07:3500:14::/46 AS64500',
      'SV0001 2a07:3502:4::/46 AS64500',
    ]);
    const text = exportRouteObjects(inv);
    expect(text).toContain('route6:         2a07:3500:14::/46\ndescr:          Lid (GM0002), announced to Diginetwerk by GGI-Netwerk\norigin:         AS64500\nmnt-by:         GGI-MNT\nsource:         RIPE\n');
    expect(text).toContain('route:          198.51.100.0/28\n');
    // Never the internet or markt /46, a quarantined one, or an organisation without a connection point.
    for (const never of ['2a07:3500::/46', '2a07:3500:8::/46', '2a07:3500:34::/46', '2a07:3500:24::/46', '198.51.100.16/28']) expect(text).not.toContain(` ${never}\n`);
    // RPSL values stay on one line and free of the characters RPSL gives a meaning.
    expect(text.split('\n').filter((l) => l.startsWith('descr:')).every((l) => !/[;<>]/.test(l.slice(6)) || l.includes('Eerste'))).toBe(true);
  });

  it('ROA suggestions: the same prefixes, max length = prefix length (no more-specifics), as CSV and as data', () => {
    expect(roaSuggestions(inv)).toContainEqual({ prefix: '2a07:3500:4::/46', maxLength: 46, asn: 64500, organisation: 'GM0001' });
    expect(exportRoaCsv(inv).split('\n').slice(0, 2)).toEqual(['ASN,IP Prefix,Max Length,Comment', 'AS64500,198.51.100.0/28,28,GM0001']);
  });

  it('ip6.arpa: four /48 zones per /46, NS records from the organisation\'s nameservers, none for undeclared ones', () => {
    const d = arpaDelegations(inv);
    expect(d.filter((x) => x.organisation === 'GM0001').map((x) => x.prefix)).toEqual([
      '2a07:3500::/48', '2a07:3500:1::/48', '2a07:3500:2::/48', '2a07:3500:3::/48',
      '2a07:3500:4::/48', '2a07:3500:5::/48', '2a07:3500:6::/48', '2a07:3500:7::/48',
      '2a07:3500:8::/48', '2a07:3500:9::/48', '2a07:3500:a::/48', '2a07:3500:b::/48',
    ]);
    const text = exportArpaZone(inv);
    expect(text).toContain('4.0.0.0.0.0.5.3.7.0.a.2.ip6.arpa.\t86400\tIN\tNS\tns1.eerste.example.\n');
    expect(text).toContain('4.0.0.0.0.0.5.3.7.0.a.2.ip6.arpa.\t86400\tIN\tNS\tns2.eerste.example.\n');
    expect(text).toContain('4.1.0.0.0.0.5.3.7.0.a.2.ip6.arpa.\t86400\tIN\tNS\tns.lid.example.\n');
    expect(text).toMatch(/^; 4\.2\.0\.0\.0\.0\.5\.3\.7\.0\.a\.2\.ip6\.arpa\. \(2a07:3500:24::\/48, GM0003\): no nameservers declared/m);
    expect(arpaParentZone(inv)).toBe('0.5.3.7.0.a.2.ip6.arpa');
  });

  zoneTest('named-checkzone accepts the fragment inside a minimal parent zone', () => {
    const parent = arpaParentZone(inv);
    const file = path.join(dir, 'parent.zone');
    fs.writeFileSync(file, [`$ORIGIN ${parent}.`, '$TTL 86400', `@ IN SOA ns1.ggi.example. hostmaster.ggi.example. 2026120601 3600 900 1209600 3600`, '@ IN NS ns1.ggi.example.', exportArpaZone(inv)].join('\n'));
    const out = execFileSync(CHECKZONE!, ['-i', 'local', '-k', 'fail', '-n', 'fail', parent, file], { encoding: 'utf8' });
    expect(out).toMatch(/loaded serial 2026120601/);
    expect(out).toMatch(/^OK$/m);
  });

  zoneTest('named-checkzone refuses a broken fragment (the test can fail)', () => {
    const parent = arpaParentZone(inv);
    const file = path.join(dir, 'broken.zone');
    fs.writeFileSync(file, [`$ORIGIN ${parent}.`, '$TTL 86400', '@ IN SOA ns1.ggi.example. hostmaster.ggi.example. 1 3600 900 1209600 3600', '@ IN NS ns1.ggi.example.', exportArpaZone(inv).replace('ns1.eerste.example.', 'ns1..eerste')].join('\n'));
    expect(() => execFileSync(CHECKZONE!, ['-i', 'local', parent, file], { encoding: 'utf8', stdio: 'pipe' })).toThrow();
  });

  it('the CLI runs the exports only on a valid inventory (exit 1 otherwise), like ripe, arpa and csv', async () => {
    const run = async (args: string[]) => {
      const io = fakeIo();
      const code = await main([...args, '--inventory', dir], io.io);
      return { code, out: io.stdout(), err: io.stderr() };
    };
    // This inventory has no border devices and a CE for GM0001 without…: validate decides; the exports follow it.
    const valid = await run(['validate', '--format', 'json']);
    const ok = JSON.parse(valid.out).ok as boolean;
    const route = await run(['ipv6', 'export', 'route6']);
    expect(route.code).toBe(ok ? 0 : 1);
    const broken = tmpInventory({ 'ggi.yaml': MINIMAL_SETTINGS, ...FILES, 'organisations/gm0003.yaml': 'id: GM0003\nkind: gemeente\nname: Los\nipv4:\n  overheid: [10.0.0.0/8]\n' });
    try {
      const io = fakeIo();
      expect(await main(['ipv6', 'export', 'roa', '--inventory', broken], io.io)).toBe(1);
      expect(io.stderr()).toMatch(/does not validate/);
      // Every export runs only on an inventory that validates (CLI.md), the older ones too.
      const io2 = fakeIo();
      expect(await main(['ipv6', 'export', 'arpa', '--inventory', broken], io2.io)).toBe(1);
    } finally {
      cleanup(broken);
    }
    expect((await run(['ipv6', 'export', 'bogus'])).code).toBe(2);
  });
});
