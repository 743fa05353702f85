import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { encodeNetflowV9, type FlowRecord } from '../../bench/lib/netflow9';
import { FlowFileError, flowFiles, readFlowFile } from '../../src/veilig/nfcapd';
import { formatAddress } from '../../src/net';
import { collectWithNfcapd } from './nfcapd-run';

/** nfcapd and nfdump (Debian nfdump) are real prerequisites: missing, this fails in CI and is skipped elsewhere. */
const haveNfdump = !spawnSync('nfcapd', ['-V']).error && !spawnSync('nfdump', ['-V']).error;
if (!haveNfdump && process.env.CI === 'true') throw new Error('nfcapd/nfdump (Debian nfdump) are needed for these tests in CI');
const describeNf = haveNfdump ? describe : describe.skip;

/** Runs a real nfcapd on loopback, exports `records` to it as NetFlow v9, and returns the file it wrote. */
async function capture(dir: string, records: FlowRecord[], extra: string[] = []): Promise<string> {
  await collectWithNfcapd(dir, [{ packets: encodeNetflowV9(records) }], ['-t', '3600', '-P', path.join(dir, 'pid'), ...extra]);
  const files = flowFiles(dir);
  expect(files).toHaveLength(1);
  return files[0];
}

function records(n: number): FlowRecord[] {
  const out: FlowRecord[] = [];
  for (let i = 0; i < n; i++) {
    const v6 = i % 3 === 0;
    out.push({
      family: v6 ? 6 : 4,
      src: v6 ? 0x3fff0001000200000000000000000000n + BigInt(i) : 0xc0000200n + BigInt(i % 256),
      dst: v6 ? 0x20010db8000000d10000000000000010n : 0xc6336400n + BigInt(i % 7),
      proto: i % 2 ? 6 : 17,
      srcPort: 1024 + i,
      dstPort: 443,
      bytes: 1000 + i * 37,
      packets: 1 + (i % 50),
    });
  }
  return out;
}

describeNf('reading nfcapd files (real nfcapd and nfdump)', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ggi-nfcapd-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('every record nfcapd stored is read with the addresses, ports and counters nfdump prints', async () => {
    const sent = records(500);
    const file = await capture(dir, sent);
    const ours: string[] = [];
    const stats = readFlowFile(file, (f) => {
      const src = f.family === 4 ? formatAddress(4, BigInt(f.src4)) : formatAddress(6, f.src6.reduce((v, w) => (v << 32n) | BigInt(w), 0n));
      const dst = f.family === 4 ? formatAddress(4, BigInt(f.dst4)) : formatAddress(6, f.dst6.reduce((v, w) => (v << 32n) | BigInt(w), 0n));
      ours.push(`${src} ${dst} ${f.proto} ${f.srcPort} ${f.dstPort} ${f.bytes} ${f.packets}`);
    });
    expect(stats.records).toBe(500);
    const theirs = execFileSync('nfdump', ['-r', file, '-q', '-N', '-6', '-o', 'fmt:%sa %da %pr %sp %dp %byt %pkt'], { encoding: 'utf8' })
      .split('\n')
      .map((l) => l.trim().replace(/\s+/g, ' '))
      .filter(Boolean)
      .map((l) => l.replace(/ TCP /, ' 6 ').replace(/ UDP /, ' 17 '));
    expect(ours.sort()).toEqual(theirs.sort());
    const expected = sent.map((r) => `${formatAddress(r.family, r.src)} ${formatAddress(r.family, r.dst)} ${r.proto} ${r.srcPort} ${r.dstPort} ${r.bytes} ${r.packets}`);
    expect(ours.sort()).toEqual(expected.sort());
  });

  test('a compressed file is refused with what to do, not misread', async () => {
    const file = await capture(dir, records(20), ['-y']);
    expect(() => readFlowFile(file, () => undefined)).toThrow(/LZ4-compressed; run nfcapd without compression/);
  });

  test('a truncated file, a foreign file and a device are refused', async () => {
    const file = await capture(dir, records(200));
    const cut = path.join(dir, 'nfcapd.202612060001');
    fs.writeFileSync(cut, fs.readFileSync(file).subarray(0, 700));
    expect(() => readFlowFile(cut, () => undefined)).toThrow(FlowFileError);
    const foreign = path.join(dir, 'nfcapd.202612060002');
    fs.writeFileSync(foreign, 'not a flow file at all, but long enough for a header\n');
    expect(() => readFlowFile(foreign, () => undefined)).toThrow(/not an nfdump file/);
    expect(() => readFlowFile('/dev/zero', () => undefined)).toThrow(/not a regular file/);
  });

  test('ggi usage report reads the collector folder (JSON contract, totals equal what was sent)', async () => {
    const sent = records(300);
    await capture(dir, sent);
    const bin = path.resolve(__dirname, '..', '..', 'bin', 'ggi.js');
    const inventory = path.resolve(__dirname, '..', '..', 'inventory');
    const r = spawnSync(process.execPath, [bin, 'usage', 'report', '--inventory', inventory, '--flows', dir, '--by', 'member', '--format', 'json'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout) as { rows: Array<{ bytes: number; packets: number }>; unattributed: { bytes: number; packets: number }; records: number };
    expect(j.records).toBe(300);
    const bytes = j.rows.reduce((n, x) => n + x.bytes, 0) + j.unattributed.bytes;
    const packets = j.rows.reduce((n, x) => n + x.packets, 0) + j.unattributed.packets;
    expect(bytes).toBe(sent.reduce((n, x) => n + x.bytes, 0));
    expect(packets).toBe(sent.reduce((n, x) => n + x.packets, 0));
    const bad = spawnSync(process.execPath, [bin, 'usage', 'report', '--inventory', inventory, '--flows', dir, '--since', 'yesterday'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--since must be a duration/);
  });
});

describeNf('exporter records (real nfcapd and nfdump)', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ggi-nfcapd-exp-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** Like `capture`, but each batch of records comes from its own loopback source address (its own exporter). */
  async function captureFrom(batches: Array<{ from: string; records: FlowRecord[]; afterMs?: number }>, rotateS = 3600): Promise<string[]> {
    await collectWithNfcapd(dir, batches.map((b) => ({ from: b.from, packets: encodeNetflowV9(b.records), afterMs: b.afterMs })), ['-t', String(rotateS), '-P', path.join(dir, 'pid')]);
    return flowFiles(dir);
  }

  test("each record's exporter is the source address nfcapd saw, as nfdump's exporter list says", async () => {
    const files = await captureFrom([
      { from: '127.0.0.2', records: records(30) },
      { from: '127.0.0.3', records: records(12) },
    ]);
    expect(files).toHaveLength(1);
    const file = files[0];
    const exporters = new Map<number, string>();
    const perAddress = new Map<string, number>();
    readFlowFile(
      file,
      (f) => {
        const a = exporters.get(f.exporter);
        if (a === undefined) throw new Error(`record of exporter ${f.exporter} before its exporter record`);
        perAddress.set(a, (perAddress.get(a) ?? 0) + 1);
      },
      undefined,
      (e) => {
        expect(e.version).toBe(9);
        exporters.set(e.sysid, e.address);
      },
    );
    expect(Object.fromEntries(perAddress)).toEqual({ '127.0.0.2': 30, '127.0.0.3': 12 });
    // nfdump's own view of the same file: its exporter list names both addresses with their sysids.
    const listed = execFileSync('nfdump', ['-E', file], { encoding: 'utf8' });
    expect(exporters.size).toBe(2);
    for (const [sysid, address] of exporters) expect(listed).toMatch(new RegExp(`SysID: ${sysid}, IP: +${address.replace(/\./g, '\\.')}, version: 9`));
  });

  test('a file after a rotation names its exporters again (each file is read on its own)', async () => {
    const files = await captureFrom(
      [
        { from: '127.0.0.4', records: records(5) },
        { from: '127.0.0.4', records: records(7), afterMs: 3500 },
      ],
      2,
    );
    const withRecords = files.filter((f) => readFlowFile(f, () => undefined).records > 0);
    expect(withRecords.length).toBeGreaterThanOrEqual(2);
    for (const f of withRecords) {
      const named: string[] = [];
      readFlowFile(f, () => undefined, undefined, (e) => named.push(e.address));
      expect(named).toEqual(['127.0.0.4']);
    }
  });
});
