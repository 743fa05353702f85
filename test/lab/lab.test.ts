/**
 * A real three-namespace lab: two FRR routers with sshd and one host with echo services. Proves the primitives the
 * reconciler builds on: SSH with pinned host keys, FRR per pathspace (check + reload over SSH), a BGP session,
 * nftables in a namespace, real TCP/UDP/ICMP flows, and a teardown that leaves nothing behind.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  execInNode,
  formatCommand,
  frrCommands,
  labDown,
  labStatus,
  labStatusDocument,
  labUp,
  localRunner,
  namespaceFor,
  probeIcmp,
  probeTcp,
  probeUdp,
  sshArgv,
  sshFingerprint,
  type LabSpec,
  type LabState,
  type Runner,
} from '../../src/lab';
import { waitFor } from '../../src/lab/frr';
import { describeLab } from '../helpers/prereq';
import { trueWithin } from '../helpers/retry';

const NAME = 'ggilt';
const ns = (id: string): string => namespaceFor(NAME, id);

function spec(stateDir: string): LabSpec {
  return {
    name: NAME,
    stateDir,
    mgmt: { bridgeV4: '198.18.220.0/24' },
    nodes: [
      { id: 'r1', kind: 'router', namespace: ns('r1'), mgmtAddress: '198.18.220.11', loopbacks: ['203.0.113.1/32', '2001:db8:ff::1/128'] },
      { id: 'r2', kind: 'router', namespace: ns('r2'), mgmtAddress: '198.18.220.12' },
      {
        id: 'h1',
        kind: 'host',
        namespace: ns('h1'),
        services: [
          { proto: 'tcp', port: 8080 },
          { proto: 'udp', port: 5353 },
        ],
        routes: [
          { dst: 'default', via: '198.51.100.1' },
          { dst: 'default', via: '2001:db8:2::1' },
        ],
        meta: { organisation: 'GM0000', service: null },
      },
    ],
    links: [
      { a: { node: 'r1', ifname: 'eth1', addresses: ['192.0.2.1/30', '2001:db8:1::1/64'] }, b: { node: 'r2', ifname: 'eth1', addresses: ['192.0.2.2/30', '2001:db8:1::2/64'] } },
      { a: { node: 'r2', ifname: 'eth2', addresses: ['198.51.100.1/24', '2001:db8:2::1/64'] }, b: { node: 'h1', ifname: 'eth0', addresses: ['198.51.100.10/24', '2001:db8:2::10/64'] } },
    ],
  };
}

function bgpConf(asn: number, routerId: string, peers: Array<[string, number]>, v4: string[], v6: string[]): string {
  const lines = ['frr defaults traditional', '!', `router bgp ${asn}`, ` bgp router-id ${routerId}`, ' no bgp ebgp-requires-policy', ' no bgp network import-check'];
  for (const [addr, remote] of peers) lines.push(` neighbor ${addr} remote-as ${remote}`, ` neighbor ${addr} timers connect 1`);
  lines.push(' address-family ipv4 unicast', ...v4.map((p) => `  network ${p}`), ' exit-address-family');
  lines.push(' address-family ipv6 unicast');
  for (const [addr] of peers) if (addr.includes(':')) lines.push(`  neighbor ${addr} activate`);
  lines.push(...v6.map((p) => `  network ${p}`), ' exit-address-family', '!', '');
  return lines.join('\n');
}

const R1_CONF = bgpConf(64501, '192.0.2.1', [['192.0.2.2', 64502], ['2001:db8:1::2', 64502]], ['203.0.113.1/32'], ['2001:db8:ff::1/128']);
const R2_CONF = bgpConf(64502, '192.0.2.2', [['192.0.2.1', 64501], ['2001:db8:1::1', 64501]], ['198.51.100.0/24'], ['2001:db8:2::/64']);

/** Runs one command line on a lab device over real SSH (pinned host key, controller key). */
async function ssh(runner: Runner, state: LabState, node: string, remote: string, input?: string, allowFail = false) {
  return runner.run(sshArgv(state, node, remote), { input, allowFail, timeoutMs: 30_000 });
}

function aliveOrZombie(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

describeLab('lab: three namespaces with FRR, sshd and a service host', () => {
  const runner = localRunner();
  let stateDir: string;
  let state: LabState;
  let upMs = 0;

  beforeAll(async () => {
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ggi-lab-test-'));
    await labDown({ name: NAME }, runner); // leftovers of an earlier, killed run
    const t0 = Date.now();
    state = await labUp(spec(stateDir), runner);
    upMs = Date.now() - t0;
    console.log(`[lab] labUp of 3 nodes took ${upMs} ms`);
  });

  afterAll(async () => {
    await labDown(stateDir, runner);
    fs.rmSync(stateDir, { recursive: true, force: true });
  });

  test('every namespace exists and the status is up', () => {
    const list = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
    for (const id of ['r1', 'r2', 'h1']) expect(list).toContain(ns(id));
    const st = labStatus(stateDir);
    expect(st.problems).toEqual([]);
    expect(st.up).toBe(true);
    expect(labStatusDocument(st)).toEqual({
      up: true,
      devices: [
        // Routers of a hand-written spec: no inventory role, the lab's router platform, managed.
        { id: 'r1', namespace: ns('r1'), mgmt: '198.18.220.11', role: null, platform: 'linux-frr', managed: true },
        { id: 'r2', namespace: ns('r2'), mgmt: '198.18.220.12', role: null, platform: 'linux-frr', managed: true },
      ],
      hosts: [
        {
          id: 'h1',
          namespace: ns('h1'),
          organisation: 'GM0000',
          service: null,
          addresses: ['198.51.100.10', '2001:db8:2::10'],
          listens: [
            { proto: 'tcp', port: 8080 },
            { proto: 'udp', port: 5353 },
          ],
        },
      ],
      faults: [],
    });
  });

  test('IPv6 addresses are usable at once (no address is tentative) and routers forward', () => {
    for (const id of ['r1', 'r2', 'h1']) {
      const addrs = execFileSync('ip', ['-n', ns(id), '-6', 'address', 'show'], { encoding: 'utf8' });
      expect(addrs).toContain('inet6 ');
      expect(addrs).not.toContain('tentative');
    }
    const fwd = (id: string): string => execFileSync('ip', ['netns', 'exec', ns(id), 'sysctl', '-n', 'net.ipv4.ip_forward', 'net.ipv6.conf.all.forwarding'], { encoding: 'utf8' });
    expect(fwd('r1').split('\n').filter(Boolean)).toEqual(['1', '1']);
    expect(fwd('h1').split('\n').filter(Boolean)).toEqual(['0', '0']);
  });

  test('sshd answers on each management address with the recorded host key', async () => {
    for (const id of ['r1', 'r2']) {
      const node = state.nodes.find((n) => n.id === id)!;
      const scan = await runner.run(['ssh-keyscan', '-T', '5', '-t', 'ed25519', node.sshd!.address]);
      const line = scan.stdout.split('\n').find((l) => l.startsWith(node.sshd!.address))!;
      expect(line.split(' ').slice(1).join(' ')).toBe(node.sshd!.hostKey);
      const fp = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', path.join(node.dir, 'ssh', 'ssh_host_ed25519_key.pub')], { encoding: 'utf8' });
      expect(fp.split(' ')[1]).toBe(node.sshd!.hostKeySha256);
      expect(sshFingerprint(node.sshd!.hostKey!)).toBe(node.sshd!.hostKeySha256);
    }
  });

  test('an SSH session runs inside the device namespace and knows its FRR pathspace', async () => {
    const res = await ssh(runner, state, 'r1', 'echo "$FRR_PATHSPACE $GGI_DEVICE"; ip -br address show dev eth1');
    const [first, second] = res.stdout.split('\n');
    expect(first).toBe(`${ns('r1')} r1`);
    expect(second).toContain('192.0.2.1/30');
  });

  test('a host key that does not match the pin is refused', async () => {
    const wrong = path.join(stateDir, 'wrong_known_hosts');
    const r1 = state.nodes.find((n) => n.id === 'r1')!;
    const r2 = state.nodes.find((n) => n.id === 'r2')!;
    fs.writeFileSync(wrong, `${r1.sshd!.address} ${r2.sshd!.hostKey}\n`);
    const argv = sshArgv({ ...state, knownHostsFile: wrong }, 'r1', 'true');
    const res = await runner.run(argv, { allowFail: true });
    expect(res.code).toBe(255);
    expect(res.stderr).toMatch(/HOST IDENTIFICATION HAS CHANGED|Host key verification failed/);
    fs.rmSync(wrong);
  });

  test('FRR runs in each router and vtysh reaches it', async () => {
    for (const id of ['r1', 'r2']) {
      const node = state.nodes.find((n) => n.id === id)!;
      const cmds = frrCommands(node.frr!.pathspace);
      const res = await execInNode(runner, state, id, cmds.showRunning());
      expect(res.stdout).toContain('frr version');
      const daemons = await execInNode(runner, state, id, [...cmds.vtysh, '-c', 'show daemons']);
      for (const d of ['zebra', 'bgpd', 'staticd']) expect(daemons.stdout).toContain(d);
    }
  });

  test('before BGP, the host cannot reach the far router; the probes say so', async () => {
    expect(await trueWithin(3, () => probeIcmp(runner, ns('h1'), '192.0.2.2'))).toBe(true); // connected on r2
    expect(await probeIcmp(runner, ns('h1'), '203.0.113.1', 1000)).toBe(false);
    expect(await probeIcmp(runner, ns('h1'), '2001:db8:ff::1', 1000)).toBe(false);
  });

  test('an invalid FRR candidate fails the check over SSH', async () => {
    const cmds = frrCommands(ns('r1'));
    const cand = `/etc/frr/${ns('r1')}/ggi-candidate.conf`;
    await ssh(runner, state, 'r1', `cat > ${cand}`, 'router bgp 64501\n neighbr 192.0.2.2 remote-as 1\n');
    const res = await ssh(runner, state, 'r1', formatCommand(cmds.check(cand)), undefined, true);
    expect(res.code).not.toBe(0);
    expect(res.stdout + res.stderr).toContain('Unknown command');
  });

  test('pushing frr.conf over SSH (check, reload) brings the BGP sessions up and routes flow', async () => {
    for (const [id, conf] of [['r1', R1_CONF], ['r2', R2_CONF]] as const) {
      const cmds = frrCommands(ns(id));
      const cand = `/etc/frr/${ns(id)}/ggi-candidate.conf`;
      await ssh(runner, state, id, `cat > ${cand}`, conf);
      await ssh(runner, state, id, formatCommand(cmds.check(cand)));
      await ssh(runner, state, id, formatCommand(cmds.reload(cand)));
    }
    const established = async (): Promise<boolean> => {
      const res = await execInNode(runner, state, 'r1', frrCommands(ns('r1')).showBgpSummaryJson());
      const j = JSON.parse(res.stdout) as Record<string, { peers?: Record<string, { state: string }> }>;
      return j.ipv4Unicast?.peers?.['192.0.2.2']?.state === 'Established' && j.ipv6Unicast?.peers?.['2001:db8:1::2']?.state === 'Established';
    };
    await waitFor(established, Date.now() + 90_000, 'BGP sessions r1-r2');
    // The persisted config is FRR's normalised running config (frr-reload.py writes it).
    expect(fs.readFileSync(`/etc/frr/${ns('r1')}/frr.conf`, 'utf8')).toContain('neighbor 192.0.2.2 remote-as 64502');
    const routes = async (): Promise<boolean> => (await probeIcmp(runner, ns('h1'), '203.0.113.1', 1000)) && (await probeIcmp(runner, ns('h1'), '2001:db8:ff::1', 1000));
    await waitFor(routes, Date.now() + 60_000, 'h1 to reach r1 loopbacks through BGP routes');
  });

  test('the host answers on its service ports over IPv4 and IPv6; a closed port does not', async () => {
    expect(await trueWithin(3, () => probeTcp(runner, ns('r2'), '198.51.100.10', 8080))).toBe(true);
    expect(await trueWithin(3, () => probeTcp(runner, ns('r2'), '2001:db8:2::10', 8080))).toBe(true);
    expect(await trueWithin(3, () => probeUdp(runner, ns('r2'), '198.51.100.10', 5353))).toBe(true);
    expect(await trueWithin(3, () => probeUdp(runner, ns('r2'), '2001:db8:2::10', 5353))).toBe(true);
    expect(await probeTcp(runner, ns('r2'), '198.51.100.10', 8081, 1000)).toBe(false);
    expect(await probeUdp(runner, ns('r2'), '198.51.100.10', 5354, 500)).toBe(false);
  });

  test('an nftables ruleset pushed over SSH (check, apply) filters forwarded flows', async () => {
    // r1 reaches h1 only through r2 (route learned by BGP); r2 then drops TCP 8080 in forward.
    await waitFor(() => probeTcp(runner, ns('r1'), '198.51.100.10', 8080, 1000), Date.now() + 30_000, 'r1 to reach h1:8080');
    const rules = 'flush ruleset\ntable inet ggi {\n  chain forward {\n    type filter hook forward priority 0; policy accept;\n    tcp dport 8080 drop\n  }\n}\n';
    await ssh(runner, state, 'r2', `cat > /etc/frr/${ns('r2')}/ggi-candidate.nft`, rules);
    await ssh(runner, state, 'r2', `nft -c -f /etc/frr/${ns('r2')}/ggi-candidate.nft`);
    const bad = await ssh(runner, state, 'r2', 'nft -c -f /dev/stdin', 'table inet x { chain y { bogus } }\n', true);
    expect(bad.code).not.toBe(0);
    await ssh(runner, state, 'r2', `nft -f /etc/frr/${ns('r2')}/ggi-candidate.nft`);
    expect(await probeTcp(runner, ns('r1'), '198.51.100.10', 8080, 1000)).toBe(false);
    expect(await trueWithin(3, () => probeUdp(runner, ns('r1'), '198.51.100.10', 5353))).toBe(true);
    // The ruleset is the namespace's own: the root namespace has no table ggi.
    expect(execFileSync('nft', ['list', 'tables'], { encoding: 'utf8' })).not.toContain('inet ggi');
  });

  test('labDown removes every namespace, process, link and file', async () => {
    const pids = state.processes.map((p) => p.pid);
    expect(pids.length).toBeGreaterThanOrEqual(9); // 2 x (zebra, bgpd, staticd, sshd) + listeners
    const report = await labDown(stateDir, runner);
    expect(report.remaining).toEqual([]);
    expect(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })).not.toContain(`${NAME}-`);
    expect(pids.filter(aliveOrZombie)).toEqual([]);
    expect(fs.readdirSync('/sys/class/net').filter((l) => l.startsWith(`${NAME}-`))).toEqual([]);
    expect(fs.readdirSync('/etc/frr').filter((d) => d.startsWith(`${NAME}-`))).toEqual([]);
    expect(fs.readdirSync('/var/run/frr').filter((d) => d.startsWith(`${NAME}-`))).toEqual([]);
    expect(fs.readdirSync(stateDir)).toEqual([]);
    expect(labStatus(stateDir).up).toBe(false);
  });
});
