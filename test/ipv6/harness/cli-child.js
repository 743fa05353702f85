'use strict';
// Runs `ggi` in a child process straight from the TypeScript sources (the tests spawn many of these at once).
// TypeScript is compiled with @swc/core (already a dev dependency) through a require hook; compiled files are cached
// in GGI_TEST_SWC_CACHE so that concurrent children do not each compile the whole tree.
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');
const swc = require('@swc/core');

const root = path.resolve(__dirname, '..', '..', '..');
const cacheDir = process.env.GGI_TEST_SWC_CACHE || null;
if (cacheDir) fs.mkdirSync(cacheDir, { recursive: true });

require.extensions['.ts'] = function compileTs(module, filename) {
  const src = fs.readFileSync(filename, 'utf8');
  let code = null;
  const key = cacheDir ? path.join(cacheDir, crypto.createHash('sha1').update(filename).update(src).digest('hex') + '.js') : null;
  if (key) {
    try {
      code = fs.readFileSync(key, 'utf8');
    } catch {
      code = null;
    }
  }
  if (code === null) {
    code = swc.transformSync(src, { filename, jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' }, sourceMaps: false }).code;
    if (key) {
      // Write-then-rename: a concurrent reader sees the whole file or none.
      const tmp = `${key}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, code);
      fs.renameSync(tmp, key);
    }
  }
  module._compile(code, filename);
};

async function run() {
  // The real entry point, as `ggi` runs it.
  const { main } = require(path.join(root, 'src/cli/main'));
  return main(process.argv.slice(2));
}

run().then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`cli-child: ${e && e.stack ? e.stack : e}\n`);
    process.exitCode = 70;
  },
);
