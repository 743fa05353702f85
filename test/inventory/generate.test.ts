import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { loadInventory } from '../../src/model/load';
import { generateNationalInventory, mutatePolicy, writeInventoryFiles } from '../../src/generate/national';
import { parseGemeentenCsv, splitCsvLine } from '../../src/model/gemeenten';
import { allocationPrefix } from '../../src/generate/layout';
import { mulberry32 } from '../../src/generate/prng';
import { main } from '../../src/cli/main';
import { cleanup, fakeIo } from '../helpers/tmp-inventory';
import * as os from 'node:os';

const ROOT = path.resolve(__dirname, '../..');
const CSV = parseGemeentenCsv(fs.readFileSync(path.join(ROOT, 'data/gemeenten.csv'), 'utf8'));

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'ggi-gen-'));
}

describe('gemeenten.csv', () => {
  it('holds the 342 gemeenten of 2026 with unique codes, quoted names intact', () => {
    expect(CSV).toHaveLength(342);
    expect(new Set(CSV.map((g) => g.code)).size).toBe(342);
    expect(CSV.find((g) => g.code === 'GM0820')!.name).toBe('Nuenen, Gerwen en Nederwetten');
    expect(CSV.find((g) => g.code === 'GM0546')).toEqual({ code: 'GM0546', name: 'Leiden', province: 'Zuid-Holland', year: 2026 });
  });
  it('splits CSV lines with quotes and doubled quotes, and rejects malformed files', () => {
    expect(splitCsvLine('a,"b, c","d ""e"""')).toEqual(['a', 'b, c', 'd "e"']);
    expect(() => parseGemeentenCsv('code,name\nGM0001,x\n')).toThrow(/header/);
    expect(() => parseGemeentenCsv('code,name,province,year\nGM01,x,y,2026\n')).toThrow(/line 2/);
  });
});

describe('layout and PRNG', () => {
  const layout = { block: '2a07:3500::/33', allocationLength: 46, organisationBits: 11, categoryBits: 2, order: 'organisation-category' as const };
  it('computes the /46 of (slot, category) under both orders', () => {
    expect(allocationPrefix(layout, 0, 0)).toBe('2a07:3500::/46');
    expect(allocationPrefix(layout, 0, 1)).toBe('2a07:3500:4::/46');
    expect(allocationPrefix(layout, 21, 1)).toBe('2a07:3500:154::/46');
    expect(allocationPrefix(layout, 2047, 3)).toBe('2a07:3500:7ffc::/46');
    expect(allocationPrefix({ ...layout, order: 'category-organisation' }, 1, 1)).toBe('2a07:3500:2004::/46');
    expect(() => allocationPrefix(layout, 2048, 0)).toThrow(/slot/);
    expect(() => allocationPrefix(layout, 0, 4)).toThrow(/category/);
  });
  it('mulberry32 is deterministic per seed and spreads over [0, 1)', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(xs).toEqual(Array.from({ length: 1000 }, () => b()));
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    expect(xs.filter((x) => x < 0.5).length).toBeGreaterThan(400);
    expect(mulberry32(43)()).not.toBe(mulberry32(42)());
  });
});

describe('generateNationalInventory', () => {
  const full = generateNationalInventory({ seed: 7 });
  const orgDocs = [...full].filter(([k]) => k.startsWith('organisations/')).map(([, t]) => parse(t) as { id: string; kind: string; name: string; province?: string; servedBy?: string; connectionPoint?: unknown; ggiAfspraken?: { signed: boolean } });

  it('is deterministic: the same seed gives the identical map, another seed another one', () => {
    const again = generateNationalInventory({ seed: 7 });
    expect([...again.keys()]).toEqual([...full.keys()]);
    for (const [k, v] of full) expect(again.get(k)).toBe(v);
    const other = generateNationalInventory({ seed: 8 });
    expect([...other].some(([k, v]) => full.get(k) !== v)).toBe(true);
  });

  it('has all 342 real gemeenten, 40 samenwerkingsverbanden serving 2–6 each, 100 suppliers of which about 90 signed', () => {
    const gm = orgDocs.filter((o) => o.kind === 'gemeente');
    expect(gm.map((o) => `${o.id} ${o.name} ${o.province}`).sort()).toEqual(CSV.map((g) => `${g.code} ${g.name} ${g.province}`).sort());
    const svs = orgDocs.filter((o) => o.kind === 'samenwerkingsverband');
    expect(svs).toHaveLength(40);
    for (const sv of svs) {
      const members = gm.filter((g) => g.servedBy === sv.id);
      expect(members.length).toBeGreaterThanOrEqual(2);
      expect(members.length).toBeLessThanOrEqual(6);
      expect(sv.connectionPoint).toBeDefined();
    }
    for (const g of gm) expect(Boolean(g.servedBy) !== Boolean(g.connectionPoint)).toBe(true);
    const lv = orgDocs.filter((o) => o.kind === 'leverancier');
    expect(lv).toHaveLength(100);
    const signed = lv.filter((o) => o.ggiAfspraken?.signed).length;
    expect(signed).toBeGreaterThanOrEqual(80);
    expect(signed).toBeLessThan(100);
  });

  it('has 20,000 policy rules over about 20 files, with allows, denies, udp, icmpv6 and port ranges', () => {
    const policy = [...full].filter(([k]) => k.startsWith('policy/') && k !== 'policy/00-guardrails.yaml');
    expect(policy.length).toBeGreaterThanOrEqual(20);
    // Counting ids in the text is enough for the total; the mix is checked on a full parse of two files.
    const ids = policy.flatMap(([, t]) => [...t.matchAll(/^ {2}- id: (\S+)$/gm)].map((m) => m[1]));
    expect(ids).toHaveLength(20000);
    expect(new Set(ids).size).toBe(20000);
    const rules = policy.slice(0, 2).flatMap(([, t]) => ((parse(t) as { rules?: Array<{ id: string; action: string; proto: string; ports?: unknown[]; from: Record<string, unknown> }> }).rules ?? []));
    expect(rules).toHaveLength(2000);
    const count = (f: (r: (typeof rules)[number]) => boolean) => rules.filter(f).length;
    expect(count((r) => r.action === 'deny')).toBeGreaterThan(100);
    expect(count((r) => r.proto === 'udp')).toBeGreaterThan(100);
    expect(count((r) => r.proto === 'icmpv6')).toBeGreaterThan(20);
    expect(count((r) => (r.ports ?? []).some((p) => typeof p === 'string'))).toBeGreaterThan(10);
    expect(count((r) => 'prefixes' in r.from)).toBeGreaterThan(500);
    expect(count((r) => 'organisations' in r.from)).toBeGreaterThan(300);
    expect(generateNationalInventory({ seed: 7, rules: 50 }).get('policy/10-rules.yaml')).toBeDefined();
  });

  it('loads cleanly (all organisations, devices and services; a smaller policy keeps the test quick)', () => {
    const dir = tmpDir();
    try {
      writeInventoryFiles(dir, generateNationalInventory({ seed: 7, rules: 500 }));
      const r = loadInventory(dir);
      expect(r.findings).toEqual([]);
      const inv = r.inventory!;
      expect(inv.organisations).toHaveLength(482);
      expect(inv.rules).toHaveLength(500);
      expect(inv.devices.filter((d) => d.role === 'ce')).toHaveLength(inv.organisations.filter((o) => o.connectionPoint).length);
      expect(inv.ledger.entries.length).toBeGreaterThan(900);
    } finally {
      cleanup(dir);
    }
  });
});

describe('generateNationalInventory at other sizes', () => {
  it('works without samenwerkingsverbanden and suppliers, and refuses sizes the address pools cannot hold', () => {
    const dir = tmpDir();
    try {
      // A subset of the gemeenten keeps the load quick; the full set is loaded above.
      const files = generateNationalInventory({ seed: 2, rules: 200, samenwerkingsverbanden: 0, suppliers: 0, gemeenten: CSV.slice(0, 40) });
      writeInventoryFiles(dir, files);
      const r = loadInventory(dir);
      expect(r.findings).toEqual([]);
      expect(r.inventory!.organisations).toHaveLength(40);
      expect(r.inventory!.services.every((s) => s.provider === 'kps')).toBe(true);
    } finally {
      cleanup(dir);
    }
    expect(() => generateNationalInventory({ seed: 1, suppliers: 201 })).toThrow(/at most 200 suppliers/);
    expect(() => generateNationalInventory({ seed: 1, samenwerkingsverbanden: 172 })).toThrow(/not enough gemeenten/);
  });
});

describe('mutatePolicy', () => {
  const base = generateNationalInventory({ seed: 3, rules: 400, gemeenten: CSV.slice(0, 60), samenwerkingsverbanden: 6, suppliers: 10 });
  it('changes, adds or removes rules deterministically and leaves the input alone', () => {
    const snapshot = new Map(base);
    const a = mutatePolicy(base, 11, 25);
    const b = mutatePolicy(base, 11, 25);
    expect([...a]).toEqual([...b]);
    expect([...base]).toEqual([...snapshot]);
    const changed = [...a.keys()].filter((k) => a.get(k) !== base.get(k));
    expect(changed.length).toBeGreaterThan(0);
    expect(changed.every((k) => k.startsWith('policy/'))).toBe(true);
    const ids = (m: Map<string, string>) => [...m].filter(([k]) => k.startsWith('policy/')).flatMap(([, t]) => ((parse(t) as { rules?: Array<{ id: string; action: string; ports?: unknown }> }).rules ?? []).map((r) => JSON.stringify(r)));
    const before = new Set(ids(base));
    const after = new Set(ids(a));
    const diff = [...after].filter((x) => !before.has(x)).length + [...before].filter((x) => !after.has(x)).length;
    expect(diff).toBeGreaterThan(0);
    expect(mutatePolicy(base, 12, 25)).not.toEqual(a);
  });
  it('produces an inventory that still loads cleanly', () => {
    const dir = tmpDir();
    try {
      writeInventoryFiles(dir, mutatePolicy(base, 5, 40));
      const r = loadInventory(dir);
      expect(r.findings).toEqual([]);
    } finally {
      cleanup(dir);
    }
  });
});

describe('ggi generate (in-process CLI)', () => {
  const run = async (argv: string[]) => {
    const f = fakeIo();
    const code = await main(argv, f.io);
    return { code, ...f };
  };
  it('generate national --out writes a loadable inventory; bad flags are usage errors', async () => {
    const dir = tmpDir();
    try {
      const r = await run(['generate', 'national', '--out', dir, '--seed', '4', '--rules', '120']);
      expect(r.stderr()).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout()).toMatch(/wrote \d+ files/);
      const loaded = loadInventory(dir);
      expect(loaded.findings).toEqual([]);
      expect(loaded.inventory!.rules).toHaveLength(120);
      const bad = await run(['generate', 'national', '--out', dir, '--rules', 'many']);
      expect(bad.code).toBe(2);
      expect(bad.stderr()).toMatch(/--rules must be a whole number/);
      const noOut = await run(['generate', 'national']);
      expect(noOut.code).toBe(2);
      expect(noOut.stderr()).toMatch(/--out DIR is required/);
      const tooMany = await run(['generate', 'national', '--out', dir, '--samenwerkingsverbanden', '400']);
      expect(tooMany.code).toBe(2);
      expect(tooMany.stderr()).toMatch(/not enough gemeenten/);
      expect(tooMany.stderr()).not.toMatch(/\n\s+at /);
    } finally {
      cleanup(dir);
    }
  });
  it('generate example --out writes the example inventory', async () => {
    const dir = tmpDir();
    try {
      const r = await run(['generate', 'example', '--out', dir]);
      expect(r.code).toBe(0);
      expect(loadInventory(dir).findings).toEqual([]);
      expect(fs.readFileSync(path.join(dir, 'ggi.yaml'), 'utf8')).toBe(fs.readFileSync(path.join(ROOT, 'inventory/ggi.yaml'), 'utf8'));
    } finally {
      cleanup(dir);
    }
  });
});
