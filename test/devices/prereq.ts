import { spawnSync } from 'node:child_process';

/**
 * Decides at runtime whether a test's real prerequisites exist. In CI (CI=true) a missing one is a failure; elsewhere
 * the test is skipped with a visible message, so a developer machine without root or FRR still runs the rest.
 */
export function prerequisites(what: string, needs: Array<'root' | 'nft' | 'vtysh' | 'ip'>): boolean {
  const missing: string[] = [];
  for (const n of needs) {
    if (n === 'root' && (typeof process.getuid !== 'function' || process.getuid() !== 0)) missing.push('root');
    if (n === 'nft' && !runs('nft', ['--version'])) missing.push('nft (Debian package nftables)');
    if (n === 'vtysh' && !runs('vtysh', ['--help'])) missing.push('vtysh (Debian package frr)');
    if (n === 'ip' && !runs('ip', ['-V'])) missing.push('ip (Debian package iproute2)');
  }
  if (missing.length === 0) return true;
  const msg = `${what}: needs ${missing.join(', ')}`;
  if (process.env.CI === 'true') throw new Error(msg);
  // eslint-disable-next-line no-console
  console.warn(`SKIPPED ${msg}`);
  return false;
}

function runs(cmd: string, args: string[]): boolean {
  const r = spawnSync(cmd, args, { stdio: 'ignore' });
  return r.error === undefined;
}
