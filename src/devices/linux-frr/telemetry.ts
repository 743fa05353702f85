import type { DeviceIntent, TelemetryIntent } from '../../intent/types';
import { renderPmacctdConf, renderUlogdConf } from '../../veilig/telemetry';
import type { CandidateDocument } from '../contract';
import type { CommandCheck, HostFile, LiveProbe } from '../posix-host';
import { candidatePath } from './paths';

/**
 * GGI-Veilig on a linux-frr device: the flow exporter (pmacctd) and the packet-log daemon (ulogd), rendered by
 * src/veilig/telemetry.ts, installed and (re)started by the driver with the rest of the device's configuration.
 *
 * Their files live under the device's id (/etc/ggi/telemetry/<id>/, /run/ggi/telemetry/<id>/), so the rendered text
 * (which names the pid, log and map files) depends on the intent alone, and lab devices sharing one machine keep
 * apart. The daemons run where the SSH session runs: on the device, or inside a lab device's namespace.
 */

export const FLOWS_CONF = 'pmacctd.conf';
export const LOGS_CONF = 'ulogd.conf';

export interface TelemetryPaths {
  etc: string;
  run: string;
  flowsConf: string;
  flowsPid: string;
  logsConf: string;
  logsPid: string;
}

export function telemetryPaths(deviceId: string): TelemetryPaths {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/.test(deviceId)) throw new RangeError(`'${deviceId}' cannot name a telemetry folder`);
  const etc = `/etc/ggi/telemetry/${deviceId}`;
  const run = `/run/ggi/telemetry/${deviceId}`;
  return { etc, run, flowsConf: `${etc}/${FLOWS_CONF}`, flowsPid: `${run}/pmacctd.pid`, logsConf: `${etc}/${LOGS_CONF}`, logsPid: `${run}/ulogd.pid` };
}

/** The telemetry documents of a device (none without telemetry, or without a log receiver for the logs). */
export function telemetryDocuments(deviceId: string, t: TelemetryIntent): CandidateDocument[] {
  const p = telemetryPaths(deviceId);
  const docs: CandidateDocument[] = [];
  if (t.flows.interfaces.length > 0 && t.flows.collectors.length > 0) {
    const conf = renderPmacctdConf({ deviceId, collectors: t.flows.collectors, sampling: t.flows.sampling, activeTimeoutS: t.flows.activeTimeoutS, management: t.flows.management, pidFile: p.flowsPid, logFile: `${p.run}/pmacctd.log` });
    docs.push({ name: FLOWS_CONF, format: 'text', content: conf });
  }
  const receiver = t.logs.receivers[0];
  if (receiver && t.logs.groups.length > 0) docs.push({ name: LOGS_CONF, format: 'text', content: renderUlogdConf({ deviceId, groups: t.logs.groups, receiver, logFile: `${p.run}/ulogd.log` }) });
  return docs;
}

/** The drop logging the zone policy's filter gets on this device (src/zones `DropLog`). */
export function dropLogOf(intent: DeviceIntent): NonNullable<DeviceIntent['filter']>['dropLog'] {
  const d = intent.telemetry?.dropLog;
  return d ? { group: d.group, prefix: d.prefix, perSecond: d.perSecond, burst: d.burst } : undefined;
}

/**
 * True when the pid file names a live process in this network namespace whose command line has the daemon's name (a
 * stale pid file from a previous run, whose pid now belongs to something else, does not count; nor does a lab
 * device's daemon on the same machine).
 */
const ALIVE = `alive() { p=$(cat "$pid" 2>/dev/null) && [ -n "$p" ] && [ "$(readlink "/proc/$p/ns/net" 2>/dev/null)" = "$(readlink /proc/$$/ns/net)" ] && tr '\\0' ' ' < "/proc/$p/cmdline" 2>/dev/null | grep -q -- "$name"; }`;

/**
 * (Re)starts a daemon: `sh -c RESTART ggi-telemetry NAME PIDFILE N FILE… ARGV…`. Leaves a running daemon alone when
 * its files are the ones it was started with (an apply that changes only the routing does not reset the flow cache);
 * otherwise stops it and starts ARGV, and waits until it runs.
 */
const RESTART = [
  'set -u',
  'name=$1 pid=$2 n=$3; shift 3',
  'files=; i=0; while [ "$i" -lt "$n" ]; do files="$files $1"; shift; i=$((i+1)); done',
  ALIVE,
  'stamp="$pid.files"',
  'want=$(cat $files | sha256sum | cut -c1-64)',
  'if alive && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then exit 0; fi',
  'if alive; then kill "$p"; i=0; while alive && [ "$i" -lt 50 ]; do sleep 0.1; i=$((i+1)); done; alive && kill -9 "$p"; fi',
  'rm -f "$pid" "$stamp"; mkdir -p "$(dirname "$pid")"',
  // Daemons fork themselves; in the background all the same, so one that stays in front cannot hold the apply.
  'setsid "$@" </dev/null >/dev/null 2>&1 &',
  // Up to 30 s for its pid file: an apply starts the daemons of many devices at once, beside FRR's reloads. A command
  // that has already ended with an error (a bad option, a configuration it refuses) is not waited for.
  'bg=$! reaped=',
  `ended() { s=$(sed 's/.*) //' "/proc/$bg/stat" 2>/dev/null | cut -c1); [ -z "$s" ] || [ "$s" = Z ]; }`,
  'i=0; while ! alive && [ "$i" -lt 300 ]; do',
  '  if [ -z "$reaped" ] && ended; then reaped=1; wait "$bg" || break; fi',
  '  sleep 0.1; i=$((i+1))',
  'done',
  'alive || { echo "$name did not start: $(tail -n 5 "$(dirname "$pid")/$name.log" 2>/dev/null)" >&2; exit 1; }',
  'echo "$want" > "$stamp"',
].join('\n');

/** Stops a daemon: `sh -c STOP ggi-telemetry NAME PIDFILE`. */
const STOP = ['set -u', 'name=$1 pid=$2', ALIVE, 'if alive; then kill "$p"; i=0; while alive && [ "$i" -lt 50 ]; do sleep 0.1; i=$((i+1)); done; alive && kill -9 "$p"; fi', 'rm -f "$pid" "$pid.files"', 'exit 0'].join('\n');

/** Exits 0 when the daemon runs: `sh -c RUNNING ggi-telemetry NAME PIDFILE`. */
const RUNNING = ['name=$1 pid=$2', ALIVE, 'alive'].join('\n');

/**
 * One line per daemon: `NAME: running EXECUTABLE files HASH` (the checksum of the files it was started with) or
 * `NAME: not running`. No pid and no command line: a restart by apply is not drift, and pmacctd retitles itself.
 */
const STATUS = [
  'while [ $# -ge 2 ]; do',
  '  name=$1 pid=$2; shift 2',
  `  ${ALIVE}`,
  '  if alive; then echo "$name: running $(readlink "/proc/$p/exe") files $(cat "$pid.files" 2>/dev/null || echo unknown)"; else echo "$name: not running"; fi',
  'done',
].join('\n');

/** The daemon control scripts (for tests: they run with any daemon, pid file and files). */
export const DAEMON_SCRIPTS = { restart: RESTART, stop: STOP, running: RUNNING, status: STATUS } as const;

export interface TelemetryHost {
  files: HostFile[];
  activate: string[][];
  checks: CommandCheck[];
  live: LiveProbe[];
}

/** Files, (re)start commands, checks and the live probe of a candidate's telemetry documents. */
export function telemetryHost(deviceId: string, documents: readonly CandidateDocument[]): TelemetryHost {
  const p = telemetryPaths(deviceId);
  const doc = (name: string) => documents.find((d) => d.name === name);
  const out: TelemetryHost = { files: [], activate: [], checks: [], live: [] };
  const daemons: Array<[string, string]> = [];
  const file = (name: string, path: string, content: string, deactivate?: string[][]): HostFile => ({ name, path, candidate: candidatePath(path), content, mode: 0o640, ...(deactivate ? { deactivate } : {}) });
  const conf = doc(FLOWS_CONF);
  if (conf) {
    out.files.push(file(FLOWS_CONF, p.flowsConf, conf.content, [['sh', '-c', STOP, 'ggi-telemetry', 'pmacctd', p.flowsPid]]));
    out.activate.push(['sh', '-c', RESTART, 'ggi-telemetry', 'pmacctd', p.flowsPid, '1', p.flowsConf, 'pmacctd', '-f', p.flowsConf]);
    out.checks.push({ name: 'flow exporter (pmacctd) runs', argv: ['sh', '-c', RUNNING, 'ggi-telemetry', 'pmacctd', p.flowsPid], timeoutS: 30 });
    daemons.push(['pmacctd', p.flowsPid]);
  }
  const logs = doc(LOGS_CONF);
  if (logs) {
    out.files.push(file(LOGS_CONF, p.logsConf, logs.content, [['sh', '-c', STOP, 'ggi-telemetry', 'ulogd', p.logsPid]]));
    out.activate.push(['sh', '-c', RESTART, 'ggi-telemetry', 'ulogd', p.logsPid, '1', p.logsConf, 'ulogd', '-d', '-c', p.logsConf, '-p', p.logsPid]);
    out.checks.push({ name: 'packet log daemon (ulogd) runs', argv: ['sh', '-c', RUNNING, 'ggi-telemetry', 'ulogd', p.logsPid], timeoutS: 30 });
    daemons.push(['ulogd', p.logsPid]);
  }
  if (daemons.length > 0) out.live.push({ name: 'telemetry', argv: ['sh', '-c', STATUS, 'ggi-telemetry', ...daemons.flat()] });
  return out;
}
