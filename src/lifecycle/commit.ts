import { createHash, randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../util/atomic';
import { makeDirectory } from '../util/directory';

/**
 * Writing a lifecycle change (several inventory files) so that a crash at any point leaves nothing half done: the
 * whole change, every file's new text, is first written atomically to one pending file in the inventory folder (a
 * dot-file, so the loader never reads it); then the files, each atomically, in the change's order (the ledger first,
 * then the organisation file, then the files that follow from it); then the change's journal line (once: a line with
 * its id is never written twice); then the pending file is removed. A run that
 * finds a pending file finishes it before anything else (`finishPending`), so re-running repairs an interrupted one.
 */

export const PENDING_FILE = '.ggi-lifecycle-pending.json';

export interface ChangeSet {
  /** What the change is, for the messages: e.g. `move GM0301 --served-by SV0001`. */
  readonly what: string;
  /** Inventory-relative paths and their new text, in write order. */
  readonly files: ReadonlyArray<{ readonly rel: string; readonly text: string; readonly before?: string }>;
  /** The journal line recording the change, written after the files and before the pending file goes (once, by id). */
  readonly journal?: { readonly file: string; readonly entry: { readonly change: string } & Record<string, unknown> };
}

/** How a change reaches the journal: the reconciler's journal (src/reconciler/journal.ts `lifecycleJournal`). */
export interface JournalWriter {
  has(file: string, change: string): boolean;
  append(file: string, entry: unknown): void;
}

/** A change's id for its journal line: the pending file's content digest would change with it, so a random one. */
export function changeId(): string {
  return randomUUID();
}

/** The sha256 of each file's text before and after a change, for the journal (null: the file did not exist). */
export function fileDigests(inventoryDir: string, files: ChangeSet['files']): { before: Record<string, string | null>; after: Record<string, string> } {
  const before: Record<string, string | null> = {};
  const after: Record<string, string> = {};
  for (const f of files) {
    const now = read(path.join(inventoryDir, f.rel));
    if (now === f.text) continue;
    before[f.rel] = now === null ? null : digest(now);
    after[f.rel] = digest(f.text);
  }
  return { before, after };
}

function journalOnce(change: ChangeSet, writer: JournalWriter | undefined): void {
  if (!change.journal) return;
  if (!writer) throw new Error(`the change '${change.what}' has a journal line but no journal to write it to`);
  if (!writer.has(change.journal.file, change.journal.entry.change)) writer.append(change.journal.file, change.journal.entry);
}

/** A file's text as a digest ('-' for a file that does not exist). */
function digest(text: string | null): string {
  return text === null ? '-' : createHash('sha256').update(text).digest('hex');
}

/**
 * The test hook of the crash tests: GGI_TEST_CRASH_AFTER=N kills this process hard (SIGKILL, no clean-up) after
 * the N-th write of a change (0: the pending file, 1: the first inventory file, …, files + 1: the journal line).
 * Read here and nowhere else.
 */
function crashPoint(step: number): void {
  const at = process.env.GGI_TEST_CRASH_AFTER;
  if (at !== undefined && Number(at) === step) process.kill(process.pid, 'SIGKILL');
}

/**
 * Writes a change set (see above), then its journal line (through `journal`), then removes the pending file. Files
 * whose text is already the new one are not rewritten; a change that writes nothing is not journaled.
 */
export function commitChange(inventoryDir: string, change: ChangeSet, journal?: JournalWriter): string[] {
  const files = change.files.filter((f) => read(path.join(inventoryDir, f.rel)) !== f.text);
  if (!files.length) return [];
  const pending = path.join(inventoryDir, PENDING_FILE);
  // Each file's text before the change, as a digest: finishing never overwrites what someone else changed since.
  const recorded = files.map((f) => ({ ...f, before: digest(read(path.join(inventoryDir, f.rel))) }));
  writeFileAtomic(pending, `${JSON.stringify({ what: change.what, files: recorded, ...(change.journal ? { journal: change.journal } : {}) }, null, 1)}\n`);
  crashPoint(0);
  files.forEach((f, i) => {
    const abs = path.join(inventoryDir, f.rel);
    makeDirectory(path.dirname(abs));
    writeFileAtomic(abs, f.text);
    crashPoint(i + 1);
  });
  journalOnce(change, journal);
  crashPoint(files.length + 1);
  fs.rmSync(pending, { force: true });
  return files.map((f) => f.rel);
}

/** Finishes a change that an earlier run wrote only in part; returns what it was, or null when none was pending. */
export function finishPending(inventoryDir: string, journal?: JournalWriter): string | null {
  const pending = path.join(inventoryDir, PENDING_FILE);
  const text = read(pending);
  if (text === null) return null;
  let change: ChangeSet;
  try {
    change = JSON.parse(text) as ChangeSet;
    if (typeof change.what !== 'string' || !Array.isArray(change.files) || change.files.some((f) => typeof f.rel !== 'string' || typeof f.text !== 'string' || f.rel.includes('..'))) throw new Error('not a change set');
  } catch {
    // The pending file is written atomically, so a torn one is not ours: leave it for a person to look at.
    throw new Error(`${pending} is not a change set of ggi; move it away and run 'ggi validate'`);
  }
  const changed = change.files.filter((f) => {
    const now = read(path.join(inventoryDir, f.rel));
    return now !== f.text && typeof f.before === 'string' && digest(now) !== f.before;
  });
  if (changed.length) throw new Error(`an interrupted 'ggi ${change.what}' left ${pending}, but ${changed.map((f) => f.rel).join(', ')} changed since; compare them with the pending change, then remove that file and run the command again`);
  for (const f of change.files) {
    const abs = path.join(inventoryDir, f.rel);
    if (read(abs) === f.text) continue;
    makeDirectory(path.dirname(abs));
    writeFileAtomic(abs, f.text);
  }
  journalOnce(change, journal);
  fs.rmSync(pending, { force: true });
  return change.what;
}

function read(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}
