import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { CommandContext } from '../../src/cli/context';
import { loadValidForCommand } from '../../src/cli/gate';
import { main } from '../../src/cli/main';
import { fakeIo } from '../helpers/tmp-inventory';

/** The lab pins its own devices' host keys: an onboarded CE without a pin blocks production, not the lab target. */
describe('host key pins under the lab target', () => {
  let dir: string;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ggi-pins-'));
    fs.cpSync(path.resolve(__dirname, '../../inventory'), dir, { recursive: true });
    const f = fakeIo({ GGI_OPERATOR: 'pins-test' });
    expect(await main(['onboard', 'GM0301', '--name', 'Zutphen', '--inventory', dir, '--state', path.join(dir, '.state')], f.io)).toBe(0);
    expect(f.stdout()).toContain('or first in the lab:\n  1. ggi validate --target lab');
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('is an error for production', async () => {
    const f = fakeIo({});
    expect(await main(['validate', '--inventory', dir, '--format', 'json'], f.io)).toBe(1);
    const errors = JSON.parse(f.stdout()).findings.filter((x: { severity: string }) => x.severity === 'error');
    expect(errors.map((x: { code: string; message: string }) => `${x.code} ${x.message.slice(0, 21)}`)).toEqual(["DEVICE_HOST_KEY_MISSING CE device 'ce-gm0301'"]);
  });

  it('is a warning under --target lab', async () => {
    const f = fakeIo({});
    expect(await main(['validate', '--target', 'lab', '--inventory', dir, '--format', 'json'], f.io)).toBe(0);
    const found = JSON.parse(f.stdout()).findings.filter((x: { code: string }) => x.code === 'DEVICE_HOST_KEY_MISSING');
    expect(found.some((x: { severity: string; message: string }) => x.severity === 'warning' && x.message.includes('ce-gm0301'))).toBe(true);
  });

  it('blocks plan on real devices, not in the lab, nor the writers', async () => {
    const plan = fakeIo({});
    expect(await main(['plan', '--inventory', dir, '--state', path.join(dir, '.state')], plan.io)).toBe(1);
    expect(plan.stderr()).toContain("DEVICE_HOST_KEY_MISSING CE device 'ce-gm0301'");
    // The gate of the lab target (and of the writers) lets the missing pin through; that of real devices does not.
    const ctx = (pins?: boolean) => () => loadValidForCommand({ global: { inventory: dir, profile: 'default' }, io: fakeIo({}).io, spec: { name: 'plan' } } as unknown as CommandContext, { pinsRequired: pins });
    expect(ctx(true)).toThrow('does not validate');
    expect(ctx(false)).not.toThrow();
    expect(ctx(undefined)).not.toThrow();
    // Another onboarding writes on (a writer connects to nothing).
    const next = fakeIo({ GGI_OPERATOR: 'pins-test' });
    expect(await main(['onboard', 'GM0302', '--name', 'Nunspeet', '--inventory', dir, '--state', path.join(dir, '.state')], next.io)).toBe(0);
  });
});
