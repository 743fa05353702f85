import { XMLValidator, XMLParser } from 'fast-xml-parser';
import { main } from '../../src/cli/main';
import { cleanup, fakeIo, MINIMAL_SETTINGS, tmpInventory } from '../helpers/tmp-inventory';
// The package has no type declarations, so it is required rather than imported.
const sarifMatchers = require('@microsoft/jest-sarif');

expect.extend(sarifMatchers);

const BROKEN_ORG = `id: GM0546
kind: gemeente
name: Leiden
servedBy: SV0404
ipv4:
  overheid: [198.51.100.0/28]
`;

describe('ggi validate output formats', () => {
  let okDir: string;
  let badDir: string;
  beforeAll(() => {
    okDir = tmpInventory({ 'ggi.yaml': MINIMAL_SETTINGS });
    badDir = tmpInventory({ 'ggi.yaml': MINIMAL_SETTINGS, 'organisations/gm0546.yaml': BROKEN_ORG, 'organisations/gm0547.yaml': 'id: GM0547\nkind: gemeente\nname: [x\n' });
  });
  afterAll(() => {
    cleanup(okDir);
    cleanup(badDir);
  });

  it('json: one document with ok, findings and summary; exit 0 on a clean inventory', async () => {
    const f = fakeIo();
    expect(await main(['validate', '--inventory', okDir, '--format', 'json'], f.io)).toBe(0);
    const doc = JSON.parse(f.stdout());
    expect(doc).toEqual({ ok: true, findings: [], summary: { organisations: 0, devices: 0, rules: 0 } });
  });

  it('json: exit 1 with located findings on a broken inventory, no stack trace', async () => {
    const f = fakeIo();
    expect(await main(['validate', '--inventory', badDir, '--format', 'json'], f.io)).toBe(1);
    const doc = JSON.parse(f.stdout());
    expect(doc.ok).toBe(false);
    const syntax = doc.findings.find((x: { code: string }) => x.code === 'YAML_SYNTAX');
    expect(syntax.file).toMatch(/organisations\/gm0547\.yaml$/);
    expect(syntax.line).toBeGreaterThanOrEqual(3);
    expect(f.stderr()).not.toMatch(/\n\s+at /);
  });

  it('text: file:line:col: error CODE message', async () => {
    const dir = tmpInventory({ 'ggi.yaml': MINIMAL_SETTINGS, 'organisations/gm0546.yaml': BROKEN_ORG });
    const f = fakeIo();
    expect(await main(['validate', '--inventory', dir], f.io)).toBe(1);
    expect(f.stdout()).toMatch(/organisations\/gm0546\.yaml:4:11: error UNKNOWN_REFERENCE .*SV0404/);
    expect(f.stdout()).toMatch(/invalid: \d+ error/);
    cleanup(dir);
  });

  it('junit: well-formed XML with one testcase per check per file', async () => {
    const f = fakeIo();
    await main(['validate', '--inventory', badDir, '--format', 'junit'], f.io);
    const xml = f.stdout();
    expect(XMLValidator.validate(xml)).toBe(true);
    const doc = new XMLParser({ ignoreAttributes: false }).parse(xml);
    const suites: Array<{ testcase: unknown }> = [doc.testsuites.testsuite].flat();
    expect(suites.length).toBeGreaterThanOrEqual(3);
    const cases = suites.flatMap((s) => [s.testcase].flat()) as Array<Record<string, unknown>>;
    const failures = cases.filter((c) => c.failure);
    expect(failures.length).toBeGreaterThan(0);
  });

  it('sarif: a valid SARIF 2.1.0 log located at the YAML line', async () => {
    const dir = tmpInventory({ 'ggi.yaml': MINIMAL_SETTINGS, 'organisations/gm0546.yaml': BROKEN_ORG });
    const f = fakeIo();
    await main(['validate', '--inventory', dir, '--format', 'sarif'], f.io);
    const log = JSON.parse(f.stdout());
    (expect(log) as unknown as { toBeValidSarifLog(): void }).toBeValidSarifLog();
    const r = log.runs[0].results.find((x: { ruleId: string }) => x.ruleId === 'UNKNOWN_REFERENCE');
    expect(r.locations[0].physicalLocation.region).toEqual({ startLine: 4, startColumn: 11 });
    cleanup(dir);
  });

  it('usage errors exit 2', async () => {
    const f = fakeIo();
    expect(await main(['validate', '--bogus'], f.io)).toBe(2);
    expect(f.stderr()).toContain('--bogus');
    expect(await main(['validate', '--format', 'xml'], fakeIo().io)).toBe(2);
    expect(await main(['frobnicate'], fakeIo().io)).toBe(2);
  });

  it('a missing inventory folder is a finding, not a crash', async () => {
    const f = fakeIo();
    expect(await main(['validate', '--inventory', '/nonexistent/ggi'], f.io)).toBe(1);
    expect(f.stdout()).toContain('INVENTORY_MISSING_SETTINGS');
  });
});
