import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { govroamPlan, GovroamRenderError, radsecproxyString, realmRegex, renderGovroam, renderNaptr, type RenderedFile, type SecretResolver } from '../../src/govroam';
import { loadInventory } from '../../src/model/load';
import type { Inventory } from '../../src/model/inventory';
import { cleanup } from '../helpers/tmp-inventory';
import { ADDR, fixtureInventory, IDP_SECRET_ENV, NAS_SECRET_ENV } from './fixture';
import { makePki } from './pki';
import { need, testWith, unmet } from '../helpers/prereq';

const SECRETS: Record<string, string> = {
  [IDP_SECRET_ENV]: 'idp s3cr#t "x" %41 \'q\'',
  [NAS_SECRET_ENV]: 'nas-Secret-1',
  GOVROAM_NAS_SECRET_GM0003: 'nas three',
};
const resolve: SecretResolver = (ref) => ('env' in ref ? SECRETS[ref.env] ?? null : null);
const dirs: string[] = [];
afterAll(() => dirs.forEach(cleanup));

function load(opts: Parameters<typeof fixtureInventory>[0] = {}): Inventory {
  const dir = fixtureInventory(opts);
  dirs.push(dir);
  const { inventory, findings } = loadInventory(dir);
  if (!inventory) throw new Error(JSON.stringify(findings));
  return inventory;
}

function render(inv: Inventory, logDir = '/var/log/radsecproxy', tlsDir = '/etc/radsecproxy/tls'): Map<string, RenderedFile> {
  const files = renderGovroam(inv, resolve, { tls: { caFile: `${tlsDir}/ca.pem`, certFile: `${tlsDir}/cert.pem`, keyFile: `${tlsDir}/key.pem` }, logDestination: `${logDir}/radsecproxy.log` });
  return new Map(files.map((f) => [f.path, f]));
}

/** The lines of one block (`kind name {` … `}`) of a radsecproxy file, trimmed; null when absent. */
function block(text: string, header: string): string[] | null {
  const lines = text.split('\n');
  const i = lines.findIndex((l) => l.trim() === `${header} {`);
  if (i < 0) return null;
  const j = lines.indexOf('}', i);
  return lines.slice(i + 1, j).map((l) => l.trim());
}

describe('radsecproxy rendering', () => {
  const inv = load();
  const files = render(inv);

  it('renders one radsecproxy.conf per participant, the lab NLRS, FreeRADIUS for UDP home servers and NAPTR', () => {
    expect([...files.keys()].sort()).toEqual([
      'gm0001/logrotate/radsecproxy',
      'gm0001/radsecproxy.conf',
      'gm0002/freeradius/radius-1/README',
      'gm0002/freeradius/radius-1/clients.conf',
      'gm0002/freeradius/radius-1/proxy.conf',
      'gm0002/logrotate/radsecproxy',
      'gm0002/radsecproxy.conf',
      'gm0003/freeradius/radius-1/README',
      'gm0003/freeradius/radius-1/clients.conf',
      'gm0003/freeradius/radius-1/proxy.conf',
      'gm0003/logrotate/radsecproxy',
      'gm0003/radsecproxy.conf',
      'naptr.zone',
      'nlrs/radsecproxy.conf',
    ]);
    // Files with secrets are owner-only.
    expect(files.get('gm0002/radsecproxy.conf')!.mode).toBe(0o600);
    expect(files.get('gm0002/freeradius/radius-1/clients.conf')!.mode).toBe(0o600);
  });

  it('sends an SP\'s foreign realms to the NLRS over RadSec and stamps Operator-Name on requests from its access points', () => {
    const sp = files.get('gm0001/radsecproxy.conf')!.content;
    expect(block(sp, 'realm *')).toEqual(['server nlrs-nl-1', 'accountingResponse on']);
    expect(block(sp, 'server nlrs-nl-1')).toEqual(expect.arrayContaining([`host ${ADDR.nlrs}`, 'port 2083', 'type tls', 'tls govroam']));
    expect(block(sp, 'client nas-aps')).toEqual(expect.arrayContaining(['host 192.0.2.0/24', 'type udp', 'secret nas-Secret-1', 'RewriteIn operator-gm0001']));
    expect(block(sp, 'rewrite operator-gm0001')).toEqual(["SupplementAttribute 126:'1sp.example", "SupplementAttribute 89:'%00"]);
    // An SP-only proxy does not accept RadSec from the NLRS.
    expect(sp).not.toMatch(/ListenTLS/);
    expect(block(sp, 'client nlrs-nl-1')).toBeNull();
  });

  it('sends an IdP\'s own realms to its home servers and refuses the rest', () => {
    const idp = files.get('gm0002/radsecproxy.conf')!.content;
    expect(block(idp, `realm ${realmRegex('idp.example')}`)).toEqual(['server idp-radius-1', 'accountingResponse on']);
    expect(block(idp, 'realm *')).toEqual(['replyMessage "unknown realm"', 'accountingResponse on']);
    expect(block(idp, 'client nlrs-nl-1')).toEqual(['host 198.51.100.2', 'type tls', 'tls govroam']);
    expect(block(idp, 'server idp-radius-1')).toContain(`secret ${radsecproxyString(SECRETS[IDP_SECRET_ENV])}`);
    expect(idp).not.toMatch(/ListenUDP/);
  });

  it('answers accounting locally and never forwards it, even when govroam.yaml asks to', () => {
    const text = fs.readFileSync(path.join(inv.dir, 'govroam.yaml'), 'utf8').replace('logRetentionDays: 180\n', 'logRetentionDays: 180\n    forwardAccounting: true\n');
    const forwarded = render(load({ govroam: text }));
    expect(forwarded.get('gm0001/radsecproxy.conf')!.content).toContain('accountingResponse on');
    for (const f of [...files.values(), ...forwarded.values()].filter((x) => x.path.endsWith('radsecproxy.conf'))) {
      expect(f.content).not.toMatch(/accountingServer/i);
      const realms = f.content.split('\n').filter((l) => l.startsWith('realm ')).length;
      expect(f.content.match(/^ {4}accountingResponse on$/gm)?.length).toBe(realms);
    }
  });

  it('routes each IdP realm at the lab NLRS to that participant and rejects unknown realms', () => {
    const n = files.get('nlrs/radsecproxy.conf')!.content;
    expect(block(n, `realm ${realmRegex('idp.example')}`)).toEqual(['server gm0002', 'accountingResponse on']);
    expect(block(n, `realm ${realmRegex('staff.both.example')}`)).toEqual(['server gm0003', 'accountingResponse on']);
    expect(block(n, 'client gm0001')).toEqual([`host ${ADDR.sp}`, 'type tls', 'tls govroam']);
    expect(block(n, 'server gm0001')).toBeNull();
    expect(block(n, 'realm *')).toEqual(['replyMessage "unknown realm"', 'accountingResponse on']);
  });

  it('writes IPv6 clients in brackets', () => {
    expect(block(files.get('gm0003/radsecproxy.conf')!.content, 'client nas-controllers-v6')).toContain('host [2001:db8:3::]/64');
  });

  it('escapes secrets so that any character survives', () => {
    expect(radsecproxyString('a b#"c%\'')).toBe('a%20b%23%22c%25%27');
    expect(radsecproxyString('plain-Secret_1.2')).toBe('plain-Secret_1.2');
    expect(realmRegex('a.b-c.example')).toBe('/@a\\.b-c\\.example$/');
  });

  /** The message of the GovroamRenderError that rendering with `resolver` throws. */
  function renderError(resolver: SecretResolver): string {
    try {
      renderGovroam(inv, resolver, { tls: { caFile: 'a', certFile: 'b', keyFile: 'c' } });
    } catch (e) {
      expect(e).toBeInstanceOf(GovroamRenderError);
      return (e as Error).message;
    }
    throw new Error('rendering did not fail');
  }

  it('names a missing secret by its reference, never printing any secret', () => {
    const without: SecretResolver = (ref) => ('env' in ref && ref.env === NAS_SECRET_ENV ? null : resolve(ref));
    const message = renderError(without);
    expect(message).toContain(NAS_SECRET_ENV);
    for (const v of Object.values(SECRETS)) expect(message).not.toContain(v);
  });

  it('names every missing secret in one error, sorted', () => {
    const message = renderError(() => null);
    expect(message).toMatch(/^\d+ secrets are not set or not readable: /);
    const named = message.replace(/^[^:]*: /, '').split(', ');
    expect(named).toEqual([...named].sort());
    expect(named).toEqual(expect.arrayContaining([`environment variable ${NAS_SECRET_ENV}`, `environment variable ${IDP_SECRET_ENV}`]));
  });

  it('refuses a secret FreeRADIUS cannot hold (a backslash), naming the reference only', () => {
    const bs: SecretResolver = (ref) => ('env' in ref && ref.env === IDP_SECRET_ENV ? 'back\\slash' : resolve(ref));
    expect(() => renderGovroam(inv, bs, { tls: { caFile: 'a', certFile: 'b', keyFile: 'c' } })).toThrow(new RegExp(`${IDP_SECRET_ENV}\\) contains a backslash`));
  });

  it('writes NAPTR records per realm (RFC 7585)', () => {
    expect(renderNaptr(inv)).toBe('idp.example. IN NAPTR 100 10 "S" "x-govroam:radius.tls" "" _radsec._tcp.idp.example.\n');
  });

  it('takes proxy addresses as declared or from devices, and access points from nas', () => {
    const plan = govroamPlan(inv)!;
    expect(plan.participants.map((p) => [p.organisation, p.proxyAddress, p.nas.map((x) => x.host)])).toEqual([
      ['GM0001', ADDR.sp, ['192.0.2.0/24']],
      ['GM0002', ADDR.idp, []],
      ['GM0003', ADDR.both, ['203.0.113.128/27', '2001:db8:3::/64']],
    ]);
  });
});

describe('rendered files pass the real tools', () => {
  testWith(unmet(need.command('radsecproxy'), need.command('openssl')), 'radsecproxy -c FILE -p accepts every rendered radsecproxy.conf (and rejects a broken one)', () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ggi-govroam-'));
    dirs.push(tmp);
    const pki = makePki(tmp, ['198.51.100.1']);
    fs.copyFileSync(pki.certs.get('198.51.100.1')!.cert, path.join(tmp, 'cert.pem'));
    fs.copyFileSync(pki.certs.get('198.51.100.1')!.key, path.join(tmp, 'key.pem'));
    const files = render(load(), tmp, tmp);
    const confs = [...files.values()].filter((f) => f.path.endsWith('radsecproxy.conf'));
    expect(confs).toHaveLength(4);
    const check = (text: string, name: string) => {
      const file = path.join(tmp, name);
      fs.writeFileSync(file, text, { mode: 0o600 });
      return spawnSync('radsecproxy', ['-c', file, '-p', '-f'], { encoding: 'utf8', timeout: 30000 });
    };
    for (const f of confs) {
      const r = check(f.content, f.path.replace(/\//g, '_'));
      expect({ file: f.path, status: r.status, out: r.status === 0 ? '' : r.stdout + r.stderr }).toEqual({ file: f.path, status: 0, out: '' });
      expect(r.stdout + r.stderr).toContain('All OK so far');
    }
    const broken = check(files.get('gm0001/radsecproxy.conf')!.content.replace('accountingResponse on', 'accountingResponse maybe'), 'broken.conf');
    expect(broken.status).not.toBe(0);
  });

  const debian = '/etc/freeradius/3.0';
  const freeradiusReady = unmet(need.command('freeradius'), need.that(fs.existsSync(path.join(debian, 'radiusd.conf')) && readable(path.join(debian, 'radiusd.conf')), 'a readable /etc/freeradius/3.0'));
  testWith(freeradiusReady, 'freeradius -C accepts the FreeRADIUS pieces in a copy of Debian\'s /etc/freeradius/3.0 (and rejects a broken one)', () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ggi-freeradius-'));
    dirs.push(tmp);
    // FreeRADIUS drops to user freerad before it checks module files: it must be able to walk into the copy.
    fs.chmodSync(tmp, 0o755);
    const files = render(load());
    const servers = [...files.keys()].filter((k) => k.endsWith('/clients.conf')).map((k) => path.dirname(k));
    expect(servers).toEqual(['gm0002/freeradius/radius-1', 'gm0003/freeradius/radius-1']);
    const checkTree = (name: string, clients: string, proxy: string) => {
      const d = path.join(tmp, name);
      // cp -a keeps Debian's symlinks (users -> mods-config/files/authorize, mods-enabled/*) and owners.
      const cp = spawnSync('cp', ['-a', debian, d]);
      if (cp.status !== 0) throw new Error(`cp -a ${debian} failed`);
      fs.writeFileSync(path.join(d, 'clients.conf'), clients);
      fs.writeFileSync(path.join(d, 'proxy.conf'), proxy);
      // -C checks and exits; -X makes it say why on failure.
      return spawnSync('freeradius', ['-CX', '-d', d], { encoding: 'utf8', timeout: 60000 });
    };
    for (const s of servers) {
      const r = checkTree(s.replace(/\//g, '_'), files.get(`${s}/clients.conf`)!.content, files.get(`${s}/proxy.conf`)!.content);
      expect({ server: s, status: r.status, out: r.status === 0 ? '' : (r.stdout + r.stderr).split('\n').slice(-15).join('\n') }).toEqual({ server: s, status: 0, out: '' });
      expect(r.stdout).toContain('Configuration appears to be OK');
    }
    const bad = checkTree('broken', files.get(`${servers[0]}/clients.conf`)!.content.replace('ipaddr =', 'ipaddr = not-an-address'), files.get(`${servers[0]}/proxy.conf`)!.content);
    expect(bad.status).not.toBe(0);
  });
});

function readable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.R_OK);
    return true;
  } catch {
    return false;
  }
}
