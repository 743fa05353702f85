#!/usr/bin/env node
'use strict';
// The package's bin: runs the compiled CLI (built by `npm ci` through the `prepare` script).
require('../dist/src/cli/main.js').main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
