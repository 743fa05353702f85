import { flowProvider, mergeRetried, missedFlows, settled, type VerifyEnv } from '../../src/lab/verify';

/**
 * The flow check's second try: a flow the policy allows that did not connect within 1 s is probed again with a longer
 * limit before it counts as blocked; a flow that connected, or that the policy denies, is never probed twice. The
 * runner stands in for the probe process (one run per sending host, its timeout in argv[3]); which flows answer at
 * which limit is the test's script.
 */

const host = (id: string, addr: string, listens: Array<{ proto: string; port: number }> = []) => ({
  id,
  kind: 'host',
  namespace: `ns-${id}`,
  meta: {},
  listens,
  interfaces: [{ name: 'eth0', addresses: [`${addr}/24`] }],
});

const state = { nodes: [host('a', '192.0.2.10'), host('b', '192.0.2.20', [{ proto: 'tcp', port: 443 }]), host('c', '192.0.2.30')] } as unknown as VerifyEnv['state'];

/** Policy: everything to b is allowed; nothing else. */
const expectFlow: VerifyEnv['expectFlow'] = (f) => (f.dst === '192.0.2.20' ? { allowed: true, rule: 'to-b', reason: 'rule to-b' } : { allowed: false, rule: null, reason: 'default deny' });

function envWith(answers: (ns: string, p: { proto: string; dst: string; port: number | null }, timeoutS: number) => boolean) {
  const calls: Array<{ ns: string; timeoutS: number; probes: number }> = [];
  const runner = {
    run: async (cmd: readonly string[], opts?: { netns?: string; input?: string }) => {
      const probes = JSON.parse(opts?.input ?? '[]') as Array<{ proto: string; dst: string; port: number | null }>;
      const timeoutS = Number(cmd[3]);
      calls.push({ ns: opts?.netns ?? '', timeoutS, probes: probes.length });
      const src = state.nodes.find((n) => n.namespace === opts?.netns)!.interfaces[0].addresses[0].split('/')[0];
      return { code: 0, stderr: '', stdout: JSON.stringify(probes.map((p) => ({ ok: answers(opts?.netns ?? '', p, timeoutS), src }))) };
    },
    start: async () => 0,
  };
  const env = { runner, state, inventory: {}, expectFlow, announcedToKps: [], canonPrefix: (p: string) => p, settleMs: 0, progress: () => undefined, connectApi: () => { throw new Error('none'); } } as unknown as VerifyEnv;
  return { env, calls };
}

describe('verify flows: a second, longer try before an allowed flow counts as blocked', () => {
  test('a slow answer (missed at 1 s, there at 4 s) is connected; only the missed probes are sent again', async () => {
    // From a, TCP to b answers only with the longer limit; everything to b is otherwise quick.
    const { env, calls } = envWith((ns, p, t) => p.dst === '192.0.2.20' && (ns !== 'ns-a' || p.proto !== 'tcp' || t >= 4));
    const [flows, across] = await flowProvider.checks(env);
    expect(flows.ok).toBe(true);
    expect(across.ok).toBe(true);
    const retries = calls.filter((c) => c.timeoutS === 4);
    expect(retries).toEqual([{ ns: 'ns-a', timeoutS: 4, probes: 1 }]);
  });

  test('an allowed flow that never answers is reported blocked after both tries', async () => {
    const { env, calls } = envWith((ns, p) => p.dst === '192.0.2.20' && ns !== 'ns-c');
    const [flows] = await flowProvider.checks(env);
    expect(flows.ok).toBe(false);
    expect(flows.detail).toContain('c (192.0.2.30) -> b (192.0.2.20): policy allows, network blocked');
    expect(calls.filter((c) => c.timeoutS === 4)).toEqual([{ ns: 'ns-c', timeoutS: 4, probes: 2 }]);
  });

  test('a denied flow that connects is a mismatch at once, never retried', async () => {
    const { env, calls } = envWith((_ns, p) => p.dst === '192.0.2.20' || p.dst === '192.0.2.30');
    const [flows] = await flowProvider.checks(env);
    expect(flows.ok).toBe(false);
    expect(flows.detail).toContain('-> c (192.0.2.30): policy denies, network connected');
    expect(calls.every((c) => c.timeoutS === 1)).toBe(true);
  });

  test('missedFlows and mergeRetried: the indices allowed-but-not-connected, answers put back in place', () => {
    const probes = [
      { from: 'a', fromNamespace: 'ns-a', to: 'b', dst: '192.0.2.20', proto: 'icmp' as const, port: null },
      { from: 'a', fromNamespace: 'ns-a', to: 'c', dst: '192.0.2.30', proto: 'icmp' as const, port: null },
      { from: 'c', fromNamespace: 'ns-c', to: 'b', dst: '192.0.2.20', proto: 'icmp' as const, port: null },
    ];
    const first = [
      { ok: false, src: '192.0.2.10' },
      { ok: false, src: '192.0.2.10' },
      { ok: true, src: '192.0.2.30' },
    ];
    expect(missedFlows(probes, first, expectFlow)).toEqual([0]);
    // No source address (no route): the policy cannot allow it, so there is nothing to retry.
    expect(missedFlows(probes, [{ ok: false, src: null }, ...first.slice(1)], expectFlow)).toEqual([]);
    expect(mergeRetried(first, [0], [{ ok: true, src: '192.0.2.10' }])).toEqual([{ ok: true, src: '192.0.2.10' }, first[1], first[2]]);
  });
});

describe('verify: readings settle within --wait', () => {
  test('reads again until the reading is good, and returns the good one', async () => {
    const readings = [['Idle'], ['Connect'], ['Established']];
    let reads = 0;
    const got = await settled({ settleMs: 30_000 }, async () => readings[Math.min(reads++, 2)], (r) => r.every((s) => s === 'Established'));
    expect(got).toEqual(['Established']);
    expect(reads).toBe(3);
  });

  test('with --wait 0 it is one reading, good or not', async () => {
    let reads = 0;
    const got = await settled(
      { settleMs: 0 },
      async () => {
        reads++;
        return ['Idle'];
      },
      () => false,
    );
    expect([got, reads]).toEqual([['Idle'], 1]);
  });

  test('a reading that never turns good is returned as it last was once the time has passed', async () => {
    let reads = 0;
    const got = await settled({ settleMs: 50 }, async () => ++reads, () => false);
    expect(got).toBe(reads);
    expect(reads).toBeGreaterThanOrEqual(2);
  });
});
