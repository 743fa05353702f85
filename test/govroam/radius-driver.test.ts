import * as path from 'node:path';
import { secretChangedPlaceholder, secretPlaceholder, StepError, type ActualState } from '../../src/devices/contract';
import { radiusDriver } from '../../src/devices/radius';
import { deriveSecrets, DERIVED, ROOT_PLACEHOLDER, type RadiusChecks } from '../../src/devices/radius/render';
import { allValues, diffRadius, fill, maskActual, radiusRoot } from '../../src/devices/radius/session';
import { labRadiusIntents, proxyIntentFor } from '../../src/govroam/intent';
import { loadInventory } from '../../src/model/load';

const inv = loadInventory(path.resolve(__dirname, '../../inventory'), { profile: 'lab' }).inventory!;
const proxy = { id: 'radius-gm0363', radius: proxyIntentFor(inv, 'radius-gm0363')! };
const home = labRadiusIntents(inv).find((x) => x.radius.kind === 'home' && x.radius.name === 'gm0363')!;
const nlrs = labRadiusIntents(inv).find((x) => x.radius.kind === 'nlrs')!;

const NAS = 'nas "secret" #1 %41';
const HOME = 'home s3cret "q"';
const KEY = '-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49\n-----END PRIVATE KEY-----\n';

function proxySecrets(): Map<string, string> {
  const c = radiusDriver.render(proxy as never);
  const m = new Map<string, string>();
  for (const u of c.secrets) m.set(u.id, u.id.includes('nas') ? NAS : u.id.startsWith('radius/tls') ? (u.id === 'radius/tls-key' ? KEY : `${u.id} pem\n`) : HOME);
  return m;
}

describe('radius driver: render', () => {
  test('a participant proxy: radsecproxy.conf, its RadSec files and the health secret; secrets only as placeholders', () => {
    const c = radiusDriver.render(proxy as never);
    expect(c.platform).toBe('radius');
    expect(c.documents.map((d) => d.name)).toEqual(['health.secret', 'radsecproxy.conf', 'tls/ca.pem', 'tls/cert.pem', 'tls/key.pem']);
    const conf = c.documents.find((d) => d.name === 'radsecproxy.conf')!;
    expect(conf.content).toContain(`secret ${secretPlaceholder('radius/nas-wlan-controllers')}`);
    expect(conf.content).toContain(`secret ${secretPlaceholder(DERIVED.health)}`);
    expect(conf.content).toContain(`CertificateKeyFile ${ROOT_PLACEHOLDER}/etc/radsecproxy/tls/key.pem`);
    expect(conf.content).toMatch(/^ListenUDP 127\.0\.0\.1:18123$/m);
    expect(conf.secrets).toEqual(['radius/idp-radius-1', 'radius/nas-wlan-controllers']);
    expect(c.secrets.map((s) => [s.id, s.ref])).toEqual([
      ['radius/idp-radius-1', { env: 'GOVROAM_SECRET_GM0363' }],
      ['radius/nas-wlan-controllers', { env: 'GOVROAM_NAS_SECRET_GM0363' }],
      ['radius/tls-ca', { env: 'GGI_RADSEC_CA' }],
      ['radius/tls-cert', { env: 'GGI_RADSEC_CERT_RADIUS_GM0363' }],
      ['radius/tls-key', { env: 'GGI_RADSEC_KEY_RADIUS_GM0363' }],
    ]);
    // Pure: the same intent gives the same bytes.
    expect(JSON.stringify(radiusDriver.render(proxy as never))).toBe(JSON.stringify(c));
  });

  test('a home server: the FreeRADIUS files, listening on its own address, CUI and logging; an NLRS binds its address', () => {
    const c = radiusDriver.render(home as never);
    expect(c.documents.map((d) => d.name)).toEqual([
      'freeradius/clients.conf',
      'freeradius/mods-enabled/ggi_authlog',
      'freeradius/policy.d/ggi-govroam',
      'freeradius/proxy.conf',
      'freeradius/sites-enabled/default',
      'freeradius/sites-enabled/inner-tunnel',
      'health.secret',
    ]);
    expect(c.secrets.map((s) => s.id)).toEqual(['radius/idp-radius-1']);
    expect(c.documents.find((d) => d.name === 'freeradius/sites-enabled/default')!.content).toContain(`ipaddr = ${home.radius.address}`);
    expect(c.documents.find((d) => d.name === 'freeradius/policy.d/ggi-govroam')!.content).toContain(`ggi_cui_key = "${secretPlaceholder(DERIVED.cuiKey)}"`);
    const n = radiusDriver.render(nlrs as never).documents.find((d) => d.name === 'radsecproxy.conf')!.content;
    expect(n).toMatch(new RegExp(`^ListenTLS ${nlrs.radius.address!.replace(/\./g, '\\.')}:2083$`, 'm'));
  });

  test('a device of platform radius without govroam data is refused with a message', () => {
    expect(() => radiusDriver.render({ id: 'radius-x' } as never)).toThrow(/no govroam part/);
  });
});

describe('radius driver: secrets at staging, masked when read', () => {
  const c = radiusDriver.render(proxy as never);
  const checks = c.checks as RadiusChecks;
  const conf = checks.documents.find((d) => d.name === 'radsecproxy.conf')!;
  const text = c.documents.find((d) => d.name === 'radsecproxy.conf')!.content;
  const values = allValues(checks, proxySecrets());

  test('fill writes each secret escaped for its syntax and the device root; derived secrets come from the key', () => {
    const out = fill(conf, text, values, '/var/run/frr/ggi-x/radius');
    expect(out).toContain('secret nas%20%22secret%22%20%231%20%2541');
    expect(out).toContain(`secret ${deriveSecrets(KEY).get(DERIVED.health)}`);
    expect(out).toContain('CertificateKeyFile /var/run/frr/ggi-x/radius/etc/radsecproxy/tls/key.pem');
    expect(out).not.toMatch(/@@ggi-/);
  });

  test('fill refuses a missing secret and one FreeRADIUS cannot hold, naming the id, never the value', () => {
    const missing = new Map(values);
    missing.delete('radius/nas-wlan-controllers');
    expect(() => fill(conf, text, missing, '')).toThrow(StepError);
    expect(() => fill(conf, text, missing, '')).toThrow(/radius\/nas-wlan-controllers of radsecproxy.conf is not available/);
    const h = radiusDriver.render(home as never);
    const hc = (h.checks as RadiusChecks).documents.find((d) => d.name === 'freeradius/clients.conf')!;
    const bad = allValues(h.checks as RadiusChecks, new Map([['radius/idp-radius-1', 'back\\slash-value']]));
    expect(() => fill(hc, h.documents.find((d) => d.name === 'freeradius/clients.conf')!.content, bad, '')).toThrow(/backslash/);
    try {
      fill(hc, h.documents.find((d) => d.name === 'freeradius/clients.conf')!.content, bad, '');
    } catch (e) {
      expect((e as Error).message).not.toContain('back\\slash-value');
    }
  });

  test('maskActual turns what the device has back into placeholders: equal values, differing values, unknown secret lines', () => {
    const root = '/var/run/frr/ggi-x/radius';
    const onDevice = fill(conf, text, values, root);
    expect(maskActual(conf, text, onDevice, values, root)).toBe(text);
    // Without values (plan without secrets) the device's secrets are shown as placeholders too.
    expect(maskActual(conf, text, onDevice, new Map(), root)).toBe(text);
    const changed = onDevice.replace('secret nas%20%22secret%22%20%231%20%2541', 'secret other-value');
    const masked = maskActual(conf, text, changed, values, root);
    expect(masked).toContain(`secret ${secretChangedPlaceholder('radius/nas-wlan-controllers')}`);
    expect(masked).not.toContain('other-value');
    const extra = `${onDevice}client sneaky {\n    host 192.0.2.66\n    type udp\n    secret hunter2\n}\n`;
    const m2 = maskActual(conf, text, extra, values, root);
    expect(m2).not.toContain('hunter2');
    expect(m2).toContain(secretChangedPlaceholder('unknown'));
  });

  test('a real host (root "") maps the Debian paths back to the placeholder', () => {
    const onDevice = fill(conf, text, values, '');
    expect(onDevice).toContain('CertificateKeyFile /etc/radsecproxy/tls/key.pem');
    expect(maskActual(conf, text, onDevice, values, '')).toBe(text);
    expect(radiusRoot({ pathspace: null })).toBe('');
    expect(radiusRoot({ pathspace: 'ggi-radius-ab12' })).toBe('/var/run/frr/ggi-radius-ab12/radius');
  });

  test('raw documents (keys, the health secret) are never shown: equal, differs, or placeholder', () => {
    const key = checks.documents.find((d) => d.name === 'tls/key.pem')!;
    const cand = c.documents.find((d) => d.name === 'tls/key.pem')!.content;
    expect(maskActual(key, cand, KEY, values, '')).toBe(cand);
    expect(maskActual(key, cand, 'another key', values, '')).toBe(`${secretChangedPlaceholder('radius/tls-key')}\n`);
  });

  test('diff: a plan names each changed document by its path on the device and shows placeholders', () => {
    const actual: ActualState = {
      documents: c.documents.map((d, i) => ({ name: d.name, location: `/dev/x/${i}`, content: d.name === 'radsecproxy.conf' ? d.content.replace('LogLevel 3', 'LogLevel 5') : d.content })),
      live: [],
      pendingRollback: false,
    };
    const diff = diffRadius(c, actual);
    expect(diff.map((d) => d.path)).toEqual([`/dev/x/${c.documents.findIndex((d) => d.name === 'radsecproxy.conf')}`]);
    expect(diff[0].diff).toMatch(/^-LogLevel 5$/m);
    expect(diff[0].diff).toMatch(/^\+LogLevel 3$/m);
    expect(diffRadius(c, { ...actual, documents: c.documents.map((d) => ({ name: d.name, location: d.name, content: d.content })) })).toEqual([]);
    expect(diffRadius(c, { ...actual, documents: [], pendingRollback: true }).map((d) => d.path)).toContain('state:pending-rollback');
  });
});
