import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Worker } from 'node:worker_threads';
import type { ChunksOutput, ChunkWork } from './parts';
import type { FromWorker, ToWorker } from './worker';

/**
 * Worker threads for the cdktf side of a synth, started early: loading cdktf and the provider submodules is a good
 * part of each thread's synth time, so `ggi synth` starts them before it validates the inventory and they load while
 * the gate runs. They are sent work (`run`) only after the gate passed; `close` ends them either way,
 * at once for a worker that got no work (terminate: it has written nothing).
 */

export interface PoolStats {
  /** Workers started. */
  started: number;
  /** Workers that were sent work (0 when the gate refused the inventory). */
  dispatched: number;
  /** When each worker had loaded its modules (ms since process start), in start order; null if it never did. */
  readyAt: Array<number | null>;
  /** When each worker started and finished its work (ms since process start). */
  work: Array<{ started: number; done: number } | null>;
}

/**
 * A worker's young generation (V8's space for new objects), in MB. V8 lets each thread's grow to 48 MB by default;
 * cdktf's short-lived objects are collected as cheaply in a third of that (measured), which keeps a worker's share of
 * the synth's 300 MB budget small.
 */
const WORKER_YOUNG_GENERATION_MB = 16;

interface Slot {
  worker: Worker;
  dispatched: boolean;
  exited: boolean;
  exit: Promise<void>;
  outcome: Promise<ChunksOutput>;
}

export class SynthPool {
  readonly stats: PoolStats;
  private readonly slots: Slot[];

  /** Starts `count` workers; null when there is no compiled worker (running from TypeScript sources, as in tests). */
  static start(count: number): SynthPool | null {
    const workerFile = path.join(__dirname, 'worker.js');
    if (count < 1 || !__filename.endsWith('.js') || !fs.existsSync(workerFile)) return null;
    return new SynthPool(workerFile, count);
  }

  private constructor(workerFile: string, count: number) {
    const { Worker } = require('node:worker_threads') as typeof import('node:worker_threads');
    this.stats = { started: count, dispatched: 0, readyAt: Array.from({ length: count }, () => null), work: Array.from({ length: count }, () => null) };
    // The workers' clock: ms since this process started, as performance.now() here.
    const origin = performance.timeOrigin;
    this.slots = Array.from({ length: count }, (_, i) => {
      const worker = new Worker(workerFile, { workerData: { synthPool: true, origin }, resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB } });
      const slot = { worker, dispatched: false, exited: false } as Slot;
      slot.exit = new Promise<void>((resolve) => worker.once('exit', () => {
        slot.exited = true;
        resolve();
      }));
      slot.outcome = new Promise<ChunksOutput>((resolve) => {
        const internal = (why: string): void => resolve({ done: [], failures: [{ internal: why }] });
        worker.on('message', (m: FromWorker) => {
          if (m.type === 'ready') this.stats.readyAt[i] = m.at;
          else if (m.type === 'done') {
            this.stats.work[i] = { started: m.started, done: m.at };
            resolve(m.output);
          }
        });
        worker.once('error', (e) => internal(e instanceof Error ? (e.stack ?? e.message) : String(e)));
        worker.once('exit', (code) => internal(`synth worker exited with code ${code} before it was done`));
      });
      return slot;
    });
  }

  get size(): number {
    return this.slots.length;
  }

  /**
   * Sends the work to every worker (worker i writes through `partDirs[i]`); each result arrives when that worker has claimed no further chunk. Never rejects:
   * a worker that fails or dies reports it as a failure.
   */
  run(work: ChunkWork, partDirs: readonly string[]): Array<Promise<ChunksOutput>> {
    return this.slots.map((slot, i) => {
      if (!slot.exited) {
        slot.dispatched = true;
        this.stats.dispatched++;
        slot.worker.postMessage({ type: 'work', work, partDir: partDirs[i] } satisfies ToWorker);
      }
      return slot.outcome;
    });
  }

  /** Ends every worker, at once (terminate) if it is still running, and waits until all have exited. */
  async close(): Promise<void> {
    await Promise.all(
      this.slots.map(async (slot) => {
        if (!slot.exited) await slot.worker.terminate();
        await slot.exit;
      }),
    );
  }
}
