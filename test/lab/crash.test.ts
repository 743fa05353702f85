/**
 * Teardown after a crash: labDown from the state folder alone (no in-memory state), after a build that died halfway
 * (everything is recorded before it is made), and from the lab name alone when the state file is gone.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { labDown, labStatus, labUp, LabError, localRunner, namespaceFor, readState, type LabSpec, type Runner } from '../../src/lab';
import { describeLab } from '../helpers/prereq';

const NAME = 'ggilc';

function spec(stateDir: string): LabSpec {
  const ns = (id: string): string => namespaceFor(NAME, id);
  return {
    name: NAME,
    stateDir,
    mgmt: { bridgeV4: '198.18.221.0/24' },
    nodes: [
      { id: 'r1', kind: 'router', namespace: ns('r1'), mgmtAddress: '198.18.221.11' },
      { id: 'h1', kind: 'host', namespace: ns('h1'), services: [{ proto: 'tcp', port: 443 }, { proto: 'udp', port: 53 }], routes: [{ dst: 'default', via: '203.0.113.1' }] },
    ],
    links: [{ a: { node: 'r1', ifname: 'eth1', addresses: ['203.0.113.1/24', '3fff:5::1/64'] }, b: { node: 'h1', ifname: 'eth0', addresses: ['203.0.113.10/24', '3fff:5::10/64'] } }],
  };
}

function labNamespaces(): string[] {
  return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.split(' ')[0])
    .filter((n) => n.startsWith(`${NAME}-`));
}

function pidsOf(namespaces: readonly string[]): number[] {
  return namespaces.flatMap((n) =>
    execFileSync('ip', ['netns', 'pids', n], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map(Number),
  );
}

function running(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

function expectNothingLeft(pids: readonly number[]): void {
  expect(labNamespaces()).toEqual([]);
  expect(pids.filter(running)).toEqual([]);
  expect(fs.readdirSync('/sys/class/net').filter((l) => l.startsWith(`${NAME}-`))).toEqual([]);
  expect(fs.readdirSync('/etc/frr').filter((d) => d.startsWith(`${NAME}-`))).toEqual([]);
  expect(fs.readdirSync('/var/run/frr').filter((d) => d.startsWith(`${NAME}-`))).toEqual([]);
}

/** A runner that dies (throws) when asked to start sshd: a crash halfway through the build. */
function crashingRunner(inner: Runner): Runner {
  return {
    run: (cmd, opts) => (cmd[0] === '/usr/sbin/sshd' ? Promise.reject(new Error('simulated crash')) : inner.run(cmd, opts)),
    start: (cmd, opts) => inner.start(cmd, opts),
  };
}

describeLab('lab teardown after a crash', () => {
  const runner = localRunner();
  let stateDir: string;

  beforeEach(async () => {
    await labDown({ name: NAME }, runner);
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ggi-lab-crash-'));
  });

  afterEach(async () => {
    await labDown({ stateDir, name: NAME }, runner);
    fs.rmSync(stateDir, { recursive: true, force: true });
  });

  test('labDown from the state folder only (the in-memory state is dropped)', async () => {
    await labUp(spec(stateDir), runner); // result deliberately not kept
    const pids = pidsOf(labNamespaces());
    expect(pids.length).toBeGreaterThanOrEqual(6); // zebra, bgpd, staticd, sshd, 2 listeners
    const report = await labDown(stateDir, runner);
    expect(report.remaining).toEqual([]);
    expectNothingLeft(pids);
    expect(fs.existsSync(path.join(stateDir, 'lab-state.json'))).toBe(false);
  });

  test('a build that dies halfway is fully recorded and removed by labDown', async () => {
    await expect(labUp(spec(stateDir), crashingRunner(runner), undefined, { keepOnFailure: true })).rejects.toThrow("node 'r1'");
    const state = readState(stateDir)!;
    expect(state.phase).toBe('failed');
    expect(state.error).toContain('simulated crash');
    expect(labNamespaces().sort()).toEqual([...state.namespaces].sort());
    expect(labStatus(stateDir).up).toBe(false);
    const pids = pidsOf(labNamespaces());
    expect(pids.length).toBeGreaterThan(0); // FRR and listeners were running when it died
    await labDown(stateDir, runner);
    expectNothingLeft(pids);
  });

  test('without keepOnFailure a failed build removes itself', async () => {
    await expect(labUp(spec(stateDir), crashingRunner(runner))).rejects.toThrow('simulated crash');
    expectNothingLeft([]);
  });

  test('when the state file is gone, labDown finds the leftovers by name', async () => {
    await labUp(spec(stateDir), runner);
    const pids = pidsOf(labNamespaces());
    fs.rmSync(path.join(stateDir, 'lab-state.json'));
    const report = await labDown({ name: NAME }, runner);
    expect(report.namespaces.length).toBe(2);
    expect(report.remaining).toEqual([]);
    expectNothingLeft(pids);
  });

  test('processes whose namespace was deleted by hand are still found and stopped', async () => {
    const state = await labUp(spec(stateDir), runner);
    const pids = pidsOf(labNamespaces());
    for (const n of state.namespaces) execFileSync('ip', ['netns', 'delete', n]); // the daemons keep the namespaces alive, unnamed
    expect(labNamespaces()).toEqual([]);
    expect(pids.filter(running).length).toBe(pids.length);
    await labDown(stateDir, runner);
    expectNothingLeft(pids);
  });

  test('a second labUp on a running lab changes nothing for the same spec, and is refused for a lab it cannot diff', async () => {
    await labUp(spec(stateDir), runner);
    const pids = pidsOf(labNamespaces()).sort();
    let plan: unknown;
    await labUp(spec(stateDir), runner, undefined, { onRewire: (p) => (plan = p) });
    expect(plan).toEqual({ problems: [], steps: [], untouched: ['r1', 'h1'] });
    expect(pidsOf(labNamespaces()).sort()).toEqual(pids);
    await expect(labUp({ ...spec(stateDir), mgmt: { bridgeV4: '198.18.222.0/24' } }, runner)).rejects.toThrow(LabError);
    // A state without the spec it was built from (an older ggi) cannot be diffed: lab down first.
    const file = path.join(stateDir, 'lab-state.json');
    fs.writeFileSync(file, JSON.stringify({ ...JSON.parse(fs.readFileSync(file, 'utf8')), spec: undefined }));
    await expect(labUp(spec(stateDir), runner)).rejects.toThrow('already up');
    expect(labStatus(stateDir).up).toBe(true);
  });
});
