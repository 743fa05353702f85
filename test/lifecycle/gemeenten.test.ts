import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../../src/cli/main';
import { readGemeenteList, renderGemeentenCsv } from '../../src/lifecycle/gemeenten';
import { loadGemeenten } from '../../src/model/gemeenten';
import { fakeIo } from '../helpers/tmp-inventory';

/** `ggi gemeenten check|refresh`: the inventory against a CBS list, and a newer list into data/gemeenten.csv. */
const INVENTORY = path.resolve(__dirname, '../../inventory');
const CSV = path.resolve(__dirname, '../../data/gemeenten.csv');
let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ggi-gemeenten-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

async function ggi(args: string[], inventory = INVENTORY) {
  const f = fakeIo({});
  const code = await main([...args, '--inventory', inventory], f.io);
  return { code, out: f.stdout(), err: f.stderr() };
}

/** The list as the CBS download has it: `;`-separated, its own column names, no year. */
function cbsDownload(list = loadGemeenten()): string {
  return `Gemeentecode;GemeentecodeGM;Gemeentenaam;Provinciecode;ProvinciecodePV;Provincienaam\n${list.map((g) => `${Number(g.code.slice(2))};${g.code};${g.name};0;PV00;${g.province}`).join('\n')}\n`;
}

describe('reading a list', () => {
  it("reads ggi's own file and the CBS download to the same gemeenten", () => {
    const own = readGemeenteList(fs.readFileSync(CSV, 'utf8'));
    const cbs = readGemeenteList(cbsDownload(), 2026);
    expect(own.ok && cbs.ok).toBe(true);
    if (own.ok && cbs.ok) expect(cbs.gemeenten).toEqual(own.gemeenten);
    if (own.ok) expect(renderGemeentenCsv(own.gemeenten)).toBe(fs.readFileSync(CSV, 'utf8'));
  });

  it('refuses what is not a gemeente list, saying why', () => {
    expect(readGemeenteList('')).toEqual({ ok: false, problems: ['the file is empty'] });
    expect(readGemeenteList('a;b\n1;2\n')).toMatchObject({ ok: false, problems: [expect.stringContaining('unknown header')] });
    expect(readGemeenteList(cbsDownload())).toMatchObject({ ok: false, problems: [expect.stringContaining('--year')] });
    const short = fs.readFileSync(CSV, 'utf8').split('\n').slice(0, 20).join('\n');
    expect(readGemeenteList(short)).toMatchObject({ ok: false, problems: [expect.stringContaining('truncated')] });
    const dup = `${fs.readFileSync(CSV, 'utf8')}GM0014,Groningen,Groningen,2026\n`;
    expect(readGemeenteList(dup)).toMatchObject({ ok: false, problems: ['GM0014 is listed twice'] });
    const bad = fs.readFileSync(CSV, 'utf8').replace('GM0014', 'XX0014');
    expect(readGemeenteList(bad)).toMatchObject({ ok: false, problems: [expect.stringContaining('malformed')] });
  });
});

describe('ggi gemeenten check', () => {
  it('exit 0 when every gemeente of the inventory is on the list', async () => {
    const r = await ggi(['gemeenten', 'check']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^\d+ gemeenten in the inventory, 342 on the list \(2026\): all exist\n$/);
  });

  it('exit 1 with a located finding for a gemeente that no longer exists, a warning for another name', async () => {
    const list = loadGemeenten()
      .filter((g) => g.code !== 'GM0014')
      .map((g) => (g.code === 'GM0034' ? { ...g, name: 'Almere-Stad' } : g));
    const file = path.join(tmp, 'next.csv');
    fs.writeFileSync(file, cbsDownload(list));
    const r = await ggi(['gemeenten', 'check', '--list', file, '--year', '2027', '--format', 'json']);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.out);
    expect(doc.findings.map((f: { severity: string; code: string; file: string; line: number }) => [f.severity, f.code, path.basename(f.file), f.line])).toEqual([
      ['error', 'GEMEENTE_NOT_IN_LIST', 'gm0014.yaml', 1],
      ['warning', 'GEMEENTE_NAME_DIFFERS', 'gm0034.yaml', 3],
    ]);
  });
});

describe('ggi gemeenten refresh', () => {
  it('writes the newer list atomically, and a re-run changes nothing', async () => {
    const from = path.join(tmp, 'cbs.csv');
    const list = loadGemeenten().map((g) => ({ ...g, year: 2027 }));
    fs.writeFileSync(from, cbsDownload([...list, { code: 'GM9999', name: 'Nieuwegemeente', province: 'Utrecht', year: 2027 }]));
    const to = path.join(tmp, 'gemeenten.csv');
    fs.copyFileSync(CSV, to);
    const r = await ggi(['gemeenten', 'refresh', '--from', from, '--year', '2027', '--to', to]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('added    GM9999 Nieuwegemeente (Utrecht)\n');
    expect(r.out).toMatch(/wrote .*gemeenten\.csv: 343 gemeenten \(2027\)\n$/);
    expect(fs.readFileSync(to, 'utf8')).toContain('GM9999,Nieuwegemeente,Utrecht,2027\n');
    expect(fs.readdirSync(tmp).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    const again = await ggi(['gemeenten', 'refresh', '--from', from, '--year', '2027', '--to', to]);
    expect(again.out).toMatch(/^kept /);
  });

  it('refuses a list that drops a gemeente the inventory still has, and writes nothing', async () => {
    const from = path.join(tmp, 'dropped.csv');
    fs.writeFileSync(from, renderGemeentenCsv(loadGemeenten().filter((g) => g.code !== 'GM0014')));
    const to = path.join(tmp, 'kept.csv');
    fs.copyFileSync(CSV, to);
    const r = await ggi(['gemeenten', 'refresh', '--from', from, '--to', to]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('offboard it first');
    expect(r.err).toContain('GEMEENTE_NOT_IN_LIST GM0014');
    expect(fs.readFileSync(to, 'utf8')).toBe(fs.readFileSync(CSV, 'utf8'));
  });
});
