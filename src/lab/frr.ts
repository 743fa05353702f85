/**
 * FRR per lab router, one FRR "pathspace" per network namespace (FRR 8.4.4, Debian 12). Found by experiment here:
 *
 * Layout (pathspace = the namespace name; `-N <ns>` makes every FRR tool use these paths):
 *   /etc/frr/<ns>/frr.conf      the device's integrated config (the file the reconciler manages; starts empty)
 *   /etc/frr/<ns>/vtysh.conf    `service integrated-vtysh-config`
 *   /etc/frr/<ns>/daemons       so `frrinit.sh status <ns>` lists the daemons (it reports watchfrr FAILED: not run)
 *   /var/run/frr/<ns>/          vty sockets (zebra.vty, bgpd.vty, staticd.vty), zserv.api, pid files, daemon logs
 * FRR 8.4 has no mgmtd; zebra + bgpd + staticd + bfdd are started directly (no watchfrr: faster, and nothing restarts a daemon
 * behind a test's back), each `ip netns exec <ns> /usr/lib/frr/<d> -d -N <ns> -F traditional -P 0 -u frr -g frr
 * --log file:/var/run/frr/<ns>/<d>.log`. `-d` returns once the daemon is ready; the lab still polls the vty sockets.
 *
 * Commands for the reconciler (all inside the namespace, which an SSH session to the device already is; vtysh also
 * works from the root namespace because it only talks to the sockets):
 *   validate:  vtysh -N <ns> -C -f <candidate>            exit 0 = valid; exit 2 + "line N: % Unknown command" otherwise
 *              (vtysh's own parser, needs no daemon). Optional deeper check that also diffs against the running config:
 *              /usr/lib/frr/frr-reload.py --test --pathspace <ns> <candidate>   (prints "Lines To Delete/Add")
 *   activate:  /usr/lib/frr/frr-reload.py --reload --pathspace <ns> <candidate>   exit 0 = applied (replace semantics:
 *              it deletes what the candidate lacks). NOTE: frr-reload.py then runs `vtysh write`, because it compares the
 *              candidate path with /etc/frr/frr.conf (without the pathspace), so /etc/frr/<ns>/frr.conf is overwritten
 *              with FRR's normalised running config. Upload the candidate elsewhere (e.g. /etc/frr/<ns>/ggi-candidate.conf),
 *              and compare desired vs actual on normalised text (`show running-config`), not on the raw file.
 *              `vtysh -N <ns> -f <file>` merges (never deletes) and is not a replace.
 *   read:      vtysh -N <ns> -c 'show running-config'
 *              vtysh -N <ns> -c 'show bgp summary json'        ({ipv4Unicast: {peers: {<addr>: {state: 'Established', pfxRcd, pfxSnt}}}, ipv6Unicast: ...})
 *              vtysh -N <ns> -c 'show bgp neighbors <addr> advertised-routes json' / 'received-routes json' (needs soft-reconfiguration inbound)
 *   Caveat: `hostname` in frr.conf does not show in vtysh's running config (it reports the system hostname); leave it out.
 *   Logs of frr-reload.py go to /var/log/frr/frr-reload.log (shared by all pathspaces).
 *
 * nftables in a namespace (the namespace has its own ruleset):
 *   validate:  nft -c -f <file>      activate: nft -f <file> (atomic: one transaction; start the file with `flush ruleset`
 *   to make it a replace)            read: nft list ruleset
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Runner } from './exec';
import { makeDirectory } from '../util/directory';
import { frrLocations, vtysh as vtyshArgv, vtyshCommands } from '../devices/linux-frr/paths';

// bfdd: every BGP session has BFD (RFC 5880/5882) for sub-second failure detection.
export const FRR_DAEMONS = ['zebra', 'bgpd', 'staticd', 'bfdd'] as const;
const FRR_BIN = '/usr/lib/frr';
const FRR_RELOAD = '/usr/lib/frr/frr-reload.py';

export interface FrrPaths {
  readonly pathspace: string;
  readonly confDir: string;
  readonly frrConf: string;
  readonly vtyshConf: string;
  readonly daemonsFile: string;
  readonly runDir: string;
}

/** Where FRR keeps a pathspace's files (fixed by FRR: /etc/frr/<ps>, /var/run/frr/<ps>). */
export function frrPaths(pathspace: string): FrrPaths {
  const confDir = `/etc/frr/${pathspace}`;
  return {
    pathspace,
    confDir,
    frrConf: `${confDir}/frr.conf`,
    vtyshConf: `${confDir}/vtysh.conf`,
    daemonsFile: `${confDir}/daemons`,
    runDir: `/var/run/frr/${pathspace}`,
  };
}

/** The exact argv of FRR's device-side commands for one pathspace (run them inside the namespace). */
export interface FrrCommands {
  readonly vtysh: readonly string[];
  /** vtysh -N ns -C -f FILE: syntax check of a candidate. */
  check(file: string): string[];
  /** frr-reload.py --test: check and show what a reload would change. */
  reloadTest(file: string): string[];
  /** frr-reload.py --reload: replace the running config by FILE. */
  reload(file: string): string[];
  showRunning(): string[];
  showBgpSummaryJson(): string[];
}

export function frrCommands(pathspace: string): FrrCommands {
  // The one FRR command-list helper (src/devices/linux-frr): the lab calls FRR as the driver does.
  const where = frrLocations({ pathspace });
  return {
    vtysh: vtyshArgv(where),
    check: (file) => vtyshArgv(where, '-C', '-f', file),
    reloadTest: (file) => [FRR_RELOAD, '--test', '--pathspace', pathspace, file],
    reload: (file) => [FRR_RELOAD, '--reload', '--pathspace', pathspace, file],
    showRunning: () => vtyshCommands(where, ['show running-config']),
    showBgpSummaryJson: () => vtyshCommands(where, ['show bgp summary json']),
  };
}

export function frrDaemonArgv(daemon: string, paths: FrrPaths): string[] {
  return [
    `${FRR_BIN}/${daemon}`,
    '-d',
    '-N',
    paths.pathspace,
    '-F',
    'traditional',
    '-P',
    '0',
    '-u',
    'frr',
    '-g',
    'frr',
    '--log',
    `file:${paths.runDir}/${daemon}.log`,
    '--log-level',
    'informational',
  ];
}

const DAEMONS_FILE = `# written by ggi lab; the lab starts these daemons itself (see src/lab/frr.ts)
zebra=yes
bgpd=yes
staticd=yes
bfdd=yes
vtysh_enable=yes
`;

interface FrrUser {
  uid: number;
  gid: number;
}

function frrUser(): FrrUser {
  // Files must belong to frr: the daemons drop privileges to it and `vtysh write` rewrites frr.conf.
  const line = fs
    .readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('frr:'));
  if (!line) throw new Error('user frr not found: is the frr package installed?');
  const f = line.split(':');
  return { uid: Number(f[2]), gid: Number(f[3]) };
}

/** Writes the pathspace's config files (before anything runs). */
export function writeFrrFiles(paths: FrrPaths, initialConfig: string): void {
  const u = frrUser();
  makeDirectory(paths.confDir, 0o750);
  fs.chownSync(paths.confDir, u.uid, u.gid);
  makeDirectory(paths.runDir, 0o755);
  fs.chownSync(paths.runDir, u.uid, u.gid);
  const files: Array<[string, string]> = [
    [paths.frrConf, initialConfig],
    [paths.vtyshConf, 'service integrated-vtysh-config\n'],
    [paths.daemonsFile, DAEMONS_FILE],
  ];
  for (const [file, text] of files) {
    fs.writeFileSync(file, text, { mode: 0o640 });
    fs.chownSync(file, u.uid, u.gid);
  }
}

/** Starts zebra, bgpd, staticd and bfdd in the namespace and loads frr.conf when it is not empty. Returns the pids. */
export async function startFrr(runner: Runner, netns: string, paths: FrrPaths, opts: { readyTimeoutMs?: number } = {}): Promise<Record<string, number>> {
  const pids: Record<string, number> = {};
  // zebra first (the others connect to its zserv socket), then the rest together.
  await runner.run(frrDaemonArgv('zebra', paths), { netns, timeoutMs: 30_000 });
  await Promise.all(FRR_DAEMONS.filter((d) => d !== 'zebra').map((d) => runner.run(frrDaemonArgv(d, paths), { netns, timeoutMs: 30_000 })));
  const deadline = Date.now() + (opts.readyTimeoutMs ?? 60_000);
  for (const d of FRR_DAEMONS) {
    await waitFor(() => fs.existsSync(path.join(paths.runDir, `${d}.vty`)) && readPid(path.join(paths.runDir, `${d}.pid`)) !== null, deadline, `FRR ${d} in ${netns} (no ${paths.runDir}/${d}.vty)`);
    pids[d] = readPid(path.join(paths.runDir, `${d}.pid`))!;
  }
  if (fs.readFileSync(paths.frrConf, 'utf8').trim() !== '') {
    await runner.run([...frrCommands(paths.pathspace).vtysh, '-b'], { netns, timeoutMs: 30_000 });
  }
  return pids;
}

export function readPid(file: string): number | null {
  try {
    const n = Number(fs.readFileSync(file, 'utf8').trim());
    return Number.isInteger(n) && n > 0 ? n : null;
  } catch {
    return null;
  }
}

/** Polls `ready` (no fixed sleeps: a short back-off from 5 ms up to 100 ms) until it holds or the deadline passes. */
export async function waitFor(ready: () => boolean | Promise<boolean>, deadline: number, what: string): Promise<void> {
  let delay = 5;
  for (;;) {
    if (await ready()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 100);
  }
}
