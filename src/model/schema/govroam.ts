import { z } from 'zod';
import { cidr, ipAddress, kebabId, orgId, secretRef } from './common';

/** `govroam.yaml`: the national proxies and each organisation's realms, roles and RADIUS servers. */

const radiusServer = z.strictObject({
  name: kebabId,
  address: ipAddress,
  transport: z.enum(['udp', 'radsec']).default('radsec'),
  port: z.number().int().min(1).max(65535).optional(),
  /** Shared secret for RADIUS/UDP; RadSec uses certificates. Always a reference, never the secret. */
  secret: secretRef.optional(),
});

const naptr = z.strictObject({
  order: z.number().int().min(0).default(100),
  preference: z.number().int().min(0).default(10),
  flags: z.string(),
  service: z.string(),
  regexp: z.string().default(''),
  replacement: z.string(),
});

const participant = z.strictObject({
  organisation: orgId,
  realms: z.array(z.string().min(1)).min(1),
  roles: z.array(z.enum(['idp', 'sp'])).min(1),
  ssid: z.string().default('govroam'),
  security: z.enum(['wpa2-enterprise', 'wpa3-enterprise', 'wpa2-psk', 'open']).default('wpa2-enterprise'),
  /** The organisation's segment (by name) where visitors land. */
  visitorSegment: kebabId.optional(),
  servers: z.array(radiusServer).min(1),
  logRetentionDays: z.number().int().min(0),
  forwardAccounting: z.boolean().default(false),
  naptr: naptr.optional(),
  /** Dynamic discovery: the device that runs radsecproxy for this organisation. */
  device: kebabId.optional(),
  /** Access points / WLAN controllers that send RADIUS/UDP to the participant's radsecproxy; their secret differs from the IdP's. */
  nas: z.array(z.strictObject({ name: kebabId, prefix: cidr, secret: secretRef })).default([]),
  /** The address of the participant's radsecproxy as the NLRS and its own RADIUS servers see it. */
  proxyAddress: ipAddress.optional(),
});
export type GovroamParticipantDecl = z.infer<typeof participant>;

export const govroamSchema = z.strictObject({
  /** The national RADIUS proxies (NLRS) run by Stichting govroam. */
  nlrs: z.array(radiusServer).min(1),
  naptrService: z.string().default('x-govroam:radius.tls'),
  minimumLogRetentionDays: z.number().int().min(0).default(180),
  participants: z.array(participant).default([]),
});
export type GovroamDecl = z.infer<typeof govroamSchema>;
