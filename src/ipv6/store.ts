import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { type Document, isMap, isSeq, parseDocument, type Node as YamlNode, type YAMLMap, type YAMLSeq } from 'yaml';
import type { Finding } from '../model/finding';
import { InventoryFileError, readInventoryFile } from '../model/files';
import { zodFindings } from '../model/load';
import { ledgerEntrySchema, ledgerSchema, type LedgerEntryDecl, type LedgerSlotDecl } from '../model/schema';
import { displayPath, parseYaml } from '../model/source';
import { writeFileAtomic as writeAtomic } from '../util/atomic';
import { fastParseLedger } from '../model/fastyaml';
import { stripLoaded, type LedgerChanges, type LedgerData, type LedgerProblem, type LedgerResult } from './ledger';
import { makeDirectory } from '../util/directory';
import { comment, flow, listItem } from '../util/yaml';
import { InputError, readTextFile } from '../util/input';

/**
 * The imperative shell around the ledger file `inventory/ipv6/ledger.yaml`: read it, and change it atomically under
 * an exclusive lock. The ledger is re-read inside the lock, so concurrent `ggi ipv6 allocate` processes see each
 * other's entries: they never hand out the same prefix and never lose an entry. A corrupt ledger is reported and left
 * untouched. Writes keep the file reviewable in git: comments stay, keys come in a fixed order, only the changed
 * entries are rewritten.
 */

export const LEDGER_REL = 'ipv6/ledger.yaml';

export function ledgerPath(inventoryDir: string): string {
  return path.join(inventoryDir, ...LEDGER_REL.split('/'));
}

export type StoreResult = LedgerResult | { ok: false; problem: LedgerProblem; findings: Finding[] };

export class LockError extends Error {}

export interface LockOptions {
  /** How long to wait for another process's lock before giving up (default 60 s). */
  readonly timeoutMs?: number;
  /** A lock whose holder cannot be checked (another host) is reported as stuck after this long (default 10 min). */
  readonly staleMs?: number;
}

/** Where appended items go in a top-level block sequence: after its last item, at its dashes' indentation. */
export type SeqTails = (key: string) => { at: number; indent: string } | null;

export type LedgerRead = { ok: true; text: string | null; doc: Document.Parsed | null; tails: SeqTails | null; data: LedgerData } | { ok: false; findings: Finding[] };

/**
 * Reads and schema-checks the ledger. A missing file is an empty ledger; a corrupt one gives located findings. The
 * ledger as ggi writes it is read by the fast subset reader; anything else by the full YAML parser.
 */
export function readLedgerFile(file: string): LedgerRead {
  let text: string | null;
  try {
    // The inventory's reading rule (src/model/files): a symlink only to a file inside the inventory, a regular file.
    text = readInventoryFile(path.dirname(path.dirname(file)), LEDGER_REL, displayPath(path.resolve(file)));
  } catch (e) {
    if (!(e instanceof InventoryFileError)) throw e;
    return { ok: false, findings: [{ severity: 'error', code: e.code, message: e.message, file: displayPath(path.resolve(file)), line: 1, column: 1 }] };
  }
  if (text === null) return { ok: true, text: null, doc: null, tails: null, data: { version: 1, slots: [], entries: [] } };
  const fast = fastParseLedger(text);
  if (fast) {
    const res = ledgerSchema.safeParse(fast.value);
    if (res.success) return { ok: true, text, doc: null, tails: (k) => fast.seqTails.get(k) ?? null, data: res.data };
  }
  const shown = displayPath(path.resolve(file));
  const parsed = parseYaml(shown, text);
  if (parsed.findings.some((f) => f.severity === 'error')) return { ok: false, findings: parsed.findings.filter((f) => f.severity === 'error') };
  const value = parsed.value ?? {};
  const res = ledgerSchema.safeParse(value);
  if (!res.success) return { ok: false, findings: zodFindings(parsed.source, value, res.error.issues) };
  // Positions are only needed to append as text; the document is parsed when that happens.
  let doc: Document.Parsed | null = null;
  const tails: SeqTails = (k) => {
    doc ??= parseDocument(text!);
    return isMap(doc.contents) ? blockSeqTail(text!, (doc.contents as YAMLMap).get(k, true)) : null;
  };
  return { ok: true, text, doc: null, tails, data: res.data };
}

/**
 * Changes the ledger: locks, re-reads, applies the pure `change`, writes the result atomically when anything changed,
 * unlocks. Problems (from `change` or a corrupt file) leave the file byte-for-byte unchanged.
 */
export async function updateLedger(file: string, change: (data: LedgerData) => LedgerResult, opts: LockOptions = {}): Promise<StoreResult> {
  return withLock(ledgerLockPath(file), () => updateLedgerLocked(file, change), opts);
}

/** The lock file of a ledger: whoever holds it may read the inventory and write the ledger (and what goes with it). */
export function ledgerLockPath(file: string): string {
  return `${path.join(path.dirname(file), `.${path.basename(file)}`)}.lock`;
}

/** `updateLedger` for a caller that already holds the ledger's lock (`withLock(ledgerLockPath(file), …)`). */
export function updateLedgerLocked(file: string, change: (data: LedgerData) => LedgerResult): StoreResult {
  {
    const read = readLedgerFile(file);
    if (!read.ok) {
      return { ok: false as const, problem: { code: 'IPV6_LEDGER_CORRUPT', message: `the ledger ${displayPath(path.resolve(file))} is not valid; fix it (see the findings) before changing it` }, findings: read.findings };
    }
    const result = change(read.data);
    if (!result.ok) return result;
    const { added, addedSlots, updated } = result.changes;
    if (added.length || addedSlots.length || updated.length) {
      // Never write an entry the schema would refuse on the next read.
      for (const e of [...added, ...updated.map((u) => u.entry)]) {
        const check = ledgerEntrySchema.safeParse(orderedEntry(e));
        if (!check.success) throw new Error(`internal: ledger entry ${e.prefix} does not match the schema: ${check.error.issues[0]?.message}`);
      }
      writeFileAtomic(file, renderLedger(read.text, read.doc, read.tails, result.ledger, result.changes));
    }
    return result;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Rendering

const HEADER = [
  ' IPv6 ledger: every prefix handed out to an organisation (DOMAIN.md §1, §7).',
  ' Written by `ggi ipv6 allocate|release`; entries are never deleted (a release quarantines them).',
  " Entries with `source: logius` are issued by Logius and imported as data: they always win.",
].join('\n');

const ENTRY_KEYS: ReadonlyArray<keyof LedgerEntryDecl> = [
  'prefix', 'organisation', 'category', 'status', 'source', 'purpose', 'parent', 'internetRouted', 'justification', 'delegation', 'by', 'at', 'released',
];

/** The entry as a plain object with the keys in a fixed order (what reviewers read in diffs). */
export function orderedEntry(e: LedgerEntryDecl): Record<string, unknown> {
  const src = stripLoaded(e) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of ENTRY_KEYS) if (src[k] !== undefined) out[k] = src[k];
  for (const k of Object.keys(src)) if (!(k in out) && src[k] !== undefined) out[k] = src[k];
  return out;
}

function slotNode(doc: Document, s: LedgerSlotDecl): YamlNode {
  const n = doc.createNode({ organisation: s.organisation, block: s.block, slot: s.slot }) as YAMLMap;
  n.flow = true;
  return n;
}

function entryNode(doc: Document, e: LedgerEntryDecl): YamlNode {
  const n = doc.createNode(orderedEntry(e)) as YAMLMap;
  n.spaceBefore = true;
  return n;
}

/** The whole ledger as fresh text (used when there is no file yet), written by the YAML writer like a generated ledger. */
export function renderFreshLedger(data: LedgerData): string {
  const slots = data.slots.map((s) => `  - ${flow({ organisation: s.organisation, block: s.block, slot: s.slot })}`);
  const entries = data.entries.map((e) => listItem(orderedEntry(e), 2));
  return [
    comment(HEADER.replace(/^ /gm, '')),
    '',
    'version: 1',
    slots.length ? `slots:\n${slots.join('\n')}` : 'slots: []',
    entries.length ? `entries:\n${entries.join('\n\n')}` : 'entries: []',
    '',
  ].join('\n');
}

/**
 * Applies the changes to the existing text, keeping its comments. Additions are inserted as text after the last item of
 * `slots` and `entries`, so the rest of the file stays byte-for-byte the same and no full re-serialisation is paid
 * (the national ledger is large); releases and unusual layouts go through the YAML document.
 */
export function renderLedger(text: string | null, parsedDoc: Document.Parsed | null, tails: SeqTails | null, data: LedgerData, changes: LedgerChanges): string {
  if (text === null || text.trim() === '') return renderFreshLedger(data);
  if (!changes.updated.length && tails) {
    const fast = appendAsText(text, tails, changes);
    if (fast !== null) return fast;
  }
  const doc = parsedDoc ?? parseDocument(text);
  if (!isMap(doc.contents)) return renderFreshLedger(data);
  const root = doc.contents as YAMLMap;
  const seqAt = (key: string): YAMLSeq => {
    const cur = root.get(key, true);
    if (isSeq(cur)) return cur as YAMLSeq;
    const s = doc.createNode([]) as YAMLSeq;
    root.set(key, s);
    return s;
  };
  if (changes.addedSlots.length) {
    const slots = seqAt('slots');
    for (const s of changes.addedSlots) slots.items.push(slotNode(doc, s));
  }
  if (changes.added.length || changes.updated.length) {
    const entries = seqAt('entries');
    for (const u of changes.updated) {
      const old = entries.items[u.index] as YamlNode | undefined;
      const fresh = entryNode(doc, u.entry);
      if (old) {
        fresh.commentBefore = old.commentBefore;
        fresh.comment = old.comment;
        fresh.spaceBefore = old.spaceBefore;
      }
      entries.items[u.index] = fresh;
    }
    for (const e of changes.added) {
      const n = entryNode(doc, e);
      if (!entries.items.length) n.spaceBefore = false;
      entries.items.push(n);
    }
  }
  return doc.toString({ lineWidth: 0 });
}

/** A block sequence's last item end and its items' indentation, or null when it is not a non-empty block sequence. */
function blockSeqTail(text: string, seq: unknown): { at: number; indent: string } | null {
  if (!isSeq(seq)) return null;
  const s = seq as YAMLSeq;
  if (s.flow || !s.items.length) return null;
  const first = s.items[0] as YamlNode;
  const last = s.items[s.items.length - 1] as YamlNode;
  if (!first.range || !last.range) return null;
  const dash = text.lastIndexOf('-', first.range[0] - 1);
  const lineStart = text.lastIndexOf('\n', dash - 1) + 1;
  const indent = text.slice(lineStart, dash);
  if (dash < 0 || !/^ *$/.test(indent)) return null;
  return { at: last.range[2], indent };
}

function appendAsText(text: string, tails: SeqTails, changes: LedgerChanges): string | null {
  const inserts: Array<{ at: number; text: string; expected: unknown[] }> = [];
  if (changes.addedSlots.length) {
    const tail = tails('slots');
    if (!tail) return null;
    const expected = changes.addedSlots.map((sl) => ({ organisation: sl.organisation, block: sl.block, slot: sl.slot }));
    const lines = expected.map((sl) => `${tail.indent}- ${flow(sl)}\n`);
    inserts.push({ at: tail.at, text: lines.join(''), expected });
  }
  if (changes.added.length) {
    const tail = tails('entries');
    if (!tail) return null;
    const expected = changes.added.map(orderedEntry);
    const blocks = expected.map((e) => `\n${listItem(e, tail.indent.length)}\n`);
    inserts.push({ at: tail.at, text: blocks.join(''), expected });
  }
  // The inserted text must read back as exactly the added data, or the document path is taken instead.
  for (const ins of inserts) {
    const back = parseDocument(ins.text);
    if (back.errors.length || JSON.stringify(back.toJS()) !== JSON.stringify(ins.expected)) return null;
  }
  let out = text;
  for (const ins of [...inserts].sort((a, b) => b.at - a.at)) {
    const before = out.slice(0, ins.at);
    out = `${before}${before.endsWith('\n') ? '' : '\n'}${ins.text}${out.slice(ins.at)}`;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Atomic write and locking

/** Writes a ledger file atomically (src/util/atomic), creating its folder and keeping the mode of the file it replaces. */
export function writeFileAtomic(file: string, text: string): void {
  makeDirectory(path.dirname(file));
  writeAtomic(file, text, 'keep');
}

interface LockInfo {
  pid: number;
  host: string;
  at: string;
  token: string;
}

/**
 * The lock file as read: its text and record, or `garbage` saying why it is not a lock ggi wrote (a symlink, a FIFO,
 * a file too large, text that is no lock record). A holder writes its record in one write right after creating the
 * file, so only an empty file can be a lock being written.
 */
function readLock(lockPath: string): { raw: string; info: LockInfo | null; garbage?: string } | null {
  let raw: string;
  try {
    if (fs.lstatSync(lockPath).isSymbolicLink()) return { raw: '', info: null, garbage: 'is a symbolic link' };
    raw = readTextFile(lockPath, { maxBytes: 4096 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    if (e instanceof InputError) return { raw: '', info: null, garbage: e.problem === 'too-large' ? 'is larger than a lock record' : 'is not a regular file' };
    throw e;
  }
  try {
    const v = JSON.parse(raw) as LockInfo;
    if (v && typeof v.pid === 'number' && typeof v.host === 'string') return { raw, info: v };
  } catch {
    // not JSON
  }
  return { raw, info: null, ...(raw.trim() ? { garbage: 'holds no lock record' } : {}) };
}

/** An empty lock file older than this is not one being written but left behind. */
const EMPTY_LOCK_GRACE_MS = 2000;

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function ageMs(p: string): number {
  try {
    return Date.now() - fs.statSync(p).mtimeMs;
  } catch {
    return 0;
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Removes a stale lock only if it is still the one judged stale: a second, short-lived lock serialises the breakers,
 * so a breaker that read an old lock cannot remove the fresh lock of a process that broke it first.
 */
function breakStale(lockPath: string, staleRaw: string): void {
  const breaker = `${lockPath}.break`;
  let fd: number;
  try {
    fd = fs.openSync(breaker, 'wx');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    // A breaker that died mid-break leaves this file; it only ever lives for a moment.
    if (ageMs(breaker) > 10_000) fs.rmSync(breaker, { force: true });
    return;
  }
  try {
    const now = readLock(lockPath);
    if (now && now.raw === staleRaw) fs.rmSync(lockPath, { force: true });
  } finally {
    fs.closeSync(fd);
    fs.rmSync(breaker, { force: true });
  }
}

/** Runs `fn` holding an exclusive lock file (created with O_EXCL), retrying with backoff; breaks locks of dead processes. */
export async function withLock<T>(lockPath: string, fn: () => T | Promise<T>, opts: LockOptions = {}): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const staleMs = opts.staleMs ?? 600_000;
  const host = os.hostname();
  const token = randomBytes(8).toString('hex');
  const mine = JSON.stringify({ pid: process.pid, host, at: new Date().toISOString(), token });
  makeDirectory(path.dirname(lockPath));
  const started = Date.now();
  for (let attempt = 0; ; attempt++) {
    let fd: number | null = null;
    try {
      fd = fs.openSync(lockPath, 'wx', 0o644);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    if (fd !== null) {
      try {
        fs.writeSync(fd, mine);
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      break;
    }
    const held = readLock(lockPath);
    if (held) {
      if (held.info && held.info.host === host && !pidAlive(held.info.pid)) {
        breakStale(lockPath, held.raw);
        continue;
      }
      // Not a lock any ggi process writes: waiting would not change it, so say so now. It is never removed here:
      // only its owner (or the user) knows what it is.
      const garbage = held.garbage ?? (!held.info && ageMs(lockPath) > EMPTY_LOCK_GRACE_MS ? 'is empty' : undefined);
      if (garbage) throw new LockError(`the ledger lock ${lockPath} ${garbage}: it is not a lock that ggi wrote; if no ggi process is running, remove that file`);
      // Being written, or on another host: only age can tell it is stuck.
      if (ageMs(lockPath) > staleMs) {
        const who = held.info ? `process ${held.info.pid} on ${held.info.host} since ${held.info.at}` : 'an unknown process';
        throw new LockError(`the ledger is locked by ${who} (${lockPath}); if no ggi process is running, remove that file`);
      }
    }
    if (Date.now() - started > timeoutMs) {
      const who = held?.info ? `process ${held.info.pid} on ${held.info.host}` : 'another process';
      throw new LockError(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for the ledger lock held by ${who} (${lockPath})`);
    }
    // Exponential backoff with jitter, so that waiting processes do not retry in lock-step.
    await sleep(Math.min(100, 5 * 2 ** Math.min(attempt, 5)) * (0.5 + Math.random()));
  }
  try {
    return await fn();
  } finally {
    const now = readLock(lockPath);
    if (now && now.raw === mine) fs.rmSync(lockPath, { force: true });
  }
}
