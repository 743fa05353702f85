import type { LabState } from '../../src/lab';
import { describeFault, linkEnds, netemArgs, nftLossRuleset, planFault, undoSteps } from '../../src/lab/fault';

/** `ggi lab fault` planning, pure: which commands run where, and what is recorded. */

const node = (id: string, ifs: Array<[string, string, string, string[]]>, frr = true) => ({
  id,
  kind: 'router',
  namespace: `ggi-${id}`,
  meta: {},
  dir: `/tmp/${id}`,
  interfaces: ifs.map(([name, peer, peerIf, addresses]) => ({ name, addresses, peer: { node: peer, ifname: peerIf } })),
  sysctls: {},
  listens: [],
  ...(frr ? { frr: { pathspace: `ggi-${id}`, confDir: `/etc/frr/ggi-${id}`, frrConf: '', vtyshConf: '', daemonsFile: '', runDir: `/var/run/frr/ggi-${id}` } } : {}),
});
const STATE = {
  phase: 'up',
  nodes: [node('r1', [['eth1', 'r2', 'eth9', ['192.0.2.1/30', '2001:db8::1/64']]]), node('r2', [['eth9', 'r1', 'eth1', ['192.0.2.2/30']]]), node('h1', [], false)],
} as unknown as LabState;
const NOW = '2026-12-06T12:00:00.000Z';
const lines = (p: { steps: Array<{ netns?: string; argv: readonly string[] }> }) => p.steps.map((s) => `${s.netns ?? '-'}: ${s.argv.join(' ')}`);

describe('lab fault plans', () => {
  it('link down: both ends, IPv6 kept over the down; up re-adds the addresses', () => {
    const p = planFault(STATE, { kind: 'link', a: 'r2', b: 'ggi-r1' }, { now: NOW });
    expect(p.record).toEqual({ kind: 'link', a: 'r2', b: 'r1', where: ['r2:eth9', 'r1:eth1'], since: NOW });
    expect(lines(p)).toEqual([
      'ggi-r2: sysctl -q -w net.ipv6.conf.eth9.keep_addr_on_down=1',
      'ggi-r2: ip link set dev eth9 down',
      'ggi-r1: sysctl -q -w net.ipv6.conf.eth1.keep_addr_on_down=1',
      'ggi-r1: ip link set dev eth1 down',
    ]);
    expect(lines({ steps: undoSteps(STATE, p.record) })).toEqual([
      'ggi-r2: ip link set dev eth9 up',
      'ggi-r2: ip address replace 192.0.2.2/30 dev eth9',
      'ggi-r1: ip link set dev eth1 up',
      'ggi-r1: ip address replace 192.0.2.1/30 dev eth1',
      'ggi-r1: ip address replace 2001:db8::1/64 dev eth1 nodad',
    ]);
  });

  it('device stop: kill the daemons, flush the routes FRR installed (bgp 186, static 196); refused for a node without FRR', () => {
    const p = planFault(STATE, { kind: 'device', device: 'r1' }, { now: NOW, pids: [11, 12] });
    expect(lines(p)[0]).toBe('-: kill -KILL 11 12');
    expect(lines(p).slice(1)).toEqual(['ggi-r1: ip -4 route flush proto 186', 'ggi-r1: ip -4 route flush proto 196', 'ggi-r1: ip -6 route flush proto 186', 'ggi-r1: ip -6 route flush proto 196']);
    expect(p.record.where).toEqual(['ggi-r1']);
    expect(() => planFault(STATE, { kind: 'device', device: 'h1' }, { now: NOW })).toThrow(/runs no FRR/);
  });

  it('netem: tc netem on both ends; without sch_netem, loss through nftables (100 % a plain drop) and delay refused', () => {
    expect(netemArgs(2.5, 40)).toEqual(['delay', '40ms', 'loss', '2.5%']);
    expect(netemArgs(undefined, undefined)).toBeNull();
    expect(lines(planFault(STATE, { kind: 'netem', a: 'r1', b: 'r2', lossPercent: 10 }, { now: NOW }))).toEqual(['ggi-r1: tc qdisc replace dev eth1 root netem loss 10%', 'ggi-r2: tc qdisc replace dev eth9 root netem loss 10%']);
    const nft = planFault(STATE, { kind: 'netem', a: 'r1', b: 'r2', lossPercent: 12.5 }, { now: NOW, netem: false });
    expect(nft.record.method).toBe('nftables');
    expect(nftLossRuleset('eth1', 12.5)).toContain('numgen random mod 10000 < 1250 drop');
    expect(nftLossRuleset('eth1', 100)).toMatch(/priority 0;\n {4}drop\n/);
    expect(() => planFault(STATE, { kind: 'netem', a: 'r1', b: 'r2', delayMs: 5 }, { now: NOW, netem: false })).toThrow(/no netem qdisc/);
    expect(() => planFault(STATE, { kind: 'netem', a: 'r1', b: 'r2', lossPercent: 101 }, { now: NOW })).toThrow(/percentage/);
  });

  it('the same fault twice is refused; unknown nodes and unlinked pairs are named', () => {
    const withFault = { ...STATE, faults: [planFault(STATE, { kind: 'link', a: 'r1', b: 'r2' }, { now: NOW }).record] } as LabState;
    expect(() => planFault(withFault, { kind: 'link', a: 'r2', b: 'r1' }, { now: NOW })).toThrow(/already active/);
    expect(() => linkEnds(STATE, 'r1', 'nope')).toThrow(/no lab node 'nope'/);
    expect(() => linkEnds(STATE, 'r1', 'h1')).toThrow(/no link between 'r1' and 'h1'/);
    expect(describeFault({ kind: 'netem', a: 'r1', b: 'r2', lossPercent: 5, delayMs: 20 })).toBe('netem r1 r2 (loss 5%, delay 20 ms)');
  });
});
