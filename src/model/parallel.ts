import * as fs from 'node:fs';
import * as path from 'node:path';
import type { InventorySource } from './files';
import { DirectorySource } from './files';
import type { CheckedFile, PreparedFiles } from './load';

/** A file handed to the worker: where it is, what it is called in findings, and its text. */
export interface WorkerFile {
  rel: string;
  file: string;
  text: string;
}

/** Below this much YAML a second thread costs more (starting it, loading zod in it) than it saves. */
export const PARALLEL_MIN_BYTES = 1 << 20;

/**
 * Parsing and schema-checking every file is about half of `ggi validate` on a national inventory. This runs a share
 * of the files on a worker thread while the calling thread checks the rest, so `loadInventory` only assembles. The
 * results are those of `checkFile` either way (test/model/parallel.test.ts compares them). Returns undefined when
 * one thread is the better choice: a small inventory, or running from TypeScript sources (no compiled worker).
 */
export async function checkFilesInParallel(source: InventorySource | string): Promise<PreparedFiles | undefined> {
  const workerFile = path.join(__dirname, 'check-worker.js');
  if (!__filename.endsWith('.js') || !fs.existsSync(workerFile) || process.env.GGI_THREADS === '1') return undefined;
  const src = typeof source === 'string' ? new DirectorySource(source) : source;
  const texts: WorkerFile[] = [];
  let total = 0;
  for (const rel of src.list()) {
    if (!/\.ya?ml$/.test(rel)) continue;
    const text = src.read(rel);
    if (text === null) continue;
    texts.push({ rel, file: src.display(rel), text });
    total += text.length;
  }
  if (total < PARALLEL_MIN_BYTES) return undefined;
  const { mine, theirs } = split(texts);
  const { Worker } = require('node:worker_threads') as typeof import('node:worker_threads');
  const worker = new Worker(workerFile, { workerData: { files: theirs } });
  const remote = new Promise<string>((resolve, reject) => {
    worker.once('message', (m: string) => resolve(m));
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the file-check worker exited with code ${code}`)));
  });
  // Loaded only now, so the worker starts while this thread loads the parser and the schemas.
  const { checkFile, schemaFor } = require('./load') as typeof import('./load');
  const prepared = new Map<string, CheckedFile & { text: string }>();
  for (const f of mine) {
    const schema = schemaFor(f.rel);
    if (!schema) continue;
    const r = checkFile(f.file, f.text, schema);
    prepared.set(f.rel, { text: f.text, value: r.value, findings: r.findings });
  }
  let answer: string;
  try {
    answer = await remote;
  } finally {
    void worker.terminate();
  }
  const byRel = new Map(theirs.map((f) => [f.rel, f.text]));
  for (const r of JSON.parse(answer) as Array<{ rel: string } & CheckedFile>) {
    if (r.value === null && r.findings.length === 0) continue;
    prepared.set(r.rel, { text: byRel.get(r.rel)!, value: r.value, findings: r.findings });
  }
  return prepared;
}

/**
 * Splits the files by estimated cost so that both threads finish together. Measured here: a policy file (flow
 * selectors, many short scalars) costs about three times as much per byte as the others, and the worker first spends
 * about as long starting and loading its modules as this thread needs for half a megabyte of policy. Deterministic;
 * the split never changes the result, only the time.
 */
function split(files: WorkerFile[]): { mine: WorkerFile[]; theirs: WorkerFile[] } {
  const cost = (f: WorkerFile) => (f.rel.startsWith('policy/') ? 3 : 1) * f.text.length;
  const total = files.reduce((n, f) => n + cost(f), 0);
  const target = (total - 1_500_000) / 2;
  const bySize = [...files].sort((a, b) => cost(b) - cost(a) || (a.rel < b.rel ? -1 : 1));
  const theirs = new Set<WorkerFile>();
  let taken = 0;
  for (const f of bySize) {
    if (taken + cost(f) > target) continue;
    theirs.add(f);
    taken += cost(f);
  }
  return { mine: files.filter((f) => !theirs.has(f)), theirs: files.filter((f) => theirs.has(f)) };
}
