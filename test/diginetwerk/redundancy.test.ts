import type { LabState, NodeState } from '../../src/lab';
import type { Runner } from '../../src/lab/exec';
import { type BgpSession, bfdCheck, CHECK_PROVIDERS, cePairs, maxPrefixTripped, receivedCounts, redundancyChecks } from '../../src/lab/verify';

/** The `redundancy` check group of `ggi verify`, on a lab state and FRR sessions given as data. */

function router(id: string, role: string, ifs: Array<[name: string, addr: string, peer: string, peerIf: string]>, site?: string): NodeState {
  return {
    id,
    kind: 'router',
    namespace: `ggi-${id}`,
    meta: { role, ...(site ? { site } : {}) },
    dir: `/tmp/${id}`,
    interfaces: ifs.map(([name, addr, node, ifname]) => ({ name, addresses: [addr], peer: { node, ifname } })),
    sysctls: {},
    listens: [],
  } as NodeState;
}

const STATE = {
  nodes: [
    router('border-a', 'border-overheid', [['k1', '198.18.0.0/31', 'kps-1', 'p1'], ['k2', '198.18.0.2/31', 'kps-2', 'p1'], ['d1', '198.18.0.4/31', 'ce-1', 'up'], ['d2', '198.18.0.6/31', 'ce-1b', 'up']]),
    router('kps-1', 'kps-peer', [['p1', '198.18.0.1/31', 'border-a', 'k1']], 'DC1'),
    router('kps-2', 'kps-peer', [['p1', '198.18.0.3/31', 'border-a', 'k2']], 'DC2'),
    router('ce-1', 'ce', [['up', '198.18.0.5/31', 'border-a', 'd1']]),
    router('ce-1b', 'ce', [['up', '198.18.0.7/31', 'border-a', 'd2']]),
  ],
} as unknown as LabState;

const s = (device: string, peer: string, state = 'Established', peerState?: string): BgpSession => ({ device, peer, state, prefixesReceived: 1, ...(peerState ? { peerState } : {}) });
const ALL_UP = [s('border-a', '198.18.0.1'), s('border-a', '198.18.0.3'), s('border-a', '198.18.0.5'), s('border-a', '198.18.0.7'), s('ce-1', '198.18.0.4'), s('ce-1b', '198.18.0.6')];
const PAIRS = [{ organisation: 'GM0546', devices: ['ce-1', 'ce-1b'] }];
const byName = (cs: ReturnType<typeof redundancyChecks>) => Object.fromEntries(cs.map((c) => [c.name, c]));

describe('verify: redundancy', () => {
  it('all green: both KPS peerings, the CE pair, no max-prefix trip', () => {
    const c = byName(redundancyChecks(STATE, ALL_UP, PAIRS));
    expect(Object.keys(c)).toEqual(['redundancy kps sessions', 'redundancy ce pair GM0546', 'redundancy max-prefix']);
    expect(Object.values(c).every((x) => x.ok)).toBe(true);
    expect(c['redundancy kps sessions'].observed).toBe('2 of 2 peerings up');
    expect(c['redundancy kps sessions'].detail).toContain('border-a - kps-2 (DC2): 198.18.0.3 Established');
  });

  it('one KPS peering down, one CE uplink down, a tripped max-prefix: each is its own failed check', () => {
    const sessions = ALL_UP.map((x) => (x.peer === '198.18.0.3' ? s('border-a', '198.18.0.3', 'Idle', 'PfxCt') : x.device === 'ce-1b' ? s('ce-1b', '198.18.0.6', 'Active') : x));
    const c = byName(redundancyChecks(STATE, sessions, PAIRS));
    expect(c['redundancy kps sessions']).toMatchObject({ ok: false, observed: '1 of 2 peerings up' });
    expect(c['redundancy ce pair GM0546']).toMatchObject({ ok: false, observed: 'an uplink is down' });
    expect(c['redundancy ce pair GM0546'].detail).toContain('ce-1b: 198.18.0.6 Active');
    expect(c['redundancy max-prefix']).toMatchObject({ ok: false, observed: '1 session(s) tripped' });
    expect(c['redundancy max-prefix'].detail).toContain('border-a 198.18.0.3 (kps-2): Idle (PfxCt)');
  });

  it('a session above its max-prefix that FRR has not tripped yet (filtered routes counted) fails the check too', () => {
    const received = [
      { device: 'border-a', peer: '198.18.0.1', received: 61, limit: 30 },
      { device: 'border-a', peer: '198.18.0.3', received: 5, limit: 30 },
      { device: 'border-a', peer: '2001:db8::1', received: 99, limit: null },
    ];
    const c = byName(redundancyChecks(STATE, ALL_UP, PAIRS, received))['redundancy max-prefix'];
    expect(c).toMatchObject({ ok: false, observed: 'none tripped, 1 above the limit' });
    expect(c.detail).toBe("border-a 198.18.0.1 (kps-1): receives 61 prefixes, filtered ones included, above its max-prefix 30; FRR trips the session at the peer's next acceptable route");
    // Once tripped, it is reported as tripped only.
    const tripped = ALL_UP.map((x) => (x.peer === '198.18.0.1' ? s('border-a', '198.18.0.1', 'Idle (PfxCt)', 'PfxCt') : x));
    expect(byName(redundancyChecks(STATE, tripped, PAIRS, received))['redundancy max-prefix'].observed).toBe('1 session(s) tripped');
    expect(byName(redundancyChecks(STATE, ALL_UP, PAIRS, received.slice(1)))['redundancy max-prefix'].ok).toBe(true);
  });

  it("reads each border's soft-reconfigured sessions: their Adj-RIB-In size against FRR's prefixAllowedMax", async () => {
    // FRR 8.4's JSON, as the border prints it: the KPS session keeps its Adj-RIB-In, the CE session does not.
    const out: Record<string, unknown> = {
      'show bgp neighbors json': {
        '198.18.0.1': { addressFamilyInfo: { ipv4Unicast: { inboundSoftConfigPermit: true, prefixAllowedMax: 30 } } },
        '198.18.0.5': { addressFamilyInfo: { ipv4Unicast: { prefixAllowedMax: 4 } } },
      },
      'show bgp ipv4 unicast neighbors 198.18.0.1 received-routes json': { receivedRoutes: {}, totalPrefixCounter: 61, filteredPrefixCounter: 0 },
    };
    const asked: string[] = [];
    const runner = {
      async run(cmd: readonly string[]) {
        const c = cmd[cmd.length - 1];
        asked.push(`${cmd[2]}: ${c}`);
        return { code: 0, stdout: JSON.stringify(out[c] ?? {}), stderr: '' };
      },
      start: async () => 0,
    } as unknown as Runner;
    const withFrr = { ...STATE, nodes: STATE.nodes.map((n) => ({ ...n, frr: { confDir: `/etc/frr/${n.namespace}` } })) } as unknown as LabState;
    expect(await receivedCounts(runner, withFrr)).toEqual([{ device: 'border-a', peer: '198.18.0.1', received: 61, limit: 30 }]);
    expect(asked).toEqual(['ggi-border-a: show bgp neighbors json', 'ggi-border-a: show bgp ipv4 unicast neighbors 198.18.0.1 received-routes json']);
  });

  it('BFD: every session up is green; one down is a failed check naming it; no BFD at all is no check', () => {
    const up = [
      { device: 'border-a', peer: '198.18.0.1', status: 'up' },
      { device: 'ce-1', peer: '198.18.0.4', status: 'up' },
    ];
    expect(bfdCheck(up)).toEqual([expect.objectContaining({ name: 'redundancy bfd', ok: true, observed: '2 of 2 up' })]);
    const down = bfdCheck([...up, { device: 'ce-1b', peer: '198.18.0.6', status: 'down' }]);
    expect(down).toEqual([expect.objectContaining({ ok: false, observed: '2 of 3 up', detail: 'ce-1b 198.18.0.6: down' })]);
    expect(bfdCheck([])).toEqual([]);
  });

  it('a missing session counts as down; FRR\'s text state "Idle (PfxCt)" counts as a trip', () => {
    const c = byName(redundancyChecks(STATE, ALL_UP.filter((x) => x.peer !== '198.18.0.1'), []));
    expect(c['redundancy kps sessions'].ok).toBe(false);
    expect(c['redundancy kps sessions'].detail).toContain('border-a - kps-1 (DC1): no session');
    expect(maxPrefixTripped(s('r', 'p', 'Idle (PfxCt)'))).toBe(true);
    expect(maxPrefixTripped(s('r', 'p', 'Idle'))).toBe(false);
  });

  it('CE pairs come from connectionPoint.secondDevice; the provider is part of ggi verify', () => {
    expect(cePairs({ organisations: [{ id: 'GM1', connectionPoint: { device: 'a', secondDevice: 'b' } }, { id: 'GM2', connectionPoint: { device: 'c' } }, { id: 'GM3' }] })).toEqual([{ organisation: 'GM1', devices: ['a', 'b'] }]);
    expect(CHECK_PROVIDERS.map((p) => p.name)).toContain('redundancy');
  });
});
