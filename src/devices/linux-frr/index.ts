import type { DeviceIntent } from '../../intent/types';
import { shq } from '../../util/shell';
import type { Candidate, CandidateDocument, DeviceLayout, Driver } from '../contract';
import { posixHostDriver, type HostFile, type HostSpec, type LiveProbe } from '../posix-host';
import { pollFrrChecks } from './checks';
import { clearTrippedCommand, maxPrefixProbe } from './maxprefix';
import { candidatePath, frrLocations, frrReloadArgv, vtysh, type FrrLocations } from './paths';
import { frrExpectations, renderFrrConf, withNewline, type FrrExpectations } from './render';
import { LIVE_RULESET_ARGV, renderRuleset } from './ruleset';
import { dropLogOf, telemetryDocuments, telemetryHost } from './telemetry';

export { candidatePath, frrLocations, frrReloadArgv, vtysh, vtyshCommands, type FrrLocations } from './paths';
export { frrExpectations, parseFrrReloadTest, renderFrrConf, routeMapName, type FrrExpectations, type RouteExpectation } from './render';
export { frrCheckList, missingRoutes, missingSessions, pollFrrChecks } from './checks';
export { clearTrippedCommand, maxPrefixProbe } from './maxprefix';
export { renderRuleset } from './ruleset';
export { FLOWS_CONF, LOGS_CONF, telemetryDocuments, telemetryHost, telemetryPaths, type TelemetryPaths } from './telemetry';

export const PLATFORM = 'linux-frr';

/** Candidate document names of this platform. */
export const FRR_CONF = 'frr.conf';
export const RULESET = 'ggi.nft';

/**
 * Pure: the candidate of a linux-frr device. The nftables ruleset (compiled in src/zones from the intent's structured
 * filter) for every device; frr.conf for a device that routes.
 */
export function renderLinuxFrr(intent: DeviceIntent): Candidate {
  const documents: CandidateDocument[] = [];
  if (intent.bgp) documents.push({ name: FRR_CONF, format: 'text', content: renderFrrConf(intent) });
  if (intent.filter) {
    const dropLog = dropLogOf(intent);
    documents.push({ name: RULESET, format: 'text', content: withNewline(renderRuleset(dropLog ? { ...intent.filter, dropLog } : intent.filter, intent.detection)) });
  }
  // GGI-Veilig: the flow exporter and the packet-log daemon (./telemetry.ts).
  if (intent.telemetry) documents.push(...telemetryDocuments(intent.id, intent.telemetry));
  documents.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const checks: FrrExpectations = frrExpectations(intent);
  return { deviceId: intent.id, platform: PLATFORM, documents, secrets: [], checks };
}

/**
 * How a rollback undoes a file that did not exist before (a first apply): the ruleset is flushed (ggi owns all of
 * it); FRR is reloaded with an empty configuration (by the same reload command, on a temporary file).
 */
function deactivation(name: string, path: string, reload: string[] | undefined): string[][] | undefined {
  if (name === RULESET) return [['nft', 'flush', 'ruleset']];
  if (name === FRR_CONF && reload) {
    const empty = `${path}.ggi-empty`;
    const cmd = reload.map((a) => shq(a === path ? empty : a)).join(' ');
    return [['sh', '-c', `printf 'frr defaults traditional\\n' > ${shq(empty)} && ${cmd}; s=$?; rm -f ${shq(empty)}; exit $s`]];
  }
  return undefined;
}

/**
 * The files, commands and probes of a linux-frr device. ggi owns the device's whole packet filter and whole routing
 * configuration: the ruleset file starts with `flush ruleset` (one atomic `nft -f` replaces everything), frr-reload.py
 * applies the file with replace semantics, and the live probes list the whole ruleset and FRR's whole running
 * configuration, so a table or a stanza added by hand is drift and the next apply removes it.
 */
export function linuxFrrHost(candidate: Candidate, layout: Pick<DeviceLayout, 'pathspace'>): HostSpec {
  const paths = frrLocations(layout);
  const files: HostFile[] = [];
  const validate: string[][] = [];
  const activate: string[][] = [];
  const live: LiveProbe[] = [];
  const nft = candidate.documents.find((d) => d.name === RULESET);
  const frr = candidate.documents.find((d) => d.name === FRR_CONF);
  if (nft) {
    const path = `${paths.nftDir}/ggi.nft`;
    files.push({ name: RULESET, path, candidate: candidatePath(path), content: nft.content, mode: 0o640, deactivate: deactivation(RULESET, path, undefined) });
    validate.push(['nft', '-c', '-f', candidatePath(path)]);
    activate.push(['nft', '-f', path]);
    live.push({ name: 'nftables', argv: LIVE_RULESET_ARGV });
  }
  if (frr) {
    const path = `${paths.frrDir}/frr.conf`;
    const reload = frrReloadArgv(paths, '--reload', path);
    files.push({ name: FRR_CONF, path, candidate: candidatePath(path), content: frr.content, mode: 0o640, deactivate: deactivation(FRR_CONF, path, reload) });
    validate.push(['vtysh', '--dryrun', '-f', candidatePath(path)]);
    // frr-reload.py applies only the difference to the running daemons (replace semantics).
    activate.push(reload);
    live.push({ name: 'frr', argv: vtysh(paths, '-c', 'show running-config') });
    // A session FRR stopped for max-prefix is drift, and apply starts it again (./maxprefix.ts says why not a timer).
    activate.push(clearTrippedCommand(paths));
    live.push(maxPrefixProbe(paths));
  }
  const checks: HostSpec['checks'] = nft ? [{ name: 'nftables table inet ggi is loaded', argv: ['nft', 'list', 'table', 'inet', 'ggi'] }] : [];
  // After the ruleset and FRR: the daemons start on a device that already filters and routes.
  const t = telemetryHost(candidate.deviceId, candidate.documents);
  files.push(...t.files);
  activate.push(...t.activate);
  checks.push(...t.checks);
  live.push(...t.live);
  return { files, validate, activate, checks, live };
}

export const linuxFrr: Driver = posixHostDriver({
  platform: PLATFORM,
  capabilities: { validatesOnDevice: true, manages: ['nftables ruleset', 'FRR configuration', 'flow export (pmacctd)', 'packet logs (ulogd)'] },
  render: renderLinuxFrr,
  host: linuxFrrHost,
  verify: (t, candidate, layout, ctx) => pollFrrChecks(t, candidate.checks as FrrExpectations, frrLocations(layout), ctx),
});

export type { FrrLocations as LinuxFrrLocations };
