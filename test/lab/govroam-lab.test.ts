/**
 * govroam in the lab, configured through the `radius` driver: the shipped inventory's RADIUS servers, two national
 * proxies and each IdP's FreeRADIUS home server in namespaces, all empty until the driver's transaction (render,
 * stage and check on the device, arm, activate, Status-Server, confirm) configures them over SSH. Then the proof with
 * real EAP (eapol_test as the access point), and the failure cases: a candidate the device's own check refuses, one
 * that activates but fails Status-Server, tampering, and a controller that disappears after activation.
 *
 * Run under the lab lock: flock /work/lab.lock npx jest --selectProjects lab test/lab/govroam-lab.test.ts
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import type { Candidate, ShellTransport, SessionContext } from '../../src/devices/contract';
import { radiusDriver } from '../../src/devices/radius';
import { labRadiusRoot } from '../../src/devices/radius/session';
import { RADSECPROXY_CONF } from '../../src/devices/radius/render';
import { buildIntents } from '../../src/intent';
import { labDown, labUp, localRunner, type LabState } from '../../src/lab';
import { govroamEapChecks, provisionGovroamLab, readGovroamLabSecrets, type LabRadiusDevice } from '../../src/lab/govroam';
import { labSpecFromIntents } from '../../src/lab/inventory-lab';
import { loadInventory } from '../../src/model/load';
import type { Inventory } from '../../src/model/inventory';
import { readSecret } from '../../src/secrets';
import { connectSsh } from '../../src/reconciler/transport';
import { runTransaction } from '../govroam/transaction';
import { describeLab } from './prereq';

const LAB = 'ggigv';
const runner = localRunner();

function missingTools(): string[] {
  return ['radsecproxy', 'freeradius', 'radclient', 'eapol_test', 'openssl'].filter((c) => spawnSync('sh', ['-c', `command -v ${c}`]).status !== 0);
}

describeLab('govroam lab through the radius driver', () => {
  let dir = '';
  let state: LabState;
  let inv: Inventory;
  let devices: LabRadiusDevice[] = [];

  const node = (id: string) => state.nodes.find((n) => n.id === id)!;

  async function transport(id: string): Promise<ShellTransport> {
    const n = node(id);
    const t = await connectSsh({ id, host: n.sshd!.address, port: n.sshd!.port, user: 'root', hostKey: n.sshd!.hostKeySha256, privateKey: fs.readFileSync(state.controllerKey!.privateKeyFile, 'utf8') });
    return { kind: 'ssh', hostKey: t.hostKey, exec: (c, o) => t.exec(c, o), readFile: (p) => t.readFile(p), writeFile: (p, c, m) => t.writeFile(p, c, m), close: () => t.close() };
  }

  function context(d: LabRadiusDevice, candidate: Candidate, env: Record<string, string> = readGovroamLabSecrets(dir)!.env): SessionContext {
    const ns = node(d.id).namespace;
    const secrets = new Map(candidate.secrets.map((u) => [u.id, readSecret(u.ref, { ...process.env, ...env })]));
    return { deviceId: d.id, layout: { stateDir: `/var/run/frr/${ns}/ggi`, lockTtlS: 900, pathspace: ns }, candidate, secrets };
  }

  async function apply(d: LabRadiusDevice, opts: { env?: Record<string, string>; revertInS?: number } = {}) {
    const candidate = radiusDriver.render({ id: d.id, radius: d.radius } as never);
    const t = await transport(d.id);
    const session = radiusDriver.open(t, context(d, candidate, opts.env));
    try {
      return await runTransaction(radiusDriver, session, candidate, { revertInS: opts.revertInS ?? 120 });
    } finally {
      await session.close();
    }
  }

  const confOf = (d: LabRadiusDevice) => path.join(labRadiusRoot(node(d.id).namespace), RADSECPROXY_CONF);

  beforeAll(async () => {
    const missing = missingTools();
    if (missing.length) throw new Error(`missing ${missing.join(', ')} (scripts/install.sh installs them)`);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ggi-govroam-lab-'));
    await labDown({ name: LAB }, runner);
    inv = loadInventory(path.resolve(__dirname, '../../inventory'), { profile: 'lab' }).inventory!;
    const intents = buildIntents(inv).intents.filter((i) => i.role === 'radius');
    state = await labUp(labSpecFromIntents(inv, intents, { stateDir: dir, name: LAB }), runner);
    devices = await provisionGovroamLab(state, inv, intents, runner);
  });

  afterAll(async () => {
    await labDown(dir ? { stateDir: dir, name: LAB } : { name: LAB }, runner);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('the lab has every RADIUS device, empty: no daemon runs before apply', async () => {
    expect(devices.map((d) => d.radius.kind).sort()).toEqual([...Array(2).fill('nlrs'), ...Array(4).fill('home'), ...Array(6).fill('proxy')].sort());
    for (const d of devices) expect({ id: d.id, conf: fs.existsSync(d.radius.kind === 'home' ? path.join(labRadiusRoot(node(d.id).namespace), 'etc/freeradius/3.0/clients.conf') : confOf(d)) }).toEqual({ id: d.id, conf: d.radius.kind === 'home' });
    for (const d of devices) {
      const pids = (await runner.run(['ip', 'netns', 'pids', node(d.id).namespace])).stdout.split(/\s+/).filter(Boolean);
      const names = pids.map((p) => fs.readFileSync(`/proc/${p}/comm`, 'utf8').trim()).filter((c) => c !== 'sshd');
      expect({ id: d.id, names }).toEqual({ id: d.id, names: [] });
    }
  });

  test('the driver configures every device (checked on the device, Status-Server verified, confirmed); a second run changes nothing', async () => {
    const first = await Promise.all(devices.map(async (d) => ({ id: d.id, ...(await apply(d)) })));
    expect(first.map((r) => ({ id: r.id, outcome: r.outcome, detail: r.detail }))).toEqual(devices.map((d) => ({ id: d.id, outcome: 'applied', detail: undefined })));
    // Plans show placeholders, never values.
    const values = Object.values(readGovroamLabSecrets(dir)!.env);
    const shown = JSON.stringify(first.map((r) => r.diff));
    expect(values.filter((v) => shown.includes(v.trim().split('\n')[1] ?? v))).toEqual([]);
    expect(shown).toContain('@@ggi-secret:');
    const second = await Promise.all(devices.map(async (d) => ({ id: d.id, outcome: (await apply(d)).outcome })));
    expect(second).toEqual(devices.map((d) => ({ id: d.id, outcome: 'unchanged' })));
  });

  test('real EAP through the NLRS: TTLS/PAP and PEAP/MSCHAPv2 accepted, wrong password and unknown realm rejected, Operator-Name and CUI at the IdP, accounting local', async () => {
    const checks = await govroamEapChecks(state, inv, runner);
    expect(checks.filter((c) => !c.ok)).toEqual([]);
    expect(checks.map((c) => c.name.replace(/:.*| at .*|GM\d+'s |of GM\d+|GM\d+/g, '').trim())).toEqual([
      'govroam EAP-TTLS/PAP',
      'govroam PEAP/MSCHAPv2',
      'govroam wrong password',
      'govroam unknown realm',
      'govroam home server logs Operator-Name',
      'govroam home server returns a Chargeable-User-Identity',
      'govroam accounting stays',
    ]);
  });

  test('a candidate the device refuses is never activated (radsecproxy -p, freeradius -XC)', async () => {
    // An option the installed daemon does not know (a newer renderer, an older package): only the device can tell.
    for (const [kind, doc, change] of [
      ['nlrs', 'radsecproxy.conf', (c: string) => c.replace(/^LoopPrevention on$/m, 'LoopPrevention on\nFutureOption on')],
      ['home', 'freeradius/sites-enabled/default', (c: string) => c.replace('\t\tfiles\n', '\t\tfiles\n\t\tno_such_module\n')],
    ] as const) {
      const d = devices.find((x) => x.radius.kind === kind)!;
      const good = radiusDriver.render({ id: d.id, radius: d.radius } as never);
      const candidate = { ...good, documents: good.documents.map((x) => (x.name === doc ? { ...x, content: change(x.content) } : x)) };
      expect(candidate.documents.find((x) => x.name === doc)!.content).not.toBe(good.documents.find((x) => x.name === doc)!.content);
      const file = path.join(labRadiusRoot(node(d.id).namespace), kind === 'nlrs' ? RADSECPROXY_CONF : 'etc/freeradius/3.0/sites-enabled/default');
      const before = fs.readFileSync(file, 'utf8');
      const t = await transport(d.id);
      const session = radiusDriver.open(t, context(d, candidate));
      const r = await runTransaction(radiusDriver, session, candidate).finally(() => session.close());
      expect({ kind, outcome: r.outcome, step: r.step }).toEqual({ kind, outcome: 'refused', step: 'stage' });
      expect(r.detail).toMatch(/check refused/);
      expect(fs.readFileSync(file, 'utf8')).toBe(before);
      // Still running the previous configuration, unlocked.
      expect((await apply(d)).outcome).toBe('unchanged');
    }
  });

  test('a candidate that activates but fails Status-Server (listen address not on the device) rolls back by itself', async () => {
    const nlrs = devices.find((d) => d.radius.kind === 'nlrs')!;
    const before = fs.readFileSync(confOf(nlrs), 'utf8');
    const moved: LabRadiusDevice = { ...nlrs, radius: { ...nlrs.radius, address: '192.0.2.99' } };
    const r = await apply(moved);
    expect({ outcome: r.outcome, step: r.step }).toEqual({ outcome: 'rolled-back', step: 'verify' });
    expect(r.checks.map((c) => c.ok)).toEqual([false]);
    expect(fs.readFileSync(confOf(nlrs), 'utf8')).toBe(before);
    // The previous configuration runs again: Status-Server answers and nothing differs.
    expect((await apply(nlrs)).outcome).toBe('unchanged');
    const t = await transport(nlrs.id);
    const s = radiusDriver.openReadOnly(t, context(nlrs, radiusDriver.render({ id: nlrs.id, radius: nlrs.radius } as never)));
    expect((await s.verify({ deadline: Date.now() + 10_000, excused: new Set() })).map((c) => c.ok)).toEqual([true]);
    await s.close();
  });

  test('tampering with radsecproxy.conf is drift, and the next transaction repairs it', async () => {
    const proxy = devices.find((d) => d.radius.kind === 'proxy')!;
    const good = fs.readFileSync(confOf(proxy), 'utf8');
    fs.writeFileSync(confOf(proxy), good.replace(/^LogLevel \d$/m, 'LogLevel 5') + 'realm /@evil\\.example$/ {\n    server nlrs-1\n}\n');
    const candidate = radiusDriver.render({ id: proxy.id, radius: proxy.radius } as never);
    const t = await transport(proxy.id);
    const ro = radiusDriver.openReadOnly(t, context(proxy, candidate));
    const drift = radiusDriver.diff(candidate, await ro.read());
    await ro.close();
    expect(drift.map((d) => d.path)).toEqual([confOf(proxy)]);
    expect(drift[0].diff).toMatch(/^-realm \/@evil/m);
    expect((await apply(proxy)).outcome).toBe('applied');
    expect(fs.readFileSync(confOf(proxy), 'utf8')).toBe(good);
  });

  test.each(['activate', 'verify'])('a controller killed (SIGKILL) at %s: the device ends in its previous configuration, never half', async (at) => {
    const proxy = devices.find((d) => d.radius.kind === 'proxy')!;
    const old = fs.readFileSync(confOf(proxy), 'utf8');
    const changed = { ...proxy.radius, logLevel: 4 };
    const candidate = radiusDriver.render({ id: proxy.id, radius: changed } as never);
    const n = node(proxy.id);
    const input = {
      device: proxy.id,
      host: n.sshd!.address,
      port: n.sshd!.port,
      hostKey: n.sshd!.hostKeySha256,
      keyFile: state.controllerKey!.privateKeyFile,
      namespace: n.namespace,
      radius: changed,
      secrets: Object.fromEntries(context(proxy, candidate).secrets),
      revertInS: 4,
    };
    const child = spawn(process.execPath, [path.join(__dirname, 'fixtures/radius-controller.js')], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    const reached = new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (b: Buffer) => {
        out += b.toString();
        if (out.includes(`step ${at}\n`)) resolve();
      });
      child.on('exit', () => reject(new Error(`the controller ended before ${at}: ${out} ${err}`)));
    });
    child.stdin.end(JSON.stringify(input));
    await reached;
    // The step has started; kill the controller while it runs (activation is a rename and a restart).
    await new Promise((r) => setTimeout(r, 1700));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const during = fs.readFileSync(confOf(proxy), 'utf8');
    // Whole files only: the old one, or the new one (LogLevel 4) complete.
    expect(during === old || (/^LogLevel 4$/m.test(during) && during.replace('LogLevel 4', 'LogLevel 3') === old)).toBe(true);
    // The on-device timer (4 s) restores the previous configuration, restarts radsecproxy and releases the lock. A
    // bounded wait, not a timing assertion: on a loaded host the restore's stop and start take seconds.
    const ggiState = `/var/run/frr/${n.namespace}/ggi`;
    const restored = () => fs.readFileSync(confOf(proxy), 'utf8') === old && !fs.existsSync(`${ggiState}/lock`) && !fs.existsSync(`${ggiState}/rollback`);
    for (const until = Date.now() + 60_000; !restored() && Date.now() < until; ) await new Promise((r) => setTimeout(r, 250));
    expect(fs.readFileSync(confOf(proxy), 'utf8')).toBe(old);
    expect((await apply(proxy)).outcome).toBe('unchanged');
    const ro = radiusDriver.openReadOnly(await transport(proxy.id), context(proxy, radiusDriver.render({ id: proxy.id, radius: proxy.radius } as never)));
    expect((await ro.verify({ deadline: Date.now() + 10_000, excused: new Set() })).map((c) => c.ok)).toEqual([true]);
    await ro.close();
  });
});
