import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { encodeNetflowV9, type FlowRecord } from '../../bench/lib/netflow9';
import { loadInventory } from '../../src/model/load';
import { flowFiles } from '../../src/veilig/nfcapd';
import { detectionLogPrefix, DROP_LOG_PREFIX } from '../../src/veilig/nflog';
import { collectWithNfcapd } from './nfcapd-run';

/** nfcapd and nfdump (Debian nfdump) are real prerequisites: missing, this fails in CI and is skipped elsewhere. */
const haveNfdump = !spawnSync('nfcapd', ['-V']).error && !spawnSync('nfdump', ['-V']).error;
if (!haveNfdump && process.env.CI === 'true') throw new Error('nfcapd/nfdump (Debian nfdump) are needed for these tests in CI');
const describeNf = haveNfdump ? describe : describe.skip;

const BIN = path.resolve(__dirname, '..', '..', 'bin', 'ggi.js');
const EXAMPLE = path.resolve(__dirname, '..', '..', 'inventory');
const inv = loadInventory(EXAMPLE).inventory!;

/**
 * A collector folder as the SOC has it: a real nfcapd stores the records of one loopback exporter, whose address in
 * the exporter record is then set to a device's management address (the devices export from those; loopback tests
 * cannot send from them). `nfdump -E` must then name that address, so the file is still one nfdump reads.
 */
async function collectorWith(dir: string, exporter: string, records: FlowRecord[]): Promise<void> {
  await collectWithNfcapd(dir, [{ from: '127.0.0.7', packets: encodeNetflowV9(records) }], ['-t', '3600']);
  const [file] = flowFiles(dir);
  const b = fs.readFileSync(file);
  const loopback = ((127 << 24) | 7) >>> 0; // 127.0.0.7, as nfcapd stores it (a host-order u32)
  let patched = 0;
  for (let p = 40; p + 32 <= b.length; p += 4) {
    if (b.readUInt16LE(p) === 7 && b.readUInt16LE(p + 2) === 32 && b.readUInt16LE(p + 24) === 2 && b.readUInt32LE(p + 16) === loopback) {
      const [x, y, z, w] = exporter.split('.').map(Number);
      b.writeUInt32LE(((x << 24) | (y << 16) | (z << 8) | w) >>> 0, p + 16);
      patched++;
    }
  }
  expect(patched).toBe(1);
  fs.writeFileSync(file, b);
  expect(spawnSync('nfdump', ['-E', file], { encoding: 'utf8' }).stdout).toMatch(new RegExp(`IP: +${exporter.replace(/\./g, '\\.')}, version: 9`));
}

function flows(n: number): FlowRecord[] {
  return Array.from({ length: n }, (_, i) => ({ family: 4 as const, src: 0xc0000200n + BigInt(i), dst: 0xc6336401n, proto: 6, srcPort: 40000 + i, dstPort: 443, bytes: 1500, packets: 2 }));
}

describeNf('ggi veilig coverage (real nfcapd files, ulogd JSON lines)', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ggi-coverage-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('a point whose CE exported is seen, every other one is dark: exit 4 with the JSON of CLI.md', async () => {
    const leiden = inv.organisations.find((o) => o.id === 'GM0546')?.connectionPoint ?? inv.organisations.find((o) => o.connectionPoint)!.connectionPoint!;
    const ce = inv.devices.find((d) => d.id === leiden.device)!;
    const border = inv.devices.find((d) => d.role === 'border-overheid')!;
    const flowsDir = path.join(dir, 'flows');
    fs.mkdirSync(flowsDir);
    await collectorWith(flowsDir, ce.management.address, flows(25));
    const now = new Date().toISOString().replace('Z', '+0000');
    const logs = path.join(dir, 'logs.jsonl');
    fs.writeFileSync(
      logs,
      [
        { timestamp: now, dvc: border.id, 'oob.prefix': DROP_LOG_PREFIX },
        { timestamp: now, dvc: border.id, 'oob.prefix': detectionLogPrefix('geen-telnet') },
        { timestamp: now, dvc: ce.id, 'oob.prefix': DROP_LOG_PREFIX },
      ]
        .map((o) => `${JSON.stringify(o)}\n`)
        .join(''),
    );
    const r = spawnSync(process.execPath, [BIN, 'veilig', 'coverage', '--inventory', EXAMPLE, '--flows', flowsDir, '--logs', logs, '--since', '7d', '--format', 'json'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(4);
    const j = JSON.parse(r.stdout) as { ok: boolean; points: Array<{ id: string; organisation: string | null; flows: number; drops: number; detections: number; lastSeen: string | null; dark: boolean }> };
    expect(j.ok).toBe(false);
    const cp = j.points.find((p) => p.id === ce.id)!;
    expect(cp).toMatchObject({ flows: 25, drops: 1, detections: 0, dark: false });
    expect(cp.lastSeen).not.toBeNull();
    expect(j.points.find((p) => p.id === border.id)).toMatchObject({ organisation: null, flows: 0, drops: 1, detections: 1, dark: true });
    expect(j.points.filter((p) => !p.dark).map((p) => p.id)).toEqual([ce.id]);

    const text = spawnSync(process.execPath, [BIN, 'veilig', 'coverage', '--inventory', EXAMPLE, '--flows', flowsDir, '--logs', logs, '--since', '7d'], { encoding: 'utf8' });
    expect(text.status).toBe(4);
    expect(text.stdout).toMatch(new RegExp(`^${ce.id} +connection point .* 25 +0? *1 +0 .*seen$`, 'm'));
    expect(text.stdout).toMatch(/DARK: /);
    expect(text.stdout).toMatch(new RegExp(`${border.id}: detections geen-telnet 1`));
  });

  test('usage errors and missing files: exit 2 and 1, never a trace', () => {
    // Neither files nor a target: the lab's SOC, as verify's default; here there is no lab (exit 3).
    const noFlows = spawnSync(process.execPath, [BIN, 'veilig', 'coverage', '--inventory', EXAMPLE, '--lab-state', path.join(dir, 'lab')], { encoding: 'utf8' });
    expect(noFlows.status).toBe(3);
    expect(noFlows.stderr).toMatch(/lab/);
    const logsOnly = spawnSync(process.execPath, [BIN, 'veilig', 'coverage', '--inventory', EXAMPLE, '--logs', path.join(dir, 'x.jsonl')], { encoding: 'utf8' });
    expect(logsOnly.status).toBe(2);
    expect(logsOnly.stderr).toMatch(/--flows is required with --logs/);
    const badTarget = spawnSync(process.execPath, [BIN, 'veilig', 'coverage', '--inventory', EXAMPLE, '--target', 'prod'], { encoding: 'utf8' });
    expect(badTarget.status).toBe(2);
    const missing = spawnSync(process.execPath, [BIN, 'veilig', 'coverage', '--inventory', EXAMPLE, '--flows', path.join(dir, 'nope')], { encoding: 'utf8' });
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/no such file or folder/);
    const noLab = spawnSync(process.execPath, [BIN, 'usage', 'report', '--inventory', EXAMPLE, '--target', 'lab', '--lab-state', path.join(dir, 'lab')], { encoding: 'utf8' });
    expect(noLab.status).toBe(3);
    expect(noLab.stderr).toMatch(/the lab is not up/);
  });
});
