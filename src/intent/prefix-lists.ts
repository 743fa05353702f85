import { formatPrefix, isDefaultRoute, parsePrefix, type Prefix } from '../net';
import type { PrefixList, PrefixListEntry } from './types';

/** Prefix lists and the small orderings every role builder shares. Pure. */

export function prefixList(name: string, family: 4 | 6, entries: Array<Omit<PrefixListEntry, 'seq'>>): PrefixList {
  // Every list ends in an explicit deny-all, so an empty permit set still exists in FRR and still denies.
  const last = entries[entries.length - 1];
  const endsInPermitAll = last !== undefined && last.action === 'permit' && isDefaultRoute(parsePrefix(last.prefix)) && last.le === maxLen(family);
  const all = endsInPermitAll ? entries : [...entries, { action: 'deny' as const, prefix: family === 4 ? '0.0.0.0/0' : '::/0', le: maxLen(family) }];
  return { name, family, entries: all.map((e, i) => ({ seq: (i + 1) * 5, ...e })) };
}

export function permitsExact(ps: Prefix[], family: 4 | 6): Array<Omit<PrefixListEntry, 'seq'>> {
  return ps.filter((p) => p.family === family).map((p) => ({ action: 'permit' as const, prefix: formatPrefix(p) }));
}

export function denyDefault(family: 4 | 6): Omit<PrefixListEntry, 'seq'> {
  return { action: 'deny', prefix: family === 4 ? '0.0.0.0/0' : '::/0' };
}

export function permitAny(family: 4 | 6): Omit<PrefixListEntry, 'seq'> {
  return { action: 'permit', prefix: family === 4 ? '0.0.0.0/0' : '::/0', le: maxLen(family) };
}

export function maxLen(family: 4 | 6): number {
  return family === 4 ? 32 : 128;
}

/** Max-prefix for a peer that announces exactly `n` prefixes: room for growth, but a leak still trips it. */
export function limitFor(n: number): number {
  return Math.max(10, 2 * n);
}

export function sortPrefixes(ps: readonly Prefix[]): Prefix[] {
  const seen = new Set<string>();
  const out: Prefix[] = [];
  for (const p of [...ps].sort((a, b) => a.family - b.family || (a.addr < b.addr ? -1 : a.addr > b.addr ? 1 : a.len - b.len))) {
    const k = formatPrefix(p);
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(p);
  }
  return out;
}

export function uniq<T>(xs: readonly T[]): T[] {
  return xs.filter((x, i) => xs.indexOf(x) === i);
}

export function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
