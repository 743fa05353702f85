import { execFileSync } from 'node:child_process';

/** True when the command runs; for prerequisites of real-system tests. */
export function have(cmd: string, args: string[] = ['--version']): boolean {
  try {
    execFileSync(cmd, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/**
 * Decides at run time whether a test that needs a real prerequisite can run: in CI a missing prerequisite fails the
 * test; elsewhere the test returns early with a visible message.
 */
export function prerequisite(ok: boolean, what: string): boolean {
  if (ok) return true;
  if (process.env.CI === 'true') throw new Error(`missing prerequisite in CI: ${what}`);
  // eslint-disable-next-line no-console
  console.warn(`SKIPPED (not in CI): ${what}`);
  return false;
}
