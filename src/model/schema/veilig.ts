import { z } from 'zod';
import { cidr, deviceId, ipAddress, isoDate, kebabId, orgId } from './common';
import { portSpec } from './service';

/**
 * `veilig.yaml`: GGI-Veilig, the monitoring of all GGI-Netwerk traffic for the shared SOC (docs/veilig.md). The SOC's
 * collectors, what the devices export, the detection rules the borders log with, and the exemptions (each with a
 * reason and an end). Secrets (TLS keys of a log receiver) are never here.
 */

const endpoint = {
  id: kebabId,
  /** Reached by the devices over the management network (ggi.yaml transfer.managementIpv4). */
  address: ipAddress,
  port: z.number().int().min(1).max(65535),
};

export const veiligSchema = z.strictObject({
  soc: z.strictObject({
    name: z.string().min(1),
    /** Flow collectors: NetFlow v9 (RFC 3954) or IPFIX (RFC 7011); stored by nfcapd in the lab. */
    collectors: z.array(z.strictObject({ ...endpoint, protocol: z.enum(['netflow-v9', 'ipfix']).default('netflow-v9') })).min(1),
    /** Receivers of dropped-packet logs and detection events: JSON lines over UDP (ulogd2), or syslog over TLS (RFC 5425). */
    logReceivers: z.array(z.strictObject({ ...endpoint, protocol: z.enum(['json-udp', 'syslog-tls']).default('json-udp') })).min(1),
  }),
  export: z
    .strictObject({
      /** Device roles that export flows and log drops: every connection point's CE and every border, unless exempt. */
      roles: z.array(z.enum(['ce', 'border-overheid', 'border-markt'])).default(['ce', 'border-overheid', 'border-markt']),
      /** 1 = every packet (usage figures for billing need unsampled records); n = one in n. */
      sampling: z.number().int().min(1).max(65535).default(1),
      /** A long flow is reported at least this often (seconds), so coverage and usage stay current. */
      activeTimeoutS: z.number().int().min(1).max(3600).default(60),
      /** Log every packet the zone policy drops. */
      drops: z.boolean().default(true),
    })
    .default({ roles: ['ce', 'border-overheid', 'border-markt'], sampling: 1, activeTimeoutS: 60, drops: true }),
  /** L3/L4 detection rules, compiled into the borders' packet filter (and the cloud hub's rule group) as logging rules. */
  detection: z
    .array(
      z.strictObject({
        id: kebabId,
        /** destination: known-bad addresses; service: a forbidden protocol/port; rate: scans and floods per source. */
        kind: z.enum(['destination', 'service', 'rate']),
        prefixes: z.array(cidr).optional(),
        proto: z.enum(['tcp', 'udp', 'icmp', 'icmpv6', 'any']).optional(),
        ports: z.array(portSpec).optional(),
        /** For rate rules: more new connections per second than this from one source address raises an event. */
        perSecond: z.number().int().min(1).max(1_000_000).optional(),
        owner: z.string().min(1),
        reason: z.string().min(1),
        expires: isoDate.optional(),
      }),
    )
    .default([]),
  /** A connection point or border that does not export, with why and until when. */
  exemptions: z
    .array(
      z.strictObject({
        device: deviceId.optional(),
        organisation: orgId.optional(),
        reason: z.string().min(1),
        expires: isoDate,
      }),
    )
    .default([]),
});
export type VeiligDecl = z.infer<typeof veiligSchema>;
