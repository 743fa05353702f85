import { z } from 'zod';
import { asn, cidr, ipv4Cidr, ipv6Cidr, kebabId, zoneName } from './common';
import { portSpec } from './service';

/** `ggi.yaml`: network-wide settings. Every number that DOMAIN.md marks unverified lives here, not in code. */

const category = z.strictObject({
  name: kebabId,
  code: z.number().int().min(0),
  /** The category used towards the internet (N2 rule 3): its /46 is ALLOCATED-BY-LIR and its first /48 ASSIGNED. */
  internet: z.boolean().default(false),
  description: z.string().optional(),
});

const layout = z.strictObject({
  organisationBits: z.number().int().min(0).max(32),
  categoryBits: z.number().int().min(0).max(8),
  order: z.enum(['organisation-category', 'category-organisation']).default('organisation-category'),
  /** 'assumed' until Logius confirms the bit layout (DOMAIN.md §1.5). */
  status: z.enum(['assumed', 'confirmed']).default('assumed'),
});

const numberingPlan = z.strictObject({
  blocks: z.strictObject({
    gemeente: ipv6Cidr,
    provincie: ipv6Cidr,
    waterschap: ipv6Cidr,
    samenwerkingsverband: ipv6Cidr,
    leverancier: ipv6Cidr,
  }),
  allocationLength: z.number().int().min(16).max(64).default(46),
  layout,
  categories: z.array(category).min(1),
  quarantineDays: z.number().int().min(0).default(180),
  /** Sub-allocation lengths that `ggi ipv6 allocate --length` accepts inside an organisation's /46. */
  subAllocationLengths: z.array(z.number().int().min(40).max(64)).default([48, 56, 64]),
  ripe: z.strictObject({
    country: z.string().length(2).default('NL'),
    adminC: z.string(),
    techC: z.string(),
    mntBy: z.string(),
    netnamePrefix: z.string().default('GGI'),
    source: z.string().default('RIPE'),
  }),
});

const zoneSettings = z.strictObject({
  description: z.string().optional(),
  /** The IPv6 network categories whose prefixes are addresses in this zone. */
  ipv6Categories: z.array(kebabId).min(1),
});

const diginetwerk = z.strictObject({
  /** The ASN GGI-Netwerk uses as a Koppelnetwerk towards the KPS. */
  koppelnetAsn: asn,
  kpsAsn: asn,
  maxPrefixFromKps: z.number().int().min(1).default(1000),
  maxPrefixToKps: z.number().int().min(1).default(5000),
  /** DOMAIN.md §2.5 [U]: never a default route over Diginetwerk unless the owner decides otherwise. */
  allowDefaultRoute: z.boolean().default(false),
  /**
   * Whether documentation and benchmarking ranges count as usable Diginetwerk addresses: only where an inventory is
   * an example or a lab on purpose. The lab profile always allows them; a production inventory never silently does.
   */
  documentationAddresses: z.boolean().default(false),
});

const backend = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('local'), path: z.string().default('terraform.{stack}.tfstate') }),
  z.strictObject({ type: z.literal('s3'), bucket: z.string(), keyPrefix: z.string().default('ggi/'), region: z.string(), dynamodbTable: z.string().optional() }),
  z.strictObject({ type: z.literal('pg'), connStrEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/), schemaName: z.string().default('ggi') }),
]);

const cloud = z.strictObject({
  region: z.string().default('eu-central-1'),
  hubAsn: asn,
  backend: backend.default({ type: 'local', path: 'terraform.{stack}.tfstate' }),
  /** VPN inside-tunnel addresses are allocated from here (AWS accepts only 169.254.0.0/16 /30s). */
  tunnelInsidePool: ipv4Cidr.default('169.254.0.0/16'),
});

const remap = z.strictObject({ from: cidr, to: cidr }).superRefine((r, ctx) => {
  const [fa, la] = r.from.split('/');
  const [ta, lb] = r.to.split('/');
  if (la !== lb || fa.includes(':') !== ta.includes(':')) ctx.addIssue({ code: 'custom', message: `a remap keeps every lower bit, so 'from' and 'to' must be of one family and one length (${r.from} vs ${r.to})`, path: ['to'] });
});

const profile = z.strictObject({
  description: z.string().optional(),
  remap: z.array(remap).default([]),
});

/** `policy.lint`: thresholds of the reviewer's checks of `ggi policy lint` (src/zones/review.ts). */
const policySettings = z.strictObject({
  lint: z
    .strictObject({
      expiringWithinDays: z.number().int().min(0).max(3650).optional(),
      /** An allow rule opening at least this many ports between zones, organisations or prefixes is over-broad; 0: off. */
      broadPorts: z.number().int().min(0).max(65536).optional(),
      /** Replaces the default list (FTP, telnet, NetBIOS, SMB, LDAP, RDP, VNC). */
      riskyServices: z.array(z.strictObject({ name: z.string().min(1), proto: z.enum(['tcp', 'udp']), ports: z.array(portSpec).min(1) })).optional(),
    })
    .optional(),
});

export const settingsSchema = z.strictObject({
  network: z.strictObject({
    name: z.string().default('GGI-Netwerk'),
    backboneAsn: asn,
  }),
  zones: z.strictObject({ overheid: zoneSettings, markt: zoneSettings }),
  numberingPlan,
  diginetwerk,
  transfer: z.strictObject({
    /** Point-to-point transfer networks between CEs and zone borders are allocated deterministically from these pools. */
    ipv4: ipv4Cidr,
    ipv6: ipv6Cidr,
    /** Management addresses of lab devices. */
    managementIpv4: ipv4Cidr.optional(),
  }),
  cloud: cloud.optional(),
  profiles: z.record(kebabId, profile).default({}),
  policy: policySettings.optional(),
});

export type Settings = z.infer<typeof settingsSchema>;
export type CategorySettings = z.infer<typeof category>;
export type ZoneSettings = z.infer<typeof zoneSettings>;
export { zoneName };
