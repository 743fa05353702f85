import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';

/**
 * Writes a file atomically: a temp file in the same folder, fsync, rename, fsync the folder. Readers see old or new,
 * never half. `mode` is the new file's mode; 'keep' keeps the mode of the file it replaces (0o644 for a new file).
 */
export function writeFileAtomic(file: string, content: string | Buffer, mode: number | 'keep' = 0o644): void {
  const dir = path.dirname(file);
  const bits = mode === 'keep' ? existingMode(file) : mode;
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const fd = fs.openSync(tmp, 'wx', bits);
    try {
      fs.writeSync(fd, typeof content === 'string' ? Buffer.from(content, 'utf8') : content);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    // The umask applied at open; set the exact mode asked for.
    fs.chmodSync(tmp, bits);
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  try {
    const dfd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(dfd);
    } finally {
      fs.closeSync(dfd);
    }
  } catch {
    // Some filesystems refuse fsync on a directory; the rename is still atomic.
  }
}

function existingMode(file: string): number {
  try {
    return fs.statSync(file).mode & 0o777;
  } catch {
    return 0o644; // a new file
  }
}
