import { verifyDocument, verifyExitCode, verifyText } from '../../src/cli/commands/verify';
import { main } from '../../src/cli/main';
import { type Check, type CheckProvider, runChecks, type VerifyEnv } from '../../src/lab/verify';
import { fakeIo } from '../helpers/tmp-inventory';

/** `ggi verify` without a lab: the providers' composition, the exit codes, the JSON shape and the text table. */

const env = (progress: string[] = []): VerifyEnv => ({
  runner: { run: async () => ({ code: 0, stdout: '', stderr: '' }), start: async () => 0 } as unknown as VerifyEnv['runner'],
  state: { nodes: [] } as unknown as VerifyEnv['state'],
  inventory: {},
  expectFlow: () => ({ allowed: false, rule: null, reason: '' }),
  announcedToKps: [],
  canonPrefix: (p) => p,
  settleMs: 0,
  progress: (t) => void progress.push(t),
  connectApi: () => {
    throw new Error('no appliance in this test');
  },
});

const check = (name: string, ok: boolean, extra: Partial<Check> = {}): Check => ({ name, ok, expected: 'Established', observed: ok ? 'Established' : 'Idle (Admin)', detail: '', ...extra });
const provider = (name: string, checks: Check[] | Error): CheckProvider => ({
  name,
  summary: `${name} things`,
  checks: async () => {
    if (checks instanceof Error) throw checks;
    return checks;
  },
});

describe('ggi verify: check providers', () => {
  it('runs every provider in order, with progress; ok only when every check holds', async () => {
    const progress: string[] = [];
    const r = await runChecks(env(progress), [provider('a', [check('a 1', true)]), provider('b', [check('b 1', true), check('b 2', true)])]);
    expect(r).toEqual({ ok: true, unreachable: false, checks: [check('a 1', true), check('b 1', true), check('b 2', true)] });
    expect(progress).toEqual(['checking a things…\n', 'checking b things…\n']);
    expect(verifyExitCode(r)).toBe(0);
  });

  it('a failed check is exit 4; a provider that cannot reach its devices is a failed check and exit 3', async () => {
    const failing = await runChecks(env(), [provider('bgp', [check('bgp r1 198.51.100.1', true), check('bgp r1 198.51.100.2', false)])]);
    expect(failing.ok).toBe(false);
    expect(verifyExitCode(failing)).toBe(4);
    const broken = await runChecks(env(), [provider('bgp', [check('bgp r1 198.51.100.1', true)]), provider('dhcp', new Error('connect ECONNREFUSED\nmore'))]);
    expect(broken.checks[1]).toMatchObject({ name: 'dhcp: could not check', ok: false, detail: 'connect ECONNREFUSED', unreachable: true });
    expect(verifyExitCode(broken)).toBe(3);
    // No checks at all proves nothing.
    expect((await runChecks(env(), [])).ok).toBe(false);
  });

  it('JSON is exactly { ok, checks: [{ name, ok, expected, observed, detail }] }', async () => {
    const r = await runChecks(env(), [provider('device', [check('device r1', false, { unreachable: true })])]);
    expect(verifyDocument(r)).toEqual({ ok: false, checks: [{ name: 'device r1', ok: false, expected: 'Established', observed: 'Idle (Admin)', detail: '' }] });
  });

  it('text: a group that holds is one row, failed checks each on a row with their details below', async () => {
    const bgp = Array.from({ length: 6 }, (_, i) => check(`bgp r${i} 198.51.100.${i}`, i !== 4, i === 4 ? { detail: 'shut down by hand' } : {}));
    const text = verifyText(await runChecks(env(), [provider('kps', [check('kps routes', true, { expected: '3 announced prefixes', observed: '3 received' })]), provider('bgp', bgp)]));
    expect(text).toMatch(/^kps routes\s+ok\s+3 announced prefixes\s+3 received$/m);
    expect(text).toMatch(/^bgp \(6 checks\)\s+FAIL\s+Established\s+5 of 6 hold$/m);
    expect(text).toMatch(/^ {2}bgp r4 198\.51\.100\.4\s+FAIL\s+Established\s+Idle \(Admin\)$/m);
    expect(text).toContain('bgp r4 198.51.100.4:\n  shut down by hand\n');
    expect(text).toMatch(/NOT verified: 1 of 7 checks fail\n$/);
  });
});

describe('ggi verify: command line', () => {
  it('an unknown target or check group is a usage error', async () => {
    for (const argv of [['verify', '--target', 'production'], ['verify', '--only', 'nonsense']]) {
      const f = fakeIo();
      expect(await main([...argv, '--format', 'json'], f.io)).toBe(2);
      expect(JSON.parse(f.stdout())).toMatchObject({ ok: false, usage: true });
    }
  });

  it('no lab: nothing to reach, exit 3', async () => {
    const f = fakeIo();
    expect(await main(['verify', '--lab-state', '/nonexistent/ggi-lab', '--format', 'json'], f.io)).toBe(3);
    expect(JSON.parse(f.stdout())).toMatchObject({ ok: false, error: expect.stringMatching(/lab is not up/) });
  });
});
