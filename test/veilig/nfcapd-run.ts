import { spawn } from 'node:child_process';
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';

/** Bytes waiting in the receive queue of the IPv4 UDP socket bound to `port` (/proc/net/udp), or null: none bound. */
function udpReceiveQueue(port: number): number | null {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  for (const line of fs.readFileSync('/proc/net/udp', 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f[1]?.endsWith(`:${hexPort}`)) return Number.parseInt(f[4].split(':')[1], 16);
  }
  return null;
}

async function until(ready: () => boolean, ms: number, what: string): Promise<void> {
  for (const end = Date.now() + ms; !ready(); ) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((res) => setTimeout(res, 20));
  }
}

/** Datagrams from one source address (one exporter), sent after an optional pause. */
export interface Batch {
  readonly packets: readonly Buffer[];
  readonly from?: string;
  readonly afterMs?: number;
}

/**
 * Runs a real nfcapd on loopback (its files in `dir`), sends it each batch of NetFlow datagrams, and stops it once it
 * has read them all. The waits are bounded and watch the kernel's view of nfcapd's socket, not the clock: a datagram
 * sent before nfcapd has bound is lost, and one still queued when it is stopped may never be read (a loaded host
 * makes both likely).
 */
export async function collectWithNfcapd(dir: string, batches: readonly Batch[], extra: readonly string[] = []): Promise<void> {
  const probe = dgram.createSocket('udp4');
  await new Promise<void>((res) => probe.bind(0, '127.0.0.1', () => res()));
  const port = (probe.address() as { port: number }).port;
  probe.close();
  const child = spawn('nfcapd', ['-b', '127.0.0.1', '-p', String(port), '-w', dir, ...extra], { stdio: 'ignore' });
  try {
    await until(() => udpReceiveQueue(port) !== null, 20_000, `nfcapd listening on 127.0.0.1:${port}`);
    for (const b of batches) {
      if (b.afterMs) await new Promise((res) => setTimeout(res, b.afterMs));
      const out = dgram.createSocket('udp4');
      if (b.from) await new Promise<void>((res) => out.bind(0, b.from, () => res()));
      for (const p of b.packets) await new Promise<void>((res, rej) => out.send(p, port, '127.0.0.1', (e) => (e ? rej(e) : res())));
      out.close();
    }
    await until(() => udpReceiveQueue(port) === 0, 20_000, 'nfcapd to read every datagram');
    // Read is not yet stored: a moment for nfcapd to take the last datagram in before it is told to stop.
    await new Promise((res) => setTimeout(res, 300));
  } finally {
    child.kill('SIGTERM');
    await new Promise((res) => child.once('exit', res));
  }
}
