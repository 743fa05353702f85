import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../../src/cli/main';
import { localRunner, readState } from '../../src/lab';
import { fakeIo } from '../helpers/tmp-inventory';
import { describeLab } from './prereq';

/**
 * `ggi verify` on the example lab: after lab up and apply every check holds (exit 0, the CLI.md JSON shape); a BGP
 * neighbour shut down by hand fails its `bgp` check and a stopped FRR daemon fails its `device` check (exit 4, the
 * failing check named); with no lab there is nothing to reach (exit 3).
 */

const INVENTORY = path.resolve(__dirname, '../../inventory');

async function ggi(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const f = fakeIo({ ...process.env, GGI_OPERATOR: 'verify-test' });
  const code = await main([...argv, '--inventory', INVENTORY], f.io);
  return { code, stdout: f.stdout(), stderr: f.stderr() };
}

interface CheckJson {
  name: string;
  ok: boolean;
  expected: string;
  observed: string;
  detail: string;
}

describeLab('ggi verify on the example lab', () => {
  const labState = fs.mkdtempSync(path.join(os.tmpdir(), 'ggi-verify-lab-'));
  const ggiState = fs.mkdtempSync(path.join(os.tmpdir(), 'ggi-verify-state-'));
  const runner = localRunner();
  const verify = (...more: string[]) => ggi('verify', '--target', 'lab', '--lab-state', labState, '--format', 'json', ...more);

  beforeAll(async () => {
    const up = await ggi('lab', 'up', '--state', labState, '--name', 'ggivf');
    if (up.code !== 0) throw new Error(`lab up failed: ${up.stderr}`);
    const apply = await ggi('apply', '--target', 'lab', '--lab-state', labState, '--state', ggiState, '--yes', '--format', 'json');
    if (apply.code !== 0) throw new Error(`apply failed: ${apply.stderr}`);
  });

  afterAll(async () => {
    await ggi('lab', 'down', '--state', labState);
    fs.rmSync(labState, { recursive: true, force: true });
    fs.rmSync(ggiState, { recursive: true, force: true });
  });

  it('every check holds after apply: exit 0 and the CLI.md JSON shape', async () => {
    const r = await verify();
    const doc = JSON.parse(r.stdout) as { ok: boolean; checks: CheckJson[] };
    expect(Object.keys(doc).sort()).toEqual(['checks', 'ok']);
    for (const c of doc.checks) {
      expect(Object.keys(c).sort()).toEqual(['detail', 'expected', 'name', 'observed', 'ok']);
      expect([typeof c.name, typeof c.ok, typeof c.expected, typeof c.observed, typeof c.detail]).toEqual(['string', 'boolean', 'string', 'string', 'string']);
    }
    expect(doc.checks.filter((c) => !c.ok)).toEqual([]);
    const groups = new Set(doc.checks.map((c) => c.name.split(' ')[0]));
    expect([...groups].sort()).toEqual(['bgp', 'device', 'dhcp', 'flows', 'govroam', 'kps', 'origin', 'redundancy', 'veilig']);
    expect(doc.checks.filter((c) => c.name.startsWith('device ')).length).toBeGreaterThan(20);
    expect(doc.ok).toBe(true);
    expect(r.code).toBe(0);
  });

  it('a BGP neighbour shut down by hand: exit 4 and the failing session named', async () => {
    const before = JSON.parse((await verify('--only', 'bgp', '--wait', '0')).stdout) as { checks: CheckJson[] };
    const victim = before.checks.find((c) => c.name.startsWith('bgp ce-'))!;
    const [, device, peer] = victim.name.split(' ');
    const ns = readState(labState)!.nodes.find((n) => n.id === device)!.namespace;
    const summary = JSON.parse((await runner.run(['vtysh', '-N', ns, '-c', 'show bgp summary json'], { netns: ns })).stdout) as Record<string, { as?: number }>;
    const asn = Object.values(summary).find((af) => af?.as)!.as!;
    await runner.run(['vtysh', '-N', ns, '-c', 'configure terminal', '-c', `router bgp ${asn}`, '-c', `neighbor ${peer} shutdown`], { netns: ns });

    const r = await verify('--only', 'bgp', '--wait', '0');
    expect(r.code).toBe(4);
    const doc = JSON.parse(r.stdout) as { ok: boolean; checks: CheckJson[] };
    expect(doc.ok).toBe(false);
    const failed = doc.checks.filter((c) => !c.ok);
    expect(failed.map((c) => c.name)).toContain(`bgp ${device} ${peer}`);
    expect(failed.find((c) => c.name === `bgp ${device} ${peer}`)).toMatchObject({ expected: 'Established', observed: expect.stringMatching(/Idle/) });

    const text = await ggi('verify', '--target', 'lab', '--lab-state', labState, '--only', 'bgp', '--wait', '0');
    expect(text.code).toBe(4);
    expect(text.stdout).toMatch(new RegExp(`^  bgp ${device} ${peer.replace(/\./g, '\\.')}\\s+FAIL\\s+Established\\s+Idle`, 'm'));
    expect(text.stdout).toMatch(/^bgp \(\d+ checks\)\s+FAIL/m);
    expect(text.stdout).toMatch(/NOT verified: \d+ of \d+ checks fail/);
  });

  it('a stopped FRR daemon: the device health check fails, exit 4', async () => {
    const node = readState(labState)!.nodes.find((n) => n.kind === 'router' && n.frr && n.id.startsWith('ce-'))!;
    const pid = Number(fs.readFileSync(`${node.frr!.runDir}/staticd.pid`, 'utf8').trim());
    process.kill(pid, 'SIGKILL');
    const r = await verify('--only', 'device');
    expect(r.code).toBe(4);
    const failed = (JSON.parse(r.stdout) as { checks: CheckJson[] }).checks.filter((c) => !c.ok);
    expect(failed).toEqual([expect.objectContaining({ name: `device ${node.id}`, observed: expect.stringContaining('staticd not running') })]);
  });

  it('no lab: nothing can be reached, exit 3 with one JSON document', async () => {
    const r = await ggi('verify', '--lab-state', path.join(labState, 'nowhere'), '--format', 'json');
    expect(r.code).toBe(3);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, error: expect.stringMatching(/lab is not up/) });
  });
});
