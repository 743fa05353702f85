import type { DeviceDraft, Fleet } from '../fleet';

/**
 * A DHCP appliance (role dhcp): it routes nothing and runs no packet filter of ggi's; its intent is what it serves,
 * the subnets src/intent/dhcp.ts derives from the segments that name it.
 */
export function buildDhcp(f: Fleet, x: DeviceDraft): void {
  x.dhcp = { subnets: f.dhcpSubnets.get(x.d.id) ?? [] };
}
