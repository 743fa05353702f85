import { parentPort, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { warmUp } from '../src/constructs/app';
import { buildStacks } from './build';
import { partFailure, runChunks, type ChunksOutput, type ChunkWork } from './parts';
import { warmUpPlan } from './warmup';

/**
 * A worker thread of the synth pool (pool.ts). Started before the inventory is validated, it loads cdktf, the
 * provider submodules and the constructs (its imports) while the gate runs, and on 'warm' builds a made-up plan
 * (warmup.ts) until its work arrives, writing nothing. It builds stacks from inventory data only in the work the pool
 * sends, which the pool sends only after the gate passed. One piece of work, then it exits; 'stop' (or terminate)
 * ends it without work.
 */

export type ToWorker = { type: 'warm' } | { type: 'work'; work: ChunkWork; partDir: string } | { type: 'stop' };
export type FromWorker = { type: 'ready'; at: number } | { type: 'done'; output: ChunksOutput; started: number; at: number; warmed: number };

/** Warm-up: at most this many rounds of a few made-up organisation stacks each, while no work has arrived. */
const WARM_ROUNDS = 8;
const WARM_ORGS_PER_ROUND = 6;

/** Milliseconds since the process started, on the same clock as the main thread's performance.now(). */
function now(): number {
  return performance.timeOrigin + performance.now() - (workerData as { origin: number }).origin;
}

if (parentPort && workerData && (workerData as { synthPool?: boolean }).synthPool) {
  const port = parentPort;
  let warming = false;
  let ended = false;
  let warmed = 0;
  const warm = async (): Promise<void> => {
    if (warming) return;
    warming = true;
    const plan = warmUpPlan(WARM_ROUNDS * WARM_ORGS_PER_ROUND);
    for (let r = 0; r < WARM_ROUNDS && !ended; r++) {
      const organisations = new Set(Array.from({ length: WARM_ORGS_PER_ROUND }, (_, i) => r * WARM_ORGS_PER_ROUND + i));
      try {
        warmUp((app) => buildStacks(app, plan, null, { hub: false, policy: false, organisations }));
        warmed++;
      } catch {
        return; // Best effort: a warm-up that fails only leaves the JIT cold (the tests check that it does not fail).
      }
      // Lets the work (or a stop) in between rounds.
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  port.postMessage({ type: 'ready', at: now() } satisfies FromWorker);
  port.on('message', (m: ToWorker) => {
    if (m.type === 'warm') {
      void warm();
      return;
    }
    ended = true;
    if (m.type === 'work') {
      const started = now();
      let output: ChunksOutput;
      try {
        output = runChunks(m.work, m.partDir);
      } catch (e) {
        output = { done: [], failures: [partFailure(e)] };
      }
      port.postMessage({ type: 'done', output, started, at: now(), warmed } satisfies FromWorker);
    }
    port.close();
  });
}
