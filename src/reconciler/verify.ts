import type { VerifyCheck } from './types';

/**
 * Pure evaluation of the structured verification checks on FRR's JSON output. Each returns what is still missing
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

/** Evaluates one structured check against its command's output; [] when it holds. Peers in `skip` are not required. */
export function evaluateCheck(check: VerifyCheck, stdout: string, skip: ReadonlySet<string> = new Set()): string[] {
  switch (check.kind) {
    case 'bgp-sessions':
      return missingSessions(stdout, check.peers.filter((p) => !p.device || !skip.has(p.device)).map((p) => p.address));
    case 'bgp-routes':
      if (check.peerDevice && skip.has(check.peerDevice)) return [];
      // Relayed prefixes come from devices we cannot attribute them to; a failure anywhere excuses them.
      if (check.relayed && skip.size > 0) return [];
      return missingRoutes(stdout, check.direction, check.prefixes);
    default:
      return [];
  }
}
