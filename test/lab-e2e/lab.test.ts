import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../../src/cli/main';
import { candidatePath, frrLocations, linuxFrr, linuxFrrHost, vtysh, type FrrExpectations } from '../../src/devices/linux-frr/index';
import { buildIntents, type DeviceIntent } from '../../src/intent';
import { labDeviceLayout, readLabTarget, type LabTarget } from '../../src/lab/inventory-lab';
import { labOnlyRadiusIntents } from '../../src/lab/govroam';
import { labDown, localRunner, mapLimit, missingListeners, probeTcp, type Runner } from '../../src/lab';
import { loadInventory } from '../../src/model/load';
import { describeWith, need, unmet } from '../helpers/prereq';
import { scratchCwd } from '../helpers/tmp-inventory';

/**
 * `ggi lab up|status|down` on the example inventory (lab profile): every device and host exists, service hosts listen,
 * the status JSON has the CLI.md shape; the rendered configs, activated directly in the namespaces (the reconciler's
 * own tests go through SSH), bring up every expected BGP session, and the KPS peer learns only registered prefixes and
 * no default route; `lab down` leaves nothing behind.
 */

const INVENTORY = path.resolve(__dirname, '../../inventory');
const NAME = 'ggie2e';
const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ggi-lab-e2e-'));
const runner: Runner = localRunner();
const missing = unmet(need.root(), need.command('ip', 'iproute2'), need.command('vtysh', 'frr'), need.command('nft', 'nftables'));

/** Runs `ggi lab …` in-process through the real CLI entry point. */
async function lab(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io = { stdout: (t: string) => void out.push(t), stderr: (t: string) => void err.push(t), isTTY: false, env: {}, cwd: scratchCwd(), now: () => new Date() };
  const code = await main(['lab', ...argv], io);
  return { code, stdout: out.join(''), stderr: err.join('') };
}

function leftovers(): string[] {
  const ls = (dir: string) => {
    try {
      return fs.readdirSync(dir).filter((n) => n.startsWith(`${NAME}-`)).map((n) => path.join(dir, n));
    } catch {
      return [];
    }
  };
  return [...ls('/run/netns'), ...ls('/sys/class/net'), ...ls('/etc/frr'), ...ls('/var/run/frr'), ...(fs.existsSync(stateDir) ? [stateDir] : [])];
}

afterAll(async () => {
  if (missing === null) await labDown({ stateDir, name: NAME }, runner).catch(() => undefined);
  fs.rmSync(stateDir, { recursive: true, force: true });
});

describeWith(missing, 'ggi lab on the example inventory', () => {
  let intents: DeviceIntent[] = [];
  // The lab's own govroam servers (national proxies, home servers): devices of the lab, not of the inventory.
  let labOnly: DeviceIntent[] = [];
  let target: LabTarget | null = null;

  it('brings the lab up and writes the lab target', async () => {
    const loaded = loadInventory(INVENTORY, { profile: 'lab' });
    expect(loaded.inventory).not.toBeNull();
    const built = buildIntents(loaded.inventory!);
    expect(built.findings.filter((f) => f.severity === 'error')).toEqual([]);
    intents = built.intents;

    const r = await lab('up', '--inventory', INVENTORY, '--state', stateDir, '--name', NAME, '--format', 'json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.up).toBe(true);
    // Every device of the inventory, and the lab's own govroam servers (the national proxies and the home servers).
    labOnly = labOnlyRadiusIntents(loaded.inventory!, intents);
    expect(doc.devices.map((d: { id: string }) => d.id).sort()).toEqual([...intents, ...labOnly].map((i) => i.id).sort());

    target = readLabTarget(stateDir);
    expect(target).not.toBeNull();
    for (const d of target!.devices) {
      expect(d.hostKey).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
      expect(fs.existsSync(d.privateKey)).toBe(true);
      // Inventory devices keep their declared management address; the lab's own servers get one from the pool.
      const declared = intents.find((i) => i.id === d.id);
      if (declared) expect(d.address).toBe(declared.management.address);
      else expect(labOnly.map((i) => i.id)).toContain(d.id);
    }
  });

  it('reports every device and host with the CLI.md status shape, and the namespaces exist', async () => {
    const r = await lab('status', '--state', stateDir, '--format', 'json');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(Object.keys(doc).sort()).toEqual(['devices', 'faults', 'hosts', 'up']);
    expect(doc.faults).toEqual([]);
    expect(doc.up).toBe(true);
    for (const d of doc.devices) {
      expect(Object.keys(d).sort()).toEqual(['id', 'managed', 'mgmt', 'namespace', 'platform', 'role']);
      expect(fs.existsSync(`/run/netns/${d.namespace}`)).toBe(true);
      const declared = intents.find((i) => i.id === d.id);
      // An inventory device is managed unless it stands for a party outside GGI (the KPS, a supplier's router).
      if (declared) expect([d.role, d.platform, d.managed]).toEqual([declared.role, declared.platform, !['kps-peer', 'supplier-router'].includes(declared.role)]);
    }
    // The GGI-Veilig SOC is a host on the management network, at veilig.yaml's collector address, listening on its ports.
    const soc = doc.hosts.find((h: { id: string }) => h.id === 'soc');
    expect(soc).toMatchObject({ organisation: null, service: null, addresses: ['198.19.255.250'], listens: expect.arrayContaining([{ proto: 'udp', port: 2055 }, { proto: 'udp', port: 5140 }]) });
    for (const h of doc.hosts) {
      expect(Object.keys(h).sort()).toEqual(['addresses', 'id', 'listens', 'namespace', 'organisation', 'service']);
      expect(h.organisation === null || typeof h.organisation === 'string').toBe(true);
      expect(h.service === null || typeof h.service === 'string').toBe(true);
      // A visitor namespace gets its addresses from DHCP (docs/kea.md); every other host has declared ones.
      if (!h.id.startsWith('visitor-')) expect(h.addresses.length).toBeGreaterThan(0);
      expect(fs.existsSync(`/run/netns/${h.namespace}`)).toBe(true);
    }
    // A LAN host for every organisation whose CE carries a LAN, a service host for every hosted service.
    const lanOrgs = new Set(intents.filter((i) => i.role === 'ce').flatMap((i) => i.interfaces.filter((x) => x.kind === 'lan' && x.organisation).map((x) => x.organisation!)));
    const services = new Set(intents.flatMap((i) => i.interfaces.filter((x) => x.service).map((x) => x.service!)));
    expect(new Set(doc.hosts.filter((h: { id: string; service: string | null }) => h.service === null && h !== soc).map((h: { organisation: string }) => h.organisation))).toEqual(lanOrgs);
    expect(new Set(doc.hosts.filter((h: { service: string | null }) => h.service !== null).map((h: { service: string }) => h.service))).toEqual(services);

    // Service hosts really listen on their declared ports, TCP and UDP.
    const svcHosts = doc.hosts.filter((h: { service: string | null }) => h.service !== null);
    expect(svcHosts.some((h: { listens: Array<{ proto: string }> }) => h.listens.some((l) => l.proto === 'udp'))).toBe(true);
    for (const h of svcHosts) {
      expect(h.listens.length).toBeGreaterThan(0);
      expect(await missingListeners(runner, h.namespace, h.listens)).toEqual([]);
    }
  });

  it('a second lab up on the same state folder and inventory changes nothing and keeps the running lab and its target', async () => {
    if (!target) throw new Error('the lab did not come up (see the first test)');
    const r = await lab('up', '--inventory', INVENTORY, '--state', stateDir, '--name', NAME);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toContain('the lab was up: it already matches the inventory');
    expect(readLabTarget(stateDir)).toEqual(target);
  });

  it('brings up every BGP session with the rendered configs; the KPS learns only registered prefixes', async () => {
    if (!target) throw new Error('the lab did not come up (see the first test)');
    const byId = new Map(intents.map((i) => [i.id, i]));
    // The routers: every linux-frr device of the inventory (RADIUS servers and appliances have drivers of their own).
    const routers = target.devices.filter((d) => byId.get(d.id)?.platform === 'linux-frr');
    await mapLimit(routers, 8, async (d) => {
      const r = linuxFrrHost(linuxFrr.render(byId.get(d.id)!), labDeviceLayout(d));
      for (const f of r.files) {
        fs.mkdirSync(path.dirname(f.path), { recursive: true });
        fs.writeFileSync(candidatePath(f.path), f.content, { mode: f.mode });
      }
      for (const c of r.validate) await runner.run(c, { netns: d.namespace });
      for (const f of r.files) fs.renameSync(candidatePath(f.path), f.path);
      for (const c of r.activate) await runner.run(c, { netns: d.namespace, timeoutMs: 120_000 });
    });

    // Sessions come up on BGP's own timers: poll (bounded) until every expected session is Established.
    const pending = async (): Promise<string[]> => {
      const lists = await mapLimit(routers, 8, async (d) => {
        const v = linuxFrr.render(byId.get(d.id)!).checks as FrrExpectations;
        if (v.sessions.length === 0) return [];
        const res = await runner.run(vtysh(frrLocations(labDeviceLayout(d)), '-c', 'show bgp neighbors json'), { netns: d.namespace, allowFail: true });
        let json: Record<string, { bgpState?: string }> = {};
        try {
          json = JSON.parse(res.stdout);
        } catch {
          // not ready yet
        }
        return v.sessions.filter((s) => json[s.peer]?.bgpState !== 'Established').map((s) => `${d.id} -> ${s.peerDevice} (${s.peer})`);
      });
      return lists.flat();
    };
    let left = await pending();
    for (let round = 0; left.length > 0 && round < 60; round++) {
      await new Promise((r) => setTimeout(r, 2000));
      left = await pending();
    }
    expect(left).toEqual([]);

    const kps = target.devices.find((d) => d.role === 'kps-peer')!;
    const border = byId.get('border-overheid') ?? intents.find((i) => i.role === 'border-overheid')!;
    const allowed = new Set(border.bgp!.prefixLists.filter((l) => l.name.startsWith('TO-KPS')).flatMap((l) => l.entries.filter((e) => e.action === 'permit').map((e) => e.prefix)));
    for (const afi of ['ipv4', 'ipv6']) {
      const res = await runner.run(['vtysh', '-N', kps.pathspace, '-c', `show bgp ${afi} unicast json`], { netns: kps.namespace });
      const routes = Object.keys(JSON.parse(res.stdout).routes ?? {});
      const own = new Set([...byId.get(kps.id)!.bgp!.originate.ipv4, ...byId.get(kps.id)!.bgp!.originate.ipv6]);
      const learned = routes.filter((p) => !own.has(p));
      expect(learned.length).toBeGreaterThan(0);
      expect(learned).not.toContain(afi === 'ipv4' ? '0.0.0.0/0' : '::/0');
      expect(learned.filter((p) => !allowed.has(p))).toEqual([]);
    }

    // Real flows the example policy allows: Leiden's LAN host reaches the BRP (overheid) and the Zaakwolk zaaksysteem
    // (markt), over both families where both ends have one; the LAN host's routes pick the source of the right zone.
    type Host = { id: string; namespace: string; organisation: string | null; service: string | null; addresses: string[]; listens: Array<{ proto: string; port: number }> };
    const status = JSON.parse((await lab('status', '--state', stateDir, '--format', 'json')).stdout) as { hosts: Host[] };
    const lan = status.hosts.find((h) => h.organisation === 'GM0546' && h.service === null)!;
    expect(lan).toBeDefined();
    const failed: string[] = [];
    const ce = intents.find((i) => i.role === 'ce' && i.interfaces.some((x) => x.organisation === 'GM0546'))!;
    let probed = 0;
    for (const [name, zone] of [['diginetwerk-brp', 'overheid'], ['zaakwolk-zaken', 'markt']] as const) {
      const svc = status.hosts.find((h) => h.service === name)!;
      expect(svc).toBeDefined();
      for (const v6 of [false, true]) {
        const dst = svc.addresses.find((a) => a.includes(':') === v6);
        // Only where Leiden has a LAN address of this family in the service's zone.
        const src = ce.interfaces.some((x) => x.kind === 'lan' && x.organisation === 'GM0546' && x.zone === zone && x.addresses.some((a) => a.includes(':') === v6));
        if (!dst || !src) continue;
        probed++;
        if (!(await probeTcp(runner, lan.namespace, dst, svc.listens[0].port))) failed.push(`${lan.id} -> ${name} ${dst}:${svc.listens[0].port}`);
      }
    }
    expect(failed).toEqual([]);
    expect(probed).toBeGreaterThanOrEqual(3);
  });

  it('takes everything down and leaves nothing behind', async () => {
    const r = await lab('down', '--state', stateDir, '--format', 'json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ down: true, remaining: [] });
    expect(leftovers()).toEqual([]);
    const s = await lab('status', '--state', stateDir, '--format', 'json');
    expect(JSON.parse(s.stdout)).toEqual({ up: false, devices: [], hosts: [], faults: [] });
  });
});
