#!/usr/bin/env node
'use strict';
// The package's bin: runs the compiled CLI (built by `npm ci` through the `prepare` script).
// A closed pipe (`ggi … | head`) ends the output quietly, as for any Unix tool, instead of an EPIPE trace.
for (const s of [process.stdout, process.stderr]) {
  s.on('error', (e) => {
    if (e && e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}
let cli;
try {
  cli = require('../dist/src/cli/main.js');
} catch {
  process.stderr.write('ggi: the compiled CLI is missing; run `npm ci` (or `npm run build`) in the repository first\n');
  process.exit(1);
}
cli.main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
