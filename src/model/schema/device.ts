import { z } from 'zod';
import { deviceId, ipAddress, orgId, secretRef } from './common';

/** A router or appliance that ggi manages. */
export const deviceRole = z.enum(['ce', 'border-overheid', 'border-markt', 'kps-peer', 'supplier-router', 'radius', 'dhcp']);
export type DeviceRole = z.infer<typeof deviceRole>;

/** The platforms ggi has a driver for (src/devices/<platform>/); adding one is one folder plus one value here. */
export const platform = z.enum(['linux-frr', 'radius', 'kea']);
export type Platform = z.infer<typeof platform>;

/** Roles that only one platform can serve: a DHCP appliance is a Kea server driven through its API. */
export const PLATFORM_OF_ROLE: Partial<Record<DeviceRole, Platform>> = { dhcp: 'kea' };

export const deviceSchema = z.strictObject({
  id: deviceId,
  role: deviceRole,
  platform: platform.default('linux-frr'),
  /** false: ggi observes the device (plan, drift, verify read-only) and never writes to it (the KPS side, suppliers' own routers). */
  managed: z.boolean().default(true),
  /** The organisation that owns the device (CE, supplier router); absent for the backbone's own devices. */
  organisation: orgId.optional(),
  /** Router id / loopback, also the BGP router-id. */
  routerId: ipAddress.optional(),
  asn: z.number().int().min(1).max(4294967295).optional(),
  management: z.strictObject({
    address: ipAddress,
    port: z.number().int().min(1).max(65535).default(22),
    user: z.string().regex(/^[a-z_][a-z0-9_-]*$/).default('ggi'),
    /** The pinned host key: `SHA256:<base64>` as `ssh-keygen -lf` prints it. Unknown or changed keys are refused. */
    hostKey: z.string().regex(/^SHA256:[A-Za-z0-9+/]{43}=?$/, { error: 'host keys are pinned as SHA256:<43 base64 characters>, as ssh-keygen -lf prints them' }).optional(),
    /** The controller's private key; never the key itself. */
    privateKey: secretRef.optional(),
    /** API appliances (platform kea): the basic-auth password of `user` on the management API; never the value itself. */
    password: secretRef.optional(),
  }),
  site: z.string().optional(),
});
export type DeviceDecl = z.infer<typeof deviceSchema>;

export const devicesFileSchema = z.strictObject({ devices: z.array(deviceSchema) });
