import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { generateNationalInventory, writeInventoryFiles } from '../src/generate/national';

/**
 * `ggi synth` of the full-size synthetic national inventory (target: under 4 s wall time and 300 MB peak memory).
 * Each run is a fresh child process, as a CI job would run it, so the figures include Node start-up, loading cdktf
 * and the provider submodules, validation, and writing every stack; the child reports its own phases and maxRSS.
 */
export async function run(): Promise<Array<{ name: string; value: number; unit: string; note?: string }>> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ggi-bench-synth-'));
  try {
    const inv = path.join(dir, 'inventory');
    writeInventoryFiles(inv, generateNationalInventory({ seed: 1 }));
    const runs = [child(inv, path.join(dir, 'out-1')), child(inv, path.join(dir, 'out-2')), child(inv, path.join(dir, 'out-3'))];
    // The median run: one slow outlier on a shared CI machine should not decide the figure.
    const sorted = [...runs].sort((a, b) => a.wallMs - b.wallMs);
    const m = sorted[1];
    const sameBytes = sameTree(path.join(dir, 'out-1'), path.join(dir, 'out-2'));
    return [
      { name: 'full-size inventory: synth, whole process (wall)', value: round(m.wallMs), unit: 'ms', note: `median of 3; ${m.stacks} stacks; target < 4000 ms` },
      { name: 'full-size inventory: synth, whole process (CPU user+system)', value: round(m.cpuMs), unit: 'ms', note: `all threads; load average at start ${os.loadavg()[0].toFixed(1)}` },
      { name: 'full-size inventory: synth, peak memory (maxRSS)', value: round(Math.max(...runs.map((r) => r.maxRssMb))), unit: 'MB', note: `worst of 3; target < 300 MB; peak ${round(m.rssGateMb)} MB after load + validate, ${round(m.rssFlattenMb)} MB after flattening the policy` },
      { name: 'full-size inventory: synth phase: load + validate', value: round(m.gateMs), unit: 'ms', note: `${m.organisations} organisations` },
      { name: 'full-size inventory: synth phase: flatten the policy (src/zones)', value: round(m.flattenMs), unit: 'ms', note: `${m.rules} flat rules` },
      { name: 'full-size inventory: synth phase: build + write stacks (cdktf)', value: round(m.synthMs), unit: 'ms', note: `${m.files} files, ${(m.bytes / 2 ** 20).toFixed(1)} MiB; ${threads()} threads; two runs byte-identical: ${sameBytes}` },
    ];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

interface ChildResult {
  wallMs: number;
  /** User + system CPU of the whole child (all threads): less sensitive to a busy machine than wall time. */
  cpuMs: number;
  maxRssMb: number;
  /** Peak memory after load + validate, and after flattening the policy: what the cloud side adds is the rest. */
  rssGateMb: number;
  rssFlattenMb: number;
  gateMs: number;
  flattenMs: number;
  rules: number;
  synthMs: number;
  stacks: number;
  organisations: number;
  files: number;
  bytes: number;
}

function child(inv: string, out: string): ChildResult {
  const dist = path.resolve(__dirname, '..', 'stacks');
  const code = `
    const t0 = process.hrtime.bigint();
    const { gateInventory } = require(${JSON.stringify(path.join(dist, 'gate'))});
    const gate = gateInventory(${JSON.stringify(inv)});
    const t1 = process.hrtime.bigint();
    const rssGate = process.resourceUsage().maxRSS;
    if (!gate.inventory) { console.error(gate.report.join('\\n')); process.exit(1); }
    const { hubPolicyRules } = require(${JSON.stringify(path.join(dist, 'policy'))});
    const rules = hubPolicyRules(gate.inventory);
    const t2 = process.hrtime.bigint();
    const rssFlatten = process.resourceUsage().maxRSS;
    const { synthesizeParallel } = require(${JSON.stringify(path.join(dist, 'main'))});
    synthesizeParallel(gate.inventory, ${JSON.stringify(out)}, { policyRules: rules }).then((r) => {
      const t3 = process.hrtime.bigint();
      process.stdout.write(JSON.stringify({ gateMs: Number(t1 - t0) / 1e6, flattenMs: Number(t2 - t1) / 1e6, rules: rules.length, synthMs: Number(t3 - t2) / 1e6, stacks: r.stacks.length, organisations: gate.inventory.organisations.length, maxRssKb: process.resourceUsage().maxRSS, rssGateKb: rssGate, rssFlattenKb: rssFlatten, cpuMs: (process.cpuUsage().user + process.cpuUsage().system) / 1000 }));
    }, (e) => { console.error(e && e.stack || e); process.exit(1); });
  `;
  const t0 = process.hrtime.bigint();
  const res = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8', maxBuffer: 1 << 24 });
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  if (res.status !== 0) throw new Error(`synth child failed (exit ${res.status}): ${res.stderr}`);
  const r = JSON.parse(res.stdout) as { gateMs: number; flattenMs: number; rules: number; synthMs: number; stacks: number; organisations: number; maxRssKb: number; rssGateKb: number; rssFlattenKb: number; cpuMs: number };
  let files = 0;
  let bytes = 0;
  for (const f of walk(out)) {
    files++;
    bytes += fs.statSync(f).size;
  }
  return { wallMs, cpuMs: r.cpuMs, maxRssMb: r.maxRssKb / 1024, rssGateMb: r.rssGateKb / 1024, rssFlattenMb: r.rssFlattenKb / 1024, gateMs: r.gateMs, flattenMs: r.flattenMs, rules: r.rules, synthMs: r.synthMs, stacks: r.stacks, organisations: r.organisations, files, bytes };
}

function threads(): number {
  const env = Number(process.env.GGI_SYNTH_WORKERS);
  return Number.isInteger(env) && env >= 1 ? env : Math.min(4, typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length);
}

function walk(d: string): string[] {
  return fs.readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : [path.join(d, e.name)]));
}

function sameTree(a: string, b: string): boolean {
  const fa = walk(a).map((f) => path.relative(a, f)).sort();
  const fb = walk(b).map((f) => path.relative(b, f)).sort();
  return fa.length === fb.length && fa.every((f, i) => f === fb[i] && fs.readFileSync(path.join(a, f)).equals(fs.readFileSync(path.join(b, f))));
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}
