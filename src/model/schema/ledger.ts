import { z } from 'zod';
import { ipv6Cidr, isoDate, isoTimestamp, kebabId, orgId } from './common';

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
