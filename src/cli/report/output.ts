import { type FlagSpec, type Io, UserError } from '../context';

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
