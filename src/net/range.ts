import { checkFamily, checkValue, familyBits, formatAddress, NetError, type Family } from './address';
import type { Prefix } from './prefix';

/** The number of bits of a non-negative value (0 for 0). */
function bitLength(x: bigint): number {
  // Most values fit a double exactly: count bits there, not in a 128-digit binary string (the policy engine's
  // nftables output decomposes every address range it prints).
  if (x <= 0xffffffffn) return 32 - Math.clz32(Number(x));
  const h = x.toString(16);
  return (h.length - 1) * 4 + 32 - Math.clz32(parseInt(h[0], 16));
}

/**
 * The minimal CIDR cover of the inclusive range [lo, hi]: each step takes the largest aligned block starting at lo that
 * stays within hi (greedy is optimal for a single range). Empty when lo > hi.
 */
export function rangeToPrefixes(family: Family, lo: bigint, hi: bigint): Prefix[] {
  checkFamily(family);
  checkValue(family, lo);
  checkValue(family, hi);
  const bits = familyBits(family);
  const out: Prefix[] = [];
  let cur = lo;
  while (cur <= hi) {
    // Alignment of cur: index of its lowest set bit (0 is aligned to everything).
    const align = cur === 0n ? bits : bitLength(cur & -cur) - 1;
    const fit = bitLength(hi - cur + 1n) - 1;
    const k = Math.min(align, fit);
    out.push({ family, addr: cur, len: bits - k });
    cur += 1n << BigInt(k);
  }
  return out;
}

/** Readable form of a range: 'a' for one address, 'a-b' otherwise. */
export function formatRange(family: Family, lo: bigint, hi: bigint): string {
  if (lo > hi) throw new NetError(`empty range ${formatAddress(family, lo)}-${formatAddress(family, hi)}`);
  return lo === hi ? formatAddress(family, lo) : `${formatAddress(family, lo)}-${formatAddress(family, hi)}`;
}
