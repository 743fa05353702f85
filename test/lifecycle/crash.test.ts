import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * A lifecycle command killed (SIGKILL) after any of its writes leaves the inventory, the ledger and the pending change
 * so that the next run finishes the change: the result is the same as an uninterrupted run's. The command runs as a
 * compiled child process (GGI_TEST_CRASH_AFTER=N kills it after its N-th write), so this test compiles the project
 * into a scratch folder inside the repository (so node_modules resolve).
 */
const repo = path.resolve(__dirname, '..', '..');
const build = path.join(repo, `.ggi-test-build-lifecycle-${process.pid}`);
const dirs: string[] = [build];

beforeAll(() => {
  const tsc = path.join(repo, 'node_modules', 'typescript', 'bin', 'tsc');
  const res = spawnSync(process.execPath, [tsc, '-p', path.join(repo, 'tsconfig.build.json'), '--outDir', build], { cwd: repo, encoding: 'utf8' });
  if (!fs.existsSync(path.join(build, 'src', 'cli', 'main.js'))) throw new Error(`could not compile the project: ${res.stdout}${res.stderr}`);
});
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function copy(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ggi-crash-'));
  fs.cpSync(path.resolve(repo, 'inventory'), dir, { recursive: true });
  dirs.push(dir, `${dir}-state`);
  return dir;
}

function ggi(args: string[], dir: string, crashAfter?: number) {
  const code = `require(${JSON.stringify(path.join(build, 'src', 'cli', 'main.js'))}).main(process.argv.slice(1), undefined).then((c) => process.exit(c))`;
  const { GGI_TEST_CRASH_AFTER: _inherited, ...rest } = process.env;
  const env = { ...rest, GGI_OPERATOR: 'crash-test', ...(crashAfter !== undefined ? { GGI_TEST_CRASH_AFTER: String(crashAfter) } : {}) };
  return spawnSync(process.execPath, ['-e', code, '--', ...args, '--inventory', dir], { encoding: 'utf8', env, timeout: 60_000 });
}

/** Every file of the inventory (pending file included), timestamps and dates masked (the runs differ in time). */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(r);
      else if (!e.name.endsWith('.lock')) out[r] = fs.readFileSync(path.join(dir, r), 'utf8').replace(/\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}(\.\d+)?Z)?/g, 'DATE');
    }
  };
  walk('');
  return out;
}

/** The lifecycle lines of the journal in the inventory's state folder (`--state`, beside it). */
function journaled(dir: string): Array<{ command: string; change: string }> {
  const file = path.join(`${dir}-state`, 'journal.jsonl');
  if (!fs.existsSync(file)) return [];
  return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)).filter((l) => l.kind === 'lifecycle');
}

const cases: Array<{ name: string; args: string[]; writes: number; what: string }> = [
  // ledger, gm0865, devices/ce, devices/radius, govroam, gm0855; the journal line
  { name: 'offboard --merged-into', args: ['offboard', 'GM0865', '--merged-into', 'GM0855'], writes: 7, what: 'offboard GM0865 --merged-into GM0855' },
  // gm0014, devices/ce; the journal line
  { name: 'move --served-by', args: ['move', 'GM0014', '--served-by', 'SV0001'], writes: 3, what: 'move GM0014 --served-by SV0001' },
  // ledger, gm0301; the journal line
  { name: 'onboard', args: ['onboard', 'GM0301', '--name', 'Zutphen'], writes: 3, what: 'onboard GM0301' },
];

describe.each(cases)('$name killed after each write', ({ args, writes, what }) => {
  let reference: Record<string, string>;
  const run = (dir: string, crashAfter?: number) => ggi([...args, '--state', `${dir}-state`], dir, crashAfter);
  beforeAll(() => {
    const dir = copy();
    const r = run(dir);
    expect([r.status, r.stderr]).toEqual([0, '']);
    reference = snapshot(dir);
    expect(journaled(dir).map((l) => l.command)).toEqual([what]);
  });

  it.each(Array.from({ length: writes + 1 }, (_, i) => i))('after write %i, the next run finishes it', (n) => {
    const dir = copy();
    const original = snapshot(dir);
    const crashed = run(dir, n);
    expect(crashed.signal).toBe('SIGKILL');
    expect(fs.existsSync(path.join(dir, '.ggi-lifecycle-pending.json'))).toBe(true);
    // What is on disk is the old or the new version of each file, never a torn one.
    const mid = snapshot(dir);
    for (const [rel, text] of Object.entries(mid)) if (!rel.startsWith('.')) expect([original[rel], reference[rel]]).toContain(text);
    // The journal line comes after every file is written.
    expect(journaled(dir).length).toBe(n === writes ? 1 : 0);
    const again = run(dir);
    expect(again.status).toBe(0);
    expect(again.stderr).toContain('finished an interrupted change first');
    expect(snapshot(dir)).toEqual(reference);
    // Journaled exactly once, whichever write the crash followed.
    expect(journaled(dir).map((l) => l.command)).toEqual([what]);
    const v = ggi(['validate', '--target', 'lab', '--format', 'json'], dir);
    const errors = JSON.parse(v.stdout).findings.filter((f: { severity: string }) => f.severity === 'error').map((f: { code: string }) => f.code);
    expect(errors.filter((c: string) => c !== 'ORGANISATION_OFFBOARDED')).toEqual([]);
  });
});
