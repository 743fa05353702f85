/**
 * Failover on the example inventory's own borders, with real packets. Continuous flows run from several gemeenten (a
 * single CE with an uplink to each border, the CE pair of GM0599, a member of a samenwerkingsverband) to Diginetwerk
 * services behind the KPS and to markt services; then the active border of each zone stops (`ggi lab fault device …
 * stop`: its daemons die), and then the standby border-overheid's link to the first KPS data centre goes down
 * (`ggi lab fault link … down`). The flows continue: traffic moves to the standby borders and, inside the KPS, over its
 * link between the data centres. Each loss window is measured from the packets and reported (BENCHMARKS.md), ten
 * times; the test asserts that every flow resumed, not how long it took. Then `ggi lab fault clear`, a plain `apply`
 * and `verify` are green again.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../../src/cli/main';
import { localRunner, readState, type LabState, type NodeState } from '../../src/lab';
import { lossWindowMs, medianMax, runFlow, runPingFlow, type FlowGap, type FlowReport } from '../../src/lab/flowmeter';
import { waitFor } from '../../src/lab/frr';
import { bgpSessions } from '../../src/lab/verify';
import { fakeIo } from '../helpers/tmp-inventory';
import { describeLab } from './prereq';

const INVENTORY = path.resolve(__dirname, '../../inventory');
const RUNS = 10;
const INTERVAL_MS = 10;
// When the faults strike, after the flows start. Each fault is a `ggi lab fault` command, which takes a while on a
// loaded host: the flows run long enough after the last one for the routing to settle and the flows' tails to show it.
const BORDER_AT_MS = 1500;
const KPS_LINK_AT_MS = 4000;
const AFTER_LAST_FAULT_MS = 6000;
const DURATION_MS = KPS_LINK_AT_MS + AFTER_LAST_FAULT_MS;
// The UDP flow goes to the service's own listener on the policy's port (udp/53, the lab's echo: a process per
// datagram), so it sends more slowly than the ping flows.
const UDP_PORT = 53;
const UDP_INTERVAL_MS = 50;

async function ggi(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const f = fakeIo({ ...process.env, GGI_OPERATOR: 'failover-example-test' });
  const code = await main(argv, f.io);
  return { code, stdout: f.stdout(), stderr: f.stderr() };
}

interface Flow {
  from: string;
  to: string;
  dst: string;
  zone: 'overheid' | 'markt';
  kind: 'icmp' | 'udp';
}

describeLab('failover on the example lab: a border stops, then a KPS link goes down, under continuous flows', () => {
  const labState = fs.mkdtempSync(path.join(os.tmpdir(), 'ggi-fo-lab-'));
  const ggiState = fs.mkdtempSync(path.join(os.tmpdir(), 'ggi-fo-state-'));
  const runner = localRunner();
  let state: LabState;
  const node = (id: string): NodeState => {
    const n = state.nodes.find((x) => x.id === id);
    if (!n) throw new Error(`no lab node ${id}`);
    return n;
  };
  const addr = (id: string, v6: boolean): string => node(id).interfaces.flatMap((i) => i.addresses).find((a) => a.includes(':') === v6)!.split('/')[0];
  /** Where `from` sends traffic for `dst` (the kernel's own lookup): the interface, or 'none'. (IPv6 routes learned by BGP have link-local next hops, so the interface, not the address, names the neighbour.) */
  const outInterface = async (from: string, dst: string): Promise<string> => {
    const r = await runner.run(['ip', 'route', 'get', dst], { netns: node(from).namespace, allowFail: true });
    return /dev (\S+)/.exec(r.stdout)?.[1] ?? 'none';
  };
  /** `n`'s interface on its link to `peer`. */
  const towards = (n: string, peer: string): string => node(n).interfaces.find((i) => i.peer?.node === peer)?.name ?? `(no link ${n}-${peer})`;

  let flows: Flow[] = [];

  beforeAll(async () => {
    let t0 = Date.now();
    const up = await ggi('lab', 'up', '--state', labState, '--name', 'ggifo', '--inventory', INVENTORY);
    if (up.code !== 0) throw new Error(`lab up failed: ${up.stderr}`);
    const upMs = Date.now() - t0;
    t0 = Date.now();
    const a = await ggi('apply', '--target', 'lab', '--lab-state', labState, '--state', ggiState, '--yes', '--inventory', INVENTORY);
    if (a.code !== 0) throw new Error(`apply failed: ${a.stderr}`);
    console.log(`[lab] example lab: lab up ${upMs} ms, first apply ${Date.now() - t0} ms`);
    state = readState(labState)!;
    const dns = 'svc-diginetwerk-dns';
    flows = [
      { from: 'lan-gm0014', to: dns, dst: addr(dns, false), zone: 'overheid', kind: 'icmp' },
      { from: 'lan-gm0106', to: dns, dst: addr(dns, true), zone: 'overheid', kind: 'icmp' },
      { from: 'lan-gm0599', to: dns, dst: addr(dns, false), zone: 'overheid', kind: 'icmp' },
      { from: 'lan-gm0373', to: dns, dst: addr(dns, true), zone: 'overheid', kind: 'icmp' },
      { from: 'lan-gm0546', to: dns, dst: addr(dns, true), zone: 'overheid', kind: 'udp' },
      { from: 'lan-gm0014', to: 'svc-zaakwolk-zaken', dst: addr('svc-zaakwolk-zaken', true), zone: 'markt', kind: 'icmp' },
      { from: 'lan-gm0599', to: 'svc-belastingportaal', dst: addr('svc-belastingportaal', true), zone: 'markt', kind: 'icmp' },
    ];
  }, 900_000);

  afterAll(async () => {
    await ggi('lab', 'down', '--state', labState);
    fs.rmSync(labState, { recursive: true, force: true });
    fs.rmSync(ggiState, { recursive: true, force: true });
  });

  /** Every session up, and every flow's first hops on the active devices (the faults must hit the path in use). */
  const settled = async (): Promise<void> => {
    await waitFor(async () => (await bgpSessions(runner, state)).every((s) => s.state === 'Established'), Date.now() + 90_000, 'every BGP session Established');
    await waitFor(
      async () => {
        for (const f of flows) {
          const ce = node(f.from).interfaces[0].peer!.node;
          const border = f.zone === 'overheid' ? 'border-overheid' : 'border-markt';
          if ((await outInterface(ce, f.dst)) !== towards(ce, border)) return false;
        }
        return (await outInterface('border-overheid', addr('svc-diginetwerk-dns', false))) === towards('border-overheid', 'kps-peer');
      },
      Date.now() + 60_000,
      'the flows on the active borders and the first KPS data centre',
    );
  };

  const runOnce = async (): Promise<{ border: number; kpsLink: number; reports: Array<FlowReport & { gaps?: FlowGap[] }> }> => {
    await settled();
    const t0 = Date.now();
    let result: Awaited<ReturnType<typeof runOnce>>;
    let cleared = { code: -1, stderr: '' };
    // Whatever the flows show, the faults are cleared: the next run and the next test start from a whole lab.
    try {
      const running = flows.map((f): Promise<FlowReport & { gaps?: FlowGap[] }> =>
        f.kind === 'udp'
          ? runFlow(runner, node(f.from).namespace, f.dst, UDP_PORT, { intervalMs: UDP_INTERVAL_MS, durationMs: DURATION_MS })
          : runPingFlow(runner, node(f.from).namespace, f.dst, { intervalMs: INTERVAL_MS, durationMs: DURATION_MS }),
      );
      await new Promise((r) => setTimeout(r, BORDER_AT_MS - (Date.now() - t0)));
      // One after the other: each fault is recorded in the lab state, which `clear` reads.
      for (const b of ['border-overheid', 'border-markt']) expect((await ggi('lab', 'fault', 'device', b, 'stop', '--state', labState)).stderr).toBe('');
      await new Promise((r) => setTimeout(r, KPS_LINK_AT_MS - (Date.now() - t0)));
      const linkAt = Date.now() - t0;
      const down = await ggi('lab', 'fault', 'link', 'border-overheid-2', 'kps-peer', 'down', '--state', labState);
      expect(down.stderr).toBe('');
      const linkDoneAt = Date.now() - t0;
      const reports = await Promise.all(running);
      // The experiment is sound only when the flows outlived the last fault by a margin (else a loss at the end is not
      // a failed failover but a flow that stopped too soon): say so rather than blame the routing.
      if (linkDoneAt > DURATION_MS - 2000) throw new Error(`the KPS link fault took until ${linkDoneAt} ms of a ${DURATION_MS} ms flow on this host: no time left to see the flows resume`);
      // The flows continue: each ran, and its last stretch (after the last fault) arrived whole.
      reports.forEach((r, i) => {
        const f = flows[i];
        const tail = Math.ceil(1500 / r.intervalMs);
        const endsLost = r.longestGap > 0 && r.gapStart + r.longestGap >= r.sent;
        const flow = `${f.from} -> ${f.to} (${f.kind}): sent ${r.sent}, received ${r.received}, longest gap ${lossWindowMs(r)} ms from ${r.gapStart * r.intervalMs} ms (border stop at ${BORDER_AT_MS} ms, KPS link down at ${linkAt}–${linkDoneAt} ms)`;
        expect({ flow, resumed: !endsLost && r.received > r.sent / 2 }).toEqual({ flow, resumed: true });
        if (r.gaps) expect(r.gaps.filter((g) => g.start + g.length > r.sent - tail)).toEqual([]);
      });
      // Each gap belongs to the fault before it (the ping flows list every gap; the UDP flow its longest).
      // In milliseconds from the flow's start: [when the gap began, how long it lasted].
      const windows = reports.map((r) => (r.gaps ?? (r.longestGap ? [{ start: r.gapStart, length: r.longestGap }] : [])).map((g) => [g.start * r.intervalMs, g.length * r.intervalMs] as const));
      const split = linkAt - 200;
      const worst = (phase: (at: number) => boolean, only?: (f: Flow) => boolean) => Math.max(0, ...windows.flatMap((gs, i) => (!only || only(flows[i]) ? gs.filter(([at]) => phase(at)).map(([, ms]) => ms) : [])));
      result = { border: worst((at) => at < split), kpsLink: worst((at) => at >= split, (f) => f.zone === 'overheid'), reports };
    } finally {
      cleared = await ggi('lab', 'fault', 'clear', '--state', labState);
    }
    expect(cleared.code).toBe(0);
    console.log(`[lab] failover run ${new Date(t0).toISOString()}: border stop ${result.border} ms, KPS link down ${result.kpsLink} ms; lost per flow: ${result.reports.map((r, i) => `${flows[i].from}->${flows[i].to} ${r.sent - r.received}/${r.sent} (longest ${lossWindowMs(r)} ms)`).join(', ')}`);
    return result;
  };

  it(`the flows continue through a border stop and a KPS link down (loss windows measured ${RUNS} times)`, async () => {
    const border: number[] = [];
    const kpsLink: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const r = await runOnce();
      border.push(r.border);
      kpsLink.push(r.kpsLink);
    }
    const b = medianMax(border);
    const k = medianMax(kpsLink);
    console.log(`[lab] failover loss window over ${RUNS} runs (ms): border stop ${border.join(', ')} (median ${b.median}, max ${b.max}); KPS link down ${kpsLink.join(', ')} (median ${k.median}, max ${k.max})`);
    expect(border).toHaveLength(RUNS);
  }, 1_800_000);

  it('after clear, a plain apply and verify are green', async () => {
    expect(readState(labState)!.faults ?? []).toEqual([]);
    const a = await ggi('apply', '--target', 'lab', '--lab-state', labState, '--state', ggiState, '--yes', '--inventory', INVENTORY);
    expect(a.code).toBe(0);
    const t0 = Date.now();
    const v = await ggi('verify', '--target', 'lab', '--lab-state', labState, '--inventory', INVENTORY, '--format', 'json');
    const doc = JSON.parse(v.stdout) as { ok: boolean; checks: Array<{ name: string; ok: boolean; observed: string }> };
    console.log(`[lab] example lab: verify ${Date.now() - t0} ms (${doc.checks.length} checks)`);
    expect(doc.checks.filter((c) => !c.ok)).toEqual([]);
    expect(doc.checks.find((c) => c.name === 'redundancy kps sessions')?.observed).toBe('4 of 4 peerings up');
    expect(v.code).toBe(0);
  }, 1_200_000);
});
