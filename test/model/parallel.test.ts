import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { generateNationalInventory, writeInventoryFiles } from '../../src/generate/national';

/**
 * Files checked on a worker thread (checkFilesInParallel) must load to exactly what checking them on one thread gives:
 * the same inventory, the same findings at the same places, for a valid and for a broken national inventory. The
 * worker is compiled JavaScript, so the project is compiled into a scratch folder inside the repository first.
 */
const repo = path.resolve(__dirname, '..', '..');
const build = path.join(repo, `.ggi-test-build-model-${process.pid}`);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ggi-parallel-'));

type ParallelModule = typeof import('../../src/model/parallel');
type LoadModule = typeof import('../../src/model/load');
type ValidationModule = typeof import('../../src/validation');
let parallel: ParallelModule;
let load: LoadModule;
let validation: ValidationModule;

beforeAll(() => {
  const tsc = path.join(repo, 'node_modules', 'typescript', 'bin', 'tsc');
  const res = spawnSync(process.execPath, [tsc, '-p', path.join(repo, 'tsconfig.build.json'), '--outDir', build], { cwd: repo, encoding: 'utf8' });
  if (!fs.existsSync(path.join(build, 'src', 'model', 'check-worker.js'))) throw new Error(`could not compile the project: ${res.stdout}${res.stderr}`);
  parallel = require(path.join(build, 'src', 'model', 'parallel.js')) as ParallelModule;
  load = require(path.join(build, 'src', 'model', 'load.js')) as LoadModule;
  validation = require(path.join(build, 'src', 'validation', 'index.js')) as ValidationModule;
  writeInventoryFiles(path.join(tmp, 'valid'), generateNationalInventory({ seed: 3 }));
});
afterAll(() => {
  fs.rmSync(build, { recursive: true, force: true });
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** The inventory as plain data, without the source index (whose files hold the same texts either way). */
function plain(inv: unknown): unknown {
  return JSON.parse(JSON.stringify(inv, (k, v) => (k === 'sources' ? undefined : v)));
}

async function both(dir: string) {
  const prepared = await parallel.checkFilesInParallel(dir);
  const serial = load.loadInventory(dir);
  const split = load.loadInventory(dir, { prepared });
  return { prepared, serial, split };
}

it('takes the worker path for a national inventory and loads the same inventory', async () => {
  const { prepared, serial, split } = await both(path.join(tmp, 'valid'));
  expect(prepared).toBeDefined();
  expect(split.findings).toEqual(serial.findings);
  expect(serial.inventory).not.toBeNull();
  expect(plain(split.inventory)).toEqual(plain(serial.inventory));
  // And the whole validation: same findings, in the same order, located at the same lines.
  const a = validation.validateInventory(path.join(tmp, 'valid'), { now: new Date('2026-11-23') });
  const b = validation.validateInventory(path.join(tmp, 'valid'), { now: new Date('2026-11-23'), prepared });
  expect(b.findings).toEqual(a.findings);
  expect(b.ok).toBe(a.ok);
});

it('reports the same findings for broken files, wherever they were checked', async () => {
  const dir = path.join(tmp, 'broken');
  fs.cpSync(path.join(tmp, 'valid'), dir, { recursive: true });
  const policies = fs.readdirSync(path.join(dir, 'policy')).filter((f) => f.endsWith('-rules.yaml'));
  // Every large policy file (some go to the worker, some stay) gets a schema error, one a syntax error.
  policies.forEach((f, i) => {
    const p = path.join(dir, 'policy', f);
    const text = fs.readFileSync(p, 'utf8');
    fs.writeFileSync(p, i === 0 ? text.replace('    proto: tcp\n', '    proto: [tcp\n') : text.replace('    proto: tcp\n', '    proto: tcp\n    colour: blue\n').replace(/ports: \[443\]/, 'ports: [70000]'));
  });
  fs.appendFileSync(path.join(dir, 'organisations', fs.readdirSync(path.join(dir, 'organisations'))[0]), 'unknownKey: 1\n');
  const { prepared, serial, split } = await both(dir);
  expect(prepared).toBeDefined();
  expect(serial.inventory).toBeNull();
  expect(split.inventory).toBeNull();
  expect(split.findings).toEqual(serial.findings);
  const codes = new Set(serial.findings.map((f) => f.code));
  expect(codes).toEqual(new Set(['YAML_SYNTAX', 'SCHEMA_UNKNOWN_KEY', 'SCHEMA_RANGE']));
  expect(serial.findings.length).toBeGreaterThan(2 * policies.length - 2);
});

it('stays on one thread for a small inventory', async () => {
  expect(await parallel.checkFilesInParallel(path.join(repo, 'inventory'))).toBeUndefined();
});
