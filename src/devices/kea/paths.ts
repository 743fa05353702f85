import type { DeviceLayout } from '../contract';
import type { KeaLayout } from './render';

/** Debian's kea-dhcp4-server / kea-dhcp6-server files. */
export const KEA_DEBIAN_LAYOUT: KeaLayout = {
  controlSocket: { dhcp4: '/run/kea/kea4-ctrl-socket', dhcp6: '/run/kea/kea6-ctrl-socket' },
  leaseFile: { dhcp4: '/var/lib/kea/kea-leases4.csv', dhcp6: '/var/lib/kea/kea-leases6.csv' },
  log: { dhcp4: '/var/log/kea/kea-dhcp4.log', dhcp6: '/var/log/kea/kea-dhcp6.log' },
  configFile: { dhcp4: '/etc/kea/kea-dhcp4.conf', dhcp6: '/etc/kea/kea-dhcp6.conf' },
  dataDir: '/var/lib/kea',
  hooksDir: '/usr/lib/x86_64-linux-gnu/kea/hooks',
};

/** Where lab appliances keep their Kea files: one folder per namespace (tmpfs; `ggi lab down` removes it). */
export const KEA_LAB_ROOT = '/run/ggi-kea';

/**
 * The Kea files of a device with this layout: Debian's on a real appliance; in the lab (a pathspace = the namespace)
 * everything in `/run/ggi-kea/<namespace>/`, so that appliances on one machine do not share sockets or lease files.
 * The lab starts Kea with the same paths (src/lab/kea.ts), so what `config-set` sends matches what runs.
 */
export function keaLayoutFor(layout: Pick<DeviceLayout, 'pathspace'>): KeaLayout {
  const ps = layout.pathspace;
  if (ps === null) return KEA_DEBIAN_LAYOUT;
  if (!/^[A-Za-z0-9_-]{1,32}$/.test(ps)) throw new Error(`'${ps}' is not a valid lab namespace name`);
  const dir = `${KEA_LAB_ROOT}/${ps}`;
  return {
    controlSocket: { dhcp4: `${dir}/kea4-ctrl-socket`, dhcp6: `${dir}/kea6-ctrl-socket` },
    leaseFile: { dhcp4: `${dir}/kea-leases4.csv`, dhcp6: `${dir}/kea-leases6.csv` },
    log: { dhcp4: `${dir}/kea-dhcp4.log`, dhcp6: `${dir}/kea-dhcp6.log` },
    configFile: { dhcp4: `${dir}/kea-dhcp4.conf`, dhcp6: `${dir}/kea-dhcp6.conf` },
    dataDir: dir,
    hooksDir: KEA_DEBIAN_LAYOUT.hooksDir,
  };
}
