import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';

/**
 * The one way a test says that it needs something of the machine (root, a command, a file). The decision is taken when
 * the test is defined, so jest's summary tells the truth:
 * - everything there: the test or suite runs as written;
 * - something missing and CI=true: a failing test that names what is missing (CI must never pass without running);
 * - something missing elsewhere: the test or suite is reported as skipped, its name saying why.
 */

/** What a test needs: `null` when everything is there, otherwise the missing things, in words. */
export type Unmet = string | null;

/** Combines checks, each `null` (met) or a description of what is missing. */
export function unmet(...checks: Unmet[]): Unmet {
  const missing = checks.filter((c): c is string => c !== null);
  return missing.length ? missing.join(', ') : null;
}

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/** True when `cmd` is found on PATH. */
export function haveCommand(cmd: string): boolean {
  const r = spawnSync('sh', ['-c', 'command -v "$1"', 'sh', cmd], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() !== '';
}

export const need = {
  root: (why = 'root'): Unmet => (isRoot() ? null : why),
  /** A command on PATH; `pkg` names the Debian package that brings it. */
  command: (cmd: string, pkg?: string): Unmet => (haveCommand(cmd) ? null : pkg ? `${cmd} (Debian package ${pkg})` : cmd),
  file: (file: string, what = file): Unmet => (fs.existsSync(file) ? null : what),
  /** A condition checked by the caller. */
  that: (ok: boolean, what: string): Unmet => (ok ? null : what),
};

/** Why the lab cannot run here (not root, no netns support, a package missing), or null when it can. */
export function labUnavailable(): Unmet {
  if (process.platform !== 'linux') return 'the lab needs Linux';
  const files = ['/usr/bin/ip', '/usr/sbin/sshd', '/usr/bin/ssh-keygen', '/usr/bin/ssh-keyscan', '/usr/lib/frr/zebra', '/usr/bin/vtysh', '/usr/bin/socat', '/usr/bin/python3'];
  return unmet(need.root('root (network namespaces)'), ...files.map((f) => need.file(f)));
}

function inCi(): boolean {
  return process.env.CI === 'true';
}

function failing(name: string, missing: string): void {
  test(`${name}: prerequisites`, () => {
    throw new Error(`missing prerequisite in CI: ${missing}`);
  });
}

/** `describe` for a suite that needs `missing` to be null (see the module comment). */
export function describeWith(missing: Unmet, name: string, fn: () => void): void {
  if (missing === null) describe(name, fn);
  else if (inCi()) describe(name, () => failing(name, missing));
  // The suite's own body is not run: it may do real work (temporary folders, loading) at definition time.
  else describe.skip(`${name} (skipped: needs ${missing})`, () => test(`needs ${missing}`, () => undefined));
}

/** `test` for one test that needs `missing` to be null (see the module comment). */
export function testWith(missing: Unmet, name: string, fn: () => unknown, timeout?: number): void {
  if (missing === null) test(name, fn as jest.ProvidesCallback, timeout);
  else if (inCi()) failing(name, missing);
  else test.skip(`${name} (skipped: needs ${missing})`, fn as jest.ProvidesCallback, timeout);
}

/** `describe` for tests that build real namespaces: `describeWith(labUnavailable(), …)`. */
export function describeLab(name: string, fn: () => void): void {
  describeWith(labUnavailable(), name, fn);
}
