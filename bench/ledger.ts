import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { validateInventory } from '../src/validation';
import { median, timeProcess } from './lib/process-time';

/**
 * `ggi validate` of the example inventory plus a 250,000-entry ledger: one organisation's /64 sub-allocations inside
 * its diginetwerk /46 (a /46 holds 262,144 /64s). Every ledger check must stay near-linear (target: under 3 s, whole
 * process). GGI_BENCH_LEDGER_ENTRIES sets another size; GGI_BENCH_RUNS the number of whole processes (default 5).
 */
const ENTRIES = Number(process.env.GGI_BENCH_LEDGER_ENTRIES ?? 250_000);
const RUNS = Number(process.env.GGI_BENCH_RUNS ?? 5);
const ORG = 'GM0014';
const PARENT = '2a07:3500:4::/46';

export async function run(): Promise<Array<{ name: string; value: number; unit: string; note?: string }>> {
  const root = path.resolve(__dirname, '..', '..');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ggi-bench-ledger-'));
  try {
    fs.cpSync(path.join(root, 'inventory'), dir, { recursive: true });
    const ledger = path.join(dir, 'ipv6', 'ledger.yaml');
    const parts: string[] = [fs.readFileSync(ledger, 'utf8').replace(/\n*$/, '\n')];
    for (let i = 0; i < ENTRIES; i++) {
      // The /64s of 2a07:3500:4::/46 in order: third hextet 4..7, fourth 0..ffff.
      const prefix = `2a07:3500:${(4 + (i >> 16)).toString(16)}:${(i & 0xffff).toString(16)}::/64`;
      parts.push(`  - prefix: ${prefix}\n    organisation: ${ORG}\n    category: diginetwerk\n    status: allocated\n    purpose: vlan ${i}\n    source: ggi\n    parent: ${PARENT}\n    by: bench\n    at: 2026-01-01T00:00:00Z\n`);
    }
    fs.writeFileSync(ledger, parts.join(''));
    const bytes = fs.statSync(ledger).size;

    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    const result = validateInventory(dir);
    const t1 = process.hrtime.bigint();
    const c1 = process.cpuUsage(c0);
    const errors = result.findings.filter((f) => f.severity === 'error');
    if (errors.length) throw new Error(`the benchmark inventory does not validate: ${errors.slice(0, 3).map((f) => `${f.code} ${f.message}`).join('; ')}`);

    const bin = path.join(root, 'bin', 'ggi.js');
    const load = os.loadavg()[0];
    const runs = Array.from({ length: RUNS }, () => {
      const r = timeProcess([bin, 'validate', '--inventory', dir, '--format', 'json']);
      if (r.status !== 0) throw new Error(`ggi validate exited ${r.status}: ${r.stderr}`);
      return r;
    });
    const walls = runs.map((r) => r.wallMs);
    const cpus = runs.map((r) => r.cpuMs);
    return [
      { name: `validate, example + ${ENTRIES} ledger entries, in process`, value: Math.round(Number(t1 - t0) / 1e6), unit: 'ms', note: `CPU ${Math.round((c1.user + c1.system) / 1000)} ms; ledger ${(bytes / 2 ** 20).toFixed(1)} MiB, ${result.findings.length} findings (warnings)` },
      { name: `validate, example + ${ENTRIES} ledger entries, whole process (CLI)`, value: Math.round(median(walls)), unit: 'ms', note: `median of ${RUNS} (${walls.map(Math.round).join(', ')}); node bin/ggi.js validate --format json; load average at start ${load.toFixed(1)}; target < 3000` },
      { name: `validate, example + ${ENTRIES} ledger entries, whole process CPU`, value: Math.round(median(cpus)), unit: 'ms', note: `user + sys, median of ${RUNS} (${cpus.map(Math.round).join(', ')})` },
    ];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
