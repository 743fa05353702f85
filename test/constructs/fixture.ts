import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadInventory } from '../../src/model/load';
import type { Inventory } from '../../src/model/inventory';

/** A small inventory for the cloud-side tests, written as YAML into a temp folder and loaded like any other. */

export const BLOCKS = {
  gemeente: '2001:db8',
  provincie: '3fff:100',
  waterschap: '3fff:200',
  samenwerkingsverband: '3fff:300',
  leverancier: '3fff:400',
} as const;
export type BlockKey = keyof typeof BLOCKS;

/** The /46 of (slot, category code) in a /32 block: organisation bits (12) then category bits (2). */
export function slotPrefix(block: BlockKey, slot: number, category: number): string {
  const hextet = ((slot << 2) | category) << 2;
  return `${BLOCKS[block]}:${hextet.toString(16)}::/46`;
}

export interface OrgSpec {
  id: string;
  kind: BlockKey | 'gemeente';
  name: string;
  slot?: number;
  servedBy?: string;
  zones?: Array<'overheid' | 'markt'>;
  publicAddress?: string | null;
  asn?: number;
  signed?: boolean;
  /** Category codes to allocate /46s for. */
  categories?: number[];
  /** Onboarding time of its ledger entries. */
  at?: string;
}

export const BASE_ORGS: OrgSpec[] = [
  { id: 'GM0546', kind: 'gemeente', name: 'Leiden', slot: 64, zones: ['overheid', 'markt'], publicAddress: '203.0.113.10', asn: 65001, categories: [0, 1], at: '2026-01-01T10:00:00Z' },
  { id: 'SV0001', kind: 'samenwerkingsverband', name: 'Servicecentrum Holland Rijnland', slot: 1, zones: ['overheid'], publicAddress: '203.0.113.20', asn: 65002, categories: [0], at: '2026-01-02T10:00:00Z' },
  { id: 'GM0626', kind: 'gemeente', name: 'Voorschoten', slot: 65, servedBy: 'SV0001', categories: [0], at: '2026-01-03T10:00:00Z' },
  { id: 'GM0599', kind: 'gemeente', name: 'Rotterdam', slot: 66, zones: ['overheid'], publicAddress: null, asn: 65003, categories: [0], at: '2026-01-04T10:00:00Z' },
  { id: 'LV0001', kind: 'leverancier', name: 'Voorbeeld SaaS BV', slot: 1, zones: ['markt'], publicAddress: '198.51.100.7', asn: 65010, signed: true, categories: [1], at: '2026-01-05T10:00:00Z' },
];

export function settingsYaml(extraCloud = ''): string {
  return `network:
  backboneAsn: 64600
zones:
  overheid:
    ipv6Categories: [diginetwerk]
  markt:
    ipv6Categories: [markt]
numberingPlan:
  blocks:
${Object.entries(BLOCKS).map(([k, v]) => `    ${k}: "${v}::/32"`).join('\n')}
  layout:
    organisationBits: 12
    categoryBits: 2
  categories:
    - { name: diginetwerk, code: 0 }
    - { name: markt, code: 1 }
  ripe: { adminC: GGI1-RIPE, techC: GGI1-RIPE, mntBy: GGI-MNT }
diginetwerk:
  koppelnetAsn: 64601
  kpsAsn: 64602
transfer:
  ipv4: 198.18.0.0/16
  ipv6: "3fff:fff::/48"
cloud:
  region: eu-central-1
  hubAsn: 64512
${extraCloud}`;
}

let mgmt = 0;

export function orgYaml(o: OrgSpec): string {
  const lines = [`id: ${o.id}`, `kind: ${o.kind}`, `name: ${JSON.stringify(o.name)}`];
  if (o.servedBy) lines.push(`servedBy: ${o.servedBy}`);
  if (o.zones) {
    lines.push('connectionPoint:', `  site: ${JSON.stringify(`${o.name} hoofdlocatie`)}`, `  device: ce-${o.id.toLowerCase()}`, `  zones: [${o.zones.join(', ')}]`, `  asn: ${o.asn ?? 65000}`);
    if (o.publicAddress) lines.push(`  publicAddress: ${o.publicAddress}`);
    // The CE the connection point names, so the inventory passes the reference checks.
    mgmt += 1;
    lines.push('devices:', `  - id: ce-${o.id.toLowerCase()}`, '    role: ce', `    asn: ${o.asn ?? 65000}`, `    management: { address: 192.0.2.${mgmt}, hostKey: "SHA256:${'A'.repeat(42)}${String.fromCharCode(65 + (mgmt % 26))}" }`);
  }
  if (o.signed !== undefined) lines.push(`ggiAfspraken: { signed: ${o.signed}${o.signed ? ', date: "2025-06-01"' : ''} }`);
  return `${lines.join('\n')}\n`;
}

const CATEGORY_NAMES = ['diginetwerk', 'markt'];

export function ledgerYaml(orgs: OrgSpec[], extra: string[] = []): string {
  const slots: string[] = [];
  const entries: string[] = [];
  for (const o of orgs) {
    if (o.slot === undefined) continue;
    slots.push(`  - { organisation: ${o.id}, block: ${o.kind}, slot: ${o.slot} }`);
    for (const c of o.categories ?? []) {
      entries.push(`  - { prefix: "${slotPrefix(o.kind as BlockKey, o.slot, c)}", organisation: ${o.id}, category: ${CATEGORY_NAMES[c]}, status: allocated, by: test, at: "${o.at ?? '2026-01-01T00:00:00Z'}" }`);
    }
  }
  return `version: 1\nslots:\n${slots.join('\n') || '  []'}\nentries:\n${[...entries, ...extra].join('\n')}\n`;
}

/** Writes an inventory folder; returns its path. */
export function writeInventory(dir: string, orgs: OrgSpec[], opts: { extraLedger?: string[]; extraCloud?: string } = {}): string {
  fs.mkdirSync(path.join(dir, 'organisations'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'ipv6'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'ggi.yaml'), settingsYaml(opts.extraCloud));
  for (const o of orgs) fs.writeFileSync(path.join(dir, 'organisations', `${o.id}.yaml`), orgYaml(o));
  fs.writeFileSync(path.join(dir, 'ipv6', 'ledger.yaml'), ledgerYaml(orgs, opts.extraLedger));
  // The zone borders the connection points attach to: without them the devices cannot be built, and the inventory
  // does not validate.
  fs.mkdirSync(path.join(dir, 'devices'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'devices', 'borders.yaml'), BORDERS);
  return dir;
}

const BORDERS = `devices:
  - { id: border-overheid, role: border-overheid, routerId: 198.51.100.1, asn: 64500, management: { address: 198.51.100.1, hostKey: "SHA256:${'B'.repeat(43)}" } }
  - { id: border-markt, role: border-markt, routerId: 198.51.100.2, asn: 64500, management: { address: 198.51.100.2, hostKey: "SHA256:${'C'.repeat(43)}" } }
`;

export function tempDir(tag: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `ggi-cdk-${tag}-`));
}

/** A maker of temporary folders for one test file; call it at the file's top level: they are removed after its tests. */
export function tempDirs(): (tag: string) => string {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });
  return (tag) => {
    const d = tempDir(tag);
    dirs.push(d);
    return d;
  };
}

export function load(dir: string): Inventory {
  const r = loadInventory(dir);
  const errors = r.findings.filter((f) => f.severity === 'error');
  if (!r.inventory || errors.length) throw new Error(`fixture does not load: ${errors.map((f) => `${f.file}:${f.line} ${f.code} ${f.message}`).join('; ')}`);
  return r.inventory;
}

/** Every file under `dir`, relative path -> bytes. */
/** Asserts that two file trees (as readTree gives them) hold the same files with the same bytes, naming a file that differs. */
export function expectSameTree(actual: Map<string, Buffer>, expected: Map<string, Buffer>): void {
  expect([...actual.keys()]).toEqual([...expected.keys()]);
  for (const [k, v] of expected) expect([k, actual.get(k)!.equals(v)]).toEqual([k, true]);
}

export function readTree(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(path.relative(dir, p).split(path.sep).join('/'), fs.readFileSync(p));
    }
  };
  walk(dir);
  return out;
}

export interface TfJson {
  resource?: Record<string, Record<string, Record<string, unknown>>>;
  data?: Record<string, Record<string, Record<string, unknown>>>;
  terraform?: { backend?: Record<string, Record<string, unknown>> };
  [k: string]: unknown;
}

/** stack name -> its synthesized Terraform JSON. */
export function readStacks(outDir: string): Map<string, TfJson> {
  const out = new Map<string, TfJson>();
  const stacksDir = path.join(outDir, 'stacks');
  for (const name of fs.readdirSync(stacksDir).sort()) {
    out.set(name, JSON.parse(fs.readFileSync(path.join(stacksDir, name, 'cdk.tf.json'), 'utf8')) as TfJson);
  }
  return out;
}

/** The resources of one type in a stack: logical id -> attributes. */
export function resources(tf: TfJson, type: string): Array<[string, Record<string, unknown>]> {
  return Object.entries(tf.resource?.[type] ?? {});
}
