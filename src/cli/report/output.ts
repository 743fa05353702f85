import * as path from 'node:path';
import { type FlagSpec, type Io, UserError } from '../context';
import { type OutputFile, openOutputFolder, OutputFolderError, type OutputFolderOptions } from '../../util/output-folder';

/** Output helpers shared by the command modules. */

/** The `--format text|json` flag of most commands. */
export const FORMAT_FLAG: FlagSpec = { type: 'string', choices: ['text', 'json'], default: 'text', help: 'output format' };

/** Prints one JSON document on stdout (CLI.md: `--format json` prints exactly one document). */
export function printJson(io: Io, doc: unknown): void {
  io.stdout(`${JSON.stringify(doc, null, 2)}\n`);
}

/** Runs a file-system write; its failures (permissions, a file where a folder should be) are the user's to fix: a message, no trace. */
export function writingTo<T>(what: string, write: () => T): T {
  try {
    return write();
  } catch (e) {
    throw new UserError(`cannot write ${what}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/**
 * Writes a command's output folder through src/util/output-folder (manifest, refusals, atomic writes): a refusal or
 * a failed write is the user's to fix (exit 1, a message). Returns the paths written, relative to the folder.
 */
export function writeOutputFolder(out: string, files: readonly OutputFile[], opts: Omit<OutputFolderOptions, 'shown' | 'planned'>): string[] {
  try {
    const folder = openOutputFolder(out, { ...opts, shown: out, planned: new Map(files.map((f) => [f.path, f.content])) });
    return folder.write(files);
  } catch (e) {
    if (e instanceof OutputFolderError) throw new UserError(e.message);
    const code = (e as NodeJS.ErrnoException).code;
    if (typeof code === 'string') throw new UserError(`cannot write to ${out}: ${(e as Error).message.replace(path.resolve(opts.cwd, out), out)}`);
    throw e;
  }
}
