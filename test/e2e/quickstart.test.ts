import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../../src/cli/main';
import { keaCommand, type JsonObject } from '../../src/devices/kea';
import { labRadiusRoot } from '../../src/devices/radius';
import { readLabTarget } from '../../src/lab/inventory-lab';
import { connectHttp } from '../../src/reconciler/http-transport';
import { fakeIo } from '../helpers/tmp-inventory';
import { describeWith, labUnavailable, need, unmet } from '../helpers/prereq';

/**
 * The README's main job end to end on the example inventory, on real routers: lab up, apply, verification with real
 * packets (BGP sessions, KPS routes, every flow between hosts against the policy, govroam EAP through the national
 * proxies, a DHCP lease from the Kea appliance), then a second apply that changes nothing, then drift after tampering
 * with a RADIUS server's radsecproxy.conf and with the Kea configuration through its API, repaired by apply.
 */
// The example runs govroam (radsecproxy, FreeRADIUS, eapol_test) and a Kea appliance (with dhclient in the visitor).
const missing = unmet(
  labUnavailable(),
  need.command('radsecproxy', 'radsecproxy'),
  need.command('freeradius', 'freeradius'),
  need.command('radclient', 'freeradius-utils'),
  need.command('eapol_test', 'eapoltest'),
  need.file('/usr/sbin/kea-ctrl-agent', 'kea-ctrl-agent (Debian package kea-ctrl-agent)'),
  need.file('/usr/sbin/kea-dhcp4', 'kea-dhcp4 (Debian package kea-dhcp4-server)'),
  need.file('/usr/sbin/kea-dhcp6', 'kea-dhcp6 (Debian package kea-dhcp6-server)'),
  need.file('/usr/sbin/dhclient', 'dhclient (Debian package isc-dhcp-client)'),
);

describeWith(missing, 'ggi quickstart on the example inventory', () => {
  const run = it;
  const state = fs.mkdtempSync(path.join(os.tmpdir(), 'ggi-e2e-'));
  const inventory = path.resolve(__dirname, '../../inventory');
  afterAll(async () => {
    await main(['lab', 'down', '--state', state, '--inventory', inventory], fakeIo().io);
    fs.rmSync(state, { recursive: true, force: true });
  });

  run('brings up the lab, applies, and verifies sessions, KPS routes and real flows', async () => {
    const f = fakeIo({ ...process.env, GGI_OPERATOR: 'e2e' });
    const code = await main(['quickstart', '--state', state, '--inventory', inventory, '--format', 'json'], f.io);
    const doc = JSON.parse(f.stdout());
    const failed = doc.checks.filter((c: { ok: boolean }) => !c.ok);
    expect(failed).toEqual([]);
    expect(doc.ok).toBe(true);
    const named = (prefix: string) => doc.checks.filter((c: { name: string }) => c.name.startsWith(prefix));
    expect(named('bgp ').length).toBeGreaterThan(20);
    expect(named('device ').length).toBeGreaterThan(20);
    expect(named('kps no default route')).toHaveLength(1);
    // Redundancy: both KPS sessions of both borders (one KPS peer per data centre), the CE pair with every uplink up.
    expect(named('redundancy kps sessions')).toEqual([expect.objectContaining({ ok: true, observed: '4 of 4 peerings up' })]);
    expect(named('redundancy ce pair ').map((c: { name: string; ok: boolean }) => [c.name, c.ok])).toEqual([['redundancy ce pair GM0599', true]]);
    expect(named('redundancy max-prefix')).toHaveLength(1);
    const flows = named('flows')[0];
    expect(Number(/^(\d+) allowed and connected/.exec(flows.observed)![1])).toBeGreaterThan(50);
    expect(Number(/^(\d+) flows between/.exec(named('flows across zones')[0].expected)![1])).toBeGreaterThan(100);
    // govroam with real EAP: both methods accepted, a wrong password and an unknown realm rejected, Operator-Name, CUI, accounting.
    expect(named('govroam ').map((c: { name: string }) => c.name.replace(/:.*| at .*|'s .*/, ''))).toEqual(
      expect.arrayContaining(['govroam EAP-TTLS/PAP', 'govroam PEAP/MSCHAPv2', 'govroam wrong password', 'govroam unknown realm', 'govroam accounting stays']),
    );
    expect(named('govroam ').length).toBe(7);
    expect(named('dhcp lease ').map((c: { name: string }) => c.name)).toEqual(['dhcp lease GM0546/govroam-visitor IPv4 (dhcp-gm0546)', 'dhcp lease GM0546/govroam-visitor IPv6 (dhcp-gm0546)']);
    expect(named('device radius-').length).toBe(6);
    // GGI-Veilig: every connection point and border seen at the lab's SOC, and the planted telnet flow's event received.
    expect(named('veilig ').map((c: { name: string; ok: boolean }) => [c.name, c.ok])).toEqual([
      ['veilig coverage', true],
      ['veilig detection geen-telnet', true],
    ]);
    expect(code).toBe(0);
  });

  run('a second apply reports every device unchanged and drift finds nothing', async () => {
    const env = { ...process.env, GGI_OPERATOR: 'e2e' };
    const a = fakeIo(env);
    // The lab target lives in the state folder; plan/apply read the default one unless told, so point at it.
    const target = ['--target', 'lab', '--lab-state', state];
    const code = await main(['apply', ...target, '--yes', '--format', 'json', '--inventory', inventory], a.io);
    expect(a.stderr()).not.toMatch(/\n\s+at /);
    expect(code).toBe(0);
    const doc = JSON.parse(a.stdout());
    expect(doc.devices.length).toBeGreaterThan(20);
    for (const d of doc.devices) expect(d.outcome).toBe('unchanged');
    expect(await main(['drift', ...target, '--inventory', inventory], fakeIo(env).io)).toBe(0);
  });

  run('tampering with a RADIUS server\'s radsecproxy.conf or the Kea configuration through its API is drift (exit 4); apply repairs it', async () => {
    const env = { ...process.env, GGI_OPERATOR: 'e2e' };
    const target = ['--target', 'lab', '--lab-state', state, '--inventory', inventory];
    const lab = readLabTarget(state)!;
    // radsecproxy.conf of a participant's RADIUS server, changed by hand on the device.
    const radius = lab.devices.find((d) => d.id === 'radius-gm0153')!;
    const conf = path.join(labRadiusRoot(radius.pathspace), 'etc/radsecproxy.conf');
    fs.appendFileSync(conf, 'realm /^tampered\\.invalid$/ {\n    replymessage "changed by hand"\n}\n');
    // The Kea appliance's DHCPv4 pool, changed through the Control Agent's API.
    const k = lab.apis!.find((a) => a.id === 'dhcp-gm0546')!;
    const api = connectHttp({ id: k.id, host: k.address, port: k.port, auth: { user: k.user, password: { file: k.passwordFile } } });
    try {
      const got = await keaCommand(api, 'config-get', 'dhcp4');
      const cfg = JSON.parse(JSON.stringify(got.arguments)) as JsonObject;
      const subnets = (cfg.Dhcp4 as JsonObject).subnet4 as JsonObject[];
      subnets[0].pools = [{ pool: String((subnets[0].pools as JsonObject[])[0].pool).replace(/\d+$/, (n) => String(Number(n) - 1)) }];
      expect((await keaCommand(api, 'config-set', 'dhcp4', cfg)).result).toBe(0);
    } finally {
      await api.close();
    }

    const d1 = fakeIo(env);
    expect(await main(['drift', ...target, '--format', 'json'], d1.io)).toBe(4);
    const drifted = JSON.parse(d1.stdout()).devices.filter((d: { changed: boolean }) => d.changed).map((d: { id: string }) => d.id);
    expect(drifted).toEqual(['dhcp-gm0546', 'radius-gm0153']);

    const a = fakeIo(env);
    expect(await main(['apply', ...target, '--yes', '--format', 'json'], a.io)).toBe(0);
    const applied = JSON.parse(a.stdout()).devices.filter((d: { outcome: string }) => d.outcome === 'applied').map((d: { id: string }) => d.id);
    expect(applied).toEqual(['dhcp-gm0546', 'radius-gm0153']);
    expect(fs.readFileSync(conf, 'utf8')).not.toContain('tampered');
    expect(await main(['drift', ...target], fakeIo(env).io)).toBe(0);
  });
});
