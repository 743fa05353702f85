import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { loadInventory } from '../../src/model/load';
import type { Inventory } from '../../src/model/inventory';
import { validateInventory } from '../../src/validation';
import { parseGemeentenCsv } from '../../src/model/gemeenten';
import { buildExampleInventory } from '../../src/generate/example';

const ROOT = path.resolve(__dirname, '../..');
const INVENTORY = path.join(ROOT, 'inventory');
const CSV = parseGemeentenCsv(fs.readFileSync(path.join(ROOT, 'data/gemeenten.csv'), 'utf8'));

function listFiles(dir: string, rel = ''): string[] {
  // Hidden files are not part of the inventory (the loader skips them; `generate`'s manifest is one).
  return fs.readdirSync(path.join(dir, rel), { withFileTypes: true }).filter((e) => !e.name.startsWith('.')).flatMap((e) => {
    const r = rel ? `${rel}/${e.name}` : e.name;
    return e.isDirectory() ? listFiles(dir, r) : [r];
  });
}

/** Every string value in a parsed YAML document, with its key path (keys themselves are never addresses). */
function strings(v: unknown, p: string[] = []): Array<{ path: string[]; value: string }> {
  if (typeof v === 'string') return [{ path: p, value: v }];
  if (Array.isArray(v)) return v.flatMap((x, i) => strings(x, [...p, String(i)]));
  if (v && typeof v === 'object') return Object.entries(v).flatMap(([k, x]) => strings(x, [...p, k]));
  return [];
}

// Independent of src/net on purpose: the test should not share a bug with the code it checks.
function v4(s: string): { lo: number; hi: number } | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\/(\d{1,2}))?$/.exec(s);
  if (!m) return null;
  const a = ((+m[1] << 24) >>> 0) + (+m[2] << 16) + (+m[3] << 8) + +m[4];
  const len = m[5] === undefined ? 32 : +m[5];
  const size = 2 ** (32 - len);
  return { lo: a, hi: a + size - 1 };
}
function v6(s: string): { lo: bigint; hi: bigint } | null {
  const m = /^([0-9a-f:]+:[0-9a-f:]*)(?:\/(\d{1,3}))?$/i.exec(s);
  if (!m?.[1].includes(':')) return null;
  const [head, tail = ''] = m[1].split('::');
  const h = head ? head.split(':') : [];
  const t = m[1].includes('::') ? (tail ? tail.split(':') : []) : [];
  const groups = m[1].includes('::') ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h;
  if (groups.length !== 8) return null;
  const a = groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
  const len = m[2] === undefined ? 128 : +m[2];
  return { lo: a, hi: a + (1n << BigInt(128 - len)) - 1n };
}
const DOC_V4 = ['192.0.2.0/24', '198.51.100.0/24', '203.0.113.0/24', '198.18.0.0/15'].map((x) => v4(x)!);
const GGI_V6 = ['2a07:3500::/33', '2a07:3501::/33', '2a07:3502::/33', '2a07:3503::/33', '2001:db8::/32'].map((x) => v6(x)!);

describe('the example national inventory (inventory/)', () => {
  const files = listFiles(INVENTORY).filter((f) => /\.ya?ml$/.test(f));
  const docs = new Map(files.map((f) => [f, parse(fs.readFileSync(path.join(INVENTORY, f), 'utf8'))]));
  let inv: Inventory;
  beforeAll(() => {
    const r = loadInventory(INVENTORY);
    if (!r.inventory) throw new Error(`the example inventory does not load: ${JSON.stringify(r.findings.slice(0, 5))}`);
    inv = r.inventory;
  });

  it('loads with no findings at all, also through the lab profile', () => {
    const r = loadInventory(INVENTORY);
    expect(r.findings).toEqual([]);
    expect(r.inventory).not.toBeNull();
    const lab = loadInventory(INVENTORY, { profile: 'lab' });
    expect(lab.findings).toEqual([]);
    expect(lab.inventory!.ledger.entries.every((e) => e.prefix.startsWith('3fff:50'))).toBe(true);
  });

  it('validates without errors', () => {
    const r = validateInventory(INVENTORY, { now: new Date('2026-11-23T12:00:00Z') });
    expect(r.findings.filter((f) => f.severity === 'error')).toEqual([]);
    expect(r.ok).toBe(true);
  });

  it('has at least 30 real gemeenten, each with the code, name and province of data/gemeenten.csv', () => {
    const byCode = new Map(CSV.map((g) => [g.code, g]));
    const gemeenten = inv.organisations.filter((o) => o.kind === 'gemeente');
    expect(gemeenten.length).toBeGreaterThanOrEqual(30);
    for (const g of gemeenten) {
      const row = byCode.get(g.id);
      expect(row).toBeDefined();
      expect({ id: g.id, name: g.name, province: g.province }).toEqual({ id: row!.code, name: row!.name, province: row!.province });
    }
    const ids = new Set(gemeenten.map((g) => g.id));
    for (const must of ['GM0546', 'GM0363', 'GM0153', 'GM0865']) expect(ids.has(must)).toBe(true);
    // The BUCH gemeenten, looked up by name in the CSV, are served by one samenwerkingsverband.
    const buch = ['Bergen (NH.)', 'Uitgeest', 'Castricum', 'Heiloo'].map((n) => CSV.find((g) => g.name === n)!.code);
    const servers = new Set(buch.map((c) => inv.organisations.find((o) => o.id === c)?.servedBy));
    expect(servers.size).toBe(1);
    const sv = inv.organisations.find((o) => o.id === [...servers][0])!;
    expect(sv.kind).toBe('samenwerkingsverband');
    expect(sv.connectionPoint).toBeDefined();
  });

  it('has samenwerkingsverbanden serving several members, and three suppliers of which one has not signed', () => {
    const svs = inv.organisations.filter((o) => o.kind === 'samenwerkingsverband');
    const served = svs.filter((sv) => inv.organisations.filter((o) => o.servedBy === sv.id).length >= 2);
    expect(served.length).toBeGreaterThanOrEqual(2);
    for (const o of inv.organisations.filter((x) => x.servedBy)) expect(o.connectionPoint).toBeUndefined();
    const suppliers = inv.organisations.filter((o) => o.kind === 'leverancier');
    expect(suppliers).toHaveLength(3);
    expect(suppliers.filter((s) => s.ggiAfspraken?.signed && s.ggiAfspraken.date)).toHaveLength(2);
    const unsigned = suppliers.filter((s) => !s.ggiAfspraken?.signed);
    expect(unsigned).toHaveLength(1);
    expect(inv.services.filter((s) => s.provider === unsigned[0].id)).toEqual([]);
    for (const s of suppliers) expect(s.connectionPoint?.zones ?? ['markt']).toEqual(['markt']);
  });

  it('uses IPv4 only from the documentation ranges', () => {
    const bad: string[] = [];
    for (const [f, d] of docs) {
      for (const s of strings(d)) {
        const r = v4(s.value);
        if (r && !DOC_V4.some((d4) => r.lo >= d4.lo && r.hi <= d4.hi)) bad.push(`${f} ${s.path.join('.')}: ${s.value}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('uses IPv6 only from the GGI blocks or 2001:db8::/32 (the lab remap table aside)', () => {
    const bad: string[] = [];
    let seen = 0;
    for (const [f, d] of docs) {
      for (const s of strings(d)) {
        if (f === 'ggi.yaml' && s.path[0] === 'profiles') continue;
        const r = v6(s.value);
        if (!r) continue;
        seen++;
        if (!GGI_V6.some((b) => r.lo >= b.lo && r.hi <= b.hi)) bad.push(`${f} ${s.path.join('.')}: ${s.value}`);
      }
    }
    expect(seen).toBeGreaterThan(100);
    expect(bad).toEqual([]);
  });

  it('has a ledger that follows the layout: block + ((slot << 2) | code) << 82, first /48 of each internet /46 assigned', () => {
    const np = inv.settings.numberingPlan;
    const codes = new Map(np.categories.map((c) => [c.name, c.code]));
    const kindOf = new Map(inv.organisations.map((o) => [o.id, o.kind]));
    const slotOf = new Map(inv.ledger.slots.map((s) => [s.organisation, s]));
    // The /46s; a smaller allocation inside one (the DHCPv6 visitor /64) names its parent and lies inside it.
    const allocated = inv.ledger.entries.filter((e) => e.status === 'allocated' && !e.parent);
    expect(allocated.length).toBeGreaterThan(60);
    const inner = inv.ledger.entries.filter((e) => e.status === 'allocated' && e.parent);
    expect(inner.length).toBeGreaterThan(0);
    for (const e of inner) {
      const [p, q] = [v6(e.prefix)!, v6(e.parent!)!];
      expect(p.lo >= q.lo && p.hi <= q.hi).toBe(true);
    }
    for (const e of allocated) {
      const slot = slotOf.get(e.organisation)!;
      expect(slot.block).toBe(kindOf.get(e.organisation));
      const block = v6(np.blocks[slot.block as keyof typeof np.blocks])!;
      const lo = block.lo + (((BigInt(slot.slot) << 2n) | BigInt(codes.get(e.category)!)) << 82n);
      expect(v6(e.prefix)).toEqual({ lo, hi: lo + (1n << 82n) - 1n });
    }
    for (const e of allocated.filter((x) => x.category === 'internet')) {
      const first = inv.ledger.entries.find((x) => x.parent === e.prefix && x.status === 'assigned');
      expect(first).toBeDefined();
      expect(first!.internetRouted).toBe(true);
      expect(v6(first!.prefix)!.lo).toBe(v6(e.prefix)!.lo);
      expect(first!.prefix.endsWith('/48')).toBe(true);
    }
    // Slots are unique per block (provincies and waterschappen share one block).
    const seen = new Set<string>();
    for (const s of inv.ledger.slots) {
      const key = `${np.blocks[s.block as keyof typeof np.blocks]}#${s.slot}`;
      expect(seen.has(key)).toBe(false);
      seen.add(key);
    }
    expect(inv.ledger.entries.some((e) => e.source === 'logius')).toBe(true);
    expect(inv.ledger.entries.some((e) => e.source === 'ggi')).toBe(true);
  });

  it('puts every segment inside one of its organisation\'s ledger /46s, visitors in the internet-routed /48', () => {
    let visitors = 0;
    for (const o of inv.organisations) {
      const mine = inv.ledger.entries.filter((e) => e.organisation === o.id);
      for (const seg of o.segments) {
        if (!seg.ipv6) continue;
        const r = v6(seg.ipv6)!;
        const holder = mine.filter((e) => v6(e.prefix)!.lo <= r.lo && r.hi <= v6(e.prefix)!.hi);
        expect(holder.length).toBeGreaterThan(0);
        if (seg.purpose === 'govroam-visitor') {
          visitors++;
          expect(holder.some((e) => e.status === 'assigned' && e.internetRouted)).toBe(true);
        }
      }
    }
    expect(visitors).toBeGreaterThanOrEqual(3);
  });

  it('pins a well-formed host key on every device and gives each a unique management address', () => {
    const addrs = inv.devices.map((d) => d.management.address);
    expect(new Set(addrs).size).toBe(addrs.length);
    // DHCP appliances are reached through their HTTP API, not SSH: they have no host key.
    for (const d of inv.devices.filter((x) => x.role !== 'dhcp')) expect(d.management.hostKey).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    expect(inv.devices.filter((x) => x.role === 'dhcp').map((x) => [x.platform, x.management.hostKey])).toEqual([['kea', undefined]]);
    const ces = inv.devices.filter((d) => d.role === 'ce');
    // One CE per connection point, two for a CE pair.
    expect(ces.length).toBe(inv.organisations.filter((o) => o.connectionPoint).reduce((n, o) => n + (o.connectionPoint!.secondDevice ? 2 : 1), 0));
  });

  it('is exactly what src/generate/example.ts writes (regenerate instead of editing by hand)', () => {
    const built = buildExampleInventory(CSV);
    expect([...built.keys()].sort()).toEqual(files.slice().sort());
    for (const [rel, text] of built) expect(`${rel}\n${fs.readFileSync(path.join(INVENTORY, rel), 'utf8')}`).toBe(`${rel}\n${text}`);
  });
});
