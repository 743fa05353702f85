import { buildPolicy, query } from '../../src/zones';
import { loadFixture } from './fixture';

const POLICY = `rules:
  - { id: brp, from: { zone: overheid }, to: { services: [brp] }, proto: tcp, ports: [443], action: allow, owner: netwerk, reason: BRP }
  - { id: saas-deny-8443, from: { organisations: [GM0001] }, to: { services: [saas] }, proto: tcp, ports: [8443], action: deny, owner: netwerk, reason: no }
  - { id: saas, from: { zone: markt }, to: { services: [saas] }, proto: tcp, action: allow, owner: netwerk, reason: SaaS }
  - { id: ping, from: { zone: overheid }, to: { zone: overheid }, proto: icmp, action: allow, owner: netwerk, reason: ping }
guardrails:
  - { id: no-visitors, never: { from: { segments: [govroam-visitor] }, to: { zone: overheid } }, reason: visitors }
`;

describe('query', () => {
  const inv = loadFixture(POLICY);
  const { policy, findings } = buildPolicy(inv);
  it('builds without findings', () => expect(findings).toEqual([]));
  it('parses packet addresses as src/net does: no leading zeros, no surrounding whitespace', () => {
    expect(() => query(policy, { src: '192.0.2.010', dst: '192.0.2.129', proto: 'tcp', dport: 443 })).toThrow(/src: '192\.0\.2\.010' is not an IPv4 address/);
    expect(() => query(policy, { src: '192.0.2.1', dst: ' 192.0.2.129', proto: 'tcp', dport: 443 })).toThrow(/dst: ' 192\.0\.2\.129' is not an IP address/);
  });
  it('allows BRP from a gemeente', () => {
    expect(query(policy, { src: '192.0.2.1', dst: '192.0.2.129', proto: 'tcp', dport: 443 })).toMatchObject({ allowed: true, rule: 'brp' });
    expect(query(policy, { src: '192.0.2.1', dst: '192.0.2.129', proto: 'tcp', dport: 80 })).toMatchObject({ allowed: false, rule: null });
  });
  it('zones never exchange traffic', () => {
    const v = query(policy, { src: '198.51.100.1', dst: '192.0.2.129', proto: 'tcp', dport: 443 });
    expect(v.allowed).toBe(false);
    expect(v.reason).toMatch(/zones never exchange traffic/);
  });
  it('not routed', () => {
    expect(query(policy, { src: '10.0.0.1', dst: '192.0.2.129', proto: 'tcp', dport: 443 }).reason).toMatch(/not routed/);
  });
  it('connection point that does not join the zone', () => {
    const v = query(policy, { src: '198.51.100.33', dst: '203.0.113.65', proto: 'tcp', dport: 443 });
    expect(v).toMatchObject({ allowed: false, rule: null });
    expect(v.reason).toMatch(/SV0001.*does not join markt/);
    expect(query(policy, { src: '198.51.100.1', dst: '203.0.113.65', proto: 'tcp', dport: 8443 })).toMatchObject({ allowed: false, rule: 'saas-deny-8443' });
    expect(query(policy, { src: '198.51.100.1', dst: '203.0.113.65', proto: 'tcp', dport: 8000 })).toMatchObject({ allowed: true, rule: 'saas' });
  });
});
