import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildPolicy, exportCapirca } from '../../src/zones';
import { loadFixture } from './fixture';
import { need, testWith } from '../helpers/prereq';

const POLICY = `rules:
  - { id: brp, from: { zone: overheid }, to: { services: [brp] }, proto: tcp, ports: [443, "8000-8080"], action: allow, owner: netwerk, reason: "BRP \\"bevraging\\"", expires: 2027-06-30 }
  - { id: saas-deny-8443, from: { organisations: [GM0001] }, to: { services: [saas] }, proto: tcp, ports: [8443], action: deny, owner: netwerk, reason: no }
  - { id: saas, from: { zone: markt }, to: { services: [saas] }, proto: tcp, action: allow, owner: netwerk, reason: SaaS }
  - { id: dns, from: { segments: [staff] }, to: { services: [saas] }, proto: udp, ports: [53], action: allow, owner: netwerk, reason: dns }
  - { id: ping, from: { zone: overheid }, to: { zone: overheid }, proto: icmp, action: allow, owner: netwerk, reason: ping }
  - { id: ping6, from: { zone: overheid }, to: { services: [brp] }, proto: icmpv6, action: allow, owner: netwerk, reason: ping }
  - { id: any-both, from: { organisations: [GM0001] }, to: { services: [brp] }, proto: any, action: allow, owner: netwerk, reason: any }
`;

describe('capirca export', () => {
  const { policy } = buildPolicy(loadFixture(POLICY));
  const e = exportCapirca(policy);
  const pol = e.files.get('policies/pol/ggi.pol')!;

  it('writes one protocol and one address family per term', () => {
    expect([...e.files.keys()].sort()).toEqual(['def/NETWORK.net', 'def/SERVICES.svc', 'policies/pol/ggi.pol']);
    const terms = pol.split(/\nterm /).slice(1);
    for (const t of terms) {
      expect((t.match(/protocol::/g) ?? []).length).toBeLessThanOrEqual(1);
      expect(t).not.toMatch(/protocol:: \S+ \S+/);
    }
    // any-both exists in both families, as two terms in two filters
    expect(pol).toMatch(/term any-both-v4 \{/);
    expect(pol).toMatch(/term any-both-v6 \{/);
    expect(pol.indexOf('target:: juniper ggi-v6 inet6')).toBeLessThan(pol.indexOf('term any-both-v6'));
    expect(pol.indexOf('term any-both-v4')).toBeLessThan(pol.indexOf('target:: juniper ggi-v6 inet6'));
    // icmp only in the IPv4 filter, icmpv6 only in the IPv6 filter
    expect(pol).not.toMatch(/term ping-v6/);
    expect(pol).not.toMatch(/term ping6-v4/);
    expect(e.files.get('def/SERVICES.svc')).toMatch(/443\/tcp\n\s+8000-8080\/tcp/);
  });

  const aclgen = '/usr/bin/aclgen';
  testWith(need.file(aclgen, 'python3-capirca (/usr/bin/aclgen)'), "Debian's aclgen accepts the export", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ggi-capirca-'));
    try {
      for (const [rel, text] of e.files) {
        fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
        fs.writeFileSync(path.join(dir, rel), text);
      }
      const out = path.join(dir, 'out');
      fs.mkdirSync(out);
      // aclgen uses the system Python (its #! line), not a python3 first on PATH
      const r = spawnSync(aclgen, ['--base_directory', path.join(dir, 'policies'), '--definitions_directory', path.join(dir, 'def'), '--output_directory', out], { cwd: dir, encoding: 'utf8', env: { ...process.env, PATH: '/usr/bin:/bin' } });
      expect({ status: r.status, stderr: /Error|Traceback/.test(r.stderr) ? r.stderr : '' }).toEqual({ status: 0, stderr: '' });
      const jcl = fs.readFileSync(path.join(out, 'ggi.jcl'), 'utf8');
      expect(jcl).toMatch(/filter ggi-v4/);
      expect(jcl).toMatch(/filter ggi-v6/);
      expect(jcl).toMatch(/term brp-v4 \{[\s\S]*destination-port \[ 443 8000-8080 \];[\s\S]*then accept;/);
      expect(jcl).toMatch(/term saas-deny-8443-v4 \{[\s\S]*destination-port 8443;[\s\S]*then \{\s*discard;/);
      expect(jcl).toMatch(/term ping6-v6 \{[\s\S]*next-header icmpv6;/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
