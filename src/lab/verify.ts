/**
 * Verification of a running lab against the inventory: BGP sessions, what the KPS peer receives, and real flows
 * between every pair of hosts compared with the policy engine's end-to-end verdict. The expectation is computed from
 * data (pure), the observation is made with real packets (imperative), and the comparison is pure again.
 */
import type { HttpTransport } from '../devices/contract';
import { labRadiusRoot } from '../devices/radius';
import type { Inventory } from '../model/inventory';
import type { Runner } from './exec';
import { govroamEapChecks } from './govroam';
import { EXTERNAL_ROLES } from './inventory-lab';
import { labDhcpChecks, type KeaTarget } from './kea';
import { plantableRule, SOC_ROLE, SOC_ROTATE_S, socCoverage } from './soc';
import type { LabState, NodeState } from './state';

export type FlowProto = 'tcp' | 'udp' | 'icmp';

export interface FlowProbe {
  /** Host ids and addresses. */
  readonly from: string;
  readonly fromNamespace: string;
  readonly to: string;
  readonly dst: string;
  readonly proto: FlowProto;
  readonly port: number | null;
}

export interface FlowResult extends FlowProbe {
  /** The source address the kernel of the sending host picks for this destination. */
  readonly src: string | null;
  readonly expected: boolean;
  readonly actual: boolean;
  readonly rule: string | null;
  readonly reason: string;
  /** `policy query`'s verdict (allowed, denied, no-route, not-ggi), when the expectation gives one. */
  readonly verdict?: string;
}

export type Expectation = (p: { src: string; dst: string; proto: FlowProto; port: number | null }) => { allowed: boolean; rule: string | null; reason: string; verdict?: string };

/** Every probe between hosts: each listener of every other host, and one ICMP echo to each of its addresses. */
export function flowProbes(state: LabState): FlowProbe[] {
  // govroam's access points stand on the RADIUS servers' access-point network; src/lab/govroam.ts checks them with EAP.
  // The SOC (src/lab/soc.ts) sits on the management network only: it is no party of GGI-Netwerk's flows.
  const hosts = state.nodes.filter((n) => n.kind === 'host' && !n.meta.govroam && n.meta.role !== 'soc');
  const out: FlowProbe[] = [];
  for (const from of hosts) {
    for (const to of hosts) {
      if (to.id === from.id) continue;
      for (const dst of hostAddresses(to)) {
        out.push({ from: from.id, fromNamespace: from.namespace, to: to.id, dst, proto: 'icmp', port: null });
        for (const l of to.listens) out.push({ from: from.id, fromNamespace: from.namespace, to: to.id, dst, proto: l.proto, port: l.port });
      }
    }
  }
  return out;
}

function hostAddresses(n: NodeState): string[] {
  return n.interfaces.filter((i) => i.name !== 'lo' && i.name !== 'mgmt0').flatMap((i) => i.addresses.map((a) => a.split('/')[0])).filter((a) => !a.startsWith('fe80'));
}

// One Python process per sending host runs all its probes in threads: a process per probe costs more than the probes.
const BATCH_PY = `
import json, socket, subprocess, sys, threading, os
probes = json.load(sys.stdin)
timeout = float(sys.argv[1])
res = [None] * len(probes)
def src_of(dst):
    try:
        out = subprocess.run(['ip', 'route', 'get', dst], capture_output=True, text=True, timeout=5).stdout.split()
        return out[out.index('src') + 1] if 'src' in out else None
    except Exception:
        return None
def one(i, p):
    tok = ('ggi-verify-%d-%s' % (i, os.urandom(6).hex())).encode()
    ok = False
    try:
        if p['proto'] == 'icmp':
            ok = subprocess.run(['ping', '-n', '-q', '-c', '1', '-W', str(max(1, int(timeout + 0.999))), p['dst']], capture_output=True, timeout=timeout + 5).returncode == 0
        elif p['proto'] == 'tcp':
            s = socket.create_connection((p['dst'], p['port']), timeout=timeout)
            s.sendall(tok); buf = b''
            while tok not in buf:
                d = s.recv(4096)
                if not d: break
                buf += d
            ok = tok in buf; s.close()
        else:
            s = socket.socket(socket.AF_INET6 if ':' in p['dst'] else socket.AF_INET, socket.SOCK_DGRAM)
            s.settimeout(timeout); s.sendto(tok, (p['dst'], p['port']))
            buf, _ = s.recvfrom(4096); ok = tok in buf; s.close()
    except (OSError, subprocess.TimeoutExpired):
        ok = False
    res[i] = {'ok': ok, 'src': src_of(p['dst'])}
sem = threading.Semaphore(int(sys.argv[2]))
def run(i, p):
    with sem: one(i, p)
ts = [threading.Thread(target=run, args=(i, p)) for i, p in enumerate(probes)]
[t.start() for t in ts]; [t.join() for t in ts]
json.dump(res, sys.stdout)
`;

/** Sends every probe for real, grouped per sending host, a few hosts at a time. */
export async function runProbes(runner: Runner, probes: readonly FlowProbe[], opts: { timeoutMs?: number; threads?: number; hostsAtOnce?: number; progress?: (done: number, total: number) => void } = {}): Promise<Array<{ ok: boolean; src: string | null }>> {
  const timeout = (opts.timeoutMs ?? 1000) / 1000;
  const byNs = new Map<string, number[]>();
  probes.forEach((p, i) => {
    byNs.set(p.fromNamespace, [...(byNs.get(p.fromNamespace) ?? []), i]);
  });
  const results: Array<{ ok: boolean; src: string | null }> = new Array(probes.length);
  const groups = [...byNs.entries()];
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (next < groups.length) {
      const [ns, idxs] = groups[next++];
      const input = JSON.stringify(idxs.map((i) => ({ proto: probes[i].proto, dst: probes[i].dst, port: probes[i].port })));
      const r = await runner.run(['/usr/bin/python3', '-c', BATCH_PY, String(timeout), String(opts.threads ?? 32)], { netns: ns, input, timeoutMs: 600000 });
      const parsed = JSON.parse(r.stdout) as Array<{ ok: boolean; src: string | null }>;
      idxs.forEach((i, k) => {
        results[i] = parsed[k];
      });
      done += idxs.length;
      opts.progress?.(done, probes.length);
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.hostsAtOnce ?? 2, groups.length) }, worker));
  return results;
}

/** Pure: the expectation for each probe from the source address actually used. */
export function compareFlows(probes: readonly FlowProbe[], observed: ReadonlyArray<{ ok: boolean; src: string | null }>, expect: Expectation): FlowResult[] {
  return probes.map((p, i) => {
    const o = observed[i];
    const v: ReturnType<Expectation> = o.src ? expect({ src: o.src, dst: p.dst, proto: p.proto, port: p.port }) : { allowed: false, rule: null, reason: 'no route from the sending host' };
    return { ...p, src: o.src, expected: v.allowed, actual: o.ok, rule: v.rule, reason: v.reason, ...(v.verdict ? { verdict: v.verdict } : {}) };
  });
}

/** Indices of the probes whose flow the policy allows but that did not connect: the ones worth a second try. */
export function missedFlows(probes: readonly FlowProbe[], observed: ReadonlyArray<{ ok: boolean; src: string | null }>, expect: Expectation): number[] {
  return compareFlows(probes, observed, expect).flatMap((r, i) => (r.expected && !r.actual ? [i] : []));
}

/** The first observations with the retried ones put in their place (`again[k]` is the second try of `indices[k]`). */
export function mergeRetried<T>(first: readonly T[], indices: readonly number[], again: readonly T[]): T[] {
  const out = [...first];
  indices.forEach((i, k) => {
    if (again[k] !== undefined) out[i] = again[k];
  });
  return out;
}

export interface BgpSession {
  readonly device: string;
  readonly peer: string;
  readonly state: string;
  readonly prefixesReceived: number | null;
  /** FRR's reason a session is down, when it gives one: `PfxCt` (max-prefix tripped), `Admin` (shut down), `Policy`. */
  readonly peerState?: string;
}

/** Every BGP neighbor of every router that runs FRR, as FRR reports it. */
export async function bgpSessions(runner: Runner, state: LabState): Promise<BgpSession[]> {
  const routers = state.nodes.filter((n) => n.kind === 'router' && n.frr);
  const out: BgpSession[] = [];
  await Promise.all(
    routers.map(async (n) => {
      const r = await runner.run(['vtysh', '-N', n.namespace, '-c', 'show bgp summary json'], { netns: n.namespace, allowFail: true, timeoutMs: 30000 });
      if (r.code !== 0) return;
      let doc: Record<string, { peers?: Record<string, { state?: string; pfxRcd?: number; peerState?: string }> }>;
      try {
        doc = JSON.parse(r.stdout || '{}');
      } catch {
        return;
      }
      const seen = new Set<string>();
      for (const af of Object.values(doc)) {
        for (const [peer, info] of Object.entries(af?.peers ?? {})) {
          if (seen.has(peer)) continue;
          seen.add(peer);
          out.push({ device: n.id, peer, state: info.state ?? 'unknown', prefixesReceived: info.pfxRcd ?? null, ...(info.peerState ? { peerState: info.peerState } : {}) });
        }
      }
    }),
  );
  return out.sort((a, b) => a.device.localeCompare(b.device) || a.peer.localeCompare(b.peer));
}

/** The prefixes a router has learned from BGP peers (both families; its own networks excluded), from FRR's BGP table. */
export async function bgpReceived(runner: Runner, node: NodeState): Promise<string[]> {
  const prefixes: string[] = [];
  for (const af of ['ipv4 unicast', 'ipv6 unicast']) {
    const r = await runner.run(['vtysh', '-N', node.namespace, '-c', `show bgp ${af} json`], { netns: node.namespace, allowFail: true, timeoutMs: 30000 });
    if (r.code !== 0) continue;
    try {
      const doc = JSON.parse(r.stdout || '{}') as { routes?: Record<string, Array<{ peerId?: string }>> };
      for (const [prefix, paths] of Object.entries(doc.routes ?? {})) {
        if ((paths ?? []).some((x) => x.peerId && x.peerId !== '(unspec)')) prefixes.push(prefix);
      }
    } catch {
      /* an empty table prints nothing parseable on some versions */
    }
  }
  return prefixes.sort();
}

// ---------------------------------------------------------------------------------------------------------------
// Checks: what `ggi verify` reports. Each provider observes one aspect of the running network and returns checks;
// a new aspect (govroam EAP outcomes, DHCP leases, redundancy) is one more provider in CHECK_PROVIDERS.

/** One verified fact (CLI.md `ggi verify`): what the inventory expects, what the network showed. */
export interface Check {
  readonly name: string;
  readonly ok: boolean;
  readonly expected: string;
  readonly observed: string;
  readonly detail: string;
  /** The device did not answer at all: the verification could not be made (exit 3, not 4). Not part of the JSON. */
  readonly unreachable?: boolean;
}

/** What a provider may use: the lab, how to run commands in it, the inventory as the lab sees it, and the policy. */
export interface VerifyEnv {
  readonly runner: Runner;
  readonly state: LabState;
  /** The inventory through the lab's profile (typed loosely so that this module needs no model import). */
  readonly inventory: unknown;
  /** The end-to-end verdict of `policy query` for a packet. */
  readonly expectFlow: Expectation;
  /** The prefixes the KPS peer must receive, canonical (net.formatPrefix). */
  readonly announcedToKps: readonly string[];
  /** Canonical form of a prefix as FRR prints it. */
  readonly canonPrefix: (p: string) => string;
  /** What a CE may announce (its organisation's registered prefixes, and its members'), canonical; null: not a known CE. */
  readonly ceMayAnnounce?: (ceDevice: string) => readonly string[] | null;
  /** How long BGP sessions may take to come up after an apply. */
  readonly settleMs: number;
  /** Progress for people (stderr), one line at a time. */
  progress(text: string): void;
  /** A live count for long steps (shown on a terminal only). */
  tick?(what: string, done: number, total: number): void;
  /** Opens the HTTP API of a lab appliance (the CLI passes the reconciler's HTTP transport). */
  connectApi(t: KeaTarget): HttpTransport;
}

/** A check provider: a named function from the lab to checks. Its failures are checks too (it never throws to the caller). */
export interface CheckProvider {
  readonly name: string;
  readonly summary: string;
  checks(env: VerifyEnv): Promise<Check[]>;
}

export interface VerifyReport {
  readonly ok: boolean;
  readonly unreachable: boolean;
  readonly checks: Check[];
}

/** Runs the providers in order; a provider that fails is reported as a failed check of its own. */
export async function runChecks(env: VerifyEnv, providers: readonly CheckProvider[]): Promise<VerifyReport> {
  const checks: Check[] = [];
  for (const p of providers) {
    env.progress(`checking ${p.summary}…\n`);
    try {
      checks.push(...(await p.checks(env)));
    } catch (e) {
      const why = e instanceof Error ? e.message.split('\n')[0] : String(e);
      checks.push({ name: `${p.name}: could not check`, ok: false, expected: p.summary, observed: 'no answer', detail: why, unreachable: true });
    }
  }
  return { ok: checks.length > 0 && checks.every((c) => c.ok), unreachable: checks.some((c) => c.unreachable), checks };
}

/** The routers ggi manages in the lab (the KPS side and suppliers' own routers are parties outside GGI). */
export function managedRouters(state: LabState, external: ReadonlySet<string>): NodeState[] {
  return state.nodes.filter((n) => n.kind === 'router' && !external.has(String(n.meta.role ?? '')));
}

const FRR_DAEMON_NAMES = ['zebra', 'bgpd', 'staticd', 'bfdd'];

function pidAlive(pidFile: string): boolean {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const fs = require('node:fs') as typeof import('node:fs');
  try {
    const pid = Number(fs.readFileSync(pidFile, 'utf8').trim());
    if (!Number.isInteger(pid) || pid <= 0) return false;
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Whether an SSH server answers with its banner on the management address (what the controller needs first). */
function sshAnswers(host: string, port: number, timeoutMs: number): Promise<boolean> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const net = require('node:net') as typeof import('node:net');
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    let buf = '';
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.on('error', () => done(false));
    s.on('data', (d) => {
      buf += d.toString('latin1');
      if (buf.includes('\n') || buf.length > 255) done(buf.startsWith('SSH-'));
    });
    s.on('close', () => resolve(buf.startsWith('SSH-')));
  });
}

/** The RADIUS daemon a lab RADIUS server runs (where the radius driver starts it), or null for other devices. */
function radiusDaemon(n: NodeState): { daemon: string; pidFiles: string[] } | null {
  if (n.meta.role !== 'radius') return null;
  const root = labRadiusRoot(n.frr?.pathspace ?? n.namespace);
  return n.meta.govroam === 'home' ? { daemon: 'freeradius', pidFiles: [`${root}/run/freeradius/freeradius.pid`] } : { daemon: 'radsecproxy', pidFiles: [`${root}/run/radsecproxy.pid`] };
}

/** Every managed router: reachable over SSH, its FRR daemons running, ggi's packet filter loaded. */
export const deviceHealthProvider: CheckProvider = {
  name: 'device',
  summary: 'the health of every managed device',
  async checks(env) {
    const routers = managedRouters(env.state, EXTERNAL_ROLES);
    return Promise.all(
      routers.map(async (n): Promise<Check> => {
        const problems: string[] = [];
        // A RADIUS server's platform manages its RADIUS daemon, not a packet filter of ggi's.
        const radius = radiusDaemon(n);
        const wanted = ['SSH answers', ...(n.frr ? [`FRR ${FRR_DAEMON_NAMES.join(', ')} run`] : []), radius ? `${radius.daemon} runs` : 'table inet ggi loaded'];
        const nsUp = (await env.runner.run(['ip', 'netns', 'exec', n.namespace, 'true'], { allowFail: true, timeoutMs: 10000 })).code === 0;
        if (!nsUp) return { name: `device ${n.id}`, ok: false, expected: wanted.join('; '), observed: 'namespace gone', detail: `network namespace ${n.namespace} does not exist`, unreachable: true };
        // A second, longer try before calling it down: every device is probed at once, and on a loaded host one sshd
        // may take seconds to fork for the banner.
        const ssh = n.sshd ? (await sshAnswers(n.sshd.address, n.sshd.port, 3000)) || (await sshAnswers(n.sshd.address, n.sshd.port, 15000)) : false;
        if (!ssh) problems.push(n.sshd ? `no SSH banner from ${n.sshd.address}:${n.sshd.port}` : 'no sshd');
        if (n.frr) {
          const dead = FRR_DAEMON_NAMES.filter((d) => !pidAlive(`${n.frr!.runDir}/${d}.pid`));
          if (dead.length) problems.push(`FRR ${dead.join(', ')} not running`);
        }
        if (radius) {
          if (!radius.pidFiles.some(pidAlive)) problems.push(`${radius.daemon} not running`);
        } else {
          const nft = await env.runner.run(['nft', 'list', 'table', 'inet', 'ggi'], { netns: n.namespace, allowFail: true, timeoutMs: 10000 });
          if (nft.code !== 0) problems.push('no table inet ggi');
        }
        return { name: `device ${n.id}`, ok: problems.length === 0, expected: wanted.join('; '), observed: problems.length ? problems.join('; ') : 'healthy', detail: `namespace ${n.namespace}, role ${n.meta.role ?? '-'}`, ...(ssh ? {} : { unreachable: true }) };
      }),
    );
  },
};

/**
 * Reads until the reading is good or the settle time (`--wait`) has passed, every 2 s, and returns the last reading. A
 * session that flapped a moment ago (BFD on a loaded host) is judged once it had the time to come back, as the BGP
 * check waits for sessions that are still coming up; with `--wait 0` it is one reading.
 */
export async function settled<T>(env: Pick<VerifyEnv, 'settleMs'>, read: () => Promise<T>, good: (reading: T) => boolean): Promise<T> {
  const deadline = Date.now() + env.settleMs;
  let reading = await read();
  while (!good(reading) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, Math.min(2000, Math.max(0, deadline - Date.now()))));
    reading = await read();
  }
  return reading;
}

/** Every BGP session of every router Established (after waiting, bounded, for sessions that are still coming up). */
export const bgpSessionProvider: CheckProvider = {
  name: 'bgp',
  summary: 'BGP sessions',
  async checks(env) {
    const sessions = await settled(env, () => bgpSessions(env.runner, env.state), (all) => all.every((s) => s.state === 'Established'));
    if (!sessions.length) return [{ name: 'bgp sessions', ok: false, expected: 'BGP sessions on the routers', observed: 'none', detail: 'no router answered show bgp summary' }];
    return sessions.map((s) => ({
      name: `bgp ${s.device} ${s.peer}`,
      ok: s.state === 'Established',
      expected: 'Established',
      observed: s.state,
      detail: s.prefixesReceived === null ? '' : `${s.prefixesReceived} prefixes received`,
    }));
  },
};

/** The KPS peer receives exactly the prefixes GGI announces to Diginetwerk, and never a default route. */
export const kpsRouteProvider: CheckProvider = {
  name: 'kps',
  summary: 'routes the KPS receives',
  async checks(env) {
    const kps = env.state.nodes.filter((n) => n.meta.role === 'kps-peer');
    if (!kps.length) return [];
    const announced = new Set(env.announcedToKps);
    const receive = async () => {
      const got = new Set<string>();
      for (const n of kps) for (const p of await bgpReceived(env.runner, n)) got.add(env.canonPrefix(p));
      return got;
    };
    const got = await settled(env, receive, (g) => g.size === announced.size && [...announced].every((p) => g.has(p)));
    const unexpected = [...got].filter((p) => !announced.has(p)).sort();
    const missing = [...announced].filter((p) => !got.has(p)).sort();
    const defaults = [...got].filter((p) => p === '0.0.0.0/0' || p === '::/0');
    const list = (xs: string[]) => (xs.length > 10 ? `${xs.slice(0, 10).join(', ')} (+${xs.length - 10} more)` : xs.join(', '));
    return [
      {
        name: 'kps routes',
        ok: unexpected.length === 0 && missing.length === 0,
        expected: `${announced.size} announced prefixes`,
        observed: `${got.size} received, ${unexpected.length} unexpected, ${missing.length} missing`,
        detail: [unexpected.length ? `unexpected: ${list(unexpected)}` : '', missing.length ? `missing: ${list(missing)}` : ''].filter(Boolean).join('; '),
      },
      { name: 'kps no default route', ok: defaults.length === 0, expected: 'no default route', observed: defaults.length ? defaults.join(', ') : 'none', detail: '' },
    ];
  },
};

/**
 * Which probes GGI-Netwerk judges: every flow but those it never carries, which `policy query` gives the verdict
 * `not-ggi` (the one classification of src/zones/scope.ts: within one party, or service to service), and anything
 * across the zones.
 */
export function judgedFlows(results: readonly FlowResult[]): { judged: FlowResult[]; crossZone: FlowResult[]; notJudged: number } {
  const crossZone = results.filter((r) => /zones never exchange/i.test(r.reason));
  const judged = results.filter((r) => r.verdict !== 'not-ggi');
  return { judged, crossZone, notJudged: results.length - judged.length };
}

/** Real packets between every pair of hosts, each compared with `policy query` for the source the kernel picks. */
export const flowProvider: CheckProvider = {
  name: 'flows',
  summary: 'flows with real packets against policy query',
  async checks(env) {
    const probes = flowProbes(env.state);
    if (!probes.length) return [];
    const first = await runProbes(env.runner, probes, { timeoutMs: 1000, progress: (d, t) => env.tick?.('probing flows', d, t) });
    // A flow the policy allows that did not connect gets a second, longer try before it counts as blocked: on a loaded
    // host one answer can miss a 1 s limit. A flow that connected needs no second look: load never opens a path.
    const missed = missedFlows(probes, first, env.expectFlow);
    const again = missed.length ? await runProbes(env.runner, missed.map((i) => probes[i]), { timeoutMs: 4000, threads: 8, progress: (d, t) => env.tick?.('probing flows again', d, t) }) : [];
    const observed = mergeRetried(first, missed, again);
    const results = compareFlows(probes, observed, env.expectFlow);
    const { judged, crossZone, notJudged } = judgedFlows(results);
    const mismatches = judged.filter((r) => r.expected !== r.actual);
    const allowed = judged.filter((r) => r.expected && r.actual).length;
    const denied = judged.filter((r) => !r.expected && !r.actual).length;
    const leaks = crossZone.filter((r) => r.actual);
    const line = (m: FlowResult) => `${m.proto}${m.port !== null ? `/${m.port}` : ''} ${m.from} (${m.src ?? '-'}) -> ${m.to} (${m.dst}): policy ${m.expected ? 'allows' : 'denies'}, network ${m.actual ? 'connected' : 'blocked'} (${m.reason})`;
    return [
      {
        name: 'flows',
        ok: mismatches.length === 0,
        expected: `${judged.length} flows as policy query says`,
        observed: `${allowed} allowed and connected, ${denied} denied and blocked, ${mismatches.length} differ; ${notJudged} not GGI traffic (not judged)`,
        detail: mismatches.slice(0, 20).map(line).join('\n'),
      },
      {
        name: 'flows across zones',
        ok: leaks.length === 0,
        expected: `${crossZone.length} flows between overheid and markt blocked`,
        observed: `${leaks.length} connected`,
        detail: leaks.slice(0, 20).map(line).join('\n'),
      },
    ];
  },
};

/** Each DHCP appliance hands a visitor namespace an address from the declared pool, and holds that lease. */
export const dhcpLeaseProvider: CheckProvider = {
  name: 'dhcp',
  summary: 'DHCP leases from the appliances',
  async checks(env) {
    const found = await labDhcpChecks(env.runner, env.state, env.connectApi);
    return found.map((c) => ({ ...c, detail: c.detail ?? '' }));
  },
};

/** govroam with real EAP (eapol_test as an access point): accept, reject, unknown realm, Operator-Name, CUI, accounting. */
export const govroamEapProvider: CheckProvider = {
  name: 'govroam',
  summary: 'govroam EAP outcomes',
  async checks(env) {
    // A lab without govroam (no national proxies) has nothing to check here.
    if (!env.state.nodes.some((n) => n.meta.govroam === 'nlrs')) return [];
    const found = await govroamEapChecks(env.state, env.inventory as Inventory, env.runner);
    return found.map((c) => ({ ...c, detail: c.detail ?? '' }));
  },
};

/** What a peer sends on a session whose Adj-RIB-In FRR keeps (soft-reconfiguration inbound), filtered routes included. */
export interface ReceivedCount {
  readonly device: string;
  readonly peer: string;
  readonly received: number;
  /** The session's maximum-prefix (FRR's prefixAllowedMax), or null when it has none. */
  readonly limit: number | null;
}

/**
 * The Adj-RIB-In size and limit of every session of the zone borders that keeps one (the KPS sessions, where max-prefix
 * counts filtered routes too). FRR 8.4 weighs that count only when it accepts a route, so a peer can sit above its
 * limit, untripped, until its next acceptable announcement: verify reports that as well.
 */
export async function receivedCounts(runner: Runner, state: LabState): Promise<ReceivedCount[]> {
  const borders = state.nodes.filter((n) => n.kind === 'router' && n.frr && String(n.meta.role ?? '').startsWith('border-'));
  const out: ReceivedCount[] = [];
  const json = async (n: NodeState, cmd: string): Promise<Record<string, unknown>> => {
    const r = await runner.run(['vtysh', '-N', n.namespace, '-c', cmd], { netns: n.namespace, allowFail: true, timeoutMs: 30000 });
    try {
      return r.code === 0 ? (JSON.parse(r.stdout || '{}') as Record<string, unknown>) : {};
    } catch {
      return {};
    }
  };
  await Promise.all(
    borders.map(async (n) => {
      const neighbors = (await json(n, 'show bgp neighbors json')) as Record<string, { addressFamilyInfo?: Record<string, { inboundSoftConfigPermit?: boolean; prefixAllowedMax?: number }> }>;
      for (const [peer, info] of Object.entries(neighbors)) {
        for (const [af, a] of Object.entries(info?.addressFamilyInfo ?? {})) {
          if (!a?.inboundSoftConfigPermit || !/^ipv[46]Unicast$/.test(af)) continue;
          const r = (await json(n, `show bgp ${af === 'ipv4Unicast' ? 'ipv4' : 'ipv6'} unicast neighbors ${peer} received-routes json`)) as { totalPrefixCounter?: number };
          out.push({ device: n.id, peer, received: r.totalPrefixCounter ?? 0, limit: a.prefixAllowedMax ?? null });
        }
      }
    }),
  );
  return out.sort((a, b) => a.device.localeCompare(b.device) || a.peer.localeCompare(b.peer));
}

/** Whether FRR stopped a session because the peer sent more prefixes than its maximum-prefix allows. */
export function maxPrefixTripped(s: BgpSession): boolean {
  return s.peerState === 'PfxCt' || /PfxCt/.test(s.state);
}

/** The addresses of `peer` on its links to `node` (what `node`'s BGP sessions name as the neighbour). */
function peerAddresses(node: NodeState, peer: NodeState): string[] {
  const mine = new Set(node.interfaces.filter((i) => i.peer?.node === peer.id).map((i) => i.peer!.ifname));
  return peer.interfaces.filter((i) => mine.has(i.name)).flatMap((i) => i.addresses.map((a) => a.split('/')[0]));
}

/**
 * Redundancy from the lab's sessions (pure): every KPS peering of every border up (one per KPS data centre), every CE of
 * every CE pair with all its uplinks up, and no session stopped by max-prefix.
 */
export function redundancyChecks(state: LabState, sessions: readonly BgpSession[], pairs: ReadonlyArray<{ organisation: string; devices: readonly string[] }>, received: readonly ReceivedCount[] = []): Check[] {
  const node = new Map(state.nodes.map((n) => [n.id, n]));
  const role = (n: NodeState) => String(n.meta.role ?? '');
  const established = (device: string, addrs: readonly string[]) => sessions.filter((s) => s.device === device && addrs.includes(s.peer));
  const checks: Check[] = [];

  const kps = state.nodes.filter((n) => role(n) === 'kps-peer');
  const borders = state.nodes.filter((n) => role(n) === 'border-overheid');
  if (kps.length && borders.length) {
    const lines: string[] = [];
    let up = 0;
    let total = 0;
    for (const b of borders) {
      for (const k of kps) {
        const addrs = peerAddresses(b, k);
        if (!addrs.length) continue;
        total++;
        const ss = established(b.id, addrs);
        const ok = ss.length > 0 && ss.every((s) => s.state === 'Established');
        if (ok) up++;
        lines.push(`${b.id} - ${k.id}${k.meta.site ? ` (${k.meta.site})` : ''}: ${ss.length ? ss.map((s) => `${s.peer} ${s.state}`).join(', ') : 'no session'}`);
      }
    }
    checks.push({
      name: 'redundancy kps sessions',
      ok: total > 0 && up === total,
      expected: `every KPS peering Established (${kps.length} KPS peer${kps.length === 1 ? ': one data centre, validate reports it as a single point of failure' : 's, one per data centre'})`,
      observed: `${up} of ${total} peerings up`,
      detail: lines.join('\n'),
    });
  }

  for (const p of pairs) {
    const lines: string[] = [];
    let ok = true;
    for (const id of p.devices) {
      const ce = node.get(id);
      if (!ce) {
        ok = false;
        lines.push(`${id}: not in the lab`);
        continue;
      }
      const uplinks = state.nodes.filter((n) => role(n).startsWith('border-')).flatMap((b) => peerAddresses(ce, b));
      const ss = established(id, uplinks);
      const up = ss.length > 0 && ss.every((s) => s.state === 'Established');
      ok &&= up;
      lines.push(`${id}: ${ss.length ? ss.map((s) => `${s.peer} ${s.state}`).join(', ') : 'no uplink session'}`);
    }
    checks.push({ name: `redundancy ce pair ${p.organisation}`, ok, expected: `both CEs (${p.devices.join(', ')}) with every uplink Established`, observed: ok ? 'both up' : 'an uplink is down', detail: lines.join('\n') });
  }

  const tripped = sessions.filter(maxPrefixTripped);
  const isTripped = new Set(tripped.map((s) => `${s.device} ${s.peer}`));
  const over = received.filter((r) => r.limit !== null && r.received > r.limit && !isTripped.has(`${r.device} ${r.peer}`));
  // The peer by name: the node on the other end of the device's link that holds the session's address.
  const peerOf = (s: { device: string; peer: string }) => state.nodes.find((n) => n.id !== s.device && n.interfaces.some((i) => i.peer?.node === s.device && i.addresses.some((a) => a.split('/')[0] === s.peer)))?.id;
  const who = (s: { device: string; peer: string }) => `${s.device} ${s.peer}${peerOf(s) ? ` (${peerOf(s)})` : ''}`;
  checks.push({
    name: 'redundancy max-prefix',
    ok: tripped.length === 0 && over.length === 0,
    expected: 'no session stopped by max-prefix, none above its limit',
    observed: [tripped.length ? `${tripped.length} session(s) tripped` : 'none tripped', ...(over.length ? [`${over.length} above the limit`] : [])].join(', '),
    detail: [
      ...tripped.map((s) => `${who(s)}: ${s.state}${s.peerState ? ` (${s.peerState})` : ''}; the peer sent more prefixes than allowed, FRR holds the session down until the next \`ggi apply\``),
      ...over.map((r) => `${who(r)}: receives ${r.received} prefixes, filtered ones included, above its max-prefix ${r.limit}; FRR trips the session at the peer's next acceptable route`),
    ].join('\n'),
  });
  return checks;
}

/** CE pairs of the inventory (connection points with a secondDevice), typed loosely like VerifyEnv.inventory. */
export function cePairs(inventory: unknown): Array<{ organisation: string; devices: string[] }> {
  const orgs = (inventory as { organisations?: Array<{ id: string; connectionPoint?: { device: string; secondDevice?: string } }> })?.organisations ?? [];
  return orgs.filter((o) => o.connectionPoint?.secondDevice).map((o) => ({ organisation: o.id, devices: [o.connectionPoint!.device, o.connectionPoint!.secondDevice!] }));
}

/** One BFD session as a router reports it. */
export interface BfdPeer {
  readonly device: string;
  readonly peer: string;
  readonly status: string;
}

/** Every BFD session of every router that runs FRR (`show bfd peers json`). */
export async function bfdPeers(runner: Runner, state: LabState): Promise<BfdPeer[]> {
  const routers = state.nodes.filter((n) => n.kind === 'router' && n.frr);
  const out: BfdPeer[] = [];
  await Promise.all(
    routers.map(async (n) => {
      const r = await runner.run(['vtysh', '-N', n.namespace, '-c', 'show bfd peers json'], { netns: n.namespace, allowFail: true, timeoutMs: 30000 });
      if (r.code !== 0) return;
      try {
        for (const p of JSON.parse(r.stdout || '[]') as Array<{ peer?: string; status?: string }>) out.push({ device: n.id, peer: p.peer ?? '?', status: p.status ?? 'unknown' });
      } catch {
        /* no BFD configured: nothing to report */
      }
    }),
  );
  return out.sort((a, b) => (a.device < b.device ? -1 : a.device > b.device ? 1 : a.peer < b.peer ? -1 : a.peer > b.peer ? 1 : 0));
}

/** BFD up on every session that has it (pure): a session whose BFD is down fails over only after the BGP hold time. None: no check. */
export function bfdCheck(peers: readonly BfdPeer[]): Check[] {
  if (!peers.length) return [];
  const down = peers.filter((p) => p.status !== 'up');
  return [
    {
      name: 'redundancy bfd',
      ok: down.length === 0,
      expected: 'BFD up on every BGP session (a dead peer or link is seen in well under a second)',
      observed: `${peers.length - down.length} of ${peers.length} up`,
      detail: down.slice(0, 20).map((p) => `${p.device} ${p.peer}: ${p.status}`).join('\n'),
    },
  ];
}

/** Redundancy: both KPS sessions, every CE pair with both uplinks, BFD, and max-prefix trips (after the sessions settle). */
export const redundancyProvider: CheckProvider = {
  name: 'redundancy',
  summary: 'redundancy (KPS peerings, CE pairs, BFD, max-prefix)',
  async checks(env) {
    const read = async () => {
      const [sessions, received, bfd] = await Promise.all([bgpSessions(env.runner, env.state), receivedCounts(env.runner, env.state), bfdPeers(env.runner, env.state)]);
      return [...redundancyChecks(env.state, sessions, cePairs(env.inventory), received), ...bfdCheck(bfd)];
    };
    return settled(env, read, (checks) => checks.every((c) => c.ok));
  },
};

/** The prefixes a router advertises to one neighbour (after its own out-policy: what the neighbour receives). */
async function advertisedTo(runner: Runner, node: NodeState, peer: string): Promise<string[]> {
  const af = peer.includes(':') ? 'ipv6' : 'ipv4';
  const r = await runner.run(['vtysh', '-N', node.namespace, '-c', `show bgp ${af} unicast neighbors ${peer} advertised-routes json`], { netns: node.namespace, allowFail: true, timeoutMs: 30000 });
  if (r.code !== 0) return [];
  try {
    return Object.keys((JSON.parse(r.stdout || '{}') as { advertisedRoutes?: Record<string, unknown> }).advertisedRoutes ?? {});
  } catch {
    return [];
  }
}

/** Whether a router holds a path for `prefix` learned from `peer` (an accepted announcement). */
async function holdsFrom(runner: Runner, node: NodeState, prefix: string, peer: string): Promise<boolean> {
  const af = prefix.includes(':') ? 'ipv6' : 'ipv4';
  const r = await runner.run(['vtysh', '-N', node.namespace, '-c', `show bgp ${af} unicast ${prefix} json`], { netns: node.namespace, allowFail: true, timeoutMs: 30000 });
  if (r.code !== 0) return false;
  try {
    const doc = JSON.parse(r.stdout || '{}') as { prefix?: string; paths?: Array<{ peer?: { peerId?: string } }> };
    return doc.prefix === prefix && (doc.paths ?? []).some((p) => p.peer?.peerId === peer);
  } catch {
    return false;
  }
}

/**
 * Origin validation against the ledger, as RPKI route-origin validation (RFC 6811) does against ROAs: every CE announces
 * only what its organisation (and, for a samenwerkingsverband, its members) registered; anything else is a finding,
 * and the border must have dropped it (its in-filter permits only the exact registered prefixes).
 */
export const originProvider: CheckProvider = {
  name: 'origin',
  summary: 'CE announcements against the ledger (origin validation)',
  async checks(env) {
    const may = env.ceMayAnnounce;
    if (!may) return [];
    const node = new Map(env.state.nodes.map((n) => [n.id, n]));
    const ces = env.state.nodes.filter((n) => n.meta.role === 'ce' && may(n.id) !== null);
    const offences: string[] = [];
    let leaked = 0;
    let looked = 0;
    await Promise.all(
      ces.map(async (ce) => {
        const allowed = new Set(may(ce.id) ?? []);
        for (const i of ce.interfaces) {
          const border = i.peer ? node.get(i.peer.node) : undefined;
          if (!border || !String(border.meta.role ?? '').startsWith('border-')) continue;
          const there = border.interfaces.find((x) => x.name === i.peer!.ifname);
          const mine = i.addresses.map((a) => a.split('/')[0]);
          for (const peer of (there?.addresses ?? []).map((a) => a.split('/')[0])) {
            looked++;
            for (const p of await advertisedTo(env.runner, ce, peer)) {
              if (allowed.has(env.canonPrefix(p))) continue;
              const accepted = await holdsFrom(env.runner, border, p, mine.find((a) => a.includes(':') === p.includes(':')) ?? '');
              if (accepted) leaked++;
              offences.push(`${ce.id} announces ${p} to ${border.id}, which is not registered to its organisation (another organisation's prefix or a more-specific): ${accepted ? 'ACCEPTED by the border' : 'dropped by the border'}`);
            }
          }
        }
      }),
    );
    if (!looked) return [];
    return [
      {
        name: 'origin ce announcements',
        ok: offences.length === 0,
        expected: `every CE (${ces.length}) announces only its organisation's registered prefixes`,
        observed: offences.length ? `${offences.length} unregistered announcement(s), ${leaked} accepted by a border` : 'all registered',
        detail: offences.sort().slice(0, 20).join('\n'),
      },
    ];
  },
};

/** The checks `ggi verify` runs, in order. Add a provider here to verify one more aspect of the network. */
/**
 * GGI-Veilig at the lab's SOC (src/lab/soc.ts): every connection point and border is seen (its flow records arrive
 * from its management address), and a planted flow that matches a detection rule raises an event the SOC receives.
 * Both send real packets first (ICMP from every LAN to every service; the rule's packet from two CE routers to the
 * services, so that a border's filter is the first it meets), then wait for the exporters' timeouts and the collector's rotation.
 */
export const veiligProvider: CheckProvider = {
  name: 'veilig',
  summary: 'GGI-Veilig: every point seen at the SOC, a planted detection received',
  async checks(env) {
    const inv = env.inventory as Inventory;
    if (!inv.veilig || !env.state.nodes.some((n) => n.meta.role === SOC_ROLE)) return [];
    const started = Date.now();
    const activeS = inv.veilig.export.activeTimeoutS;
    // Records of flows that ended a little before the probes count too (BGP keepalives are flows as well).
    const sinceMs = started - (activeS + 120) * 1000;
    const lans = env.state.nodes.filter((n) => n.kind === 'host' && n.meta.organisation && !n.meta.service && !n.meta.govroam && n.meta.role !== SOC_ROLE);
    const services = env.state.nodes.filter((n) => n.kind === 'host' && n.meta.service);
    const serviceAddrs = services.flatMap((n) => hostAddresses(n).filter((a) => !a.includes(':')));
    const probe = (proto: FlowProto, port: number | null, from: NodeState[], dsts: string[]): FlowProbe[] =>
      from.flatMap((f) => dsts.map((dst) => ({ from: f.id, fromNamespace: f.namespace, to: dst, dst, proto, port })));
    const rule = plantableRule(inv);
    // Planted from two CE routers themselves, towards the services: a CE's own packets skip its forward chain, so the
    // first filter on the path is a border's, where detection runs before the policy. (From a LAN host, the CE's
    // policy drops a forbidden service before any border sees it; from a service host, the lab's KPS peer or supplier
    // router filters first.)
    const ces = env.state.nodes.filter((n) => n.kind === 'router' && n.meta.role === 'ce').slice(0, 2);
    const planted = rule ? probe(rule.proto, rule.port, ces, rule.dst ? [rule.dst] : serviceAddrs) : [];
    await runProbes(env.runner, [...probe('icmp', null, lans, serviceAddrs), ...planted], { timeoutMs: 1000, progress: (d, t) => env.tick?.('probing for the SOC', d, t) });
    // The exporters report a flow when it ends or after the active timeout; nfcapd's files rotate every SOC_ROTATE_S.
    const deadline = started + (activeS + 3 * SOC_ROTATE_S + 30) * 1000;
    let cov = socCoverage(env.state, inv, sinceMs);
    const detected = () => cov.points.filter((p) => p.kind === 'border' && rule && (p.rules[rule.ruleId] ?? 0) > 0);
    let plantedAt = Date.now();
    while ((!cov.ok || (rule && detected().length === 0)) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 2000));
      // The planted packet is sent again every 20 s until its event arrives: one lost log datagram must not fail verify.
      if (rule && detected().length === 0 && Date.now() - plantedAt > 20_000) {
        await runProbes(env.runner, planted, { timeoutMs: 1000 });
        plantedAt = Date.now();
      }
      cov = socCoverage(env.state, inv, sinceMs);
    }
    const dark = cov.points.filter((p) => p.dark);
    const exempt = cov.points.filter((p) => p.exempt);
    const checks: Check[] = [
      {
        name: 'veilig coverage',
        ok: cov.ok,
        expected: `all ${cov.points.length - exempt.length} connection points and borders send flow records to the SOC${exempt.length ? ` (${exempt.length} exempt)` : ''}`,
        observed: dark.length ? `${dark.length} dark: ${dark.map((p) => p.id).join(', ')}` : `${cov.points.length - exempt.length} seen`,
        detail: [
          ...dark.map((p) => `${p.id}${p.organisation ? ` (${p.organisation})` : ''}: no flow record from ${p.devices.map((d) => d.address).join(', ')}`),
          ...cov.unknownExporters.map((u) => `flows from ${u.address}, no point's management address: ${u.flows} records`),
        ].join('\n'),
      },
    ];
    if (rule) {
      const seen = detected();
      checks.push({
        name: `veilig detection ${rule.ruleId}`,
        ok: seen.length > 0,
        expected: `a planted ${rule.proto}${rule.port !== null ? `/${rule.port}` : ''} flow from two CEs ${rule.dst ? `to ${rule.dst}` : 'to the services'} raises a '${rule.ruleId}' event from a border at the SOC`,
        observed: seen.length ? `received from ${seen.map((p) => `${p.id} (${p.rules[rule.ruleId]})`).join(', ')}` : 'no event received',
        detail: seen.length ? '' : `sent from ${ces.map((n) => n.id).join(', ') || '(no CE)'}; no log line with prefix 'ggi-det:${rule.ruleId}' from a border reached the SOC`,
      });
    }
    return checks;
  },
};

export const CHECK_PROVIDERS: readonly CheckProvider[] = [
  deviceHealthProvider,
  bgpSessionProvider,
  redundancyProvider,
  originProvider,
  kpsRouteProvider,
  dhcpLeaseProvider,
  flowProvider,
  govroamEapProvider,
  veiligProvider,
];
