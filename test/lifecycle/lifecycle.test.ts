import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../../src/cli/main';
import { loadInventory } from '../../src/model/load';
import { fakeIo } from '../helpers/tmp-inventory';

/** `ggi move` and `ggi offboard` on copies of the example inventory. */
const env = { GGI_OPERATOR: 'lifecycle-test' };
const dirs: string[] = [];
function copy(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ggi-lifecycle-'));
  fs.cpSync(path.resolve(__dirname, '../../inventory'), dir, { recursive: true });
  dirs.push(dir, `${dir}-state`);
  return dir;
}
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(r);
      else out[r] = fs.readFileSync(path.join(dir, r), 'utf8');
    }
  };
  walk('');
  return out;
}

async function ggi(args: string[], dir: string): Promise<{ code: number; out: string; err: string }> {
  const f = fakeIo(env);
  // The journal of the lifecycle commands goes to a state folder beside the copy, not the repository's.
  const state = ['onboard', 'move', 'offboard'].includes(args[0]) ? ['--state', `${dir}-state`] : [];
  const code = await main([...args, ...state, '--inventory', dir], f.io);
  return { code, out: f.stdout(), err: f.stderr() };
}

async function validates(dir: string, target: string[] = ['--target', 'lab']): Promise<string[]> {
  const r = await ggi(['validate', ...target, '--format', 'json'], dir);
  return JSON.parse(r.out).findings.filter((f: { severity: string }) => f.severity === 'error').map((f: { code: string; message: string }) => `${f.code}: ${f.message}`);
}

describe('ggi move', () => {
  it('moves a gemeente behind a samenwerkingsverband: keeps its prefixes, removes its CE, shows the devices that change', async () => {
    const dir = copy();
    const ledgerBefore = fs.readFileSync(path.join(dir, 'ipv6/ledger.yaml'), 'utf8');
    const r = await ggi(['move', 'GM0014', '--served-by', 'SV0001'], dir);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain('  - ce-gm0014\n');
    expect(r.out).toContain('  ~ ce-sv0001\n');
    expect(r.out).toMatch(/flows \(policy diff before -> after\): \d+ opened, \d+ closed/);
    const org = fs.readFileSync(path.join(dir, 'organisations/gm0014.yaml'), 'utf8');
    expect(org).toContain('servedBy: SV0001');
    expect(org).not.toContain('connectionPoint');
    expect(fs.readFileSync(path.join(dir, 'devices/ce.yaml'), 'utf8')).not.toContain('ce-gm0014');
    // Its prefixes are its own: the ledger is untouched (both zones are reached through SV0001 as before).
    expect(fs.readFileSync(path.join(dir, 'ipv6/ledger.yaml'), 'utf8')).toBe(ledgerBefore);
    expect(await validates(dir, [])).toEqual([]);

    // Re-running changes nothing.
    const before = snapshot(dir);
    const again = await ggi(['move', 'GM0014', '--served-by', 'SV0001'], dir);
    expect(again.code).toBe(0);
    expect(again.out).toContain('already served by SV0001');
    expect(snapshot(dir)).toEqual(before);
  });

  it('moves a member to a connection point of its own, with a new CE, and back', async () => {
    const dir = copy();
    const original = snapshot(dir);
    const r = await ggi(['move', 'GM0373', '--own-connection-point', '--site', 'Raadhuis Bergen', '--zones', 'overheid'], dir);
    expect(r.code).toBe(0);
    expect(r.out).toContain('  + ce-gm0373\n');
    expect(r.out).toContain('pin the host key of ce-gm0373');
    const org = fs.readFileSync(path.join(dir, 'organisations/gm0373.yaml'), 'utf8');
    expect(org).toContain('# Bergen (NH.): served by SV0001');
    expect(org).toMatch(/connectionPoint:\n {2}site: Raadhuis Bergen\n {2}device: ce-gm0373\n {2}zones: \[overheid\]/);
    expect(org).not.toContain('servedBy');
    // A new CE has no pin yet: an error for production, not for the lab.
    expect(await validates(dir)).toEqual([]);
    expect((await validates(dir, [])).map((e) => e.split(':')[0])).toEqual(['DEVICE_HOST_KEY_MISSING']);
    const same = await ggi(['move', 'GM0373', '--own-connection-point'], dir);
    expect(same.out).toContain('already has its own connection point');

    const back = await ggi(['move', 'GM0373', '--served-by', 'SV0001'], dir);
    expect(back.code).toBe(0);
    expect(back.out).toContain('  - ce-gm0373\n');
    expect(await validates(dir, [])).toEqual([]);
    // Back where it was; the ledger never changed (its prefixes were its own all along).
    expect(snapshot(dir)['ipv6/ledger.yaml']).toBe(original['ipv6/ledger.yaml']);
  });

  it('refuses what is not a move, before writing anything', async () => {
    const dir = copy();
    const before = snapshot(dir);
    expect((await ggi(['move', 'GM0014'], dir)).code).toBe(2);
    expect((await ggi(['move', 'GM0014', '--served-by', 'SV0001', '--own-connection-point'], dir)).code).toBe(2);
    const notSv = await ggi(['move', 'GM0014', '--served-by', 'GM0034'], dir);
    expect(notSv.code).toBe(1);
    expect(notSv.err).toContain('no samenwerkingsverband with that id');
    const sv = await ggi(['move', 'SV0001', '--served-by', 'SV0002'], dir);
    expect(sv.err).toContain('is a samenwerkingsverband');
    expect(snapshot(dir)).toEqual(before);
  });
});

describe('ggi offboard', () => {
  it('quarantines its prefixes, removes its devices and govroam participation, keeps its file as the record', async () => {
    const dir = copy();
    const r = await ggi(['offboard', 'GM0014'], dir);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/quarantined 2a07:3500::\/46 \(internet\) until \d{4}-\d{2}-\d{2}/);
    expect(r.out).toContain('removed from the desired state: ce-gm0014, radius-gm0014');
    expect(r.out).toContain('  - org-GM0014\n');
    expect(r.out).toMatch(/flows \(policy diff before -> after\): 0 opened, [1-9]\d* closed/);
    const ledger = fs.readFileSync(path.join(dir, 'ipv6/ledger.yaml'), 'utf8');
    // Never deleted: every entry of GM0014 is still there, quarantined with the reason.
    const entries = ledger.split('\n  - ').filter((e) => e.startsWith('prefix:') && e.includes('organisation: GM0014'));
    expect(entries.length).toBeGreaterThan(3);
    for (const e of entries) expect(e).toContain('status: quarantined');
    expect(fs.readFileSync(path.join(dir, 'organisations/gm0014.yaml'), 'utf8')).toMatch(/offboarded:\n {2}at: .*\n {2}by: lifecycle-test\n {2}reason: offboarded\n/);
    expect(fs.readFileSync(path.join(dir, 'govroam.yaml'), 'utf8')).not.toContain('GM0014');
    expect(await validates(dir, [])).toEqual([]);
    const before = snapshot(dir);
    const again = await ggi(['offboard', 'GM0014'], dir);
    expect(again.out).toContain('nothing changed');
    expect(snapshot(dir)).toEqual(before);
  });

  it('reports a rule that still names it as a located finding to resolve', async () => {
    const dir = copy();
    const r = await ggi(['offboard', 'GM0865', '--merged-into', 'GM0855'], dir);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/to resolve \(1\)[^\n]*\n {2}\S*policy\/10-overheid\.yaml:4:29: error ORGANISATION_OFFBOARDED 'GM0865' was offboarded on \S+ \(merged into GM0855\)/);
    expect(r.out).toContain('segment kantoor of GM0865 -> GM0855 as gm0865-kantoor');
    expect(await validates(dir, [])).toEqual([expect.stringMatching(/^ORGANISATION_OFFBOARDED: 'GM0865'/)]);
    const successor = fs.readFileSync(path.join(dir, 'organisations/gm0855.yaml'), 'utf8');
    expect(successor).toContain('name: gm0865-kantoor');
  });

  it('--merged-into: its prefixes and segments go to the successor with the transfer on each entry; the CBS list without it is consistent', async () => {
    const dir = copy();
    const r = await ggi(['offboard', 'GM0865', '--merged-into', 'GM0855', '--reason', 'herindeling 2027'], dir);
    expect([r.code, r.err]).toEqual([0, '']);
    expect(r.out).toMatch(/transferred 2a07:3500:\S+\/46 \(diginetwerk\) to GM0855/);
    expect(r.out).toContain('segment kantoor of GM0865 -> GM0855 as gm0865-kantoor (keeps 2a07:3500:1e4:10::/64)');
    const inv = loadInventory(dir).inventory!;
    const came = inv.ledger.entries.filter((e) => e.transfers);
    // Every prefix it held in use, /46s and the /64s under them, now the successor's, with who, when and why.
    expect(came.length).toBeGreaterThanOrEqual(3);
    for (const e of came) {
      expect(e.organisation).toBe('GM0855');
      expect(e.status).not.toBe('quarantined');
      expect(e.transfers).toEqual([{ from: 'GM0865', at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), by: 'lifecycle-test', reason: 'herindeling 2027' }]);
    }
    expect(inv.ledger.entries.filter((e) => e.organisation === 'GM0865' && e.status !== 'quarantined')).toEqual([]);
    // The segments keep their addresses, now inside the successor's (transferred) prefixes.
    expect(inv.organisations.find((o) => o.id === 'GM0855')!.segments.find((g) => g.name === 'gm0865-kantoor')?.ipv6).toBe('2a07:3500:1e4:10::/64');
    // The rule that named it, resolved as the offboard asked; then the whole inventory validates: a /46 from another
    // slot and a second one per category are the merger's, not findings (warnings included).
    const rules = path.join(dir, 'policy/10-overheid.yaml');
    fs.writeFileSync(rules, fs.readFileSync(rules, 'utf8').replace('organisations: [GM0865]', 'organisations: [GM0855]'));
    const v = await ggi(['validate', '--format', 'json'], dir);
    expect(JSON.parse(v.out).findings.filter((f: { severity: string }) => f.severity === 'error')).toEqual([]);
    const codes = JSON.parse(v.out).findings.map((f: { code: string }) => f.code);
    expect(codes.filter((c: string) => c.startsWith('IPV6_'))).toEqual([]);
    // On 1 January GM0865 leaves the CBS list: check reports nothing for it (its file is history).
    const list = fs.readFileSync(path.resolve(__dirname, '../../data/gemeenten.csv'), 'utf8').split('\n').filter((l) => !l.startsWith('GM0865,')).join('\n');
    fs.writeFileSync(path.join(dir, 'cbs.csv'), list);
    const check = await ggi(['gemeenten', 'check', '--list', path.join(dir, 'cbs.csv'), '--format', 'json'], dir);
    expect(check.out).not.toContain('GM0865');
    expect(JSON.parse(check.out).ok).toBe(true);
    // Re-running it changes nothing.
    const again = await ggi(['offboard', 'GM0865', '--merged-into', 'GM0855'], dir);
    expect(again.out).toContain('nothing to change');
  });

  it('refuses a samenwerkingsverband that still serves members, and a merge into a different kind', async () => {
    const dir = copy();
    const before = snapshot(dir);
    const sv = await ggi(['offboard', 'SV0001'], dir);
    expect(sv.code).toBe(1);
    expect(sv.err).toMatch(/SV0001 serves GM\d{4}.*: move them first/);
    const kind = await ggi(['offboard', 'GM0014', '--merged-into', 'SV0001'], dir);
    expect(kind.err).toContain('a gemeente merges into a gemeente');
    expect(snapshot(dir)).toEqual(before);
  });
});

describe('the gate', () => {
  it('refuses to act on an inventory that does not validate, and writes nothing', async () => {
    const dir = copy();
    const f = path.join(dir, 'organisations/gm0034.yaml');
    fs.writeFileSync(f, fs.readFileSync(f, 'utf8').replace('servedBy', 'servedBy').replace('kind: gemeente', 'kind: gemeente\nservedBy: SV9999'));
    const before = snapshot(dir);
    for (const args of [['move', 'GM0014', '--served-by', 'SV0001'], ['offboard', 'GM0014'], ['gemeenten', 'check'], ['gemeenten', 'refresh', '--from', path.resolve(__dirname, '../../data/gemeenten.csv'), '--to', path.join(dir, 'out.csv')]]) {
      const r = await ggi(args, dir);
      expect([args.join(' '), r.code]).toEqual([args.join(' '), 1]);
      expect(r.err).toContain('does not validate');
      expect(r.err).toContain("'SV9999'");
    }
    expect(snapshot(dir)).toEqual(before);
  });
});
