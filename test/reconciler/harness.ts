import { spawn } from 'node:child_process';
import { TransportError, type Candidate, type DeviceLayout, type Driver, type ExecOptions, type ExecResult, type ShellTransport } from '../../src/devices/contract';
import { posixHostDriver, type HostSpec } from '../../src/devices/posix-host';
import type { DeviceJob } from '../../src/reconciler/types';
import { shq, wrap64 } from '../../src/util/shell';

/**
 * Test harnesses for the reconciler (not shipped in src/): a transport that runs the device-side scripts with sh on
 * this machine (no SSH, no root), and a POSIX-host driver whose candidate carries its own HostSpec, so that a test
 * states files, commands and probes directly.
 */

/** Runs commands on this machine (sh -c); `hostKey` is 'local'. */
export function localTransport(): ShellTransport {
  const exec = (cmd: string, o: ExecOptions = {}) =>
    new Promise<ExecResult>((resolve, reject) => {
      const child = spawn('sh', ['-c', cmd], { stdio: ['pipe', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      const timer = o.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), o.timeoutMs) : undefined;
      child.stdout.on('data', (b: Buffer) => out.push(b));
      child.stderr.on('data', (b: Buffer) => err.push(b));
      child.on('error', (e) => reject(new TransportError('UNREACHABLE', `local: ${e.message}`)));
      child.on('close', (code) => {
        if (timer) clearTimeout(timer);
        if (code === null) return reject(new TransportError('TIMEOUT', 'local: the command was killed'));
        resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
      });
      child.stdin.on('error', () => undefined);
      child.stdin.end(o.stdin ?? '');
    });
  return {
    kind: 'ssh',
    hostKey: 'local',
    exec,
    async readFile(path) {
      const r = await exec(`if [ -e ${shq(path)} ]; then base64 -w0 < ${shq(path)}; else exit 3; fi`);
      if (r.code === 3) return null;
      if (r.code !== 0) throw new TransportError('CONNECTION_LOST', `local: reading ${path} failed: ${r.stderr.trim()}`);
      return Buffer.from(r.stdout.trim(), 'base64').toString('utf8');
    },
    async writeFile(path, content, mode) {
      const tmp = `${path}.ggi-new`;
      const r = await exec('sh -s', { stdin: `set -e\nbase64 -d > ${shq(tmp)} <<'GGI_EOF'\n${wrap64(content)}\nGGI_EOF\nchmod ${mode.toString(8)} ${shq(tmp)}\nmv -f ${shq(tmp)} ${shq(path)}\n` });
      if (r.code !== 0) throw new TransportError('CONNECTION_LOST', `local: writing ${path} failed: ${r.stderr.trim()}`);
    },
    async close() {},
  };
}

/** A POSIX-host driver for tests: the candidate's `checks` is the HostSpec itself. */
export const testHostDriver: Driver = posixHostDriver({
  platform: 'test-host',
  capabilities: { validatesOnDevice: true, manages: ['test files'] },
  render: () => {
    throw new Error('the test driver renders no intents: build a job with hostJob');
  },
  host: (c) => c.checks as HostSpec,
});

export function hostCandidate(id: string, spec: HostSpec): Candidate {
  return { deviceId: id, platform: testHostDriver.platform, documents: spec.files.map((f) => ({ name: f.name, format: 'text', content: f.content })), secrets: [], checks: spec };
}

/** A job for the test driver. */
export function hostJob(id: string, spec: HostSpec, layout: Pick<DeviceLayout, 'stateDir'> & Partial<DeviceLayout>, managed = true): DeviceJob {
  return { id, driver: testHostDriver, candidate: hostCandidate(id, spec), layout: { lockTtlS: 900, pathspace: null, ...layout }, managed };
}
