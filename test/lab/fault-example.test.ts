/**
 * Routing security and recovery on the example inventory's lab, with real FRR:
 * - after `lab up` and `apply`, `verify` holds, with the redundancy and origin checks in it (timed for BENCHMARKS.md);
 * - a CE that announces another gemeente's prefix (and a more-specific of it): the border drops both, and `verify`
 *   reports it as a finding; a plain `apply` (the CE's configuration is ggi's) returns everything to green;
 * - a hostile KPS peer from a hand-written FRR configuration (test/lab/fixtures/hostile-kps.frr.conf) announces a
 *   default route, a more-specific of Leiden's prefixes and bogons: none reaches any CE. Then it floods twice the
 *   border's max-prefix (a lab-sized maxPrefixFromKps in a copy of the example inventory), all of it filtered:
 *   `verify` reports the session above its limit at once, FRR trips it (PfxCt) at the peer's next acceptable route,
 *   `verify` names it, and once the peer behaves again a plain `apply` brings the session back and `verify` is green;
 *   a second apply changes nothing.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../../src/cli/main';
import { localRunner, readState, type LabState, type NodeState } from '../../src/lab';
import { waitFor } from '../../src/lab/frr';
import { loadInventory } from '../../src/model/load';
import { addressesInZone } from '../../src/ipv6';
import { formatPrefix, parsePrefix } from '../../src/net';
import { fakeIo } from '../helpers/tmp-inventory';
import { describeLab } from './prereq';

const EXAMPLE = path.resolve(__dirname, '../../inventory');
const FIXTURE = path.join(__dirname, 'fixtures/hostile-kps.frr.conf');
/** maxPrefixFromKps of the lab run: above what a KPS legitimately sends here (a handful of service prefixes), far below the production default. */
const LIMIT = 30;
// The example inventory with a lab-sized max-prefix from the KPS (ggi.yaml diginetwerk.maxPrefixFromKps).
const INVENTORY = fs.mkdtempSync(path.join(os.tmpdir(), 'ggi-fx-inv-'));
fs.cpSync(EXAMPLE, INVENTORY, { recursive: true });
const GGI_YAML = path.join(INVENTORY, 'ggi.yaml');
fs.writeFileSync(GGI_YAML, fs.readFileSync(GGI_YAML, 'utf8').replace(/^(\s*maxPrefixFromKps:) \d+$/m, `$1 ${LIMIT}`));

interface CheckJson {
  name: string;
  ok: boolean;
  observed: string;
  detail: string;
}

async function ggi(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const f = fakeIo({ ...process.env, GGI_OPERATOR: 'fault-example-test' });
  const code = await main([...argv, '--inventory', INVENTORY], f.io);
  return { code, stdout: f.stdout(), stderr: f.stderr() };
}

describeLab('routing security and recovery on the example lab', () => {
  const labState = fs.mkdtempSync(path.join(os.tmpdir(), 'ggi-fx-lab-'));
  const ggiState = fs.mkdtempSync(path.join(os.tmpdir(), 'ggi-fx-state-'));
  const runner = localRunner();
  const verify = async (...more: string[]) => {
    const r = await ggi('verify', '--target', 'lab', '--lab-state', labState, '--format', 'json', ...more);
    return { code: r.code, doc: JSON.parse(r.stdout) as { ok: boolean; checks: CheckJson[] } };
  };
  const apply = () => ggi('apply', '--target', 'lab', '--lab-state', labState, '--state', ggiState, '--yes', '--format', 'json');
  let state: LabState;
  const node = (id: string): NodeState => state.nodes.find((n) => n.id === id)!;
  const vtysh = (id: string, ...cmds: string[]) => runner.run(['vtysh', '-N', node(id).namespace, ...cmds.flatMap((c) => ['-c', c])], { netns: node(id).namespace, allowFail: true, timeoutMs: 60_000 });
  const table = async (id: string): Promise<string[]> => {
    const out: string[] = [];
    for (const af of ['ipv4', 'ipv6']) {
      const r = await vtysh(id, `show bgp ${af} unicast json`);
      out.push(...Object.keys((JSON.parse(r.stdout || '{}') as { routes?: Record<string, unknown> }).routes ?? {}));
    }
    return out;
  };
  const lab = loadInventory(INVENTORY, { profile: 'lab' }).inventory!;
  const role = (n: NodeState) => String(n.meta.role ?? '');
  const leiden = addressesInZone(lab, 'GM0546', 'overheid');
  const leidenV4 = leiden.find((p) => p.family === 4)!;
  const leidenV6 = leiden.find((p) => p.family === 6)!;
  const moreSpecific = (p: typeof leidenV4) => formatPrefix({ ...p, len: p.len + 2 });

  beforeAll(async () => {
    let t0 = Date.now();
    const up = await ggi('lab', 'up', '--state', labState, '--name', 'ggifx');
    if (up.code !== 0) throw new Error(`lab up failed: ${up.stderr}`);
    const upMs = Date.now() - t0;
    t0 = Date.now();
    const a = await apply();
    if (a.code !== 0) throw new Error(`apply failed: ${a.stderr}`);
    console.log(`[lab] example lab: lab up ${upMs} ms, first apply ${Date.now() - t0} ms`);
    state = readState(labState)!;
  }, 900_000);

  afterAll(async () => {
    await ggi('lab', 'down', '--state', labState);
    fs.rmSync(labState, { recursive: true, force: true });
    fs.rmSync(ggiState, { recursive: true, force: true });
    fs.rmSync(INVENTORY, { recursive: true, force: true });
  });

  it('verify holds after apply, with the redundancy and origin checks in it', async () => {
    const t0 = Date.now();
    const r = await verify();
    console.log(`[lab] example lab: verify ${Date.now() - t0} ms (${r.doc.checks.length} checks)`);
    expect(r.doc.checks.filter((c) => !c.ok)).toEqual([]);
    const names = r.doc.checks.map((c) => c.name);
    expect(names).toEqual(expect.arrayContaining(['redundancy kps sessions', 'redundancy max-prefix', 'origin ce announcements']));
    expect(r.code).toBe(0);
    // BFD and max-prefix ... force are written as FRR echoes them: a second apply changes nothing.
    const again = await apply();
    expect(again.code).toBe(0);
    const outcomes = (JSON.parse(again.stdout) as { devices: Array<{ id: string; outcome: string }> }).devices.filter((d) => d.outcome !== 'unchanged');
    expect(outcomes).toEqual([]);
  });

  it("a CE announcing another gemeente's prefix: the border drops it, verify reports it; a plain apply restores green", async () => {
    const ce = 'ce-gm0014';
    const asn = lab.organisations.find((o) => o.id === 'GM0014')!.connectionPoint!.asn;
    const stolen = [formatPrefix(leidenV4), moreSpecific(leidenV4)];
    const border = node(ce).interfaces.map((i) => i.peer?.node).find((id) => id && role(node(id)) === 'border-overheid')!;
    const ceAddr = node(ce).interfaces.find((i) => i.peer?.node === border)!.addresses.find((a) => !a.includes(':'))!.split('/')[0];
    const borderAddr = node(border).interfaces.find((i) => i.peer?.node === ce)!.addresses.find((a) => !a.includes(':'))!.split('/')[0];
    // By hand on the gemeente's CE: its out-filter and its maximum-prefix-out (ggi's own guards) are opened too.
    await vtysh(
      ce,
      'configure terminal',
      ...stolen.map((p) => `ip route ${p} blackhole`),
      ...stolen.map((p, i) => `ip prefix-list CE-OUT-OVERHEID-V4 seq ${i + 1} permit ${p}`),
      `router bgp ${asn}`,
      'address-family ipv4 unicast',
      `neighbor ${borderAddr} maximum-prefix-out 100`,
      ...stolen.map((p) => `network ${p}`),
    );
    // The CE really sends them…
    await waitFor(async () => {
      const adv = JSON.parse((await vtysh(ce, `show bgp ipv4 unicast neighbors ${borderAddr} advertised-routes json`)).stdout || '{}') as { advertisedRoutes?: Record<string, unknown> };
      return stolen.every((p) => p in (adv.advertisedRoutes ?? {}));
    }, Date.now() + 20_000, 'the CE to announce the stolen prefixes');
    // …and the border keeps only Leiden's own path for Leiden's prefix, and no path at all for the more-specific.
    const own = JSON.parse((await vtysh(border, `show bgp ipv4 unicast ${stolen[0]} json`)).stdout || '{}') as { paths?: Array<{ peer?: { peerId?: string } }> };
    expect((own.paths ?? []).map((p) => p.peer?.peerId)).not.toContain(ceAddr);
    expect((own.paths ?? []).length).toBeGreaterThan(0);
    expect(await table(border)).not.toContain(stolen[1]);

    const r = await verify('--only', 'origin', '--wait', '0');
    expect(r.code).toBe(4);
    const origin = r.doc.checks.find((c) => c.name === 'origin ce announcements')!;
    expect(origin.ok).toBe(false);
    for (const p of stolen) expect(origin.detail).toContain(`${ce} announces ${p} to ${border}`);
    expect(origin.detail).not.toContain('ACCEPTED');

    // Recovery: the CE's configuration is ggi's; a plain apply replaces the hand edit, and verify is green again.
    expect((await apply()).code).toBe(0);
    const after = await verify('--only', 'origin', '--only', 'bgp', '--only', 'redundancy');
    expect(after.doc.checks.filter((c) => !c.ok)).toEqual([]);
  });

  it('a hostile KPS peer (hand-written FRR config): nothing bad reaches a CE; a flood trips max-prefix, verify names it, a plain apply recovers', async () => {
    expect(lab.settings.diginetwerk.maxPrefixFromKps).toBe(LIMIT);
    // The hostile peer: one KPS node of the lab, with every border that peers with it (however many there are).
    const kps = state.nodes.find((n) => role(n) === 'kps-peer')!;
    const links = kps.interfaces
      .filter((i) => i.peer && role(node(i.peer.node)) === 'border-overheid')
      .map((i) => {
        const b = node(i.peer!.node);
        const borderAddrs = b.interfaces.find((x) => x.name === i.peer!.ifname)!.addresses.map((a) => a.split('/')[0]);
        const asn = lab.devices.find((d) => d.id === b.id)!.asn ?? lab.settings.diginetwerk.koppelnetAsn;
        return { border: b.id, asn, borderAddrs, kpsV4: i.addresses.find((a) => !a.includes(':'))!.split('/')[0] };
      });
    expect(links.length).toBeGreaterThan(0);
    const services = lab.services.filter((s) => s.provider === 'kps').flatMap((s) => s.prefixes.map((p) => formatPrefix(parsePrefix(p, { strict: false }))));
    const flood = (n: number) => Array.from({ length: n }, (_, i) => `100.${64 + (i >> 8)}.${i & 255}.0/24`);
    const fill = (floodCount: number) =>
      fs
        .readFileSync(FIXTURE, 'utf8')
        .replaceAll('@KPS_ASN@', String(lab.devices.find((d) => d.id === kps.id)?.asn ?? lab.settings.diginetwerk.kpsAsn))
        .replace('@NEIGHBORS@', links.flatMap((l) => l.borderAddrs.flatMap((a) => [` neighbor ${a} remote-as ${l.asn}`, ` neighbor ${a} bfd`])).join('\n'))
        .replace('@V4_ACTIVATE@', links.flatMap((l) => l.borderAddrs.filter((a) => !a.includes(':')).map((a) => `  neighbor ${a} activate`)).join('\n'))
        .replace('@V6_ACTIVATE@', links.flatMap((l) => l.borderAddrs.filter((a) => a.includes(':')).map((a) => `  neighbor ${a} activate`)).join('\n'))
        .replaceAll('@LEIDEN_V4_MORE_SPECIFIC@', moreSpecific(leidenV4))
        .replaceAll('@LEIDEN_V6_MORE_SPECIFIC@', moreSpecific(leidenV6))
        .replace('@V4_SERVICES@', services.filter((p) => !p.includes(':')).map((p) => `  network ${p}`).join('\n'))
        .replace('@V6_SERVICES@', services.filter((p) => p.includes(':')).map((p) => `  network ${p}`).join('\n'))
        .replace('@V4_FLOOD@', flood(floodCount).map((p) => `  network ${p}`).join('\n'));
    // frr-reload.py with the file as <confdir>/frr.conf: it then leaves the KPS node's own frr.conf (ggi's) alone.
    const reload = async (file: string) => {
      const r = await runner.run(['/usr/lib/frr/frr-reload.py', '--reload', '--confdir', path.dirname(file), '--pathspace', kps.namespace, file], { netns: kps.namespace, allowFail: true, timeoutMs: 120_000 });
      if (r.code !== 0) throw new Error(`frr-reload of ${file} failed: ${r.stderr}`);
    };
    const hostileDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ggi-fx-hostile-'));
    const load = (text: string) => {
      fs.writeFileSync(path.join(hostileDir, 'frr.conf'), text);
      return reload(path.join(hostileDir, 'frr.conf'));
    };
    const session = async (l: (typeof links)[number]): Promise<{ state: string; peerState?: string }> => {
      const s = JSON.parse((await vtysh(l.border, 'show bgp ipv4 unicast summary json')).stdout || '{}') as { peers?: Record<string, { state: string; peerState?: string }> };
      return s.peers?.[l.kpsV4] ?? { state: 'none' };
    };
    const bad = ['0.0.0.0/0', '::/0', moreSpecific(leidenV4), moreSpecific(leidenV6), '10.0.0.0/8', '192.168.0.0/16', 'fd00::/8'];
    const ces = state.nodes.filter((n) => role(n) === 'ce').map((n) => n.id);
    const leaks = async (prefixes: string[]) => {
      const out: Array<{ id: string; leaked: string[] }> = [];
      for (const id of [...links.map((l) => l.border), ...ces]) {
        const t = await table(id);
        out.push({ id, leaked: prefixes.filter((p) => t.includes(p)) });
      }
      return out.filter((x) => x.leaked.length > 0);
    };

    try {
      await load(fill(0));
      // The KPS really offers them (its table), the sessions are up, and the services still arrive…
      await waitFor(async () => (await table(kps.id)).includes('0.0.0.0/0'), Date.now() + 20_000, 'the hostile KPS to hold its routes');
      for (const l of links) await waitFor(async () => (await session(l)).state === 'Established', Date.now() + 30_000, `the ${l.border}-KPS session`);
      // The services arrive (a bounded wait: a reload can reset the sessions, and the routes then travel KPS, border,
      // CE again), and a few update rounds later none of the hostile routes has.
      const v4Services = services.filter((p) => !p.includes(':'));
      await waitFor(async () => { const t = await table('ce-gm0546'); return v4Services.every((p) => t.includes(p)); }, Date.now() + 60_000, 'the services at ce-gm0546');
      await new Promise((r) => setTimeout(r, 2000));
      expect(await leaks(bad)).toEqual([]);
      expect(await table('ce-gm0546')).toEqual(expect.arrayContaining(v4Services));

      // Twice the limit, every route of it filtered by the border. FRR 8.4 weighs the count (filtered routes included,
      // max-prefix force) when it accepts a route, so a flood sent after the peer's acceptable routes sits in the
      // border's Adj-RIB-In untripped at first: verify reports the session as above its limit already…
      await load(fill(2 * LIMIT));
      const adjIn = async (l: (typeof links)[number]) => Object.keys((JSON.parse((await vtysh(l.border, `show bgp ipv4 unicast neighbors ${l.kpsV4} received-routes json`)).stdout || '{}') as { receivedRoutes?: Record<string, unknown> }).receivedRoutes ?? {});
      for (const l of links) await waitFor(async () => (await adjIn(l)).length > LIMIT || (await session(l)).peerState === 'PfxCt', Date.now() + 30_000, `the flood to reach ${l.border}`);
      const over = await verify('--only', 'redundancy', '--wait', '0');
      expect(over.code).toBe(4);
      const overCheck = over.doc.checks.find((c) => c.name === 'redundancy max-prefix')!;
      expect(overCheck.ok).toBe(false);
      for (const l of links) expect(overCheck.detail).toContain(`${l.border} ${l.kpsV4} (${kps.id}): `);
      console.log(`[lab] hostile KPS flood of ${2 * LIMIT} filtered routes, before its next acceptable route: ${overCheck.observed}\n${overCheck.detail}`);
      // …and the peer's next acceptable announcement (a service route withdrawn and sent again) trips it.
      const v4Service = services.find((p) => !p.includes(':'))!;
      const kpsBgp = ['configure terminal', `router bgp ${lab.devices.find((d) => d.id === kps.id)?.asn ?? lab.settings.diginetwerk.kpsAsn}`, 'address-family ipv4 unicast'];
      await vtysh(kps.id, ...kpsBgp, `no network ${v4Service}`);
      for (const l of links) await waitFor(async () => !(await adjIn(l)).includes(v4Service) || (await session(l)).peerState === 'PfxCt', Date.now() + 20_000, `${l.border} to see ${v4Service} withdrawn`);
      await vtysh(kps.id, ...kpsBgp, `network ${v4Service}`);
      for (const l of links) {
        await waitFor(async () => (await session(l)).peerState === 'PfxCt', Date.now() + 30_000, `the ${l.border}-KPS session to trip on max-prefix`);
        const n = JSON.parse((await vtysh(l.border, `show bgp neighbors ${l.kpsV4} json`)).stdout || '{}') as Record<string, { bgpState?: string; lastNotificationReason?: string }>;
        expect({ border: l.border, state: n[l.kpsV4]?.bgpState, reason: n[l.kpsV4]?.lastNotificationReason }).toEqual({ border: l.border, state: 'Idle', reason: expect.stringMatching(/Maximum Number of Prefixes Reached/) });
      }
      expect(await leaks([...bad, ...flood(2 * LIMIT)])).toEqual([]);
      const tripped = await verify('--only', 'redundancy', '--wait', '0');
      expect(tripped.code).toBe(4);
      const mp = tripped.doc.checks.find((c) => c.name === 'redundancy max-prefix')!;
      expect(mp.ok).toBe(false);
      for (const l of links) expect(mp.detail).toContain(`${l.border} ${l.kpsV4} (${kps.id}): Idle`);
    } finally {
      // The fault clears: the KPS node runs its own configuration (ggi's frr.conf) again, and the lab has no faults left.
      await reload(path.join(kps.frr!.confDir, 'frr.conf'));
      fs.rmSync(hostileDir, { recursive: true, force: true });
      expect((await ggi('lab', 'fault', 'clear', '--state', labState)).code).toBe(0);
    }
    // FRR holds a tripped session down until it is cleared: nothing brings it back by itself…
    await new Promise((r) => setTimeout(r, 3000));
    for (const l of links) expect((await session(l)).peerState).toBe('PfxCt');

    // …and a plain apply does: the trip is drift on the border, whose activation clears exactly that session.
    const a = await apply();
    expect(a.code).toBe(0);
    const devices = (JSON.parse(a.stdout) as { devices: Array<{ id: string; outcome: string }> }).devices;
    for (const l of links) expect(devices.find((d) => d.id === l.border)!.outcome).toBe('applied');
    for (const l of links) expect((await session(l)).state).toBe('Established');
    const after = await verify();
    expect(after.doc.checks.filter((c) => !c.ok)).toEqual([]);
    expect(after.code).toBe(0);
    const again = await apply();
    expect(again.code).toBe(0);
    expect((JSON.parse(again.stdout) as { devices: Array<{ id: string; outcome: string }> }).devices.filter((d) => d.outcome !== 'unchanged')).toEqual([]);
  }, 900_000);
});
