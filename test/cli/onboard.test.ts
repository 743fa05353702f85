import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../../src/cli/main';
import { fakeIo } from '../helpers/tmp-inventory';

/** `ggi onboard` on a copy of the example inventory: scaffold, allocate, validate clean, and a re-run changes nothing. */
describe('ggi onboard', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ggi-onboard-'));
    fs.cpSync(path.resolve(__dirname, '../../inventory'), dir, { recursive: true });
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const env = { GGI_OPERATOR: 'onboard-test' };

  it('onboards a gemeente with its own connection point and validates clean', async () => {
    const f = fakeIo(env);
    const code = await main(['onboard', 'GM0301', '--name', 'Zutphen', '--site', 'Stadhuis Zutphen', '--host-key', `SHA256:${'B'.repeat(43)}`, '--inventory', dir, '--format', 'json'], f.io);
    expect(f.stderr()).toBe('');
    expect(code).toBe(0);
    const out = JSON.parse(f.stdout());
    expect(out.created).toBe(true);
    expect(out.prefixes.map((p: { category: string }) => p.category).sort()).toEqual(['besloten', 'diginetwerk']);
    for (const p of out.prefixes) expect(p.prefix).toMatch(/^2a07:3500:[0-7]?[0-9a-f]{0,3}[048c]::\/46$/);
    const v = fakeIo(env);
    expect(await main(['validate', '--inventory', dir, '--format', 'json'], v.io)).toBe(0);
    expect(JSON.parse(v.stdout()).summary.organisations).toBeGreaterThan(30);
  });

  it('changes nothing when run again', async () => {
    const files = ['ipv6/ledger.yaml', 'organisations/gm0301.yaml'].map((f) => path.join(dir, f));
    const before = files.map((f) => fs.readFileSync(f, 'utf8'));
    const f = fakeIo(env);
    expect(await main(['onboard', 'GM0301', '--name', 'Zutphen', '--inventory', dir], f.io)).toBe(0);
    expect(f.stdout()).toContain('kept');
    expect(files.map((x) => fs.readFileSync(x, 'utf8'))).toEqual(before);
  });

  it('refuses a re-run whose flags contradict the file, before allocating anything', async () => {
    const files = ['ipv6/ledger.yaml', 'organisations/gm0301.yaml'].map((f) => path.join(dir, f));
    const before = files.map((f) => fs.readFileSync(f, 'utf8'));
    const sv = fs.readdirSync(path.join(dir, 'organisations')).find((f) => f.startsWith('sv'))!.replace('.yaml', '').toUpperCase();
    const cases: Array<[string[], string]> = [
      [['--served-by', sv], `--served-by ${sv}, but it has its own connection point`],
      [['--name', 'Deventer'], "--name 'Deventer', but it is named 'Zutphen'"],
      [['--zones', 'overheid'], '--zones overheid, but its connection point joins markt,overheid'],
      [['--site', 'Elders'], "--site 'Elders', but its connection point is at 'Stadhuis Zutphen'"],
      [['--host-key', `SHA256:${'C'.repeat(43)}`], `but ce-gm0301 pins SHA256:${'B'.repeat(43)}`],
    ];
    for (const [flags, why] of cases) {
      const f = fakeIo(env);
      expect(await main(['onboard', 'GM0301', ...flags, '--inventory', dir], f.io)).toBe(1);
      expect(f.stderr()).toContain(why);
      expect(f.stderr()).toContain('Nothing was changed');
      expect(f.stdout()).toBe('');
    }
    expect(files.map((x) => fs.readFileSync(x, 'utf8'))).toEqual(before);
  });

  it('a re-run names the CE of the file in its next steps', async () => {
    const f = fakeIo(env);
    expect(await main(['onboard', 'GM0546', '--inventory', dir, '--format', 'json'], f.io)).toBe(0);
    const out = JSON.parse(f.stdout());
    expect(out.created).toBe(false);
    expect(out.nextSteps).toEqual(['ggi validate', 'ggi plan --device ce-gm0546', 'ggi apply --device ce-gm0546']);
    const served = fakeIo(env);
    expect(await main(['onboard', 'GM0450', '--inventory', dir, '--format', 'json'], served.io)).toBe(0);
    const member = fs.readFileSync(path.join(dir, 'organisations/gm0450.yaml'), 'utf8');
    const svId = /servedBy: (\S+)/.exec(member)![1];
    const svDevice = /device: (\S+)/.exec(fs.readFileSync(path.join(dir, `organisations/${svId.toLowerCase()}.yaml`), 'utf8'))![1];
    expect(JSON.parse(served.stdout()).nextSteps.slice(1)).toEqual([`ggi plan --device ${svDevice}`, `ggi apply --device ${svDevice}`]);
  });

  it('refuses connection-point flags for a member of a samenwerkingsverband, first run or re-run alike', async () => {
    const sv = fs.readdirSync(path.join(dir, 'organisations')).find((f) => f.startsWith('sv'))!.replace('.yaml', '').toUpperCase();
    for (const extra of [['--site', 'Stadhuis'], ['--zones', 'overheid'], ['--host-key', `SHA256:${'D'.repeat(43)}`]]) {
      const f = fakeIo(env);
      expect(await main(['onboard', 'GM0312', '--name', 'Wijk bij Duurstede', '--served-by', sv, ...extra, '--inventory', dir], f.io)).toBe(2);
      expect(f.stderr()).toContain('a member served by a samenwerkingsverband has none');
    }
    expect(fs.existsSync(path.join(dir, 'organisations/gm0312.yaml'))).toBe(false);
  });

  it('allocates nothing for an organisation that reaches no zone, and says why', async () => {
    const bare = fs
      .readdirSync(path.join(dir, 'organisations'))
      .map((f) => fs.readFileSync(path.join(dir, 'organisations', f), 'utf8'))
      .find((t) => !/connectionPoint:|servedBy:/.test(t))!;
    const id = /^id: (\S+)/m.exec(bare)![1];
    const ledger = fs.readFileSync(path.join(dir, 'ipv6/ledger.yaml'), 'utf8');
    const f = fakeIo(env);
    expect(await main(['onboard', id, '--inventory', dir, '--format', 'json'], f.io)).toBe(0);
    const out = JSON.parse(f.stdout());
    expect(out).toMatchObject({ created: false, prefixes: [], nextSteps: ['ggi validate'] });
    expect(fs.readFileSync(path.join(dir, 'ipv6/ledger.yaml'), 'utf8')).toBe(ledger);
    const text = fakeIo(env);
    expect(await main(['onboard', id, '--inventory', dir], text.io)).toBe(0);
    expect(text.stdout()).toContain('reaches no zone: nothing to allocate or apply');
  });

  it('onboards a member of a samenwerkingsverband without a connection point of its own', async () => {
    const sv = fs.readdirSync(path.join(dir, 'organisations')).find((f) => f.startsWith('sv'))!.replace('.yaml', '').toUpperCase();
    const f = fakeIo(env);
    expect(await main(['onboard', 'GM0308', '--name', 'Baarn', '--served-by', sv, '--inventory', dir], f.io)).toBe(0);
    const text = fs.readFileSync(path.join(dir, 'organisations/gm0308.yaml'), 'utf8');
    expect(text).toContain(`servedBy: ${sv}`);
    expect(text).not.toContain('connectionPoint');
    expect(await main(['validate', '--inventory', dir], fakeIo(env).io)).toBe(0);
  });

  it('refuses an invented gemeentecode and bad arguments', async () => {
    const f = fakeIo(env);
    expect(await main(['onboard', 'GM9999', '--name', 'Nergenshuizen', '--inventory', dir], f.io)).toBe(1);
    expect(f.stderr()).toContain('CBS gemeentecode');
    expect(await main(['onboard', 'XX01', '--name', 'x', '--inventory', dir], fakeIo(env).io)).toBe(2);
    expect(await main(['onboard', 'GM0312', '--inventory', dir], fakeIo(env).io)).toBe(2);
    expect(fs.existsSync(path.join(dir, 'organisations/gm9999.yaml'))).toBe(false);
  });
});
