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
    expect(doc.sessions.down).toEqual([]);
    expect(doc.sessions.established).toBeGreaterThan(20);
    expect(doc.kps.defaultRoute).toBe(false);
    expect(doc.kps.unexpected).toEqual([]);
    expect(doc.kps.missing).toEqual([]);
    expect(doc.flows.mismatches).toEqual([]);
    expect(doc.flows.allowedAndConnected).toBeGreaterThan(50);
    expect(doc.flows.crossZoneChecked).toBeGreaterThan(100);
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
