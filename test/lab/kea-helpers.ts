/**
 * The contract's transaction, driven the way the reconciler drives it, for the Kea lab tests (until the reconciler
 * of the driver contract is merged): read, diff, lock, stage, arm (the controller keeps the point), activate, verify,
 * confirm; a failed verification or activation rolls back with the kept point.
 */
import type { Candidate, CheckResult, Driver, RollbackPoint, SessionContext, Transport } from '../../src/devices/contract';

export interface TxResult {
  outcome: 'unchanged' | 'applied' | 'rolled-back' | 'refused';
  step?: string;
  reason?: string;
  checks?: CheckResult[];
}

export function sessionContext(deviceId: string, namespace: string, candidate: Candidate): SessionContext {
  return { deviceId, layout: { stateDir: '/var/lib/ggi', lockTtlS: 600, pathspace: namespace }, candidate, secrets: new Map() };
}

export async function transaction(
  driver: Driver,
  transport: Transport,
  ctx: SessionContext,
  opts: { verifyS?: number; keep?: (p: RollbackPoint | null) => void } = {},
): Promise<TxResult> {
  const s = driver.open(transport, ctx);
  const actual = await s.lock('test');
  if (driver.diff(ctx.candidate, actual).length === 0) {
    await s.unlock();
    return { outcome: 'unchanged' };
  }
  try {
    await s.stage();
  } catch (e) {
    await s.unlock();
    return { outcome: 'refused', step: 'stage', reason: (e as Error).message };
  }
  const point = await s.arm(60);
  opts.keep?.(point);
  try {
    await s.activate();
  } catch (e) {
    const r = await s.rollback(point);
    opts.keep?.(null);
    return { outcome: 'rolled-back', step: 'activate', reason: `${(e as Error).message}${r.restored ? '' : `; restore failed: ${r.detail}`}` };
  }
  const checks = await s.verify({ deadline: Date.now() + (opts.verifyS ?? 10) * 1000, excused: new Set(), intervalMs: 500 });
  if (!checks.every((c) => c.ok)) {
    const r = await s.rollback(point);
    opts.keep?.(null);
    return { outcome: 'rolled-back', step: 'verify', reason: r.restored ? 'verification failed' : `verification failed; restore failed: ${r.detail}`, checks };
  }
  const c = await s.confirm();
  opts.keep?.(null);
  if (!c.ok) return { outcome: 'rolled-back', step: 'confirm', reason: c.detail, checks };
  return { outcome: 'applied', checks };
}
