import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { statusJson } from '../../src/cli/commands/lab';
import { parseCommandArgs } from '../../src/cli/context';
import { commands } from '../../src/cli/commands/lab';
import { buildIntents, type IntentDeps } from '../../src/intent';
import {
  InventoryLabError,
  labSpecFromIntents,
  labTargetFromState,
  listensOf,
  readLabTarget,
  removeLabTarget,
  writeLabTarget,
} from '../../src/lab/inventory-lab';
import { validateSpec } from '../../src/lab/spec';
import type { LabState } from '../../src/lab/state';
import { main } from '../../src/cli/main';
import { cleanup, scratchCwd, tmpInventory } from '../helpers/tmp-inventory';
import { baseFiles, loadFiles, SETTINGS } from './fixture';

const nftStub: Partial<IntentDeps> = { prepareFilters: () => ({ findings: [], compile: (i) => ({ deviceId: i.deviceId, role: i.role, services: [], isolate: [], pairs: [] }) }) };

describe('labSpecFromIntents', () => {
  // The lab profile maps the government blocks into 3fff::/20: only then are all addresses lab addresses.
  const inv = loadFiles(baseFiles(), 'lab');
  const { intents } = buildIntents(inv, { deps: nftStub });
  const spec = labSpecFromIntents(inv, intents, { stateDir: '/tmp/x', name: 'ggiut' });
  const node = (id: string) => spec.nodes.find((n) => n.id === id)!;

  it('produces a spec the lab accepts', () => {
    expect(validateSpec(spec)).toEqual([]);
    expect(spec.mgmt.bridgeV4).toBe('198.19.0.0/24');
    // Seen without the lab profile, the real government addresses are refused before anything is built.
    const real = loadFiles(baseFiles());
    const problems = validateSpec(labSpecFromIntents(real, buildIntents(real, { deps: nftStub }).intents, { stateDir: '/tmp/x', name: 'ggiut' }));
    expect(problems.some((p) => p.includes('2a07:3500:4::1/64') && p.includes('outside the lab ranges'))).toBe(true);
  });

  it('has a router per device on its management address, FRR preloaded only for the outside parties', () => {
    for (const i of intents) expect(node(i.id)).toMatchObject({ kind: 'router', mgmtAddress: i.management.address, sshd: true, frr: true });
    expect(node('kps').frrConfig).toContain('network 203.0.113.0/28');
    expect(node('rtr-lv0001').frrConfig).toContain('router bgp 4200200001');
    expect(node('ce-gm0001').frrConfig).toBeUndefined();
    expect(node('border-overheid').frrConfig).toBeUndefined();
  });

  it('links both ends of every peering exactly once, with the intent addresses', () => {
    const p2p = spec.links.filter((l) => !l.b.node.startsWith('lan-') && !l.b.node.startsWith('svc-'));
    expect(p2p).toHaveLength(6);
    const up = p2p.find((l) => [l.a.node, l.b.node].includes('ce-gm0002'))!;
    const ce = up.a.node === 'ce-gm0002' ? up.a : up.b;
    expect(ce.ifname).toBe('up-overheid');
    expect(ce.addresses).toEqual(intents.find((i) => i.id === 'ce-gm0002')!.interfaces.find((x) => x.name === 'up-overheid')!.addresses);
  });

  it('gives each organisation one LAN host (an interface per segment) with default routes to its CE', () => {
    const lan = node('lan-gm0001');
    expect(lan).toMatchObject({ kind: 'host', meta: { organisation: 'GM0001', service: null } });
    const ends = spec.links.filter((l) => l.b.node === 'lan-gm0001');
    expect(ends.map((l) => [l.a.ifname, l.b.ifname])).toEqual([
      ['l-gm0001-staff', 'eth0'],
      [expect.stringMatching(/^l-gm0001-/), 'eth1'],
      ['l-gm0001-mkt', 'eth2'],
    ]);
    expect(ends[0].b.addresses).toEqual(['192.0.2.18/29', '3fff:500:4::2/64']);
    // Default via the overheid segment; markt services via the segment holding the markt addresses, so each flow
    // leaves with a source address of the destination's zone.
    expect(lan.routes).toEqual([
      { dst: 'default', via: '192.0.2.17' },
      { dst: 'default', via: '3fff:500:4::1' },
      { dst: '3fff:503:4::/48', via: '3fff:500:1004::1' },
    ]);
    // The samenwerkingsverband member's LAN host hangs off the samenwerkingsverband's CE.
    expect(spec.links.find((l) => l.b.node === 'lan-gm0003')!.a.node).toBe('ce-sv0001');
    expect(spec.nodes.filter((n) => n.id.startsWith('lan-')).map((n) => n.id)).toEqual(['lan-gm0001', 'lan-gm0002', 'lan-gm0003', 'lan-sv0001']);
  });

  it('gives each hosted service a host that listens on its declared ports', () => {
    expect(node('svc-diginetwerk-dns')).toMatchObject({ kind: 'host', services: [{ proto: 'tcp', port: 53 }, { proto: 'udp', port: 53 }], meta: { service: 'diginetwerk-dns', organisation: null } });
    expect(node('svc-saas-zaken')).toMatchObject({ services: [{ proto: 'tcp', port: 443 }, { proto: 'tcp', port: 8443 }], meta: { organisation: 'LV0001' } });
    expect(spec.links.find((l) => l.b.node === 'svc-saas-zaken')!.a.node).toBe('rtr-lv0001');
  });

  it('expands small port ranges and keeps both ends of large ones', () => {
    expect(listensOf([{ proto: 'udp', ports: ['1812-1813', 53] }, { proto: 'tcp', ports: ['8000-8080'] }])).toEqual([
      { proto: 'tcp', port: 8000 },
      { proto: 'tcp', port: 8080 },
      { proto: 'udp', port: 53 },
      { proto: 'udp', port: 1812 },
      { proto: 'udp', port: 1813 },
    ]);
  });

  it('refuses an inventory without a management network, and a device outside it', () => {
    const noMgmt = { ...inv, settings: { ...inv.settings, transfer: { ...inv.settings.transfer, managementIpv4: undefined } } };
    expect(() => labSpecFromIntents(noMgmt, intents, { stateDir: '/tmp/x' })).toThrow(InventoryLabError);
    const moved = intents.map((i) => (i.id === 'kps' ? { ...i, management: { ...i.management, address: '198.18.200.1' } } : i));
    expect(() => labSpecFromIntents(inv, moved, { stateDir: '/tmp/x' })).toThrow(/kps.*198\.18\.200\.1/);
  });
});

describe('the lab target', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ggi-target-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const state = {
    version: 1,
    name: 'ggi',
    stateDir: dir,
    phase: 'up',
    startedAt: '2026-11-23T12:00:00Z',
    bridge: { name: 'ggi-mgmt', address: '198.19.0.1/24', prefix: '198.19.0.0/24' },
    controllerKey: { privateKeyFile: `${dir}/controller_ed25519`, publicKey: 'ssh-ed25519 AAAA' },
    namespaces: [],
    rootLinks: [],
    dirs: [],
    files: [],
    processes: [],
    nodes: [
      { id: 'ce-gm0001', kind: 'router', namespace: 'ggi-ce-gm0001-abcdef', meta: { role: 'ce', organisation: 'GM0001', service: null }, dir, mgmtAddress: '198.19.0.11', interfaces: [], sysctls: {}, listens: [], sshd: { address: '198.19.0.11', port: 22, hostKey: 'ssh-ed25519 AAAAC3', hostKeySha256: `SHA256:${'A'.repeat(43)}`, config: '', pidFile: '' } },
      { id: 'lan-gm0001', kind: 'host', namespace: 'ggi-lan-gm0001-123456', meta: { organisation: 'GM0001', service: null }, dir, interfaces: [{ name: 'eth0', addresses: ['192.0.2.18/29', '2a07:3500:4::2/64'], peer: { node: 'ce-gm0001', ifname: 'l-gm0001-staff' } }], sysctls: {}, listens: [] },
      { id: 'svc-dns', kind: 'host', namespace: 'ggi-svc-dns-654321', meta: { organisation: null, service: 'dns' }, dir, interfaces: [{ name: 'eth0', addresses: ['203.0.113.18/28'] }], sysctls: {}, listens: [{ proto: 'udp', port: 53 }] },
    ],
  } as unknown as LabState;

  it('lists every router with its pinned key, and round-trips through the file', () => {
    const t = labTargetFromState(state, { inventory: '/inv', profile: 'lab' });
    expect(t.devices).toEqual([
      { id: 'ce-gm0001', role: 'ce', address: '198.19.0.11', port: 22, user: 'root', hostKey: `SHA256:${'A'.repeat(43)}`, hostKeyLine: 'ssh-ed25519 AAAAC3', privateKey: `${dir}/controller_ed25519`, namespace: 'ggi-ce-gm0001-abcdef', pathspace: 'ggi-ce-gm0001-abcdef', stateDir: '/var/run/frr/ggi-ce-gm0001-abcdef/ggi' },
    ]);
    expect(readLabTarget(dir)).toBeNull();
    writeLabTarget(dir, t);
    expect(readLabTarget(dir)).toEqual(t);
    fs.writeFileSync(path.join(dir, 'target.json'), '{"version":2}');
    expect(() => readLabTarget(dir)).toThrow(/not a ggi lab target/);
    removeLabTarget(dir);
    expect(readLabTarget(dir)).toBeNull();
  });

  it('turns a lab state into the CLI.md status document', () => {
    expect(statusJson(true, state)).toEqual({
      up: true,
      // A state without a recorded platform (a lab built by an older ggi): the router's platform, by its role.
      devices: [{ id: 'ce-gm0001', namespace: 'ggi-ce-gm0001-abcdef', mgmt: '198.19.0.11', role: 'ce', platform: 'linux-frr', managed: true }],
      hosts: [
        { id: 'lan-gm0001', namespace: 'ggi-lan-gm0001-123456', organisation: 'GM0001', service: null, addresses: ['192.0.2.18', '2a07:3500:4::2'], listens: [] },
        { id: 'svc-dns', namespace: 'ggi-svc-dns-654321', organisation: null, service: 'dns', addresses: ['203.0.113.18'], listens: [{ proto: 'udp', port: 53 }] },
      ],
      faults: [],
    });
    expect(statusJson(false, null)).toEqual({ up: false, devices: [], hosts: [], faults: [] });
    // A stand-in for a party outside GGI is listed, not managed; a recorded platform is reported as recorded.
    const kps = { ...state.nodes[0], id: 'kps-peer', namespace: 'ggi-kps-peer-fedcba', meta: { role: 'kps-peer', platform: 'linux-frr', organisation: null, service: null } };
    const dhcp = { ...state.nodes[0], id: 'dhcp-gm0001', kind: 'host' as const, namespace: 'ggi-dhcp-gm0001-0a0b0c', meta: { role: 'dhcp', platform: 'kea', organisation: 'GM0001', service: null } };
    expect(statusJson(true, { ...state, nodes: [kps, dhcp] }).devices.map((d) => [d.id, d.role, d.platform, d.managed])).toEqual([
      ['kps-peer', 'kps-peer', 'linux-frr', false],
      ['dhcp-gm0001', 'dhcp', 'kea', true],
    ]);
  });

  it('prints a down lab as JSON when there is no state', async () => {
    const out: string[] = [];
    const io = { stdout: (t: string) => void out.push(t), stderr: () => undefined, isTTY: false, env: {}, cwd: dir, now: () => new Date() };
    const cmd = commands.find((c) => c.spec.name === 'lab status')!;
    const { global, args } = parseCommandArgs(['--state', path.join(dir, 'none'), '--format', 'json'], cmd.spec);
    expect(await cmd.run({ io, global, args, spec: cmd.spec })).toBe(0);
    expect(JSON.parse(out.join(''))).toEqual({ up: false, devices: [], hosts: [], faults: [] });
  });
});

describe('ggi lab up on an inventory that cannot become a lab', () => {
  it('exits 1 with a clear message and no stack trace', async () => {
    const files = { ...baseFiles(), 'ggi.yaml': SETTINGS.replace('  managementIpv4: 198.19.0.0/24\n', '') };
    const dir = tmpInventory(files);
    const state = fs.mkdtempSync(path.join(os.tmpdir(), 'ggi-labstate-'));
    try {
      const out: string[] = [];
      const err: string[] = [];
      const io = { stdout: (t: string) => void out.push(t), stderr: (t: string) => void err.push(t), isTTY: false, env: {}, cwd: scratchCwd(), now: () => new Date() };
      const code = await main(['lab', 'up', '--inventory', dir, '--state', state], io);
      expect(code).toBe(1);
      expect(out.join('')).toBe('');
      expect(err.join('')).toContain('transfer.managementIpv4');
      expect(err.join('')).not.toMatch(/\n\s+at /);
      expect(fs.readdirSync(state)).toEqual([]);
    } finally {
      cleanup(dir);
      fs.rmSync(state, { recursive: true, force: true });
    }
  });
});
