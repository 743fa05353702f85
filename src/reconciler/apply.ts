import { PENDING_ROLLBACK } from '../devices/diff';
import { StepError, TransportError, type ActualState, type CheckResult, type ReadSession, type RollbackPoint, type SecretValues, type Session, type SessionContext, type Transport, type TransportKind } from '../devices/contract';
import { mapLimit } from '../util/pool';
import { hashes, sha256 } from './plan';
import type { Journal } from './journal';
import type { PendingStore } from './pending';
import type { DeviceJob, DevicePlan, DeviceResult } from './types';

/**
 * The reconciler: level-triggered and platform-neutral. It talks to devices only through the driver contract
 * (src/devices/contract.ts): read, diff, and when something differs lock, stage (validated on the device), arm the
 * revert, activate; then, fleet-wide, verify and confirm, or roll back. It names no platform and runs no command.
 */

/** Opens a transport of the kind the device's driver needs (SSH with a pinned key, or an HTTP API). */
export type Connect = (deviceId: string, kind: TransportKind) => Promise<Transport>;

/** A job's secrets for this run: the values found, and a message per secret that is not available (never a value). */
export interface ResolvedSecrets {
  values: SecretValues;
  missing: string[];
}

export interface ReconcileOptions {
  /** 'plan' reads and compares only; 'apply' converges. */
  mode: 'plan' | 'apply';
  connect: Connect;
  concurrency?: number;
  /** Seconds before an unconfirmed change is reverted (by the device's timer, or by the controller's next run). */
  confirmTimeoutS?: number;
  /** Seconds verification may take on each device. */
  verifyTimeoutS?: number;
  /** Recorded in the lock and the journal. */
  operator: string;
  journal?: Journal;
  /** Reads a job's secrets (environment, owner-only files); absent: the job has none. */
  secrets?: (job: DeviceJob) => ResolvedSecrets;
  /** Where rollback points of devices that cannot revert by themselves are kept until confirmed. */
  pending?: PendingStore;
  now?: () => Date;
  /** Called as each device finishes (progress display). */
  onDevice?: (result: DeviceResult, done: number, total: number) => void;
  /** Called as each device enters a step (progress display, tests). */
  onStep?: (deviceId: string, step: string) => void;
}

/** A device that has been activated and awaits verification and confirmation (its revert is armed). */
export interface Activated {
  job: DeviceJob;
  session: Session;
  point: RollbackPoint;
  actual: ActualState;
  plan: DevicePlan;
  secrets: SecretValues;
}

const NO_SECRETS: SecretValues = new Map();

function reason(e: unknown): string {
  if (e instanceof TransportError) return `${e.code}: ${e.message}`;
  return e instanceof Error ? e.message : String(e);
}

function planOf(job: DeviceJob, actual: ActualState, extra: DevicePlan['files'] = []): DevicePlan {
  const files = [...job.driver.diff(job.candidate, actual), ...extra.filter((x) => !actual.pendingRollback || x.path !== PENDING_ROLLBACK)];
  return { id: job.id, changed: files.length > 0, files };
}

/** Reads an observed (`managed: false`) device and compares it, never writing to it. */
async function observe(job: DeviceJob, t: Transport, ctx: SessionContext): Promise<DeviceResult> {
  if (!job.driver.capabilities.readOnly) {
    await t.close().catch(() => undefined);
    return { id: job.id, changed: false, files: [], outcome: 'observed', reason: `managed: false, and the ${job.driver.platform} driver cannot read a device without writing to it: not compared` };
  }
  let s: ReadSession | null = null;
  try {
    s = job.driver.openReadOnly(t, ctx);
    const plan = planOf(job, await s.read());
    return { ...plan, outcome: 'observed', reason: `managed: false: compared read-only, never written${plan.changed ? ' (it differs from the inventory)' : ''}` };
  } catch (e) {
    return { id: job.id, changed: false, files: [], outcome: 'unreachable', step: 'read', reason: reason(e) };
  } finally {
    await (s ? s.close() : t.close()).catch(() => undefined);
  }
}

/**
 * Phase one for a device, level-triggered: read and compare; only if something differs lock, re-read under the
 * lock, stage and validate, arm the revert, and activate. Returns a final result (unchanged, observed, failed) or the
 * activated device, still connected, for `verifyAndConfirm`. Never throws.
 */
export async function prepareDevice(job: DeviceJob, opts: ReconcileOptions): Promise<{ result: DeviceResult } | { activated: Activated }> {
  const step = (s: string) => opts.onStep?.(job.id, s);
  const apply = opts.mode === 'apply' && job.managed;
  let secrets = NO_SECRETS;
  if (job.candidate.secrets.length > 0 && opts.secrets) {
    const r = opts.secrets(job);
    if (apply && r.missing.length > 0) {
      return { result: finish(job, opts, null, { id: job.id, changed: false, files: [] }, 'rolled-back', NO_SECRETS, 'secrets', `secrets not available, nothing was changed: ${r.missing.join('; ')}`) };
    }
    secrets = r.values;
  }
  let t: Transport;
  step('connect');
  try {
    t = await opts.connect(job.id, job.driver.capabilities.transport);
  } catch (e) {
    return { result: { id: job.id, changed: false, files: [], outcome: 'unreachable', step: 'connect', reason: reason(e) } };
  }
  const ctx: SessionContext = { deviceId: job.id, layout: job.layout, candidate: job.candidate, secrets };
  if (!job.managed) return { result: await observe(job, t, ctx) };

  let s: Session;
  try {
    s = job.driver.open(t, ctx);
  } catch (e) {
    await t.close().catch(() => undefined);
    return { result: { id: job.id, changed: false, files: [], outcome: 'unreachable', step: 'connect', reason: reason(e) } };
  }
  let plan: DevicePlan = { id: job.id, changed: false, files: [] };
  let actual: ActualState | null = null;
  let point: RollbackPoint | null = null;
  let locked = false;
  let current = 'read';
  let keep = false;
  try {
    // A rollback point kept by a controller that died mid-apply comes first: the device returns to it.
    const kept = opts.pending?.load(job.id) ?? null;
    const pendingNote = kept ? [{ path: PENDING_ROLLBACK, diff: 'an earlier apply was never confirmed: the controller restores its rollback point at the next apply\n' }] : [];
    if (kept && opts.mode === 'apply') {
      current = 'recover';
      step('recover');
      const r = await s.rollback(kept);
      if (!r.restored) throw new StepError('rollback', `restoring the rollback point of an unconfirmed earlier apply failed: ${r.detail ?? 'no detail'}`);
      opts.pending!.clear(job.id);
    }
    current = 'read';
    step('read');
    actual = await s.read();
    plan = planOf(job, actual, opts.mode === 'apply' ? [] : pendingNote);
    if (opts.mode === 'plan' || !plan.changed) return { result: { ...plan, outcome: 'unchanged' } };

    // Something differs: take the lock and read again under it, so the change is made against what is really there.
    current = 'lock';
    step('lock');
    actual = await s.lock(`${opts.operator} pid ${process.pid}`);
    locked = true;
    plan = planOf(job, actual);
    if (!plan.changed) {
      await s.unlock();
      return { result: { ...plan, outcome: 'unchanged' } };
    }

    current = 'stage';
    step('stage');
    try {
      await s.stage();
    } catch (e) {
      if (!(e instanceof StepError) || e.step !== 'validate') throw e;
      await s.unlock().catch(() => undefined);
      return { result: finish(job, opts, actual, plan, 'rolled-back', secrets, 'validate', `validation on the device failed, nothing was activated: ${e.message}`) };
    }

    current = 'arm';
    step('arm');
    point = await s.arm(opts.confirmTimeoutS ?? 120);
    if (!point.native) opts.pending?.save(job.id, point);

    current = 'activate';
    step('activate');
    try {
      await s.activate();
    } catch (e) {
      if (!(e instanceof StepError)) throw e;
      return { result: await rollBack(s, point, job, opts, actual, plan, secrets, 'activate', e.message) };
    }
    keep = true;
    return { activated: { job, session: s, point, actual, plan, secrets } };
  } catch (e) {
    return { result: await failed(s, point, job, opts, actual, plan, secrets, current, e, locked) };
  } finally {
    if (!keep) await s.close().catch(() => undefined);
  }
}

function failures(checks: readonly CheckResult[]): string {
  return checks
    .filter((c) => !c.ok)
    .map((c) => {
      const d = c.detail ?? `${c.name}: expected ${c.expected}, observed ${c.observed}`;
      return d.startsWith('verification failed') ? d : `verification failed: ${d}`;
    })
    .join('; ');
}

/**
 * Phase two: verify (the driver's health checks, polled until they hold or the verify timeout passes), then confirm.
 * A failed verification rolls back at once. `excused`: devices that failed in this run, whose sessions and routes
 * are not waited for. Never throws.
 */
export async function verifyAndConfirm(a: Activated, opts: ReconcileOptions, excused: ReadonlySet<string> = new Set()): Promise<DeviceResult> {
  const { job, session: s, point, actual, plan, secrets } = a;
  const step = (x: string) => opts.onStep?.(job.id, x);
  let current = 'verify';
  try {
    step('verify');
    const checks = await s.verify({ deadline: Date.now() + (opts.verifyTimeoutS ?? 60) * 1000, excused });
    if (checks.some((c) => !c.ok)) return await rollBack(s, point, job, opts, actual, plan, secrets, 'verify', failures(checks));

    current = 'confirm';
    step('confirm');
    const c = await s.confirm();
    if (!c.ok) {
      opts.pending?.clear(job.id);
      return finish(job, opts, actual, plan, 'rolled-back', secrets, 'confirm', `verification took longer than the confirm timeout (${point.revertInS} s): the device rolled back by itself`);
    }
    opts.pending?.clear(job.id);
    return finish(job, opts, actual, plan, 'applied', secrets, undefined, undefined, c.recorded);
  } catch (e) {
    return failed(s, point, job, opts, actual, plan, secrets, current, e, true);
  } finally {
    await s.close().catch(() => undefined);
  }
}

async function failed(s: Session, point: RollbackPoint | null, job: DeviceJob, opts: ReconcileOptions, actual: ActualState | null, plan: DevicePlan, secrets: SecretValues, current: string, e: unknown, locked: boolean): Promise<DeviceResult> {
  const why = reason(e);
  // A device-side step failed while the connection still works: roll back now rather than wait for the timer.
  if (e instanceof StepError && point) return rollBack(s, point, job, opts, actual, plan, secrets, e.step, why);
  if (e instanceof StepError && locked) await s.unlock().catch(() => undefined);
  const lost = !point ? '' : point.native ? `; the device restores its previous configuration by itself within ${point.revertInS} s` : '; the controller kept the rollback point and restores it at the next apply';
  const outcome = e instanceof TransportError || current === 'read' ? 'unreachable' : 'rolled-back';
  const stepName = e instanceof StepError ? e.step : current;
  if (opts.mode === 'apply' && current !== 'read') return finish(job, opts, actual, plan, outcome, secrets, stepName, why + lost);
  return { ...plan, outcome, step: stepName, reason: why + lost };
}

async function rollBack(s: Session, point: RollbackPoint, job: DeviceJob, opts: ReconcileOptions, actual: ActualState | null, plan: DevicePlan, secrets: SecretValues, failedStep: string, why: string): Promise<DeviceResult> {
  opts.onStep?.(job.id, 'rollback');
  let detail = '';
  let restoreFailed = false;
  try {
    const r = await s.rollback(point);
    opts.pending?.clear(job.id);
    if (!r.restored) {
      restoreFailed = true;
      detail = `; re-activating the previous configuration reported: ${r.detail ?? 'no detail'}`;
    }
  } catch (e) {
    detail = point.native
      ? `; the immediate rollback could not run (${reason(e)}), the on-device timer restores the previous configuration`
      : `; the immediate rollback could not run (${reason(e)}), the controller kept the rollback point and restores it at the next apply`;
  }
  const result = finish(job, opts, actual, plan, 'rolled-back', secrets, failedStep, `${failedStep} failed: ${why}${detail}`);
  return restoreFailed ? { ...result, restoreFailed } : result;
}

function finish(job: DeviceJob, opts: ReconcileOptions, actual: ActualState | null, plan: DevicePlan, outcome: DeviceResult['outcome'], secrets: SecretValues, step?: string, why?: string, recorded?: Record<string, string>): DeviceResult {
  const result: DeviceResult = { ...plan, outcome, ...(step ? { step } : {}), ...(why ? { reason: why } : {}) };
  if (opts.journal) {
    const where = new Map((actual?.documents ?? []).map((d) => [d.name, d.location]));
    const had: Record<string, string | null> = {};
    for (const d of actual?.documents ?? []) had[d.location] = d.content;
    const wanted: Record<string, string | null> = {};
    for (const d of job.candidate.documents) wanted[where.get(d.name) ?? d.name] = d.content;
    const before = hashes(had);
    // Secrets by hash only: enough to tell that one changed, never what it is.
    const secretHashes: Record<string, string> = {};
    for (const u of job.candidate.secrets) {
      const v = secrets.get(u.id);
      if (v !== undefined) secretHashes[u.id] = sha256(v)!;
    }
    opts.journal.append({
      at: (opts.now ?? (() => new Date()))().toISOString(),
      operator: opts.operator,
      device: job.id,
      platform: job.driver.platform,
      outcome,
      ...(step ? { step } : {}),
      ...(why ? { reason: why } : {}),
      before,
      after: outcome === 'applied' ? hashes(wanted) : before,
      ...(recorded && Object.keys(recorded).length ? { live: recorded } : {}),
      ...(outcome === 'applied' && Object.keys(secretHashes).length ? { secrets: secretHashes } : {}),
      files: plan.files,
    });
  }
  return result;
}

/** Converges one device: both phases back to back. */
export async function reconcileDevice(job: DeviceJob, opts: ReconcileOptions): Promise<DeviceResult> {
  const p = await prepareDevice(job, opts);
  return 'result' in p ? p.result : verifyAndConfirm(p.activated, opts);
}

/**
 * Reconciles many devices with bounded parallelism, commit-confirmed across the fleet: every changed device is first
 * activated (each under its own revert), then all are verified and confirmed, so that a session between two
 * changed devices can come up before either is checked. Results in the order given.
 */
export async function reconcileAll(jobs: readonly DeviceJob[], opts: ReconcileOptions): Promise<DeviceResult[]> {
  let done = 0;
  const limit = opts.concurrency ?? 16;
  const report = (r: DeviceResult) => {
    done++;
    opts.onDevice?.(r, done, jobs.length);
    return r;
  };
  // Neither phase ever rejects (failures are results), so every device is seen through.
  const first = await mapLimit(jobs, limit, async (j) => {
    const p = await prepareDevice(j, opts);
    if ('result' in p) report(p.result);
    return p;
  });
  const excused = new Set(first.filter((p): p is { result: DeviceResult } => 'result' in p && (p.result.outcome === 'unreachable' || p.result.outcome === 'rolled-back')).map((p) => p.result.id));
  return mapLimit(first, limit, async (p) => ('result' in p ? p.result : report(await verifyAndConfirm(p.activated, opts, excused))));
}
