import type { ActualState, Candidate, CheckResult, DocumentDiff, Driver, Session } from '../../src/devices/contract';

/**
 * The contract's transaction for one device, step by step as src/devices/contract.ts draws it (read, diff, lock, read,
 * stage, arm, activate, verify, confirm; a failure after arm rolls back). Tests drive a driver with it before the
 * platform-neutral reconciler does; `onStep` lets a test stop at a step.
 */
export interface TxResult {
  outcome: 'unchanged' | 'applied' | 'refused' | 'rolled-back';
  step?: string;
  detail?: string;
  diff: DocumentDiff[];
  checks: CheckResult[];
}

export async function runTransaction(driver: Driver, session: Session, candidate: Candidate, opts: { revertInS?: number; verifyS?: number; onStep?: (step: string) => Promise<void> | void } = {}): Promise<TxResult> {
  const step = async (s: string) => opts.onStep?.(s);
  await step('read');
  let actual: ActualState = await session.read();
  let diff = driver.diff(candidate, actual);
  if (diff.length === 0) return { outcome: 'unchanged', diff, checks: [] };
  await step('lock');
  actual = await session.lock(`test pid ${process.pid}`);
  diff = driver.diff(candidate, actual);
  await step('stage');
  try {
    await session.stage();
  } catch (e) {
    await session.unlock();
    return { outcome: 'refused', step: 'stage', detail: (e as Error).message, diff, checks: [] };
  }
  await step('arm');
  const point = await session.arm(opts.revertInS ?? 120);
  await step('activate');
  try {
    await session.activate();
  } catch (e) {
    await session.rollback(point);
    return { outcome: 'rolled-back', step: 'activate', detail: (e as Error).message, diff, checks: [] };
  }
  await step('verify');
  const checks = await session.verify({ deadline: Date.now() + (opts.verifyS ?? 60) * 1000, excused: new Set(), intervalMs: 500 });
  if (checks.some((c) => !c.ok)) {
    const rb = await session.rollback(point);
    return { outcome: 'rolled-back', step: 'verify', detail: `${checks.filter((c) => !c.ok).map((c) => c.detail ?? c.name).join('; ')}${rb.restored ? '' : `; restore: ${rb.detail}`}`, diff, checks };
  }
  await step('confirm');
  const c = await session.confirm();
  if (!c.ok) return { outcome: 'rolled-back', step: 'confirm', detail: c.detail, diff, checks };
  return { outcome: 'applied', diff, checks };
}
