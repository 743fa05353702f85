import type { DeviceLayout } from '../contract';

/**
 * Where a linux-frr device keeps its files and how to call its tools. A real router has one FRR and one nftables; in
 * the lab every device is a network namespace on one machine, so FRR runs under a pathspace (`-N NAME`: config in
 * /etc/frr/NAME/, sockets in /var/run/frr/NAME/) and each device's files need their own folder. nftables needs no
 * prefix there: commands run over SSH inside the device's namespace, and netfilter state is per namespace.
 */
export interface FrrLocations {
  /** Folder holding frr.conf. */
  frrDir: string;
  /** Folder holding ggi.nft. */
  nftDir: string;
  /** FRR pathspace, or null on a real device. */
  pathspace: string | null;
  /** frr-reload.py. */
  frrReload: string;
}

const FRR_RELOAD = '/usr/lib/frr/frr-reload.py';

/** The paths of a device with this layout (a lab device's pathspace is its namespace name). */
export function frrLocations(layout: Pick<DeviceLayout, 'pathspace'>): FrrLocations {
  const ps = layout.pathspace;
  if (ps === null) return { frrDir: '/etc/frr', nftDir: '/etc/nftables.d', pathspace: null, frrReload: FRR_RELOAD };
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(ps)) throw new Error(`'${ps}' is not a valid FRR pathspace name`);
  return { frrDir: `/etc/frr/${ps}`, nftDir: `/etc/frr/${ps}`, pathspace: ps, frrReload: FRR_RELOAD };
}

/** vtysh argv for these paths. */
export function vtysh(paths: FrrLocations, ...args: string[]): string[] {
  return ['vtysh', ...(paths.pathspace ? ['-N', paths.pathspace] : []), ...args];
}

/**
 * One FRR command list: vtysh with one `-c` per command, in order (vtysh runs them in one session, so
 * `configure`, the lines, `end` work as typed).
 */
export function vtyshCommands(paths: FrrLocations, commands: readonly string[]): string[] {
  return vtysh(paths, ...commands.flatMap((c) => ['-c', c]));
}

/** The file name a candidate is uploaded to before validation (next to its final path, so the move is atomic). */
export function candidatePath(path: string): string {
  return `${path}.ggi-candidate`;
}

/** frr-reload.py argv; --confdir is the file's own folder, so after a reload it does not `write` FRR's rendering over ours. */
export function frrReloadArgv(paths: FrrLocations, mode: '--reload' | '--test', file: string): string[] {
  return [paths.frrReload, mode, '--confdir', paths.frrDir, ...(paths.pathspace ? ['--pathspace', paths.pathspace] : []), file];
}
