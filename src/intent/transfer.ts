import { createHash } from 'node:crypto';
import { formatAddress, prefixFirst, subnet, subnetCount, type Prefix } from '../net';

/**
 * Deterministic transfer networks (RFC 3021 /31 for IPv4, RFC 6164 /127 for IPv6).
 *
 * A link's slot comes from a hash of its stable key (the sorted device pair), not from the order in which links are
 * met, so adding a gemeente does not renumber anyone else. Two keys that hash to the same slot are resolved by linear
 * probing in (home slot, key) order: a new link can only move an existing one if both land in the same occupied run of
 * slots, which in a sparse pool (a /16 holds 32,768 links) is rare, and even then the result depends only on the set
 * of keys, never on iteration order. Both families use the same slot index, so the v4 and v6 ends of a link line up.
 */

export interface TransferNet {
  key: string;
  slot: number;
  v4: { prefix: Prefix; low: string; high: string; len: 31 };
  v6: { prefix: Prefix; low: string; high: string; len: 127 };
}

export class TransferPoolExhausted extends Error {}

export function linkKey(a: string, b: string): string {
  return a < b ? `${a}|${b}` : `${b}|${a}`;
}

function homeSlot(key: string, slots: bigint): bigint {
  const h = createHash('sha256').update(key).digest();
  return h.readBigUInt64BE(0) % slots;
}

/** Allocates one /31 + /127 per key. Throws TransferPoolExhausted when there are more keys than slots. */
export function allocateTransfers(keys: readonly string[], pool4: Prefix, pool6: Prefix): Map<string, TransferNet> {
  if (pool4.len > 31) throw new TransferPoolExhausted(`the IPv4 transfer pool is smaller than a /31`);
  if (pool6.len > 127) throw new TransferPoolExhausted(`the IPv6 transfer pool is smaller than a /127`);
  const c4 = subnetCount(pool4, 31);
  const c6 = subnetCount(pool6, 127);
  const slots = c4 < c6 ? c4 : c6;
  const unique = [...new Set(keys)];
  if (BigInt(unique.length) > slots) {
    throw new TransferPoolExhausted(`${unique.length} transfer networks are needed but the pools hold only ${slots}`);
  }
  const claims = unique.map((key) => ({ key, home: homeSlot(key, slots) }));
  claims.sort((a, b) => (a.home < b.home ? -1 : a.home > b.home ? 1 : a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const taken = new Set<bigint>();
  const out = new Map<string, TransferNet>();
  for (const c of claims) {
    let s = c.home;
    while (taken.has(s)) s = (s + 1n) % slots;
    taken.add(s);
    const p4 = subnet(pool4, 31, s);
    const p6 = subnet(pool6, 127, s);
    const f4 = prefixFirst(p4);
    const f6 = prefixFirst(p6);
    out.set(c.key, {
      key: c.key,
      slot: Number(s),
      v4: { prefix: p4, low: formatAddress(4, f4), high: formatAddress(4, f4 + 1n), len: 31 },
      v6: { prefix: p6, low: formatAddress(6, f6), high: formatAddress(6, f6 + 1n), len: 127 },
    });
  }
  return out;
}
