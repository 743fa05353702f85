import { createHash } from 'node:crypto';

/** Linux limits interface names to 15 bytes (IFNAMSIZ - 1). */
export const IFNAMSIZ = 15;

/**
 * A stable interface name: `prefix + id` when it fits, else a truncated id plus a short hash of the whole id, so two
 * long ids that share a beginning still get different names, and a name never depends on other devices.
 */
export function ifName(prefix: string, id: string): string {
  const clean = id.toLowerCase().replace(/[^a-z0-9-]/g, '-');
  const full = prefix + clean;
  if (full.length <= IFNAMSIZ) return full;
  const hash = createHash('sha256').update(id).digest('hex').slice(0, 5);
  const room = IFNAMSIZ - prefix.length - hash.length - 1;
  return `${prefix}${clean.slice(0, Math.max(0, room)).replace(/-+$/, '')}-${hash}`;
}

/** Prefix-list names: upper-case, FRR-safe. */
export function listName(...parts: string[]): string {
  return parts
    .join('-')
    .toUpperCase()
    .replace(/[^A-Z0-9-]/g, '-');
}
