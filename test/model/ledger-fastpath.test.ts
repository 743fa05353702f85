import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fastParseLedger } from '../../src/model/fastyaml';
import { checkFile, loadInventory } from '../../src/model/load';
import { fastLedger, ledgerSchema } from '../../src/model/schema';
import { checkIpv6 } from '../../src/ipv6/checks';
import { keptPrefix } from '../../src/net';
import type { Finding } from '../../src/model/finding';
import type { Inventory } from '../../src/model/inventory';

/**
 * The ledger's fast path (the subset reader, the schema's plain-entry check and the prefix parse it keeps on each
 * entry) against the general one (the YAML parser, the compiled schema, the checks parsing for themselves): on
 * odd-but-valid and broken ledger texts, the fast reader either declines or gives the very same ledger, findings and
 * check results.
 */

const EXAMPLE = path.resolve(__dirname, '../../inventory');
const LEDGER = fs.readFileSync(path.join(EXAMPLE, 'ipv6/ledger.yaml'), 'utf8');
const FIRST = '  - prefix: 2a07:3500::/46\n    organisation: GM0014\n';

/** Each case: an edit of the example ledger, and whether the fast reader is meant to answer for it. */
const CASES: Array<{ name: string; edit: (t: string) => string; fast: boolean }> = [
  { name: 'as generated', edit: (t) => t, fast: true },
  { name: 'quoted keys', edit: (t) => t.replace(FIRST, '  - "prefix": 2a07:3500::/46\n    \'organisation\': GM0014\n'), fast: false },
  { name: 'quoted values', edit: (t) => t.replace(FIRST, "  - prefix: '2a07:3500::/46'\n    organisation: \"GM0014\"\n"), fast: true },
  { name: 'comments after values and between keys', edit: (t) => t.replace(FIRST, '  - prefix: 2a07:3500::/46 # Groningen\n# between\n    organisation: GM0014   # owner\n'), fast: true },
  { name: 'an entry as a flow mapping', edit: (t) => t.replace('entries:\n', 'entries:\n  - { prefix: "2a07:3500:4::/64", organisation: GM0014, category: internet, status: allocated, parent: 2a07:3500::/46, by: x, at: 2026-01-01T00:00:00Z }\n'), fast: true },
  { name: 'anchors and aliases', edit: (t) => t.replace('    by: netwerkbeheer\n', '    by: &who netwerkbeheer\n').replace(/(by: &who netwerkbeheer[\s\S]*?)by: netwerkbeheer/, '$1by: *who'), fast: false },
  { name: 'keys in another order, source left to its default', edit: (t) => t.replace(/ {4}status: allocated\n {4}purpose: ([^\n]*)\n {4}source: ggi\n/g, '    purpose: $1\n    status: allocated\n'), fast: true },
  { name: 'deeper indentation', edit: (t) => t.replace(/^( {2,})(- )?/gm, (_m, sp: string, dash?: string) => (dash ? `${sp}  - ` : `${sp}  `)), fast: true },
  { name: 'a release recorded as a nested block mapping', edit: (t) => `${t}  - prefix: 2a07:3500:0:3::/64\n    organisation: GM0014\n    category: internet\n    status: quarantined\n    parent: 2a07:3500::/46\n    by: x\n    at: 2026-01-01T00:00:00Z\n    released:\n      at: 2026-02-01T00:00:00Z\n      by: y\n      reason: z\n      quarantineUntil: 2026-08-01\n`, fast: true },
  { name: 'a block scalar', edit: (t) => t.replace(/purpose: ([^\n]*)/, 'purpose: |\n      $1'), fast: false },
  { name: 'a tab', edit: (t) => t.replace('purpose: ', 'purpose:\t'), fast: false },
  { name: 'a non-breaking space in a value', edit: (t) => t.replace(/purpose: ([^\n]*)/, 'purpose: $1\u00a0'), fast: false },
  { name: 'a number where text belongs', edit: (t) => t.replace(/purpose: [^\n]*/, 'purpose: 12'), fast: true },
  { name: 'a missing key', edit: (t) => t.replace('    by: netwerkbeheer\n', ''), fast: true },
  { name: 'an unknown key', edit: (t) => t.replace('    by: netwerkbeheer\n', '    by: netwerkbeheer\n    colour: red\n'), fast: true },
  { name: 'a duplicate key', edit: (t) => t.replace('    by: netwerkbeheer\n', '    by: netwerkbeheer\n    by: x\n'), fast: false },
  { name: 'host bits set', edit: (t) => t.replace('prefix: 2a07:3500:154::/46', 'prefix: 2a07:3500:155::/46'), fast: true },
  { name: 'an empty value', edit: (t) => t.replace(/purpose: [^\n]*/, 'purpose:'), fast: false },
];

const FILE = 'inventory/ipv6/ledger.yaml';
const located = (fs: readonly Finding[]) => fs.map((f) => `${f.severity} ${f.code} ${f.line}:${f.column} ${f.message}`);

describe('the ledger fast path agrees with the general path', () => {
  it.each(CASES)('$name', ({ edit, fast }) => {
    const text = edit(LEDGER);
    const reader = fastParseLedger(text);
    expect(reader !== null).toBe(fast);
    const quick = checkFile(FILE, text, ledgerSchema, (t) => fastParseLedger(t)?.value ?? null, fastLedger);
    const general = checkFile(FILE, text, ledgerSchema);
    expect(JSON.stringify(quick.value)).toBe(JSON.stringify(general.value));
    expect(located(quick.findings)).toEqual(located(general.findings));
  });

  it('every case edits the ledger (a case that edits nothing tests nothing)', () => {
    for (const c of CASES.slice(1)) expect([c.name, c.edit(LEDGER) !== LEDGER]).toEqual([c.name, true]);
  });
});

describe('the IPv6 checks with and without the parse the schema kept on each entry', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });
  const load = (ledger: string): Inventory => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ggi-fastpath-'));
    dirs.push(dir);
    fs.cpSync(EXAMPLE, dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'ipv6/ledger.yaml'), ledger);
    const r = loadInventory(dir);
    if (!r.inventory) throw new Error(`does not load: ${located(r.findings).join('; ')}`);
    return r.inventory;
  };
  const conflicts =
    '  - prefix: 2a07:3500:0:2::/64\n    organisation: GM0034\n    category: internet\n    status: assigned\n    parent: 2a07:3500:98::/46\n    by: x\n    at: 2026-01-01T00:00:00Z\n' +
    '  - prefix: 2a07:3500:0:3::/64\n    organisation: GM0014\n    category: internet\n    status: quarantined\n    parent: 2a07:3500::/46\n    by: x\n    at: 2026-01-01T00:00:00Z\n    released: { at: 2026-02-01T00:00:00Z, by: y, reason: z, quarantineUntil: 2026-08-01 }\n' +
    '  - prefix: 2a07:3500:0:3::/64\n    organisation: GM0034\n    category: internet\n    status: allocated\n    by: x\n    at: 2026-03-01T00:00:00Z\n' +
    '  - prefix: 2a07:3500:4:10::/64\n    organisation: GM0014\n    category: diginetwerk\n    status: allocated\n    parent: 2a07:3500:8::/46\n    by: x\n    at: 2026-03-01T00:00:00Z\n';

  it.each([
    ['the example ledger', LEDGER],
    ['a ledger with overlaps, quarantine, foreign parents', LEDGER + conflicts],
  ])('%s', (_name, ledger) => {
    const inv = load(ledger);
    // Copies of the entries carry no kept parse: the checks parse every prefix themselves.
    const bare: Inventory = { ...inv, ledger: { ...inv.ledger, entries: inv.ledger.entries.map((e) => ({ ...e })) } };
    // Entries the schema judged itself (a release record) have none; the plain ones have.
    expect(inv.ledger.entries.filter((e) => keptPrefix(e, e.prefix) !== undefined).length).toBeGreaterThan(inv.ledger.entries.length - 3);
    expect(bare.ledger.entries.some((e) => keptPrefix(e, e.prefix) !== undefined)).toBe(false);
    const withKept = located(checkIpv6(inv));
    expect(withKept).toEqual(located(checkIpv6(bare)));
    if (ledger !== LEDGER) expect(withKept.filter((f) => f.startsWith('error')).length).toBeGreaterThan(3);
  });
});
