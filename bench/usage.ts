import { spawn, spawnSync } from 'node:child_process';
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { generateNationalInventory, writeInventoryFiles } from '../src/generate/national';
import { rng } from '../src/generate/prng';
import { addressesInZone } from '../src/ipv6/addresses';
import { loadInventory } from '../src/model/load';
import { parsePrefix, prefixLast, type Prefix } from '../src/net';
import { encodeNetflowV9, type FlowRecord } from './lib/netflow9';

/**
 * `ggi usage report` over 10 million flow records in nfcapd's own files, side by side with the collector's own
 * aggregation of the same files (`nfdump -A srcip4/24,srcip6/48`). The records are made once: one million flows
 * between the national inventory's organisations and services (and 5 % undeclared addresses), exported as NetFlow v9
 * to a real nfcapd on loopback, whose file is then copied ten times.
 * Target: ggi's attribution within 2× of nfdump's aggregation (whole processes, medians).
 */
export async function run(): Promise<Array<{ name: string; value: number; unit: string; note?: string }>> {
  if (spawnSync('nfcapd', ['-V']).error) throw new Error('nfcapd (Debian nfdump) is needed: apt-get install nfdump');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ggi-bench-usage-'));
  try {
    const inv = path.join(dir, 'inventory');
    writeInventoryFiles(inv, generateNationalInventory({ seed: 1 }));
    const loaded = loadInventory(inv).inventory!;
    const orgPrefixes: Prefix[] = [];
    for (const o of loaded.organisations) if (o.kind !== 'leverancier') for (const z of ['overheid', 'markt'] as const) orgPrefixes.push(...addressesInZone(loaded, o.id, z));
    const servicePrefixes = loaded.services.flatMap((s) => s.prefixes.map((p) => parsePrefix(p, { strict: false })));
    const r = rng(7);
    const inside = (p: Prefix): bigint => {
      const size = prefixLast(p) - p.addr + 1n;
      return p.addr + (BigInt(Math.floor(r.next() * 2 ** 32)) * 4294967296n + BigInt(Math.floor(r.next() * 2 ** 32))) % size;
    };
    const v4 = { org: orgPrefixes.filter((p) => p.family === 4), svc: servicePrefixes.filter((p) => p.family === 4) };
    const v6 = { org: orgPrefixes.filter((p) => p.family === 6), svc: servicePrefixes.filter((p) => p.family === 6) };
    const records: FlowRecord[] = [];
    const N = 1_000_000;
    for (let i = 0; i < N; i++) {
      const fam = v4.org.length && v4.svc.length && r.chance(0.5) ? v4 : v6;
      const family = fam === v4 ? 4 : 6;
      const undeclared = r.chance(0.05);
      // Undeclared sources: benchmarking space (RFC 2544, RFC 9637's 3fff::/20 lies elsewhere), in no inventory.
      const src = undeclared ? (family === 4 ? 0xc6120000n : 0x3fff0fff000000000000000000000000n) + BigInt(r.int(0, 65535)) : inside(r.pick(fam.org));
      records.push({ family, src, dst: inside(r.pick(fam.svc)), proto: 6, srcPort: r.int(1024, 65535), dstPort: 443, bytes: r.int(40, 1_500_000), packets: r.int(1, 1000) });
    }
    records.sort((a, b) => a.family - b.family);
    const flows = path.join(dir, 'flows');
    fs.mkdirSync(flows);
    const made = await collect(records, path.join(dir, 'capture'));
    for (let i = 0; i < 10; i++) fs.copyFileSync(made, path.join(flows, `nfcapd.2026120600${String(i).padStart(2, '0')}`));

    const bin = path.resolve(__dirname, '..', '..', 'bin', 'ggi.js');
    const ggiArgs = [bin, 'usage', 'report', '--inventory', inv, '--flows', flows, '--format', 'json'];
    const nfArgs = ['-R', flows, '-A', 'srcip4/24,srcip6/48', '-q', '-o', 'csv'];
    const check = spawnSync(process.execPath, ggiArgs, { encoding: 'utf8', maxBuffer: 1 << 28 });
    if (check.status !== 0) throw new Error(`ggi usage report failed: ${check.stderr}`);
    const report = JSON.parse(check.stdout) as { records: number; rows: Array<{ bytes: number }>; unattributed: { bytes: number } };
    const ggi: Timing[] = [];
    const nf: Timing[] = [];
    for (let i = 0; i < 5; i++) {
      ggi.push(timed(process.execPath, ggiArgs, dir));
      nf.push(timed('nfdump', nfArgs, dir));
    }
    const wallRatios = ggi.map((g, i) => g.wall / nf[i].wall);
    const cpuRatios = ggi.map((g, i) => g.cpu / nf[i].cpu);
    const attributed = report.rows.reduce((n, x) => n + x.bytes, 0);
    const list = (xs: number[]) => xs.map((x) => x.toFixed(2)).join(', ');
    return [
      { name: 'usage report, 10M flow records: wall (whole process)', value: round(median(ggi.map((t) => t.wall))), unit: 's', note: `median of 5 (${list(ggi.map((t) => t.wall))}); ${report.records} records, ${report.rows.length} rows, ${((100 * attributed) / (attributed + report.unattributed.bytes)).toFixed(1)} % of bytes attributed` },
      { name: 'usage report, 10M flow records: CPU (user + sys)', value: round(median(ggi.map((t) => t.cpu))), unit: 's', note: `median of 5 (${list(ggi.map((t) => t.cpu))})` },
      { name: 'nfdump -A srcip4/24,srcip6/48, same files: wall', value: round(median(nf.map((t) => t.wall))), unit: 's', note: `median of 5 (${list(nf.map((t) => t.wall))})` },
      { name: 'nfdump -A srcip4/24,srcip6/48, same files: CPU (user + sys)', value: round(median(nf.map((t) => t.cpu))), unit: 's', note: `median of 5 (${list(nf.map((t) => t.cpu))})` },
      { name: 'ratio ggi / nfdump, wall (pair by pair)', value: round(median(wallRatios)), unit: '×', note: `target ≤ 2; pairs ${list(wallRatios)}; load average ${os.loadavg()[0].toFixed(1)}` },
      { name: 'ratio ggi / nfdump, CPU (pair by pair)', value: round(median(cpuRatios)), unit: '×', note: `pairs ${list(cpuRatios)}` },
    ];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Sends the records to a real nfcapd on loopback and returns the file it wrote. */
async function collect(records: FlowRecord[], dir: string): Promise<string> {
  fs.mkdirSync(dir);
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((res) => sock.bind(0, '127.0.0.1', () => res()));
  const port = (sock.address() as { port: number }).port;
  sock.close();
  const pidFile = path.join(dir, 'nfcapd.pid');
  const child = spawn('nfcapd', ['-b', '127.0.0.1', '-p', String(port), '-w', dir, '-t', '3600', '-B', '16000000', '-P', pidFile], { stdio: 'ignore' });
  try {
    await new Promise((res) => setTimeout(res, 500));
    const out = dgram.createSocket('udp4');
    const packets = encodeNetflowV9(records);
    for (let i = 0; i < packets.length; i++) {
      await new Promise<void>((res, rej) => out.send(packets[i], port, '127.0.0.1', (e) => (e ? rej(e) : res())));
      // Pace the sender so the collector's socket buffer does not overflow on a busy machine.
      if (i % 64 === 63) await new Promise((res) => setTimeout(res, 2));
    }
    out.close();
    await new Promise((res) => setTimeout(res, 1000));
  } finally {
    child.kill('SIGTERM');
    await new Promise((res) => child.once('exit', res));
  }
  const file = fs.readdirSync(dir).find((f) => /^nfcapd\.\d{12}$/.test(f));
  if (!file) throw new Error('nfcapd wrote no file');
  return path.join(dir, file);
}

interface Timing {
  wall: number;
  cpu: number;
}

/** Wall and CPU seconds of a whole process, as GNU time (Debian `time`) reports them. */
function timed(cmd: string, args: string[], dir: string): Timing {
  const out = path.join(dir, 'time.txt');
  const r = spawnSync('/usr/bin/time', ['-f', '%e %U %S', '-o', out, cmd, ...args], { stdio: 'ignore' });
  if (r.error) throw new Error(`GNU time is needed (apt-get install time): ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} exited ${r.status}`);
  const [wall, user, sys] = fs.readFileSync(out, 'utf8').trim().split(/\s+/).slice(-3).map(Number);
  return { wall, cpu: user + sys };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
