import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { checkGovroam, renderGovroam } from '../../src/govroam';
import { loadInventory } from '../../src/model/load';
import { makePki } from './pki';
import { need, testWith, unmet } from '../helpers/prereq';

/** The example national inventory in inventory/: its govroam part checks clean and renders files the tools accept. */
const EXAMPLE = path.join(__dirname, '../../inventory');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ggi-govroam-example-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function example() {
  const { inventory, findings } = loadInventory(EXAMPLE);
  if (!inventory) throw new Error(`the example inventory does not load: ${findings.filter((f) => f.severity === 'error').map((f) => `${f.file}:${f.line} ${f.code}`).join(', ')}`);
  return inventory;
}

/** Every secret reference gets a made-up value (the example names them; CI has none). */
function fakeSecrets(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const m of text.matchAll(/env: ([A-Z0-9_]+)/g)) env[m[1]] = `fake ${m[1].toLowerCase()}`;
  return env;
}

describe('the example inventory', () => {
  it('has a govroam.yaml without govroam errors', () => {
    const inv = example();
    expect(inv.govroam).not.toBeNull();
    expect(inv.govroam!.participants.length).toBeGreaterThan(0);
    expect(checkGovroam(inv).filter((f) => f.severity === 'error')).toEqual([]);
  });

  testWith(unmet(need.command('radsecproxy'), need.command('openssl')), 'renders radsecproxy files that radsecproxy -p accepts', () => {
    const inv = example();
    const pki = makePki(tmp, ['192.0.2.1']);
    fs.copyFileSync(pki.certs.get('192.0.2.1')!.cert, path.join(tmp, 'cert.pem'));
    fs.copyFileSync(pki.certs.get('192.0.2.1')!.key, path.join(tmp, 'key.pem'));
    const env = fakeSecrets(fs.readFileSync(path.join(EXAMPLE, 'govroam.yaml'), 'utf8'));
    const files = renderGovroam(inv, (ref) => ('env' in ref ? env[ref.env] ?? null : null), {
      tls: { caFile: pki.ca, certFile: path.join(tmp, 'cert.pem'), keyFile: path.join(tmp, 'key.pem') },
      logDestination: path.join(tmp, 'radsecproxy.log'),
    });
    const confs = files.filter((f) => f.path.endsWith('radsecproxy.conf'));
    expect(confs.length).toBe(inv.govroam!.participants.length + 1);
    for (const f of confs) {
      const file = path.join(tmp, f.path.replace(/\//g, '_'));
      fs.writeFileSync(file, f.content, { mode: 0o600 });
      const r = spawnSync('radsecproxy', ['-c', file, '-p', '-f'], { encoding: 'utf8', timeout: 30000 });
      expect({ file: f.path, status: r.status, out: r.status === 0 ? '' : r.stdout + r.stderr }).toEqual({ file: f.path, status: 0, out: '' });
    }
  });
});
