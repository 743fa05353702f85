import { buildDhcpIntents, subnetId } from '../../src/intent/dhcp';
import { buildIntents } from '../../src/intent';
import { validateInventory } from '../../src/validation';
import { cleanup, tmpInventory } from '../helpers/tmp-inventory';
import { loadFiles } from '../intent/fixture';
import { gm0001, keaFiles, LEDGER, VISITOR_V6 } from './kea-fixture';

function codes(files: Record<string, string>): string[] {
  const inv = loadFiles(files);
  return buildDhcpIntents(inv).findings.map((f) => `${f.code}: ${f.message}`);
}

describe('DHCP intents from the inventory', () => {
  it('the fixture validates, and the appliance serves the visitor segment: IPv4 pool as declared, IPv6 from the ledger /64', () => {
    const dir = tmpInventory(keaFiles());
    try {
      const v = validateInventory(dir, { now: new Date('2026-11-23T12:00:00Z') });
      // The shared fixture's invented gemeente code and unpinned CE are known; nothing else may fail (ledger, policy, DHCP).
      const known = new Set(['GEMEENTE_CODE_UNKNOWN', 'DEVICE_HOST_KEY_MISSING']);
      expect(v.findings.filter((f) => f.severity === 'error' && !known.has(f.code)).map((f) => `${f.code} ${f.message}`)).toEqual([]);
    } finally {
      cleanup(dir);
    }
    const inv = loadFiles(keaFiles());
    const { intents, findings } = buildDhcpIntents(inv);
    expect(findings).toEqual([]);
    expect(intents).toHaveLength(1);
    const d = intents[0];
    expect(d).toMatchObject({ id: 'dhcp-gm0001', organisation: 'GM0001', management: { address: '198.19.0.60', port: 8000, user: 'ggi', password: { env: 'GGI_KEA_PASSWORD_GM0001' } } });
    expect(d.subnets).toEqual([
      {
        id: subnetId('GM0001', 'govroam-visitor', 4),
        organisation: 'GM0001',
        segment: 'govroam-visitor',
        interface: expect.stringMatching(/^s-gm0001-/),
        vlan: 300,
        family: 4,
        subnet: '203.0.113.64/29',
        pool: { first: '203.0.113.66', last: '203.0.113.69' },
        router: '203.0.113.65',
        serverAddress: '203.0.113.70/29',
      },
      {
        id: subnetId('GM0001', 'govroam-visitor', 6),
        organisation: 'GM0001',
        segment: 'govroam-visitor',
        interface: d.subnets[0].interface,
        vlan: 300,
        family: 6,
        subnet: VISITOR_V6,
        pool: { first: '2a07:3500:2004:100::1000', last: '2a07:3500:2004:100::1fff' },
      },
    ]);
    expect(d.subnets[0].interface.length).toBeLessThanOrEqual(15);
    expect(d.subnets[0].interface.startsWith('s-')).toBe(true);
    // The appliance's intent is what it serves (no routing, no packet filter); the CE still has its visitor LAN.
    const built = buildIntents(inv);
    const appliance = built.intents.find((i) => i.id === 'dhcp-gm0001')!;
    expect(appliance).toMatchObject({ role: 'dhcp', platform: 'kea' });
    expect(appliance.bgp).toBeUndefined();
    expect(appliance.filter).toBeUndefined();
    expect(appliance.dhcp!.subnets).toEqual(buildDhcpIntents(inv).intents.find((i) => i.id === 'dhcp-gm0001')!.subnets);
    expect(built.intents.find((i) => i.id === 'ce-gm0001')!.interfaces.some((i) => i.segment === 'govroam-visitor' && i.addresses.includes('203.0.113.65/29'))).toBe(true);
  });

  it('sees pools through the lab profile like every other address', () => {
    const inv = loadFiles(keaFiles(), 'lab');
    const v6 = buildDhcpIntents(inv).intents[0].subnets.find((s) => s.family === 6)!;
    expect(v6.subnet).toBe('3fff:500:2004:100::/64');
    expect(v6.pool.first).toBe('3fff:500:2004:100::1000');
  });

  it('refuses pools outside the segment, reversed, or over the router or the server address', () => {
    const pool = (first: string, last: string) => keaFiles({ 'organisations/gm0001.yaml': gm0001(`{ server: dhcp-gm0001, ipv4Pool: { first: ${first}, last: ${last} } }`) });
    expect(codes(pool('203.0.113.66', '203.0.113.80'))).toEqual([expect.stringMatching(/^DHCP_POOL: .*is not inside 203\.0\.113\.64\/29/)]);
    expect(codes(pool('203.0.113.69', '203.0.113.66'))).toEqual([expect.stringMatching(/^DHCP_POOL: .*ends before it starts/)]);
    expect(codes(pool('203.0.113.65', '203.0.113.68'))).toEqual([expect.stringMatching(/^DHCP_POOL: .*includes 203\.0\.113\.65, which the router uses/)]);
    expect(codes(pool('203.0.113.66', '203.0.113.70'))).toEqual([expect.stringMatching(/^DHCP_POOL: .*includes 203\.0\.113\.70, which the DHCP appliance uses/)]);
    expect(codes(pool('203.0.113.64', '203.0.113.66'))).toEqual([expect.stringMatching(/^DHCP_POOL: .*network or broadcast/)]);
    expect(codes(keaFiles({ 'organisations/gm0001.yaml': gm0001('{ server: dhcp-gm0001 }') }))).toEqual([expect.stringMatching(/^DHCP_POOL: .*declares no ipv4Pool/)]);
  });

  it('refuses a server that is not an appliance, and an appliance without the dhcp role', () => {
    expect(codes(keaFiles({ 'organisations/gm0001.yaml': gm0001('{ server: nope, ipv4Pool: { first: 203.0.113.66, last: 203.0.113.69 } }') }))).toEqual([expect.stringMatching(/^UNKNOWN_REFERENCE: .*no device 'nope'/)]);
    expect(codes(keaFiles({ 'organisations/gm0001.yaml': gm0001('{ server: ce-gm0001, ipv4Pool: { first: 203.0.113.66, last: 203.0.113.69 } }') }))).toEqual([expect.stringMatching(/^DHCP_SERVER: .*'ce-gm0001' is a ce \(platform linux-frr\), not a DHCP appliance/)]);
    const wrongRole = gm0001().replace('role: dhcp', 'role: radius');
    expect(codes(keaFiles({ 'organisations/gm0001.yaml': wrongRole }))).toContainEqual(expect.stringMatching(/^DHCP_APPLIANCE: device 'dhcp-gm0001' has role radius and platform kea/));
  });

  it('serves IPv6 only from a /64 that the ledger allocates to the organisation', () => {
    const without = LEDGER.split('\n').filter((l) => !l.includes(VISITOR_V6)).join('\n');
    expect(codes(keaFiles({ 'ipv6/ledger.yaml': without }))).toEqual([expect.stringMatching(/^DHCP_IPV6_LEDGER: .*must be a \/64 allocated to GM0001 in the ledger/)]);
    const quarantined = LEDGER.replace(
      `status: allocated, parent: "2a07:3500:2004::/46"`,
      `status: quarantined, released: { at: "2026-02-01T00:00:00Z", by: test, reason: test, quarantineUntil: 2026-08-01 }, parent: "2a07:3500:2004::/46"`,
    );
    expect(quarantined).not.toBe(LEDGER);
    expect(codes(keaFiles({ 'ipv6/ledger.yaml': quarantined }))).toEqual([expect.stringMatching(/^DHCP_IPV6_LEDGER/)]);
  });
});
