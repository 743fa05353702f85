import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Outcome } from './types';
import { makeDirectory } from '../util/directory';

/** One line of the journal: every attempted change, whatever its outcome. */
export interface JournalEntry {
  at: string;
  operator: string;
  device: string;
  /** The device's platform (its driver). */
  platform?: string;
  outcome: Outcome;
  step?: string;
  reason?: string;
  /** sha256 of each managed document before and after, by location (null: absent); secrets stand as placeholders. */
  before: Record<string, string | null>;
  after: Record<string, string | null>;
  /** sha256 of each live probe's output (e.g. the kernel's ruleset) as recorded at confirmation. */
  live?: Record<string, string>;
  /** sha256 of each secret value the applied candidate used, by secret id: never the value. */
  secrets?: Record<string, string>;
  files: Array<{ path: string; diff: string }>;
}

/**
 * One line of the journal for a lifecycle step (onboard, move, offboard): the inventory files it wrote, as digests.
 * Written once per change (`change` is its id), also when a later run finishes a change a crash interrupted.
 */
export interface LifecycleJournalEntry {
  kind: 'lifecycle';
  change: string;
  at: string;
  operator: string;
  /** The command as run, e.g. `move GM0301 --served-by SV0001`. */
  command: string;
  organisation: string;
  outcome: 'written';
  notes: string[];
  /** sha256 of each inventory file before and after, by inventory-relative path (null: absent). */
  before: Record<string, string | null>;
  after: Record<string, string>;
  devices: { added: string[]; removed: string[] };
}

export type JournalLine = JournalEntry | LifecycleJournalEntry;

export interface Journal {
  append(entry: JournalLine): void;
  readonly file: string;
}

/**
 * The append-only journal (JSON lines) in the state folder. Each entry is one write on a descriptor opened with
 * O_APPEND, so concurrent writers never interleave within a line and nothing earlier is ever rewritten.
 */
export function openJournal(file: string): Journal {
  makeDirectory(path.dirname(file));
  return {
    file,
    append(entry) {
      const fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT, 0o640);
      try {
        fs.writeSync(fd, JSON.stringify(entry) + '\n');
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
    },
  };
}

/** Reads the journal's device changes back (for tests and audits); `readJournalLines` has the lifecycle steps too. */
export function readJournal(file: string): JournalEntry[] {
  return readJournalLines(file).filter((l): l is JournalEntry => !('kind' in l));
}

/** Every line of the journal, apply and lifecycle entries alike, oldest first. */
export function readJournalLines(file: string): JournalLine[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as JournalLine);
}

/** How a lifecycle change reaches the journal (src/lifecycle/commit.ts knows it only by this shape). */
export const lifecycleJournal = {
  has: (file: string, change: string): boolean => readJournalLines(file).some((l) => 'kind' in l && l.kind === 'lifecycle' && l.change === change),
  append: (file: string, entry: unknown): void => openJournal(file).append(entry as LifecycleJournalEntry),
};

/** Who is making the change; one rule for every record (src/util/operator). */
export { operatorName } from '../util/operator';
