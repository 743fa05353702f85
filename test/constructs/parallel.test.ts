import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BASE_ORGS, expectSameTree, readTree, tempDir, writeInventory, type OrgSpec } from './fixture';

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
  expectSameTree(readTree(path.join(root, 'par')), readTree(path.join(root, 'seq')));
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

/** A national inventory from the generator, smaller in rules but large enough (over 1 MiB) for the parallel gate. */
function nationalInventory(dir: string, extraRules = ''): string {
  const { generateNationalInventory, writeInventoryFiles } = require(path.join(build, 'src', 'generate', 'national.js')) as typeof import('../../src/generate/national');
  const files = generateNationalInventory({ seed: 1, rules: 2000 });
  if (extraRules) files.set('policy/10-rules.yaml', files.get('policy/10-rules.yaml')! + extraRules);
  writeInventoryFiles(dir, files);
  return dir;
}

const UNKNOWN_SERVICE_RULE = `  - id: rule-broken
    from: { organisations: [GM0512] }
    to: { services: [no-such-service] }
    proto: tcp
    ports: [443]
    action: allow
    owner: test
    reason: refers to a service that does not exist
`;

describe('synthInventory: the gate, with the synth workers started before it', () => {
  test('an invalid inventory is refused before any worker gets work: nothing written, the workers end', async () => {
    const root = tempDir('gate-bad');
    dirs.push(root);
    const inv = nationalInventory(path.join(root, 'inventory'), UNKNOWN_SERVICE_RULE);
    const out = path.join(root, 'out');
    const res = await main.synthInventory(inv, out, { workers: 2 });
    expect(res.ok).toBe(false);
    if (res.ok) throw new Error('the gate let an invalid inventory through');
    expect(res.refused).toBe(false);
    expect(res.findings.some((f) => f.code.endsWith('UNKNOWN_REFERENCE') && f.file.endsWith('10-rules.yaml'))).toBe(true);
    // The worker was started (it loaded cdktf during the gate), but never sent work.
    expect(res.pool?.started).toBe(1);
    expect(res.pool?.dispatched).toBe(0);
    expect(fs.existsSync(out)).toBe(false);
  });

  test('the process exits by itself after a refused gate (no worker keeps it alive)', () => {
    const root = tempDir('gate-exit');
    dirs.push(root);
    const inv = nationalInventory(path.join(root, 'inventory'), UNKNOWN_SERVICE_RULE);
    const out = path.join(root, 'out');
    const code = `require(${JSON.stringify(path.join(build, 'stacks', 'main.js'))}).synthInventory(${JSON.stringify(inv)}, ${JSON.stringify(out)}, { workers: 2 })
      .then((r) => process.stdout.write(JSON.stringify({ ok: r.ok, started: r.pool && r.pool.started, dispatched: r.pool && r.pool.dispatched })));`;
    const res = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8', timeout: 120_000 });
    expect(res.signal).toBeNull();
    expect(res.status).toBe(0);
    expect(JSON.parse(res.stdout)).toEqual({ ok: false, started: 1, dispatched: 0 });
    expect(fs.existsSync(out)).toBe(false);
  });

  test('a valid national inventory: the bytes equal a single-thread synth', async () => {
    const root = tempDir('gate-ok');
    dirs.push(root);
    const inv = nationalInventory(path.join(root, 'inventory'));
    const res = await main.synthInventory(inv, path.join(root, 'par'), { workers: 2 });
    if (!res.ok) throw new Error(`synthInventory refused the inventory: ${JSON.stringify(res.findings.slice(0, 3))}`);
    expect(res.pool?.dispatched).toBe(1);
    expect(res.stacks.slice(0, 2)).toEqual(['hub', 'policy']);
    const single = main.synthesize(load.loadInventory(inv).inventory!, path.join(root, 'seq'));
    expect(res.stacks).toEqual(single.stacks);
    expectSameTree(readTree(path.join(root, 'par')), readTree(path.join(root, 'seq')));
    expect(fs.readdirSync(path.join(root, 'par')).sort()).toEqual(['manifest.json', 'stacks']);
  });
});

test('a parallel synth over an earlier output: stack folders are updated in place, stale stacks removed', async () => {
  const root = tempDir('par-again');
  dirs.push(root);
  const inv = load.loadInventory(writeInventory(path.join(root, 'inventory'), manyOrgs())).inventory!;
  const out = path.join(root, 'out');
  await main.synthesizeParallel(inv, out, { policyRules: RULES, workers: 2 });
  const fresh = readTree(out);
  // What a user or Terraform left in a stack folder stays; a stack no longer in the inventory goes.
  fs.writeFileSync(path.join(out, 'stacks', 'org-GM1000', 'terraform.tfstate'), '{}');
  fs.mkdirSync(path.join(out, 'stacks', 'org-GONE'));
  fs.writeFileSync(path.join(out, 'stacks', 'org-GONE', 'cdk.tf.json'), '{}');
  fs.writeFileSync(path.join(out, 'stacks', 'hub', 'cdk.tf.json'), 'stale');
  await main.synthesizeParallel(inv, out, { policyRules: RULES, workers: 2 });
  const again = readTree(out);
  expect(again.get('stacks/org-GM1000/terraform.tfstate')?.toString()).toBe('{}');
  again.delete('stacks/org-GM1000/terraform.tfstate');
  expectSameTree(again, fresh);
});
