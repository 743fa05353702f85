import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../../src/cli/main';
import { displayPath } from '../../src/model/source';
import { fakeIo } from '../helpers/tmp-inventory';

/**
 * The broken-inventory corpus: each case copies the example inventory, applies ONE textual edit and runs
 * `ggi validate --format json` in-process. Every case must exit 1, print no stack trace, and report a finding with the
 * expected code at the expected file, line and column. The expected position is written as a marker: the place in
 * the edited file where the offending node starts (first occurrence of `at`, searched from `after` when given).
 */

const EXAMPLE = path.resolve(__dirname, '../../inventory');

interface Case {
  name: string;
  file: string;
  find: string | RegExp;
  replace: string;
  /** Replace every occurrence (a rename), still one edit. */
  all?: boolean;
  code: string;
  /** Where the finding is expected, when not in `file`. */
  inFile?: string;
  at: string;
  after?: string;
}

const CASES: Case[] = [
  // --- YAML ---------------------------------------------------------------------------------------------------
  { name: 'bad YAML syntax: unclosed flow sequence', file: 'organisations/gm0546.yaml', find: 'zones: [overheid, markt]', replace: 'zones: [overheid, markt', code: 'YAML_SYNTAX', at: 'asn: 4200000546' },
  { name: 'bad YAML syntax: unterminated quoted string', file: 'services/markt.yaml', find: 'description: "e-depot van Zaakwolk: HTTPS en SFTP-aanlevering"', replace: 'description: "e-depot van Zaakwolk: HTTPS en SFTP-aanlevering', code: 'YAML_SYNTAX', at: '"e-depot' },
  { name: 'tab indentation', file: 'ggi.yaml', find: '  name: GGI-Netwerk', replace: '\tname: GGI-Netwerk', code: 'YAML_SYNTAX', at: '\tname' },
  { name: 'duplicate key in a mapping', file: 'organisations/gm0546.yaml', find: 'name: Leiden\n', replace: 'name: Leiden\nname: Leyden\n', code: 'YAML_DUPLICATE_KEY', at: 'name: Leyden' },
  // --- wrong types ----------------------------------------------------------------------------------------------
  { name: 'string where a number is required (asn)', file: 'organisations/gm0546.yaml', find: 'asn: 4200000546', replace: 'asn: vier', code: 'SCHEMA_TYPE', at: 'vier' },
  { name: 'list where a number is required (bandwidthMbps)', file: 'organisations/gm0546.yaml', find: 'bandwidthMbps: 1000', replace: 'bandwidthMbps: [1000]', code: 'SCHEMA_TYPE', at: '[1000]' },
  { name: 'string where a number is required (quarantineDays)', file: 'ggi.yaml', find: 'quarantineDays: 180', replace: 'quarantineDays: lang', code: 'SCHEMA_TYPE', at: 'lang' },
  { name: 'string where a boolean is required', file: 'ggi.yaml', find: 'allowDefaultRoute: false', replace: 'allowDefaultRoute: nee', code: 'SCHEMA_TYPE', at: 'nee' },
  { name: 'string where a list is required (zones)', file: 'organisations/gm0546.yaml', find: 'zones: [overheid, markt]', replace: 'zones: overheid', code: 'SCHEMA_TYPE', at: 'overheid' },
  { name: 'string where a number is required in govroam', file: 'govroam.yaml', find: 'logRetentionDays: 180', replace: 'logRetentionDays: half jaar', code: 'SCHEMA_TYPE', at: 'half jaar' },
  // --- unknown keys ----------------------------------------------------------------------------------------------
  { name: 'unknown top-level key in an organisation', file: 'organisations/gm0546.yaml', find: 'province: Zuid-Holland\n', replace: 'province: Zuid-Holland\ncolour: red\n', code: 'SCHEMA_UNKNOWN_KEY', at: 'colour' },
  { name: 'unknown nested key in a connection point', file: 'organisations/gm0546.yaml', find: '  bandwidthMbps: 1000\n', replace: '  bandwidthMbps: 1000\n  vlan: 12\n', code: 'SCHEMA_UNKNOWN_KEY', at: 'vlan: 12' },
  { name: 'unknown key in a policy rule', file: 'policy/10-overheid.yaml', find: '    owner: netwerkbeheer\n', replace: '    owner: netwerkbeheer\n    comment: ook voor ketenpartners\n', code: 'SCHEMA_UNKNOWN_KEY', at: 'comment' },
  { name: 'unknown key deep in ggi.yaml', file: 'ggi.yaml', find: '    categoryBits: 2\n', replace: '    categoryBits: 2\n    siteBits: 2\n', code: 'SCHEMA_UNKNOWN_KEY', at: 'siteBits' },
  { name: 'unknown top-level key in ggi.yaml', file: 'ggi.yaml', find: 'diginetwerk:\n  # GGI', replace: 'diginetwerken:\n  # GGI', code: 'SCHEMA_UNKNOWN_KEY', at: 'diginetwerken' },
  // --- missing required keys -------------------------------------------------------------------------------------------
  { name: 'missing kind of an organisation', file: 'organisations/gm0546.yaml', find: 'kind: gemeente\n', replace: '', code: 'SCHEMA_MISSING_KEY', at: 'id: GM0546' },
  { name: 'missing owner of a rule', file: 'policy/10-overheid.yaml', find: '    action: allow\n    owner: netwerkbeheer\n    reason: Gemeenten bevragen', replace: '    action: allow\n    reason: Gemeenten bevragen', code: 'SCHEMA_MISSING_KEY', at: 'id: brp-bevraging' },
  { name: 'missing reason of a guardrail', file: 'policy/00-guardrails.yaml', find: '    reason: "de zones wisselen nooit verkeer uit: markt bereikt overheid nooit"\n', replace: '', code: 'SCHEMA_MISSING_KEY', at: 'id: markt-nooit-naar-overheid' },
  { name: 'missing management address of a device', file: 'devices/backbone.yaml', find: '      address: 198.19.0.4\n', replace: '', code: 'SCHEMA_MISSING_KEY', at: 'user: ggi' },
  { name: 'empty ggi.yaml', file: 'ggi.yaml', find: /^[\s\S]*$/, replace: '', code: 'SCHEMA_MISSING_KEY', at: '' },
  // --- addresses -----------------------------------------------------------------------------------------------------
  { name: 'bad CIDR: IPv4 length over 32', file: 'services/diginetwerk.yaml', find: '192.0.2.128/29', replace: '192.0.2.128/33', code: 'INVALID_PREFIX', at: '192.0.2.128/33' },
  { name: 'bad CIDR: not hexadecimal', file: 'services/diginetwerk.yaml', find: '2001:db8:d1::/64', replace: '2001:db8:zz::/64', code: 'INVALID_PREFIX', at: '2001:db8:zz::/64' },
  { name: 'bad address of a device', file: 'devices/backbone.yaml', find: 'address: 198.19.0.2', replace: 'address: 198.19.0.256', code: 'INVALID_PREFIX', at: '198.19.0.256' },
  { name: 'IPv4 prefix with host bits set', file: 'organisations/gm0546.yaml', find: '198.51.100.128/29', replace: '198.51.100.130/29', code: 'PREFIX_HOST_BITS', at: '198.51.100.130/29' },
  { name: 'IPv6 segment with host bits set', file: 'organisations/gm0546.yaml', find: '2a07:3500:154:10::/64', replace: '2a07:3500:154:10::1/64', code: 'PREFIX_HOST_BITS', at: '2a07:3500:154:10::1/64' },
  { name: 'IPv6 ledger /46 with host bits set', file: 'ipv6/ledger.yaml', find: 'prefix: 2a07:3500:154::/46', replace: 'prefix: 2a07:3500:155::/46', code: 'PREFIX_HOST_BITS', at: '2a07:3500:155::/46' },
  { name: 'IPv4 prefix where IPv6 is required', file: 'organisations/gm0546.yaml', find: 'ipv6: 2a07:3500:154:10::/64', replace: 'ipv6: 198.51.100.128/29', code: 'INVALID_PREFIX', at: '198.51.100.128/29\n    vlan' },
  { name: 'one IPv4 prefix registered by two organisations', file: 'organisations/gm0935.yaml', find: 'overheid: [198.51.100.184/29]', replace: 'overheid: [198.51.100.136/29]', code: 'IPV4_OVERLAP', at: '198.51.100.136/29' },
  { name: "an organisation registering a service's IPv4 prefix", file: 'organisations/gm0546.yaml', find: 'overheid: [198.51.100.128/29]', replace: 'overheid: [192.0.2.128/29]', code: 'IPV4_OVERLAP', at: '192.0.2.128/29' },
  { name: 'two suppliers sharing an IPv4 range', file: 'organisations/lv0002.yaml', find: 'markt: [203.0.113.80/28]', replace: 'markt: [203.0.113.64/27]', code: 'IPV4_OVERLAP', at: '203.0.113.64/27' },
  { name: "a segment in another organisation's IPv4 range", file: 'organisations/gm0546.yaml', find: 'ipv4: 192.0.2.96/29', replace: 'ipv4: 192.0.2.64/29', code: 'IPV4_OVERLAP', at: '192.0.2.64/29' },
  { name: "a service in an organisation's IPv6 allocation", file: 'services/diginetwerk.yaml', find: '2001:db8:d1::/64', replace: '2a07:3500:154:d1::/64', code: 'IPV6_OVERLAP', at: '2a07:3500:154:d1::/64' },
  { name: 'one /46 entered twice for two organisations', file: 'ipv6/ledger.yaml', find: 'prefix: 2a07:3500:158::/46\n    organisation: GM0546', replace: 'prefix: 2a07:3500:158::/46\n    organisation: GM0546\n    category: besloten\n    status: allocated\n    source: ggi\n    by: netwerkbeheer\n    at: 2025-06-02T08:00:00Z\n  - prefix: 2a07:3500:158::/46\n    organisation: GM0014', code: 'IPV6_OVERLAP', at: '2a07:3500:158::/46\n    organisation: GM0014' },
  { name: 'emptied ledger', file: 'ipv6/ledger.yaml', find: /^[\s\S]*$/, replace: '', code: 'SV_MEMBER_NO_PREFIXES', inFile: 'organisations/gm0373.yaml', at: 'SV0001', after: 'servedBy' },
  // --- formats, ranges and enums -------------------------------------------------------------------------------------
  { name: 'bad organisation id', file: 'organisations/gm0546.yaml', find: 'id: GM0546', replace: 'id: GM546', code: 'SCHEMA_FORMAT', at: 'GM546' },
  { name: 'bad organisation id in servedBy', file: 'organisations/gm0373.yaml', find: 'servedBy: SV0001', replace: 'servedBy: BUCH', code: 'SCHEMA_FORMAT', at: 'BUCH' },
  { name: 'bad date format', file: 'organisations/lv0001.yaml', find: 'date: 2025-03-14', replace: 'date: 14-03-2025', code: 'SCHEMA_FORMAT', at: '14-03-2025' },
  { name: 'bad rule expiry date format', file: 'policy/10-overheid.yaml', find: 'expires: 2027-03-31', replace: 'expires: 31 maart 2027', code: 'SCHEMA_FORMAT', at: '31 maart 2027' },
  { name: 'rule id not kebab-case', file: 'policy/10-overheid.yaml', find: 'id: brp-bevraging', replace: 'id: BRP_Bevraging', code: 'SCHEMA_FORMAT', at: 'BRP_Bevraging' },
  { name: 'malformed pinned host key', file: 'devices/backbone.yaml', find: /hostKey: SHA256:[A-Za-z0-9+/]+/, replace: 'hostKey: SHA256:tooShort', code: 'SCHEMA_FORMAT', at: 'SHA256:tooShort' },
  { name: 'secret written inline', file: 'govroam.yaml', find: 'secret: { env: GOVROAM_SECRET_GM0363 }', replace: 'secret: hunter2', code: 'SECRET_IN_INVENTORY', at: 'hunter2' },
  { name: 'invalid protocol', file: 'policy/20-markt.yaml', find: 'proto: tcp', replace: 'proto: sctp', code: 'SCHEMA_INVALID_VALUE', at: 'sctp' },
  { name: 'invalid action', file: 'policy/20-markt.yaml', find: 'action: allow', replace: 'action: permit', code: 'SCHEMA_INVALID_VALUE', at: 'permit' },
  { name: 'unknown zone in a connection point', file: 'organisations/gm0546.yaml', find: 'zones: [overheid, markt]', replace: 'zones: [overheid, internet]', code: 'SCHEMA_INVALID_VALUE', at: 'internet]' },
  { name: 'unknown device role', file: 'devices/backbone.yaml', find: 'role: kps-peer', replace: 'role: kps', code: 'SCHEMA_INVALID_VALUE', at: 'kps\n' },
  { name: 'invalid ledger status', file: 'ipv6/ledger.yaml', find: 'status: allocated', replace: 'status: vergeven', code: 'SCHEMA_INVALID_VALUE', at: 'vergeven' },
  { name: 'port out of range', file: 'policy/20-markt.yaml', find: 'ports: [443]', replace: 'ports: [70000]', code: 'SCHEMA_RANGE', at: '70000' },
  { name: 'negative ASN', file: 'organisations/gm0546.yaml', find: 'asn: 4200000546', replace: 'asn: -5', code: 'SCHEMA_RANGE', at: '-5' },
  { name: 'VLAN out of range', file: 'organisations/gm0546.yaml', find: 'vlan: 10', replace: 'vlan: 5000', code: 'SCHEMA_RANGE', at: '5000' },
  { name: 'selector with two keys', file: 'policy/10-overheid.yaml', find: 'from: { zone: overheid }\n    to: { services: [digid] }', replace: 'from: { zone: overheid, organisations: [GM0546] }\n    to: { services: [digid] }', code: 'SELECTOR_ONE_KEY', at: '{ zone: overheid, organisations' },
  // --- references and structure ----------------------------------------------------------------------------------------
  { name: 'unknown servedBy', file: 'organisations/gm0373.yaml', find: 'servedBy: SV0001', replace: 'servedBy: SV0404', code: 'UNKNOWN_REFERENCE', at: 'SV0404' },
  { name: 'servedBy a gemeente, not a samenwerkingsverband', file: 'organisations/gm0373.yaml', find: 'servedBy: SV0001', replace: 'servedBy: GM0363', code: 'SERVED_BY_NOT_SAMENWERKINGSVERBAND', at: 'GM0363' },
  { name: 'unknown device of a connection point', file: 'organisations/gm0546.yaml', find: 'device: ce-gm0546', replace: 'device: ce-gm9999', code: 'UNKNOWN_REFERENCE', at: 'ce-gm9999' },
  { name: 'connection point on a device that is not a CE', file: 'organisations/gm0546.yaml', find: 'device: ce-gm0546', replace: 'device: border-overheid', code: 'CONNECTION_POINT_DEVICE', at: 'border-overheid' },
  { name: 'unknown service in a rule', file: 'policy/10-overheid.yaml', find: 'to: { services: [digid] }', replace: 'to: { services: [digi-d] }', code: 'UNKNOWN_REFERENCE', at: 'digi-d' },
  { name: 'unknown organisation in a selector', file: 'policy/10-overheid.yaml', find: 'organisations: [GM0865]', replace: 'organisations: [GM0866]', code: 'UNKNOWN_REFERENCE', at: 'GM0866' },
  { name: 'duplicate organisation id', file: 'organisations/gm0034.yaml', find: 'id: GM0034', replace: 'id: GM0014', code: 'DUPLICATE_ID', at: 'GM0014' },
  { name: 'duplicate rule id', file: 'policy/10-overheid.yaml', find: 'id: digid-koppeling', replace: 'id: brp-bevraging', code: 'DUPLICATE_ID', at: 'brp-bevraging', after: 'TLS op 443' },
  { name: 'duplicate device id', file: 'devices/ce.yaml', find: 'id: ce-gm0034', replace: 'id: ce-gm0014', code: 'DUPLICATE_ID', at: 'ce-gm0014', after: 'Stadhuis Groningen' },
  { name: 'duplicate service name', file: 'services/markt.yaml', find: 'name: zaakwolk-archief', replace: 'name: zaakwolk-zaken', code: 'DUPLICATE_ID', at: 'zaakwolk-zaken', after: 'description: zaaksysteem' },
  { name: 'two connection points: own connection point and servedBy', file: 'organisations/gm0546.yaml', find: 'province: Zuid-Holland\n', replace: 'province: Zuid-Holland\nservedBy: SV0001\n', code: 'GGI_ONE_CONNECTION_POINT', at: 'site: Stadhuis Leiden' },
  { name: 'unsigned supplier offering a markt service', file: 'services/markt.yaml', find: 'provider: LV0002', replace: 'provider: LV0003', code: 'GGI_MARKT_UNSIGNED', at: 'LV0003' },
  { name: 'signed supplier without a date of signing', file: 'organisations/lv0001.yaml', find: 'ggiAfspraken: { signed: true, date: 2025-03-14 }', replace: 'ggiAfspraken: { signed: true }', code: 'GGI_MARKT_UNSIGNED', at: '{ signed: true }' },
  { name: 'supplier joining overheid', file: 'organisations/lv0001.yaml', find: 'zones: [markt]', replace: 'zones: [overheid, markt]', code: 'SUPPLIER_IN_OVERHEID', at: '[overheid, markt]' },
  { name: 'CE without a pinned host key', file: 'devices/ce.yaml', find: /(address: 198\.19\.1\.1\n {6}user: ggi\n) {6}hostKey: \S+\n/, replace: '$1', code: 'DEVICE_HOST_KEY_MISSING', at: 'address: 198.19.1.1' },
  { name: 'gemeente id that is not a CBS gemeentecode', file: 'organisations/gm0865.yaml', find: 'id: GM0865', replace: 'id: GM0999', code: 'GEMEENTE_CODE_UNKNOWN', at: 'GM0999' },
  { name: 'member of a samenwerkingsverband without prefixes of its own', file: 'ipv6/ledger.yaml', find: 'organisation: GM0450', replace: 'organisation: GM0363', all: true, code: 'SV_MEMBER_NO_PREFIXES', inFile: 'organisations/gm0450.yaml', at: 'SV0001', after: 'servedBy' },
  // --- domain checks ---------------------------------------------------------------------------------------------------
  { name: 'rule that breaks a guardrail', file: 'policy/20-markt.yaml', find: 'to: { services: [belastingportaal] }', replace: 'to: { zone: overheid }', code: 'GUARDRAIL_VIOLATION', at: 'belastingportaal', after: 'zaakwolk-archief-sftp' },
  { name: 'impossible calendar date', file: 'organisations/lv0001.yaml', find: 'date: 2025-03-14', replace: 'date: 2025-02-30', code: 'SCHEMA_INVALID', at: '2025-02-30' },
  { name: 'unknown visitor segment of a govroam participant', file: 'govroam.yaml', find: 'visitorSegment: govroam-visitor', replace: 'visitorSegment: gasten', code: 'UNKNOWN_REFERENCE', at: 'gasten' },
  { name: 'ledger prefix in the block of another kind', file: 'ipv6/ledger.yaml', find: 'prefix: 2a07:3500:158::/46', replace: 'prefix: 2a07:3502:158::/46', code: 'IPV6_WRONG_BLOCK', at: '2a07:3502:158::/46' },
  { name: 'segment outside the organisation\'s prefixes', file: 'organisations/gm0546.yaml', find: 'ipv6: 2a07:3500:154:10::/64', replace: 'ipv6: 2a07:3500:4:10::/64', code: 'IPV6_SEGMENT_OUTSIDE', at: '2a07:3500:4:10::/64' },
  { name: 'private address towards Diginetwerk', file: 'organisations/gm0546.yaml', find: 'overheid: [198.51.100.128/29]', replace: 'overheid: [10.0.0.0/29]', code: 'DIGINETWERK_PRIVATE_ADDRESS', at: '10.0.0.0/29' },
  { name: 'govroam SSID other than govroam', file: 'govroam.yaml', find: 'ssid: govroam', replace: 'ssid: gemeente-wifi', code: 'GOVROAM_SSID', at: 'gemeente-wifi' },
  { name: 'govroam with a pre-shared key', file: 'govroam.yaml', find: 'security: wpa2-enterprise', replace: 'security: wpa2-psk', code: 'GOVROAM_SSID', at: 'wpa2-psk' },
  { name: 'govroam logs kept too short', file: 'govroam.yaml', find: 'logRetentionDays: 180', replace: 'logRetentionDays: 30', code: 'GOVROAM_LOG_RETENTION', at: '30', after: 'logRetentionDays: 30' },
  { name: 'NAPTR with the wrong flag', file: 'govroam.yaml', find: 'flags: S', replace: 'flags: U', code: 'GOVROAM_REALM', at: 'U', after: 'flags: U' },
  { name: 'govroam realm that is not a DNS name', file: 'govroam.yaml', find: 'realms: [leiden.nl]', replace: 'realms: [leiden_nl]', code: 'GOVROAM_REALM', at: 'leiden_nl' },
  { name: 'expired rule', file: 'policy/10-overheid.yaml', find: 'expires: 2027-03-31', replace: 'expires: 2026-01-31', code: 'POLICY_EXPIRED', at: '2026-01-31' },
];

// The expected position: 1-based line and column of `at` in the edited text.
function position(text: string, at: string, after?: string): { line: number; column: number } {
  const from = after ? text.indexOf(after) : 0;
  if (from < 0) throw new Error(`anchor '${after}' not in the edited file`);
  const i = text.indexOf(at, from);
  if (i < 0) throw new Error(`marker '${at}' not in the edited file`);
  const before = text.slice(0, i);
  const line = before.split('\n').length;
  return { line, column: i - (before.lastIndexOf('\n') + 1) + 1 };
}

function copyDir(src: string, dst: string): void {
  fs.mkdirSync(dst, { recursive: true });
  for (const e of fs.readdirSync(src, { withFileTypes: true })) {
    if (e.isDirectory()) copyDir(path.join(src, e.name), path.join(dst, e.name));
    else fs.copyFileSync(path.join(src, e.name), path.join(dst, e.name));
  }
}

describe('broken inventories (one edit each) give exit 1 and a located finding', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ggi-broken-'));
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it('has a corpus of at least 40 cases with distinct names', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(40);
    expect(new Set(CASES.map((c) => c.name)).size).toBe(CASES.length);
  });

  it('the unedited example is valid (so each failure below comes from its one edit)', async () => {
    const f = fakeIo();
    const code = await main(['validate', '--inventory', EXAMPLE, '--format', 'json'], f.io);
    expect(JSON.parse(f.stdout()).findings.filter((x: { severity: string }) => x.severity === 'error')).toEqual([]);
    expect(code).toBe(0);
  });

  it.each(CASES.map((c, i) => [c.name, c, i] as const))('%s', async (_name, c, i) => {
    const dir = path.join(root, `case-${i}`);
    copyDir(EXAMPLE, dir);
    const target = path.join(dir, c.file);
    const original = fs.readFileSync(target, 'utf8');
    const edited = c.all && typeof c.find === 'string' ? original.split(c.find).join(c.replace) : original.replace(c.find, c.replace);
    expect(edited).not.toBe(original);
    fs.writeFileSync(target, edited);

    const f = fakeIo();
    const code = await main(['validate', '--inventory', dir, '--format', 'json'], f.io);
    expect(f.stderr()).not.toMatch(/internal error|\n\s+at .+:\d+:\d+/);
    const report = JSON.parse(f.stdout()) as { ok: boolean; findings: Array<{ severity: string; code: string; file: string; line: number; column: number; message: string }> };
    expect(report.ok).toBe(false);
    expect(code).toBe(1);

    const where = c.inFile ?? c.file;
    const text = where === c.file ? edited : fs.readFileSync(path.join(dir, where), 'utf8');
    const expected = { severity: 'error', code: c.code, file: displayPath(path.join(dir, where)), ...position(text, c.at, c.after) };
    const got = report.findings.map((x) => ({ severity: x.severity, code: x.code, file: x.file, line: x.line, column: x.column }));
    // Show every finding when the expected one is missing: the message says what the validator saw instead.
    if (!got.some((g) => JSON.stringify(g) === JSON.stringify(expected))) {
      expect({ expected, findings: report.findings.map((x) => `${x.file}:${x.line}:${x.column} ${x.severity} ${x.code} ${x.message}`) }).toEqual({ expected, findings: ['(the expected finding)'] });
    }
    for (const x of report.findings) expect(x.message.length).toBeGreaterThan(0);
  });
});

/**
 * The broken-inventory corpus for files that are not what they should be (docs/inventory.md "Which files ggi reads"):
 * each case replaces one file of the example by a symlink, a FIFO, a device or an oversized file. A link to a file
 * inside the inventory is followed (the example stays valid); everything else is an error at the file's 1:1, at once.
 */
const FILE_CASES: Array<{ name: string; file: string; make: (target: string, dir: string) => void; code: string | null }> = [
  {
    name: 'symlink inside the inventory (followed)',
    file: 'policy/00-guardrails.yaml',
    make: (t, dir) => {
      fs.renameSync(t, path.join(dir, 'guardrails.yaml.txt'));
      fs.symlinkSync('../guardrails.yaml.txt', t);
    },
    code: null,
  },
  { name: 'symlink outside the inventory', file: 'govroam.yaml', make: (t) => { fs.rmSync(t); fs.symlinkSync('/etc/passwd', t); }, code: 'INVENTORY_SYMLINK_OUTSIDE' },
  { name: 'symlink to nothing', file: 'organisations/gm0546.yaml', make: (t) => { fs.rmSync(t); fs.symlinkSync('gm9999.yaml', t); }, code: 'INVENTORY_SYMLINK_BROKEN' },
  { name: 'symlinked layout folder', file: 'services', make: (t, dir) => { fs.renameSync(t, path.join(dir, 'services-real')); fs.symlinkSync('services-real', t); }, code: 'INVENTORY_SYMLINK_FOLDER' },
  { name: 'FIFO where a file belongs', file: 'ipv6/ledger.yaml', make: (t) => { fs.rmSync(t); execFileSync('mkfifo', [t]); }, code: 'INVENTORY_NOT_A_FILE' },
  { name: 'folder where a file belongs', file: 'ggi.yaml', make: (t) => { fs.rmSync(t); fs.mkdirSync(t); }, code: 'INVENTORY_NOT_A_FILE' },
  { name: 'oversized file (over 128 MiB)', file: 'policy/20-markt.yaml', make: (t) => fs.truncateSync(t, 129 * 1024 * 1024), code: 'INVENTORY_FILE_TOO_LARGE' },
  { name: 'device file where a file belongs', file: 'devices/ce.yaml', make: (t) => { fs.rmSync(t); execFileSync('mknod', [t, 'c', '1', '3']); }, code: 'INVENTORY_NOT_A_FILE' },
];

/** Device nodes need privileges: the case is skipped without them, and fails in CI. */
const canMknod = ((): boolean => {
  const p = path.join(os.tmpdir(), `ggi-mknod-${process.pid}`);
  try {
    execFileSync('mknod', [p, 'c', '1', '3'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  } finally {
    fs.rmSync(p, { force: true });
  }
})();

describe('broken inventory files (symlinks, FIFOs, devices, oversized) are refused at once with a finding at 1:1', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ggi-broken-files-'));
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  for (const [i, c] of FILE_CASES.entries()) {
    const runIt = c.name.startsWith('device') && !canMknod && process.env.CI !== 'true' ? it.skip : it;
    runIt(c.name, async () => {
      const dir = path.join(root, `case-${i}`);
      copyDir(EXAMPLE, dir);
      const target = path.join(dir, c.file);
      c.make(target, dir);
      const t0 = Date.now();
      const f = fakeIo();
      const code = await main(['validate', '--inventory', dir, '--format', 'json'], f.io);
      expect(Date.now() - t0).toBeLessThan(30_000);
      expect(f.stderr()).not.toMatch(/internal error|\n\s+at .+:\d+:\d+/);
      const report = JSON.parse(f.stdout()) as { ok: boolean; findings: Array<{ severity: string; code: string; file: string; line: number; column: number; message: string }> };
      if (c.code === null) {
        expect(report.findings.filter((x) => x.severity === 'error')).toEqual([]);
        expect(code).toBe(0);
        return;
      }
      expect(code).toBe(1);
      expect(report.findings).toContainEqual(expect.objectContaining({ severity: 'error', code: c.code, file: displayPath(target), line: 1, column: 1 }));
      for (const x of report.findings) expect(x.message).not.toMatch(/root:x/);
    });
  }
});
