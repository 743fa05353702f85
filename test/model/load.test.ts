import { loadInventory } from '../../src/model/load';
import { checkReferences } from '../../src/model/checks';
import { cleanup, MINIMAL_SETTINGS, tmpInventory } from '../helpers/tmp-inventory';

const LEIDEN = `id: GM0546
kind: gemeente
name: Leiden
connectionPoint:
  site: Stadhuis Leiden
  device: ce-gm0546
  zones: [overheid, markt]
  asn: 4200000546
ipv4:
  overheid: [198.51.100.0/28]
devices:
  - id: ce-gm0546
    role: ce
    management:
      address: 198.19.0.10
      hostKey: SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
`;

describe('loadInventory', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach(cleanup));
  const load = (files: Record<string, string>) => {
    const dir = tmpInventory(files);
    dirs.push(dir);
    return { dir, ...loadInventory(dir) };
  };

  it('loads a minimal inventory without findings', () => {
    const r = load({ 'ggi.yaml': MINIMAL_SETTINGS, 'organisations/gm0546.yaml': LEIDEN });
    expect(r.findings).toEqual([]);
    expect(r.inventory!.organisations.map((o) => o.id)).toEqual(['GM0546']);
    expect(r.inventory!.devices[0].organisation).toBe('GM0546');
    expect(checkReferences(r.inventory!)).toEqual([]);
  });

  it('locates an unknown key at the key itself', () => {
    const r = load({ 'ggi.yaml': MINIMAL_SETTINGS, 'organisations/gm0546.yaml': LEIDEN.replace('  site: Stadhuis Leiden', '  site: Stadhuis Leiden\n  sitee: typo') });
    expect(r.inventory).toBeNull();
    const f = r.findings.find((x) => x.code === 'SCHEMA_UNKNOWN_KEY')!;
    expect(f).toMatchObject({ line: 6, column: 3, severity: 'error' });
    expect(f.file.endsWith('organisations/gm0546.yaml')).toBe(true);
  });

  it('locates a bad prefix at its list item', () => {
    const r = load({ 'ggi.yaml': MINIMAL_SETTINGS, 'organisations/gm0546.yaml': LEIDEN.replace('[198.51.100.0/28]', '[198.51.100.1/28]') });
    const f = r.findings.find((x) => x.code === 'PREFIX_HOST_BITS')!;
    expect(f).toMatchObject({ line: 10, column: 14 });
  });

  it('reports a missing required key at the parent mapping', () => {
    const r = load({ 'ggi.yaml': MINIMAL_SETTINGS, 'organisations/gm0546.yaml': LEIDEN.replace('name: Leiden\n', '') });
    const f = r.findings.find((x) => x.code === 'SCHEMA_MISSING_KEY')!;
    expect(f.message).toContain("'name'");
    expect(f.line).toBe(1);
  });

  it('turns YAML syntax errors into findings, not exceptions', () => {
    const r = load({ 'ggi.yaml': MINIMAL_SETTINGS, 'organisations/gm0546.yaml': 'id: GM0546\n  kind: [unclosed\n' });
    expect(r.inventory).toBeNull();
    expect(r.findings.some((f) => f.code === 'YAML_SYNTAX' && f.line >= 1)).toBe(true);
  });

  it('refuses a secret written inline', () => {
    const r = load({ 'ggi.yaml': MINIMAL_SETTINGS, 'organisations/gm0546.yaml': LEIDEN.replace('      hostKey:', '      privateKey: hunter2\n      hostKey:') });
    expect(r.findings.map((f) => f.code)).toContain('SECRET_IN_INVENTORY');
    expect(JSON.stringify(r.findings)).not.toContain('hunter2');
  });

  it('sees addresses through the lab profile', () => {
    const ledger = `entries:\n  - { prefix: "2a07:3500:a44::/46", organisation: GM0546, category: diginetwerk, status: allocated, by: test, at: "2026-01-01T00:00:00Z" }\n`;
    const dir = tmpInventory({ 'ggi.yaml': MINIMAL_SETTINGS, 'organisations/gm0546.yaml': LEIDEN, 'ipv6/ledger.yaml': ledger });
    dirs.push(dir);
    const r = loadInventory(dir, { profile: 'lab' });
    expect(r.findings).toEqual([]);
    expect(r.inventory!.ledger.entries[0].prefix).toBe('3fff:500:a44::/46');
    expect(r.inventory!.organisations[0].ipv4!.overheid).toEqual(['198.51.100.0/28']);
    expect(loadInventory(dir, { profile: 'nope' }).findings.map((f) => f.code)).toEqual(['PROFILE_UNKNOWN']);
  });

  it('finds dangling references and the one-connection-point rule', () => {
    const member = `id: GM0450\nkind: gemeente\nname: Uitgeest\nservedBy: SV0001\nconnectionPoint:\n  site: x\n  device: ce-gm0546\n  zones: [overheid]\n  asn: 64600\n`;
    const r = load({ 'ggi.yaml': MINIMAL_SETTINGS, 'organisations/gm0546.yaml': LEIDEN, 'organisations/gm0450.yaml': member });
    const codes = checkReferences(r.inventory!).map((f) => f.code).sort();
    expect(codes).toEqual(expect.arrayContaining(['UNKNOWN_REFERENCE', 'GGI_ONE_CONNECTION_POINT', 'SV_MEMBER_NO_PREFIXES', 'CONNECTION_POINT_DEVICE']));
  });
});
