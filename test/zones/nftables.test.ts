import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildPolicy, flattenRules, nftablesForDevice, type NftDeviceInput } from '../../src/zones';
import { loadFixture } from './fixture';
import { need, testWith, unmet } from '../helpers/prereq';

const POLICY = `rules:
  - { id: brp, from: { zone: overheid }, to: { services: [brp] }, proto: tcp, ports: [443, "8000-8080"], action: allow, owner: netwerk, reason: BRP }
  - { id: saas-deny-8443, from: { organisations: [GM0001] }, to: { services: [saas] }, proto: tcp, ports: [8443], action: deny, owner: netwerk, reason: no }
  - { id: saas, from: { zone: markt }, to: { services: [saas] }, proto: tcp, action: allow, owner: netwerk, reason: SaaS }
  - { id: dns, from: { zone: markt }, to: { services: [saas] }, proto: udp, ports: [53], action: allow, owner: netwerk, reason: dns }
  - { id: ping, from: { zone: overheid }, to: { zone: overheid }, proto: icmp, action: allow, owner: netwerk, reason: ping }
  - { id: ping6, from: { zone: overheid }, to: { zone: overheid }, proto: icmpv6, action: allow, owner: netwerk, reason: ping }
  - { id: markt-all, from: { zone: markt }, to: { zone: markt }, proto: any, action: allow, owner: netwerk, reason: all }
`;

const DEVICES: NftDeviceInput[] = [
  { deviceId: 'ce-gm0001', role: 'ce', organisation: 'GM0001', interfaces: [{ name: 'lan0', kind: 'lan' }, { name: 'up-overheid', kind: 'uplink', zone: 'overheid' }, { name: 'up-markt', kind: 'uplink', zone: 'markt' }, { name: 'mgmt0', kind: 'mgmt' }] },
  { deviceId: 'ce-sv0001', role: 'ce', organisation: 'SV0001', interfaces: [{ name: 'lan-sv', kind: 'lan', organisation: 'SV0001' }, { name: 'lan-gm2', kind: 'lan', organisation: 'GM0002' }, { name: 'up-overheid', kind: 'uplink', zone: 'overheid' }, { name: 'mgmt0', kind: 'mgmt' }] },
  { deviceId: 'border-o', role: 'border-overheid', interfaces: [{ name: 'dl-gm0001', kind: 'downlink', zone: 'overheid', organisation: 'GM0001' }, { name: 'dl-sv0001', kind: 'downlink', zone: 'overheid', organisation: 'SV0001' }, { name: 'kps0', kind: 'kps' }, { name: 'mgmt0', kind: 'mgmt' }] },
  { deviceId: 'border-m', role: 'border-markt', interfaces: [{ name: 'dl-gm0001', kind: 'downlink', zone: 'markt', organisation: 'GM0001' }, { name: 'sup-lv0001', kind: 'supplier', organisation: 'LV0001' }, { name: 'mgmt0', kind: 'mgmt' }] },
  { deviceId: 'border-m2', role: 'border-markt', interfaces: [{ name: 'dl-gm0001', kind: 'downlink', zone: 'markt', organisation: 'GM0001' }, { name: 'sup-a', kind: 'supplier', organisation: 'LV0001' }, { name: 'sup-b', kind: 'supplier' }] },
  { deviceId: 'kps-1', role: 'kps-peer', interfaces: [{ name: 'svc0', kind: 'lan' }, { name: 'peer0', kind: 'peer', zone: 'overheid' }, { name: 'mgmt0', kind: 'mgmt' }] },
  { deviceId: 'lv-router', role: 'supplier-router', organisation: 'LV0001', interfaces: [{ name: 'lan0', kind: 'lan' }, { name: 'up-markt', kind: 'uplink', zone: 'markt' }, { name: 'mgmt0', kind: 'mgmt' }] },
  { deviceId: 'radius-1', role: 'radius', interfaces: [{ name: 'eth0', kind: 'lan' }, { name: 'mgmt0', kind: 'mgmt' }] },
];

describe('nftables compilation', () => {
  const { policy } = buildPolicy(loadFixture(POLICY));
  const out = new Map(DEVICES.map((d) => [d.deviceId, nftablesForDevice(policy, d)]));

  it('owns one inet table and replaces only that one', () => {
    for (const text of out.values()) {
      const lines = text.split('\n');
      expect(lines.filter((l) => /^table /.test(l))).toEqual(['table inet ggi', 'table inet ggi {']);
      expect(lines).toContain('delete table inet ggi');
      expect(text).not.toMatch(/flush ruleset/);
      expect(text).toMatch(/type filter hook forward priority filter; policy drop;/);
      expect(text).toMatch(/ct state established,related accept/);
      expect(text).toMatch(/nd-neighbor-solicit/);
    }
  });

  it('is deterministic', () => {
    for (const d of DEVICES) expect(nftablesForDevice(policy, d)).toBe(out.get(d.deviceId));
  });

  it('a CE never forwards between uplinks and carries only its own addresses', () => {
    const ce = out.get('ce-gm0001')!;
    expect(ce).toMatch(/iifname \{ "up-overheid", "up-markt" \} oifname \{ "up-overheid", "up-markt" \} drop/);
    expect(ce).toMatch(/ip saddr 192\.0\.2\.0\/27 ip daddr 192\.0\.2\.128\/28 tcp dport \{ 443, 8000-8080 \} counter accept comment "brp"/);
    expect(ce).toMatch(/tcp dport 8443 counter drop comment "saas-deny-8443"/);
    // GM0002's addresses are not on this CE
    expect(ce).not.toMatch(/192\.0\.2\.48\/28 ip daddr/);
    // the deny precedes the allow it carves out of
    expect(ce.indexOf('saas-deny-8443')).toBeLessThan(ce.indexOf('"saas"'));
    // ssh only from management, bgp on uplinks
    expect(ce).toMatch(/iifname "mgmt0" tcp dport 22 accept/);
    expect(ce).toMatch(/iifname \{ "up-overheid", "up-markt" \} tcp dport 179 accept/);
    const sv = out.get('ce-sv0001')!;
    expect(sv).toMatch(/iifname "lan-gm2" oifname "up-overheid" jump/);
    expect(sv).toMatch(/ip saddr 192\.0\.2\.48\/28 ip daddr 192\.0\.2\.128\/28/);
    expect(sv).not.toMatch(/up-markt/);
  });

  it('borders forward between downlinks and the KPS or suppliers', () => {
    expect(out.get('border-o')!).toMatch(/iifname "dl-gm0001" oifname "kps0" jump/);
    expect(out.get('border-m')!).toMatch(/iifname "dl-gm0001" oifname "sup-lv0001" jump/);
    // several supplier interfaces are one edge: one chain per downlink, not per downlink and supplier
    const m2 = out.get('border-m2')!;
    expect(m2).toMatch(/set ifs_\d+ \{\s+type ifname\s+elements = \{ "sup-a", "sup-b" \}/);
    expect(m2).toMatch(/iifname "dl-gm0001" oifname @ifs_\d+ jump fwd_dl_gm0001_to_suppliers/);
    expect(m2).toMatch(/iifname @ifs_\d+ oifname "dl-gm0001" jump fwd_suppliers_to_dl_gm0001/);
    expect(out.get('radius-1')!).toMatch(/udp dport \{ 1812, 1813 \} accept/);
  });

  it('borders forward from one CE to another through one chain for all downlinks (as policy query allows it)', () => {
    // ping (overheid -> overheid) lets GM0001 reach SV0001's and GM0002's addresses through border-o
    const o = out.get('border-o')!;
    expect(o).toMatch(/set ifs_\d+ \{\s+type ifname\s+elements = \{ "dl-gm0001", "dl-sv0001" \}/);
    expect(o).toMatch(/iifname @ifs_(\d+) oifname @ifs_\1 jump fwd_downlinks_to_downlinks/);
    expect(o).toMatch(/chain fwd_downlinks_to_downlinks \{[^}]*meta l4proto icmp counter accept comment "ping"/);
    // one downlink: nothing to forward between CEs
    expect(out.get('border-m')!).not.toMatch(/downlinks_to_downlinks/);
  });

  testWith(unmet(need.command('nft', 'nftables'), need.root('root for nft -c')), 'every generated ruleset passes nft -c -f', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ggi-nft-'));
    try {
      for (const [id, text] of out) {
        const f = path.join(dir, `${id}.nft`);
        fs.writeFileSync(f, text);
        try {
          execFileSync('nft', ['-c', '-f', f], { stdio: 'pipe' });
        } catch (e) {
          throw new Error(`nft -c rejects ${id}: ${(e as { stderr?: Buffer }).stderr?.toString()}`);
        }
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('flattens rules for the cloud hub per zone and family, in order', () => {
    const flat = flattenRules(policy);
    expect(flat[0]).toEqual({ ruleId: 'brp', action: 'pass', proto: 'tcp', src: ['192.0.2.0/26', '192.0.2.128/28'], dst: ['192.0.2.128/28'], dports: '443' });
    expect(flat.filter((r) => r.ruleId === 'brp').map((r) => r.dports)).toEqual(['443', '8000-8080', '443', '8000-8080']);
    expect(flat.find((r) => r.ruleId === 'markt-all')?.proto).toBe('ip');
    expect(flat.find((r) => r.ruleId === 'saas-deny-8443')?.action).toBe('drop');
    const order = [...new Set(flat.map((r) => r.ruleId))];
    expect(order).toEqual(policy.rules.map((r) => r.id).filter((id) => order.includes(id)));
  });
});
