import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * One whole `node …` process, as a CI job runs it: its wall time, and its CPU time (user + system, all its threads),
 * which a machine loaded by other work inflates far less. The CPU time is what the process itself reads at exit: a
 * preloaded hook (`-r`) writes `process.cpuUsage()` to a file.
 */
export interface ProcessTime {
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly status: number | null;
  readonly stderr: string;
}

const HOOK = `process.on('exit', () => require('node:fs').writeFileSync(process.env.GGI_BENCH_CPU_FILE, JSON.stringify(process.cpuUsage())));\n`;

export function timeProcess(args: readonly string[]): ProcessTime {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ggi-bench-cpu-'));
  try {
    const hook = path.join(dir, 'hook.js');
    const out = path.join(dir, 'cpu.json');
    fs.writeFileSync(hook, HOOK);
    const t0 = process.hrtime.bigint();
    const r = spawnSync(process.execPath, ['-r', hook, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, GGI_BENCH_CPU_FILE: out }, maxBuffer: 1 << 26 });
    const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
    const cpu = fs.existsSync(out) ? (JSON.parse(fs.readFileSync(out, 'utf8')) as { user: number; system: number }) : { user: Number.NaN, system: Number.NaN };
    return { wallMs, cpuMs: (cpu.user + cpu.system) / 1000, status: r.status, stderr: String(r.stderr ?? '') };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}
