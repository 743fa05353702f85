import { unifiedDiff } from '../util/diff';
import type { ActualState, Candidate, DocumentDiff } from './contract';

/** The plan path of a drifted live view (the documents are equal, the running state is not). */
export function livePath(view: string): string {
  return `live:${view}`;
}

/** The plan path reported while an unconfirmed apply's revert is still pending. */
export const PENDING_ROLLBACK = 'state:pending-rollback';

function byKey<T>(key: (x: T) => string): (a: T, b: T) => number {
  return (a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);
}

/**
 * The diff every driver can use (`Driver.diff`): each candidate document against the device's, in location order;
 * documents the device has that the candidate lacks (to be removed); then live views in name order, which count only
 * once ggi has recorded them at a confirmed apply (a hand change of the running state is then drift even when every
 * document is unchanged); then a pending rollback. Pure and deterministic. Each diff reads as "what apply will do".
 */
export function standardDiff(candidate: Candidate, actual: ActualState): DocumentDiff[] {
  const out: DocumentDiff[] = [];
  const wanted = new Map(candidate.documents.map((d) => [d.name, d]));
  const docs = [...actual.documents];
  for (const d of candidate.documents) if (!docs.some((a) => a.name === d.name)) docs.push({ name: d.name, location: d.name, content: null });
  for (const a of docs.sort(byKey((x) => x.location))) {
    const want = wanted.get(a.name)?.content ?? null;
    if (a.content !== want) out.push({ path: a.location, diff: unifiedDiff(a.location, a.content, want) });
  }
  for (const v of [...actual.live].sort(byKey((x) => x.name))) {
    if (v.recorded !== null && v.recorded !== v.now) out.push({ path: livePath(v.name), diff: unifiedDiff(livePath(v.name), v.now, v.recorded) });
  }
  if (actual.pendingRollback) out.push({ path: PENDING_ROLLBACK, diff: 'an earlier apply was never confirmed: its rollback point is restored when its revert runs\n' });
  return out;
}
