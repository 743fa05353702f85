/**
 * src/devices: the driver contract (./contract.ts) and one folder per platform. The registry below is the only place
 * that lists platforms; the reconciler asks it for a device's driver and knows nothing else about platforms.
 */
import type { Driver } from './contract';
import { kea } from './kea/index';
import { linuxFrr } from './linux-frr/index';
import { radiusDriver } from './radius/index';

export * from './contract';
export { standardDiff, livePath, PENDING_ROLLBACK } from './diff';

/** Every platform ggi can drive, by the name the inventory uses (`platform:` of a device). */
export const DRIVERS: Readonly<Record<string, Driver>> = {
  [linuxFrr.platform]: linuxFrr,
  [radiusDriver.platform]: radiusDriver,
  [kea.platform]: kea,
};

/** The driver of a platform, or undefined when ggi has none. */
export function driverFor(platform: string): Driver | undefined {
  return Object.hasOwn(DRIVERS, platform) ? DRIVERS[platform] : undefined;
}
