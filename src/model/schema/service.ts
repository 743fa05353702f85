import { z } from 'zod';
import { cidr, kebabId, orgId, zoneName } from './common';

/** Named destinations: Diginetwerk services behind the KPS (overheid) and supplier services (markt). */

export const portSpec = z.union([
  z.number().int().min(0).max(65535),
  z.string().regex(/^\d{1,5}(-\d{1,5})?$/, { error: 'a port is a number or a range "from-to"' }),
]);

export const serviceSchema = z.strictObject({
  name: kebabId,
  zone: zoneName,
  /** `kps` for a Diginetwerk service reached through the Koppelnet Publieke Sector, else the supplier's organisation id. */
  provider: z.union([z.literal('kps'), orgId]),
  description: z.string().optional(),
  prefixes: z.array(cidr).min(1),
  /** What the service listens on; the lab's service hosts listen here. */
  listens: z.array(z.strictObject({ proto: z.enum(['tcp', 'udp']), ports: z.array(portSpec).min(1) })).default([]),
  /** Digikoppeling services must be tcp/443 only (DOMAIN.md §5 rule 13). */
  digikoppeling: z.boolean().default(false),
});
export type ServiceDecl = z.infer<typeof serviceSchema>;

export const servicesFileSchema = z.strictObject({ services: z.array(serviceSchema) });
