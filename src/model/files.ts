import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { displayPath } from './source';
import { excerpt } from '../util/excerpt';
import { InputError, MAX_INPUT_BYTES, readTextFile } from '../util/input';

/**
 * Where inventory files come from: the working tree, or a git revision (read with `git show`, never touching the
 * working tree). Paths given to `read` are relative to the inventory folder, with forward slashes.
 *
 * Both follow one rule (docs/inventory.md "Which files ggi reads"): a symlink is followed when it resolves, link by
 * link, to a regular file inside the inventory folder; a link that leads outside it, to nothing, or to a folder, and
 * a FIFO, socket, device or folder where a file belongs, is refused with an InventoryFileError (a finding at the
 * file's line 1), never skipped and never read. The same tree gives the same answer in the working tree and in git.
 */
export interface InventorySource {
  /** Shown to users, e.g. `inventory` or `main:inventory`. */
  readonly label: string;
  /**
   * Every file below the inventory folder, relative, sorted: regular files, symlinks (whatever they point at) and
   * other non-folders; folders are walked, symlinked folders are listed as entries (reading one is refused).
   */
  list(): string[];
  /** The file's text, or null when it does not exist. Throws InventoryFileError for a file the rule refuses. */
  read(rel: string): string | null;
  /** The path printed in findings. */
  display(rel: string): string;
}

export type InventoryFileCode = 'INVENTORY_SYMLINK_OUTSIDE' | 'INVENTORY_SYMLINK_BROKEN' | 'INVENTORY_SYMLINK_FOLDER' | 'INVENTORY_NOT_A_FILE' | 'INVENTORY_FILE_TOO_LARGE';

/** A file of the inventory that ggi refuses to read; `code` is the finding's code. */
export class InventoryFileError extends Error {
  constructor(readonly code: InventoryFileCode, message: string) {
    super(message);
  }
}

/** A link's target as shown in messages: an excerpt (link targets are input too). */
function targetText(t: string): string {
  return `'${excerpt(t)}'`;
}

/** One entry of a tree, as the link resolver sees it (a working tree's lstat, or a git tree's mode). */
export type TreeNode = { kind: 'link'; target: string } | { kind: 'file' | 'dir' | 'other' | 'missing' };

/** Where a path ends after following its links: its segments, and what is there; `escaped` when it left the tree. */
type Resolved = { segs: string[]; node: TreeNode; escaped: boolean; loop: boolean; viaLink: boolean };

/**
 * Resolves a path link by link, as the kernel does (a link's target is read against the link's folder, `..` after a
 * link applies to its target). `real` leading segments are known folders. Past a missing segment the rest is taken
 * as written, so that a link to a missing path outside the inventory is "outside", not "missing", whether the tree is
 * a working tree or a git revision (which cannot see outside the repository). `absolute` maps an absolute link
 * target to tree segments, or null when it points outside the tree.
 */
function resolveLinks(segs: readonly string[], real: number, lookup: (segs: readonly string[]) => TreeNode, absolute: (target: string) => string[] | null): Resolved {
  let done = segs.slice(0, real);
  let todo = segs.slice(real);
  let node: TreeNode = { kind: 'dir' };
  let hops = 0;
  let escaped = false;
  let viaLink = false;
  const lexical = (): void => {
    for (const s of todo) {
      if (s === '' || s === '.') continue;
      if (s === '..') {
        if (!done.length) escaped = true;
        done.pop();
      } else done.push(s);
    }
    todo = [];
  };
  while (todo.length) {
    const seg = todo.shift()!;
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (!done.length) escaped = true;
      done.pop();
      node = { kind: 'dir' };
      continue;
    }
    done.push(seg);
    node = lookup(done);
    if (node.kind === 'link') {
      viaLink = true;
      if (++hops > 40) return { segs: done, node, escaped, loop: true, viaLink };
      done.pop();
      const t = node.target;
      if (t.startsWith('/')) {
        const abs = absolute(t);
        if (!abs) return { segs: [], node: { kind: 'missing' }, escaped: true, loop: false, viaLink };
        done = abs.slice(0, 0);
        todo = [...abs, ...todo];
      } else todo = [...t.split('/'), ...todo];
      continue;
    }
    if (node.kind === 'missing' || (todo.length && node.kind !== 'dir')) {
      node = { kind: 'missing' };
      lexical();
      break;
    }
  }
  return { segs: done, node, escaped, loop: false, viaLink };
}

/**
 * Applies the rule to a path below the inventory folder: returns the tree segments of the regular file to read, null
 * when nothing is there, or throws InventoryFileError. `root` is the inventory folder's segments in the tree.
 */
function followInside(root: readonly string[], rel: string, shown: string, lookup: (segs: readonly string[]) => TreeNode, absolute: (target: string) => string[] | null): { segs: string[]; node: TreeNode } | null {
  const first = lookupChain(root, rel, lookup);
  const r = resolveLinks([...root, ...rel.split('/')], root.length, lookup, absolute);
  if (!r.viaLink) return r.node.kind === 'missing' ? null : { segs: r.segs, node: r.node };
  const target = first?.target ?? '';
  if (r.loop) throw new InventoryFileError('INVENTORY_SYMLINK_BROKEN', `${shown} is a symbolic link to ${targetText(target)}, which loops; ggi follows links only to files inside the inventory folder`);
  const inside = !r.escaped && r.segs.length > root.length && root.every((s, i) => r.segs[i] === s);
  if (!inside) throw new InventoryFileError('INVENTORY_SYMLINK_OUTSIDE', `${shown} is a symbolic link to ${targetText(target)}, outside the inventory folder; ggi follows links only to files inside it`);
  if (first?.folder) throw new InventoryFileError('INVENTORY_SYMLINK_FOLDER', `${shown} lies in ${first.at}, a symbolic link to the folder ${targetText(target)}; ggi follows links to files only`);
  if (r.node.kind === 'missing') throw new InventoryFileError('INVENTORY_SYMLINK_BROKEN', `${shown} is a symbolic link to ${targetText(target)}, which does not exist; ggi follows links only to files inside the inventory folder`);
  if (r.node.kind === 'dir') throw new InventoryFileError('INVENTORY_SYMLINK_FOLDER', `${shown} is a symbolic link to the folder ${targetText(target)}; ggi follows links to files only`);
  return { segs: r.segs, node: r.node };
}

/** The first link met on the way to `rel`: its target (for messages), its path, and whether it stands for a folder of the path. */
function lookupChain(root: readonly string[], rel: string, lookup: (segs: readonly string[]) => TreeNode): { target: string; at: string; folder: boolean } | null {
  const segs = [...root];
  const parts = rel.split('/');
  for (let i = 0; i < parts.length; i++) {
    segs.push(parts[i]);
    const n = lookup(segs);
    if (n.kind === 'link') return { target: n.target, at: parts.slice(0, i + 1).join('/'), folder: i < parts.length - 1 };
    if (n.kind !== 'dir') return null;
  }
  return null;
}

function notAFile(shown: string, what: string): InventoryFileError {
  return new InventoryFileError('INVENTORY_NOT_A_FILE', `${shown} is ${what}, not a regular file; ggi reads regular files only`);
}

/**
 * Reads `rel` below the inventory folder `root` by the rule above; null when it does not exist. `shown` names the
 * file in messages.
 */
export function readInventoryFile(root: string, rel: string, shown: string): string | null {
  let rootReal: string;
  try {
    rootReal = fs.realpathSync(root);
  } catch {
    return null;
  }
  const lookup = (segs: readonly string[]): TreeNode => {
    let st: fs.Stats;
    try {
      st = fs.lstatSync(`/${segs.join('/')}`);
    } catch {
      return { kind: 'missing' };
    }
    if (st.isSymbolicLink()) return { kind: 'link', target: fs.readlinkSync(`/${segs.join('/')}`) };
    return { kind: st.isDirectory() ? 'dir' : st.isFile() ? 'file' : 'other' };
  };
  const rootSegs = rootReal.split(path.sep).filter(Boolean);
  const hit = followInside(rootSegs, rel, shown, lookup, (t) => t.split('/').filter(Boolean));
  if (!hit) return null;
  try {
    return readTextFile(`/${hit.segs.join('/')}`, { shown });
  } catch (e) {
    if (e instanceof InputError) throw new InventoryFileError(e.problem === 'too-large' ? 'INVENTORY_FILE_TOO_LARGE' : 'INVENTORY_NOT_A_FILE', e.message);
    throw e;
  }
}

export class DirectorySource implements InventorySource {
  readonly label: string;
  constructor(private readonly dir: string) {
    this.label = displayPath(path.resolve(dir));
  }
  list(): string[] {
    const out: string[] = [];
    const walk = (rel: string): void => {
      const abs = path.join(this.dir, rel);
      let entries: fs.Dirent[];
      try {
        entries = fs.readdirSync(abs, { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries) {
        if (e.name.startsWith('.')) continue;
        const r = rel ? `${rel}/${e.name}` : e.name;
        // Symlinks are listed, never walked: reading one decides (a link to a folder is refused).
        if (e.isDirectory()) walk(r);
        else out.push(r);
      }
    };
    walk('');
    return out.sort();
  }
  read(rel: string): string | null {
    return readInventoryFile(this.dir, rel, this.display(rel));
  }
  display(rel: string): string {
    return displayPath(path.resolve(this.dir, rel));
  }
}

export class GitRevisionError extends Error {}

/** An inventory folder as it is at a git revision. Symlinks committed in the tree follow the same rule as on disk. */
export class GitSource implements InventorySource {
  readonly label: string;
  private readonly prefix: string;
  private readonly files: string[];
  private readonly top: string;
  /** Every blob below the inventory folder by repository path: mode, object id, size. */
  private readonly blobs = new Map<string, { mode: string; sha: string; size: number }>();
  private readonly dirs = new Set<string>();
  /** Entries outside the inventory folder, looked up one by one when a link leads there. */
  private readonly outside = new Map<string, { mode: string; sha: string; size: number } | null>();
  constructor(repoDir: string, private readonly rev: string, dir: string) {
    const top = git(repoDir, ['rev-parse', '--show-toplevel']).trim();
    const absDir = path.resolve(dir);
    this.prefix = path.relative(top, absDir).split(path.sep).join('/');
    this.label = `${rev}:${displayPath(absDir)}`;
    try {
      git(repoDir, ['rev-parse', '--verify', '--quiet', `${rev}^{commit}`]);
    } catch {
      throw new GitRevisionError(`git revision '${rev}' does not exist`);
    }
    const listing = git(top, ['ls-tree', '-r', '-l', '-z', rev, '--', this.prefix || '.']);
    const pre = this.prefix ? `${this.prefix}/` : '';
    const files: string[] = [];
    for (const line of listing.split('\0')) {
      const m = /^(\d+) \w+ ([0-9a-f]+) +(-|\d+)\t(.*)$/s.exec(line);
      if (!m?.[4].startsWith(pre)) continue;
      this.blobs.set(m[4], { mode: m[1], sha: m[2], size: m[3] === '-' ? 0 : Number(m[3]) });
      files.push(m[4].slice(pre.length));
      for (let d = path.posix.dirname(m[4]); d !== '.' && !this.dirs.has(d); d = path.posix.dirname(d)) this.dirs.add(d);
    }
    this.files = files.sort();
    this.top = top;
  }
  list(): string[] {
    return this.files;
  }
  private entry(p: string): { mode: string; sha: string; size: number } | null {
    const inside = this.blobs.get(p);
    if (inside) return inside;
    if (!this.outside.has(p)) {
      const line = git(this.top, ['ls-tree', '-l', '-z', this.rev, '--', p]).split('\0')[0];
      const m = /^(\d+) \w+ ([0-9a-f]+) +(-|\d+)\t(.*)$/s.exec(line ?? '');
      this.outside.set(p, m && m[4] === p ? { mode: m[1], sha: m[2], size: m[3] === '-' ? 0 : Number(m[3]) } : null);
    }
    return this.outside.get(p) ?? null;
  }
  private lookup(segs: readonly string[]): TreeNode {
    const p = segs.join('/');
    if (this.dirs.has(p)) return { kind: 'dir' };
    const e = this.entry(p);
    if (!e) return { kind: 'missing' };
    if (e.mode === '040000') return { kind: 'dir' };
    if (e.mode === '120000') return { kind: 'link', target: git(this.top, ['cat-file', 'blob', e.sha]) };
    if (e.mode === '100644' || e.mode === '100755') return { kind: 'file' };
    return { kind: 'other' };
  }
  read(rel: string): string | null {
    const shown = this.display(rel);
    const top = fs.realpathSync(this.top).split(path.sep).filter(Boolean);
    const absolute = (t: string): string[] | null => {
      const segs = path.posix.normalize(t).split('/').filter(Boolean);
      return segs.length > top.length && top.every((s, i) => segs[i] === s) ? segs.slice(top.length) : null;
    };
    const hit = followInside(this.prefix ? this.prefix.split('/') : [], rel, shown, (s) => this.lookup(s), absolute);
    if (!hit) return null;
    if (hit.node.kind !== 'file') throw notAFile(shown, 'a git submodule or another non-file');
    const e = this.entry(hit.segs.join('/'))!;
    if (e.size > MAX_INPUT_BYTES) throw new InventoryFileError('INVENTORY_FILE_TOO_LARGE', `${shown} is larger than ${MAX_INPUT_BYTES / (1024 * 1024)} MiB, the most ggi reads from one file`);
    return git(this.top, ['cat-file', 'blob', e.sha]);
  }
  display(rel: string): string {
    return `${this.rev}:${this.prefix ? `${this.prefix}/` : ''}${rel}`;
  }
}

function git(cwd: string, args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 30 });
}
