import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { generateNationalInventory, writeInventoryFiles } from '../src/generate/national';
import { validateInventory } from '../src/validation';
import { loadInventory } from '../src/model/load';
import { median, timeProcess } from './lib/process-time';

/** `ggi validate` on the full-size synthetic national inventory (target: under 2 s wall time on 2 cores). */
export async function run(): Promise<Array<{ name: string; value: number; unit: string; note?: string }>> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ggi-bench-validate-'));
  try {
    const files = generateNationalInventory({ seed: 1 });
    writeInventoryFiles(dir, files);
    const bytes = [...files.values()].reduce((n, t) => n + Buffer.byteLength(t), 0);
    // One warm-up so the figure is the steady state a CI job sees after Node has started.
    validateInventory(dir);
    const t0 = process.hrtime.bigint();
    const loaded = loadInventory(dir);
    const t1 = process.hrtime.bigint();
    const result = validateInventory(dir);
    const t2 = process.hrtime.bigint();
    const inv = result.inventory!;
    // Whole processes, as a CI job runs them; the median, since one slow run on a shared machine should not decide.
    const load = os.loadavg()[0];
    const runs = [1, 2, 3, 4, 5].map(() => timeProcess([path.resolve(__dirname, '..', '..', 'bin', 'ggi.js'), 'validate', '--inventory', dir, '--format', 'json']));
    const walls = runs.map((r) => r.wallMs);
    const cpus = runs.map((r) => r.cpuMs);
    const ms = (a: bigint, b: bigint) => Number(b - a) / 1e6;
    return [
      { name: 'full-size inventory: load (parse + schema)', value: round(ms(t0, t1)), unit: 'ms', note: `${files.size} files, ${(bytes / 2 ** 20).toFixed(1)} MiB, ${loaded.findings.length} load findings` },
      { name: 'full-size inventory: validate (load + all checks)', value: round(ms(t1, t2)), unit: 'ms', note: `${inv.organisations.length} organisations, ${inv.devices.length} devices, ${inv.rules.length} rules, ${result.findings.length} findings` },
      { name: 'full-size inventory: validate, whole process (CLI)', value: round(median(walls)), unit: 'ms', note: `median of ${walls.length} (${walls.map(Math.round).join(', ')}); node bin/ggi.js validate --format json, including Node start-up; load average at start ${load.toFixed(1)}; target < 2000` },
      { name: 'full-size inventory: validate, whole process CPU', value: round(median(cpus)), unit: 'ms', note: `user + sys, median of ${cpus.length} (${cpus.map(Math.round).join(', ')})` },
    ];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}
