import { prefixLast, type Prefix } from './prefix';

/**
 * The overlap sweeps of the checks, for both address families: sort the prefixes by family, address and length
 * (outer first), then walk them keeping a stack of the open enclosing prefixes. CIDR prefixes are nested or disjoint,
 * so every prefix left on the stack contains the current one.
 */

/** The items in sweep order: family, address, length (outer first), then `tieBreak`. A new array. */
export function sortForSweep<T extends { readonly p: Prefix }>(items: readonly T[], tieBreak?: (a: T, b: T) => number): T[] {
  return [...items].sort((x, y) => x.p.family - y.p.family || (x.p.addr < y.p.addr ? -1 : x.p.addr > y.p.addr ? 1 : x.p.len - y.p.len || (tieBreak ? tieBreak(x, y) : 0)));
}

/** `visit` sees exactly the overlapping pairs (outer, inner) of items already in sweep order: O(n + pairs). */
export function sweepSorted<T extends { readonly p: Prefix }>(sorted: readonly T[], visit: (outer: T, inner: T) => void): void {
  // Parallel arrays, not an object per item: a ledger may hold hundreds of thousands of prefixes.
  const stack: T[] = [];
  const lasts: bigint[] = [];
  for (const cur of sorted) {
    while (stack.length && (stack[stack.length - 1].p.family !== cur.p.family || lasts[lasts.length - 1] < cur.p.addr)) {
      stack.pop();
      lasts.pop();
    }
    for (const enc of stack) visit(enc, cur);
    stack.push(cur);
    lasts.push(prefixLast(cur.p));
  }
}

/** `visit` sees exactly the overlapping pairs (outer, inner): O(n log n + pairs). */
export function sweepOverlaps<T extends { readonly p: Prefix }>(items: readonly T[], visit: (outer: T, inner: T) => void, tieBreak?: (a: T, b: T) => number): void {
  sweepSorted(sortForSweep(items, tieBreak), visit);
}

/**
 * For each probe, the items that contain it (an equal prefix too), outermost first, in sweep order among equals;
 * `sorted` as sortForSweep leaves it. One merge of the items with the sorted probes: O(n + m log m + stack sizes).
 */
export function sweepContaining<T extends { readonly p: Prefix }, Q extends { readonly p: Prefix }>(sorted: readonly T[], probes: readonly Q[], visit: (probe: Q, containing: readonly T[]) => void): void {
  const order = sortForSweep(probes);
  const stack: T[] = [];
  const lasts: bigint[] = [];
  const closeBefore = (family: number, addr: bigint): void => {
    while (stack.length && (stack[stack.length - 1].p.family !== family || lasts[lasts.length - 1] < addr)) {
      stack.pop();
      lasts.pop();
    }
  };
  let i = 0;
  for (const q of order) {
    // Every item that sorts at or before the probe: smaller family or address, or the same address and no longer.
    while (i < sorted.length) {
      const p = sorted[i].p;
      if (p.family > q.p.family || (p.family === q.p.family && (p.addr > q.p.addr || (p.addr === q.p.addr && p.len > q.p.len)))) break;
      closeBefore(p.family, p.addr);
      stack.push(sorted[i]);
      lasts.push(prefixLast(p));
      i++;
    }
    closeBefore(q.p.family, q.p.addr);
    visit(q, stack);
  }
}
