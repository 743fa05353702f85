import { formatPrefix, makePrefix, parsePrefix, subnet } from '../net';
import { type AllocationLayout, allocationIndex } from '../ipv6/plan';

/**
 * Address arithmetic for generated inventories: where an organisation's /46 per category sits under the numbering-plan
 * layout of ggi.yaml, and deterministic carving of sub-prefixes. Pure functions over strings.
 */

export interface LayoutParams extends AllocationLayout {
  /** The block of the organisation's kind, e.g. 2a07:3500::/33. */
  readonly block: string;
  readonly allocationLength: number;
}

/** The /46 (allocationLength) of (slot, category code): src/ipv6's numbering-plan formula on a layout given as text. */
export function allocationPrefix(p: LayoutParams, slot: number, code: number): string {
  const block = parsePrefix(p.block);
  if (block.len + p.organisationBits + p.categoryBits !== p.allocationLength) throw new Error(`layout does not add up: /${block.len} + ${p.organisationBits} + ${p.categoryBits} != /${p.allocationLength}`);
  if (slot < 0 || slot >= 2 ** p.organisationBits) throw new Error(`slot ${slot} does not fit in ${p.organisationBits} bits`);
  if (code < 0 || code >= 2 ** p.categoryBits) throw new Error(`category code ${code} does not fit in ${p.categoryBits} bits`);
  return formatPrefix(subnet(block, p.allocationLength, allocationIndex(p, slot, code)));
}

/** The `index`-th subnet of length `len` inside `parent` (e.g. the first /48 of a /46, the 0x100-th /64 of a /48). */
export function sub(parent: string, len: number, index: number | bigint): string {
  return formatPrefix(subnet(parsePrefix(parent), len, BigInt(index)));
}

/** The `offset`-th address of a prefix, as a bare address (e.g. the second host of an IPv4 /29). */
export function hostAt(prefix: string, offset: number): string {
  const p = parsePrefix(prefix);
  const s = formatPrefix(makePrefix(p.family, p.addr + BigInt(offset), p.family === 4 ? 32 : 128));
  return s.slice(0, s.indexOf('/'));
}
