import { z } from 'zod';
import { keepPrefix, NetError, tryParsePrefix } from '../../net';
import { ipv6Cidr, isIsoTimestamp, isoDate, isoTimestamp, KEBAB_ID, kebabId, ORG_ID, orgId, prefixProblem } from './common';

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

/**
 * The entry's fast path: each key of the schema, in the schema's order, with a check equal to the schema's for that
 * key (FAST_CHECKS) or none, in which case an entry holding that key is judged by the schema itself (the nested
 * `released` and `delegation`, and any key added to the schema later). Required keys and defaults are the schema's.
 */
const ENTRY_KEYS = Object.keys(ledgerEntrySchema.shape) as Array<keyof LedgerEntryDecl>;
const KEY_INDEX = new Map<string, number>(ENTRY_KEYS.map((k, i) => [k, i]));
const FIELD_DEFAULTS = ENTRY_KEYS.map((k) => {
  const r = (ledgerEntrySchema.shape[k] as z.ZodType).safeParse(undefined);
  return { key: k, required: !r.success, fill: r.success ? r.data : undefined };
});
const IS_REQUIRED = FIELD_DEFAULTS.map((f) => f.required);
const REQUIRED_COUNT = IS_REQUIRED.filter(Boolean).length;
const IS_FILLED = FIELD_DEFAULTS.map((f) => f.fill !== undefined);
const FILLED_COUNT = IS_FILLED.filter(Boolean).length;

const STATUSES = new Set(['allocated', 'assigned', 'quarantined']);
const isString = (v: unknown): boolean => typeof v === 'string';
const ipv6CidrOk = (v: unknown): boolean => typeof v === 'string' && v.includes(':') && prefixProblem(v) === null;
/** The checks of the plain keys; a ledger repeats most values entry after entry, so the last value accepted is kept. */
const FAST_CHECKS: Partial<Record<keyof LedgerEntryDecl, (v: unknown) => boolean>> = {
  // Parsed (and the parse kept on the entry) by fastEntry itself, once the entry is known to be plain.
  prefix: (v) => typeof v === 'string' && v.includes(':'),
  organisation: lastAccepted((v) => typeof v === 'string' && ORG_ID.test(v)),
  category: lastAccepted((v) => typeof v === 'string' && KEBAB_ID.test(v)),
  status: (v) => typeof v === 'string' && STATUSES.has(v),
  purpose: isString,
  source: (v) => v === 'logius' || v === 'ggi',
  parent: lastAccepted(ipv6CidrOk),
  justification: isString,
  internetRouted: (v) => typeof v === 'boolean',
  by: (v) => typeof v === 'string' && v.length >= 1,
  at: lastAccepted((v) => typeof v === 'string' && isIsoTimestamp(v)),
};
const CHECK_AT: Array<((v: unknown) => boolean) | undefined> = ENTRY_KEYS.map((k) => FAST_CHECKS[k]);

function lastAccepted(check: (v: unknown) => boolean): (v: unknown) => boolean {
  let last: unknown;
  let any = false;
  return (v) => {
    if (any && v === last) return true;
    if (!check(v)) return false;
    last = v;
    any = true;
    return true;
  };
}

/** One entry in the plain shape ggi writes, as the schema outputs it; null when the schema must judge it. */
function fastEntry(e: unknown): LedgerEntryDecl | null {
  if (typeof e !== 'object' || e === null || Array.isArray(e)) return null;
  const x = e as Record<string, unknown>;
  let ordered = true;
  let nested = false;
  let required = 0;
  let filled = 0;
  // Where the previous key sits in ENTRY_KEYS: keys in the schema's order are found by walking on from there.
  let at = -1;
  for (const k in x) {
    let i = at + 1;
    while (i < ENTRY_KEYS.length && ENTRY_KEYS[i] !== k) i++;
    if (i === ENTRY_KEYS.length) {
      const j = KEY_INDEX.get(k);
      if (j === undefined) return null;
      ordered = false;
      i = j;
    }
    at = i;
    const check = CHECK_AT[i];
    if (check === undefined) nested = true;
    else if (!check(x[k])) return null;
    if (IS_REQUIRED[i]) required++;
    if (IS_FILLED[i]) filled++;
  }
  if (required !== REQUIRED_COUNT) return null;
  if (nested) {
    const r = ledgerEntrySchema.safeParse(x);
    return r.success ? r.data : null;
  }
  const text = x.prefix as string;
  const p = tryParsePrefix(text);
  if (p instanceof NetError) return null;
  let out = x;
  // As written by ggi (the schema's key order, defaults given) the object is the output itself: no copy of each entry.
  if (!ordered || filled !== FILLED_COUNT) {
    out = {};
    for (const f of FIELD_DEFAULTS) {
      const v = x[f.key] ?? f.fill;
      if (v !== undefined) out[f.key] = v;
    }
  }
  keepPrefix(out, text, p, true);
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
