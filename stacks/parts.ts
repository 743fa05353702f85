import type { Loc, NodePath } from '../src/model/source';
import { isConstructValidationError } from '../src/constructs/errors';
import { synthPart, type PartManifest } from '../src/constructs/app';
import { buildStacks } from './build';
import type { CloudPlan } from './plan';

/**
 * The organisation stacks of a parallel synth, cut into chunks that the threads (the calling one and the pool's
 * workers) claim one at a time from a shared counter: a thread that is done early takes more, so the parts stay
 * balanced however busy the machine is. Each chunk is its own cdktf app, written through the thread's part folder
 * into the shared stacks folder (createPartsRoot); which thread writes a chunk never changes a byte (mergeSynthParts
 * joins them as one app would have written them).
 */

/** The plan without its notes: what a worker needs, sent once (structured clone). */
export type WorkPlan = Omit<CloudPlan, 'notes'>;

export interface ChunkWork {
  readonly plan: WorkPlan;
  /** Indexes into plan.organisations, per chunk; chunks are contiguous runs in plan order. */
  readonly chunks: readonly (readonly number[])[];
  /** Int32Array [next chunk to claim, refused]: after a refusal no thread claims another chunk. */
  readonly claim: SharedArrayBuffer;
}

export interface ChunkDone {
  /** The chunk's index; -1 for the calling thread's part (hub and policy). */
  chunk: number;
  stacks: string[];
  manifest: PartManifest;
}

export interface PartFailure {
  /** A construct's refusal, with the stack it happened in (to report the one a single-app synth would report). */
  error?: { code: string; message: string; loc?: Loc; sub: NodePath; stack?: string };
  /** Anything else: an internal error, reported as one. */
  internal?: string;
}

export interface ChunksOutput {
  done: ChunkDone[];
  failures: PartFailure[];
}

export function newClaim(): SharedArrayBuffer {
  return new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT);
}

/** Marks the work as refused: no thread starts another chunk (the ones running finish). */
export function stopClaims(claim: SharedArrayBuffer): void {
  Atomics.store(new Int32Array(claim), 1, 1);
}

/**
 * Claims and writes chunks until none is left (or one was refused). A refusal ends this thread's claiming; every chunk
 * before it was claimed already, so the first refusal in stack order is always among the failures.
 */
export function runChunks(work: ChunkWork, partDir: string): ChunksOutput {
  const claim = new Int32Array(work.claim);
  const out: ChunksOutput = { done: [], failures: [] };
  for (;;) {
    if (Atomics.load(claim, 1) !== 0) break;
    const k = Atomics.add(claim, 0, 1);
    if (k >= work.chunks.length) break;
    try {
      const organisations = new Set(work.chunks[k]);
      const part = synthPart(partDir, (app) => buildStacks(app, work.plan as CloudPlan, null, { hub: false, policy: false, organisations }));
      out.done.push({ chunk: k, stacks: part.result, manifest: part.manifest });
    } catch (e) {
      out.failures.push(partFailure(e));
      Atomics.store(claim, 1, 1);
      break;
    }
  }
  return out;
}

/**
 * Chunk sizes that shrink towards the end (each about 1/(2·threads) of what is left, at least `min`), so threads that
 * start late or run slow still finish together. Deterministic in (count, threads).
 */
export function chunkOrganisations(count: number, threads: number, min = 4): number[][] {
  const chunks: number[][] = [];
  let next = 0;
  while (next < count) {
    const size = Math.min(count - next, Math.max(min, Math.ceil((count - next) / (2 * threads))));
    chunks.push(Array.from({ length: size }, (_, i) => next + i));
    next += size;
  }
  return chunks;
}

export function partFailure(e: unknown): PartFailure {
  if (isConstructValidationError(e)) return { error: { code: e.code, message: e.message, loc: e.loc, sub: [...e.sub], stack: e.stackName } };
  return { internal: e instanceof Error ? (e.stack ?? e.message) : String(e) };
}
