/**
 * Reachability probes from inside a namespace, to prove that real packets flow (or do not). TCP and UDP send a random
 * token and succeed only when the same token comes back (the lab's service listeners echo), so a probe cannot pass by
 * accident; ICMP is one ping. Each returns a boolean; a missing tool is an error, not a `false`.
 */
import { randomBytes } from 'node:crypto';
import type { Runner } from './exec';

// python3 (an FRR dependency) gives exact timeouts and exit codes; socat's UDP client waits its full timeout.
const PROBE_PY = `
import socket, sys
proto, dst, port, timeout, token = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), sys.argv[5].encode()
fam = socket.AF_INET6 if ':' in dst else socket.AF_INET
try:
    if proto == 'tcp':
        s = socket.create_connection((dst, port), timeout=timeout)
        s.sendall(token)
        buf = b''
        while token not in buf:
            d = s.recv(4096)
            if not d:
                break
            buf += d
    else:
        s = socket.socket(fam, socket.SOCK_DGRAM)
        s.settimeout(timeout)
        s.sendto(token, (dst, port))
        buf, _ = s.recvfrom(4096)
    sys.exit(0 if token in buf else 1)
except OSError as e:  # refused, unreachable, timed out: no reachability
    print(e, file=sys.stderr)
    sys.exit(1)
except Exception as e:  # a bug in the probe itself must not read as 'unreachable'
    print(repr(e), file=sys.stderr)
    sys.exit(3)
`;

const PYTHON = '/usr/bin/python3';

function token(): string {
  return `ggi-probe-${randomBytes(8).toString('hex')}`;
}

async function probeEcho(runner: Runner, proto: 'tcp' | 'udp', fromNs: string, dstAddr: string, port: number, timeoutMs: number): Promise<boolean> {
  const res = await runner.run([PYTHON, '-c', PROBE_PY, proto, dstAddr, String(port), String(timeoutMs / 1000), token()], {
    netns: fromNs,
    allowFail: true,
    timeoutMs: timeoutMs + 5000,
  });
  if (res.code > 1) throw new Error(`${proto} probe from ${fromNs} to ${dstAddr} port ${port} could not run (exit ${res.code}): ${res.stderr.trim()}`);
  return res.code === 0;
}

/** True when a TCP connection from `fromNs` to dstAddr:port is accepted and the listener echoes a token back. */
export function probeTcp(runner: Runner, fromNs: string, dstAddr: string, port: number, timeoutMs = 2000): Promise<boolean> {
  return probeEcho(runner, 'tcp', fromNs, dstAddr, port, timeoutMs);
}

/** True when a UDP datagram from `fromNs` to dstAddr:port is answered with the same token. */
export function probeUdp(runner: Runner, fromNs: string, dstAddr: string, port: number, timeoutMs = 2000): Promise<boolean> {
  return probeEcho(runner, 'udp', fromNs, dstAddr, port, timeoutMs);
}

/** True when one ICMP (v4 or v6) echo from `fromNs` to dstAddr is answered within the timeout. */
export async function probeIcmp(runner: Runner, fromNs: string, dstAddr: string, timeoutMs = 2000): Promise<boolean> {
  const secs = Math.max(1, Math.ceil(timeoutMs / 1000));
  const res = await runner.run(['ping', '-n', '-q', '-c', '1', '-W', String(secs), dstAddr], { netns: fromNs, allowFail: true, timeoutMs: timeoutMs + 5000 });
  // ping: 1 = no answer, 2 = e.g. 'Network is unreachable' (no route): both are 'not reachable'.
  if (res.code > 2) throw new Error(`ping from ${fromNs} to ${dstAddr} could not run (exit ${res.code}): ${res.stderr.trim()}`);
  return res.code === 0;
}
