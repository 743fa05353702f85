import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { DirectorySource, GitSource, InventoryFileError, type InventorySource } from '../../src/model/files';
import { loadInventory } from '../../src/model/load';
import { main } from '../../src/cli/main';
import { fakeIo } from '../helpers/tmp-inventory';

const EXAMPLE = path.resolve(__dirname, '../../inventory');

/** What reading gives: the text, null, or the refusal's code. */
function outcome(src: InventorySource, rel: string): string | null {
  try {
    return src.read(rel);
  } catch (e) {
    if (e instanceof InventoryFileError) return e.code;
    throw e;
  }
}

describe('one reading rule for inventory files, the same in the working tree and in git', () => {
  let repo: string;
  let inv: string;
  beforeAll(() => {
    repo = fs.mkdtempSync(path.join(os.tmpdir(), 'ggi-files-'));
    inv = path.join(repo, 'inventory');
    fs.mkdirSync(path.join(inv, 'policy'), { recursive: true });
    fs.mkdirSync(path.join(inv, 'shared'));
    fs.mkdirSync(path.join(repo, 'elsewhere'));
    fs.writeFileSync(path.join(inv, 'shared', 'real.yaml'), 'rules: []\n');
    fs.writeFileSync(path.join(repo, 'elsewhere', 'secret.yaml'), 'root:x:0:0\n');
    const links: Record<string, string> = {
      'policy/inside.yaml': '../shared/real.yaml',
      'policy/chain.yaml': 'inside.yaml',
      'policy/outside.yaml': '../../elsewhere/secret.yaml',
      'policy/absolute.yaml': '/etc/passwd',
      'policy/dangling.yaml': '../shared/missing.yaml',
      'policy/folder.yaml': '../shared',
      'policy/loop.yaml': 'loop.yaml',
      'policy/back-in.yaml': '../../inventory-alias/shared/real.yaml',
    };
    for (const [rel, target] of Object.entries(links)) fs.symlinkSync(target, path.join(inv, rel));
    fs.symlinkSync('inventory', path.join(repo, 'inventory-alias'));
    const g = (...a: string[]) => execFileSync('git', ['-c', 'user.email=t@t', '-c', 'user.name=t', ...a], { cwd: repo, stdio: 'pipe' });
    g('init', '-q');
    g('add', '-A');
    g('commit', '-qm', 'tree');
  });
  afterAll(() => fs.rmSync(repo, { recursive: true, force: true }));

  it('follows links to files inside the inventory and refuses every other link, with the same code both ways', () => {
    const disk = new DirectorySource(inv);
    const git = new GitSource(repo, 'HEAD', inv);
    const expected: Record<string, string | null> = {
      'policy/inside.yaml': 'rules: []\n',
      'policy/chain.yaml': 'rules: []\n',
      'policy/back-in.yaml': 'rules: []\n',
      'policy/outside.yaml': 'INVENTORY_SYMLINK_OUTSIDE',
      'policy/absolute.yaml': 'INVENTORY_SYMLINK_OUTSIDE',
      'policy/dangling.yaml': 'INVENTORY_SYMLINK_BROKEN',
      'policy/loop.yaml': 'INVENTORY_SYMLINK_BROKEN',
      'policy/folder.yaml': 'INVENTORY_SYMLINK_FOLDER',
      'shared/real.yaml': 'rules: []\n',
      'govroam.yaml': null,
    };
    const got = (src: InventorySource) => Object.fromEntries(Object.keys(expected).map((k) => [k, outcome(src, k)]));
    expect(got(disk)).toEqual(expected);
    expect(got(git)).toEqual(expected);
    // Links are listed (never skipped), in both.
    expect(disk.list()).toEqual(git.list());
    expect(disk.list()).toContain('policy/outside.yaml');
  });

  it('never quotes the content of a file it refused', () => {
    const e = (() => {
      try {
        new DirectorySource(inv).read('policy/outside.yaml');
      } catch (x) {
        return x as Error;
      }
      return null;
    })();
    expect(e?.message).toMatch(/outside the inventory folder/);
    expect(e?.message).not.toMatch(/root:x/);
  });
});

describe('the loader turns refusals into located findings (never a silent skip)', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ggi-files-load-'));
    fs.cpSync(EXAMPLE, dir, { recursive: true });
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('a guardrails file behind a link inside the inventory is read (policy lint counts its guardrails)', async () => {
    fs.renameSync(path.join(dir, 'policy/00-guardrails.yaml'), path.join(dir, 'guardrails.yaml.txt'));
    fs.symlinkSync('../guardrails.yaml.txt', path.join(dir, 'policy/00-guardrails.yaml'));
    const { inventory, findings } = loadInventory(dir);
    expect(findings.filter((f) => f.severity === 'error')).toEqual([]);
    expect(inventory!.guardrails.length).toBeGreaterThan(0);
  });

  it('a fixed-name file linked outside is an error at its line 1, and its content is not echoed (text, json, sarif)', async () => {
    const secret = path.join(dir, '..', `${path.basename(dir)}-passwd`);
    fs.writeFileSync(secret, 'root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n');
    try {
      fs.rmSync(path.join(dir, 'govroam.yaml'));
      fs.symlinkSync(secret, path.join(dir, 'govroam.yaml'));
      for (const format of ['text', 'json', 'sarif']) {
        const f = fakeIo();
        const code = await main(['validate', '--inventory', dir, '--format', format], f.io);
        expect(code).toBe(1);
        expect(f.stdout() + f.stderr()).toMatch(/INVENTORY_SYMLINK_OUTSIDE/);
        expect(f.stdout() + f.stderr()).not.toMatch(/root:x|daemon/);
      }
      // The same content in a regular file: findings quote at most an excerpt.
      fs.rmSync(path.join(dir, 'govroam.yaml'));
      fs.copyFileSync(secret, path.join(dir, 'govroam.yaml'));
      const f = fakeIo();
      expect(await main(['validate', '--inventory', dir, '--format', 'json'], f.io)).toBe(1);
      for (const x of JSON.parse(f.stdout()).findings as Array<{ message: string }>) expect(x.message).not.toMatch(/nologin|usr\/sbin/);
    } finally {
      fs.rmSync(secret, { force: true });
    }
  });

  it('a FIFO in place of an organisation file is refused at once, not waited on', async () => {
    fs.rmSync(path.join(dir, 'organisations/gm0546.yaml'));
    execFileSync('mkfifo', [path.join(dir, 'organisations/gm0546.yaml')]);
    const t0 = Date.now();
    const { findings } = loadInventory(dir);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(findings).toContainEqual(expect.objectContaining({ code: 'INVENTORY_NOT_A_FILE', line: 1, column: 1 }));
  });
});
