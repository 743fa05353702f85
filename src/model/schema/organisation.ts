import { z } from 'zod';
import { asn, deviceId, dnsName, ipAddress, ipv4Cidr, ipv6Cidr, isoDate, isoTimestamp, kebabId, orgId, orgKind, zoneName } from './common';
import { deviceSchema } from './device';

/** An organisation file: `organisations/<id>.yaml`. */

const connectionPoint = z.strictObject({
  site: z.string().min(1),
  /** The CE device that terminates the connection point. */
  device: deviceId,
  zones: z.array(zoneName).min(1),
  /** The CE's BGP ASN (private range per RFC 6996 in the example). */
  asn,
  /** The CE's public address, for the cloud hub's customer gateway. */
  publicAddress: ipAddress.optional(),
  bandwidthMbps: z.number().int().positive().optional(),
  /** The second CE of a CE pair: its own uplinks, the same site and connection point (no single box to lose). */
  secondDevice: deviceId.optional(),
  /** A single CE taken on knowingly: why, and until when (validate then reports it again). */
  acceptedRisk: z.strictObject({ reason: z.string().trim().min(10, { error: 'say why the single CE is acceptable (at least 10 characters)' }), until: isoDate.optional(), by: z.string().optional() }).optional(),
});
export type ConnectionPointDecl = z.infer<typeof connectionPoint>;

const segment = z.strictObject({
  name: kebabId,
  /** IPv6 subnet inside one of the organisation's ledger prefixes (a /64 per LAN). */
  ipv6: ipv6Cidr.optional(),
  ipv4: ipv4Cidr.optional(),
  vlan: z.number().int().min(1).max(4094).optional(),
  /** govroam-visitor segments have their own prefix and reach neither zone (DOMAIN.md §5 rule 17). */
  purpose: z.enum(['staff', 'servers', 'govroam-visitor', 'govroam-staff', 'management', 'other']),
  /** Set when the segment is routed on the internet (rules 7 and 8 check it). */
  internetRouted: z.boolean().default(false),
  /** Addresses handed out by a DHCP appliance (platform kea) on this segment; checked by src/intent/dhcp.ts. */
  dhcp: z
    .strictObject({
      /** The DHCP appliance (a device with platform kea) that serves the segment. */
      server: kebabId,
      /** Inside `ipv4`, without the router's (first usable) and the appliance's (last usable) address. */
      ipv4Pool: z.strictObject({ first: ipAddress, last: ipAddress }).optional(),
      /** Inside the segment's /64 (default: ::1000 to ::1fff of it). Separate addresses so that profiles remap them. */
      ipv6Pool: z.strictObject({ first: ipAddress, last: ipAddress }).optional(),
    })
    .optional(),
});
export type SegmentDecl = z.infer<typeof segment>;

export const organisationSchema = z.strictObject({
  id: orgId,
  kind: orgKind,
  name: z.string().min(1),
  province: z.string().optional(),
  /** A gemeente served by a samenwerkingsverband uses that one's connection point. */
  servedBy: orgId.optional(),
  connectionPoint: connectionPoint.optional(),
  /** Registered IPv4 prefixes per zone (public, registered space; documentation ranges in the example). */
  ipv4: z.strictObject({ overheid: z.array(ipv4Cidr).default([]), markt: z.array(ipv4Cidr).default([]) }).optional(),
  segments: z.array(segment).default([]),
  /** Suppliers only: the GGI agreements (GGI-Afspraken) must be signed before anything is offered in markt. */
  ggiAfspraken: z.strictObject({ signed: z.boolean(), date: isoDate.optional() }).optional(),
  /**
   * Suppliers only: admitted as a Diginetwerk Derde (DOMAIN.md §2.2), so it may offer services in the overheid zone.
   * Records the Afnemer that checked it meets the Diginetwerk connection requirements, and when.
   */
  diginetwerkDerde: z.strictObject({ acceptedBy: orgId, date: isoDate, reference: z.string().min(1).optional() }).optional(),
  contact: z.string().optional(),
  /** The organisation's authoritative nameservers: the NS records of its ip6.arpa delegations (`ggi ipv6 export arpa-zone`). */
  dns: z.strictObject({ nameservers: z.array(dnsName).min(1) }).optional(),
  devices: z.array(deviceSchema).optional(),
  /**
   * Set by `ggi offboard`: the organisation left (or merged into `mergedInto`). Its file stays as the record its
   * quarantined ledger entries refer to; it has no connection point, membership, segments or devices any more.
   */
  offboarded: z.strictObject({ at: isoTimestamp, by: z.string().min(1), reason: z.string().min(1), mergedInto: orgId.optional() }).optional(),
});
export type OrganisationDecl = z.infer<typeof organisationSchema>;
export { zoneName };
