import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { makeDirectory } from '../../src/util/directory';

describe('makeDirectory', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ggi-dir-'));
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('creates a folder and its missing parents, and does nothing the second time', () => {
    const dir = path.join(tmp, 'a', 'b', 'c');
    makeDirectory(dir);
    expect(fs.statSync(dir).isDirectory()).toBe(true);
    fs.writeFileSync(path.join(dir, 'keep'), 'x');
    makeDirectory(dir);
    expect(fs.readFileSync(path.join(dir, 'keep'), 'utf8')).toBe('x');
  });

  it('gives every folder it creates the mode asked for, and leaves existing ones alone', () => {
    const old = process.umask(0);
    try {
      fs.mkdirSync(path.join(tmp, 'a'), { mode: 0o755 });
      makeDirectory(path.join(tmp, 'a', 'b', 'c'), 0o700);
    } finally {
      process.umask(old);
    }
    const mode = (p: string): number => fs.statSync(path.join(tmp, p)).mode & 0o777;
    expect([mode('a'), mode('a/b'), mode('a/b/c')]).toEqual([0o755, 0o700, 0o700]);
  });

  it('refuses a file where a folder belongs, naming the file', () => {
    fs.writeFileSync(path.join(tmp, 'f'), '');
    expect(() => makeDirectory(path.join(tmp, 'f', 'x', 'y'))).toThrow(expect.objectContaining({ code: 'ENOTDIR', path: path.join(tmp, 'f') }));
    expect(() => makeDirectory(path.join(tmp, 'f'))).toThrow(expect.objectContaining({ code: 'ENOTDIR' }));
  });

  it('refuses a dangling link where a parent belongs', () => {
    fs.symlinkSync(path.join(tmp, 'nowhere'), path.join(tmp, 'dangling'));
    expect(() => makeDirectory(path.join(tmp, 'dangling', 'out'))).toThrow(expect.objectContaining({ code: 'EEXIST' }));
    expect(fs.existsSync(path.join(tmp, 'nowhere'))).toBe(false);
  });

  it('walks the path as written: link/.. is beside the link target, as the kernel sees it', () => {
    fs.mkdirSync(path.join(tmp, 'real', 'deep'), { recursive: true });
    fs.symlinkSync(path.join(tmp, 'real', 'deep'), path.join(tmp, 'link'));
    makeDirectory(path.join(tmp, 'link') + '/../out');
    fs.writeFileSync(path.join(tmp, 'link') + '/../out/f', 'x');
    expect(fs.readFileSync(path.join(tmp, 'real', 'out', 'f'), 'utf8')).toBe('x');
    expect(fs.existsSync(path.join(tmp, 'out'))).toBe(false);
  });

  it('takes a relative path from the working directory', () => {
    const cwd = process.cwd();
    process.chdir(tmp);
    try {
      makeDirectory('rel/a');
    } finally {
      process.chdir(cwd);
    }
    expect(fs.statSync(path.join(tmp, 'rel', 'a')).isDirectory()).toBe(true);
  });

  // Node's own recursive mkdir spins forever here (procfs answers ENOENT for a child of a folder that exists), so the
  // call runs in a child process with a time limit: a regression fails the test instead of hanging the suite.
  it('returns ENOENT at once under /proc, where fs.mkdirSync(…, { recursive: true }) never returns', () => {
    const source = path.join(__dirname, '../../src/util/directory.ts');
    const code = `
      const swc = require('@swc/core');
      const js = swc.transformFileSync(${JSON.stringify(source)}, { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }).code;
      const m = { exports: {} };
      new Function('require', 'module', 'exports', js)(require, m, m.exports);
      try { m.exports.makeDirectory('/proc/ggi-no-such-folder/out'); console.log('created'); } catch (e) { console.log(e.code); }`;
    const res = spawnSync(process.execPath, ['-e', code], { cwd: path.join(__dirname, '../..'), encoding: 'utf8', timeout: 20_000 });
    expect(res.signal).toBeNull();
    expect(res.stdout.trim()).toBe('ENOENT');
  });
});
