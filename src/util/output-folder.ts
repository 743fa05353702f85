import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { writeFileAtomic } from './atomic';
import { excerpt } from './excerpt';
import { InputError, readTextFile } from './input';

/**
 * The one way a command writes an output folder (`synth`, `govroam render`, `policy export capirca`, `generate …`):
 * a manifest inside the folder (MANIFEST) lists what ggi wrote there; a later run deletes only files that manifest
 * lists, and refuses, before touching anything, a folder holding anything else: files it did not write, links,
 * another command's output. It never writes or deletes outside the folder, each file is replaced atomically, and the
 * folder may not be (or hold) the inventory, the repository or the current folder. docs/cli.md "Output folders".
 */

/** The manifest's name inside an output folder. */
export const MANIFEST = '.ggi-output.json';

/** A file to write: its path relative to the folder (forward slashes), its bytes and mode (default 0644). */
export interface OutputFile {
  readonly path: string;
  readonly content: string | Buffer;
  readonly mode?: number;
}

export interface OutputFolderOptions {
  /** The command writing, recorded in the manifest: a folder another command wrote is refused. */
  readonly command: string;
  /** The folder as the user wrote it, for messages. */
  readonly shown: string;
  readonly cwd: string;
  /** The inventory folder, when the command reads one: the output may neither lie in it nor hold it. */
  readonly inventory?: string;
  /**
   * The files about to be written, when known: a file the manifest does not list but that holds exactly these bytes
   * already is not counted as someone else's (overwriting it changes nothing), e.g. the shipped example inventory.
   */
  readonly planned?: ReadonlyMap<string, string | Buffer>;
}

/** A refusal: the message says which folder and why (`reason`: why alone); nothing was written or deleted. */
export class OutputFolderError extends Error {
  constructor(message: string, readonly reason: string = message) {
    super(message);
  }
}

interface Manifest {
  command: string;
  files: string[];
  /** Staging folders of a run in progress (removed whole by the next run if that one crashed). */
  staging: string[];
}

/** Files of the folder that make a refusal: at most this many are named. */
const SHOWN_FOREIGN = 5;

/**
 * Checks the folder and returns a writer for it; throws OutputFolderError (nothing touched) when ggi may not write
 * there.
 */
export function openOutputFolder(dir: string, opts: OutputFolderOptions): OutputFolder {
  if (opts.shown.trim() === '') throw new OutputFolderError('the output folder is an empty name: give a folder, e.g. --out out');
  const abs = path.resolve(opts.cwd, dir);
  const where = realish(abs);
  const refuse = (why: string): never => {
    throw new OutputFolderError(`refusing to write into ${opts.shown}: ${why}`, why);
  };
  const cwd = realish(opts.cwd);
  if (within(cwd, where)) refuse(where === cwd ? 'it is the current folder' : 'it holds the current folder');
  const repo = repositoryOf(cwd);
  if (repo && within(repo, where)) refuse(where === repo ? 'it is the repository' : 'it holds the repository');
  if (opts.inventory !== undefined) {
    const inv = realish(path.resolve(opts.cwd, opts.inventory));
    if (within(inv, where) || within(where, inv)) refuse(where === inv ? 'it is the inventory folder' : within(where, inv) ? 'it lies inside the inventory folder' : 'it holds the inventory folder');
  }
  let st: fs.Stats | null = null;
  try {
    st = fs.statSync(abs);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') refuse(code === 'ENOTDIR' ? 'a file stands where one of its folders belongs' : `it cannot be read (${code})`);
  }
  if (st && !st.isDirectory()) refuse('it is not a folder');
  const old = st ? readManifest(abs, opts.shown) : null;
  if (old && old.command !== opts.command) refuse(`it holds the output of 'ggi ${excerpt(old.command)}'; choose a folder of its own`);
  if (st) {
    const listed = new Set(old?.files ?? []);
    const stale = new Set(old?.staging ?? []);
    const foreign = foreignEntries(abs, listed, stale, opts.planned);
    if (foreign.length) {
      const names = foreign.slice(0, SHOWN_FOREIGN).map((f) => excerpt(f)).join(', ');
      refuse(`it holds files ggi did not write (${names}${foreign.length > SHOWN_FOREIGN ? ', …' : ''}); ggi writes only into a new or empty folder, or one it wrote itself. Choose another folder, or empty this one`);
    }
  }
  return new OutputFolder(abs, opts.command, old);
}

/** Writes an output folder opened by openOutputFolder. */
export class OutputFolder {
  private staging: string | null = null;
  private readonly existed: boolean;
  /** The manifest as the folder had it before this run (restored when a staged run is discarded). */
  private readonly initial: Manifest | null;
  constructor(
    readonly dir: string,
    private readonly command: string,
    private old: Manifest | null,
  ) {
    this.existed = fs.existsSync(dir);
    this.initial = old;
  }

  /**
   * Writes `files` (each atomically) and deletes the files the previous manifest listed that are not among them.
   * Returns the paths written.
   */
  write(files: Iterable<OutputFile>): string[] {
    const list = [...files];
    const names = list.map((f) => checkRel(f.path));
    this.begin(names, []);
    for (const f of list) {
      const target = this.target(f.path);
      writeFileAtomic(target, f.content, f.mode ?? 0o644);
    }
    this.finish(names);
    return names;
  }

  /**
   * A fresh folder inside the output where a writer that makes its own files (cdktf) writes; `installStaged` moves
   * what it wrote into place, `discardStaged` removes it. Recorded in the manifest first, so that a crash leaves
   * nothing the next run would not know.
   */
  stage(): string {
    const name = `.ggi-staging-${randomBytes(6).toString('hex')}`;
    this.begin(this.old?.files ?? [], [name]);
    this.staging = path.join(this.dir, name);
    fs.mkdirSync(this.staging);
    return this.staging;
  }

  /** Moves every file of the staging folder into place (a rename each) and deletes the stale ones; the paths moved. */
  installStaged(): string[] {
    const staging = this.staging;
    if (!staging) throw new Error('installStaged: nothing staged');
    const names = walkFiles(staging).sort();
    this.begin(names, [path.basename(staging)]);
    for (const rel of names) fs.renameSync(path.join(staging, ...rel.split('/')), this.target(rel));
    fs.rmSync(staging, { recursive: true, force: true });
    this.staging = null;
    this.finish(names);
    return names;
  }

  /** Removes the staging folder and leaves the folder as it was (the manifest of the run before, or none). */
  discardStaged(): void {
    if (!this.staging) return;
    fs.rmSync(this.staging, { recursive: true, force: true });
    this.staging = null;
    const manifest = path.join(this.dir, MANIFEST);
    this.old = this.initial;
    if (this.initial) writeManifest(this.dir, this.initial);
    else {
      fs.rmSync(manifest, { force: true });
      if (!this.existed) {
        try {
          fs.rmdirSync(this.dir);
        } catch {
          // not empty after all: leave it
        }
      }
    }
  }

  /** Records, before anything is written, every file that may be there after a crash: the old ones and the new. */
  private begin(names: readonly string[], staging: readonly string[]): void {
    makeFolder(this.dir);
    const files = [...new Set([...(this.old?.files ?? []), ...names])].sort();
    const pending = { command: this.command, files, staging: [...new Set([...(this.old?.staging ?? []), ...staging])] };
    writeManifest(this.dir, pending);
    this.old = pending;
  }

  /** Deletes what the manifest listed and this run did not write, then records exactly what this run wrote. */
  private finish(names: readonly string[]): void {
    const keep = new Set(names);
    for (const rel of this.old?.files ?? []) if (!keep.has(rel)) this.remove(rel);
    for (const s of this.old?.staging ?? []) if (s !== (this.staging && path.basename(this.staging))) fs.rmSync(path.join(this.dir, s), { recursive: true, force: true });
    const done = { command: this.command, files: [...keep].sort(), staging: [] };
    writeManifest(this.dir, done);
    this.old = done;
  }

  /** The absolute path of `rel`, its folders made; every folder on the way is a real folder inside the output. */
  private target(rel: string): string {
    const parts = checkRel(rel).split('/');
    let cur = this.dir;
    for (const p of parts.slice(0, -1)) {
      cur = path.join(cur, p);
      makeFolder(cur);
    }
    return path.join(cur, parts[parts.length - 1]);
  }

  /** Deletes one listed file (never a folder, never through a link), then its folders left empty. */
  private remove(rel: string): void {
    const parts = rel.split('/');
    let cur = this.dir;
    for (const p of parts.slice(0, -1)) {
      cur = path.join(cur, p);
      const st = lstatOrNull(cur);
      if (!st?.isDirectory()) return;
    }
    const file = path.join(cur, parts[parts.length - 1]);
    const st = lstatOrNull(file);
    if (!st || st.isDirectory()) return;
    fs.unlinkSync(file);
    for (let d = path.dirname(file); d !== this.dir && d.startsWith(this.dir + path.sep); d = path.dirname(d)) {
      try {
        fs.rmdirSync(d);
      } catch {
        break; // not empty: something else lives there
      }
    }
  }
}

/** A folder made if missing; one that exists must be a real folder (a link, or a file, in its place is refused). */
function makeFolder(dir: string): void {
  const st = lstatOrNull(dir);
  if (st?.isDirectory()) return;
  if (st) throw new OutputFolderError(`${dir} is ${st.isSymbolicLink() ? 'a symbolic link' : 'not a folder'}; ggi writes only into real folders inside the output folder`);
  try {
    fs.mkdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      makeFolder(path.dirname(dir));
      fs.mkdirSync(dir);
      return;
    }
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || !lstatOrNull(dir)?.isDirectory()) throw e;
  }
}

function lstatOrNull(p: string): fs.Stats | null {
  try {
    return fs.lstatSync(p);
  } catch {
    return null;
  }
}

/** A manifest path: relative, forward slashes, no `.`/`..`/empty segments, not the manifest itself. */
function checkRel(rel: string): string {
  const parts = rel.split('/');
  if (!rel || rel.startsWith('/') || parts.some((p) => p === '' || p === '.' || p === '..' || p.includes('\\') || p.includes('\0')) || rel === MANIFEST) {
    throw new OutputFolderError(`not a path inside an output folder: '${excerpt(rel)}'`);
  }
  return rel;
}

function writeManifest(dir: string, m: Manifest): void {
  writeFileAtomic(path.join(dir, MANIFEST), `${JSON.stringify({ writtenBy: 'ggi', command: m.command, files: m.files, ...(m.staging.length ? { staging: m.staging } : {}) }, null, 1)}\n`);
}

/** The folder's manifest, null when it has none; a manifest ggi cannot have written is a refusal. */
function readManifest(dir: string, shown: string): Manifest | null {
  const file = path.join(dir, MANIFEST);
  const st = lstatOrNull(file);
  if (!st) return null;
  const bad = (why: string): never => {
    throw new OutputFolderError(`refusing to write into ${shown}: its ${MANIFEST} ${why}; remove it only if the folder holds nothing you need`);
  };
  if (!st.isFile()) bad('is not a regular file');
  let v: unknown;
  try {
    v = JSON.parse(readTextFile(file, { maxBytes: 64 * 1024 * 1024 }));
  } catch (e) {
    bad(e instanceof InputError ? 'is too large' : 'is not JSON');
  }
  const m = v as { writtenBy?: unknown; command?: unknown; files?: unknown; staging?: unknown };
  if (m?.writtenBy !== 'ggi' || typeof m.command !== 'string' || !Array.isArray(m.files) || !m.files.every((f) => typeof f === 'string')) bad('is not a manifest ggi wrote');
  const staging = Array.isArray(m.staging) ? m.staging : [];
  if (!staging.every((s) => typeof s === 'string' && /^\.ggi-staging-[0-9a-f]+$/.test(s))) bad('names staging folders ggi does not make');
  try {
    (m.files as string[]).forEach(checkRel);
  } catch {
    bad('lists a path outside the folder');
  }
  return { command: m.command as string, files: m.files as string[], staging: staging as string[] };
}

/**
 * Entries of the folder ggi did not write, walking without following links: a file the manifest does not list, or
 * anything listed that is no longer a regular file. Folders count only by what they hold; a staging folder a crashed
 * run recorded is ggi's. Stops after a few (a folder full of someone else's files need not be walked whole).
 */
function foreignEntries(dir: string, listed: ReadonlySet<string>, staging: ReadonlySet<string>, planned?: ReadonlyMap<string, string | Buffer>): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(rel ? path.join(dir, rel) : dir, { withFileTypes: true });
    } catch (e) {
      out.push(`${rel || '.'} (${(e as NodeJS.ErrnoException).code ?? 'unreadable'})`);
      return;
    }
    for (const e of entries) {
      if (out.length > SHOWN_FOREIGN) return;
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (!rel && (e.name === MANIFEST || staging.has(e.name))) continue;
      if (e.isDirectory()) walk(r);
      else if (!(e.isFile() && (listed.has(r) || sameBytes(path.join(dir, r), planned?.get(r))))) out.push(e.isSymbolicLink() ? `${r} (a symbolic link)` : e.isFile() ? r : `${r} (not a regular file)`);
    }
  };
  walk('');
  return out;
}

/** Whether the regular file `file` holds exactly `want` (read only when the sizes agree). */
function sameBytes(file: string, want: string | Buffer | undefined): boolean {
  if (want === undefined) return false;
  const bytes = typeof want === 'string' ? Buffer.from(want, 'utf8') : want;
  try {
    if (fs.statSync(file).size !== bytes.length) return false;
    return fs.readFileSync(file).equals(bytes);
  } catch {
    return false;
  }
}

/** The regular files below a folder ggi just wrote, relative, with forward slashes. */
function walkFiles(dir: string, rel = ''): string[] {
  return fs.readdirSync(rel ? path.join(dir, rel) : dir, { withFileTypes: true }).flatMap((e) => {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) return walkFiles(dir, r);
    if (e.isFile()) return [r];
    throw new Error(`staged output holds ${r}, which is not a regular file`);
  });
}

/** The real path of `p`, or of its deepest existing ancestor joined with the rest (for a folder yet to be made). */
function realish(p: string): string {
  const rest: string[] = [];
  for (let cur = p; ; ) {
    try {
      return path.join(fs.realpathSync(cur), ...rest.reverse());
    } catch {
      const parent = path.dirname(cur);
      if (parent === cur) return p;
      rest.push(path.basename(cur));
      cur = parent;
    }
  }
}

/** Whether `inner` is `outer` or lies below it (absolute paths). */
function within(inner: string, outer: string): boolean {
  const rel = path.relative(outer, inner);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** The git work tree holding `dir` (the nearest folder up with a `.git`), or null. */
function repositoryOf(dir: string): string | null {
  for (let cur = dir; ; ) {
    if (fs.existsSync(path.join(cur, '.git'))) return cur;
    const parent = path.dirname(cur);
    if (parent === cur) return null;
    cur = parent;
  }
}
