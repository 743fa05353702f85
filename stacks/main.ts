import type { Inventory } from '../src/model/inventory';
import type { Finding } from '../src/model/finding';
import type { SourceIndex } from '../src/model/source';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { ConstructValidationError, isConstructValidationError } from '../src/constructs/errors';
import type { FlatRule } from '../src/constructs/zone-policy';
import { planCloud, type CloudPlan } from './plan';
import type { PolicyModel } from '../src/zones';
import { SynthPool, type PoolStats } from './pool';
import type { ChunksOutput, PartFailure } from './parts';

/**
 * The cloud app's entry points: `synthInventory` (gate, then synth: what `ggi synth` and `cdktf synth` run),
 * `synthesize` (in-process, one cdktf app) and `synthesizeParallel` (the same bytes, using more cores at national
 * scale), and `runFromCdktf` (the program cdktf.json names).
 *
 * cdktf itself (src/constructs/app, ./build, ./parts) is loaded only when stacks are built, and the policy engine
 * (./policy: src/zones) only when needed, so that requiring this module to run the gate loads nothing before the
 * synth workers have started.
 */

type AppModule = typeof import('../src/constructs/app');
type BuildModule = typeof import('./build');
type PartsModule = typeof import('./parts');
const policyModule = (): typeof import('./policy') => require('./policy') as typeof import('./policy');
const cdk = (): { app: AppModule; build: BuildModule; parts: PartsModule } => ({
  app: require('../src/constructs/app') as AppModule,
  build: require('./build') as BuildModule,
  parts: require('./parts') as PartsModule,
});

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
  const rules = opts.policyRules !== undefined ? opts.policyRules : policyModule().hubPolicyRules(inv);
  const { app, build } = cdk();
  return app.synthApp(outDir, (a) => ({ stacks: build.buildStacks(a, plan, rules ?? null), notes: plan.notes }));
}

export interface ParallelOptions extends SynthOptions {
  /** Threads to use, the calling one included; default: the cores available, at most 4 (GGI_SYNTH_WORKERS overrides). */
  readonly workers?: number;
}

/** Below this many organisations a second thread costs more (its own cdktf load) than it saves. */
const PARALLEL_THRESHOLD = 64;

/**
 * `synthesize`, with the organisation stacks spread over worker threads: the calling thread writes the hub and the
 * policy, then joins the workers in writing the organisation stacks, chunk by chunk (parts.ts); the parts are joined
 * into one output whose bytes equal a single-app synth (the tests compare them). Falls back to one thread for small
 * inventories and when running from TypeScript sources (tests), where no compiled worker exists.
 */
export async function synthesizeParallel(inv: Inventory, outDir: string, opts: ParallelOptions = {}): Promise<SynthResult> {
  const plan = planCloud(inv);
  const rules = opts.policyRules;
  const threads = opts.workers ?? defaultThreads();
  const pool = threads > 1 && plan.organisations.length >= PARALLEL_THRESHOLD ? SynthPool.start(threads - 1) : null;
  try {
    return await synthesizePlan(plan, () => (rules !== undefined ? rules : policyModule().hubPolicyRules(inv)) ?? null, outDir, pool, new Marks());
  } finally {
    await pool?.close();
  }
}

/** Milliseconds since the process started at which each phase ended (the calling thread's view). */
export interface SynthTimings {
  gate?: number;
  plan?: number;
  /** The policy built and flattened for the hub's rule group (src/zones). */
  flatten?: number;
  /** This thread's own part written: hub and policy. */
  mainPart?: number;
  /** This thread claims no further organisation chunk. */
  chunks?: number;
  /** Every worker done. */
  workers?: number;
  /** The parts joined into the output folder. */
  merge?: number;
  /** Organisation chunks this thread wrote, and all of them. */
  mainChunks?: number;
  allChunks?: number;
}

class Marks {
  readonly t: SynthTimings = {};
  mark(k: Exclude<keyof SynthTimings, 'mainChunks' | 'allChunks'>): void {
    this.t[k] = Math.round(performance.now());
  }
}

async function synthesizePlan(plan: CloudPlan, rulesOf: () => readonly FlatRule[] | null, outDir: string, pool: SynthPool | null, marks: Marks): Promise<SynthResult> {
  if (!pool || plan.organisations.length < PARALLEL_THRESHOLD) {
    const rules = rulesOf();
    marks.mark('flatten');
    const { app, build } = cdk();
    const res = app.synthApp(outDir, (a) => ({ stacks: build.buildStacks(a, plan, rules), notes: plan.notes }));
    marks.mark('merge');
    return res;
  }
  const { app: appModule, parts } = cdk();
  const { root, partDirs } = appModule.createPartsRoot(outDir, pool.size + 1);
  try {
    const { notes: _notes, ...workPlan } = plan;
    const work = { plan: workPlan, chunks: parts.chunkOrganisations(plan.organisations.length, pool.size + 1), claim: parts.newClaim() };
    // The workers start on the organisation chunks now; this thread flattens the policy, writes hub and policy, and
    // then joins them.
    const remote = pool.run(work, partDirs.slice(1));
    let rules: readonly FlatRule[] | null = null;
    const mine: ChunksOutput = { done: [], failures: [] };
    try {
      rules = rulesOf();
      marks.mark('flatten');
      const { build } = cdk();
      const part = appModule.synthPart(partDirs[0], (a) => build.buildStacks(a, plan, rules, { policy: true, organisations: new Set() }));
      mine.done.push({ chunk: -1, stacks: part.result, manifest: part.manifest });
      marks.mark('mainPart');
    } catch (e) {
      mine.failures.push(parts.partFailure(e));
      parts.stopClaims(work.claim);
    }
    const chunks = parts.runChunks(work, partDirs[0]);
    marks.mark('chunks');
    const outputs = [mine, chunks, ...(await Promise.all(remote))];
    marks.mark('workers');
    marks.t.mainChunks = chunks.done.length;
    marks.t.allChunks = work.chunks.length;

    const order = cdk().build.stackOrder(plan, rules);
    throwFirstFailure(
      outputs.flatMap((o) => o.failures),
      order,
    );
    const done = outputs.flatMap((o) => o.done).sort((a, b) => a.chunk - b.chunk);
    if (done.length !== work.chunks.length + 1 || done.some((d, i) => d.chunk !== i - 1)) {
      throw new Error(`parallel synth lost a part: ${done.length} of ${work.chunks.length + 1} written`);
    }
    appModule.mergeSynthParts(
      outDir,
      root,
      done.map((d) => d.manifest),
      order,
    );
    marks.mark('merge');
    return { stacks: order, notes: plan.notes };
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

/** Reports what a single-app synth would: an internal error, else the refusal of the stack that comes first. */
function throwFirstFailure(failures: PartFailure[], order: readonly string[]): void {
  if (!failures.length) return;
  const internal = failures.find((f) => f.internal !== undefined);
  if (internal) throw new Error(internal.internal);
  const rank = (f: PartFailure): number => {
    const i = order.indexOf(f.error?.stack ?? '');
    return i < 0 ? order.length : i;
  };
  const pick = [...failures].sort((a, b) => rank(a) - rank(b))[0].error!;
  const e = new ConstructValidationError(pick.code, pick.message, pick.loc, pick.sub);
  e.stackName = pick.stack;
  throw e;
}

function defaultThreads(): number {
  const env = Number(process.env.GGI_SYNTH_WORKERS);
  if (Number.isInteger(env) && env >= 1) return env;
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return Math.max(1, Math.min(4, cores));
}

/**
 * Whether the inventory is large enough to start the synth workers before the gate (so that they load cdktf while it
 * runs): its organisations/ folder holds at least as many files as the parallel path needs organisations. A guess
 * from the folder only; after the gate the plan decides, and a wrong guess costs time, never a different output.
 */
function looksLarge(dir: string): boolean {
  try {
    return fs.readdirSync(path.join(dir, 'organisations')).length >= PARALLEL_THRESHOLD;
  } catch {
    return false;
  }
}

export interface InventorySynthOptions {
  profile?: string;
  now?: Date;
  /** Threads to use, the calling one included; default as synthesizeParallel. */
  workers?: number;
}

export type InventorySynthResult = (
  | {
      ok: true;
      /** Stack names, hub first. */
      stacks: string[];
      /** Warnings about what was left out of the cloud side. */
      notes: Finding[];
      /** The gate's findings (warnings only, as it passed), formatted for a terminal. */
      gateReport: string[];
    }
  | {
      ok: false;
      /** false: the inventory failed validation; true: it passed, but a construct refused it. */
      refused: boolean;
      /** The errors, located in the inventory. */
      findings: Finding[];
    }
) & { timings: SynthTimings; pool: PoolStats | null };

/**
 * What `ggi synth` and `cdktf synth` run: the gate (gate.ts), then the synth of a passing inventory into `outDir`.
 * For a large inventory the synth workers start first, so their cdktf load overlaps the gate; they are sent work only
 * after the gate passed, and are ended without work when it did not (nothing is written then). A construct's refusal
 * is returned as a located finding; an output folder that cannot be written throws its `E...` error.
 */
export async function synthInventory(dir: string, outDir: string | (() => string), opts: InventorySynthOptions = {}): Promise<InventorySynthResult> {
  const marks = new Marks();
  const threads = opts.workers ?? defaultThreads();
  let pool = threads > 1 && looksLarge(dir) ? SynthPool.start(threads - 1) : null;
  const stats = (): PoolStats | null => pool?.stats ?? null;
  try {
    const { gateInventoryForSynth } = require('./gate') as typeof import('./gate');
    const gate = gateInventoryForSynth(dir, { profile: opts.profile, now: opts.now });
    marks.mark('gate');
    if (!gate.inventory) {
      return { ok: false, refused: false, findings: gate.findings.filter((f) => f.severity === 'error'), timings: marks.t, pool: stats() };
    }
    const gateReport = gate.report;
    // From here on only the plan, the flat rules and the sources (to locate a refusal) are kept: the inventory and the
    // policy model (the gate's: the policy is built once) are dropped as soon as they are used, before cdktf's trees
    // take their room.
    let inv: Inventory | null = gate.inventory;
    let policy: PolicyModel | null = gate.policy;
    gate.inventory = null;
    gate.policy = null;
    const sources: SourceIndex = inv.sources;
    const settingsLoc = inv.settings.loc;
    try {
      const plan = planCloud(inv);
      marks.mark('plan');
      if (!pool && threads > 1 && plan.organisations.length >= PARALLEL_THRESHOLD) pool = SynthPool.start(threads - 1);
      const rulesOf = (): FlatRule[] => {
        const rules = policy ? policyModule().hubPolicyRulesOf(policy) : policyModule().hubPolicyRules(inv!);
        policy = null;
        inv = null;
        return rules;
      };
      // A function gives the folder only now that the gate passed (`ggi synth`'s staging folder: nothing before).
      const res = await synthesizePlan(plan, rulesOf, typeof outDir === 'string' ? outDir : outDir(), pool, marks);
      return { ok: true, stacks: res.stacks, notes: res.notes, gateReport, timings: marks.t, pool: stats() };
    } catch (e) {
      if (!isConstructValidationError(e)) throw e;
      const f = sources.error(e.code, e.message, e.loc ?? settingsLoc, e.loc ? e.sub : []);
      return { ok: false, refused: true, findings: [f], timings: marks.t, pool: stats() };
    }
  } finally {
    await pool?.close();
  }
}

/** The entry point that cdktf.json runs (`cdktf synth`): the inventory folder from GGI_INVENTORY, default inventory/. */
export async function runFromCdktf(env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const dir = env.GGI_INVENTORY ?? 'inventory';
  const { synthIntoFolder } = require('./output') as typeof import('./output');
  let res: InventorySynthResult;
  try {
    res = await synthIntoFolder(dir, env.CDKTF_OUTDIR ?? 'cdktf.out', process.cwd(), { profile: env.GGI_PROFILE });
  } catch (e) {
    const { OutputFolderError } = require('../src/util/output-folder') as typeof import('../src/util/output-folder');
    if (!(e instanceof OutputFolderError)) throw e;
    process.stderr.write(`ggi synth: ${e.message}\n`);
    return 1;
  }
  const { formatFinding } = require('../src/model/finding') as typeof import('../src/model/finding');
  if (!res.ok) {
    for (const f of res.findings) process.stderr.write(`${formatFinding(f)}\n`);
    return 1;
  }
  for (const f of res.gateReport) process.stderr.write(`${f}\n`);
  for (const n of res.notes) process.stderr.write(`${n.file}:${n.line}:${n.column}: ${n.severity} ${n.code} ${n.message}\n`);
  return 0;
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
