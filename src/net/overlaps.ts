import { prefixLast, type Prefix } from './prefix';

/**
 * The one overlap sweep of the checks, for both address families: sort the prefixes by family, address and length
 * (outer first), then walk them keeping a stack of the open enclosing prefixes. CIDR prefixes are nested or disjoint,
 * so every prefix left on the stack contains the current one, and `visit` sees exactly the overlapping pairs:
 * O(n log n + pairs).
 */
export function sweepOverlaps<T extends { readonly p: Prefix }>(items: readonly T[], visit: (outer: T, inner: T) => void, tieBreak?: (a: T, b: T) => number): void {
  const sorted = [...items].sort((x, y) => x.p.family - y.p.family || (x.p.addr < y.p.addr ? -1 : x.p.addr > y.p.addr ? 1 : x.p.len - y.p.len || (tieBreak ? tieBreak(x, y) : 0)));
  const stack: Array<{ item: T; last: bigint }> = [];
  for (const cur of sorted) {
    while (stack.length && (stack[stack.length - 1].item.p.family !== cur.p.family || stack[stack.length - 1].last < cur.p.addr)) stack.pop();
    for (const enc of stack) visit(enc.item, cur);
    stack.push({ item: cur, last: prefixLast(cur.p) });
  }
}
