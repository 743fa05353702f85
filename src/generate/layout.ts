import { formatPrefix, makePrefix, parsePrefix, subnet } from '../net';

/**
 * Address arithmetic for generated inventories: where an organisation's /46 per category sits under the numbering-plan
 * layout of ggi.yaml, and deterministic carving of sub-prefixes. Pure functions over strings.
 */

export interface LayoutParams {
  /** The block of the organisation's kind, e.g. 2a07:3500::/33. */
  readonly block: string;
  readonly allocationLength: number;
  readonly organisationBits: number;
  readonly categoryBits: number;
  readonly order: 'organisation-category' | 'category-organisation';
}

/**
 * The /46 (allocationLength) of (slot, category code):
 * block base + ((slot << categoryBits) | code) << (128 - allocationLength) for organisation-category order,
 * block base + ((code << organisationBits) | slot) << (128 - allocationLength) for category-organisation.
 */
export function allocationPrefix(p: LayoutParams, slot: number, code: number): string {
  const block = parsePrefix(p.block);
  if (block.len + p.organisationBits + p.categoryBits !== p.allocationLength) throw new Error(`layout does not add up: /${block.len} + ${p.organisationBits} + ${p.categoryBits} != /${p.allocationLength}`);
  if (slot < 0 || slot >= 2 ** p.organisationBits) throw new Error(`slot ${slot} does not fit in ${p.organisationBits} bits`);
  if (code < 0 || code >= 2 ** p.categoryBits) throw new Error(`category code ${code} does not fit in ${p.categoryBits} bits`);
  const index = p.order === 'organisation-category' ? (BigInt(slot) << BigInt(p.categoryBits)) | BigInt(code) : (BigInt(code) << BigInt(p.organisationBits)) | BigInt(slot);
  return formatPrefix(makePrefix(6, block.addr + (index << BigInt(128 - p.allocationLength)), p.allocationLength));
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
