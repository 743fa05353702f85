/**
 * `labUp` on a running lab rewires it in place (src/lab/rewire.ts plans, src/lab/lab.ts runs): a host moves from one
 * router to another, a router joins and one leaves, and what the plan leaves alone keeps running (the same pids).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { labDown, labStatus, labUp, localRunner, namespaceFor, readState, type LabSpec } from '../../src/lab';
import { probeIcmp, probeTcp } from '../../src/lab/probe';
import type { RewirePlan } from '../../src/lab/rewire';
import { describeLab } from '../helpers/prereq';
import { trueWithin } from '../helpers/retry';

const NAME = 'ggirw';
const ns = (id: string): string => namespaceFor(NAME, id);

function spec(stateDir: string, hostOn: 'r1' | 'r2', third: boolean): LabSpec {
  return {
    name: NAME,
    stateDir,
    mgmt: { bridgeV4: '198.18.223.0/24' },
    nodes: [
      { id: 'r1', kind: 'router', namespace: ns('r1'), mgmtAddress: '198.18.223.11' },
      { id: 'r2', kind: 'router', namespace: ns('r2'), mgmtAddress: '198.18.223.12' },
      ...(third ? [{ id: 'r3', kind: 'router' as const, namespace: ns('r3'), mgmtAddress: '198.18.223.13' }] : [{ id: 'h2', kind: 'host' as const, namespace: ns('h2'), services: [{ proto: 'tcp' as const, port: 443 }] }]),
      { id: 'h1', kind: 'host', namespace: ns('h1'), services: [{ proto: 'tcp', port: 443 }], routes: [{ dst: 'default', via: '203.0.113.1' }] },
    ],
    links: [
      { a: { node: 'r1', ifname: 'x0', addresses: ['198.51.100.0/31'] }, b: { node: 'r2', ifname: 'x0', addresses: ['198.51.100.1/31'] } },
      { a: { node: hostOn, ifname: 'lan0', addresses: ['203.0.113.1/24', '3fff:7::1/64'] }, b: { node: 'h1', ifname: 'eth0', addresses: ['203.0.113.10/24', '3fff:7::10/64'] } },
      ...(third ? [{ a: { node: 'r2', ifname: 'x1', addresses: ['198.51.100.2/31'] }, b: { node: 'r3', ifname: 'x0', addresses: ['198.51.100.3/31'] } }] : [{ a: { node: 'r1', ifname: 'h2', addresses: ['192.0.2.1/24'] }, b: { node: 'h2', ifname: 'eth0', addresses: ['192.0.2.10/24'] } }]),
    ],
  };
}

describeLab('labUp on a running lab rewires it in place', () => {
  const runner = localRunner();
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ggi-lab-rewire-'));
  afterAll(async () => {
    await labDown({ stateDir, name: NAME }, runner);
    fs.rmSync(stateDir, { recursive: true, force: true });
  });

  test('a host moves to another router, a router joins, a host leaves; the rest keeps running', async () => {
    await labDown({ name: NAME }, runner);
    const first = await labUp(spec(stateDir, 'r1', false), runner);
    const frr = (id: string) => ({ ...first.nodes.find((n) => n.id === id)!.frr!.pids! });
    const [r1, r2] = [frr('r1'), frr('r2')];
    const h1Listener = first.processes.find((p) => p.netns === ns('h1') && p.what === 'listen tcp/443')!.pid;
    expect(await trueWithin(3, () => probeIcmp(runner, ns('r1'), '203.0.113.10'))).toBe(true);

    let plan: RewirePlan | undefined;
    const after = await labUp(spec(stateDir, 'r2', true), runner, undefined, { onRewire: (p) => (plan = p) });
    expect(plan!.steps.map((s) => `${s.kind} ${'node' in s ? s.node : `${s.link.a.node}:${s.link.a.ifname}`}`)).toEqual([
      'remove-node h2',
      'remove-link r1:lan0',
      'add-node r3',
      'add-link r2:lan0',
      'add-link r2:x1',
      'refresh-node h1',
      'refresh-node r1',
      'refresh-node r2',
    ]);
    expect(labStatus(stateDir)).toMatchObject({ up: true, problems: [] });
    // The host is behind r2 now, with its addresses and its default route back; r1 lost that interface.
    expect(await trueWithin(3, () => probeIcmp(runner, ns('r2'), '203.0.113.10'))).toBe(true);
    expect(await trueWithin(3, () => probeIcmp(runner, ns('r2'), '3fff:7::10'))).toBe(true);
    expect(await trueWithin(3, () => probeTcp(runner, ns('r2'), '203.0.113.10', 443))).toBe(true);
    expect(await trueWithin(3, () => probeIcmp(runner, ns('h1'), '203.0.113.1'))).toBe(true);
    expect(fs.existsSync(`/run/netns/${ns('h2')}`)).toBe(false);
    expect((await runner.run(['ip', '-n', ns('r1'), 'link', 'show', 'lan0'], { allowFail: true })).code).not.toBe(0);
    expect(await trueWithin(3, () => probeIcmp(runner, ns('r2'), '198.51.100.3'))).toBe(true);
    // Nothing that the plan did not name was restarted: FRR of both routers and the host's listener keep their pids.
    const now = readState(stateDir)!;
    expect(now.nodes.find((n) => n.id === 'r1')!.frr!.pids).toEqual(r1);
    expect(now.nodes.find((n) => n.id === 'r2')!.frr!.pids).toEqual(r2);
    expect(now.processes.some((p) => p.pid === h1Listener)).toBe(true);
    expect(now.nodes.map((n) => n.id)).toEqual(['r1', 'r2', 'r3', 'h1']);
    expect(now.nodes.find((n) => n.id === 'h1')!.interfaces.find((i) => i.name === 'eth0')!.peer).toEqual({ node: 'r2', ifname: 'lan0' });
    expect(now.namespaces).not.toContain(ns('h2'));
    expect(fs.readFileSync(after.knownHostsFile!, 'utf8')).toContain('198.18.223.13 ');

    // A node whose own definition changed is rebuilt (new processes), its links made again; its peer keeps running.
    const r3Before = now.nodes.find((n) => n.id === 'r3')!.frr!.pids!;
    const changed = spec(stateDir, 'r2', true);
    const rebuilt: LabSpec = { ...changed, nodes: changed.nodes.map((n) => (n.id === 'r3' ? { ...n, loopbacks: ['192.0.2.33/32'] } : n)) };
    let plan2: RewirePlan | undefined;
    await labUp(rebuilt, runner, undefined, { onRewire: (p) => (plan2 = p) });
    expect(plan2!.steps.map((s) => `${s.kind} ${'node' in s ? s.node : `${s.link.a.node}:${s.link.a.ifname}`}`)).toEqual(['remove-node r3', 'add-node r3', 'add-link r2:x1', 'refresh-node r2']);
    const third = readState(stateDir)!;
    expect(third.nodes.find((n) => n.id === 'r3')!.frr!.pids!.zebra).not.toBe(r3Before.zebra);
    expect(third.nodes.find((n) => n.id === 'r2')!.frr!.pids).toEqual(r2);
    expect(await trueWithin(3, () => probeIcmp(runner, ns('r2'), '198.51.100.3'))).toBe(true);
    expect(labStatus(stateDir)).toMatchObject({ up: true, problems: [] });

    // And back down: lab down leaves nothing of what the rewire made.
    const report = await labDown(stateDir, runner);
    expect(report.remaining).toEqual([]);
    expect(fs.readdirSync('/run/netns').filter((n) => n.startsWith(`${NAME}-`))).toEqual([]);
  });
});
