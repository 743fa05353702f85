import { synthScope } from '../../src/constructs/testing';
import { GgiHub } from '../../src/constructs/hub';
import { ConnectionPoint } from '../../src/constructs/connection-point';
import { MarketSupplier } from '../../src/constructs/market-supplier';
import { Ipv6OrganisationPool, Ipv6Plan } from '../../src/constructs/ipv6-plan';
import { ConstructValidationError } from '../../src/constructs/errors';
import { allocateTunnels } from '../../src/constructs/tunnels';
import type { Zone } from '../../src/constructs/names';
import { checkIsolation, checkTunnels } from './invariants';
import type { TfJson } from './fixture';

const tunnels = (org: string, zones: Zone[]) => allocateTunnels('169.254.0.0/16', [{ organisation: org, zones, onboardedAt: 0 }]).get(org)!;

function refused(build: Parameters<typeof synthScope>[0]): ConstructValidationError {
  try {
    synthScope(build);
  } catch (e) {
    if (e instanceof ConstructValidationError) return e;
    throw e;
  }
  throw new Error('the construct accepted its props');
}

describe('GgiHub + ConnectionPoint in one stack', () => {
  const tf = synthScope((s) => {
    const hub = new GgiHub(s, 'hub', { amazonSideAsn: 64512 });
    new ConnectionPoint(s, 'gm0546', { organisation: 'GM0546', publicAddress: '203.0.113.10', asn: 65001, zones: ['overheid', 'markt'], tunnels: tunnels('GM0546', ['overheid', 'markt']), hub, hubAsn: 64512 });
    new MarketSupplier(s, 'lv0001', { organisation: 'LV0001', ggiAfsprakenSigned: true, zones: ['markt'], publicAddress: '198.51.100.7', asn: 65010, tunnels: tunnels('LV0001', ['markt']), hub });
  }) as TfJson;

  test('every attachment is associated with and propagates to exactly its zone table (direct references)', () => {
    const { violations, attachments } = checkIsolation(new Map([['hub', tf]]));
    expect(violations).toEqual([]);
    expect(attachments.map((a) => `${a.organisation}:${a.zone}`).sort()).toEqual(['GM0546:markt', 'GM0546:overheid', 'LV0001:markt']);
  });

  test('the 4-byte ASN of a CE goes in bgp_asn_extended', () => {
    const t = synthScope((s) => {
      const hub = new GgiHub(s, 'hub', { amazonSideAsn: 4200000000 });
      new ConnectionPoint(s, 'cp', { organisation: 'GM0001', publicAddress: '203.0.113.1', asn: 4200000001, zones: ['overheid'], tunnels: tunnels('GM0001', ['overheid']), hub });
    }) as TfJson;
    const cgw = Object.values(t.resource!.aws_customer_gateway)[0];
    expect(cgw.bgp_asn_extended).toBe('4200000001');
    expect(cgw.bgp_asn).toBeUndefined();
  });

  test('the isolation checker itself catches a cross-zone propagation', () => {
    // Guard against a checker that cannot fail: wire a markt VPN into the overheid table by hand.
    const broken = JSON.parse(JSON.stringify(tf)) as TfJson;
    const props = broken.resource!.aws_ec2_transit_gateway_route_table_propagation;
    const marktProp = Object.entries(props).find(([id]) => id.includes('prop-markt'))!;
    const overheidTable = Object.keys(broken.resource!.aws_ec2_transit_gateway_route_table).find((id) => id.includes('overheid'))!;
    marktProp[1].transit_gateway_route_table_id = `\${aws_ec2_transit_gateway_route_table.${overheidTable}.id}`;
    expect(checkIsolation(new Map([['hub', broken]])).violations.join('\n')).toMatch(/propagates to \[overheid\]/);
    expect(checkTunnels([{ stack: 'a', vpn: 'x', zone: 'markt', organisation: 'A', tunnels: ['169.254.0.0/30', '169.254.9.0/30'] }, { stack: 'b', vpn: 'y', zone: 'markt', organisation: 'B', tunnels: ['169.254.9.0/30', '10.0.0.0/30'] }]).length).toBe(3);
  });
});

describe('construct validation', () => {
  test('MarketSupplier refuses a supplier without signed GGI agreements', () => {
    const e = refused((s) => {
      const hub = new GgiHub(s, 'hub', { amazonSideAsn: 64512 });
      new MarketSupplier(s, 'lv', { organisation: 'LV0002', ggiAfsprakenSigned: false, zones: ['markt'], publicAddress: '198.51.100.8', asn: 65011, tunnels: tunnels('LV0002', ['markt']), hub });
    });
    expect(e.code).toBe('CLOUD_SUPPLIER_UNSIGNED');
    expect(e.message).toBe('supplier LV0002 has not signed the GGI agreements (ggiAfspraken.signed is not true): it cannot be attached to the markt zone');
  });

  test.each([
    ['an IPv6 public address', { publicAddress: '2001:db8::1' }, /IPv6/],
    ['a malformed public address', { publicAddress: 'cgw.example' }, /not an IP address/],
    ['no zones', { zones: [] }, /one or more distinct zones/],
    ['a zone without tunnels', { tunnels: new Map() }, /no inside-tunnel addresses for zone overheid/],
    ['a reserved tunnel CIDR', { tunnels: new Map([['overheid', { tunnel1: '169.254.169.252/30', tunnel2: '169.254.100.4/30' }]]) }, /reserved by AWS/],
    ['a tunnel CIDR outside 169.254/16', { tunnels: new Map([['overheid', { tunnel1: '10.0.0.0/30', tunnel2: '169.254.100.4/30' }]]) }, /\/30 inside 169\.254\.0\.0\/16/],
    ['the hub ASN', { asn: 64512 }, /hub's own ASN/],
  ])('ConnectionPoint refuses %s', (_, patch, msg) => {
    const e = refused((s) => {
      const hub = new GgiHub(s, 'hub', { amazonSideAsn: 64512 });
      new ConnectionPoint(s, 'cp', { organisation: 'GM0001', publicAddress: '203.0.113.1', asn: 65001, zones: ['overheid'], tunnels: tunnels('GM0001', ['overheid']), hub, hubAsn: 64512, ...(patch as object) });
    });
    expect(e.message).toMatch(msg);
  });

  test('GgiHub refuses an ASN AWS does not take for a transit gateway', () => {
    expect(refused((s) => new GgiHub(s, 'hub', { amazonSideAsn: 65001 + 1000 })).code).toBe('CLOUD_HUB_ASN');
  });

  test('Ipv6Plan refuses overlapping blocks and prefixes outside their block', () => {
    expect(refused((s) => new Ipv6Plan(s, 'p', { region: 'eu-central-1', allocationLength: 46, blocks: { a: '2001:db8::/32', b: '2001:db8:8000::/33' } })).code).toBe('CLOUD_IPAM_OVERLAP');
    const e = refused((s) => new Ipv6Plan(s, 'p', { region: 'eu-central-1', allocationLength: 46, blocks: { gemeente: '2001:db8::/32' }, organisations: [{ organisation: 'GM0001', block: 'gemeente', prefixes: ['3fff::/46'] }] }));
    expect(e.code).toBe('CLOUD_IPAM_OUTSIDE_BLOCK');
    expect(refused((s) => new Ipv6OrganisationPool(s, 'o', { organisation: 'GM0001', block: 'g', prefixes: ['2001:db8::/46', '2001:db8::/48'], region: 'r', ipamScopeId: 'x', parentPoolId: 'y' })).code).toBe('CLOUD_IPAM_OVERLAP');
  });

  test('Ipv6Plan: kinds sharing a block share one pool, each kind still has its parameter', () => {
    const tf = synthScope((s) => new Ipv6Plan(s, 'p', { region: 'eu-central-1', allocationLength: 46, blocks: { provincie: '2a07:3501::/33', waterschap: '2a07:3501::/33', gemeente: '2a07:3500::/33' } })) as TfJson;
    expect(Object.keys(tf.resource!.aws_vpc_ipam_pool).length).toBe(2);
    const names = Object.values(tf.resource!.aws_ssm_parameter).map((p) => p.name).sort();
    expect(names).toEqual(['/ggi/ipam/pool/gemeente', '/ggi/ipam/pool/provincie', '/ggi/ipam/pool/waterschap', '/ggi/ipam/public-scope-id']);
  });

  test('Ipv6Plan in one stack: a pool per block and a child pool per organisation holding its /46s', () => {
    const tf = synthScope((s) => new Ipv6Plan(s, 'p', { region: 'eu-central-1', allocationLength: 46, blocks: { gemeente: '2001:db8::/32', leverancier: '3fff:400::/32' }, organisations: [{ organisation: 'GM0546', block: 'gemeente', prefixes: ['2001:db8:404::/46', '2001:db8:400::/46'] }] })) as TfJson;
    const pools = tf.resource!.aws_vpc_ipam_pool;
    const child = Object.entries(pools).find(([, p]) => (p.tags as Record<string, string>)['ggi:organisation'] === 'GM0546')!;
    expect(String(child[1].source_ipam_pool_id)).toMatch(/aws_vpc_ipam_pool\.p_pool-2001-db8---32/);
    const cidrs = Object.values(tf.resource!.aws_vpc_ipam_pool_cidr).filter((c) => c.ipam_pool_id === `\${aws_vpc_ipam_pool.${child[0]}.id}`).map((c) => c.cidr);
    expect(cidrs.sort()).toEqual(['2001:db8:400::/46', '2001:db8:404::/46']);
  });
});
