import { z } from 'zod';
import { ipv6Cidr, isoDate, isoTimestamp, KEBAB_ID, kebabId, ORG_ID, orgId, prefixProblem } from './common';

/**
 * `ipv6/ledger.yaml`: every prefix handed out. Entries are never deleted: a release sets status `quarantined` with a
 * reason and the end of the quarantine.
 */

export const ledgerEntrySchema = z.strictObject({
  prefix: ipv6Cidr,
  organisation: orgId,
  category: kebabId,
  status: z.enum(['allocated', 'assigned', 'quarantined']),
  purpose: z.string().optional(),
  /** `logius`: issued by Logius and imported as data (always wins); `ggi`: computed by `ggi ipv6 allocate`. */
  source: z.enum(['logius', 'ggi']).default('ggi'),
  /** Set on sub-allocations (/48, /56, /64): the /46 they come from. */
  parent: ipv6Cidr.optional(),
  /** Needed for a block that is not a /46 or a second /46 in one category (N2 rule 7). */
  justification: z.string().optional(),
  /** Routed on the internet (rule 4: only those are ASSIGNED). */
  internetRouted: z.boolean().optional(),
  by: z.string().min(1),
  at: isoTimestamp,
  released: z
    .strictObject({ at: isoTimestamp, by: z.string().min(1), reason: z.string().min(1), quarantineUntil: isoDate, previousStatus: z.enum(['allocated', 'assigned']).optional() })
    .optional(),
  /** Delegation to an external service provider must be registered with Logius first (N2 rule 5). */
  delegation: z.strictObject({ provider: z.string().min(1), logiusRequestDate: isoDate.optional(), logiusReference: z.string().optional() }).optional(),
  /** Held before by another organisation that merged into this one (herindeling), oldest first: nothing is forgotten. */
  transfers: z.array(z.strictObject({ from: orgId, at: isoTimestamp, by: z.string().min(1), reason: z.string().min(1) })).optional(),
});
export type LedgerEntryDecl = z.infer<typeof ledgerEntrySchema>;

export const ledgerSlotSchema = z.strictObject({
  organisation: orgId,
  /** The block key in ggi.yaml (gemeente, samenwerkingsverband, …). */
  block: z.string(),
  slot: z.number().int().min(0),
});
export type LedgerSlotDecl = z.infer<typeof ledgerSlotSchema>;

export const ledgerSchema = z.strictObject({
  version: z.literal(1).default(1),
  slots: z.array(ledgerSlotSchema).default([]),
  entries: z.array(ledgerEntrySchema).default([]),
});
export type LedgerDecl = z.infer<typeof ledgerSchema>;

const ENTRY_KEYS = new Set(['prefix', 'organisation', 'category', 'status', 'purpose', 'source', 'parent', 'justification', 'internetRouted', 'by', 'at', 'released', 'delegation', 'transfers']);
const STATUSES = new Set(['allocated', 'assigned', 'quarantined']);
const timestamps = new Map<string, boolean>();

function ipv6CidrOk(v: unknown): v is string {
  return typeof v === 'string' && v.includes(':') && prefixProblem(v) === null;
}

function timestampOk(v: unknown): v is string {
  if (typeof v !== 'string') return false;
  let ok = timestamps.get(v);
  if (ok === undefined) {
    ok = isoTimestamp.safeParse(v).success;
    if (timestamps.size < 100_000) timestamps.set(v, ok);
  }
  return ok;
}

const SCHEMA_ORDER = [...ENTRY_KEYS];
/** Whether the object's keys come in the schema's order (what ggi writes). */
function sameOrder(x: Record<string, unknown>): boolean {
  let at = 0;
  for (const k in x) {
    while (at < SCHEMA_ORDER.length && SCHEMA_ORDER[at] !== k) at++;
    if (at === SCHEMA_ORDER.length) return false;
  }
  return true;
}

/** One entry in the plain shape ggi writes, as the schema outputs it; null when the schema must judge it. */
function fastEntry(e: unknown): LedgerEntryDecl | null {
  if (typeof e !== 'object' || e === null || Array.isArray(e)) return null;
  const x = e as Record<string, unknown>;
  for (const k in x) if (!ENTRY_KEYS.has(k)) return null;
  if (x.released !== undefined || x.delegation !== undefined || x.transfers !== undefined) {
    const r = ledgerEntrySchema.safeParse(x);
    return r.success ? r.data : null;
  }
  const { prefix, organisation, category, status, purpose, source, parent, justification, internetRouted, by, at } = x;
  if (!ipv6CidrOk(prefix) || typeof organisation !== 'string' || !ORG_ID.test(organisation) || typeof category !== 'string' || !KEBAB_ID.test(category)) return null;
  if (typeof status !== 'string' || !STATUSES.has(status) || (purpose !== undefined && typeof purpose !== 'string')) return null;
  if (source !== undefined && source !== 'logius' && source !== 'ggi') return null;
  if ((parent !== undefined && !ipv6CidrOk(parent)) || (justification !== undefined && typeof justification !== 'string')) return null;
  if ((internetRouted !== undefined && typeof internetRouted !== 'boolean') || typeof by !== 'string' || by.length < 1 || !timestampOk(at)) return null;
  // As written by ggi (the schema's key order, source given) the object is the output itself: no copy of each entry.
  if (source !== undefined && sameOrder(x)) return x as LedgerEntryDecl;
  // Else the schema's key order and default (source: ggi).
  const out: Record<string, unknown> = { prefix, organisation, category, status };
  if (purpose !== undefined) out.purpose = purpose;
  out.source = source ?? 'ggi';
  if (parent !== undefined) out.parent = parent;
  if (justification !== undefined) out.justification = justification;
  if (internetRouted !== undefined) out.internetRouted = internetRouted;
  out.by = by;
  out.at = at;
  return out as LedgerEntryDecl;
}

/**
 * The ledger as `ledgerSchema` outputs it, checked without zod for the plain shape ggi writes (a ledger of hundreds of
 * thousands of entries), or null whenever anything differs: the schema then judges the whole file and gives findings.
 * test/model/ledger-schema.test.ts compares both on valid and broken ledgers.
 */
export function fastLedger(value: unknown): LedgerDecl | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const v = value as Record<string, unknown>;
  for (const k in v) if (k !== 'version' && k !== 'slots' && k !== 'entries') return null;
  if (v.version !== undefined && v.version !== 1) return null;
  const slots: LedgerSlotDecl[] = [];
  if (v.slots !== undefined) {
    if (!Array.isArray(v.slots)) return null;
    for (const sl of v.slots) {
      if (typeof sl !== 'object' || sl === null || Array.isArray(sl)) return null;
      const { organisation, block, slot, ...rest } = sl as Record<string, unknown>;
      if (Object.keys(rest).length || typeof organisation !== 'string' || !ORG_ID.test(organisation) || typeof block !== 'string' || typeof slot !== 'number' || !Number.isInteger(slot) || slot < 0) return null;
      slots.push({ organisation, block, slot });
    }
  }
  const entries: LedgerEntryDecl[] = [];
  if (v.entries !== undefined) {
    if (!Array.isArray(v.entries)) return null;
    for (const e of v.entries) {
      const out = fastEntry(e);
      if (!out) return null;
      entries.push(out);
    }
  }
  return { version: 1, slots, entries };
}
