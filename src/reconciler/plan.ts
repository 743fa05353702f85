import { createHash } from 'node:crypto';
import { unifiedDiff } from './diff';
import type { ActualState, DesiredDevice, DevicePlan, FileChange } from './types';

/** The pseudo-path under which a drifted live probe appears in a plan (the files are equal, the live state is not). */
export function livePath(probe: string): string {
  return `live:${probe}`;
}

/** The pseudo-path reported while an unconfirmed apply's rollback timer is still pending on the device. */
export const PENDING_ROLLBACK = 'state:pending-rollback';

export function sha256(text: string | null): string | null {
  return text === null ? null : createHash('sha256').update(text, 'utf8').digest('hex');
}

/**
 * Compares what a device should have with what it has. Pure and deterministic: files in path order, then live probes
 * in name order. A live probe counts only once ggi has recorded it (at a confirmed apply): a hand edit of the running
 * ruleset or FRR config is then drift even when the files on disk are untouched.
 */
export function planDevice(desired: DesiredDevice, actual: ActualState): DevicePlan {
  const files: FileChange[] = [];
  for (const f of [...desired.files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    const have = actual.files[f.path] ?? null;
    if (have !== f.content) files.push({ path: f.path, diff: unifiedDiff(f.path, have, f.content) });
  }
  for (const p of [...desired.live].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const recorded = actual.recordedLive[p.name] ?? null;
    const now = actual.live[p.name];
    // The diff reads as "what apply will do": from the live state now back to what was applied.
    if (recorded !== null && now !== undefined && recorded !== now) files.push({ path: livePath(p.name), diff: unifiedDiff(livePath(p.name), now, recorded) });
  }
  if (actual.pendingRollback) files.push({ path: PENDING_ROLLBACK, diff: 'an earlier apply was never confirmed: the device restores its previous files when its rollback timer fires\n' });
  return { id: desired.id, changed: files.length > 0, files };
}

/** Per-file hashes, for the journal (before/after). */
export function fileHashes(files: Record<string, string | null>): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const k of Object.keys(files).sort()) out[k] = sha256(files[k]);
  return out;
}
