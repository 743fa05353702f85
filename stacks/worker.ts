import { parentPort, workerData } from 'node:worker_threads';
import type { Loc, NodePath } from '../src/model/source';
import { isConstructValidationError } from '../src/constructs/errors';
import type { FlatRule } from '../src/constructs/zone-policy';
import { synthPart } from '../src/constructs/app';
import { buildStacks } from './build';
import type { CloudPlan } from './plan';

/** One part of a parallel synth (see synthesizeParallel in main.ts): its own cdktf app, written into `dir`. */
export interface PartInput {
  plan: CloudPlan;
  rules: FlatRule[] | null;
  select: { policy: boolean; organisations: number[] };
  dir: string;
}

export type PartOutput =
  | { ok: true; stacks: string[] }
  | { ok: false; error?: { code: string; message: string; loc?: Loc; sub: NodePath; stack?: string }; internal?: string };

function runPart(input: PartInput): PartOutput {
  try {
    const select = { policy: input.select.policy, organisations: new Set(input.select.organisations) };
    return { ok: true, stacks: synthPart(input.dir, (app) => buildStacks(app, input.plan, input.rules, select)) };
  } catch (e) {
    if (isConstructValidationError(e)) return { ok: false, error: { code: e.code, message: e.message, loc: e.loc, sub: [...e.sub], stack: e.stackName } };
    return { ok: false, internal: e instanceof Error ? (e.stack ?? e.message) : String(e) };
  }
}

if (parentPort && workerData) parentPort.postMessage(runPart(workerData as PartInput));
