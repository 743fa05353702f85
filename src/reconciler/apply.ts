import { randomBytes } from 'node:crypto';
import { fileHashes, planDevice } from './plan';
import { activateScript, armScript, confirmScript, DEFAULT_LAYOUT, lockAndReadScript, parseRead, readScript, rollbackNowScript, stageScript, STATUS, unlockScript, validateScript, verifyScript, type DeviceLayout } from './scripts';
import { TransportError, type ExecResult, type Transport } from './transport';
import { evaluateCheck } from './verify';
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
  /** Per-device layout (e.g. lab devices that share one file system keep their state in their own folder). */
  layoutFor?: (deviceId: string) => DeviceLayout;
  /** Recorded in the lock and the journal. */
  operator: string;
  journal?: Journal;
  now?: () => Date;
  /** Called as each device finishes (progress display). */
  onDevice?: (result: DeviceResult, done: number, total: number) => void;
  /** Called as each device enters a step (progress display, tests). */
  onStep?: (deviceId: string, step: string) => void;
}

/** A device that has been activated and awaits verification and confirmation (its rollback timer is running). */
export interface Activated {
  desired: DesiredDevice;
  t: Transport;
  layout: DeviceLayout;
  actual: ActualState;
  plan: DevicePlan;
}

/** A step failed on the device; carries the step name and the device's own message. */
class StepError extends Error {
  constructor(readonly step: string, readonly status: number, message: string) {
    super(message);
  }
}

function sh(t: Transport, script: string, timeoutMs?: number): Promise<ExecResult> {
  return t.exec('sh -s', { stdin: script, timeoutMs });
}

function tail(text: string, lines = 12): string {
  return text.trim().split('\n').slice(-lines).join('\n');
}

async function must(t: Transport, step: string, script: string): Promise<ExecResult> {
  const r = await sh(t, script);
  if (r.code !== 0) throw new StepError(step, r.code, tail(r.stderr) || `${step} exited ${r.code}`);
  return r;
}

function layoutOf(opts: ReconcileOptions, id: string): DeviceLayout {
  return opts.layoutFor?.(id) ?? opts.layout ?? DEFAULT_LAYOUT;
}

/**
 * Phase one for a device, level-triggered: read and compare; only if something differs lock, re-read under the
 * lock, stage, validate, keep a rollback point with an armed on-device timer, and activate. Returns a final result
 * (unchanged, failed) or the activated device, still connected, for `verifyAndConfirm`. Never throws.
 */
export async function prepareDevice(desired: DesiredDevice, opts: ReconcileOptions): Promise<{ result: DeviceResult } | { activated: Activated }> {
  const layout = layoutOf(opts, desired.id);
  const confirmTimeoutS = opts.confirmTimeoutS ?? 120;
  const step = (s: string) => opts.onStep?.(desired.id, s);
  let t: Transport;
  step('connect');
  try {
    t = await opts.connect(desired.id);
  } catch (e) {
    return { result: { id: desired.id, changed: false, files: [], outcome: 'unreachable', step: 'connect', reason: reason(e) } };
  }
  let plan: DevicePlan = { id: desired.id, changed: false, files: [] };
  let actual: ActualState | null = null;
  let armed = false;
  let locked = false;
  let current = 'read';
  let keep = false;
  try {
    step('read');
    const r = await must(t, 'read', readScript(desired, layout));
    actual = parseRead(desired, r.stdout);
    plan = planDevice(desired, actual);
    if (opts.mode === 'plan' || !plan.changed) return { result: { ...plan, outcome: 'unchanged' } };

    // Something differs: take the lock and read again under it, so the change is made against what is really there.
    current = 'lock';
    step('lock');
    const l = await sh(t, lockAndReadScript(desired, `${opts.operator} pid ${process.pid}`, layout));
    if (l.code === STATUS.LOCKED) throw new StepError('lock', l.code, `the device is ${tail(l.stderr, 1)}`);
    if (l.code !== 0) throw new StepError('lock', l.code, tail(l.stderr));
    locked = true;
    actual = parseRead(desired, l.stdout);
    plan = planDevice(desired, actual);
    if (!plan.changed) {
      await must(t, 'unlock', unlockScript(desired, layout));
      return { result: { ...plan, outcome: 'unchanged' } };
    }

    current = 'stage';
    step('stage');
    await must(t, 'stage', stageScript(desired, layout));
    current = 'validate';
    step('validate');
    const v = await sh(t, validateScript(desired, layout));
    if (v.code !== 0) {
      await sh(t, unlockScript(desired, layout));
      return { result: finish(desired, opts, actual, plan, 'rolled-back', 'validate', `validation on the device failed, nothing was activated: ${tail(v.stderr)}`) };
    }

    current = 'arm';
    step('arm');
    await must(t, 'arm', armScript(desired, randomBytes(12).toString('hex'), confirmTimeoutS, layout));
    armed = true;

    current = 'activate';
    step('activate');
    const a = await sh(t, activateScript(desired, layout));
    if (a.code !== 0) return { result: await rollBack(t, layout, desired, opts, actual, plan, 'activate', tail(a.stderr)) };
    keep = true;
    return { activated: { desired, t, layout, actual, plan } };
  } catch (e) {
    return { result: await failed(t, layout, desired, opts, actual, plan, current, e, armed, locked) };
  } finally {
    if (!keep) await t.close().catch(() => undefined);
  }
}

/**
 * Phase two: verify (file checksums and command checks on the device, then FRR sessions and routes polled by the
 * controller), then confirm (cancel the timer, record the live state). A failed verification rolls back at once.
 * `failedPeers`: devices that failed in this run, whose sessions are not waited for. Never throws.
 */
export async function verifyAndConfirm(a: Activated, opts: ReconcileOptions, failedPeers: ReadonlySet<string> = new Set()): Promise<DeviceResult> {
  const { desired, t, layout, actual, plan } = a;
  const confirmTimeoutS = opts.confirmTimeoutS ?? 120;
  const defaultTimeoutS = opts.verifyTimeoutS ?? 60;
  const step = (s: string) => opts.onStep?.(desired.id, s);
  let current = 'verify';
  try {
    step('verify');
    const ver = await sh(t, verifyScript(desired, defaultTimeoutS));
    if (ver.code !== 0) return await rollBack(t, layout, desired, opts, actual, plan, 'verify', tail(ver.stderr));
    for (const check of desired.verify) {
      if (check.kind === undefined || check.kind === 'command') continue;
      const end = Date.now() + (check.timeoutS ?? defaultTimeoutS) * 1000;
      let missing: string[] = [];
      for (;;) {
        const r = await t.exec(check.argv.map(shellWord).join(' '));
        missing = evaluateCheck(check, r.stdout, failedPeers);
        if (missing.length === 0 || Date.now() >= end) break;
        await new Promise((res) => setTimeout(res, 1000));
      }
      if (missing.length > 0) return await rollBack(t, layout, desired, opts, actual, plan, 'verify', `verification failed: ${check.name}: missing ${missing.join(', ')}`);
    }

    current = 'confirm';
    step('confirm');
    const c = await sh(t, confirmScript(desired, layout));
    if (c.code === STATUS.ALREADY_ROLLED_BACK) {
      return finish(desired, opts, actual, plan, 'rolled-back', 'confirm', `verification took longer than the confirm timeout (${confirmTimeoutS} s): the device rolled back by itself`);
    }
    if (c.code !== 0) throw new StepError('confirm', c.code, tail(c.stderr));
    const live: Record<string, string> = {};
    for (const line of c.stdout.split('\n')) {
      const m = /^(\S+) ([0-9a-f]{64})$/.exec(line);
      if (m) live[m[1]] = m[2];
    }
    return finish(desired, opts, actual, plan, 'applied', undefined, undefined, live);
  } catch (e) {
    return failed(t, layout, desired, opts, actual, plan, current, e, true, true);
  } finally {
    await t.close().catch(() => undefined);
  }
}

function shellWord(s: string): string {
  return /^[A-Za-z0-9_/.,:=+@%-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

async function failed(t: Transport, layout: DeviceLayout, desired: DesiredDevice, opts: ReconcileOptions, actual: ActualState | null, plan: DevicePlan, current: string, e: unknown, armed: boolean, locked: boolean): Promise<DeviceResult> {
  const why = reason(e);
  const confirmTimeoutS = opts.confirmTimeoutS ?? 120;
  // A device-side step failed while the connection still works: roll back now rather than wait for the timer.
  if (e instanceof StepError && armed) return rollBack(t, layout, desired, opts, actual, plan, e.step, why);
  if (e instanceof StepError && locked) await sh(t, unlockScript(desired, layout)).catch(() => undefined);
  const lost = armed ? `; the device restores its previous files by itself within ${confirmTimeoutS} s` : '';
  const outcome = e instanceof TransportError || current === 'read' ? 'unreachable' : 'rolled-back';
  const stepName = e instanceof StepError ? e.step : current;
  if (opts.mode === 'apply' && current !== 'read') return finish(desired, opts, actual, plan, outcome, stepName, why + lost);
  return { ...plan, outcome, step: stepName, reason: why + lost };
}

async function rollBack(t: Transport, layout: DeviceLayout, desired: DesiredDevice, opts: ReconcileOptions, actual: ActualState | null, plan: DevicePlan, failedStep: string, why: string): Promise<DeviceResult> {
  opts.onStep?.(desired.id, 'rollback');
  let detail = '';
  let restoreFailed = false;
  try {
    const r = await sh(t, rollbackNowScript(layout));
    if (r.code !== 0) {
      restoreFailed = true;
      detail = `; re-activating the previous files reported: ${tail(r.stderr, 4)}`;
    }
  } catch (e) {
    detail = `; the immediate rollback could not run (${reason(e)}), the on-device timer restores the previous files`;
  }
  const result = finish(desired, opts, actual, plan, 'rolled-back', failedStep, `${failedStep} failed: ${why}${detail}`);
  return restoreFailed ? { ...result, restoreFailed } : result;
}

function finish(desired: DesiredDevice, opts: ReconcileOptions, actual: ActualState | null, plan: DevicePlan, outcome: DeviceResult['outcome'], step?: string, why?: string, live?: Record<string, string>): DeviceResult {
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
      ...(live && Object.keys(live).length ? { live } : {}),
      files: plan.files,
    });
  }
  return result;
}

function reason(e: unknown): string {
  if (e instanceof TransportError) return `${e.code}: ${e.message}`;
  return e instanceof Error ? e.message : String(e);
}

/** Converges one device: both phases back to back. */
export async function reconcileDevice(desired: DesiredDevice, opts: ReconcileOptions): Promise<DeviceResult> {
  const p = await prepareDevice(desired, opts);
  return 'result' in p ? p.result : verifyAndConfirm(p.activated, opts);
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

/**
 * Reconciles many devices with bounded parallelism, commit-confirmed across the fleet: every changed device is first
 * activated (each under its own rollback timer), then all are verified and confirmed, so that a BGP session between
 * two changed devices can come up before either is checked. Results in the order given.
 */
export async function reconcileAll(devices: readonly DesiredDevice[], opts: ReconcileOptions): Promise<DeviceResult[]> {
  let done = 0;
  const limit = opts.concurrency ?? 16;
  const report = (r: DeviceResult) => {
    done++;
    opts.onDevice?.(r, done, devices.length);
    return r;
  };
  const first = await pool(devices, limit, async (d) => {
    const p = await prepareDevice(d, opts);
    if ('result' in p) report(p.result);
    return p;
  });
  const failedPeers = new Set(first.filter((p): p is { result: DeviceResult } => 'result' in p && (p.result.outcome === 'unreachable' || p.result.outcome === 'rolled-back')).map((p) => p.result.id));
  return pool(first, limit, async (p) => ('result' in p ? p.result : report(await verifyAndConfirm(p.activated, opts, failedPeers))));
}
