import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../../src/cli/main';
import { cleanup, fakeIo } from '../helpers/tmp-inventory';
import { fixtureInventory, GOVROAM, withCbsIds, IDP_SECRET_ENV, NAS_SECRET_ENV } from './fixture';

const SECRETS = { [NAS_SECRET_ENV]: 'nas-Secret-\u00e9#1', [IDP_SECRET_ENV]: 'idp "secret" 42', GOVROAM_NAS_SECRET_GM0003: 'third one' };
const dirs: string[] = [];
afterAll(() => dirs.forEach(cleanup));

function inventory(govroam?: string): string {
  const d = fixtureInventory(govroam ? { govroam } : {});
  withCbsIds(d);
  dirs.push(d);
  return d;
}
function outDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'ggi-govroam-out-'));
  dirs.push(d);
  return path.join(d, 'out');
}
async function run(args: string[], env: NodeJS.ProcessEnv = SECRETS) {
  const io = fakeIo(env);
  const code = await main(args, io.io);
  return { code, stdout: io.stdout(), stderr: io.stderr() };
}
function expectNoSecrets(...texts: string[]): void {
  for (const t of texts) for (const v of Object.values(SECRETS)) expect(t).not.toContain(v);
}

describe('ggi govroam check', () => {
  it('passes the fixture federation (text and json)', async () => {
    const inv = inventory();
    const text = await run(['govroam', 'check', '--inventory', inv]);
    expect(text).toMatchObject({ code: 0, stderr: '' });
    expect(text.stdout).toBe('govroam: 3 participant(s), 0 finding(s)\n');
    const json = await run(['govroam', 'check', '--inventory', inv, '--format', 'json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({ ok: true, findings: [], participants: 3 });
  });

  it('exits 1 with located findings when a rule is broken', async () => {
    const inv = inventory(GOVROAM.replace('logRetentionDays: 365', 'logRetentionDays: 30'));
    const r = await run(['govroam', 'check', '--inventory', inv, '--format', 'json']);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(doc.ok).toBe(false);
    const line = fs.readFileSync(path.join(inv, 'govroam.yaml'), 'utf8').split('\n').findIndex((l) => l.includes('logRetentionDays: 30')) + 1;
    expect(doc.findings).toEqual([expect.objectContaining({ severity: 'error', code: 'GOVROAM_LOG_RETENTION', line, file: expect.stringMatching(/govroam\.yaml$/) })]);
    const text = await run(['govroam', 'check', '--inventory', inv]);
    expect(text.stdout).toMatch(new RegExp(`govroam\\.yaml:${line}:\\d+: error GOVROAM_LOG_RETENTION`));
  });

  it('reports an unknown flag as a usage error', async () => {
    expect((await run(['govroam', 'check', '--inventory', inventory(), '--bogus'])).code).toBe(2);
  });
});

describe('ggi govroam render', () => {
  it('writes every file, secrets only into owner-only files, never to the terminal', async () => {
    const out = outDir();
    const r = await run(['govroam', 'render', '--inventory', inventory(), '--out', out, '--tls-dir', '/etc/ggi/tls']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/wrote 14 file\(s\)/);
    expectNoSecrets(r.stdout, r.stderr);
    const sp = fs.readFileSync(path.join(out, 'gm0014/radsecproxy.conf'), 'utf8');
    expect(sp).toContain('CACertificateFile /etc/ggi/tls/ca.pem');
    expect(sp).toContain('secret nas-Secret-%C3%A9%231');
    expect(fs.statSync(path.join(out, 'gm0014/radsecproxy.conf')).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.join(out, 'gm0034/freeradius/radius-1/clients.conf')).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.join(out, 'naptr.zone')).mode & 0o777).toBe(0o644);
    expect(fs.readFileSync(path.join(out, 'gm0034/freeradius/radius-1/clients.conf'), 'utf8')).toContain('secret = "idp \\"secret\\" 42"');
    // Rendering again gives the same files (idempotent).
    const before = fs.readFileSync(path.join(out, 'nlrs/radsecproxy.conf'), 'utf8');
    expect((await run(['govroam', 'render', '--inventory', inventory(), '--out', out, '--tls-dir', '/etc/ggi/tls'])).code).toBe(0);
    expect(fs.readFileSync(path.join(out, 'nlrs/radsecproxy.conf'), 'utf8')).toBe(before);
  });

  it('prints one JSON document with --format json', async () => {
    const r = await run(['govroam', 'render', '--inventory', inventory(), '--out', outDir(), '--format', 'json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.files).toContainEqual({ path: 'gm0014/radsecproxy.conf', mode: '0600' });
    expect(doc.findings).toEqual([]);
    expectNoSecrets(r.stdout, r.stderr);
  });

  it('names a missing secret by its environment variable, without a stack trace or any secret', async () => {
    const { [IDP_SECRET_ENV]: _gone, ...rest } = SECRETS;
    const out = outDir();
    const r = await run(['govroam', 'render', '--inventory', inventory(), '--out', out], rest);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`a secret is not set or not readable: environment variable ${IDP_SECRET_ENV}\n`));
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expectNoSecrets(r.stdout, r.stderr);
    expect(fs.existsSync(out)).toBe(false);
  });

  it('refuses to render while govroam.yaml has errors', async () => {
    const r = await run(['govroam', 'render', '--inventory', inventory(GOVROAM.replace('ssid: govroam', 'ssid: open-wifi')), '--out', outDir()]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/error GOVROAM_SSID/);
    expect(r.stderr).toMatch(/does not validate.*nothing was written/);
  });

  it('keeps secrets out of findings: a secret that is wrongly written inline is reported by reference only', async () => {
    const leaked = GOVROAM.replace('secret: { env: GGI_TEST_IDP_RADIUS_SECRET } }\n    logRetentionDays: 365', 'secret: "idp \\"secret\\" 42" }\n    logRetentionDays: 365');
    const r = await run(['govroam', 'check', '--inventory', inventory(leaked)]);
    expect(r.code).toBe(1);
    expectNoSecrets(r.stdout, r.stderr);
  });
});
