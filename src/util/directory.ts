import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Creates a folder and any missing parents, like `mkdir -p`: does nothing when it is there already.
 *
 * Not `fs.mkdirSync(dir, { recursive: true })`: Node's recursive mkdir reads ENOENT as "the parent is missing",
 * creates the parent (EEXIST), and tries the child again, forever, on a filesystem that answers ENOENT for a parent
 * that exists but cannot hold folders (procfs, sysfs): `ggi synth --out /proc/x` spun at 100 % CPU and never
 * returned. Here each missing folder is created once, and any error other than "already a folder" is thrown.
 * `mode` applies to every folder it creates (as Node's recursive mkdir does; `mkdir -p -m` sets only the last).
 * The path is walked as written, never normalised: `link/../out` is where the kernel takes it (beside the link's
 * target), not where `path.resolve` would put it (beside the link).
 */
export function makeDirectory(dir: string, mode?: number): void {
  const missing: string[] = [];
  for (let cur = path.isAbsolute(dir) ? dir : `${process.cwd()}${path.sep}${dir}`; ; ) {
    const st = statOrNull(cur);
    if (st) {
      if (!st.isDirectory()) throw errnoError('ENOTDIR', 'not a directory', cur);
      break;
    }
    missing.push(cur);
    const parent = path.dirname(cur);
    if (parent === cur) break; // a missing root: its mkdir below says why
    cur = parent;
  }
  for (const d of missing.reverse()) {
    try {
      fs.mkdirSync(d, mode === undefined ? undefined : { mode });
    } catch (e) {
      // Made meanwhile by someone else: fine if it is a folder (a dangling link or a file is not).
      if ((e as NodeJS.ErrnoException).code === 'EEXIST' && statOrNull(d)?.isDirectory()) continue;
      throw e;
    }
  }
}

function statOrNull(p: string): fs.Stats | null {
  try {
    return fs.statSync(p);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // ENOTDIR: a file stands where a parent folder belongs; the walk up finds it and reports it.
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw e;
  }
}

function errnoError(code: string, text: string, p: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${text}, mkdir '${p}'`), { code, syscall: 'mkdir', path: p });
}
