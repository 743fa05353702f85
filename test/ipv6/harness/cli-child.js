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
  const argv = process.argv.slice(2);
  let main = null;
  try {
    // The real entry point, with every command the lead has registered.
    const registry = require(path.join(root, 'src/cli/registry'));
    if (!registry.commands.has('ipv6 allocate')) for (const c of require(path.join(root, 'src/cli/commands/ipv6')).commands) registry.commands.set(c.spec.name, c);
    main = require(path.join(root, 'src/cli/main')).main;
  } catch (e) {
    // Another area of the tree does not load yet: run the ipv6 commands through the same argument parser instead.
    process.stderr.write(`cli-child: main() unavailable (${e && e.message ? e.message.split('\n')[0] : e}); dispatching the ipv6 module directly\n`);
  }
  if (main) return main(argv);
  const ctxMod = require(path.join(root, 'src/cli/context'));
  const { commands } = require(path.join(root, 'src/cli/commands/ipv6'));
  const name = argv.slice(0, 2).join(' ');
  const cmd = commands.find((c) => c.spec.name === name);
  if (!cmd) {
    process.stderr.write(`cli-child: unknown command ${name}\n`);
    return 2;
  }
  const io = {
    stdout: (t) => void process.stdout.write(t),
    stderr: (t) => void process.stderr.write(t),
    isTTY: false,
    env: process.env,
    cwd: process.cwd(),
    now: () => new Date(),
  };
  try {
    const { global, args } = ctxMod.parseCommandArgs(argv.slice(2), cmd.spec);
    return await cmd.run({ io, global, args, spec: cmd.spec });
  } catch (e) {
    if (e instanceof ctxMod.UserError) {
      for (const f of e.findings) process.stderr.write(`${f.file}:${f.line}:${f.column}: ${f.severity} ${f.code} ${f.message}\n`);
      process.stderr.write(`ggi: ${e.message}\n`);
      return e.exitCode;
    }
    if (e instanceof ctxMod.UsageError) {
      process.stderr.write(`ggi: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
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
