import type { Inventory } from '../src/model/inventory';
import type { Finding } from '../src/model/finding';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConstructValidationError, isConstructValidationError } from '../src/constructs/errors';
import type { FlatRule } from '../src/constructs/zone-policy';
import { mergeSynthParts, synthApp, synthPart } from '../src/constructs/app';
import { planCloud, type CloudPlan } from './plan';
import { hubPolicyRules } from './policy';
import { buildStacks, stackOrder, type StackSelection } from './build';
import type { PartInput, PartOutput } from './worker';

export { buildStacks, POLICY_STACK } from './build';

/**
 * The cloud app's entry points: `synthesize` (in-process), `synthesizeParallel` (the same bytes, using more cores at
 * national scale; what `ggi synth` and `cdktf synth` run), and `runFromCdktf` (the program cdktf.json names).
 */

export interface SynthOptions {
  /** The flattened policy for the hub's rule group; by default computed from the inventory by the policy engine. */
  readonly policyRules?: readonly FlatRule[] | null;
}

export interface SynthResult {
  /** Stack names, hub first. */
  stacks: string[];
  /** Warnings about what was left out (e.g. a connection point without a public address). */
  notes: Finding[];
}

/**
 * Synthesizes the cloud side of a validated inventory into `outDir` (as `cdktf synth` does). Throws
 * ConstructValidationError (with the inventory location when known) for input the constructs refuse.
 */
export function synthesize(inv: Inventory, outDir: string, opts: SynthOptions = {}): SynthResult {
  const plan = planCloud(inv);
  const rules = opts.policyRules !== undefined ? opts.policyRules : hubPolicyRules(inv);
  return synthApp(outDir, (app) => ({ stacks: buildStacks(app, plan, rules ?? null), notes: plan.notes }));
}

export interface ParallelOptions extends SynthOptions {
  /** Threads to use, the calling one included; default: the cores available, at most 4 (GGI_SYNTH_WORKERS overrides). */
  readonly workers?: number;
}

/** Below this many organisations a second thread costs more (its own cdktf load) than it saves. */
const PARALLEL_THRESHOLD = 64;

/**
 * `synthesize`, with the organisation stacks spread over worker threads: each part is its own cdktf app, and the parts
 * are joined into one output whose bytes equal a single-app synth (the tests compare them). Falls back to one thread
 * for small inventories and when running from TypeScript sources (tests), where no compiled worker exists.
 */
export async function synthesizeParallel(inv: Inventory, outDir: string, opts: ParallelOptions = {}): Promise<SynthResult> {
  const plan = planCloud(inv);
  const rules = (opts.policyRules !== undefined ? opts.policyRules : hubPolicyRules(inv)) ?? null;
  const workerFile = path.join(__dirname, 'worker.js');
  const threads = opts.workers ?? defaultThreads();
  if (threads <= 1 || plan.organisations.length < PARALLEL_THRESHOLD || !fs.existsSync(workerFile) || !__filename.endsWith('.js')) {
    return synthesize(inv, outDir, { policyRules: rules });
  }
  const selections = partition(plan, rules, threads);
  fs.mkdirSync(outDir, { recursive: true });
  const root = fs.mkdtempSync(path.join(outDir, '.ggi-parts-'));
  try {
    const dirs = selections.map((_, k) => path.join(root, String(k)));
    // Parts 1.. run in worker threads while this thread synthesizes part 0 (hub and policy, where cdktf is loaded).
    const { Worker } = require('node:worker_threads') as typeof import('node:worker_threads');
    const running = selections.slice(1).map((sel, i) => {
      const input: PartInput = { plan, rules: null, select: { policy: false, organisations: [...(sel.organisations ?? [])] }, dir: dirs[i + 1] };
      return new Promise<PartOutput>((resolve) => {
        const w = new Worker(workerFile, { workerData: input });
        w.once('message', (m: PartOutput) => resolve(m));
        w.once('error', (e) => resolve({ ok: false, internal: e instanceof Error ? e.stack ?? e.message : String(e) }));
        w.once('exit', (code) => resolve({ ok: false, internal: `synth worker exited with code ${code}` }));
      });
    });
    let first: PartOutput;
    try {
      first = { ok: true, stacks: synthPart(dirs[0], (app) => buildStacks(app, plan, rules, selections[0])) };
    } catch (e) {
      first = failure(e);
    }
    const outputs = [first, ...(await Promise.all(running))];
    const order = stackOrder(plan, rules);
    // Report what a single-app synth would: the refusal of the stack that comes first.
    const failed = outputs.filter((o): o is Extract<PartOutput, { ok: false }> => !o.ok);
    if (failed.length) {
      const internal = failed.find((f) => f.internal);
      if (internal) throw new Error(internal.internal);
      const pick = failed.sort((a, b) => order.indexOf(a.error!.stack ?? '') - order.indexOf(b.error!.stack ?? ''))[0].error!;
      throw new ConstructValidationError(pick.code, pick.message, pick.loc, pick.sub);
    }
    const parts = outputs.map((o, k) => ({ dir: dirs[k], stacks: (o as Extract<PartOutput, { ok: true }>).stacks.filter((s) => k === 0 || s !== plan.hub.stack) }));
    mergeSynthParts(outDir, parts, order);
    return { stacks: order, notes: plan.notes };
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

function defaultThreads(): number {
  const env = Number(process.env.GGI_SYNTH_WORKERS);
  if (Number.isInteger(env) && env >= 1) return env;
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return Math.max(1, Math.min(4, cores));
}

/**
 * Spreads the stacks over the threads by estimated cost, deterministically: part 0 takes the hub and the policy
 * (weighted by its rule count), then each organisation goes to the least loaded part.
 */
export function partition(plan: CloudPlan, rules: readonly FlatRule[] | null, threads: number): StackSelection[] {
  const load = Array.from({ length: threads }, () => 0);
  const sets = Array.from({ length: threads }, () => new Set<number>());
  // Measured: compiling and writing ~300 flat rules costs about what one organisation stack does.
  load[0] = 1 + (rules ? rules.length / 300 : 0);
  plan.organisations.forEach((_, i) => {
    let k = 0;
    for (let j = 1; j < threads; j++) if (load[j] < load[k]) k = j;
    sets[k].add(i);
    load[k] += 1;
  });
  return sets.map((organisations, k) => ({ policy: k === 0, organisations }));
}

function failure(e: unknown): PartOutput {
  if (isConstructValidationError(e)) return { ok: false, error: { code: e.code, message: e.message, loc: e.loc, sub: [...e.sub], stack: e.stackName } };
  return { ok: false, internal: e instanceof Error ? e.stack ?? e.message : String(e) };
}

/** The entry point that cdktf.json runs (`cdktf synth`): the inventory folder from GGI_INVENTORY, default inventory/. */
export async function runFromCdktf(env: NodeJS.ProcessEnv = process.env): Promise<number> {
  // Lazy: the gate loads every check module; only the cdktf entry point needs it here.
  const { gateInventory } = require('./gate') as typeof import('./gate');
  const dir = env.GGI_INVENTORY ?? 'inventory';
  const gate = gateInventory(dir, { profile: env.GGI_PROFILE });
  for (const f of gate.report) process.stderr.write(`${f}\n`);
  if (!gate.inventory) return 1;
  try {
    const res = await synthesizeParallel(gate.inventory, env.CDKTF_OUTDIR ?? 'cdktf.out');
    for (const n of res.notes) process.stderr.write(`${n.file}:${n.line}:${n.column}: ${n.severity} ${n.code} ${n.message}\n`);
    return 0;
  } catch (e) {
    if (!isConstructValidationError(e)) throw e;
    const f = gate.inventory.sources.error(e.code, e.message, e.loc ?? gate.inventory.settings.loc, e.loc ? e.sub : []);
    process.stderr.write(`${f.file}:${f.line}:${f.column}: ${f.severity} ${f.code} ${f.message}\n`);
    return 1;
  }
}

if (require.main === module) {
  runFromCdktf().then(
    (code) => (process.exitCode = code),
    (e: unknown) => {
      process.stderr.write(`ggi synth: internal error: ${e instanceof Error ? e.message : String(e)}\n`);
      if (process.env.GGI_DEBUG === '1' && e instanceof Error) process.stderr.write(`${e.stack}\n`);
      process.exitCode = 1;
    },
  );
}
