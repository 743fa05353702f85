import * as fs from 'node:fs';
import * as path from 'node:path';
import { cleanup } from '../helpers/tmp-inventory';
import { ggi } from './cli-fixtures';
import { inventoryDir, orgYaml } from './fixtures';

const NOW = new Date('2026-11-23T12:00:00Z');

describe('ggi ipv6 (in-process)', () => {
  let dir: string;
  const ledger = () => path.join(dir, 'ipv6', 'ledger.yaml');
  beforeEach(() => {
    dir = inventoryDir(3, { 'organisations/sv0001.yaml': orgYaml('SV0001', 'samenwerkingsverband') });
  });
  afterEach(() => cleanup(dir));
  const run = (...argv: string[]) => ggi([...argv, '--inventory', dir], { GGI_OPERATOR: 'ops@example.org' }, NOW);

  it('allocate prints the CLI.md JSON shape, is idempotent, and show lists the prefixes', async () => {
    const a = await run('ipv6', 'allocate', 'GM0014', '--category', 'diginetwerk', '--purpose', 'Diginetwerk', '--format', 'json');
    expect(a.code).toBe(0);
    const j = JSON.parse(a.stdout);
    expect(j).toMatchObject({ organisation: 'GM0014', category: 'diginetwerk', prefix: '2a07:3500:4::/46', status: 'allocated', purpose: 'Diginetwerk', created: true });
    const again = await run('ipv6', 'allocate', 'GM0014', '--category', 'diginetwerk', '--format', 'json');
    expect(JSON.parse(again.stdout)).toMatchObject({ prefix: '2a07:3500:4::/46', created: false });
    const text = await run('ipv6', 'allocate', 'SV0001', '--category', 'internet');
    expect(text.stdout).toMatch(/^allocated 2a07:3502::\/46 to SV0001 \(internet\)\n {2}and assigned 2a07:3502::\/48/);
    const show = await run('ipv6', 'show', 'GM0014', '--format', 'json');
    expect(JSON.parse(show.stdout)).toEqual({ organisation: 'GM0014', prefixes: [{ category: 'diginetwerk', prefix: '2a07:3500:4::/46', status: 'allocated', purpose: 'Diginetwerk', source: 'ggi' }] });
    const showText = await run('ipv6', 'show', 'gm0014');
    expect(showText.stdout).toContain('2a07:3500:4::/46  diginetwerk  allocated');
    expect(fs.readFileSync(ledger(), 'utf8')).toContain('by: ops@example.org');
  });

  it('bad input exits 1 with a finding and leaves the ledger byte-for-byte unchanged', async () => {
    await run('ipv6', 'allocate', 'GM0014', '--category', 'diginetwerk');
    const before = fs.readFileSync(ledger());
    const cases: Array<[string[], string]> = [
      [['ipv6', 'allocate', 'GM0999', '--category', 'diginetwerk'], 'IPV6_UNKNOWN_ORGANISATION'],
      [['ipv6', 'allocate', 'GM0014', '--category', 'intranet'], 'IPV6_UNKNOWN_CATEGORY'],
      [['ipv6', 'allocate', 'GM0014', '--category', 'diginetwerk', '--length', '50', '--purpose', 'x'], 'IPV6_LENGTH_NOT_ALLOWED'],
      [['ipv6', 'allocate', 'GM0014', '--category', 'besloten', '--length', '64', '--purpose', 'x'], 'IPV6_NO_PARENT'],
      [['ipv6', 'release', 'GM0034', '--prefix', '2a07:3500:4::/46', '--reason', 'x'], 'IPV6_NOT_ALLOCATED'],
    ];
    for (const [argv, code] of cases) {
      const r = await run(...argv);
      expect({ argv, code: r.code }).toEqual({ argv, code: 1 });
      expect(r.stderr).toContain(code);
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
      expect(fs.readFileSync(ledger()).equals(before)).toBe(true);
    }
    const json = await run('ipv6', 'allocate', 'GM0014', '--category', 'intranet', '--format', 'json');
    expect(json.code).toBe(1);
    const doc = JSON.parse(json.stdout);
    expect(doc.findings[0]).toMatchObject({ severity: 'error', code: 'IPV6_UNKNOWN_CATEGORY' });
    expect(doc.findings[0].file.endsWith('ggi.yaml')).toBe(true);
    // A corrupt ledger: exit 1, untouched.
    fs.writeFileSync(ledger(), 'entries: [unclosed\n');
    const corrupt = await run('ipv6', 'allocate', 'GM0034', '--category', 'diginetwerk');
    expect(corrupt.code).toBe(1);
    expect(fs.readFileSync(ledger(), 'utf8')).toBe('entries: [unclosed\n');
    // Usage errors are exit 2 and also change nothing.
    expect((await run('ipv6', 'allocate', 'GM0034')).code).toBe(2);
    expect((await run('ipv6', 'allocate', 'GM0034', '--category', 'diginetwerk', '--profile', 'lab')).code).toBe(2);
  });

  it('release quarantines; the prefix is reported quarantined and not handed out again before the end', async () => {
    await run('ipv6', 'allocate', 'GM0014', '--category', 'diginetwerk');
    const r = await run('ipv6', 'release', 'GM0014', '--prefix', '2a07:3500:4::/46', '--reason', 'moved to SV0001', '--format', 'json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ organisation: 'GM0014', prefix: '2a07:3500:4::/46', status: 'quarantined', reason: 'moved to SV0001', quarantineUntil: '2027-05-22' });
    const show = JSON.parse((await run('ipv6', 'show', 'GM0014', '--format', 'json')).stdout);
    expect(show.prefixes.map((p: { status: string }) => p.status)).toEqual(['quarantined']);
    const again = await run('ipv6', 'allocate', 'GM0014', '--category', 'diginetwerk');
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('IPV6_QUARANTINED');
    for (const org of ['GM0034', 'GM0037']) {
      const o = JSON.parse((await run('ipv6', 'allocate', org, '--category', 'diginetwerk', '--format', 'json')).stdout);
      expect(o.prefix).not.toBe('2a07:3500:4::/46');
    }
    const after = await ggi(['ipv6', 'allocate', 'GM0014', '--category', 'diginetwerk', '--format', 'json', '--inventory', dir], { GGI_OPERATOR: 'ops' }, new Date('2027-05-23T00:00:00Z'));
    expect(JSON.parse(after.stdout)).toMatchObject({ prefix: '2a07:3500:4::/46', created: true });
  });

  it('export arpa gives exactly the four /48 zones of a /46; export ripe is valid RPSL; csv and report work', async () => {
    await run('ipv6', 'allocate', 'GM0014', '--category', 'internet');
    const arpa = await run('ipv6', 'export', 'arpa', '--format', 'json');
    expect(JSON.parse(arpa.stdout).zones.map((z: { zone: string }) => z.zone)).toEqual([
      '0.0.0.0.0.0.5.3.7.0.a.2.ip6.arpa',
      '1.0.0.0.0.0.5.3.7.0.a.2.ip6.arpa',
      '2.0.0.0.0.0.5.3.7.0.a.2.ip6.arpa',
      '3.0.0.0.0.0.5.3.7.0.a.2.ip6.arpa',
    ]);
    expect((await run('ipv6', 'export', 'arpa')).stdout.split('\n').filter(Boolean)).toHaveLength(4);
    const ripe = (await run('ipv6', 'export', 'ripe')).stdout;
    const objects = ripe.trimEnd().split('\n\n');
    expect(objects).toHaveLength(2);
    for (const o of objects) {
      for (const line of o.split('\n')) expect(line).toMatch(/^[a-z][a-z0-9-]*: {1,}\S/);
      for (const line of o.split('\n')) expect(line.indexOf(line.split(':')[1].trim(), line.indexOf(':'))).toBe(16);
    }
    expect(objects[0]).toMatch(/^inet6num:\s+2a07:3500::\/46\n/);
    expect(objects[0]).toContain('status:         ALLOCATED-BY-LIR');
    expect(objects[1]).toMatch(/^inet6num:\s+2a07:3500::\/48\n[\s\S]*status: {9}ASSIGNED\n/);
    expect(objects[0]).toMatch(/mnt-by:\s+GGI-MNT\nsource:\s+RIPE$/);
    const csv = (await run('ipv6', 'export', 'csv')).stdout.split('\r\n');
    expect(csv[0]).toBe('prefix,first,last,length,organisation,name,kind,category,status,source,parent,purpose,internetRouted,by,at,releasedAt,releaseReason,quarantineUntil');
    expect(csv[1]).toMatch(/^2a07:3500::\/46,2a07:3500::,2a07:3500:3:ffff:ffff:ffff:ffff:ffff,46,GM0014,/);
    const rep = JSON.parse((await run('ipv6', 'report', '--format', 'json')).stdout);
    expect(rep.blocks[0]).toMatchObject({ block: '2a07:3500::/33', kinds: ['gemeente'], slots: { used: 1, total: 2048 }, allocations: { used: 1, free: 8191, total: 8192 } });
    expect(rep.freeAllocations).toBe(4 * 8192 - 1);
    const text = (await run('ipv6', 'report')).stdout;
    expect(text).toMatch(/2a07:3500::\/33\s+gemeente\s+1\/2048\s+1\s+0\s+8191\s+0\.01%/);
    expect((await run('ipv6', 'export', 'xml')).code).toBe(2);
  });

  it('shows through the lab profile with remapped addresses', async () => {
    await run('ipv6', 'allocate', 'GM0014', '--category', 'diginetwerk');
    const lab = await ggi(['ipv6', 'show', 'GM0014', '--format', 'json', '--inventory', dir, '--profile', 'lab']);
    expect(JSON.parse(lab.stdout).prefixes[0].prefix).toBe('3fff:500:4::/46');
  });
});
