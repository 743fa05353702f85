import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadInventory } from '../../src/model/load';
import { synthesizeParallel } from '../../stacks/main';
import { cloudChanges } from '../../stacks/changes';
import { main } from '../../src/cli/main';
import { fakeIo } from '../helpers/tmp-inventory';

/** `ggi plan`'s cloud part: which stacks change against the last synth output. */
describe('cloudChanges', () => {
  let dir: string;
  let baseline: string;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ggi-cloudplan-'));
    fs.cpSync(path.resolve(__dirname, '../../inventory'), path.join(dir, 'inv'), { recursive: true });
    baseline = path.join(dir, 'cdktf.out');
    await synthesizeParallel(loadInventory(path.join(dir, 'inv')).inventory!, baseline);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('is null without a baseline', async () => {
    expect(await cloudChanges(loadInventory(path.join(dir, 'inv')).inventory!, path.join(dir, 'nothing'))).toBeNull();
  });

  it('reports nothing for an unchanged inventory', async () => {
    const c = (await cloudChanges(loadInventory(path.join(dir, 'inv')).inventory!, baseline))!;
    expect({ added: c.added, removed: c.removed, changed: c.changed }).toEqual({ added: [], removed: [], changed: [] });
    expect(c.unchanged.length).toBeGreaterThan(10);
  });

  it('names the stack that onboarding a gemeente adds', async () => {
    const io = fakeIo({ GGI_OPERATOR: 'test' });
    expect(await main(['onboard', 'GM0301', '--name', 'Zutphen', '--host-key', `SHA256:${'C'.repeat(43)}`, '--inventory', path.join(dir, 'inv')], io.io)).toBe(0);
    const c = (await cloudChanges(loadInventory(path.join(dir, 'inv')).inventory!, baseline))!;
    expect(c.added.some((s) => s.includes('GM0301') || s.includes('gm0301'))).toBe(true);
    expect(c.removed).toEqual([]);
    expect(c.changed.every((s) => s === 'policy' || /policy/.test(s))).toBe(true);
  });
});
