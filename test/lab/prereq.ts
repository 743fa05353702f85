import * as fs from 'node:fs';

/** Why the lab cannot run here (not root, no netns support, a package missing), or null when it can. */
export function labUnavailable(): string | null {
  if (process.platform !== 'linux') return 'the lab needs Linux';
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'the lab needs root (network namespaces)';
  const need = ['/usr/bin/ip', '/usr/sbin/sshd', '/usr/bin/ssh-keygen', '/usr/bin/ssh-keyscan', '/usr/lib/frr/zebra', '/usr/bin/vtysh', '/usr/bin/socat', '/usr/bin/python3'];
  const missing = need.filter((f) => !fs.existsSync(f));
  if (missing.length) return `missing ${missing.join(', ')}`;
  return null;
}

/**
 * `describe` for tests that build real namespaces. Without the prerequisites the suite FAILS in CI (CI=true) and is
 * reported as skipped, with the reason, elsewhere: decided at runtime, so it never silently passes in CI.
 */
export function describeLab(name: string, fn: () => void): void {
  const why = labUnavailable();
  if (why === null) {
    describe(name, fn);
  } else if (process.env.CI === 'true') {
    describe(name, () => {
      test('lab prerequisites', () => {
        throw new Error(`lab tests cannot run in CI: ${why}`);
      });
    });
  } else {
    describe(name, () => {
      test(`SKIPPED (${why})`, () => {
        console.warn(`[lab] ${name}: skipped: ${why}`);
      });
    });
  }
}
