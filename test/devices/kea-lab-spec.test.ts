import { buildIntents } from '../../src/intent';
import { validateSpec } from '../../src/lab';
import { labSpecFromIntents } from '../../src/lab/inventory-lab';
import { loadFiles } from '../intent/fixture';
import { keaFiles } from './kea-fixture';

describe('the lab of an inventory with a DHCP appliance (pure)', () => {
  const inv = loadFiles(keaFiles(), 'lab');
  const spec = labSpecFromIntents(inv, buildIntents(inv).intents, { stateDir: '/tmp/ggi-kea-spec', name: 'ggik' });

  it('makes the appliance and a visitor namespace, bridged to the CE on the served segment instead of the LAN host', () => {
    expect(validateSpec(spec)).toEqual([]);
    const appliance = spec.nodes.find((n) => n.id === 'dhcp-gm0001')!;
    expect(appliance).toMatchObject({ kind: 'host', mgmtAddress: '198.19.0.60', sshd: false, frr: false, meta: { role: 'dhcp' } });
    expect(appliance.kea).toEqual({ bridges: [{ name: expect.stringMatching(/^s-gm0001-/), ports: ['c0', 'v0'], addresses: ['203.0.113.70/29'] }], apiPort: 8000, apiUser: 'ggi' });
    const visitor = spec.nodes.find((n) => n.id === 'visitor-gm0001-govroam-visitor')!;
    expect(visitor.meta).toMatchObject({ role: 'visitor', server: 'dhcp-gm0001', pool4: '203.0.113.66-203.0.113.69', pool6: '3fff:500:2004:100::1000-3fff:500:2004:100::1fff' });

    const ceSide = spec.links.filter((l) => l.a.node === 'ce-gm0001' && l.a.addresses.includes('203.0.113.65/29'));
    expect(ceSide).toHaveLength(1);
    expect(ceSide[0].b).toEqual({ node: 'dhcp-gm0001', ifname: 'c0', addresses: [] });
    expect(spec.links).toContainEqual({ a: { node: 'dhcp-gm0001', ifname: 'v0', addresses: [] }, b: { node: 'visitor-gm0001-govroam-visitor', ifname: 'eth0', addresses: [] } });
    // The LAN host keeps the other segments and no longer has the visitor segment.
    const lanLinks = spec.links.filter((l) => l.b.node === 'lan-gm0001');
    expect(lanLinks.length).toBeGreaterThan(0);
    expect(lanLinks.flatMap((l) => l.b.addresses).some((a) => a.startsWith('203.0.113.'))).toBe(false);
  });
});
