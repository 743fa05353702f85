import { buildPolicy, flowIsGgi, query } from '../../src/zones';
import { loadFixture } from './fixture';

const RULES = `rules:
  - { id: saas, from: { zone: markt }, to: { services: [saas] }, proto: tcp, ports: [443], action: allow, owner: netwerk, reason: SaaS }
  - { id: ovh, from: { zone: overheid }, to: { zone: overheid }, proto: any, action: allow, owner: netwerk, reason: alles }
`;

/** Flows GGI-Netwerk never carries get a verdict of their own, in query and in the lab verification alike. */
describe('flows that never cross GGI', () => {
  const { policy } = buildPolicy(loadFixture(RULES));

  it("a supplier's LAN to its own service is not GGI traffic (the rule would allow it)", () => {
    const v = query(policy, { src: '203.0.113.1', dst: '203.0.113.65', proto: 'tcp', dport: 443 });
    expect(v).toMatchObject({ allowed: false, verdict: 'not-ggi', rule: null });
    expect(v.reason).toMatch(/^not GGI traffic: both ends belong to LV0001/);
    expect(flowIsGgi(policy, '203.0.113.1', '203.0.113.65')).toBe(false);
  });

  it("another organisation's LAN to that service is GGI traffic, judged by the rules", () => {
    expect(query(policy, { src: '198.51.100.1', dst: '203.0.113.65', proto: 'tcp', dport: 443 })).toMatchObject({ allowed: true, verdict: 'allowed', rule: 'saas' });
    expect(flowIsGgi(policy, '198.51.100.1', '203.0.113.65')).toBe(true);
  });

  it('service to service, and within one organisation, are not GGI traffic', () => {
    expect(query(policy, { src: '192.0.2.129', dst: '192.0.2.130', proto: 'any' })).toMatchObject({ verdict: 'not-ggi' });
    expect(query(policy, { src: '192.0.2.1', dst: '192.0.2.17', proto: 'any' })).toMatchObject({ verdict: 'not-ggi', reason: expect.stringMatching(/GM0001/) });
  });

  it('between the zones it is always GGI traffic, and denied', () => {
    // GM0001 markt -> GM0001 overheid: one party, but the zones never meet: GGI keeps them apart.
    expect(query(policy, { src: '198.51.100.1', dst: '192.0.2.1', proto: 'any' })).toMatchObject({ allowed: false, verdict: 'denied', reason: expect.stringMatching(/zones never exchange/) });
  });

  it('an address in no zone has no route', () => {
    expect(query(policy, { src: '192.0.2.1', dst: '192.0.2.250', proto: 'any' })).toMatchObject({ allowed: false, verdict: 'no-route' });
  });
});
