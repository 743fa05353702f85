#!/usr/bin/env node
'use strict';
// Runs every benchmark module (bench/<name>.ts, compiled to dist/bench/<name>.js by `npm run build`), each in its own
// process so that one's memory does not colour another's, and prints their figures. `npm run bench [-- name…]`.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const dir = path.join(root, 'dist', 'bench');
const wanted = process.argv.slice(2);
const names = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.js')).map((f) => f.slice(0, -3)).sort() : [];
const chosen = wanted.length ? names.filter((n) => wanted.includes(n)) : names;
if (!chosen.length) {
  console.error(`bench: nothing to run (have: ${names.join(', ') || 'none; run npm run build'})`);
  process.exit(2);
}
console.log(`machine: ${os.cpus().length} × ${os.cpus()[0].model}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}, ${os.platform()} ${os.release()}`);

const all = [];
let failed = 0;
for (const name of chosen) {
  process.stdout.write(`\n== ${name}\n`);
  const code = `require(${JSON.stringify(path.join(dir, name))}).run().then((r) => { process.stdout.write('\\n@@RESULT ' + JSON.stringify(r) + '\\n'); }, (e) => { console.error(e && e.stack || e); process.exit(1); })`;
  const res = spawnSync(process.execPath, ['-e', code], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 28 });
  const out = res.stdout || '';
  const line = out.split('\n').find((l) => l.startsWith('@@RESULT '));
  process.stdout.write(out.split('\n').filter((l) => !l.startsWith('@@RESULT ')).join('\n'));
  if (res.status !== 0 || !line) {
    failed++;
    console.log(`   FAILED (exit ${res.status})`);
    continue;
  }
  for (const r of JSON.parse(line.slice(9))) {
    all.push({ bench: name, ...r });
    console.log(`   ${r.name.padEnd(60)} ${String(r.value).padStart(12)} ${r.unit}${r.note ? `   (${r.note})` : ''}`);
  }
}
fs.mkdirSync(path.join(root, 'bench', 'out'), { recursive: true });
fs.writeFileSync(path.join(root, 'bench', 'out', 'results.json'), JSON.stringify({ at: new Date().toISOString(), loadAverage: os.loadavg()[0], results: all }, null, 2));
console.log(`\n${all.length} figures written to bench/out/results.json${failed ? `; ${failed} benchmark(s) failed` : ''}`);
process.exit(failed ? 1 : 0);
