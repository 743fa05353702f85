import { formatPrefix } from '../../src/net';
import { ceAnnouncements, checkDiginetwerk, kpsRoutingPolicy } from '../../src/diginetwerk';
import { addressesInZone, activePrefixes, zoneOfCategory } from '../../src/ipv6';
import { loadInventory } from '../../src/model/load';
import type { Inventory } from '../../src/model/inventory';
import { cleanup, MINIMAL_SETTINGS, tmpInventory } from '../helpers/tmp-inventory';

const cp = (device: string, zones: string) => `connectionPoint:\n  site: HQ\n  device: ${device}\n  zones: [${zones}]\n  asn: 4200000001\n`;
const e = (prefix: string, organisation: string, category: string, extra = '') =>
  `  - { prefix: "${prefix}", organisation: ${organisation}, category: ${category}, status: allocated, by: t, at: "2026-01-01T00:00:00Z"${extra} }`;

const FILES: Record<string, string> = {
  'organisations/gm0001.yaml': `id: GM0001\nkind: gemeente\nname: Eerste\n${cp('ce-gm0001', 'overheid, markt')}ipv4:\n  overheid: [198.51.100.0/28]\n  markt: [198.51.100.16/28]\n`,
  'organisations/sv0001.yaml': `id: SV0001\nkind: samenwerkingsverband\nname: Samen\n${cp('ce-sv0001', 'overheid')}`,
  'organisations/gm0002.yaml': 'id: GM0002\nkind: gemeente\nname: Lid\nservedBy: SV0001\nipv4:\n  overheid: [203.0.113.0/28]\n',
  'organisations/gm0003.yaml': 'id: GM0003\nkind: gemeente\nname: Los\nipv4:\n  overheid: [192.168.1.0/24]\n',
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
  'services/kps.yaml': [
    'services:',
    '  - { name: brp, zone: overheid, provider: kps, prefixes: ["192.0.2.0/28", "2001:db8:1::/48"], digikoppeling: true, listens: [{ proto: tcp, ports: [443] }] }',
    '  - { name: private, zone: overheid, provider: kps, prefixes: ["10.0.0.0/8", "fd00::/8"] }',
    '  - { name: everything, zone: overheid, provider: kps, prefixes: ["::/0"] }',
  ].join('\n') + '\n',
  'policy/10-rules.yaml': [
    'rules:',
    '  - { id: brp-ok, from: { zone: overheid }, to: { services: [brp] }, proto: tcp, ports: [443], action: allow, owner: o, reason: r }',
    '  - { id: brp-extra-port, from: { zone: overheid }, to: { services: [brp] }, proto: tcp, ports: [443, "8000-8080"], action: allow, owner: o, reason: r }',
    '  - { id: brp-any, from: { zone: overheid }, to: { services: [brp] }, proto: any, action: allow, owner: o, reason: r }',
    '  - { id: brp-deny, from: { zone: overheid }, to: { services: [brp] }, proto: udp, action: deny, owner: o, reason: r }',
  ].join('\n') + '\n',
};

describe('diginetwerk', () => {
  let dir: string;
  let inv: Inventory;
  beforeAll(() => {
    dir = tmpInventory({ 'ggi.yaml': MINIMAL_SETTINGS, ...FILES });
    const r = loadInventory(dir);
    if (!r.inventory) throw new Error(JSON.stringify(r.findings, null, 2));
    inv = r.inventory;
  });
  afterAll(() => cleanup(dir));
  const fmt = (ps: { family: 4 | 6; addr: bigint; len: number }[]) => ps.map(formatPrefix);

  it('address helpers: active prefixes, zone of a category, addresses in a zone (allocations only, aggregated)', () => {
    expect(activePrefixes(inv, 'GM0001').map((a) => `${a.category} ${formatPrefix(a.prefix)}`)).toEqual([
      'internet 2a07:3500::/46',
      'diginetwerk 2a07:3500:4::/46',
      'besloten 2a07:3500:8::/46',
      'diginetwerk 2a07:3500:4::/48',
    ]);
    expect(zoneOfCategory(inv, 'diginetwerk')).toBe('overheid');
    expect(zoneOfCategory(inv, 'besloten')).toBe('markt');
    expect(zoneOfCategory(inv, 'internet')).toBeNull();
    expect(fmt(addressesInZone(inv, 'GM0001', 'overheid'))).toEqual(['198.51.100.0/28', '2a07:3500:4::/46']);
    expect(fmt(addressesInZone(inv, 'GM0001', 'markt'))).toEqual(['198.51.100.16/28', '2a07:3500:8::/46']);
    expect(addressesInZone(inv, 'GM0009', 'markt')).toEqual([]);
  });

  it('announces to the KPS only registered overheid addresses of organisations in the overheid zone; accepts only service prefixes', () => {
    const k = kpsRoutingPolicy(inv);
    expect(fmt(k.announce)).toEqual(['198.51.100.0/28', '203.0.113.0/28', '2a07:3500:4::/46', '2a07:3500:14::/46', '2a07:3502:4::/46']);
    // Never the internet or markt /46, never GM0003 (no connection point), never a quarantined prefix.
    expect(fmt(k.accept)).toEqual(['192.0.2.0/28', '2001:db8:1::/48']);
    expect(k).toMatchObject({ maxPrefixIn: 1000, maxPrefixOut: 5000, allowDefaultRoute: false });
  });

  it('a CE announces its own and, for a samenwerkingsverband, its members\' addresses, only into zones it joins', () => {
    expect(fmt(ceAnnouncements(inv, 'SV0001', 'overheid'))).toEqual(['203.0.113.0/28', '2a07:3500:14::/46', '2a07:3502:4::/46']);
    expect(ceAnnouncements(inv, 'SV0001', 'markt')).toEqual([]);
    expect(fmt(ceAnnouncements(inv, 'GM0001', 'markt'))).toEqual(['198.51.100.16/28', '2a07:3500:8::/46']);
    expect(ceAnnouncements(inv, 'GM0003', 'overheid')).toEqual([]);
    expect(ceAnnouncements(inv, 'GM0002', 'overheid')).toEqual([]); // served: its CE is the samenwerkingsverband's
  });

  it('checks private addresses, default routes and Digikoppeling ports, located at the node', () => {
    const f = checkDiginetwerk(inv);
    const got = f.map((x) => `${x.severity} ${x.code} ${x.file.split('/').slice(-2).join('/')}:${x.line}`).sort();
    expect(got).toEqual([
      'error DIGINETWERK_DEFAULT_ROUTE services/kps.yaml:4',
      'error DIGINETWERK_PRIVATE_ADDRESS organisations/gm0003.yaml:5',
      'error DIGINETWERK_PRIVATE_ADDRESS services/kps.yaml:3',
      'error DIGINETWERK_PRIVATE_ADDRESS services/kps.yaml:3',
      'warning DIGIKOPPELING_PORT policy/10-rules.yaml:3',
      'warning DIGIKOPPELING_PORT policy/10-rules.yaml:4',
    ]);
    expect(f.find((x) => x.code === 'DIGINETWERK_PRIVATE_ADDRESS' && x.message.includes('10.0.0.0/8'))!.message).toMatch(/RFC 1918/);
  });

  it('documentation and benchmarking ranges count as registered space (the example and the lab use them)', () => {
    const lab = loadInventory(dir, { profile: 'lab' }).inventory!;
    expect(checkDiginetwerk(lab).filter((x) => x.code === 'DIGINETWERK_PRIVATE_ADDRESS')).toHaveLength(3);
    expect(fmt(kpsRoutingPolicy(lab).announce)).toContain('3fff:500:4::/46');
  });
});
