import { randomBytes } from 'node:crypto';
import { fileHashes, planDevice } from './plan';
import { activateScript, armScript, confirmScript, DEFAULT_LAYOUT, lockAndReadScript, parseRead, readScript, rollbackNowScript, stageScript, STATUS, unlockScript, validateScript, verifyScript, type DeviceLayout } from './scripts';
import { TransportError, type ExecResult, type Transport } from './transport';
import type { Journal } from './journal';
import type { ActualState, DesiredDevice, DevicePlan, DeviceResult } from './types';

/** Opens a transport to a device (SSH in production; the caller decides the target and the pinned key). */
export type Connect = (deviceId: string) => Promise<Transport>;

export interface ReconcileOptions {
  /** 'plan' reads and compares only; 'apply' converges. */
  mode: 'plan' | 'apply';
  connect: Connect;
  concurrency?: number;
  /** Seconds the on-device timer waits for confirmation before it restores the rollback point. */
  confirmTimeoutS?: number;
  /** Default timeout of each verification check. */
  verifyTimeoutS?: number;
  layout?: DeviceLayout;
  /** Recorded in the lock and the journal. */
  operator: string;
  journal?: Journal;
  now?: () => Date;
  /** Called as each device finishes (progress display). */
  onDevice?: (result: DeviceResult, done: number, total: number) => void;
  /** Called as each device enters a step (progress display, tests). */
  onStep?: (deviceId: string, step: string) => void;
}

/** A step failed on the device; carries the step name and the device's own message. */
class StepError extends Error {
  constructor(readonly step: string, readonly status: number, message: string) {
    super(message);
  }
}

async function run(t: Transport, step: string, script: string, timeoutMs?: number): Promise<ExecResult> {
  return t.exec('sh -s', { stdin: script, timeoutMs });
}

function tail(text: string, lines = 12): string {
  const l = text.trim().split('\n');
  return l.slice(-lines).join('\n');
}

async function must(t: Transport, step: string, script: string, timeoutMs?: number): Promise<ExecResult> {
  const r = await run(t, step, script, timeoutMs);
  if (r.code !== 0) throw new StepError(step, r.code, tail(r.stderr) || `${step} exited ${r.code}`);
  return r;
}

/**
 * Converges one device, level-triggered: read, compare, and only if something differs lock, re-read, stage,
 * validate, keep a rollback point with an armed timer, activate, verify and confirm. Never throws: every failure
 * becomes an outcome with a reason.
 */
export async function reconcileDevice(desired: DesiredDevice, opts: ReconcileOptions): Promise<DeviceResult> {
  const layout = opts.layout ?? DEFAULT_LAYOUT;
  const confirmTimeoutS = opts.confirmTimeoutS ?? 120;
  const step = (s: string) => opts.onStep?.(desired.id, s);
  let t: Transport;
  step('connect');
  try {
    t = await opts.connect(desired.id);
  } catch (e) {
    return { id: desired.id, changed: false, files: [], outcome: 'unreachable', step: 'connect', reason: reason(e) };
  }
  let plan: DevicePlan = { id: desired.id, changed: false, files: [] };
  let actual: ActualState | null = null;
  let armed = false;
  let current = 'read';
  try {
    step('read');
    const r = await must(t, 'read', readScript(desired, layout));
    actual = parseRead(desired, r.stdout);
    plan = planDevice(desired, actual);
    if (opts.mode === 'plan' || !plan.changed) return { ...plan, outcome: 'unchanged' };

    // Something differs: take the lock and read again under it, so that the change is made against what is really there.
    current = 'lock';
    step('lock');
    const locked = await run(t, 'lock', lockAndReadScript(desired, `${opts.operator} pid ${process.pid}`, layout));
    if (locked.code === STATUS.LOCKED) throw new StepError('lock', locked.code, `the device is ${tail(locked.stderr, 1)}`);
    if (locked.code !== 0) throw new StepError('lock', locked.code, tail(locked.stderr));
    actual = parseRead(desired, locked.stdout);
    plan = planDevice(desired, actual);
    if (!plan.changed) {
      await must(t, 'unlock', unlockScript(layout));
      return { ...plan, outcome: 'unchanged' };
    }

    current = 'stage';
    step('stage');
    await must(t, 'stage', stageScript(desired, layout));
    current = 'validate';
    step('validate');
    const v = await run(t, 'validate', validateScript(desired, layout));
    if (v.code !== 0) {
      await run(t, 'unlock', unlockScript(layout));
      return finish(desired, opts, actual, plan, 'rolled-back', 'validate', `validation on the device failed, nothing was activated: ${tail(v.stderr)}`);
    }

    current = 'arm';
    step('arm');
    const token = randomBytes(12).toString('hex');
    await must(t, 'arm', armScript(desired, token, confirmTimeoutS, layout));
    armed = true;

    current = 'activate';
    step('activate');
    const a = await run(t, 'activate', activateScript(desired, layout));
    if (a.code !== 0) return await rollBack(t, desired, opts, actual, plan, 'activate', tail(a.stderr));

    current = 'verify';
    step('verify');
    const ver = await run(t, 'verify', verifyScript(desired, opts.verifyTimeoutS ?? 60));
    if (ver.code !== 0) return await rollBack(t, desired, opts, actual, plan, 'verify', tail(ver.stderr));

    current = 'confirm';
    step('confirm');
    const c = await run(t, 'confirm', confirmScript(desired, layout));
    if (c.code === STATUS.ALREADY_ROLLED_BACK) {
      return finish(desired, opts, actual, plan, 'rolled-back', 'confirm', `verification took longer than the confirm timeout (${confirmTimeoutS} s): the device rolled back by itself`);
    }
    if (c.code !== 0) throw new StepError('confirm', c.code, tail(c.stderr));
    return finish(desired, opts, actual, plan, 'applied');
  } catch (e) {
    const why = reason(e);
    if (e instanceof StepError && armed) return rollBack(t, desired, opts, actual, plan, e.step, why);
    const lostAfterArm = armed ? `; the device restores its previous files by itself within ${confirmTimeoutS} s` : '';
    const outcome = e instanceof TransportError ? 'unreachable' : 'rolled-back';
    if (!(e instanceof TransportError) && !armed && current !== 'read' && current !== 'lock') await run(t, 'unlock', unlockScript(layout)).catch(() => undefined);
    if (opts.mode === 'apply' && current !== 'read') return finish(desired, opts, actual, plan, outcome, e instanceof StepError ? e.step : current, why + lostAfterArm);
    return { ...plan, outcome, step: e instanceof StepError ? e.step : current, reason: why + lostAfterArm };
  } finally {
    await t.close().catch(() => undefined);
  }
}

async function rollBack(t: Transport, desired: DesiredDevice, opts: ReconcileOptions, actual: ActualState | null, plan: DevicePlan, failed: string, why: string): Promise<DeviceResult> {
  opts.onStep?.(desired.id, 'rollback');
  let detail = '';
  try {
    const r = await run(t, 'rollback', rollbackNowScript(opts.layout ?? DEFAULT_LAYOUT));
    if (r.code !== 0) detail = `; re-activating the previous files reported: ${tail(r.stderr, 4)}`;
  } catch (e) {
    detail = `; the immediate rollback could not run (${reason(e)}), the on-device timer restores the previous files`;
  }
  return finish(desired, opts, actual, plan, 'rolled-back', failed, `${failed} failed: ${why}${detail}`);
}

function finish(desired: DesiredDevice, opts: ReconcileOptions, actual: ActualState | null, plan: DevicePlan, outcome: DeviceResult['outcome'], step?: string, why?: string): DeviceResult {
  const result: DeviceResult = { ...plan, outcome, ...(step ? { step } : {}), ...(why ? { reason: why } : {}) };
  if (opts.journal) {
    const before = actual ? fileHashes(actual.files) : {};
    const wanted: Record<string, string | null> = {};
    for (const f of desired.files) wanted[f.path] = f.content;
    opts.journal.append({
      at: (opts.now ?? (() => new Date()))().toISOString(),
      operator: opts.operator,
      device: desired.id,
      outcome,
      ...(step ? { step } : {}),
      ...(why ? { reason: why } : {}),
      before,
      after: outcome === 'applied' ? fileHashes(wanted) : before,
      files: plan.files,
    });
  }
  return result;
}

function reason(e: unknown): string {
  if (e instanceof TransportError) return `${e.code}: ${e.message}`;
  return e instanceof Error ? e.message : String(e);
}

/** Runs `fn` over items with at most `limit` in flight; results in input order. */
export async function pool<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}

/** Reconciles many devices with bounded parallelism; results in the order given. */
export async function reconcileAll(devices: readonly DesiredDevice[], opts: ReconcileOptions): Promise<DeviceResult[]> {
  let done = 0;
  return pool(devices, opts.concurrency ?? 16, async (d) => {
    const r = await reconcileDevice(d, opts);
    done++;
    opts.onDevice?.(r, done, devices.length);
    return r;
  });
}
