import { shArgv } from '../../util/shell';
import type { LiveProbe } from '../posix-host';
import { vtysh, type FrrLocations } from './paths';

/**
 * Sessions FRR holds down after a max-prefix trip. FRR 8.4 keeps such a session Idle ("PfxCt") until it is cleared,
 * or until `maximum-prefix N restart M` (whole minutes) runs out. ggi clears it at apply instead of restarting it on a
 * timer: a timer re-opens the session to a peer that may still flood, every M minutes, and the shortest is a minute;
 * an apply is an operator's decision that the cause is gone, and its verification then shows whether it is.
 *
 * The tripped sessions are a live view of the device (recorded empty at each confirmed apply), so a trip reads as drift
 * (`ggi drift`, `plan`) and makes the next apply act on the device even when its configuration is unchanged; its
 * activation then clears exactly the tripped sessions (never a healthy one) and its verification waits for them.
 */

/** Peers in FRR's `show bgp summary json` whose peerState is PfxCt, one per line with argv[1] after it, sorted. */
const TRIPPED_PY = [
  'import json,sys',
  'try:',
  '  d=json.load(sys.stdin)',
  'except ValueError:',
  '  d={}',
  'for p in sorted({p for a in d.values() if isinstance(a,dict) for p,i in a.get("peers",{}).items() if i.get("peerState")=="PfxCt"}):',
  '  print(p+(sys.argv[1] if len(sys.argv)>1 else ""))',
].join('\n');

function trippedPeersCommand(paths: FrrLocations, suffix?: string): string {
  // vtysh's complaints (bgpd not running) are left out: the `frr` live view already shows a dead bgpd.
  return `${shArgv(vtysh(paths, '-c', 'show bgp summary json'))} 2>/dev/null | ${shArgv(['python3', '-c', TRIPPED_PY, ...(suffix ? [suffix] : [])])}`;
}

/** The live probe: the sessions stopped by max-prefix, one line each (python3 is needed by FRR's frr-reload.py anyway). */
export function maxPrefixProbe(paths: FrrLocations): LiveProbe {
  return { name: 'bgp-max-prefix', argv: ['sh', '-c', trippedPeersCommand(paths, ' stopped by max-prefix')] };
}

/** The activation step: `clear bgp PEER` for each tripped session only (FRR then starts it again). */
export function clearTrippedCommand(paths: FrrLocations): string[] {
  const clear = shArgv(vtysh(paths, '-c'));
  return ['sh', '-c', `for p in $(${trippedPeersCommand(paths)}); do ${clear} "clear bgp $p" || exit 1; done`];
}
