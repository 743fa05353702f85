/**
 * Platform kea in the lab, with real Kea (kea-dhcp4, kea-dhcp6, kea-ctrl-agent) and a real DHCP client:
 *
 *   - the lab starts the appliance empty; the driver's transaction (config-test, config-set, verify, config-write)
 *     configures it over the Control Agent's API with basic auth, and a second run changes nothing;
 *   - ISC dhclient in the visitor namespace gets an IPv4 and an IPv6 lease from the declared pools, and the appliance
 *     holds them (the `ggi verify` DHCP lease check);
 *   - real packets from the leased addresses (IPv4 and IPv6) reach neither zone (the CE's nftables, from the guardrails), while
 *     the organisation's own LAN reaches both services over the same CE;
 *   - a configuration changed through the API is drift, and the next transaction puts the declared one back;
 *   - Kea's own check refuses a bad candidate before anything is active; a failed verification restores the previous
 *     configuration;
 *   - a controller killed mid-apply leaves each service in its previous or its new configuration, and the kept
 *     rollback point brings both back.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Candidate, HttpTransport } from '../../src/devices/contract';
import { linuxFrrHost, renderLinuxFrr } from '../../src/devices/linux-frr';
import { kea, keaCommand, renderKeaCandidate, type JsonObject } from '../../src/devices/kea';
import { buildIntents, type DeviceIntent } from '../../src/intent';
import { buildDhcpIntents } from '../../src/intent/dhcp';
import { labDown, labUp, localRunner, mapLimit, probeIcmp, probeTcp, type LabState, type Runner } from '../../src/lab';
import { labDeviceLayout, labSpecFromIntents, labTargetFromState } from '../../src/lab/inventory-lab';
import { labDhcpChecks, keaTargets, visitorLease, type KeaTarget } from '../../src/lab/kea';
import type { Inventory } from '../../src/model/inventory';
import { loadInventory } from '../../src/model/load';
import { connectHttp } from '../../src/reconciler/http-transport';
import { cleanup, tmpInventory } from '../helpers/tmp-inventory';
import { keaFiles } from '../devices/kea-fixture';
import { sessionContext, transaction } from './kea-helpers';
import { describeWith, labUnavailable, unmet } from '../helpers/prereq';
import { trueWithin } from '../helpers/retry';

const NAME = 'ggikea';
const runner: Runner = localRunner();
const ROOT = path.resolve(__dirname, '../..');

function keaMissing(): string | null {
  const need = ['/usr/sbin/kea-dhcp4', '/usr/sbin/kea-dhcp6', '/usr/sbin/kea-ctrl-agent', '/usr/sbin/dhclient', '/usr/sbin/nft'];
  const missing = need.filter((f) => !fs.existsSync(f));
  return missing.length ? `missing ${missing.join(', ')}` : null;
}

/** The configuration of each service as running now. */
async function running(api: HttpTransport): Promise<{ dhcp4: JsonObject; dhcp6: JsonObject }> {
  const out: Record<string, JsonObject> = {};
  for (const svc of ['dhcp4', 'dhcp6'] as const) {
    const a = await keaCommand(api, 'config-get', svc);
    expect(a.result).toBe(0);
    out[svc] = a.arguments as JsonObject;
  }
  return out as { dhcp4: JsonObject; dhcp6: JsonObject };
}

function pools(cfg: JsonObject, svc: 'dhcp4' | 'dhcp6'): string[] {
  const body = cfg[svc === 'dhcp4' ? 'Dhcp4' : 'Dhcp6'] as JsonObject;
  const list = (body[svc === 'dhcp4' ? 'subnet4' : 'subnet6'] ?? []) as JsonObject[];
  return list.flatMap((s) => ((s.pools ?? []) as JsonObject[]).map((p) => String(p.pool)));
}

/** describeLab, and Kea and dhclient must be installed: missing, the suite fails in CI and is skipped elsewhere. */
function describeKea(name: string, fn: () => void): void {
  describeWith(unmet(labUnavailable(), keaMissing()), name, fn);
}

describeKea('platform kea in the lab', () => {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ggi-lab-kea-'));
  let invDir = '';
  let inv: Inventory;
  let intents: DeviceIntent[] = [];
  let state: LabState;
  let target: KeaTarget;
  let api: HttpTransport;
  let candidate: Candidate;
  let namespace = '';

  const ctx = (c: Candidate = candidate) => sessionContext(target.id, namespace, c);
  const openApi = () => connectHttp({ id: target.id, host: target.address, port: target.port, auth: { user: target.user, password: target.password } });

  beforeAll(async () => {
    invDir = tmpInventory(keaFiles());
    const loaded = loadInventory(invDir, { profile: 'lab' });
    expect(loaded.inventory).not.toBeNull();
    inv = loaded.inventory!;
    intents = buildIntents(inv).intents;
    const started = Date.now();
    state = await labUp(labSpecFromIntents(inv, intents, { stateDir, name: NAME }), runner);
    console.log(`[kea lab] labUp took ${Date.now() - started} ms`);
    target = keaTargets(state)[0];
    namespace = target.namespace;
    api = openApi();
    const dhcp = buildDhcpIntents(inv).intents.find((d) => d.id === target.id)!;
    candidate = renderKeaCandidate({ id: dhcp.id, dhcp: { subnets: dhcp.subnets } });

    // The routers get their rendered configuration directly (the reconciler's own tests go through SSH).
    const byId = new Map(intents.map((i) => [i.id, i]));
    const lab = labTargetFromState(state, { inventory: invDir, profile: 'lab' });
    await mapLimit(lab.devices.filter((d) => byId.get(d.id)?.platform === 'linux-frr'), 8, async (d) => {
      const r = linuxFrrHost(renderLinuxFrr(byId.get(d.id)!), labDeviceLayout(d));
      for (const f of r.files) {
        fs.mkdirSync(path.dirname(f.path), { recursive: true });
        fs.writeFileSync(f.candidate ?? `${f.path}.ggi-candidate`, f.content, { mode: f.mode });
      }
      // Validation commands name the staged candidates; run them on the candidate paths.
      for (const c of r.validate) await runner.run(c, { netns: d.namespace });
      for (const f of r.files) fs.renameSync(f.candidate ?? `${f.path}.ggi-candidate`, f.path);
      for (const c of r.activate) await runner.run(c, { netns: d.namespace, timeoutMs: 120_000 });
    });
  }, 900_000);

  afterAll(async () => {
    await api?.close();
    const down = await labDown({ stateDir, name: NAME }, runner);
    expect(down.remaining).toEqual([]);
    expect(fs.existsSync(`/run/ggi-kea/${namespace}`)).toBe(false);
    fs.rmSync(stateDir, { recursive: true, force: true });
    if (invDir) cleanup(invDir);
  });

  it('starts empty, is refused without the password, and is configured by one transaction; a second changes nothing', async () => {
    const wrong = connectHttp({ id: target.id, host: target.address, port: target.port, auth: { user: target.user, password: { env: 'X' } } }, { env: { X: 'not-the-password' } });
    expect((await wrong.request({ method: 'POST', path: '/', body: { command: 'status-get', service: ['dhcp4'] } })).status).toBe(401);
    await wrong.close();

    const before = await kea.openReadOnly(api, ctx()).read();
    const drift = kea.diff(candidate, before);
    expect(drift.map((d) => d.path)).toEqual(['kea:/dhcp4', 'kea:/dhcp6']);
    expect(drift[0].diff).toContain('subnet4');

    const r = await transaction(kea, api, ctx());
    expect(r).toMatchObject({ outcome: 'applied' });
    expect(r.checks!.filter((c) => !c.ok)).toEqual([]);
    expect(kea.diff(candidate, await kea.openReadOnly(api, ctx()).read())).toEqual([]);
    expect(await transaction(kea, api, ctx())).toEqual({ outcome: 'unchanged' });
    // config-write made it the startup configuration.
    const file = JSON.parse(fs.readFileSync(`/run/ggi-kea/${namespace}/kea-dhcp4.conf`, 'utf8'));
    expect(file.Dhcp4.subnet4[0].pools[0].pool).toBe('203.0.113.66-203.0.113.69');
  });

  it('a real DHCP client in the visitor namespace gets IPv4 and IPv6 leases from the declared pools', async () => {
    const checks = await labDhcpChecks(runner, state, (t) => connectHttp({ id: t.id, host: t.address, port: t.port, auth: { user: t.user, password: t.password } }));
    console.log(`[kea lab] lease checks: ${JSON.stringify(checks)}`);
    expect(checks.map((c) => [c.name, c.ok])).toEqual([
      [`dhcp lease GM0001/govroam-visitor IPv4 (${target.id})`, true],
      [`dhcp lease GM0001/govroam-visitor IPv6 (${target.id})`, true],
    ]);
    expect(checks[0].observed).toMatch(/^203\.0\.113\.(6[6-9]), leased by dhcp-gm0001 to ([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
    expect(checks[1].observed).toMatch(/^3fff:500:2004:100::1[0-9a-f]{3}, leased by dhcp-gm0001$/);
  });

  it("real packets from the leased address reach neither zone; the organisation's own LAN reaches both", async () => {
    const host = (pred: (n: LabState['nodes'][number]) => boolean) => state.nodes.find(pred)!;
    const visitor = host((n) => n.meta.role === 'visitor');
    const lan = host((n) => n.id === 'lan-gm0001');
    const brp = host((n) => n.meta.service === 'diginetwerk-brp');
    const saas = host((n) => n.meta.service === 'saas-zaken');
    const v4 = (n: LabState['nodes'][number]) => n.interfaces.find((i) => i.name === 'eth0')!.addresses.find((a) => !a.includes(':'))!.split('/')[0];

    const lease = await visitorLease(runner, visitor, 4);
    expect(lease.address).toMatch(/^203\.0\.113\.6[6-9]$/);
    const addr = (await runner.run(['ip', '-4', '-o', 'addr', 'show', 'dev', 'eth0'], { netns: visitor.namespace })).stdout;
    expect(addr).toContain(`${lease.address}/29`);

    // BGP must have converged in both zones and both families for the control flows: poll (bounded) until the LAN host
    // reaches the services (overheid through the KPS, markt through the supplier: they converge independently).
    const v6 = (n: LabState['nodes'][number]) => n.interfaces.find((i) => i.name === 'eth0')!.addresses.find((a) => a.includes(':'))!.split('/')[0];
    const control = async () => [await probeTcp(runner, lan.namespace, v4(brp), 443), await probeTcp(runner, lan.namespace, v4(saas), 443), await probeTcp(runner, lan.namespace, v6(brp), 443)];
    let reached = await control();
    for (let i = 0; i < 45 && reached.includes(false); i++) {
      await new Promise((r) => setTimeout(r, 2000));
      reached = await control();
    }
    expect(reached).toEqual([true, true, true]);

    // The visitor is on the segment and routed by the CE (its gateway answers) ...
    expect(await trueWithin(3, () => probeIcmp(runner, visitor.namespace, '203.0.113.65'))).toBe(true);
    // ... yet reaches neither zone: the guardrails' packets are dropped by the CE's forward chain.
    expect(await probeTcp(runner, visitor.namespace, v4(brp), 443)).toBe(false);
    expect(await probeTcp(runner, visitor.namespace, v4(saas), 443)).toBe(false);
    expect(await probeIcmp(runner, visitor.namespace, v4(brp))).toBe(false);
    // IPv6 as well, from the DHCPv6 address (visitors get their default route from the CE's router advertisements,
    // which the lab does not run: the route is added by hand, on-link to the CE's address on the segment).
    const lease6 = await visitorLease(runner, visitor, 6);
    expect(lease6.address).toMatch(/^3fff:500:2004:100::1[0-9a-f]{3}$/);
    await runner.run(['ip', '-6', 'route', 'replace', 'default', 'via', '3fff:500:2004:100::1', 'dev', 'eth0', 'onlink'], { netns: visitor.namespace });
    expect(await probeTcp(runner, lan.namespace, v6(brp), 443)).toBe(true);
    expect(await trueWithin(3, () => probeIcmp(runner, visitor.namespace, '3fff:500:2004:100::1'))).toBe(true);
    expect(await probeTcp(runner, visitor.namespace, v6(brp), 443)).toBe(false);
    // Proof that the drop is the ruleset and not a missing route: the CE routes both destinations.
    const ce = state.nodes.find((n) => n.id === 'ce-gm0001')!;
    for (const dst of [v4(brp), v4(saas)]) {
      const route = await runner.run(['ip', 'route', 'get', dst, 'from', lease.address!, 'iif', ce.interfaces.find((i) => i.addresses.includes('203.0.113.65/29'))!.name], { netns: ce.namespace, allowFail: true });
      expect(route.code).toBe(0);
      expect(route.stdout).not.toMatch(/unreachable|prohibit/);
    }
  });

  it('a configuration changed through the API is drift, and the next transaction puts the declared one back', async () => {
    const now = await running(api);
    const tampered = JSON.parse(JSON.stringify(now.dhcp4)) as JsonObject;
    ((tampered.Dhcp4 as JsonObject).subnet4 as JsonObject[])[0].pools = [{ pool: '203.0.113.66-203.0.113.68' }];
    ((tampered.Dhcp4 as JsonObject)['option-data'] as JsonObject[]).push({ name: 'domain-name-servers', data: '192.0.2.53' });
    const set = await keaCommand(api, 'config-set', 'dhcp4', tampered);
    expect(set.result).toBe(0);

    const drift = kea.diff(candidate, await kea.openReadOnly(api, ctx()).read());
    expect(drift.map((d) => d.path)).toEqual(['kea:/dhcp4']);
    expect(drift[0].diff).toContain('Dhcp4.subnet4[0].pools[0].pool: "203.0.113.66-203.0.113.68" -> "203.0.113.66-203.0.113.69"');
    expect(drift[0].diff).toContain('Dhcp4.option-data[0]: remove');

    expect(await transaction(kea, api, ctx())).toMatchObject({ outcome: 'applied' });
    expect(kea.diff(candidate, await kea.openReadOnly(api, ctx()).read())).toEqual([]);
    expect(pools(await running(api).then((r) => r.dhcp4), 'dhcp4')).toEqual(['203.0.113.66-203.0.113.69']);
  });

  it("Kea's own check refuses a bad candidate before activation; a failed verification restores the previous configuration", async () => {
    const before = await running(api);
    const bad = JSON.parse(JSON.stringify(candidate)) as Candidate;
    bad.documents[0].content = bad.documents[0].content.replace('"203.0.113.66-203.0.113.69"', '"203.0.113.66-203.0.113.99"');
    const refused = await transaction(kea, api, ctx(bad));
    expect(refused.outcome).toBe('refused');
    expect(refused.reason).toMatch(/kea dhcp4 config-test: .*203\.0\.113\.99/);
    expect(await running(api)).toEqual(before);

    // A change that Kea accepts but that fails verification (the running pool is not the one the checks expect):
    // the kept configuration is set again.
    const other = JSON.parse(JSON.stringify(candidate)) as Candidate;
    other.documents[0].content = other.documents[0].content.replace('"203.0.113.66-203.0.113.69"', '"203.0.113.66-203.0.113.68"');
    const r = await transaction(kea, api, ctx(other), { verifyS: 3 });
    expect(r.checks!.filter((c) => !c.ok).map((c) => c.name)).toEqual([`${target.id} kea dhcp4 subnet GM0001/govroam-visitor`]);
    expect(r).toMatchObject({ outcome: 'rolled-back', step: 'verify', reason: 'verification failed' });
    expect(await running(api)).toEqual(before);
  });

  it('a controller killed mid-apply leaves each service in its previous or its new configuration; the kept point restores both', async () => {
    const dist = path.join(ROOT, 'dist/src/devices/kea/index.js');
    const build = await runner.run(['npx', 'tsc', '-p', 'tsconfig.build.json'], { allowFail: true, timeoutMs: 180_000 });
    expect(build.code).toBe(0);
    expect(fs.existsSync(dist)).toBe(true);
    const old = await running(api);
    const next = JSON.parse(JSON.stringify(candidate)) as Candidate;
    for (const d of next.documents) d.content = d.content.replace('"valid-lifetime": 3600', '"valid-lifetime": 1800');
    expect(next.documents.every((d) => d.content.includes('"valid-lifetime": 1800'))).toBe(true);
    const lifetime = (c: JsonObject, root: 'Dhcp4' | 'Dhcp6') => (c[root] as JsonObject)['valid-lifetime'];

    // The controller, as a separate process: it keeps the rollback point in a file (as the reconciler does) and is
    // killed at a given moment: before activation, right after the first config-set went out, or before confirm.
    const script = `
      const fs = require('fs');
      const { kea } = require(${JSON.stringify(dist)});
      const { connectHttp } = require(${JSON.stringify(path.join(ROOT, 'dist/src/reconciler/http-transport.js'))});
      const [at, pointFile, ctxFile] = process.argv.slice(1);
      const ctx = JSON.parse(fs.readFileSync(ctxFile, 'utf8'));
      ctx.secrets = new Map();
      const t = connectHttp(ctx.target, {});
      const real = t.request;
      t.request = async (r) => {
        const p = real(r);
        if (at === 'first-set' && r.body && r.body.command === 'config-set') setImmediate(() => process.kill(process.pid, 'SIGKILL'));
        return p;
      };
      (async () => {
        const s = kea.open(t, ctx);
        await s.lock('killed');
        await s.stage();
        const point = await s.arm(60);
        fs.writeFileSync(pointFile, JSON.stringify(point), { mode: 0o600 });
        if (at === 'before-activate') process.kill(process.pid, 'SIGKILL');
        await s.activate();
        if (at === 'before-confirm') process.kill(process.pid, 'SIGKILL');
        await s.confirm();
        fs.rmSync(pointFile);
      })();
    `;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ggi-kea-kill-'));
    try {
      for (const at of ['before-activate', 'first-set', 'before-confirm']) {
        const pointFile = path.join(dir, `point-${at}.json`);
        const ctxFile = path.join(dir, `ctx-${at}.json`);
        fs.writeFileSync(ctxFile, JSON.stringify({ ...ctx(next), secrets: {}, target: { id: target.id, host: target.address, port: target.port, auth: { user: target.user, password: target.password } } }), { mode: 0o600 });
        const code = await new Promise<number | string | null>((resolve) => {
          const child = spawn(process.execPath, ['-e', script, at, pointFile, ctxFile], { stdio: ['ignore', 'inherit', 'inherit'] });
          child.on('exit', (c, sig) => resolve(sig ?? c));
        });
        expect(code).toBe('SIGKILL');
        // Kea finishes or never starts what it was asked: each service runs its old or its new configuration.
        await new Promise((r) => setTimeout(r, 500));
        const now = await running(api);
        const newer = kea.diff(next, await kea.openReadOnly(api, ctx(next)).read()).map((d) => d.path);
        for (const [svc, root] of [['dhcp4', 'Dhcp4'], ['dhcp6', 'Dhcp6']] as const) {
          const l = lifetime(now[svc], root);
          if (l === 3600) expect(now[svc]).toEqual(old[svc]);
          else {
            expect(l).toBe(1800);
            expect(newer).not.toContain(`kea:/${svc}`);
          }
        }
        console.log(`[kea lab] killed ${at}: dhcp4 valid-lifetime ${String(lifetime(now.dhcp4, 'Dhcp4'))}, dhcp6 ${String(lifetime(now.dhcp6, 'Dhcp6'))}`);
        if (at === 'before-activate') expect(now).toEqual(old);
        if (at === 'before-confirm') expect([lifetime(now.dhcp4, 'Dhcp4'), lifetime(now.dhcp6, 'Dhcp6')]).toEqual([1800, 1800]);
        // The next run finds the kept point (never confirmed) and restores it before anything else.
        expect(fs.existsSync(pointFile)).toBe(true);
        const restored = await kea.open(api, ctx()).rollback(JSON.parse(fs.readFileSync(pointFile, 'utf8')));
        expect(restored).toEqual({ restored: true });
        expect(await running(api)).toEqual(old);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
