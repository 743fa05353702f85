import * as fs from 'node:fs';
import * as path from 'node:path';
import { commands } from '../../src/cli/commands/synth';
import { parseCommandArgs, type Io } from '../../src/cli/context';
import { BASE_ORGS, readStacks, expectSameTree, readTree, tempDir, writeInventory } from './fixture';
import { runFromCdktf } from '../../stacks/main';

/** Runs `ggi synth ARGS` in-process through the command module, with a fake Io capturing the output. */
async function synth(argv: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const cmd = commands.find((c) => c.spec.name === 'synth')!;
  let stdout = '';
  let stderr = '';
  const io: Io = { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), isTTY: false, env: {}, cwd, now: () => new Date('2026-06-01T00:00:00Z') };
  const { global, args } = parseCommandArgs(argv, cmd.spec);
  const code = await cmd.run({ io, global, args, spec: cmd.spec });
  return { code, stdout, stderr };
}

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});
function temp(tag: string): string {
  const d = tempDir(tag);
  dirs.push(d);
  return d;
}

describe('ggi synth', () => {
  test('an inventory that does not load: exit 1 with located findings, no trace, nothing written', async () => {
    const root = temp('cli-bad');
    const inv = writeInventory(path.join(root, 'inventory'), BASE_ORGS);
    fs.writeFileSync(path.join(inv, 'organisations', 'GM0546.yaml'), 'id: GM0546\nkind: gemeente\nname: Leiden\nbogus: 1\n');
    const out = path.join(root, 'out');
    const r = await synth(['--inventory', inv, '--out', out], root);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/GM0546\.yaml:4:1: error SCHEMA_UNKNOWN_KEY/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(fs.existsSync(out)).toBe(false);
  });

  test('--format json on a bad inventory prints one JSON document with the findings', async () => {
    const root = temp('cli-badjson');
    const inv = writeInventory(path.join(root, 'inventory'), BASE_ORGS);
    fs.writeFileSync(path.join(inv, 'ggi.yaml'), 'network: [\n');
    const r = await synth(['--inventory', inv, '--out', path.join(root, 'out'), '--format', 'json'], root);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout) as { ok: boolean; findings: Array<{ code: string; file: string; line: number }> };
    expect(doc.ok).toBe(false);
    expect(doc.findings.length).toBeGreaterThan(0);
    expect(doc.findings[0].file).toMatch(/ggi\.yaml$/);
  });

  test('a refusal by a construct is a located finding (unsigned supplier)', async () => {
    const root = temp('cli-unsigned');
    const inv = writeInventory(path.join(root, 'inventory'), [...BASE_ORGS, { id: 'LV0002', kind: 'leverancier', name: 'Ongetekend BV', slot: 2, zones: ['markt'], publicAddress: '198.51.100.8', asn: 65011, signed: false, categories: [1] }]);
    const r = await synth(['--inventory', inv, '--out', path.join(root, 'out'), '--format', 'json'], root);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout) as { findings: Array<{ code: string; file: string; line: number }> };
    // Either the inventory checks or the construct refuse it; both name the supplier's file.
    const f = doc.findings.find((x) => x.file.endsWith('LV0002.yaml'));
    expect(f).toBeDefined();
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

/**
 * The happy path runs through the full `ggi validate` gate, whose checks have their own rules about the fixture; so it
 * runs on whatever inventory passes that gate and asserts on the output shape.
 */
describe('ggi synth on a valid inventory', () => {
  test('writes the stacks and reports them', async () => {
    const root = temp('cli-ok');
    const inv = writeInventory(path.join(root, 'inventory'), BASE_ORGS);
    const r = await synth(['--inventory', inv, '--out', 'cdktf.out', '--format', 'json'], root);
    if (r.code !== 0) {
      // Show why the gate refused it: this fixture is meant to be valid.
      throw new Error(`synth refused the fixture:\n${r.stdout}\n${r.stderr}`);
    }
    const doc = JSON.parse(r.stdout) as { ok: boolean; out: string; stacks: string[] };
    expect(doc.ok).toBe(true);
    expect(doc.stacks[0]).toBe('hub');
    expect([...readStacks(path.join(root, 'cdktf.out')).keys()].sort()).toEqual([...doc.stacks].sort());

    // `cdktf synth` runs stacks/main.ts through cdktf.json: the same bytes as `ggi synth`.
    expect(await runFromCdktf({ GGI_INVENTORY: inv, CDKTF_OUTDIR: path.join(root, 'via-cdktf') })).toBe(0);
    expectSameTree(readTree(path.join(root, 'via-cdktf')), readTree(path.join(root, 'cdktf.out')));
  });

  test('says that the policy lint warnings are left to ggi validate (text, JSON and the help details)', async () => {
    const root = temp('cli-lint');
    const inv = writeInventory(path.join(root, 'inventory'), BASE_ORGS);
    const text = await synth(['--inventory', inv, '--out', 'out-text'], root);
    expect(text.code).toBe(0);
    expect(text.stderr).toMatch(/lint warnings .* run 'ggi validate'/);
    const json = await synth(['--inventory', inv, '--out', 'out-json', '--format', 'json'], root);
    expect((JSON.parse(json.stdout) as { lint: string }).lint).toMatch(/ggi validate/);
    expect(commands.find((c) => c.spec.name === 'synth')!.spec.details).toMatch(/`ggi validate` shows those lint warnings/);
  });

  test('an output folder that cannot be written is a user error, not an internal one', async () => {
    const root = temp('cli-out');
    const inv = writeInventory(path.join(root, 'inventory'), BASE_ORGS);
    fs.writeFileSync(path.join(root, 'a-file'), 'in the way');
    await expect(synth(['--inventory', inv, '--out', path.join('a-file', 'out')], root)).rejects.toThrow(/cannot write the synthesized stacks to a-file\/out/);
  });

  test('the cdktf entry point refuses a bad inventory with exit 1 and writes nothing', async () => {
    const root = temp('cdktf-bad');
    const inv = writeInventory(path.join(root, 'inventory'), BASE_ORGS);
    fs.writeFileSync(path.join(inv, 'ggi.yaml'), 'network: [\n');
    const spy = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(await runFromCdktf({ GGI_INVENTORY: inv, CDKTF_OUTDIR: path.join(root, 'out') })).toBe(1);
      expect(spy.mock.calls.map((c) => String(c[0])).join('')).toMatch(/ggi\.yaml:\d+:\d+: error/);
    } finally {
      spy.mockRestore();
    }
    expect(fs.existsSync(path.join(root, 'out'))).toBe(false);
  });
});
