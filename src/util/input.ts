import * as fs from 'node:fs';

/**
 * The one way ggi reads a file a user gave it (an inventory file, a `--doc`, a `--batch`): regular files only, up to a
 * documented size, and never a blocking open. A FIFO, socket or device where a file is expected is refused at once
 * (stat before open, fstat after, O_NONBLOCK so that a FIFO swapped in between cannot block), so `/dev/zero` or a
 * named pipe can neither hang a command nor exhaust its memory. docs/inventory.md "Which files ggi reads".
 */

/** The largest file ggi reads whole (an inventory file, a document): 128 MiB, room for a ledger of a million entries. */
export const MAX_INPUT_BYTES = 128 * 1024 * 1024;

/** The longest line of line-oriented input (`policy query --batch`): 64 KiB. */
export const MAX_LINE_BYTES = 64 * 1024;

export type InputProblem = 'not-a-file' | 'too-large';

/** A file refused by the rule above; `message` names the file as given and says why, never quoting its content. */
export class InputError extends Error {
  constructor(readonly problem: InputProblem, message: string) {
    super(message);
  }
}

/** What a file system object is, in words, for messages: 'a folder', 'a FIFO (named pipe)', … */
export function kindOf(st: fs.Stats): string {
  if (st.isFile()) return 'a regular file';
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSymbolicLink()) return 'a symbolic link';
  return 'not a regular file';
}

function sizeText(bytes: number): string {
  return bytes % (1024 * 1024) === 0 ? `${bytes / (1024 * 1024)} MiB` : bytes % 1024 === 0 ? `${bytes / 1024} KiB` : `${bytes} bytes`;
}

/**
 * Opens a regular file for reading (following symlinks: callers that restrict where links may point check that
 * first). Throws InputError for anything else; other errors (ENOENT, EACCES) are thrown as they are. The caller closes
 * the descriptor.
 */
export function openRegularFile(file: string, shown: string = file, maxBytes: number = MAX_INPUT_BYTES): { fd: number; size: number } {
  const st = fs.statSync(file);
  if (!st.isFile()) throw new InputError('not-a-file', `${shown} is ${kindOf(st)}, not a regular file; ggi reads regular files only`);
  const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | fs.constants.O_NOCTTY);
  try {
    const fst = fs.fstatSync(fd);
    if (!fst.isFile()) throw new InputError('not-a-file', `${shown} is ${kindOf(fst)}, not a regular file; ggi reads regular files only`);
    if (fst.size > maxBytes) throw tooLarge(shown, maxBytes);
    return { fd, size: fst.size };
  } catch (e) {
    fs.closeSync(fd);
    throw e;
  }
}

function tooLarge(shown: string, maxBytes: number): InputError {
  return new InputError('too-large', `${shown} is larger than ${sizeText(maxBytes)}, the most ggi reads from one file`);
}

/** Reads a whole regular file as UTF-8 text, at most `maxBytes` (a file that grows past it while read is refused too). */
export function readTextFile(file: string, opts: { shown?: string; maxBytes?: number } = {}): string {
  const maxBytes = opts.maxBytes ?? MAX_INPUT_BYTES;
  const shown = opts.shown ?? file;
  const { fd, size } = openRegularFile(file, shown, maxBytes);
  try {
    let buf = Buffer.allocUnsafe(Math.min(maxBytes + 1, Math.max(size + 1, 4096)));
    let len = 0;
    for (;;) {
      if (len === buf.length) {
        if (len > maxBytes) break;
        const bigger = Buffer.allocUnsafe(Math.min(maxBytes + 1, buf.length * 2));
        buf.copy(bigger, 0, 0, len);
        buf = bigger;
      }
      const n = fs.readSync(fd, buf, len, buf.length - len, null);
      if (n === 0) break;
      len += n;
    }
    if (len > maxBytes) throw tooLarge(shown, maxBytes);
    return buf.toString('utf8', 0, len);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * The lines of a stream, one at a time, each at most `maxLineBytes` (without its line end): readline has no such
 * limit and would gather a line without end (`/dev/zero` through a pipe) until memory runs out. A longer line throws
 * InputError naming its number; a last line without a newline is returned too.
 */
export async function* boundedLines(stream: AsyncIterable<Buffer | string>, shown: string, maxLineBytes: number = MAX_LINE_BYTES): AsyncGenerator<string> {
  let parts: Buffer[] = [];
  let partLen = 0;
  let lineNo = 0;
  const finish = (tail: Buffer): string => {
    const all = parts.length ? Buffer.concat([...parts, tail]) : tail;
    parts = [];
    partLen = 0;
    lineNo++;
    return all.toString('utf8').replace(/\r$/, '');
  };
  for await (const chunk of stream) {
    let buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    for (;;) {
      const nl = buf.indexOf(0x0a);
      if (nl < 0) break;
      if (partLen + nl > maxLineBytes) throw longLine(shown, lineNo + 1, maxLineBytes);
      yield finish(buf.subarray(0, nl));
      buf = buf.subarray(nl + 1);
    }
    if (partLen + buf.length > maxLineBytes) throw longLine(shown, lineNo + 1, maxLineBytes);
    if (buf.length) {
      parts.push(Buffer.from(buf));
      partLen += buf.length;
    }
  }
  if (partLen) yield finish(Buffer.alloc(0));
}

function longLine(shown: string, line: number, max: number): InputError {
  return new InputError('too-large', `${shown}: line ${line} is longer than ${sizeText(max)}, the longest line ggi reads`);
}

/**
 * The lines of a line-oriented input named on the command line: `-` is standard input (a pipe or a file), anything
 * else a path that must be a regular file, as everywhere (a FIFO given by name is refused like any other non-file).
 */
export function inputLines(name: string, resolved: string, maxLineBytes: number = MAX_LINE_BYTES): AsyncGenerator<string> {
  if (name === '-') return boundedLines(process.stdin, 'standard input', maxLineBytes);
  const { fd } = openRegularFile(resolved, name, Number.MAX_SAFE_INTEGER);
  return boundedLines(fs.createReadStream('', { fd, autoClose: true }), name, maxLineBytes);
}
