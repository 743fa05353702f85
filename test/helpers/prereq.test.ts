import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { need, unmet } from './prereq';

/**
 * The prerequisite helper, through jest itself: a suite with a missing prerequisite is reported as skipped outside CI
 * and fails with CI=true; a suite with everything present runs.
 */
const root = path.resolve(__dirname, '..', '..');

function runJest(ci: boolean): { status: number | null; out: string } {
  const dir = fs.mkdtempSync(path.join(root, 'test', 'helpers', 'tmp-prereq-'));
  try {
    fs.writeFileSync(
      path.join(dir, 'demo.test.ts'),
      [
        "import { describeWith, testWith, need } from '../prereq';",
        "describeWith(need.file('/nonexistent/ggi-prereq'), 'suite that needs a file', () => { test('never runs', () => { throw new Error('ran'); }); });",
        "testWith(need.that(false, 'a unicorn'), 'test that needs a unicorn', () => { throw new Error('ran'); });",
        "testWith(null, 'test that needs nothing', () => { expect(1).toBe(1); });",
      ].join('\n'),
    );
    const env = { ...process.env, CI: ci ? 'true' : 'false' };
    const r = spawnSync(process.execPath, [require.resolve('jest/bin/jest'), '--selectProjects', 'unit', '--ci', '--verbose', '--rootDir', root, dir], { cwd: root, env, encoding: 'utf8', timeout: 120000 });
    return { status: r.status, out: `${r.stdout}${r.stderr}` };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('test/helpers/prereq', () => {
  test('unmet joins what is missing, and is null when nothing is', () => {
    expect(unmet(null, null)).toBeNull();
    expect(unmet(need.that(true, 'x'), need.that(false, 'y'), need.file('/nonexistent/z', 'z'))).toBe('y, z');
  });

  test('outside CI a missing prerequisite shows as skipped, with the reason in the name', () => {
    const r = runJest(false);
    expect(r.status).toBe(0);
    expect(r.out).toMatch(/skipped.*test that needs a unicorn \(skipped: needs a unicorn\)/is);
    expect(r.out).toMatch(/suite that needs a file \(skipped: needs \/nonexistent\/ggi-prereq\)/);
    expect(r.out).toMatch(/Tests:\s+2 skipped, 1 passed, 3 total/);
  });

  test('with CI=true a missing prerequisite fails', () => {
    const r = runJest(true);
    expect(r.status).not.toBe(0);
    expect(r.out).toContain('missing prerequisite in CI: a unicorn');
    expect(r.out).toContain('missing prerequisite in CI: /nonexistent/ggi-prereq');
    expect(r.out).toMatch(/Tests:\s+2 failed, 1 passed, 3 total/);
  });
});
