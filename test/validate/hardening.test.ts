import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../../src/cli/main';
import { loadGemeenten } from '../../src/model/gemeenten';
import { cleanup, fakeIo, MINIMAL_SETTINGS, scratchCwd, tmpInventory } from '../helpers/tmp-inventory';

/**
 * The refusals of writers and exporters on inventories that do not validate, what validate itself now checks (intent
 * checks, supplier records, NAPTR, documentation ranges), and parallel onboarding under the ledger lock.
 */

const EXAMPLE = path.resolve(__dirname, '../../inventory');
const dirs: string[] = [];
afterAll(() => dirs.forEach(cleanup));

/** The example inventory copied, with edits (file → text transform). */
function example(edits: Record<string, (t: string) => string> = {}): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ggi-hardening-'));
  dirs.push(dir);
  fs.cpSync(EXAMPLE, dir, { recursive: true });
  for (const [rel, f] of Object.entries(edits)) {
    const p = path.join(dir, rel);
    const before = fs.existsSync(p) ? fs.readFileSync(p, 'utf8') : '';
    const after = f(before);
    expect(after).not.toBe(before);
    fs.writeFileSync(p, after);
  }
  return dir;
}

async function ggi(...argv: string[]) {
  const f = fakeIo({ GGI_OPERATOR: 'test@example.org' });
  const code = await main(argv, f.io);
  return { code, stdout: f.stdout(), stderr: f.stderr() };
}

/** Every file below a folder with its content, to show that a refused command changed nothing. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[path.relative(dir, p)] = fs.readFileSync(p, 'utf8');
    }
  };
  walk(dir);
  return out;
}

const DUPLICATE_46 = (t: string) =>
  t.replace('  - prefix: 2a07:3500:158::/46\n', '  - prefix: 2a07:3500:158::/46\n    organisation: GM0014\n    category: reserve\n    status: allocated\n    source: ggi\n    by: test\n    at: 2026-01-01T00:00:00Z\n  - prefix: 2a07:3500:158::/46\n');
const GUARDRAIL_BROKEN = (t: string) => t.replace('to: { services: [belastingportaal] }', 'to: { zone: overheid }');

describe('writers and exporters refuse an inventory that does not validate (exit 1, findings, nothing written)', () => {
  it.each(['ripe', 'arpa', 'csv'])('ipv6 export %s with one /46 entered for two organisations', async (what) => {
    const dir = example({ 'ipv6/ledger.yaml': DUPLICATE_46 });
    const r = await ggi('ipv6', 'export', what, '--inventory', dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/IPV6_OVERLAP/);
    expect(r.stderr).toMatch(/does not validate/);
  });

  it('onboard with an emptied ledger hands nothing out', async () => {
    const dir = example({ 'ipv6/ledger.yaml': () => '' });
    const before = snapshot(dir);
    const r = await ggi('onboard', 'GM0200', '--name', 'Apeldoorn', '--inventory', dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/does not validate/);
    expect(snapshot(dir)).toEqual(before);
  });

  it('ipv6 allocate and release refuse while any check finds an error', async () => {
    const dir = example({ 'policy/20-markt.yaml': GUARDRAIL_BROKEN });
    const before = snapshot(dir);
    const a = await ggi('ipv6', 'allocate', 'GM0546', '--category', 'reserve', '--inventory', dir);
    const b = await ggi('ipv6', 'release', 'GM0546', '--prefix', '2a07:3500:158::/46', '--reason', 'test', '--inventory', dir);
    for (const r of [a, b]) {
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/GUARDRAIL_VIOLATION/);
    }
    expect(snapshot(dir)).toEqual(before);
  });

  it('policy export capirca refuses a policy that breaks a guardrail', async () => {
    const dir = example({ 'policy/20-markt.yaml': GUARDRAIL_BROKEN });
    const out = path.join(dir, '..', `${path.basename(dir)}-capirca`);
    dirs.push(out);
    const r = await ggi('policy', 'export', 'capirca', '--out', out, '--inventory', dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/GUARDRAIL_VIOLATION/);
    expect(fs.existsSync(out)).toBe(false);
  });

  it('plan refuses (before any connection) while a guardrail is broken', async () => {
    const dir = example({ 'policy/20-markt.yaml': GUARDRAIL_BROKEN });
    const r = await ggi('plan', '--inventory', dir, '--state', path.join(dir, '.state'), '--cloud-baseline', 'none', '--connect-timeout', '1');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/GUARDRAIL_VIOLATION/);
    expect(r.stderr).not.toMatch(/unreachable|connect/i);
  });
});

describe('validate', () => {
  it('runs the intent checks: an inventory whose devices cannot be built does not validate', async () => {
    const dir = example({ 'devices/backbone.yaml': (t) => t.replaceAll('role: border-markt', 'role: radius') });
    const r = await ggi('validate', '--inventory', dir, '--format', 'json');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).findings.map((f: { code: string }) => f.code)).toContain('INTENT_NO_BORDER');
  });

  it('a signing date in the future does not count as signed', async () => {
    const dir = example({ 'organisations/lv0001.yaml': (t) => t.replace('date: 2025-03-14', 'date: 2099-03-14') });
    const r = await ggi('validate', '--inventory', dir, '--format', 'json');
    expect(r.code).toBe(1);
    const codes = JSON.parse(r.stdout).findings.map((f: { code: string }) => f.code);
    expect(codes).toContain('GGI_MARKT_UNSIGNED');
    expect(codes).toContain('GGI_AFSPRAKEN_FUTURE');
  });

  describe('a supplier in overheid only as a recorded Diginetwerk Derde', () => {
    const inOverheid = (t: string) => t.replace('    zone: markt\n    provider: LV0002', '    zone: overheid\n    provider: LV0002');
    it('without the record: SUPPLIER_IN_OVERHEID', async () => {
      const r = await ggi('validate', '--inventory', example({ 'services/markt.yaml': inOverheid }), '--format', 'json');
      expect(JSON.parse(r.stdout).findings.map((f: { code: string }) => f.code)).toContain('SUPPLIER_IN_OVERHEID');
    });
    it('with the record (accepted by an Afnemer, on a date): no SUPPLIER_IN_OVERHEID', async () => {
      const dir = example({ 'services/markt.yaml': inOverheid, 'organisations/lv0002.yaml': (t) => `${t}diginetwerkDerde: { acceptedBy: GM0546, date: 2026-02-01, reference: DN-2026-17 }\n` });
      const r = await ggi('validate', '--inventory', dir, '--format', 'json');
      const codes: string[] = JSON.parse(r.stdout).findings.map((f: { code: string }) => f.code);
      expect(codes).not.toContain('SUPPLIER_IN_OVERHEID');
      // The record is part of the layout, and the checks behind the schema ran (the markt rules now reach overheid).
      expect(codes.filter((c) => c.startsWith('SCHEMA'))).toEqual([]);
      expect(codes).toContain('GUARDRAIL_VIOLATION');
    });
    it('accepted by a supplier instead of an Afnemer: an error', async () => {
      const dir = example({ 'services/markt.yaml': inOverheid, 'organisations/lv0002.yaml': (t) => `${t}diginetwerkDerde: { acceptedBy: LV0001, date: 2026-02-01 }\n` });
      const r = await ggi('validate', '--inventory', dir, '--format', 'json');
      expect(JSON.parse(r.stdout).findings.map((f: { code: string }) => f.code)).toContain('DIGINETWERK_DERDE_ACCEPTED_BY');
    });
  });

  it("accepts RFC 7585's _radiustls._tcp. NAPTR target as well as _radsec._tcp.", async () => {
    const dir = example({ 'govroam.yaml': (t) => t.replace(/_radsec\._tcp\./g, '_radiustls._tcp.') });
    const r = await ggi('validate', '--inventory', dir, '--format', 'json');
    expect(JSON.parse(r.stdout).findings.filter((f: { code: string }) => f.code === 'GOVROAM_REALM')).toEqual([]);
    const bad = example({ 'govroam.yaml': (t) => t.replace(/_radsec\._tcp\./g, '_sip._tcp.') });
    expect(JSON.parse((await ggi('validate', '--inventory', bad, '--format', 'json')).stdout).findings.map((f: { code: string }) => f.code)).toContain('GOVROAM_REALM');
  });

  it('documentation ranges are Diginetwerk addresses only under the lab profile or with diginetwerk.documentationAddresses', async () => {
    const dir = example({ 'ggi.yaml': (t) => t.replace(/\n {2}documentationAddresses: true/, '') });
    const prod = JSON.parse((await ggi('validate', '--inventory', dir, '--format', 'json')).stdout);
    const hits = prod.findings.filter((f: { code: string }) => f.code === 'DIGINETWERK_PRIVATE_ADDRESS');
    expect(hits.length).toBeGreaterThan(0);
    expect(hits[0].message).toMatch(/documentation space/);
    const lab = JSON.parse((await ggi('validate', '--inventory', dir, '--profile', 'lab', '--format', 'json')).stdout);
    expect(lab.findings.filter((f: { code: string }) => f.code === 'DIGINETWERK_PRIVATE_ADDRESS')).toEqual([]);
  });
});

describe('onboard, ipv6 allocate and release: refusals of their own', () => {
  it("--zones '' is a usage error", async () => {
    const r = await ggi('onboard', 'GM0200', '--name', 'Apeldoorn', '--zones', '', '--inventory', example());
    expect(r.code).toBe(2);
  });

  it('an unsigned supplier is onboarded without a connection point, and the result validates', async () => {
    const dir = example();
    const r = await ggi('onboard', 'LV0004', '--name', 'Nieuw B.V.', '--inventory', dir);
    expect(r.code).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'organisations/lv0004.yaml'), 'utf8')).not.toMatch(/connectionPoint/);
    expect((await ggi('validate', '--inventory', dir)).code).toBe(0);
    const refused = await ggi('onboard', 'LV0005', '--name', 'Later B.V.', '--signed', '2099-01-01', '--zones', 'markt', '--inventory', dir);
    expect(refused.code).toBe(1);
    expect(fs.existsSync(path.join(dir, 'organisations/lv0005.yaml'))).toBe(false);
  });

  it('ipv6 allocate gives an unsigned supplier no markt category', async () => {
    const dir = example();
    const before = snapshot(dir);
    const r = await ggi('ipv6', 'allocate', 'LV0003', '--category', 'besloten', '--inventory', dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/GGI_MARKT_UNSIGNED/);
    expect(snapshot(dir)).toEqual(before);
  });

  it('ipv6 release of a prefix that a segment still uses is refused', async () => {
    const dir = example();
    const before = snapshot(dir);
    const r = await ggi('ipv6', 'release', 'GM0546', '--prefix', '2a07:3500:154::/46', '--reason', 'test', '--inventory', dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/IPV6_IN_USE.*segment 'kantoor'/);
    expect(snapshot(dir)).toEqual(before);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Parallel onboarding: real processes, as in test/ipv6/concurrency.test.ts.

const HARNESS = path.join(__dirname, '..', 'ipv6', 'harness', 'cli-child.js');

function child(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [HARNESS, ...args], { cwd: scratchCwd(), env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('parallel onboard', () => {
  const BORDERS = `devices:
  - { id: border-overheid, role: border-overheid, routerId: 198.51.100.1, asn: 64500, management: { address: 198.19.0.4, hostKey: "SHA256:${'B'.repeat(43)}" } }
  - { id: border-markt, role: border-markt, routerId: 198.51.100.2, asn: 64500, management: { address: 198.19.0.2, hostKey: "SHA256:${'C'.repeat(43)}" } }
`;
  let dir: string;
  let cache: string;
  beforeAll(async () => {
    dir = tmpInventory({ 'ggi.yaml': MINIMAL_SETTINGS.replace('  ipv6: 2001:db8:ffff::/48\n', '  ipv6: 2001:db8:ffff::/48\n  managementIpv4: 198.19.0.0/16\n'), 'devices/backbone.yaml': BORDERS });
    dirs.push(dir);
    cache = fs.mkdtempSync(path.join(os.tmpdir(), 'ggi-swc-cache-'));
    dirs.push(cache);
    const warm = await child(['validate', '--inventory', dir], { GGI_TEST_SWC_CACHE: cache });
    if (warm.code !== 0) throw new Error(`the inventory of this test does not validate: ${warm.stdout}${warm.stderr}`);
  });

  it('ten gemeenten at once: ten distinct management addresses, ASNs and prefixes, and the result validates', async () => {
    const gemeenten = loadGemeenten().slice(0, 10);
    const runs = await Promise.all(
      gemeenten.map((g, i) =>
        child(['onboard', g.code, '--name', g.name, '--host-key', `SHA256:${String.fromCharCode(68 + i).repeat(43)}`, '--format', 'json', '--inventory', dir], { GGI_OPERATOR: `proc-${i}`, GGI_TEST_SWC_CACHE: cache }),
      ),
    );
    for (const r of runs) expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    const files = gemeenten.map((g) => fs.readFileSync(path.join(dir, 'organisations', `${g.code.toLowerCase()}.yaml`), 'utf8'));
    const mgmt = files.map((t) => /address: (\S+)/.exec(t)![1]);
    const asns = files.map((t) => /asn: (\d+)/.exec(t)![1]);
    expect(new Set(mgmt).size).toBe(10);
    expect(new Set(asns).size).toBe(10);
    const prefixes = runs.flatMap((r) => JSON.parse(r.stdout).prefixes.map((p: { prefix: string }) => p.prefix));
    expect(new Set(prefixes).size).toBe(prefixes.length);
    const v = await child(['validate', '--inventory', dir, '--format', 'json'], { GGI_TEST_SWC_CACHE: cache });
    expect(JSON.parse(v.stdout).findings.filter((f: { severity: string }) => f.severity === 'error')).toEqual([]);
  });
});
