import { z } from 'zod';
import { NetError, parseAddress, parsePrefix } from '../../net';

/** Shared building blocks of the inventory schemas. Every object is strict: an unknown key is an error, not a silent typo. */

export const ORG_ID = /^(GM\d{4}|SV\d{4}|PV\d{2}|WS\d{4}|LV\d{4})$/;
export const KEBAB_ID = /^[a-z0-9]+(-[a-z0-9]+)*$/;

export const orgId = z.string().regex(ORG_ID, { error: 'organisation ids are GM+4 digits (CBS gemeentecode), SV+4 (samenwerkingsverband), PV+2 (provincie), WS+4 (waterschap) or LV+4 (leverancier)' });
export const kebabId = z.string().regex(KEBAB_ID, { error: 'ids are lower-case letters, digits and single hyphens ([a-z0-9-]+)' });
export const deviceId = kebabId;

/** Prefix texts already judged: a national inventory repeats the same prefixes in thousands of rules. */
const prefixVerdicts = new Map<string, string | null>();

export function prefixProblem(s: string): string | null {
  let v = prefixVerdicts.get(s);
  if (v !== undefined) return v;
  try {
    parsePrefix(s, { strict: true });
    v = null;
  } catch (e) {
    v = e instanceof NetError ? e.message : `'${s}' is not a CIDR prefix`;
  }
  if (prefixVerdicts.size > 1_000_000) prefixVerdicts.clear();
  prefixVerdicts.set(s, v);
  return v;
}

/** A CIDR prefix, strict: host bits set is an error (a typo in a prefix is never silently masked). */
export const cidr = z.string().superRefine((s, ctx) => {
  const problem = prefixProblem(s);
  if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
});

export const ipv4Cidr = cidr.superRefine((s, ctx) => {
  if (!s.includes('.') || s.includes(':')) ctx.addIssue({ code: 'custom', message: `'${s}' is not an IPv4 prefix` });
});
export const ipv6Cidr = cidr.superRefine((s, ctx) => {
  if (!s.includes(':')) ctx.addIssue({ code: 'custom', message: `'${s}' is not an IPv6 prefix` });
});

export const ipAddress = z.string().superRefine((s, ctx) => {
  try {
    parseAddress(s);
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: e instanceof NetError ? e.message : `'${s}' is not an IP address` });
  }
});

export const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, { error: 'dates are written YYYY-MM-DD' }).superRefine((s, ctx) => {
  const d = new Date(`${s}T00:00:00Z`);
  if (Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== s) ctx.addIssue({ code: 'custom', message: `'${s}' is not a calendar date` });
});
/** What `isoTimestamp` accepts (also checked without zod by the ledger's fast path). */
export function isIsoTimestamp(s: string): boolean {
  return !Number.isNaN(Date.parse(s)) && /^\d{4}-\d{2}-\d{2}T/.test(s);
}
export const isoTimestamp = z.string().refine(isIsoTimestamp, { error: 'timestamps are ISO 8601, e.g. 2026-01-31T12:00:00Z' });

/** A DNS host name (RFC 1123 labels), written without the trailing dot: `ns1.leiden.nl`. */
export const dnsName = z
  .string()
  .max(253)
  .regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$/i, { error: 'a host name is dot-separated labels of letters, digits and inner hyphens, e.g. ns1.leiden.nl' });

export const asn = z.number().int().min(1).max(4294967295);

export const zoneName = z.enum(['overheid', 'markt']);
export type ZoneName = z.infer<typeof zoneName>;

export const orgKind = z.enum(['gemeente', 'samenwerkingsverband', 'provincie', 'waterschap', 'leverancier']);
export type OrgKind = z.infer<typeof orgKind>;

/**
 * A secret is never written in the inventory: it is named, and read at run time from the environment or from a file
 * with owner-only permissions.
 */
export const secretRef = z.union([
  z.strictObject({ env: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, { error: 'environment variable names are UPPER_SNAKE' }) }),
  z.strictObject({ file: z.string().min(1) }),
], { error: 'a secret is a reference { env: NAME } or { file: PATH }, never the secret itself' });
export type SecretRef = z.infer<typeof secretRef>;
