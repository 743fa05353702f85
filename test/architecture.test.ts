import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkFile, codeOf, importsOf, MAY_IMPORT, type Violation } from './architecture/rules';

/**
 * docs/design.md's module boundaries, held by a test: which folder may import which, nothing imports src/cli, cdktf only
 * under src/constructs and stacks/, platform names only under src/devices and src/lab. The rules and their checker are
 * in test/architecture/rules.ts.
 */
const ROOT = path.resolve(__dirname, '..');

/**
 * Files outside src/devices and src/lab that name platforms by design, each with the reason. These stay.
 */
const SANCTIONED: ReadonlyArray<{ file: string; rule: Violation['rule']; why: string }> = [
  { file: 'src/zones/nftables.ts', rule: 'platform', why: 'the module table gives src/zones the nftables compilation of the policy' },
  { file: 'src/intent/deps.ts', rule: 'platform', why: 'the intent asks src/zones (which the module table gives the nftables compilation) for each device\'s packet filter as plain data' },
  { file: 'src/intent/types.ts', rule: 'platform', why: 'the intent carries src/zones\' plain-data device filter type' },
  { file: 'src/zones/trace.ts', rule: 'platform', why: 'policy trace names the nftables chain src/zones compiles for each hop, so a hop can be checked against that device\'s counters' },
  { file: 'src/zones/index.ts', rule: 'platform', why: 're-exports the nftables compiler of src/zones' },
  { file: 'src/govroam/render.ts', rule: 'platform', why: 'the module table gives src/govroam the radsecproxy / FreeRADIUS configuration' },
  { file: 'src/govroam/freeradius.ts', rule: 'platform', why: 'the module table gives src/govroam the radsecproxy / FreeRADIUS configuration (the home servers\' part)' },
  { file: 'src/govroam/checks.ts', rule: 'platform', why: 'govroam findings name the radsecproxy that a participant runs (DOMAIN.md)' },
  { file: 'src/model/schema/device.ts', rule: 'platform', why: "the inventory names a device's platform: it is data there" },
  { file: 'src/generate/world.ts', rule: 'platform', why: 'writes inventories, which name platforms as data' },
  { file: 'src/generate/example.ts', rule: 'platform', why: 'writes inventories, which name platforms as data' },
  { file: 'src/cli/commands/govroam.ts', rule: 'platform', why: 'help texts name the tools an operator checks rendered files with' },
  { file: 'src/cli/commands/lab.ts', rule: 'platform', why: 'help texts say what the lab runs' },
  { file: 'src/cli/commands/reconcile.ts', rule: 'platform', why: "help texts explain a timeout by FRR's retry interval" },
];

/**
 * KNOWN VIOLATIONS, to be removed: the driver work (src/devices/<platform>/ behind src/devices/contract.ts, a
 * platform-neutral intent and reconciler) takes these away. When it has landed, empty this list; an entry that no
 * longer matches a violation fails the test below, so the list cannot go stale.
 */
const KNOWN_VIOLATIONS: ReadonlyArray<{ file: string; rule: Violation['rule'] }> = [
];

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
    const rel = `${dir}/${e.name}`;
    if (e.isDirectory()) out.push(...sources(rel));
    else if (e.name.endsWith('.ts')) out.push(rel);
  }
  return out;
}

const listed = (v: Violation) => [...SANCTIONED, ...KNOWN_VIOLATIONS].some((a) => a.file === v.file && a.rule === v.rule);

describe('the module boundaries of docs/design.md', () => {
  const files = ['src', 'stacks', 'bench'].flatMap(sources).sort();
  const all = files.flatMap((f) => checkFile(f, fs.readFileSync(path.join(ROOT, f), 'utf8')));

  test('hold for every file of src/, stacks/ and bench/', () => {
    expect(files.length).toBeGreaterThan(100);
    expect(all.filter((v) => !listed(v)).map((v) => `${v.file}: ${v.rule}: ${v.detail}`)).toEqual([]);
  });

  test('every allow-list entry still matches a violation (empty KNOWN_VIOLATIONS once the drivers have landed)', () => {
    const stale = [...SANCTIONED, ...KNOWN_VIOLATIONS].filter((a) => !all.some((v) => v.file === a.file && v.rule === a.rule));
    expect(stale).toEqual([]);
  });
});

/** The "may import" column of docs/design.md's module table, as module names ('*' for everything). */
function designTable(): Map<string, string[]> {
  const text = fs.readFileSync(path.join(ROOT, 'docs', 'design.md'), 'utf8');
  const section = text.slice(text.indexOf('## Module boundaries'), text.indexOf('\n## ', text.indexOf('## Module boundaries') + 3));
  const domain = ['ipv6', 'zones', 'diginetwerk', 'govroam', 'veilig'];
  const names = ['net', 'util', 'model', 'secrets', 'ipv6', 'zones', 'diginetwerk', 'govroam', 'veilig', 'validation', 'graph', 'generate', 'intent', 'devices', 'reconciler', 'constructs', 'lab'];
  const out = new Map<string, string[]>();
  for (const line of section.split('\n').filter((l) => l.startsWith('| `'))) {
    const [, folder, , mayImport] = line.split('|').map((c) => c.trim());
    const mod = /^`([^`]+?)\/?`/.exec(folder)![1].replace(/^src\/(.*)$/, 'src/$1');
    const words = new Set(names.filter((n) => new RegExp(`\\b${n}\\b`).test(mayImport)));
    if (/the domain modules/.test(mayImport)) for (const d of domain) words.add(d);
    if (/the domain renderers/.test(mayImport)) for (const d of ['ipv6', 'zones', 'diginetwerk', 'govroam']) words.add(d);
    out.set(mod, /\beverything\b/.test(mayImport) ? ['*'] : [...words].filter((w) => w !== 'net' && w !== 'util').map((w) => `src/${w}`).sort());
  }
  return out;
}

test("the checker's rules are docs/design.md's module table", () => {
  const table = designTable();
  const rules = new Map(Object.entries(MAY_IMPORT).filter(([m]) => m !== 'bench').map(([m, xs]) => [m, [...xs].sort()]));
  expect(Object.fromEntries([...table].sort())).toEqual(Object.fromEntries([...rules].sort()));
});

describe('the rule checker', () => {
  test('fails on a forbidden import between modules', () => {
    expect(checkFile('src/zones/fixture.ts', "import { apply } from '../reconciler/apply';\n")).toEqual([
      { file: 'src/zones/fixture.ts', rule: 'import', detail: 'src/zones may not import src/reconciler (src/reconciler/apply)' },
    ]);
    expect(checkFile('src/govroam/fixture.ts', "const z = require('../zones') as typeof import('../zones');\n").map((v) => v.rule)).toEqual(['import', 'import']);
  });

  test('accepts what the table allows, the foundations (src/net, src/util) and imports inside a module', () => {
    const text = "import { a } from '../model/inventory';\nimport { b } from '../net';\nimport { c } from '../util/atomic';\nimport { d } from './engine';\n";
    expect(checkFile('src/zones/fixture.ts', text)).toEqual([]);
  });

  test('fails on any import of src/cli, from anywhere', () => {
    expect(checkFile('src/model/fixture.ts', "import { main } from '../cli/main';")).toEqual([{ file: 'src/model/fixture.ts', rule: 'cli', detail: 'imports src/cli/main' }]);
    expect(checkFile('stacks/fixture.ts', "import { main } from '../src/cli/main';").map((v) => v.rule)).toEqual(['cli']);
  });

  test('fails on cdktf outside src/constructs and stacks/', () => {
    expect(checkFile('src/ipv6/fixture.ts', "import { App } from 'cdktf';\nimport { Vpc } from '@cdktf/provider-aws/lib/vpc';").map((v) => v.rule)).toEqual(['cdktf', 'cdktf']);
    expect(checkFile('src/constructs/fixture.ts', "import { App } from 'cdktf';")).toEqual([]);
    expect(checkFile('stacks/fixture.ts', "import { Construct } from 'constructs';")).toEqual([]);
  });

  test('fails on a platform name in code outside src/devices and src/lab, not in a comment', () => {
    expect(checkFile('src/reconciler/fixture.ts', "const argv = ['vtysh', '-c', 'show running-config'];")).toEqual([{ file: 'src/reconciler/fixture.ts', rule: 'platform', detail: 'line 1 names vtysh' }]);
    expect(checkFile('src/reconciler/fixture.ts', '// nft -c -f checks the candidate (nft(8))\nconst x = 1;')).toEqual([]);
    expect(checkFile('src/devices/linux-frr/fixture.ts', "const argv = ['nft', '-f', file];")).toEqual([]);
    expect(checkFile('src/lab/fixture.ts', "const daemon = '/usr/lib/frr/zebra';")).toEqual([]);
  });

  test('only the driver contract of src/devices is open to the reconciler', () => {
    expect(checkFile('src/reconciler/fixture.ts', "import type { Driver } from '../devices/contract';")).toEqual([]);
    expect(checkFile('src/reconciler/fixture.ts', "import { render } from '../devices/linux-frr/render';").map((v) => v.rule)).toEqual(['import', 'platform']);
  });

  test('reads imports and strips comments as TypeScript does', () => {
    expect(importsOf("import a from 'x';\nexport { b } from \"./y\";\nconst c = require('z');\nimport './side';\nconst d = await import('w');")).toEqual(['x', './y', 'z', './side', 'w']);
    expect(codeOf("a /* nft */ b // frr\nc 'kea // not a comment'")).toBe("a  b \nc 'kea // not a comment'");
  });
});
