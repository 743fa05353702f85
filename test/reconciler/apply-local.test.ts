import * as fs from 'node:fs';
import * as path from 'node:path';
import { reconcileAll, reconcileDevice, type ReconcileOptions } from '../../src/reconciler/apply';
import { openJournal, readJournal } from '../../src/reconciler/journal';
import { armScript, activateScript, stageScript, lockAndReadScript, parseRead } from '../../src/devices/posix-host/scripts';
import type { HostSpec } from '../../src/devices/posix-host';
import { TransportError } from '../../src/devices/contract';
import { hostJob, localTransport } from './harness';
import { secretChangedPlaceholder, secretPlaceholder } from '../../src/devices/contract';
import { eventually, fileDevice, tmpDir } from './helpers';

/**
 * The whole apply flow with its real device-side scripts, run by sh on this machine instead of over SSH (no root
 * needed): every step's commands are the ones a device runs.
 */
describe('reconcile with a local transport', () => {
  let dir: string;
  let opts: ReconcileOptions;
  let layout: { stateDir: string; lockTtlS: number };
  const job = (id: string, spec: HostSpec, over: { stateDir?: string } = {}) => hostJob(id, spec, { ...layout, ...over });
  beforeEach(() => {
    dir = tmpDir();
    layout = { stateDir: path.join(dir, 'state'), lockTtlS: 900 };
    opts = {
      mode: 'apply',
      connect: async () => localTransport(),
      operator: 'tester',
      confirmTimeoutS: 30,
      journal: openJournal(path.join(dir, 'journal.jsonl')),
    };
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const conf = () => path.join(dir, 'etc', 'app.conf');
  const running = () => path.join(dir, 'running.conf');
  const activations = () => (fs.existsSync(path.join(dir, 'activations.log')) ? fs.readFileSync(path.join(dir, 'activations.log'), 'utf8').split('\n').filter(Boolean).length : 0);

  it('applies, then a second apply changes nothing and touches nothing', async () => {
    const dev = job('d1', fileDevice(dir, 'ok v1\n'));
    const plan = await reconcileDevice(dev, { ...opts, mode: 'plan' });
    expect(plan).toMatchObject({ id: 'd1', changed: true, outcome: 'unchanged' });
    expect(fs.existsSync(conf())).toBe(false);

    const first = await reconcileDevice(dev, opts);
    expect(first.outcome).toBe('applied');
    expect(fs.readFileSync(conf(), 'utf8')).toBe('ok v1\n');
    expect(fs.statSync(conf()).mode & 0o777).toBe(0o640);
    expect(fs.readFileSync(running(), 'utf8')).toBe('ok v1\n');
    expect(activations()).toBe(1);
    // Nothing left behind: no lock, no staging, no rollback point; the live state is recorded.
    expect(fs.readdirSync(path.join(dir, 'state')).sort()).toEqual(['live']);

    const before = fs.statSync(conf());
    const again = await reconcileDevice(dev, opts);
    expect(again).toEqual({ id: 'd1', changed: false, files: [], outcome: 'unchanged' });
    const after = fs.statSync(conf());
    expect(after.mtimeMs).toBe(before.mtimeMs);
    expect(after.ino).toBe(before.ino);
    expect(activations()).toBe(1);

    const journal = readJournal(path.join(dir, 'journal.jsonl'));
    expect(journal).toHaveLength(1);
    expect(journal[0]).toMatchObject({ operator: 'tester', device: 'd1', outcome: 'applied', before: { [conf()]: null } });
    expect(journal[0].after[conf()]).toMatch(/^[0-9a-f]{64}$/);
    expect(journal[0].files[0].diff).toContain('+ok v1');
  });

  it('detects a hand edit of the live state (files equal) and repairs it', async () => {
    const dev = job('d1', fileDevice(dir, 'ok v1\n'));
    expect((await reconcileDevice(dev, opts)).outcome).toBe('applied');
    fs.writeFileSync(running(), 'hand edit\n');
    const drift = await reconcileDevice(dev, { ...opts, mode: 'plan' });
    expect(drift.changed).toBe(true);
    expect(drift.files).toEqual([{ path: 'live:running', diff: expect.stringContaining('-hand edit\n+ok v1') }]);
    expect((await reconcileDevice(dev, opts)).outcome).toBe('applied');
    expect(fs.readFileSync(running(), 'utf8')).toBe('ok v1\n');
    expect((await reconcileDevice(dev, { ...opts, mode: 'plan' })).changed).toBe(false);
  });

  it('a candidate failing validation is never activated', async () => {
    const good = job('d1', fileDevice(dir, 'ok v1\n'));
    await reconcileDevice(good, opts);
    const bad = job('d1', fileDevice(dir, 'broken\n'));
    const r = await reconcileDevice(bad, opts);
    expect(r).toMatchObject({ outcome: 'rolled-back', step: 'validate' });
    expect(r.reason).toContain('validation failed: grep');
    expect(fs.readFileSync(conf(), 'utf8')).toBe('ok v1\n');
    expect(activations()).toBe(1);
    expect(fs.existsSync(path.join(dir, 'state', 'lock'))).toBe(false);
  });

  it('a change failing verification is rolled back: previous file and previous live state', async () => {
    await reconcileDevice(job('d1', fileDevice(dir, 'ok v1\n')), opts);
    const failing = job('d1', fileDevice(dir, 'ok v2\n', { checks: [{ name: 'never true', argv: ['false'], timeoutS: 1 }] }));
    const r = await reconcileDevice(failing, opts);
    expect(r).toMatchObject({ outcome: 'rolled-back', step: 'verify', changed: true });
    expect(r.reason).toContain('verification failed: never true');
    expect(fs.readFileSync(conf(), 'utf8')).toBe('ok v1\n');
    expect(fs.readFileSync(running(), 'utf8')).toBe('ok v1\n');
    expect(activations()).toBe(3); // v1, v2, then v1 again by the rollback
    expect(fs.readdirSync(path.join(dir, 'state')).sort()).toEqual(['live', 'rollbacks.log']);
    expect(readJournal(path.join(dir, 'journal.jsonl')).map((e) => e.outcome)).toEqual(['applied', 'rolled-back']);
  });

  it('a failing first apply deactivates what was not there before', async () => {
    const spec = fileDevice(dir, 'ok v1\n', { checks: [{ name: 'never true', argv: ['false'], timeoutS: 1 }] });
    spec.files[0].deactivate = [['rm', '-f', running()]];
    const r = await reconcileDevice(job('d1', spec), opts);
    expect(r).toMatchObject({ outcome: 'rolled-back', step: 'verify' });
    expect(r.reason).not.toContain('activation failed');
    expect(fs.existsSync(conf())).toBe(false);
    expect(fs.existsSync(running())).toBe(false);
    expect(activations()).toBe(1); // only the candidate's; the rollback deactivated instead of re-activating
  });

  it('a failing activation is rolled back', async () => {
    await reconcileDevice(job('d1', fileDevice(dir, 'ok v1\n')), opts);
    const spec = fileDevice(dir, 'ok v2\n');
    spec.activate = [...spec.activate, ['sh', '-c', 'grep -q v1 "$0"', conf()]];
    const r = await reconcileDevice(job('d1', spec), opts);
    expect(r).toMatchObject({ outcome: 'rolled-back', step: 'activate' });
    expect(fs.readFileSync(conf(), 'utf8')).toBe('ok v1\n');
  });

  it('without confirmation the on-device timer restores the previous files by itself', async () => {
    const v1 = job('d1', fileDevice(dir, 'ok v1\n'));
    await reconcileDevice(v1, opts);
    const v2 = fileDevice(dir, 'ok v2\n');
    const t = localTransport();
    // The controller's steps up to activation, then it "dies" (never confirms).
    const lock = await t.exec('sh -s', { stdin: lockAndReadScript(v2, 'tester', layout) });
    expect(lock.code).toBe(0);
    expect(parseRead(v2, lock.stdout).files[conf()]).toBe('ok v1\n');
    expect((await t.exec('sh -s', { stdin: stageScript(v2, layout) })).code).toBe(0);
    expect((await t.exec('sh -s', { stdin: armScript(v2, 'tok', 1, layout) })).code).toBe(0);
    expect((await t.exec('sh -s', { stdin: activateScript(v2, layout) })).code).toBe(0);
    expect(fs.readFileSync(running(), 'utf8')).toBe('ok v2\n');
    // While the rollback is pending, plan says so and apply is refused by the lock.
    expect((await reconcileDevice(v1, { ...opts, mode: 'plan' })).files.map((f) => f.path)).toContain('state:pending-rollback');
    expect(await eventually(() => fs.readFileSync(running(), 'utf8') === 'ok v1\n' && !fs.existsSync(path.join(layout.stateDir, 'lock')), 20000)).toBe(true);
    expect(fs.readFileSync(conf(), 'utf8')).toBe('ok v1\n');
    expect(fs.readFileSync(path.join(layout.stateDir, 'rollbacks.log'), 'utf8')).toContain('restored by timer');
    expect((await reconcileDevice(v1, opts)).outcome).toBe('unchanged');
  });

  it('a held lock makes apply fail without touching the device; a stale one is broken', async () => {
    const dev = job('d1', fileDevice(dir, 'ok v1\n'));
    fs.mkdirSync(path.join(dir, 'state', 'lock'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'state', 'lock', 'owner'), 'someone else\n');
    fs.writeFileSync(path.join(dir, 'state', 'lock', 'since'), `${Math.floor(Date.now() / 1000)}\n`);
    const r = await reconcileDevice(dev, opts);
    expect(r.outcome).toBe('rolled-back');
    expect(r.step).toBe('lock');
    expect(r.reason).toContain('locked by someone else');
    expect(fs.existsSync(conf())).toBe(false);
    fs.writeFileSync(path.join(dir, 'state', 'lock', 'since'), '1000\n');
    expect((await reconcileDevice(dev, opts)).outcome).toBe('applied');
  });

  it('quotes every path: a device folder with spaces and quotes works end to end', async () => {
    const odd = path.join(dir, "it's a \"dir\" $HOME");
    const spec = fileDevice(odd, 'ok odd\n', { checks: [{ name: 'running', argv: ['test', '-s', path.join(odd, 'running.conf')], timeoutS: 2 }] });
    spec.files[0].candidate = `${spec.files[0].path}.ggi-candidate`;
    spec.validate = [['grep', '-q', '^ok', spec.files[0].candidate]];
    const stateDir = path.join(odd, "state 'x'");
    const dev = job('d1', spec, { stateDir });
    const first = await reconcileDevice(dev, opts);
    expect(first.reason).toBeUndefined();
    expect(first.outcome).toBe('applied');
    expect(fs.readFileSync(path.join(odd, 'running.conf'), 'utf8')).toBe('ok odd\n');
    expect((await reconcileDevice(dev, opts)).outcome).toBe('unchanged');
    const bad = job('d1', { ...spec, checks: [{ name: 'never', argv: ['false'], timeoutS: 1 }], files: [{ ...spec.files[0], content: 'ok odd v2\n' }] }, { stateDir });
    expect((await reconcileDevice(bad, opts)).outcome).toBe('rolled-back');
    expect(fs.readFileSync(path.join(odd, 'etc', 'app.conf'), 'utf8')).toBe('ok odd\n');
    expect(fs.existsSync(`${spec.files[0].path}.ggi-candidate`)).toBe(false);
  });

  it('reports unreachable devices and keeps going with the others, in bounded parallel', async () => {
    const dirs = [0, 1, 2, 3].map((i) => path.join(dir, `dev${i}`));
    const devices = dirs.map((d, i) => job(`d${i}`, fileDevice(d, `ok ${i}\n`), { stateDir: path.join(d, 'state') }));
    let inFlight = 0;
    let peak = 0;
    const results = await reconcileAll(devices, {
      ...opts,
      concurrency: 2,
      connect: async (id) => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        await new Promise((r) => setTimeout(r, 20));
        inFlight--;
        if (id === 'd2') throw new TransportError('UNREACHABLE', 'd2 (192.0.2.2:22): connection refused (is sshd running?)');
        return localTransport();
      },
    });
    expect(results.map((r) => [r.id, r.outcome])).toEqual([
      ['d0', 'applied'],
      ['d1', 'applied'],
      ['d2', 'unreachable'],
      ['d3', 'applied'],
    ]);
    expect(results[2].reason).toContain('connection refused');
    expect(peak).toBeLessThanOrEqual(2);
  });

  it('an observed device (managed: false) is compared read-only and never written', async () => {
    const observed = hostJob('d1', fileDevice(dir, 'ok v1\n'), layout, false);
    const plan = await reconcileDevice(observed, { ...opts, mode: 'plan' });
    expect(plan).toMatchObject({ id: 'd1', changed: true, outcome: 'observed' });
    expect(plan.files[0].diff).toContain('+ok v1');
    const r = await reconcileDevice(observed, opts);
    expect(r).toMatchObject({ outcome: 'observed', changed: true });
    expect(r.reason).toContain('managed: false');
    // Nothing on the device: no file, not even ggi's state folder; nothing journaled.
    expect(fs.existsSync(conf())).toBe(false);
    expect(fs.existsSync(layout.stateDir)).toBe(false);
    expect(readJournal(path.join(dir, 'journal.jsonl'))).toEqual([]);
    // Once the device has what the inventory expects, it is observed as equal.
    await reconcileDevice(job('d1', fileDevice(dir, 'ok v1\n')), opts);
    expect(await reconcileDevice(observed, opts)).toMatchObject({ outcome: 'observed', changed: false });
  });

  it('fills secrets in at apply time, journals only their hashes, and never shows a value in a plan', async () => {
    const tpl = `ok\nsecret ${secretPlaceholder('radius/nlrs1')}\n`;
    const secretJob = () => {
      const j = job('d1', fileDevice(dir, tpl));
      j.candidate.secrets = [{ id: 'radius/nlrs1', ref: { env: 'NLRS1_SECRET' } }];
      j.candidate.documents[0].secrets = ['radius/nlrs1'];
      return j;
    };
    let value: string | undefined = 'first-value';
    const withSecrets: ReconcileOptions = { ...opts, secrets: () => (value === undefined ? { values: new Map(), missing: ['radius/nlrs1: the environment variable NLRS1_SECRET is not set'] } : { values: new Map([['radius/nlrs1', value]]), missing: [] }) };
    expect((await reconcileDevice(secretJob(), withSecrets)).outcome).toBe('applied');
    expect(fs.readFileSync(conf(), 'utf8')).toBe('ok\nsecret first-value\n');
    const entry = readJournal(path.join(dir, 'journal.jsonl'))[0];
    expect(entry.secrets).toEqual({ 'radius/nlrs1': require('node:crypto').createHash('sha256').update('first-value').digest('hex') });
    expect(JSON.stringify(entry)).not.toContain('first-value');
    expect((await reconcileDevice(secretJob(), { ...withSecrets, mode: 'plan' })).changed).toBe(false);
    // A new value: the plan says that the secret differs, never what either value is.
    value = 'second-value';
    const plan = await reconcileDevice(secretJob(), { ...withSecrets, mode: 'plan' });
    expect(plan.changed).toBe(true);
    const text = JSON.stringify(plan);
    expect(text).toContain(secretChangedPlaceholder('radius/nlrs1'));
    expect(text).not.toMatch(/first-value|second-value/);
    // A secret missing at apply time: nothing is touched.
    value = undefined;
    const r = await reconcileDevice(secretJob(), withSecrets);
    expect(r).toMatchObject({ outcome: 'rolled-back', step: 'secrets' });
    expect(r.reason).toContain('NLRS1_SECRET');
    expect(fs.readFileSync(conf(), 'utf8')).toBe('ok\nsecret first-value\n');
  });
});
