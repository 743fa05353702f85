import { buildIntents, defaultDeps, type DeviceIntent, type IntentDeps } from '../../src/intent';
import { IFNAMSIZ } from '../../src/intent/names';
import type { Inventory } from '../../src/model/inventory';
import { contains, formatPrefix, parsePrefix } from '../../src/net';
import { baseFiles, gemeente, ledgerFor, loadFiles } from './fixture';

// The policy engine is exercised by its own tests; a cheap stand-in keeps these tests about topology and routing
// (and shows which interfaces the engine is given).
const nftStub: Partial<IntentDeps> = {
  prepareFilters: () => ({
    findings: [],
    compile: (input) => ({ deviceId: input.deviceId, role: input.role, services: [{ interfaces: input.interfaces.map((i) => `${i.name}/${i.kind}/${i.zone ?? '-'}`), proto: 'tcp', ports: [1], comment: 'stub' }], isolate: [], pairs: [] }),
  }),
};
const build = (inv: Inventory, deps: Partial<IntentDeps> = {}) => buildIntents(inv, { deps: { ...nftStub, ...deps } });
const byId = (intents: DeviceIntent[]) => new Map(intents.map((i) => [i.id, i]));
const list = (i: DeviceIntent, name: string) => i.bgp!.prefixLists.find((l) => l.name === name)!;
const permits = (i: DeviceIntent, name: string) => list(i, name).entries.filter((e) => e.action === 'permit').map((e) => e.prefix);

describe('buildIntents', () => {
  const inv = loadFiles(baseFiles());
  const { intents, findings } = build(inv);
  const m = byId(intents);

  it('builds one intent per device without findings', () => {
    expect(findings).toEqual([]);
    expect([...m.keys()].sort()).toEqual(['border-markt', 'border-overheid', 'ce-gm0001', 'ce-gm0002', 'ce-sv0001', 'kps', 'rtr-lv0001']);
  });

  it('gives each CE one uplink per joined zone, to that zone border, with matching transfer addresses', () => {
    const ce1 = m.get('ce-gm0001')!;
    expect(ce1.interfaces.filter((i) => i.kind === 'uplink').map((i) => [i.name, i.zone, i.peer!.device])).toEqual([
      ['up-overheid', 'overheid', 'border-overheid'],
      ['up-markt', 'markt', 'border-markt'],
    ]);
    expect(m.get('ce-gm0002')!.interfaces.filter((i) => i.kind === 'uplink').map((i) => i.zone)).toEqual(['overheid']);
    // Both ends agree on the link.
    for (const i of intents) {
      for (const itf of i.interfaces.filter((x) => x.peer)) {
        const other = m.get(itf.peer!.device)!.interfaces.find((x) => x.name === itf.peer!.interface)!;
        expect(other.addresses).toEqual(itf.peer!.addresses);
        expect(other.peer!.addresses).toEqual(itf.addresses);
        expect(other.peer!.device).toBe(i.id);
      }
    }
  });

  it('allocates /31 and /127 transfer networks inside the pools, never twice', () => {
    const seen = new Set<string>();
    const pool4 = parsePrefix(inv.settings.transfer.ipv4);
    const pool6 = parsePrefix(inv.settings.transfer.ipv6);
    for (const i of intents) {
      for (const itf of i.interfaces.filter((x) => x.peer)) {
        const [v4, v6] = itf.addresses;
        expect(v4.endsWith('/31')).toBe(true);
        expect(v6.endsWith('/127')).toBe(true);
        expect(contains(pool4, parsePrefix(v4, { strict: false }))).toBe(true);
        expect(contains(pool6, parsePrefix(v6, { strict: false }))).toBe(true);
        expect(seen.has(v4)).toBe(false);
        seen.add(v4);
      }
    }
    expect(seen.size).toBe(2 * 6); // 4 CE uplinks + KPS + supplier, both ends
  });

  it('is deterministic and independent of the order of the inventory lists', () => {
    const reversed: Inventory = { ...inv, organisations: [...inv.organisations].reverse(), devices: [...inv.devices].reverse(), services: [...inv.services].reverse() };
    expect(build(reversed).intents).toEqual(intents);
    expect(JSON.stringify(build(inv).intents)).toBe(JSON.stringify(intents));
  });

  it('does not change any other device when a gemeente is added (borders only gain)', () => {
    const files = baseFiles();
    files['organisations/gm0004.yaml'] = gemeente('GM0004', 4);
    files['ipv6/ledger.yaml'] = ledgerFor([{ id: 'GM0001', n: 1 }, { id: 'GM0002', n: 2 }, { id: 'GM0003', n: 3 }, { id: 'SV0001', n: 5, block: '3502' }, { id: 'GM0004', n: 4 }]);
    const after = byId(build(loadFiles(files)).intents);
    expect(after.has('ce-gm0004')).toBe(true);
    for (const id of ['ce-gm0001', 'ce-gm0002', 'ce-sv0001', 'kps', 'rtr-lv0001']) expect(after.get(id)).toEqual(m.get(id));
    for (const id of ['border-overheid', 'border-markt']) {
      const before = m.get(id)!;
      const now = after.get(id)!;
      for (const itf of before.interfaces) expect(now.interfaces).toContainEqual(itf);
      for (const n of before.bgp!.neighbors) expect(now.bgp!.neighbors).toContainEqual(n);
      expect(now.interfaces.length).toBe(before.interfaces.length + 1);
    }
  });

  it('with the real policy engine too: adding a gemeente leaves the other CEs byte for byte the same', () => {
    const policy = `rules:
  - { id: brp, from: { zone: overheid }, to: { services: [diginetwerk-brp] }, proto: tcp, ports: [443], action: allow, owner: x, reason: y }
  - { id: saas, from: { zone: markt }, to: { services: [saas-zaken] }, proto: tcp, ports: [443], action: allow, owner: x, reason: y }
`;
    const files: Record<string, string> = { ...baseFiles(), 'policy/10-rules.yaml': policy };
    const before = buildIntents(loadFiles(files));
    files['organisations/gm0004.yaml'] = gemeente('GM0004', 4);
    files['ipv6/ledger.yaml'] = ledgerFor([{ id: 'GM0001', n: 1 }, { id: 'GM0002', n: 2 }, { id: 'GM0003', n: 3 }, { id: 'SV0001', n: 5, block: '3502' }, { id: 'GM0004', n: 4 }]);
    const after = byId(buildIntents(loadFiles(files)).intents);
    expect(before.findings).toEqual([]);
    for (const i of before.intents.filter((x) => x.role === 'ce')) expect(JSON.stringify(after.get(i.id))).toBe(JSON.stringify(i));
  });

  it('lets a CE announce only its own prefixes, and a samenwerkingsverband also its members', () => {
    const ce1 = m.get('ce-gm0001')!;
    expect(permits(ce1, 'CE-OUT-OVERHEID-V4')).toEqual(['192.0.2.16/28']);
    expect(permits(ce1, 'CE-OUT-OVERHEID-V6')).toEqual(['2a07:3500:4::/46']);
    expect(permits(ce1, 'CE-OUT-MARKT-V6')).toEqual(['2a07:3500:1004::/46']);
    expect(ce1.bgp!.originate.ipv6).toEqual(['2a07:3500:4::/46', '2a07:3500:1004::/46']);
    const sv = m.get('ce-sv0001')!;
    expect(permits(sv, 'CE-OUT-OVERHEID-V4')).toEqual(['192.0.2.48/28', '192.0.2.192/28']);
    expect(permits(sv, 'CE-OUT-OVERHEID-V6')).toEqual(['2a07:3500:c::/46', '2a07:3502:14::/46']);
    // Never another organisation's space, never the internet /46.
    const all = intents.filter((i) => i.role === 'ce').flatMap((i) => i.bgp!.prefixLists.filter((l) => l.name.startsWith('CE-OUT')).flatMap((l) => l.entries.filter((e) => e.action === 'permit').map((e) => e.prefix)));
    expect(all).not.toContain('2a07:3500:2004::/46');
    expect(new Set(all).size).toBe(all.length);
    // The member's LAN hangs off the samenwerkingsverband's CE.
    expect(sv.interfaces.find((i) => i.organisation === 'GM0003')).toMatchObject({ kind: 'lan', zone: 'overheid', segment: 'staff', addresses: ['192.0.2.49/29', '2a07:3500:c::1/64'] });
    // Outbound max-prefix equals what the CE may announce.
    const up = sv.bgp!.neighbors.find((n) => n.family === 4)!;
    expect(up.maxPrefixOut).toBe(2);
  });

  it('has border-overheid announce to the KPS only the Diginetwerk routing policy, never a default, with limits both ways', () => {
    const b = m.get('border-overheid')!;
    const toKps = [...permits(b, 'TO-KPS-V4'), ...permits(b, 'TO-KPS-V6')];
    expect(toKps).toEqual(['192.0.2.16/28', '192.0.2.32/28', '192.0.2.48/28', '192.0.2.192/28', '2a07:3500:4::/46', '2a07:3500:8::/46', '2a07:3500:c::/46', '2a07:3502:14::/46']);
    for (const l of ['TO-KPS-V4', 'TO-KPS-V6', 'FROM-KPS-V4', 'FROM-KPS-V6']) expect(list(b, l).entries[0]).toMatchObject({ action: 'deny', prefix: l.endsWith('V4') ? '0.0.0.0/0' : '::/0' });
    expect(permits(b, 'FROM-KPS-V4')).toEqual(['203.0.113.0/28', '203.0.113.16/28']);
    const kpsSessions = b.bgp!.neighbors.filter((n) => n.peerDevice === 'kps');
    expect(kpsSessions).toHaveLength(2);
    for (const n of kpsSessions) expect(n).toMatchObject({ maxPrefixIn: 1000, maxPrefixOut: 5000, remoteAsn: 64501, prefixListOut: `TO-KPS-V${n.family}` });
  });

  it('drops a default route or internet-category prefix from the KPS announcement, with findings', () => {
    const real = defaultDeps().kpsRoutingPolicy(inv);
    const r = build(inv, { kpsRoutingPolicy: () => ({ ...real, announce: [...real.announce, parsePrefix('::/0'), parsePrefix('2a07:3500:2004::/46')] }) });
    const b = byId(r.intents).get('border-overheid')!;
    const v6 = permits(b, 'TO-KPS-V6');
    expect(v6).not.toContain('::/0');
    expect(v6).not.toContain('2a07:3500:2004::/46');
    expect(r.findings.map((f) => f.code).sort()).toEqual(['DIGINETWERK_DEFAULT_ROUTE', 'IPV6_CATEGORY_LEAK']);
  });

  it('lets border-markt accept from a supplier only its markt prefixes, and nothing from the other zone', () => {
    const b = m.get('border-markt')!;
    expect(permits(b, 'FROM-RTR-LV0001-V4')).toEqual(['198.51.100.128/28']);
    expect(permits(b, 'FROM-RTR-LV0001-V6')).toEqual(['2a07:3503:4::/48']);
    expect(b.interfaces.some((i) => i.zone === 'overheid')).toBe(false);
    expect(b.bgp!.neighbors.map((n) => n.peerDevice)).not.toContain('ce-gm0002');
    expect(m.get('border-overheid')!.bgp!.neighbors.map((n) => n.peerDevice)).not.toContain('rtr-lv0001');
  });

  it('puts service prefixes on the KPS peer and supplier router and originates them', () => {
    const k = m.get('kps')!;
    expect(k.interfaces.filter((i) => i.service).map((i) => [i.service, i.addresses])).toEqual([
      ['diginetwerk-brp', ['203.0.113.1/28', '2001:db8:100::1/64']],
      ['diginetwerk-dns', ['203.0.113.17/28']],
    ]);
    // Long names are cut and made unique with a hash of the whole name.
    expect(k.interfaces.filter((i) => i.service).map((i) => i.name)).toEqual([expect.stringMatching(/^v-diginet-[0-9a-f]{5}$/), expect.stringMatching(/^v-diginet-[0-9a-f]{5}$/)]);
    expect(k.bgp!.originate).toEqual({ ipv4: ['203.0.113.0/28', '203.0.113.16/28'], ipv6: ['2001:db8:100::/64'] });
    expect(k.staticRoutes).toContainEqual({ prefix: '203.0.113.0/28', via: 'blackhole' });
    const r = m.get('rtr-lv0001')!;
    expect(r.interfaces.find((i) => i.service === 'saas-zaken')).toMatchObject({ zone: 'markt', organisation: 'LV0001' });
  });

  it('keeps interface names within 15 characters and unique per device', () => {
    for (const i of intents) {
      const names = i.interfaces.map((x) => x.name);
      expect(new Set(names).size).toBe(names.length);
      for (const n of names) expect(n.length).toBeLessThanOrEqual(IFNAMSIZ);
    }
    expect(m.get('kps')!.interfaces.find((i) => i.peer)!.name).toMatch(/^p-border-[0-9a-f]{5}$|^p-border-o/);
  });

  it('hands the policy engine every interface with its kind and zone', () => {
    const seen = m.get('ce-gm0001')!.filter!.services[0].interfaces;
    expect(seen).toContain('up-overheid/uplink/overheid');
    expect(seen).toContain('mgmt0/mgmt/-');
    expect(m.get('ce-gm0001')!.managed).toBe(true);
    expect(m.get('ce-gm0001')!.platform).toBe('linux-frr');
  });

  it('reports a zone without a border as a located finding', () => {
    const files = baseFiles();
    files['devices/backbone.yaml'] = files['devices/backbone.yaml'].split('\n').filter((l) => !l.includes('border-markt')).join('\n');
    const r = build(loadFiles(files));
    const f = r.findings.find((x) => x.code === 'INTENT_NO_BORDER')!;
    expect(f.message).toContain('GM0001 joins zone markt');
    expect(f.file.endsWith('organisations/gm0001.yaml')).toBe(true);
    expect(f.line).toBeGreaterThan(1);
  });

  it('turns a policy engine failure into a finding, not a crash', () => {
    const r = build(inv, { prepareFilters: () => ({ findings: [], compile: (i) => { if (i.deviceId === 'kps') throw new Error('no such zone'); return { deviceId: i.deviceId, role: i.role, services: [], isolate: [], pairs: [] }; } }) });
    expect(r.findings).toEqual([expect.objectContaining({ code: 'INTENT_POLICY_COMPILE', severity: 'error', message: expect.stringContaining("'kps'") })]);
  });

  it('uses the real policy engine by default', () => {
    const r = buildIntents(inv);
    const ce = byId(r.intents).get('ce-gm0001')!;
    // Structured, platform-neutral data: per interface pair, the policy rules with their addresses.
    expect(ce.filter!.services.map((x) => x.comment)).toEqual(['ssh (management)', 'bgp', 'bfd']);
    expect(ce.filter!.isolate).toEqual(['up-overheid', 'up-markt']);
    expect(ce.filter!.pairs.every((p) => p.rules.every((r) => r.src.length > 0 && r.dst.length > 0))).toBe(true);
    expect(JSON.parse(JSON.stringify(ce.filter))).toEqual(ce.filter);
    expect(formatPrefix(parsePrefix('192.0.2.16/28'))).toBe('192.0.2.16/28');
  });
});
