import { contains, firstFree, formatPrefix, keepPrefix, keptPrefix, NetError, overlaps, parsePrefix, prefixLast, subnet, tryParsePrefix, type KeptPrefix, type Prefix } from '../net';
import type { LedgerEntryDecl, LedgerSlotDecl } from '../model/schema';
import type { Inventory } from '../model/inventory';
import type { NodePath } from '../model/source';
import { blockOf, category, categoryNames, categoryPrefix, kindsSharingBlock, locate, slotCapacity, type NumberingPlan, type PlanKind } from './plan';

/**
 * Ledger semantics, pure: which entries are active, what an organisation holds, and how `allocate` and `release`
 * change a ledger. Works on the raw ledger (`LedgerDecl`) and on the loaded one (`inv.ledger`), whose entries carry
 * extra fields (`loc`, `index`) that are ignored here.
 *
 * Rules (DOMAIN.md §1.3, §7):
 * - Entries are never deleted: a release marks an entry `quarantined` with a reason and the end of the quarantine.
 * - Prefixes imported from Logius (`source: logius`) always win: allocation never overlaps them and returns them when
 *   the organisation asks for their category.
 * - An organisation gets one stable slot per block, recorded in `slots`; all its categories sit in that slot.
 * - A quarantined prefix is not handed out again before its quarantine ends.
 */

export interface LedgerData {
  readonly version?: 1;
  readonly slots: readonly LedgerSlotDecl[];
  readonly entries: readonly LedgerEntryDecl[];
}

/** The inventory with its ledger replaced by `data` (entries located in the ledger file, for findings). Pure. */
export function withLedger(inv: Inventory, data: LedgerData): Inventory {
  const file = inv.ledger.file;
  return {
    ...inv,
    ledger: {
      file,
      slots: data.slots.map((s, i) => ({ ...s, loc: { file, path: ['slots', i] } })),
      entries: data.entries.map((e, i) => ({ ...e, index: i, loc: { file, path: ['entries', i] } })),
    },
  };
}

/** Why a request cannot be met; `settingsPath` points into ggi.yaml when the cause is there (unknown category, …). */
export interface LedgerProblem {
  readonly code: string;
  readonly message: string;
  readonly settingsPath?: NodePath;
}

export interface LedgerChanges {
  /** Entries appended at the end, in order. */
  readonly added: LedgerEntryDecl[];
  /** Slots appended at the end, in order. */
  readonly addedSlots: LedgerSlotDecl[];
  /** Existing entries replaced, by index. */
  readonly updated: Array<{ index: number; entry: LedgerEntryDecl }>;
}

export type LedgerResult =
  | { ok: true; ledger: LedgerData; entry: LedgerEntryDecl; created: boolean; changes: LedgerChanges }
  | { ok: false; problem: LedgerProblem };

export interface AllocationRequest {
  readonly organisation: string;
  readonly kind: PlanKind;
  readonly category: string;
  /** Default: the plan's allocation length (/46). Longer: a sub-allocation inside the organisation's /46. */
  readonly length?: number;
  readonly purpose?: string;
  /**
   * Prefixes the organisation already uses outside the ledger (its segments in its file). A sub-allocation never
   * overlaps them: it hands out space that nothing numbers yet.
   */
  readonly inUse?: readonly string[];
}

export interface ReleaseRequest {
  readonly organisation: string;
  readonly prefix: string;
  readonly reason: string;
}

export function isActive(e: Pick<LedgerEntryDecl, 'status'>): boolean {
  return e.status !== 'quarantined';
}

/** The instant a quarantine ends: the start (00:00 UTC) of `quarantineUntil`. */
export function quarantineEnd(e: LedgerEntryDecl): Date | null {
  return e.released ? new Date(`${e.released.quarantineUntil}T00:00:00Z`) : null;
}

export function inQuarantine(e: LedgerEntryDecl, now: Date): boolean {
  if (e.status !== 'quarantined') return false;
  const end = quarantineEnd(e);
  return end === null || now.getTime() < end.getTime();
}

/**
 * Whether an entry still holds its space against other allocations at `now`: active entries, entries in quarantine,
 * and every Logius-issued entry (imported data always wins).
 */
export function occupies(e: LedgerEntryDecl, now: Date): boolean {
  return isActive(e) || e.source === 'logius' || inQuarantine(e, now);
}

/**
 * The entry's prefix, parsed once per entry object (entries are immutable data) and kept on it (src/net/kept.ts; the
 * ledger's schema check keeps the parse it made). Throws NetError when the text is no prefix at all.
 */
function parsedOf(e: LedgerEntryDecl): KeptPrefix {
  const kept = keptPrefix(e, e.prefix);
  if (kept !== undefined) return kept;
  const strict = tryParsePrefix(e.prefix);
  if (!(strict instanceof NetError)) return keepPrefix(e, e.prefix, strict, true);
  return keepPrefix(e, e.prefix, parsePrefix(e.prefix, { strict: false }), false);
}

/** The entry's prefix (host bits masked off), parsed once per entry object. */
export function entryPrefix(e: LedgerEntryDecl): Prefix {
  return parsedOf(e).p;
}

/** The entry's prefix when its text is exactly a prefix (strict parsing accepts it), else null. Never throws. */
export function exactEntryPrefix(e: LedgerEntryDecl): Prefix | null {
  const kept = keptPrefix(e, e.prefix);
  if (kept !== undefined) return kept.exact ? kept.p : null;
  try {
    const x = parsedOf(e);
    return x.exact ? x.p : null;
  } catch (err) {
    if (err instanceof NetError) return null;
    throw err;
  }
}

/** Whether the entry shares an address with [lo, hi] (same family assumed: the ledger is IPv6). */
function entryHits(e: LedgerEntryDecl, lo: bigint, hi: bigint): boolean {
  const p = parsedOf(e).p;
  return p.family === 6 && p.addr <= hi && prefixLast(p) >= lo;
}

export function activeEntries<E extends LedgerEntryDecl>(ledger: { entries: readonly E[] }): E[] {
  return ledger.entries.filter(isActive);
}

/** Every entry of an organisation (active and quarantined), in ledger order. */
export function organisationEntries<E extends LedgerEntryDecl>(ledger: { entries: readonly E[] }, organisation: string): E[] {
  return ledger.entries.filter((e) => e.organisation === organisation);
}

/** The organisation's top-level allocation (the /46, or a justified larger block) for a category; Logius-issued first. */
export function heldAllocation<E extends LedgerEntryDecl>(ledger: { entries: readonly E[] }, organisation: string, categoryName: string): E | undefined {
  const held = ledger.entries.filter((e) => e.organisation === organisation && e.category === categoryName && isActive(e) && !e.parent);
  return held.find((e) => e.source === 'logius') ?? held[0];
}

/** The organisation's slot in the block of `kind` (slots are shared by the kinds that share a block). */
export function slotOf(ledger: LedgerData, plan: NumberingPlan, organisation: string, kind: PlanKind): LedgerSlotDecl | undefined {
  const kinds = kindsSharingBlock(plan, kind);
  return ledger.slots.find((s) => s.organisation === organisation && kinds.includes(s.block as PlanKind));
}

/** ISO timestamp without milliseconds: what the ledger records. */
export function stamp(now: Date): string {
  return now.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function addDays(now: Date, days: number): string {
  return new Date(now.getTime() + days * 86_400_000).toISOString().slice(0, 10);
}

/** Slots in `kind`'s block that cannot be given to `organisation`: recorded for others, or touched by others' space. */
function takenSlots(ledger: LedgerData, plan: NumberingPlan, kind: PlanKind, organisation: string, now: Date): Set<number> {
  const kinds = kindsSharingBlock(plan, kind);
  const block = blockOf(plan, kind);
  const taken = new Set<number>();
  for (const s of ledger.slots) if (kinds.includes(s.block as PlanKind) && s.organisation !== organisation) taken.add(s.slot);
  const shift = BigInt(128 - plan.allocationLength);
  const blockLast = prefixLast(block);
  const total = 2 ** (plan.allocationLength - block.len);
  for (const e of ledger.entries) {
    if (e.organisation === organisation || !occupies(e, now) || !entryHits(e, block.addr, blockLast)) continue;
    const p = parsedOf(e).p;
    const last = prefixLast(p);
    // The range of allocation positions (/46 indexes) the entry touches, clipped to the block.
    const lo = Number(((p.addr < block.addr ? block.addr : p.addr) - block.addr) >> shift);
    const hi = Number(((last > blockLast ? blockLast : last) - block.addr) >> shift);
    if (hi - lo + 1 >= total) {
      for (let s = 0; s < slotCapacity(plan); s++) taken.add(s);
      break;
    }
    for (let i = lo; i <= hi; i++) {
      taken.add(plan.order === 'organisation-category' ? Math.floor(i / 2 ** plan.categoryBits) : i % 2 ** plan.organisationBits);
    }
  }
  return taken;
}

function problem(code: string, message: string, settingsPath?: NodePath): { ok: false; problem: LedgerProblem } {
  return { ok: false, problem: { code, message, ...(settingsPath ? { settingsPath } : {}) } };
}

/**
 * Allocates per the numbering plan. Idempotent: what the organisation already holds in that category (or, for a
 * sub-allocation, a prefix of that length with that purpose) is returned with `created: false`.
 */
export function allocate(ledger: LedgerData, req: AllocationRequest, plan: NumberingPlan, now: Date, who: string): LedgerResult {
  const cat = category(plan, req.category);
  if (!cat) return problem('IPV6_UNKNOWN_CATEGORY', `unknown network category '${req.category}' (the plan has: ${categoryNames(plan)})`, ['numberingPlan', 'categories']);
  const length = req.length ?? plan.allocationLength;
  if (length !== plan.allocationLength) {
    if (!plan.subAllocationLengths.includes(length)) {
      return problem('IPV6_LENGTH_NOT_ALLOWED', `length /${length} is not allowed: an organisation gets a /${plan.allocationLength} per category, sub-allocated as ${plan.subAllocationLengths.map((l) => `/${l}`).join(', ')}`, ['numberingPlan', 'subAllocationLengths']);
    }
    return subAllocate(ledger, req, length, plan, now, who);
  }

  const held = heldAllocation(ledger, req.organisation, cat.name);
  if (held) return { ok: true, ledger, entry: held, created: false, changes: { added: [], addedSlots: [], updated: [] } };

  const block = blockOf(plan, req.kind);
  const addedSlots: LedgerSlotDecl[] = [];
  let slot = slotOf(ledger, plan, req.organisation, req.kind)?.slot;
  if (slot === undefined) {
    const taken = takenSlots(ledger, plan, req.kind, req.organisation, now);
    // An organisation that holds Logius-issued prefixes at layout positions keeps that slot, so its categories stay together.
    for (const e of ledger.entries) {
      if (e.organisation !== req.organisation || e.source !== 'logius') continue;
      const at = locate(plan, entryPrefix(e));
      if (at && contains(block, entryPrefix(e)) && at.slot !== null && !taken.has(at.slot)) {
        const c = category(plan, e.category);
        if (at.code === null || (c && c.code === at.code)) {
          slot = at.slot;
          break;
        }
      }
    }
    if (slot === undefined) {
      for (let s = 0; s < slotCapacity(plan); s++) {
        if (!taken.has(s)) {
          slot = s;
          break;
        }
      }
    }
    if (slot === undefined) {
      return problem('IPV6_BLOCK_EXHAUSTED', `the ${req.kind} block ${formatPrefix(block)} has no free organisation slot left (${slotCapacity(plan)} slots); Logius must issue further space (N2 rule 7)`, ['numberingPlan', 'blocks', req.kind]);
    }
    addedSlots.push({ organisation: req.organisation, block: req.kind, slot });
  }

  const candidate = categoryPrefix(plan, req.kind, slot, cat.name);
  const candLast = prefixLast(candidate);
  for (const e of ledger.entries) {
    if (!entryHits(e, candidate.addr, candLast) || !occupies(e, now)) continue;
    if (e.organisation === req.organisation && e.status === 'quarantined') {
      return problem('IPV6_QUARANTINED', `${formatPrefix(candidate)} (${req.organisation}, ${cat.name}) was released and is quarantined until ${e.released?.quarantineUntil ?? 'an unrecorded date'}; it is not handed out again before then`);
    }
    // Left-overs of this organisation inside its own new /46 (same category) are not a collision.
    if (e.organisation === req.organisation && e.category === cat.name && isActive(e) && contains(candidate, entryPrefix(e))) continue;
    return problem('IPV6_COLLISION', `the plan gives ${req.organisation} ${formatPrefix(candidate)} for ${cat.name}, but it overlaps ${e.prefix} (${e.organisation}, ${e.category}${e.source === 'logius' ? ', issued by Logius' : ''}); record the allocation Logius issues instead`);
  }

  const entry: LedgerEntryDecl = {
    prefix: formatPrefix(candidate),
    organisation: req.organisation,
    category: cat.name,
    status: 'allocated',
    ...(req.purpose ? { purpose: req.purpose } : {}),
    source: 'ggi',
    by: who,
    at: stamp(now),
  };
  const added = [entry];
  // N2 rule 4: the internet /46's first /48 is the one assigned (routed on the internet) by default.
  if (cat.internet && plan.allocationLength < 48) {
    added.push({
      prefix: formatPrefix(subnet(candidate, 48, 0n)),
      organisation: req.organisation,
      category: cat.name,
      status: 'assigned',
      purpose: 'internet assignment (first /48 of the internet /46)',
      source: 'ggi',
      parent: entry.prefix,
      internetRouted: true,
      by: who,
      at: stamp(now),
    });
  }
  return {
    ok: true,
    ledger: { version: 1, slots: [...ledger.slots, ...addedSlots], entries: [...ledger.entries, ...added] },
    entry,
    created: true,
    changes: { added, addedSlots, updated: [] },
  };
}

/**
 * A /48 (site), /56 (small site) or /64 (VLAN) inside the organisation's /46 of the category. In the internet /46 the
 * first /48 is the internet assignment: further /48s come from the other three, and /56s and /64s from inside the
 * assignment (only it is routed on the internet, N2 rule 4).
 */
function subAllocate(ledger: LedgerData, req: AllocationRequest, length: number, plan: NumberingPlan, now: Date, who: string): LedgerResult {
  const cat = category(plan, req.category)!;
  const parentEntry = heldAllocation(ledger, req.organisation, cat.name);
  if (!parentEntry) {
    return problem('IPV6_NO_PARENT', `${req.organisation} holds no ${cat.name} /${plan.allocationLength} to sub-allocate from; allocate it first (ggi ipv6 allocate ${req.organisation} --category ${cat.name})`);
  }
  const purpose = req.purpose?.trim();
  if (!purpose) return problem('IPV6_PURPOSE_REQUIRED', `a /${length} sub-allocation needs --purpose (the site or VLAN it is for)`);
  const parent = entryPrefix(parentEntry);
  if (length <= parent.len) return problem('IPV6_LENGTH_NOT_ALLOWED', `a /${length} does not fit inside ${parentEntry.prefix}`, ['numberingPlan', 'subAllocationLengths']);
  const same = ledger.entries.find(
    (e) => isActive(e) && e.organisation === req.organisation && e.category === cat.name && e.parent === parentEntry.prefix && entryPrefix(e).len === length && e.purpose === purpose,
  );
  if (same) return { ok: true, ledger, entry: same, created: false, changes: { added: [], addedSlots: [], updated: [] } };

  let within = parent;
  const skip: Prefix[] = [];
  if (cat.internet && parent.len < 48) {
    const assignment = subnet(parent, 48, 0n);
    if (length === 48) skip.push(assignment);
    else within = assignment;
  }
  // Blockers: everything occupying space inside `within`, except the organisation's live enclosing entries (the /46,
  // the assignment). A released enclosing entry (e.g. the assignment) blocks all of it until its quarantine ends.
  const used: Prefix[] = [];
  for (const e of ledger.entries) {
    if (!occupies(e, now)) continue;
    const p = entryPrefix(e);
    if (!overlaps(p, within)) continue;
    if (contains(p, within)) {
      if (isActive(e) && e.organisation === req.organisation) continue;
      if (e.organisation === req.organisation && e.status === 'quarantined') {
        return problem('IPV6_QUARANTINED', `${e.prefix} (${req.organisation}, ${cat.name}) was released and is quarantined until ${e.released?.quarantineUntil ?? 'an unrecorded date'}; nothing inside it is handed out before then`);
      }
    }
    used.push(p);
  }
  for (const text of req.inUse ?? []) {
    const p = parsePrefix(text, { strict: false });
    if (p.family === within.family && overlaps(p, within)) used.push(p);
  }
  const found = firstFree(within, length, used, { preferNibble: true, skip });
  if (!found) return problem('IPV6_EXHAUSTED', `no free /${length} is left in ${formatPrefix(within)} (${req.organisation}, ${cat.name})`);
  const entry: LedgerEntryDecl = {
    prefix: formatPrefix(found),
    organisation: req.organisation,
    category: cat.name,
    status: 'allocated',
    purpose,
    source: 'ggi',
    parent: parentEntry.prefix,
    by: who,
    at: stamp(now),
  };
  return {
    ok: true,
    ledger: { version: 1, slots: ledger.slots, entries: [...ledger.entries, entry] },
    entry,
    created: true,
    changes: { added: [entry], addedSlots: [], updated: [] },
  };
}

/**
 * Releases a prefix: the entry (and the sub-allocations inside it) become `quarantined` with the reason and the end
 * of the quarantine (now + quarantineDays). Nothing is deleted. Releasing what is already quarantined changes nothing.
 */
export function release(ledger: LedgerData, req: ReleaseRequest, plan: NumberingPlan, now: Date, who: string): LedgerResult {
  let target: Prefix;
  try {
    target = parsePrefix(req.prefix);
  } catch (e) {
    return problem('INVALID_PREFIX', e instanceof Error ? e.message : String(e));
  }
  const reason = req.reason.trim();
  if (!reason) return problem('IPV6_REASON_REQUIRED', 'a release needs --reason (it is kept in the ledger)');
  const same = (e: LedgerEntryDecl) => {
    const p = entryPrefix(e);
    return p.family === target.family && p.addr === target.addr && p.len === target.len;
  };
  const mine = ledger.entries.map((e, index) => ({ e, index })).filter(({ e }) => same(e) && e.organisation === req.organisation);
  if (!mine.length) {
    const other = ledger.entries.find(same);
    return problem('IPV6_NOT_ALLOCATED', other ? `${formatPrefix(target)} belongs to ${other.organisation}, not ${req.organisation}` : `${formatPrefix(target)} is not in the ledger for ${req.organisation}`);
  }
  const active = mine.find(({ e }) => isActive(e));
  if (!active) return { ok: true, ledger, entry: mine[mine.length - 1].e, created: false, changes: { added: [], addedSlots: [], updated: [] } };
  const released = { at: stamp(now), by: who, reason, quarantineUntil: addDays(now, plan.quarantineDays) };
  const updated: Array<{ index: number; entry: LedgerEntryDecl }> = [];
  ledger.entries.forEach((e, index) => {
    if (!isActive(e) || e.organisation !== req.organisation) return;
    if (index !== active.index && !contains(target, entryPrefix(e))) return;
    const { status } = e;
    updated.push({ index, entry: { ...stripLoaded(e), status: 'quarantined', released: { ...released, previousStatus: status as 'allocated' | 'assigned' } } });
  });
  const entries = [...ledger.entries];
  for (const u of updated) entries[u.index] = u.entry;
  return {
    ok: true,
    ledger: { version: 1, slots: ledger.slots, entries },
    entry: updated.find((u) => u.index === active.index)!.entry,
    created: true,
    changes: { added: [], addedSlots: [], updated },
  };
}

/** Drops the fields a loaded entry carries besides its declaration (`loc`, `index`). */
export function stripLoaded(e: LedgerEntryDecl): LedgerEntryDecl {
  const { loc: _loc, index: _index, ...rest } = e as LedgerEntryDecl & { loc?: unknown; index?: unknown };
  return rest;
}
