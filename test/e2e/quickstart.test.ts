import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../../src/cli/main';
import { fakeIo } from '../helpers/tmp-inventory';
import { describeLab } from '../helpers/prereq';

/**
 * The README's main job end to end on the example inventory, on real routers: lab up, apply, verification with real
 * packets (BGP sessions, KPS routes, every flow between hosts against the policy), then a second apply that changes
 * nothing, and lab down leaving nothing behind.
 */
describeLab('ggi quickstart on the example inventory', () => {
  const run = it;
  const state = fs.mkdtempSync(path.join(os.tmpdir(), 'ggi-e2e-'));
  const inventory = path.resolve(__dirname, '../../inventory');
  afterAll(async () => {
    await main(['lab', 'down', '--state', state, '--inventory', inventory], fakeIo().io);
    fs.rmSync(state, { recursive: true, force: true });
  });

  run('brings up the lab, applies, and verifies sessions, KPS routes and real flows', async () => {
    const f = fakeIo({ ...process.env, GGI_OPERATOR: 'e2e' });
    const code = await main(['quickstart', '--state', state, '--inventory', inventory, '--format', 'json'], f.io);
    const doc = JSON.parse(f.stdout());
    const failed = doc.checks.filter((c: { ok: boolean }) => !c.ok);
    expect(failed).toEqual([]);
    expect(doc.ok).toBe(true);
    const named = (prefix: string) => doc.checks.filter((c: { name: string }) => c.name.startsWith(prefix));
    expect(named('bgp ').length).toBeGreaterThan(20);
    expect(named('device ').length).toBeGreaterThan(20);
    expect(named('kps no default route')).toHaveLength(1);
    const flows = named('flows')[0];
    expect(Number(/^(\d+) allowed and connected/.exec(flows.observed)![1])).toBeGreaterThan(50);
    expect(Number(/^(\d+) flows between/.exec(named('flows across zones')[0].expected)![1])).toBeGreaterThan(100);
    expect(code).toBe(0);
  });

  run('a second apply reports every device unchanged and drift finds nothing', async () => {
    const env = { ...process.env, GGI_OPERATOR: 'e2e' };
    const a = fakeIo(env);
    // The lab target lives in the state folder; plan/apply read the default one unless told, so point at it.
    const target = ['--target', 'lab', '--lab-state', state];
    const code = await main(['apply', ...target, '--yes', '--format', 'json', '--inventory', inventory], a.io);
    expect(a.stderr()).not.toMatch(/\n\s+at /);
    expect(code).toBe(0);
    const doc = JSON.parse(a.stdout());
    expect(doc.devices.length).toBeGreaterThan(20);
    for (const d of doc.devices) expect(d.outcome).toBe('unchanged');
    expect(await main(['drift', ...target, '--inventory', inventory], fakeIo(env).io)).toBe(0);
  });
});
