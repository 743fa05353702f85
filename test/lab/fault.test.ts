/**
 * `ggi lab fault` on a real lab: four FRR routers in a square (two paths between the two LANs) and two hosts. A link
 * goes down and comes back (addresses kept), a router's daemons die under a continuous flow and the flow survives on
 * the other path (loss window measured from the packets), netem loss shows in real pings, and `clear` undoes all.
 * Through the CLI (`ggi lab fault …`, `ggi lab status --format json`) where the command wiring is what is tested.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { labDown, labStatus, labStatusDocument, labUp, localRunner, namespaceFor, readState, type LabSpec, type Runner } from '../../src/lab';
import { clearFaults, injectFault, undoFault } from '../../src/lab/fault';
import { lossWindowMs, medianMax, runFlow, startEcho } from '../../src/lab/flowmeter';
import { waitFor } from '../../src/lab/frr';
import { main } from '../../src/cli/main';
import { fakeIo } from '../helpers/tmp-inventory';
import { describeLab } from './prereq';

const NAME = 'ggilf';
const ns = (id: string): string => namespaceFor(NAME, id);

// r1 and r4 are joined through r2 and through r3; h1 sits behind r1, h2 behind r4.
const LINKS: Array<[string, string, string, string, string, string]> = [
  ['r1', 'eth2', '192.0.2.1/30', 'r2', 'eth1', '192.0.2.2/30'],
  ['r1', 'eth3', '192.0.2.5/30', 'r3', 'eth1', '192.0.2.6/30'],
  ['r2', 'eth2', '192.0.2.9/30', 'r4', 'eth1', '192.0.2.10/30'],
  ['r3', 'eth2', '192.0.2.13/30', 'r4', 'eth2', '192.0.2.14/30'],
];

function bgp(asn: number, id: string, peers: Array<[string, number]>, networks: string[]): string {
  return [
    'frr defaults traditional',
    `router bgp ${asn}`,
    ` bgp router-id ${id}`,
    ' no bgp ebgp-requires-policy',
    ' no bgp network import-check',
    ' timers bgp 1 3',
    ...peers.flatMap(([a, r]) => [` neighbor ${a} remote-as ${r}`, ` neighbor ${a} timers connect 1`, ` neighbor ${a} bfd profile fast`]),
    ' address-family ipv4 unicast',
    ...networks.map((n) => `  network ${n}`),
    ' exit-address-family',
    'exit',
    // BFD as ggi renders it (100 ms x 3): a silent failure is seen in about 300 ms instead of the 3 s hold time.
    'bfd',
    ' profile fast',
    '  transmit-interval 100',
    '  receive-interval 100',
    ' exit',
    'exit',
    '',
  ].join('\n');
}

function spec(stateDir: string): LabSpec {
  return {
    name: NAME,
    stateDir,
    mgmt: { bridgeV4: '198.18.222.0/24' },
    nodes: [
      { id: 'r1', kind: 'router', namespace: ns('r1'), mgmtAddress: '198.18.222.11', frrConfig: bgp(65001, '192.0.2.1', [['192.0.2.2', 65002], ['192.0.2.6', 65003]], ['198.51.100.0/24']) },
      { id: 'r2', kind: 'router', namespace: ns('r2'), mgmtAddress: '198.18.222.12', frrConfig: bgp(65002, '192.0.2.2', [['192.0.2.1', 65001], ['192.0.2.10', 65004]], []) },
      { id: 'r3', kind: 'router', namespace: ns('r3'), mgmtAddress: '198.18.222.13', frrConfig: bgp(65003, '192.0.2.6', [['192.0.2.5', 65001], ['192.0.2.14', 65004]], []) },
      { id: 'r4', kind: 'router', namespace: ns('r4'), mgmtAddress: '198.18.222.14', frrConfig: bgp(65004, '192.0.2.10', [['192.0.2.9', 65002], ['192.0.2.13', 65003]], ['203.0.113.0/24']) },
      { id: 'h1', kind: 'host', namespace: ns('h1'), routes: [{ dst: 'default', via: '198.51.100.1' }] },
      { id: 'h2', kind: 'host', namespace: ns('h2'), routes: [{ dst: 'default', via: '203.0.113.1' }] },
    ],
    links: [
      ...LINKS.map(([a, ai, aa, b, bi, ba]) => ({ a: { node: a, ifname: ai, addresses: [aa, ...(a === 'r1' && b === 'r2' ? ['2001:db8:12::1/64'] : [])] }, b: { node: b, ifname: bi, addresses: [ba, ...(a === 'r1' && b === 'r2' ? ['2001:db8:12::2/64'] : [])] } })),
      { a: { node: 'r1', ifname: 'eth1', addresses: ['198.51.100.1/24'] }, b: { node: 'h1', ifname: 'eth0', addresses: ['198.51.100.10/24'] } },
      { a: { node: 'r4', ifname: 'eth3', addresses: ['203.0.113.1/24'] }, b: { node: 'h2', ifname: 'eth0', addresses: ['203.0.113.10/24'] } },
    ],
  };
}

async function established(runner: Runner, node: string): Promise<string[]> {
  const r = await runner.run(['vtysh', '-N', ns(node), '-c', 'show bgp ipv4 unicast summary json'], { netns: ns(node), allowFail: true });
  if (r.code !== 0) return [];
  try {
    const peers = (JSON.parse(r.stdout) as { peers?: Record<string, { state: string }> }).peers ?? {};
    return Object.entries(peers)
      .filter(([, p]) => p.state === 'Established')
      .map(([a]) => a)
      .sort();
  } catch {
    return [];
  }
}

async function allSessionsUp(runner: Runner): Promise<void> {
  await waitFor(async () => (await Promise.all(['r1', 'r2', 'r3', 'r4'].map((n) => established(runner, n)))).every((p) => p.length === 2), Date.now() + 30_000, 'every BGP session Established');
}

/** The neighbour r1 sends h2's traffic to, from the kernel's own route lookup. */
async function nextHopTowardsH2(runner: Runner): Promise<string> {
  const r = await runner.run(['ip', 'route', 'get', '203.0.113.10'], { netns: ns('r1'), allowFail: true });
  return /via (\S+)/.exec(r.stdout)?.[1] ?? 'none';
}

async function cli(args: string[], stateDir: string): Promise<{ code: number; out: string; err: string }> {
  const io = fakeIo();
  const code = await main([...args, '--state', stateDir], io.io);
  return { code, out: io.stdout(), err: io.stderr() };
}

function pingLoss(out: string): number {
  const m = /(\d+(?:\.\d+)?)% packet loss/.exec(out);
  if (!m) throw new Error(`no ping summary in: ${out}`);
  return Number(m[1]);
}

describeLab('lab fault: links, devices and netem on a real lab', () => {
  const runner = localRunner();
  let stateDir: string;

  beforeAll(async () => {
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ggi-fault-test-'));
    await labDown({ name: NAME }, runner);
    await labUp(spec(stateDir), runner);
    await allSessionsUp(runner);
  });

  afterAll(async () => {
    await labDown(stateDir, runner);
    fs.rmSync(stateDir, { recursive: true, force: true });
  });

  test('link down cuts both ends and is listed; up brings the link, its IPv6 address and its BGP session back', async () => {
    const down = await cli(['lab', 'fault', 'link', 'r1', 'r2', 'down', '--format', 'json'], stateDir);
    expect(down.err).toBe('');
    expect(down.code).toBe(0);
    expect(JSON.parse(down.out).faults).toEqual([expect.objectContaining({ kind: 'link', a: 'r1', b: 'r2', where: ['r1:eth2', 'r2:eth1'] })]);
    for (const [n, i] of [['r1', 'eth2'], ['r2', 'eth1']]) {
      const link = (await runner.run(['ip', '-o', 'link', 'show', 'dev', i], { netns: ns(n) })).stdout;
      expect(link).toMatch(/state DOWN/);
    }
    const status = await cli(['lab', 'status', '--format', 'json'], stateDir);
    expect(JSON.parse(status.out).faults).toEqual([expect.objectContaining({ kind: 'link', a: 'r1', b: 'r2' })]);
    // Twice the same fault is refused (exit 1), not stacked.
    expect((await cli(['lab', 'fault', 'link', 'r2', 'r1', 'down'], stateDir)).code).toBe(1);
    // The other path carries the traffic while the link is down.
    await waitFor(async () => (await nextHopTowardsH2(runner)) === '192.0.2.6', Date.now() + 15_000, 'r1 to route via r3');

    const up = await cli(['lab', 'fault', 'link', 'r1', 'r2', 'up'], stateDir);
    expect(up.code).toBe(0);
    expect(readState(stateDir)!.faults).toEqual([]);
    const addrs = (await runner.run(['ip', '-6', 'address', 'show', 'dev', 'eth2'], { netns: ns('r1') })).stdout;
    expect(addrs).toContain('2001:db8:12::1/64');
    await waitFor(async () => (await established(runner, 'r1')).includes('192.0.2.2'), Date.now() + 20_000, 'r1-r2 session back');
  });

  test('device stop under a continuous flow: the flow moves to the other path; start brings the daemons back', async () => {
    await allSessionsUp(runner);
    const echo = await startEcho(runner, ns('h2'), 7);
    try {
      const victim = (await nextHopTowardsH2(runner)) === '192.0.2.2' ? 'r2' : 'r3';
      const flow = runFlow(runner, ns('h1'), '203.0.113.10', 7, { intervalMs: 5, durationMs: 4000 });
      await new Promise((r) => setTimeout(r, 1000));
      const stop = await cli(['lab', 'fault', 'device', victim, 'stop'], stateDir);
      expect(stop.code).toBe(0);
      const report = await flow;
      const windowMs = lossWindowMs(report);
      console.log(`[lab] device stop of ${victim}: ${report.sent - report.received}/${report.sent} lost, loss window ${windowMs} ms`);
      // The flow really ran, was broken at most briefly, and came back on the other path.
      expect(report.received).toBeGreaterThan(report.sent * 0.8);
      expect(windowMs).toBeLessThan(1000);
      const other = victim === 'r2' ? '192.0.2.6' : '192.0.2.2';
      expect(await nextHopTowardsH2(runner)).toBe(other);
      // Stopped on purpose: the lab is still healthy (sshd runs), and the daemons are gone.
      const st = labStatus(stateDir);
      expect(st.problems).toEqual([]);
      expect(labStatusDocument(st).faults).toEqual([expect.objectContaining({ kind: 'device', device: victim })]);
      expect(fs.existsSync(`/var/run/frr/${ns(victim)}/bgpd.pid`)).toBe(true);
      expect((await runner.run(['vtysh', '-N', ns(victim), '-c', 'show version'], { netns: ns(victim), allowFail: true })).code).not.toBe(0);

      const start = await cli(['lab', 'fault', 'device', victim, 'start'], stateDir);
      expect(start.code).toBe(0);
      expect(labStatus(stateDir).up).toBe(true);
      await allSessionsUp(runner);
    } finally {
      process.kill(echo, 'SIGKILL');
    }
  });

  test('netem loss shows in real pings and clear removes it; without sch_netem a delay is refused', async () => {
    const rec = await injectFault(runner, stateDir, { kind: 'netem', a: 'r1', b: 'r2', lossPercent: 30 });
    const ping = await runner.run(['ping', '-n', '-q', '-c', '200', '-i', '0.005', '-W', '1', '192.0.2.2'], { netns: ns('r1'), allowFail: true });
    // 30 % each way: about half of the echoes are lost (1 - 0.7²).
    const loss = pingLoss(ping.stdout);
    expect(loss).toBeGreaterThan(20);
    expect(loss).toBeLessThan(85);
    if (rec.method === 'netem') {
      await undoFault(runner, stateDir, { kind: 'netem', a: 'r1', b: 'r2' });
      await injectFault(runner, stateDir, { kind: 'netem', a: 'r1', b: 'r2', delayMs: 50 });
      const slow = await runner.run(['ping', '-n', '-q', '-c', '3', '-i', '0.2', '192.0.2.2'], { netns: ns('r1') });
      expect(Number(/= [\d.]+\/([\d.]+)\//.exec(slow.stdout)?.[1])).toBeGreaterThanOrEqual(100);
    } else {
      const refused = await cli(['lab', 'fault', 'netem', 'r1', 'r3', '--delay', '50'], stateDir);
      expect(refused.code).toBe(1);
      expect(refused.err).toMatch(/no netem qdisc/);
    }
    // A second fault of another kind, so that clear has more than one thing to undo.
    await injectFault(runner, stateDir, { kind: 'link', a: 'r3', b: 'r4' });
    const cleared = await clearFaults(runner, stateDir);
    expect(cleared.map((c) => c.kind)).toEqual(['netem', 'link']);
    expect(readState(stateDir)!.faults).toEqual([]);
    // A leftover qdisc would lose about half in every round; a loaded host can make ping miss one late echo, so the
    // cleared link must show a whole round without loss in at most three.
    const rounds: number[] = [];
    while (rounds.length < 3 && !rounds.includes(0)) {
      const clean = await runner.run(['ping', '-n', '-q', '-c', '50', '-i', '0.005', '-W', '1', '192.0.2.2'], { netns: ns('r1'), allowFail: true });
      rounds.push(pingLoss(clean.stdout));
    }
    expect(rounds).toContain(0);
    await allSessionsUp(runner);
  });

  test('BFD failover under a continuous flow, 10 times: a silent failure (100 % loss, links up) costs well under 1 s', async () => {
    const echo = await startEcho(runner, ns('h2'), 7);
    const windows: number[] = [];
    try {
      for (let i = 0; i < 10; i++) {
        await allSessionsUp(runner);
        await waitFor(async () => (await nextHopTowardsH2(runner)) !== 'none', Date.now() + 10_000, 'a route to h2');
        const victim = (await nextHopTowardsH2(runner)) === '192.0.2.2' ? 'r2' : 'r3';
        const flow = runFlow(runner, ns('h1'), '203.0.113.10', 7, { intervalMs: 5, durationMs: 2500 });
        await new Promise((r) => setTimeout(r, 700));
        await injectFault(runner, stateDir, { kind: 'netem', a: 'r1', b: victim, lossPercent: 100 });
        const report = await flow;
        await clearFaults(runner, stateDir);
        // The flow was broken (the fault really hit the path) and came back before the flow ended.
        expect(report.longestGap).toBeGreaterThan(0);
        expect(report.gapStart + report.longestGap).toBeLessThan(report.sent);
        windows.push(lossWindowMs(report));
      }
    } finally {
      process.kill(echo, 'SIGKILL');
      await clearFaults(runner, stateDir);
    }
    const { median, max } = medianMax(windows);
    console.log(`[lab] BFD failover loss window over ${windows.length} runs (ms): ${windows.join(', ')}; median ${median}, max ${max}`);
    // The target (under 1 s) holds for the median; a single run also waits for the scheduler of a loaded 2-core host
    // (BFD's 300 ms, then bgpd, zebra and the kernel), so the maximum is bounded by the flow having come back (above)
    // and printed for docs/BENCHMARKS.md.
    expect(median).toBeLessThan(1000);
  });

  test('unknown nodes, nodes without a link and bad numbers are the user\'s errors', async () => {
    expect((await cli(['lab', 'fault', 'link', 'r1', 'nope', 'down'], stateDir)).err).toMatch(/no lab node 'nope'/);
    expect((await cli(['lab', 'fault', 'link', 'r1', 'r4', 'down'], stateDir)).err).toMatch(/no link between 'r1' and 'r4'/);
    expect((await cli(['lab', 'fault', 'link', 'r1', 'r2', 'sideways'], stateDir)).code).toBe(2);
    expect((await cli(['lab', 'fault', 'netem', 'r1', 'r2', '--loss', '150'], stateDir)).code).toBe(1);
    expect((await cli(['lab', 'fault', 'device', 'h1', 'stop'], stateDir)).err).toMatch(/runs no FRR/);
    expect(readState(stateDir)!.faults ?? []).toEqual([]);
  });
});
