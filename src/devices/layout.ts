/**
 * Where a device keeps ggi's files and how to call its tools. A real router has one FRR and one nftables; in the lab,
 * every device is a network namespace on one machine, so FRR runs under a pathspace (`-N NAME`: config in
 * /etc/frr/NAME/, sockets in /var/run/frr/NAME/) and each device's files need their own folder. nftables needs no
 * prefix there: commands run over SSH inside the device's namespace, and netfilter state is per namespace.
 */
export interface DeviceLayout {
  /** Folder holding frr.conf. */
  frrDir: string;
  /** Folder holding ggi.nft. */
  nftDir: string;
  /** FRR pathspace, or null on a real device. */
  pathspace: string | null;
  /** frr-reload.py. */
  frrReload: string;
}

export const DEVICE_LAYOUT: DeviceLayout = {
  frrDir: '/etc/frr',
  nftDir: '/etc/nftables.d',
  pathspace: null,
  frrReload: '/usr/lib/frr/frr-reload.py',
};

/** The layout of a lab device whose namespace is also its FRR pathspace. */
export function pathspaceLayout(pathspace: string): DeviceLayout {
  if (!/^[A-Za-z0-9_-]{1,32}$/.test(pathspace)) throw new Error(`'${pathspace}' is not a valid FRR pathspace name`);
  return { frrDir: `/etc/frr/${pathspace}`, nftDir: `/etc/frr/${pathspace}`, pathspace, frrReload: DEVICE_LAYOUT.frrReload };
}

/** vtysh argv for this layout. */
export function vtysh(layout: DeviceLayout, ...args: string[]): string[] {
  return ['vtysh', ...(layout.pathspace ? ['-N', layout.pathspace] : []), ...args];
}

/** The file name a candidate is uploaded to before validation (next to its final path, so the move is atomic). */
export function candidatePath(path: string): string {
  return `${path}.ggi-candidate`;
}
