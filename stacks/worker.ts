import { parentPort, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { partFailure, runChunks, type ChunksOutput, type ChunkWork } from './parts';

/**
 * A worker thread of the synth pool (pool.ts). Started before the inventory is validated, it loads cdktf, the
 * provider submodules and the constructs (its imports) while the gate runs. It builds stacks from inventory data only
 * in the work the pool sends, which the pool sends only after the gate passed. One piece of work, then it exits;
 * 'stop' (or terminate) ends it without work.
 *
 * It does not warm up on made-up stacks while it waits: measured, that cost the gate on the other core more than it
 * saved later, and took about 65 MB more memory.
 */

export type ToWorker = { type: 'work'; work: ChunkWork; partDir: string } | { type: 'stop' };
export type FromWorker = { type: 'ready'; at: number } | { type: 'done'; output: ChunksOutput; started: number; at: number };

/** Milliseconds since the process started, on the same clock as the main thread's performance.now(). */
function now(): number {
  return performance.timeOrigin + performance.now() - (workerData as { origin: number }).origin;
}

if (parentPort && workerData && (workerData as { synthPool?: boolean }).synthPool) {
  const port = parentPort;
  port.postMessage({ type: 'ready', at: now() } satisfies FromWorker);
  port.on('message', (m: ToWorker) => {
    if (m.type === 'work') {
      const started = now();
      let output: ChunksOutput;
      try {
        output = runChunks(m.work, m.partDir);
      } catch (e) {
        output = { done: [], failures: [partFailure(e)] };
      }
      port.postMessage({ type: 'done', output, started, at: now() } satisfies FromWorker);
    }
    port.close();
  });
}
