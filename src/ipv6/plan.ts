import { contains, formatPrefix, NetError, parsePrefix, subnet, subnetIndex, supernet, type Prefix } from '../net';
import type { CategorySettings, OrgKind, Settings } from '../model/schema';
import type { NodePath } from '../model/source';

/**
 * The government IPv6 numbering plan (DOMAIN.md §1, §7) as data: a block per kind of organisation, the network
 * categories with their codes, and the layout of the bits between a block and an allocation (/46). Pure functions only.
 *
 * The default layout (11 organisation bits, then 2 category bits) is an assumption (§1.5): nothing here hard-codes it;
 * every position is computed from `layout`.
 */

export type PlanKind = OrgKind;
export const PLAN_KINDS: readonly PlanKind[] = ['gemeente', 'provincie', 'waterschap', 'samenwerkingsverband', 'leverancier'];

export interface PlanCategory {
  readonly name: string;
  readonly code: number;
  readonly internet: boolean;
  readonly description?: string;
}

export interface PlanBlock {
  /** The block's prefix, e.g. 2a07:3500::/33. */
  readonly prefix: Prefix;
  /** The kinds that share this block (provincies and waterschappen share 2a07:3501::/33). */
  readonly kinds: PlanKind[];
}

export interface NumberingPlan {
  readonly blocks: ReadonlyMap<PlanKind, Prefix>;
  /** Distinct blocks, in address order; slots are unique per block, not per kind. */
  readonly distinctBlocks: readonly PlanBlock[];
  readonly allocationLength: number;
  readonly organisationBits: number;
  readonly categoryBits: number;
  readonly order: 'organisation-category' | 'category-organisation';
  readonly layoutStatus: 'assumed' | 'confirmed';
  readonly categories: readonly PlanCategory[];
  readonly quarantineDays: number;
  readonly subAllocationLengths: readonly number[];
  readonly ripe: Settings['numberingPlan']['ripe'];
}

/** A reason the plan in ggi.yaml cannot be used, located at a path below `numberingPlan`. */
export interface PlanProblem {
  readonly code: string;
  readonly message: string;
  readonly path: NodePath;
}

/** Builds the plan from ggi.yaml settings; problems (inconsistent layout, duplicate codes) are returned, not thrown. */
export function planFromSettings(settings: Pick<Settings, 'numberingPlan'>): { plan: NumberingPlan; problems: PlanProblem[] } | { plan: null; problems: PlanProblem[] } {
  const np = settings.numberingPlan;
  const problems: PlanProblem[] = [];
  const blocks = new Map<PlanKind, Prefix>();
  for (const kind of PLAN_KINDS) {
    try {
      const p = parsePrefix(np.blocks[kind]);
      if (p.family !== 6) problems.push({ code: 'IPV6_PLAN', message: `the block of ${kind} must be an IPv6 prefix`, path: ['numberingPlan', 'blocks', kind] });
      else blocks.set(kind, p);
    } catch (e) {
      problems.push({ code: 'IPV6_PLAN', message: e instanceof NetError ? e.message : String(e), path: ['numberingPlan', 'blocks', kind] });
    }
  }
  const { organisationBits, categoryBits } = np.layout;
  for (const [kind, p] of blocks) {
    if (p.len + organisationBits + categoryBits !== np.allocationLength) {
      problems.push({
        code: 'IPV6_PLAN',
        message: `the layout does not add up for ${kind}: /${p.len} + ${organisationBits} organisation bits + ${categoryBits} category bits = /${p.len + organisationBits + categoryBits}, not /${np.allocationLength}`,
        path: ['numberingPlan', 'layout'],
      });
      break;
    }
  }
  // Distinct blocks must not overlap unless they are the same block (shared by several kinds).
  const distinct: PlanBlock[] = [];
  for (const kind of PLAN_KINDS) {
    const p = blocks.get(kind);
    if (!p) continue;
    const same = distinct.find((b) => b.prefix.addr === p.addr && b.prefix.len === p.len);
    if (same) {
      same.kinds.push(kind);
      continue;
    }
    const clash = distinct.find((b) => contains(b.prefix, p) || contains(p, b.prefix));
    if (clash) problems.push({ code: 'IPV6_PLAN', message: `the block of ${kind} (${formatPrefix(p)}) overlaps the block of ${clash.kinds.join('/')} (${formatPrefix(clash.prefix)})`, path: ['numberingPlan', 'blocks', kind] });
    distinct.push({ prefix: p, kinds: [kind] });
  }
  distinct.sort((a, b) => (a.prefix.addr < b.prefix.addr ? -1 : a.prefix.addr > b.prefix.addr ? 1 : 0));
  const seenNames = new Set<string>();
  const seenCodes = new Map<number, string>();
  np.categories.forEach((c: CategorySettings, i: number) => {
    if (seenNames.has(c.name)) problems.push({ code: 'IPV6_PLAN', message: `category '${c.name}' is declared twice`, path: ['numberingPlan', 'categories', i, 'name'] });
    seenNames.add(c.name);
    const other = seenCodes.get(c.code);
    if (other !== undefined) problems.push({ code: 'IPV6_PLAN', message: `categories '${other}' and '${c.name}' share code ${c.code}`, path: ['numberingPlan', 'categories', i, 'code'] });
    seenCodes.set(c.code, c.name);
    if (c.code >= 2 ** categoryBits) problems.push({ code: 'IPV6_PLAN', message: `category '${c.name}' has code ${c.code}, which does not fit in ${categoryBits} category bits (0-${2 ** categoryBits - 1})`, path: ['numberingPlan', 'categories', i, 'code'] });
  });
  if (np.categories.filter((c) => c.internet).length > 1) problems.push({ code: 'IPV6_PLAN', message: 'only one category can be the one used towards the internet (internet: true)', path: ['numberingPlan', 'categories'] });
  np.subAllocationLengths.forEach((len, i) => {
    if (len <= np.allocationLength) problems.push({ code: 'IPV6_PLAN', message: `sub-allocation length /${len} is not longer than the allocation length /${np.allocationLength}`, path: ['numberingPlan', 'subAllocationLengths', i] });
  });
  if (problems.length || blocks.size !== PLAN_KINDS.length) return { plan: null, problems };
  return {
    plan: {
      blocks,
      distinctBlocks: distinct,
      allocationLength: np.allocationLength,
      organisationBits,
      categoryBits,
      order: np.layout.order,
      layoutStatus: np.layout.status,
      categories: np.categories.map((c) => ({ name: c.name, code: c.code, internet: c.internet, ...(c.description ? { description: c.description } : {}) })),
      quarantineDays: np.quarantineDays,
      subAllocationLengths: [...np.subAllocationLengths].sort((a, b) => a - b),
      ripe: np.ripe,
    },
    problems,
  };
}

export function blockOf(plan: NumberingPlan, kind: PlanKind): Prefix {
  const b = plan.blocks.get(kind);
  if (!b) throw new NetError(`the numbering plan has no block for ${kind}`);
  return b;
}

/** The kinds that share `kind`'s block (slots are unique across them). */
export function kindsSharingBlock(plan: NumberingPlan, kind: PlanKind): PlanKind[] {
  const b = blockOf(plan, kind);
  return plan.distinctBlocks.find((d) => d.prefix.addr === b.addr && d.prefix.len === b.len)!.kinds;
}

export function category(plan: NumberingPlan, name: string): PlanCategory | undefined {
  return plan.categories.find((c) => c.name === name);
}

export function internetCategory(plan: NumberingPlan): PlanCategory | undefined {
  return plan.categories.find((c) => c.internet);
}

/** Number of organisation slots per block. */
export function slotCapacity(plan: NumberingPlan): number {
  return 2 ** plan.organisationBits;
}

/** Number of allocations (/46s) per block. */
export function allocationCapacity(plan: NumberingPlan, kind: PlanKind): bigint {
  return 1n << BigInt(plan.allocationLength - blockOf(plan, kind).len);
}

function checkSlot(plan: NumberingPlan, slot: number): void {
  if (!Number.isInteger(slot) || slot < 0 || slot >= slotCapacity(plan)) throw new NetError(`slot ${slot} is outside 0-${slotCapacity(plan) - 1} (${plan.organisationBits} organisation bits)`);
}

/**
 * The prefix holding all of a slot's categories (the /44 with the default layout). Null when the category bits come
 * first: then a slot's categories are spread over the block and share no prefix.
 */
export function slotPrefix(plan: NumberingPlan, kind: PlanKind, slot: number): Prefix | null {
  checkSlot(plan, slot);
  if (plan.order !== 'organisation-category') return null;
  const b = blockOf(plan, kind);
  return subnet(b, b.len + plan.organisationBits, BigInt(slot));
}

/** How the organisation bits and the category bits follow each other under a block (docs/inventory.md, numberingPlan). */
export interface AllocationLayout {
  readonly organisationBits: number;
  readonly categoryBits: number;
  readonly order: 'organisation-category' | 'category-organisation';
}

/**
 * The numbering-plan formula: the index of (slot, category code) among the allocation-sized subnets of its block,
 * (slot << categoryBits) | code in organisation-category order, (code << organisationBits) | slot otherwise.
 */
export function allocationIndex(layout: AllocationLayout, slot: number, code: number): bigint {
  return layout.order === 'organisation-category' ? (BigInt(slot) << BigInt(layout.categoryBits)) | BigInt(code) : (BigInt(code) << BigInt(layout.organisationBits)) | BigInt(slot);
}

/** The allocation (/46) of a slot for one category. */
export function categoryPrefix(plan: NumberingPlan, kind: PlanKind, slot: number, categoryName: string): Prefix {
  checkSlot(plan, slot);
  const c = category(plan, categoryName);
  if (!c) throw new NetError(`unknown network category '${categoryName}'`);
  const b = blockOf(plan, kind);
  return subnet(b, plan.allocationLength, allocationIndex(plan, slot, c.code));
}

/** Every allocation a slot can hold (one per category code value, declared or not): what a slot occupies. */
export function slotFootprint(plan: NumberingPlan, kind: PlanKind, slot: number): Prefix[] {
  const sp = slotPrefix(plan, kind, slot);
  if (sp) return [sp];
  const b = blockOf(plan, kind);
  const out: Prefix[] = [];
  for (let code = 0; code < 2 ** plan.categoryBits; code++) out.push(subnet(b, plan.allocationLength, allocationIndex(plan, slot, code)));
  return out;
}

/**
 * Where a prefix sits in the plan: its block's kinds, and, when it lies inside one allocation-sized position, the slot
 * and category code the layout gives that position. Null when it is outside every block.
 */
export function locate(plan: NumberingPlan, p: Prefix): { block: PlanBlock; slot: number | null; code: number | null } | null {
  const block = plan.distinctBlocks.find((b) => contains(b.prefix, p));
  if (!block) return null;
  if (p.len < plan.allocationLength) {
    if (plan.order === 'organisation-category' && p.len >= block.prefix.len + plan.organisationBits) {
      return { block, slot: Number(subnetIndex(block.prefix, supernet(p, block.prefix.len + plan.organisationBits))), code: null };
    }
    return { block, slot: null, code: null };
  }
  const index = Number(subnetIndex(block.prefix, supernet(p, plan.allocationLength)));
  const catMask = 2 ** plan.categoryBits - 1;
  const orgMask = 2 ** plan.organisationBits - 1;
  if (plan.order === 'organisation-category') return { block, slot: Math.floor(index / 2 ** plan.categoryBits), code: index & catMask };
  return { block, slot: index & orgMask, code: Math.floor(index / 2 ** plan.organisationBits) };
}

/** The plan's categories by name, for messages. */
export function categoryNames(plan: NumberingPlan): string {
  return plan.categories.map((c) => c.name).join(', ');
}
