import { shArgv } from '../../util/shell';
import type { CheckResult, ShellTransport, VerifyContext } from '../contract';
import { vtysh, type FrrLocations } from './paths';
import type { FrrExpectations, RouteExpectation } from './render';

/**
 * FRR's own health checks after activation: every BGP session Established, every expected prefix sent and received.
 * Pure evaluation of FRR 8.4's JSON output (fixtures in test/devices/fixtures are captured from real FRR 8.4), and a
 * poller that asks the device once a second until the checks hold or the deadline passes. Each returns what is still missing
 * (empty: the check holds), so that a failure message names the sessions or prefixes that did not come.
 */

function parse(stdout: string): unknown {
  try {
    return JSON.parse(stdout);
  } catch {
    return null;
  }
}

function canon(prefix: string): string {
  return prefix.trim().toLowerCase();
}

/** `show bgp neighbors json`: an object keyed by peer address, each with `bgpState`. */
export function missingSessions(stdout: string, peers: readonly string[]): string[] {
  const j = parse(stdout);
  const byPeer = new Map<string, string>();
  if (j && typeof j === 'object') {
    for (const [k, v] of Object.entries(j as Record<string, unknown>)) {
      if (v && typeof v === 'object' && 'bgpState' in v) byPeer.set(canon(k), String((v as { bgpState: unknown }).bgpState));
    }
  }
  return peers.filter((p) => byPeer.get(canon(p)) !== 'Established').map((p) => `${p} (${byPeer.get(canon(p)) ?? 'not configured'})`);
}

/** `… advertised-routes json` (`advertisedRoutes`) or `… routes json` (`routes`): keys are prefixes. */
export function missingRoutes(stdout: string, direction: 'advertised' | 'received', prefixes: readonly string[]): string[] {
  const j = parse(stdout) as Record<string, unknown> | null;
  const table = j && typeof j === 'object' ? (direction === 'advertised' ? j.advertisedRoutes : j.routes) : undefined;
  const have = new Set(table && typeof table === 'object' ? Object.keys(table as object).map(canon) : []);
  return prefixes.filter((p) => !have.has(canon(p)));
}

/** One check: a name, the vtysh command whose JSON it reads, and what is still missing in that output. */
interface FrrCheck {
  name: string;
  expected: string;
  argv: string[];
  missing(stdout: string): string[];
}

/** The checks of a device, with the ones that depend on excused (failed) devices left out. */
export function frrCheckList(exp: FrrExpectations, paths: FrrLocations, excused: ReadonlySet<string>): FrrCheck[] {
  const out: FrrCheck[] = [];
  const afi = (f: 4 | 6) => (f === 4 ? 'ipv4' : 'ipv6');
  const peers = exp.sessions.filter((s) => !excused.has(s.peerDevice)).map((s) => s.peer);
  if (peers.length > 0) {
    out.push({ name: 'BGP sessions established', expected: `Established: ${peers.join(', ')}`, argv: vtysh(paths, '-c', 'show bgp neighbors json'), missing: (o) => missingSessions(o, peers) });
  }
  const routes = (list: RouteExpectation[], direction: 'advertised' | 'received', label: (r: RouteExpectation) => string, relayed = false) => {
    for (const r of list) {
      if (r.prefixes.length === 0 || excused.has(r.peerDevice)) continue;
      // Relayed prefixes come from devices we cannot attribute them to; a failure anywhere excuses them.
      if (relayed && excused.size > 0) continue;
      const cmd = `show bgp ${afi(r.family)} unicast neighbors ${r.peer} ${direction === 'advertised' ? 'advertised-routes' : 'routes'} json`;
      out.push({ name: label(r), expected: r.prefixes.join(', '), argv: vtysh(paths, '-c', cmd), missing: (o) => missingRoutes(o, direction, r.prefixes) });
    }
  };
  routes(exp.advertised, 'advertised', (r) => `prefixes sent to ${r.peerDevice} (${r.peer})`);
  routes(exp.relayed, 'advertised', (r) => `prefixes relayed to ${r.peerDevice} (${r.peer})`, true);
  routes(exp.received, 'received', (r) => `prefixes received from ${r.peerDevice} (${r.peer})`);
  return out;
}

/** Polls every check (once per `ctx.intervalMs`, default 1 s) until all hold or the deadline passes. Reads only. */
export async function pollFrrChecks(t: ShellTransport, exp: FrrExpectations, paths: FrrLocations, ctx: VerifyContext): Promise<CheckResult[]> {
  const checks = frrCheckList(exp, paths, ctx.excused);
  const results: CheckResult[] = [];
  for (const c of checks) {
    let missing: string[] = [];
    for (;;) {
      const r = await t.exec(shArgv(c.argv));
      missing = c.missing(r.stdout);
      if (missing.length === 0 || Date.now() >= ctx.deadline) break;
      await new Promise((res) => setTimeout(res, ctx.intervalMs ?? 1000));
    }
    results.push(missing.length === 0 ? { name: c.name, ok: true, expected: c.expected, observed: 'all present' } : { name: c.name, ok: false, expected: c.expected, observed: `missing ${missing.join(', ')}`, detail: `${c.name}: missing ${missing.join(', ')}` });
    if (missing.length > 0) break;
  }
  return results;
}
