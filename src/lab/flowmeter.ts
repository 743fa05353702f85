/**
 * Continuous flows with real packets, for failover proofs: a UDP echo responder in one namespace and a sender in
 * another that sends a numbered datagram every `intervalMs` and notes which numbers come back. The loss window is
 * measured from the packets: the longest run of consecutive unanswered numbers times the interval (the time the
 * path was broken, to within one interval). Python (stdlib only) runs in the namespaces; no fixed sleeps.
 */
import type { Runner } from './exec';

// One socket, one thread: answers every datagram with its own bytes (a single process, not a fork per packet).
const ECHO_PY = `
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('::', int(sys.argv[1])))
while True:
    d, a = s.recvfrom(2048)
    try:
        s.sendto(d, a)
    except OSError:
        pass
`;

// Sends on an absolute schedule (no drift), receives on a thread, reports JSON on stdout.
const SEND_PY = `
import json, socket, sys, threading, time
dst, port, interval, duration = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]) / 1000, float(sys.argv[4]) / 1000
fam = socket.AF_INET6 if ':' in dst else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM)
s.settimeout(0.2)
n = int(duration / interval)
got = bytearray(n)
stop = False
def rx():
    while not stop:
        try:
            d, _ = s.recvfrom(64)
            i = int(d.split(b' ')[1])
            if 0 <= i < n: got[i] = 1
        except (socket.timeout, ValueError, IndexError):
            pass
        except OSError:
            time.sleep(0.01)
t = threading.Thread(target=rx); t.start()
t0 = time.monotonic()
for i in range(n):
    delay = t0 + i * interval - time.monotonic()
    if delay > 0: time.sleep(delay)
    try:
        s.sendto(b'ggi-flow %d' % i, (dst, port))
    except OSError:
        pass
time.sleep(1.0)
stop = True; t.join()
run = best = 0; first = -1; bestfirst = -1
for i in range(n):
    if got[i]: run = 0; continue
    if run == 0: first = i
    run += 1
    if run > best: best, bestfirst = run, first
print(json.dumps({'sent': n, 'received': sum(got), 'longestGap': best, 'gapStart': bestfirst, 'intervalMs': interval * 1000}))
`;

export interface FlowReport {
  readonly sent: number;
  readonly received: number;
  /** Longest run of consecutive lost datagrams. */
  readonly longestGap: number;
  /** Index of the first datagram of that run (-1 without loss). */
  readonly gapStart: number;
  readonly intervalMs: number;
}

/** The loss window in milliseconds: the longest break in the flow. */
export function lossWindowMs(r: FlowReport): number {
  return r.longestGap * r.intervalMs;
}

/** Starts the echo responder in a namespace; returns its pid (kill it when done). */
export function startEcho(runner: Runner, netns: string, port: number): Promise<number> {
  return runner.start(['python3', '-c', ECHO_PY, String(port)], { netns });
}

/** Sends a flow for `durationMs` and resolves with what came back (call it, inject the fault, then await). */
export async function runFlow(runner: Runner, netns: string, dst: string, port: number, opts: { intervalMs: number; durationMs: number }): Promise<FlowReport> {
  const r = await runner.run(['python3', '-c', SEND_PY, dst, String(port), String(opts.intervalMs), String(opts.durationMs)], { netns, timeoutMs: opts.durationMs + 30_000 });
  return JSON.parse(r.stdout) as FlowReport;
}

/** A break in a flow: from datagram `start` (0-based), `length` datagrams long. */
export interface FlowGap {
  readonly start: number;
  readonly length: number;
}

/** Every run of consecutive unanswered numbers in `got` (answered: true), in order. Pure. */
export function flowGaps(got: readonly boolean[]): FlowGap[] {
  const gaps: FlowGap[] = [];
  let start = -1;
  got.forEach((ok, i) => {
    if (!ok && start < 0) start = i;
    if (ok && start >= 0) {
      gaps.push({ start, length: i - start });
      start = -1;
    }
  });
  if (start >= 0) gaps.push({ start, length: got.length - start });
  return gaps;
}

/**
 * What a ping flow showed, from ping's output (`icmp_seq=N` of every answer, numbered from 1): the flow report and
 * every gap, so that each gap can be laid against the fault that caused it. Pure.
 */
export function pingFlowReport(stdout: string, sent: number, intervalMs: number): FlowReport & { gaps: FlowGap[] } {
  const got = Array.from({ length: sent }, () => false);
  // Answers only: `From … icmp_seq=N Destination Host Unreachable` names a number too.
  for (const m of stdout.matchAll(/bytes from [^\n]*?icmp_seq=(\d+)/g)) {
    const i = Number(m[1]) - 1;
    if (i >= 0 && i < sent) got[i] = true;
  }
  const gaps = flowGaps(got);
  const longest = gaps.reduce<FlowGap | null>((b, g) => (!b || g.length > b.length ? g : b), null);
  return { sent, received: got.filter(Boolean).length, longestGap: longest?.length ?? 0, gapStart: longest?.start ?? -1, intervalMs, gaps };
}

/**
 * An ICMP echo flow (ping every `intervalMs`, which needs root below 200 ms): for destinations the policy lets through
 * for monitoring only, where a UDP echo would be dropped. The kernel at the far end answers, so nothing is started there.
 */
export async function runPingFlow(runner: Runner, netns: string, dst: string, opts: { intervalMs: number; durationMs: number }): Promise<FlowReport & { gaps: FlowGap[] }> {
  const sent = Math.floor(opts.durationMs / opts.intervalMs);
  const r = await runner.run(['ping', '-n', '-i', String(opts.intervalMs / 1000), '-c', String(sent), '-W', '1', dst], { netns, allowFail: true, timeoutMs: opts.durationMs + 30_000 });
  return pingFlowReport(r.stdout, sent, opts.intervalMs);
}

/** Median and maximum of measurements (for BENCHMARKS.md). */
export function medianMax(xs: readonly number[]): { median: number; max: number } {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  return { median: m, max: s[s.length - 1] };
}
