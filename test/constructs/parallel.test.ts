import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BASE_ORGS, readTree, tempDir, writeInventory, type OrgSpec } from './fixture';

/**
 * The parallel synth runs compiled worker threads, so this test compiles the project (tsc, the build config) into a
 * scratch folder inside the repository (so node_modules resolve) and drives the compiled code.
 */
const repo = path.resolve(__dirname, '..', '..');
const build = path.join(repo, `.ggi-test-build-${process.pid}`);
const dirs: string[] = [build];

type MainModule = typeof import('../../stacks/main');
type LoadModule = typeof import('../../src/model/load');
let main: MainModule;
let load: LoadModule;

beforeAll(() => {
  const tsc = path.join(repo, 'node_modules', 'typescript', 'bin', 'tsc');
  const res = spawnSync(process.execPath, [tsc, '-p', path.join(repo, 'tsconfig.build.json'), '--outDir', build], { cwd: repo, encoding: 'utf8' });
  // Type errors elsewhere in the repository do not stop tsc from emitting; a missing worker does.
  if (!fs.existsSync(path.join(build, 'stacks', 'worker.js'))) throw new Error(`could not compile the project: ${res.stdout}${res.stderr}`);
  main = require(path.join(build, 'stacks', 'main.js')) as MainModule;
  load = require(path.join(build, 'src', 'model', 'load.js')) as LoadModule;
});
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** 80 gemeenten with a connection point, so the parallel path is taken (it needs 64 organisations). */
function manyOrgs(extra: OrgSpec[] = []): OrgSpec[] {
  const orgs: OrgSpec[] = [...BASE_ORGS];
  for (let i = 0; i < 80; i++) {
    orgs.push({ id: `GM${String(1000 + i)}`, kind: 'gemeente', name: `Gemeente ${i}`, slot: 100 + i, zones: i % 3 ? ['overheid', 'markt'] : ['overheid'], publicAddress: `198.18.1.${i + 1}`, asn: 65100 + i, categories: [0, 1], at: `2026-02-${String(1 + (i % 28)).padStart(2, '0')}T10:00:00Z` });
  }
  return [...orgs, ...extra];
}

const RULES = [{ ruleId: 'r1', action: 'pass' as const, proto: 'tcp' as const, src: ['2001:db8::/32'], dst: ['3fff:100::/32'], dports: '443' }];

test('a parallel synth writes exactly the bytes of a single-thread synth', async () => {
  const root = tempDir('par');
  dirs.push(root);
  const inv = load.loadInventory(writeInventory(path.join(root, 'inventory'), manyOrgs())).inventory!;
  main.synthesize(inv, path.join(root, 'seq'), { policyRules: RULES });
  const res = await main.synthesizeParallel(inv, path.join(root, 'par'), { policyRules: RULES, workers: 3 });
  expect(res.stacks.length).toBe(2 + 85);
  const a = readTree(path.join(root, 'seq'));
  const b = readTree(path.join(root, 'par'));
  expect([...b.keys()]).toEqual([...a.keys()]);
  for (const [k, v] of a) expect([k, b.get(k)!.equals(v)]).toEqual([k, true]);
  // No part folders are left behind.
  expect(fs.readdirSync(path.join(root, 'par')).sort()).toEqual(['manifest.json', 'stacks']);
});

test('a refusal inside a worker reaches the caller as the same located error', async () => {
  const root = tempDir('par-bad');
  dirs.push(root);
  const unsigned: OrgSpec = { id: 'LV0009', kind: 'leverancier', name: 'Ongetekend BV', slot: 9, zones: ['markt'], publicAddress: '198.51.100.99', asn: 65099, signed: false, categories: [1] };
  const inv = load.loadInventory(writeInventory(path.join(root, 'inventory'), manyOrgs([unsigned]))).inventory!;
  let err: (Error & { code?: string; loc?: { file: string }; sub?: unknown }) | undefined;
  try {
    await main.synthesizeParallel(inv, path.join(root, 'out'), { policyRules: RULES, workers: 2 });
  } catch (e) {
    err = e as typeof err;
  }
  expect(err?.name).toBe('ConstructValidationError');
  expect(err?.code).toBe('CLOUD_SUPPLIER_UNSIGNED');
  expect(err?.loc?.file).toMatch(/LV0009\.yaml$/);
  expect(err?.sub).toEqual(['ggiAfspraken']);
  expect(fs.existsSync(path.join(root, 'out', 'stacks'))).toBe(false);
});
