import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { main } from '../../src/cli/main';
import { MANIFEST, openOutputFolder, OutputFolderError } from '../../src/util/output-folder';
import { fakeIo } from '../helpers/tmp-inventory';

const EXAMPLE = path.resolve(__dirname, '../../inventory');

/** Every file below a folder with its bytes, to prove a refusal touched nothing. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string): void => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(r);
      else if (e.isSymbolicLink()) out[r] = `-> ${fs.readlinkSync(path.join(dir, r))}`;
      else out[r] = e.isFile() ? fs.readFileSync(path.join(dir, r), 'utf8') : '(not a file)';
    }
  };
  walk('');
  return out;
}

describe('output folders (src/util/output-folder)', () => {
  let root: string;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'ggi-out-'));
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));
  const open = (dir: string, extra: { inventory?: string; command?: string; cwd?: string } = {}) =>
    openOutputFolder(dir, { command: extra.command ?? 'test', shown: dir, cwd: extra.cwd ?? root, ...(extra.inventory ? { inventory: extra.inventory } : {}) });

  it('writes files with a manifest, rewrites them, and deletes only the files it listed', () => {
    const out = path.join(root, 'out');
    open(out).write([
      { path: 'a.txt', content: 'a' },
      { path: 'sub/b.txt', content: 'b', mode: 0o600 },
    ]);
    expect(fs.statSync(path.join(out, 'sub/b.txt')).mode & 0o777).toBe(0o600);
    expect(JSON.parse(fs.readFileSync(path.join(out, MANIFEST), 'utf8')).files).toEqual(['a.txt', 'sub/b.txt']);
    open(out).write([{ path: 'a.txt', content: 'A' }]);
    expect(snapshot(out)).toEqual({ 'a.txt': 'A', [MANIFEST]: expect.any(String) });
    expect(JSON.parse(fs.readFileSync(path.join(out, MANIFEST), 'utf8')).files).toEqual(['a.txt']);
  });

  it('refuses a folder holding a file, link or FIFO it did not write, and touches nothing', () => {
    const out = path.join(root, 'out');
    open(out).write([{ path: 'a.txt', content: 'a' }]);
    const outside = path.join(root, 'precious.txt');
    fs.writeFileSync(outside, 'precious');
    for (const make of [
      () => fs.writeFileSync(path.join(out, 'notes.md'), 'mine'),
      () => fs.symlinkSync(outside, path.join(out, 'link')),
      () => execFileSync('mkfifo', [path.join(out, 'fifo')]),
      () => {
        // A listed file replaced by a link is not ggi's any more.
        fs.rmSync(path.join(out, 'a.txt'));
        fs.symlinkSync(outside, path.join(out, 'a.txt'));
      },
    ]) {
      make();
      const before = snapshot(out);
      expect(() => open(out).write([{ path: 'b.txt', content: 'b' }])).toThrow(OutputFolderError);
      expect(() => open(out)).toThrow(/holds files ggi did not write/);
      expect(snapshot(out)).toEqual(before);
      expect(fs.readFileSync(outside, 'utf8')).toBe('precious');
      for (const n of ['notes.md', 'link', 'fifo', 'a.txt']) fs.rmSync(path.join(out, n), { force: true });
      open(out).write([{ path: 'a.txt', content: 'a' }]);
    }
  });

  it('refuses an empty name, the current folder and its parents, the repository, and the inventory inside or around', () => {
    const repo = path.join(root, 'repo');
    fs.mkdirSync(path.join(repo, '.git'), { recursive: true });
    fs.mkdirSync(path.join(repo, 'inventory'));
    const cwd = path.join(repo, 'work');
    fs.mkdirSync(cwd);
    const inv = path.join(repo, 'inventory');
    const o = (d: string) => () => openOutputFolder(d, { command: 'test', shown: d, cwd, inventory: inv });
    expect(o('')).toThrow(/empty name/);
    expect(o('.')).toThrow(/it is the current folder/);
    expect(o('..')).toThrow(/it holds the current folder/);
    expect(o('/')).toThrow(/it holds the current folder/);
    expect(o(inv)).toThrow(/it is the inventory folder/);
    expect(o(path.join(inv, 'x'))).toThrow(/inside the inventory folder/);
    expect(o(path.join(repo, 'out'))).not.toThrow();
    // Through a link to the repository: the same folder.
    fs.symlinkSync(repo, path.join(root, 'alias'));
    expect(o(path.join(root, 'alias'))).toThrow(/it holds the current folder/);
    expect(fs.readdirSync(repo).sort()).toEqual(['.git', 'inventory', 'work']);
  });

  it("refuses another command's folder and a manifest it cannot have written", () => {
    const out = path.join(root, 'out');
    open(out, { command: 'synth' }).write([{ path: 'a', content: 'a' }]);
    expect(() => open(out, { command: 'govroam render' })).toThrow(/holds the output of 'ggi synth'/);
    fs.writeFileSync(path.join(out, MANIFEST), JSON.stringify({ writtenBy: 'ggi', command: 'test', files: ['../../precious.txt'] }));
    expect(() => open(out)).toThrow(/lists a path outside the folder/);
    fs.writeFileSync(path.join(out, MANIFEST), 'not json');
    expect(() => open(out)).toThrow(/is not JSON/);
  });

  it('never writes through a link inside the folder, nor deletes through one', () => {
    const out = path.join(root, 'out');
    open(out).write([{ path: 'sub/a', content: 'a' }]);
    const elsewhere = path.join(root, 'elsewhere');
    fs.mkdirSync(elsewhere);
    fs.writeFileSync(path.join(elsewhere, 'a'), 'keep');
    fs.rmSync(path.join(out, 'sub'), { recursive: true });
    fs.symlinkSync(elsewhere, path.join(out, 'sub'));
    expect(() => open(out)).toThrow(/sub \(a symbolic link\)/);
    expect(fs.readFileSync(path.join(elsewhere, 'a'), 'utf8')).toBe('keep');
  });

  it('accepts a file it did not list when it holds exactly the bytes about to be written', () => {
    const out = path.join(root, 'out');
    fs.mkdirSync(out);
    fs.writeFileSync(path.join(out, 'a'), 'same');
    expect(() => openOutputFolder(out, { command: 'test', shown: out, cwd: root, planned: new Map([['a', 'other']]) })).toThrow(/did not write \(a\)/);
    openOutputFolder(out, { command: 'test', shown: out, cwd: root, planned: new Map([['a', 'same']]) }).write([{ path: 'a', content: 'same' }]);
    expect(JSON.parse(fs.readFileSync(path.join(out, MANIFEST), 'utf8')).files).toEqual(['a']);
  });

  it('stages: a crashed run leaves only what the manifest records, and the next run cleans it up', () => {
    const out = path.join(root, 'out');
    const f = open(out);
    const staging = f.stage();
    fs.writeFileSync(path.join(staging, 'x'), 'x');
    // "crash": nothing installed, nothing discarded
    const g = open(out);
    g.write([{ path: 'y', content: 'y' }]);
    expect(snapshot(out)).toEqual({ y: 'y', [MANIFEST]: expect.any(String) });
    const h = open(out);
    const s2 = h.stage();
    fs.mkdirSync(path.join(s2, 'd'));
    fs.writeFileSync(path.join(s2, 'd', 'z'), 'z');
    h.installStaged();
    expect(snapshot(out)).toEqual({ 'd/z': 'z', [MANIFEST]: expect.any(String) });
    const k = open(path.join(root, 'fresh'));
    k.stage();
    k.discardStaged();
    expect(fs.existsSync(path.join(root, 'fresh'))).toBe(false);
  });
});

describe('every command that writes an output folder uses it', () => {
  let root: string;
  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'ggi-outcli-'));
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
  const run = async (argv: string[], env: NodeJS.ProcessEnv = {}, cwd?: string) => {
    const f = fakeIo(env);
    const io = cwd ? { ...f.io, cwd } : f.io;
    const code = await main(argv, io);
    return { code, stdout: f.stdout(), stderr: f.stderr() };
  };
  /** A folder with a file of someone else's. */
  const foreign = (name: string): string => {
    const d = path.join(root, name);
    fs.mkdirSync(path.join(d, 'stacks'), { recursive: true });
    fs.writeFileSync(path.join(d, 'stacks', 'main.ts'), 'precious');
    return d;
  };

  it('synth --out into a folder with a foreign file keeps it and exits 1; --out . and --out "" are refused', async () => {
    const d = foreign('synth');
    const r = await run(['synth', '--inventory', EXAMPLE, '--out', d]);
    expect(r.stderr).toMatch(/holds files ggi did not write \(stacks\/main\.ts\)/);
    expect(r.code).toBe(1);
    expect(snapshot(d)).toEqual({ 'stacks/main.ts': 'precious' });
    // The repository as the current folder: `--out .` (the issue: it deleted stacks/*.ts).
    const repo = path.join(root, 'repo');
    fs.mkdirSync(path.join(repo, 'stacks'), { recursive: true });
    fs.writeFileSync(path.join(repo, 'stacks', 'main.ts'), 'precious');
    for (const out of ['.', '']) {
      const x = await run(['synth', '--inventory', EXAMPLE, '--out', out], {}, repo);
      expect(x.code).toBe(1);
      expect(x.stderr).toMatch(/current folder|empty name/);
    }
    expect(snapshot(repo)).toEqual({ 'stacks/main.ts': 'precious' });
    // Into a fresh folder, twice: the second run replaces the first.
    const out = path.join(root, 'synth-ok');
    expect((await run(['synth', '--inventory', EXAMPLE, '--out', out])).code).toBe(0);
    expect((await run(['synth', '--inventory', EXAMPLE, '--out', out])).code).toBe(0);
    expect(fs.readdirSync(out).sort()).toEqual([MANIFEST, 'manifest.json', 'stacks']);
  });

  it('govroam render, policy export capirca and generate refuse a folder with a foreign file', async () => {
    const env: NodeJS.ProcessEnv = {};
    for (const m of fs.readFileSync(path.join(EXAMPLE, 'govroam.yaml'), 'utf8').matchAll(/env: (GOVROAM_\w+)/g)) env[m[1]] = 'test-secret';
    for (const org of ['GM0014', 'GM0153', 'GM0344', 'GM0363', 'GM0546', 'GM0865']) env[`GOVROAM_NAS_SECRET_${org}`] = 'test-secret';
    const cases: Array<[string, string[]]> = [
      ['govroam', ['govroam', 'render', '--inventory', EXAMPLE, '--out']],
      ['capirca', ['policy', 'export', 'capirca', '--inventory', EXAMPLE, '--out']],
      ['example', ['generate', 'example', '--out']],
      ['national', ['generate', 'national', '--rules', '50', '--out']],
    ];
    for (const [name, argv] of cases) {
      const d = foreign(name);
      const r = await run([...argv, d], env);
      expect({ name, code: r.code, stderr: r.stderr }).toEqual({ name, code: 1, stderr: expect.stringMatching(/holds files ggi did not write/) });
      expect(snapshot(d)).toEqual({ 'stacks/main.ts': 'precious' });
      const ok = path.join(root, `${name}-ok`);
      const good = await run([...argv, ok], env);
      expect({ name, code: good.code, stderr: good.stderr }).toEqual({ name, code: 0, stderr: expect.any(String) });
      expect(fs.existsSync(path.join(ok, MANIFEST))).toBe(true);
    }
  });
});
