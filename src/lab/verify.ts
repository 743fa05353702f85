/**
 * Verification of a running lab against the inventory: BGP sessions, what the KPS peer receives, and real flows
 * between every pair of hosts compared with the policy engine's end-to-end verdict. The expectation is computed from
 * data (pure), the observation is made with real packets (imperative), and the comparison is pure again.
 */
import type { Runner } from './exec';
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
}

export type Expectation = (p: { src: string; dst: string; proto: FlowProto; port: number | null }) => { allowed: boolean; rule: string | null; reason: string };

/** Every probe between hosts: each listener of every other host, and one ICMP echo to each of its addresses. */
export function flowProbes(state: LabState): FlowProbe[] {
  // govroam's access points stand on the RADIUS servers' access-point network; src/lab/govroam.ts checks them with EAP.
  const hosts = state.nodes.filter((n) => n.kind === 'host' && !n.meta.govroam);
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
  probes.forEach((p, i) => byNs.set(p.fromNamespace, [...(byNs.get(p.fromNamespace) ?? []), i]));
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
      idxs.forEach((i, k) => (results[i] = parsed[k]));
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
    const v = o.src ? expect({ src: o.src, dst: p.dst, proto: p.proto, port: p.port }) : { allowed: false, rule: null, reason: 'no route from the sending host' };
    return { ...p, src: o.src, expected: v.allowed, actual: o.ok, rule: v.rule, reason: v.reason };
  });
}

export interface BgpSession {
  readonly device: string;
  readonly peer: string;
  readonly state: string;
  readonly prefixesReceived: number | null;
}

/** Every BGP neighbor of every router that runs FRR, as FRR reports it. */
export async function bgpSessions(runner: Runner, state: LabState): Promise<BgpSession[]> {
  const routers = state.nodes.filter((n) => n.kind === 'router' && n.frr);
  const out: BgpSession[] = [];
  await Promise.all(
    routers.map(async (n) => {
      const r = await runner.run(['vtysh', '-N', n.namespace, '-c', 'show bgp summary json'], { netns: n.namespace, allowFail: true, timeoutMs: 30000 });
      if (r.code !== 0) return;
      let doc: Record<string, { peers?: Record<string, { state?: string; pfxRcd?: number }> }>;
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
          out.push({ device: n.id, peer, state: info.state ?? 'unknown', prefixesReceived: info.pfxRcd ?? null });
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
