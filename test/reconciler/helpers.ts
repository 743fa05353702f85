import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { HostSpec } from '../../src/devices/posix-host';
import { testbedNftDevice, testbedRuleset } from './testbed';

/**
 * Decides at runtime whether the SSH testbed can run: in CI a missing prerequisite (root, sshd, nft) is a failure,
 * elsewhere the test is skipped with a visible message.
 */
export function tmpDir(prefix = 'ggi-rc-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/**
 * A device whose "live state" is a file that activation copies the managed file into (so tests see activation,
 * rollback and drift without nft): `live` is the running config, `conf` the managed file, `log` records activations.
 */
export function fileDevice(root: string, content: string, extra: Partial<HostSpec> = {}): HostSpec {
  const conf = path.join(root, 'etc', 'app.conf');
  const live = path.join(root, 'running.conf');
  const log = path.join(root, 'activations.log');
  return {
    files: [{ name: 'app.conf', path: conf, content, mode: 0o640 }],
    validate: [['grep', '-q', '^ok', conf]],
    activate: [['sh', '-c', `cp "$0" "$1" && echo activated >> "$2"`, conf, live, log]],
    checks: [],
    live: [{ name: 'running', argv: ['cat', live] }],
    ...extra,
  };
}

/** Waits (polling) until `cond` holds or `limitMs` passes; returns whether it held. Not a timed assertion: a bound. */
export async function eventually(cond: () => boolean, limitMs: number): Promise<boolean> {
  const end = Date.now() + limitMs;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return cond();
}

/** An nftables ruleset for `table inet ggi` whose only rule names `port` (so versions differ visibly). */
export function nftRuleset(port: number): string {
  return testbedRuleset(port);
}

/** A testbed device managed like a linux-frr router's nftables (see testbedNftDevice), with overrides. */
export function nftDevice(id: string, root: string, port: number, extra: Partial<HostSpec> = {}): HostSpec {
  return { ...testbedNftDevice(id, root, port), ...extra };
}

/**
 * Transpiles the reconciler, the driver contract with the POSIX-host helper, and the test harness to plain CommonJS
 * in `outDir` (mirroring src/ and test/) with swc, so a test can run the reconciler in a child process and kill it
 * (SIGKILL) mid-apply.
 */
export function compileReconciler(outDir: string): void {
  const swc = require('@swc/core') as { transformFileSync(file: string, opts: object): { code: string } };
  const repo = path.resolve(__dirname, '../..');
  const folders = ['src/reconciler', 'src/secrets', 'src/devices', 'src/devices/posix-host', 'src/util', 'test/reconciler'];
  for (const rel of folders) {
    for (const f of fs.readdirSync(path.join(repo, rel)).filter((x) => x.endsWith('.ts') && !x.endsWith('.test.ts'))) {
      const { code } = swc.transformFileSync(path.join(repo, rel, f), { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } });
      fs.mkdirSync(path.join(outDir, rel), { recursive: true });
      fs.writeFileSync(path.join(outDir, rel, f.replace(/\.ts$/, '.js')), code);
    }
  }
}
