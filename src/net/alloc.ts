import { checkLength, familyBits, NetError, type Family } from './address';
import { formatPrefix, prefixLast, type Prefix } from './prefix';
import { IntervalSet } from './intervalset';

/**
 * The minimal exact cover of the given prefixes: duplicates and contained prefixes dropped, siblings merged.
 * IPv4 first, then IPv6, each sorted by address.
 */
export function aggregate(ps: readonly Prefix[]): Prefix[] {
  const out: Prefix[] = [];
  for (const f of [4, 6] as const) {
    const mine = ps.filter((p) => p.family === f);
    if (mine.length) out.push(...IntervalSet.fromPrefixes(f, mine).toPrefixes());
  }
  return out;
}

export interface FirstFreeOptions {
  /**
   * IPv6 only: prefer a candidate whose reverse-DNS zone block (the enclosing prefix at the nibble boundary at or above
   * `len`, e.g. the /44 around a /46) holds no used prefix, so the new prefix gets ip6.arpa zones of its own.
   * Falls back to the lowest free candidate when no such block is free. No effect when `len` is a multiple of 4.
   */
  readonly preferNibble?: boolean;
  /** Further prefixes that must not be overlapped (e.g. reserved ranges), treated like `used`. */
  readonly skip?: readonly Prefix[];
}

/**
 * The lowest /len subnet of `parent` that overlaps none of `used` (nor `skip`); null when the parent is full.
 * Prefixes of the other family are ignored. Sorts the blockers once and sweeps: O(n log n) in the number of blockers.
 * NetError when `len` is shorter than the parent or too long for the family.
 */
export function firstFree(parent: Prefix, len: number, used: readonly Prefix[], opts: FirstFreeOptions = {}): Prefix | null {
  checkLength(parent.family, len, 'subnet length');
  if (len < parent.len) throw new NetError(`a /${len} does not fit inside ${formatPrefix(parent)}`);
  const blockers = sortedBlockers(parent, [used, opts.skip ?? []]);
  if (opts.preferNibble && parent.family === 6) {
    const zoneLen = Math.floor(len / 4) * 4;
    if (zoneLen < len && zoneLen >= parent.len) {
      const zone = sweep(parent, zoneLen, blockers);
      if (zone) return { family: parent.family, addr: zone.addr, len };
    }
  }
  return sweep(parent, len, blockers);
}

/** Blockers of the parent's family that overlap it, clipped to it, sorted by start. */
function sortedBlockers(parent: Prefix, lists: ReadonlyArray<readonly Prefix[]>): Array<readonly [bigint, bigint]> {
  const pLo = parent.addr;
  const pHi = prefixLast(parent);
  const out: Array<readonly [bigint, bigint]> = [];
  for (const list of lists) {
    for (const u of list) {
      if (u.family !== parent.family) continue;
      const lo = u.addr;
      const hi = prefixLast(u);
      if (hi < pLo || lo > pHi) continue;
      out.push([lo < pLo ? pLo : lo, hi > pHi ? pHi : hi]);
    }
  }
  out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return out;
}

function sweep(parent: Prefix, len: number, blockers: ReadonlyArray<readonly [bigint, bigint]>): Prefix | null {
  const size = 1n << BigInt(familyBits(parent.family) - len);
  const last = prefixLast(parent);
  let cand = parent.addr;
  for (const [lo, hi] of blockers) {
    if (hi < cand) continue;
    if (lo > cand + size - 1n) break;
    // The blocker hits the candidate: the next candidate is the first aligned block after it.
    cand = ((hi + size) / size) * size;
    if (cand + size - 1n > last) return null;
  }
  return cand + size - 1n <= last ? { family: parent.family as Family, addr: cand, len } : null;
}
