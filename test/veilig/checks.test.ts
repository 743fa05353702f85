import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { validateInventory } from '../../src/validation';
import type { Finding } from '../../src/model/finding';

const EXAMPLE = path.resolve(__dirname, '..', '..', 'inventory');
const NOW = new Date('2026-12-06T12:00:00Z');
let dir: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ggi-veilig-'));
  fs.cpSync(EXAMPLE, dir, { recursive: true });
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Rewrites veilig.yaml (or removes it with null) and returns the GGI-Veilig findings of the whole validation. */
function veilig(edit: ((text: string) => string) | null): Finding[] {
  const file = path.join(dir, 'veilig.yaml');
  if (edit === null) fs.rmSync(file);
  else fs.writeFileSync(file, edit(fs.readFileSync(path.join(EXAMPLE, 'veilig.yaml'), 'utf8')));
  return validateInventory(dir, { now: NOW }).findings.filter((f) => f.code.startsWith('VEILIG_'));
}

function lineOf(text: string, needle: string): number {
  return text.split('\n').findIndex((l) => l.includes(needle)) + 1;
}

describe('GGI-Veilig checks', () => {
  test('the example monitors every connection point and border', () => {
    expect(veilig((t) => t)).toEqual([]);
  });

  test('without veilig.yaml: one warning, not an error per connection point; nothing to say with nothing to monitor', () => {
    const f = veilig(null);
    expect(f.map((x) => [x.severity, x.code])).toEqual([['warning', 'VEILIG_NOT_CONFIGURED']]);
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'ggi-veilig-empty-'));
    try {
      fs.copyFileSync(path.join(EXAMPLE, 'ggi.yaml'), path.join(empty, 'ggi.yaml'));
      expect(validateInventory(empty, { now: NOW }).findings.filter((x) => x.code.startsWith('VEILIG_'))).toEqual([]);
    } finally {
      fs.rmSync(empty, { recursive: true, force: true });
    }
  });

  test('a role left out of export.roles makes every such point dark, located at the connection point or border', () => {
    const f = veilig((t) => t.replace('roles: [ce, border-overheid, border-markt]', 'roles: [border-markt]'));
    const dark = f.filter((x) => x.code === 'VEILIG_POINT_DARK');
    const leiden = dark.find((x) => x.file.endsWith('organisations/gm0546.yaml'))!;
    expect(leiden.severity).toBe('error');
    const text = fs.readFileSync(path.join(dir, 'organisations/gm0546.yaml'), 'utf8');
    expect(leiden.line).toBe(lineOf(text, 'device: ce-gm0546'));
    expect(dark.some((x) => x.message.includes("border 'border-overheid'"))).toBe(true);
    expect(dark.some((x) => x.message.includes("border 'border-markt'"))).toBe(false);
  });

  test('an exemption with a reason and a future end keeps a point from being dark; an ended one is an error', () => {
    const exempt = (until: string) => (t: string) =>
      t.replace('roles: [ce, border-overheid, border-markt]', 'roles: [ce, border-markt]').replace('exemptions: []', `exemptions:\n  - { device: border-overheid, reason: vervanging van de router, expires: ${until} }\n  - { device: border-overheid-2, reason: vervanging van de router, expires: 2027-01-31 }`);
    expect(veilig(exempt('2027-01-31'))).toEqual([]);
    const ended = veilig(exempt('2026-11-30'));
    expect(ended.map((x) => x.code).sort()).toEqual(['VEILIG_EXEMPTION_EXPIRED', 'VEILIG_POINT_DARK']);
  });

  test('a collector outside the management network, or on a device\'s address, is unreachable', () => {
    const outside = veilig((t) => t.replace('{ id: soc-flows, address: 198.19.255.250', '{ id: soc-flows, address: 203.0.113.9'));
    expect(outside.map((x) => x.code)).toEqual(['VEILIG_COLLECTOR_UNREACHABLE']);
    expect(outside[0].message).toMatch(/outside the management network 198\.19\.0\.0\/16/);
    const onDevice = veilig((t) => t.replace('{ id: soc-logs, address: 198.19.255.250', '{ id: soc-logs, address: 198.19.0.4'));
    expect(onDevice[0].message).toMatch(/management address of device 'border-overheid'/);
  });

  test('detection rules need what their kind needs; an expired one is a warning', () => {
    const f = veilig((t) =>
      t
        .replace('    prefixes: [198.51.100.250/32, 2001:db8:bad::/48]\n', '')
        .replace('    perSecond: 200\n', '    perSecond: 200\n    expires: 2026-01-01\n')
        .replace('    proto: tcp\n    ports: [23]\n', '    ports: [23]\n'),
    );
    expect(f.map((x) => `${x.severity} ${x.code}`).sort()).toEqual([
      'error VEILIG_DETECTION_INCOMPLETE',
      'error VEILIG_DETECTION_INCOMPLETE',
      'error VEILIG_DETECTION_INCOMPLETE',
      'warning VEILIG_DETECTION_EXPIRED',
    ]);
  });

  test('a detection rule that can never match (icmpv6 to IPv4 prefixes only) is an error at its proto', () => {
    const text = fs.readFileSync(path.join(EXAMPLE, 'veilig.yaml'), 'utf8').replace('    prefixes: [198.51.100.250/32, 2001:db8:bad::/48]\n', '    prefixes: [198.51.100.250/32]\n    proto: icmpv6\n');
    const f = veilig(() => text);
    expect(f.map((x) => x.code)).toEqual(['VEILIG_DETECTION_INCOMPLETE']);
    expect(f[0].message).toMatch(/'bekend-kwaadaardig' can never match/);
    expect(f[0].line).toBe(lineOf(text, 'proto: icmpv6'));
    expect(veilig(() => text.replace('[198.51.100.250/32]', '[198.51.100.250/32, 2001:db8:bad::/48]'))).toEqual([]);
  });

  test('schema errors in veilig.yaml are located like any other file\'s', () => {
    fs.writeFileSync(path.join(dir, 'veilig.yaml'), fs.readFileSync(path.join(dir, 'veilig.yaml'), 'utf8').replace('sampling: 1', 'sampling: 0'));
    const f = validateInventory(dir, { now: NOW }).findings.filter((x) => x.file.endsWith('veilig.yaml'));
    expect(f).toHaveLength(1);
    expect(f[0].code).toBe('SCHEMA_RANGE');
    expect(f[0].line).toBe(lineOf(fs.readFileSync(path.join(dir, 'veilig.yaml'), 'utf8'), 'sampling: 0'));
  });

  test('no telemetry secret can sit in veilig.yaml: a key, password or shared secret is refused where it is written', () => {
    // NetFlow, IPFIX and ulogd's JSON over UDP carry no credentials, so the schema has no place for one.
    for (const [key, value] of [['secret', 'hunter2'], ['password', 'hunter2'], ['key', '/etc/ggi/soc.key']]) {
      const file = path.join(dir, 'veilig.yaml');
      const text = fs.readFileSync(path.join(EXAMPLE, 'veilig.yaml'), 'utf8').replace('protocol: netflow-v9 }', `protocol: netflow-v9, ${key}: ${value} }`);
      fs.writeFileSync(file, text);
      const f = validateInventory(dir, { now: NOW }).findings.filter((x) => x.code === 'SCHEMA_UNKNOWN_KEY');
      expect(f.map((x) => [x.severity, x.file.endsWith('veilig.yaml'), x.line])).toEqual([['error', true, lineOf(text, `${key}: ${value}`)]]);
      expect(f[0].message).not.toContain(value);
    }
  });
});
