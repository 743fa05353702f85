import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { reconcileAll, type ReconcileOptions } from '../../src/reconciler/apply';
import { openJournal, readJournal } from '../../src/reconciler/journal';
import { connectSsh, TransportError, type SshTarget } from '../../src/reconciler/transport';
import type { HostSpec } from '../../src/devices/posix-host';
import { hostJob } from './harness';
import { compileReconciler, eventually, nftDevice, nftRuleset, tmpDir } from './helpers';
import { testbedMissing } from './testbed';
import { describeWith, unmet } from '../helpers/prereq';
import { testbedUp, type Testbed } from './testbed';

describeWith(unmet(...testbedMissing()), 'the reconciler over SSH (real sshd and nftables in namespaces)', () => {
  /** The reconciler against real sshd and nftables in network namespaces (root; CI fails without it). */
  let tb: Testbed;
  let work: string;

  beforeAll(() => {
    tb = testbedUp({ prefix: 'ggirc', count: 3, subnet: '198.19.252' });
    work = tmpDir();
  });
  afterAll(() => {
    if (tb) tb.down();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  function target(id: string, over: Partial<SshTarget> = {}): SshTarget {
    const d = tb.devices.find((x) => x.id === id)!;
    return { id, host: d.address, port: d.port, user: d.user, hostKey: d.hostKey, privateKey: tb.privateKey, ...over };
  }

  function options(over: Partial<ReconcileOptions> = {}): ReconcileOptions {
    return {
      mode: 'apply',
      connect: (id) => connectSsh(target(id), { connectTimeoutMs: 20000 }),
      operator: 'ssh-test',
      confirmTimeoutS: 60,
      journal: openJournal(path.join(work, 'journal.jsonl')),
      ...over,
    };
  }

  const root = (id: string) => tb.devices.find((x) => x.id === id)!.root;
  const job = (id: string, spec: HostSpec) => hostJob(id, spec, { stateDir: `${root(id)}/state` });
  const nftJob = (id: string, port: number, extra: Partial<HostSpec> = {}) => job(id, nftDevice(id, root(id), port, extra));
  const liveRuleset = (id: string) => tb.inDevice(id, ['nft', '-s', 'list', 'table', 'inet', 'ggi']);

  /** This process's TCP connections to address:port (ss in the root namespace; orphaned sockets belong to no process). */
  function ownSockets(address: string, port: number): string[] {
    const out = execFileSync('ss', ['-Htnp', 'dst', `${address}:${port}`], { encoding: 'utf8' });
    return out.split('\n').filter((l) => l.includes(`pid=${process.pid},`));
  }

  describe('ending a session', () => {
    it('drops the connection when the device does not answer the goodbye, so nothing keeps ggi running', async () => {
      const d = tb.devices[0];
      const t = await connectSsh(target('r0'));
      expect(ownSockets(d.address, d.port)).toHaveLength(1);
      // The device stops answering this connection: the polite end (disconnect message, then FIN) gets no reply.
      const rule = `nft add table inet ggitest && nft add chain inet ggitest in '{ type filter hook input priority -10; policy accept; }' && nft add rule inet ggitest in tcp dport ${d.port} drop`;
      tb.inDevice('r0', ['sh', '-c', rule]);
      try {
        await t.close();
        expect(ownSockets(d.address, d.port)).toEqual([]);
      } finally {
        tb.inDevice('r0', ['nft', 'delete', 'table', 'inet', 'ggitest']);
      }
    });
  });

  describe('host key pinning', () => {
    it('accepts the pinned key, refuses an unknown or a changed one', async () => {
      const t = await connectSsh(target('r0'));
      expect(t.hostKey).toBe(tb.devices[0].hostKey);
      expect((await t.exec('echo hi')).stdout).toBe('hi\n');
      expect(await t.readFile('/nonexistent/x')).toBeNull();
      await t.writeFile(`${root('r0')}/probe`, 'héllo\n', 0o600);
      expect(await t.readFile(`${root('r0')}/probe`)).toBe('héllo\n');
      expect(fs.statSync(`${root('r0')}/probe`).mode & 0o777).toBe(0o600);
      await t.close();

      const unknown = await connectSsh(target('r0', { hostKey: undefined })).catch((e) => e);
      expect(unknown).toBeInstanceOf(TransportError);
      expect(unknown.code).toBe('HOST_KEY_UNKNOWN');
      expect(unknown.message).toContain(tb.devices[0].hostKey);

      const wrong = await connectSsh(target('r0', { hostKey: tb.devices[1].hostKey })).catch((e) => e);
      expect(wrong.code).toBe('HOST_KEY_MISMATCH');

      // Onboarding accepts a new key and reports it; it never overrides a pin.
      const onboard = await connectSsh(target('r0', { hostKey: undefined }), { acceptNew: true });
      expect(onboard.hostKey).toBe(tb.devices[0].hostKey);
      await onboard.close();
      expect((await connectSsh(target('r0', { hostKey: tb.devices[1].hostKey }), { acceptNew: true }).catch((e) => e)).code).toBe('HOST_KEY_MISMATCH');
    });

    it('refuses a device whose key changed since it was pinned', async () => {
      const old = tb.devices[2].hostKey;
      const fresh = tb.rotateHostKey('r2');
      tb.devices[2].hostKey = fresh;
      const e = await connectSsh(target('r2', { hostKey: old })).catch((x) => x);
      expect(e.code).toBe('HOST_KEY_MISMATCH');
      expect(e.message).toContain(fresh);
    });

    it('reports a wrong controller key as an authentication failure', async () => {
      const other = tmpDir();
      require('node:child_process').execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(other, 'k')]);
      const e = await connectSsh(target('r0', { privateKey: fs.readFileSync(path.join(other, 'k'), 'utf8') })).catch((x) => x);
      expect(e.code).toBe('AUTH_FAILED');
      fs.rmSync(other, { recursive: true, force: true });
    });
  });

  describe('apply over SSH', () => {
    it('applies, then a second apply is unchanged and touches nothing', async () => {
      const devices = ['r0', 'r1', 'r2'].map((id) => nftJob(id, 1000));
      const first = await reconcileAll(devices, options());
      expect(first.map((r) => r.outcome)).toEqual(['applied', 'applied', 'applied']);
      expect(liveRuleset('r1')).toContain('tcp dport 1000 counter accept');
      const stat = fs.statSync(`${root('r1')}/ggi.nft`);
      const journalBefore = readJournal(path.join(work, 'journal.jsonl')).length;
      expect(readJournal(path.join(work, 'journal.jsonl')).slice(-1)[0].live?.nftables).toMatch(/^[0-9a-f]{64}$/);

      const second = await reconcileAll(devices, options());
      expect(second).toEqual(devices.map((d) => ({ id: d.id, changed: false, files: [], outcome: 'unchanged' })));
      const again = fs.statSync(`${root('r1')}/ggi.nft`);
      expect([again.ino, again.mtimeMs]).toEqual([stat.ino, stat.mtimeMs]);
      expect(readJournal(path.join(work, 'journal.jsonl')).length).toBe(journalBefore);
    });

    it('finds a hand edit of the running ruleset or of the file as drift, and apply repairs both', async () => {
      const devices = ['r0', 'r1', 'r2'].map((id) => nftJob(id, 1000));
      tb.inDevice('r0', ['nft', 'add', 'rule', 'inet', 'ggi', 'input', 'tcp', 'dport', '6666', 'accept']);
      fs.writeFileSync(`${root('r1')}/ggi.nft`, nftRuleset(7777));
      const drift = await reconcileAll(devices, options({ mode: 'plan' }));
      expect(drift.map((r) => r.changed)).toEqual([true, true, false]);
      expect(drift[0].files[0]).toEqual({ path: 'live:nftables', diff: expect.stringContaining('-\t\ttcp dport 6666 accept') });
      expect(drift[1].files[0].diff).toContain('-    tcp dport 7777 counter accept\n+    tcp dport 1000 counter accept');
      const fixed = await reconcileAll(devices, options());
      expect(fixed.map((r) => r.outcome)).toEqual(['applied', 'applied', 'unchanged']);
      expect(liveRuleset('r0')).not.toContain('6666');
      expect((await reconcileAll(devices, options({ mode: 'plan' }))).map((r) => r.changed)).toEqual([false, false, false]);
    });

    it('reports a device whose sshd is stopped as unreachable while the others are applied', async () => {
      tb.stopSshd('r1');
      try {
        const devices = ['r0', 'r1', 'r2'].map((id) => nftJob(id, 2000));
        const res = await reconcileAll(devices, options());
        expect(res.map((r) => r.outcome)).toEqual(['applied', 'unreachable', 'applied']);
        expect(res[1].reason).toMatch(/UNREACHABLE/);
        expect(liveRuleset('r1')).toContain('dport 1000');
      } finally {
        tb.startSshd('r1');
      }
    });

    it('rolls back a change that fails verification: previous file and previous running ruleset', async () => {
      await reconcileAll([nftJob('r1', 2000)], options());
      const bad = nftJob('r1', 3000, { checks: [{ name: 'port 3000 must be absent', argv: ['sh', '-c', '! nft list table inet ggi | grep -q 3000'], timeoutS: 1 }] });
      const [res] = await reconcileAll([bad], options());
      expect(res.outcome).toBe('rolled-back');
      expect(res.reason).toContain('port 3000 must be absent');
      expect(fs.readFileSync(`${root('r1')}/ggi.nft`, 'utf8')).toBe(nftRuleset(2000));
      expect(liveRuleset('r1')).toContain('dport 2000');
      expect(liveRuleset('r1')).not.toContain('3000');
      expect(fs.existsSync(`${root('r1')}/ggi.nft.ggi-candidate`)).toBe(false);
    });

    it('a candidate the device rejects is never activated', async () => {
      const spec = nftDevice('r2', root('r2'), 2000);
      spec.files[0].content = 'table inet ggi { chain input { this is not nftables } }\n';
      const [res] = await reconcileAll([job('r2', spec)], options());
      expect(res).toMatchObject({ outcome: 'rolled-back', step: 'validate' });
      expect(liveRuleset('r2')).toContain('dport 2000');
    });

    it('killing the controller between activation and confirmation: the device restores itself', async () => {
      const out = tmpDir('ggi-rc-js-');
      compileReconciler(out);
      const stuck = nftDevice('r0', root('r0'), 4000, { checks: [{ name: 'never', argv: ['test', '-e', '/nonexistent'], timeoutS: 120 }] });
      const cfg = path.join(out, 'cfg.json');
      fs.writeFileSync(cfg, JSON.stringify({ device: stuck, target: target('r0'), stateDir: `${root('r0')}/state` }), { mode: 0o600 });
      const driver = `
        const fs = require('fs');
        const { reconcileAll } = require(${JSON.stringify(path.join(out, 'src', 'reconciler', 'apply.js'))});
        const { connectSsh } = require(${JSON.stringify(path.join(out, 'src', 'reconciler', 'transport.js'))});
        const { hostJob } = require(${JSON.stringify(path.join(out, 'test', 'reconciler', 'harness.js'))});
        const c = JSON.parse(fs.readFileSync(process.argv[1], 'utf8'));
        reconcileAll([hostJob('r0', c.device, { stateDir: c.stateDir })], { mode: 'apply', connect: () => connectSsh(c.target), operator: 'doomed', confirmTimeoutS: 15,
          verifyTimeoutS: 120, onStep: (id, s) => process.stdout.write('STEP ' + s + '\\n') });`;
      const child = spawn(process.execPath, ['-e', driver, cfg], { env: { ...process.env, NODE_PATH: path.resolve(__dirname, '../../node_modules') }, stdio: ['ignore', 'pipe', 'pipe'] });
      let seen = '';
      child.stdout.on('data', (b) => (seen += b));
      child.stderr.on('data', (b) => (seen += b));
      expect(await eventually(() => seen.includes('STEP verify'), 60000)).toBe(true);
      expect(liveRuleset('r0')).toContain('dport 4000');
      child.kill('SIGKILL');
      // Bounded wait (not a timing assertion): the on-device timer fires 15 s after it was armed.
      expect(await eventually(() => liveRuleset('r0').includes('dport 2000') && !fs.existsSync(`${root('r0')}/state/lock`), 60000)).toBe(true);
      expect(fs.readFileSync(`${root('r0')}/ggi.nft`, 'utf8')).toBe(nftRuleset(2000));
      expect(fs.readFileSync(`${root('r0')}/state/rollbacks.log`, 'utf8')).toContain('restored by timer');
      // And the device converges normally afterwards.
      expect((await reconcileAll([nftJob('r0', 2000)], options()))[0].outcome).toBe('unchanged');
      fs.rmSync(out, { recursive: true, force: true });
    });
  });
});
