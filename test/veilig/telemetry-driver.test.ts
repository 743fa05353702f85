import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { linuxFrrHost, renderLinuxFrr } from '../../src/devices/linux-frr';
import { DAEMON_SCRIPTS, telemetryPaths } from '../../src/devices/linux-frr/telemetry';
import { restoreScript } from '../../src/devices/posix-host/scripts';
import { buildIntents } from '../../src/intent';
import { nftablesTable } from '../../src/zones/nftables';
import { need, testWith, unmet } from '../helpers/prereq';
import { baseFiles, loadFiles } from '../intent/fixture';

/**
 * The linux-frr driver's telemetry glue: which files a CE gets, the drop logging in its ruleset, how the daemons are
 * (re)started, stopped, checked and watched for drift, and how a rollback undoes them. The control scripts run here on
 * a stand-in daemon (sleep), so their logic is tested without a lab.
 */

const VEILIG = `soc:
  name: SOC
  collectors: [{ id: soc-flows, address: 198.19.0.250, port: 2055 }]
  logReceivers: [{ id: soc-logs, address: 198.19.0.250, port: 5140 }]
`;
const built = buildIntents(loadFiles({ ...baseFiles(), 'veilig.yaml': VEILIG }));
const ce = built.intents.find((i) => i.id === 'ce-gm0001')!;
const layout = { pathspace: null } as const;

describe('a CE with telemetry', () => {
  const candidate = renderLinuxFrr(ce);
  const doc = (name: string) => candidate.documents.find((d) => d.name === name)?.content ?? '';

  test('gets the exporter and the log daemon with the rest, in name order', () => {
    expect(candidate.documents.map((d) => d.name)).toEqual(['frr.conf', 'ggi.nft', 'pmacctd.conf', 'ulogd.conf']);
    expect(doc('pmacctd.conf')).toContain(`pcap_interface: any\npcap_direction: in\npcap_filter: not host ${ce.management.address} and`);
    expect(doc('ulogd.conf')).toContain('device="ce-gm0001"\n');
  });

  test('its ruleset logs every policy drop through one rate-limited chain; without telemetry it drops silently', () => {
    const nft = doc('ggi.nft');
    expect(nft).toContain('\tchain drop_logged {\n\t\tlimit rate 100/second burst 200 packets log prefix "ggi-drop" group 1\n\t\tdrop\n\t}\n');
    expect(nft).toContain('counter goto drop_logged comment "ggi: default deny"');
    expect(nft).not.toMatch(/counter drop/);
    // A policy deny rule goes the same way (the example policy's CE has none: a pair of one deny rule).
    const deny = nftablesTable({
      ...ce.filter!,
      dropLog: ce.telemetry!.dropLog!,
      pairs: [{ from: { label: 'a', interfaces: ['a'] }, to: { label: 'b', interfaces: ['b'] }, rules: [{ id: 'geen-telnet', action: 'deny', proto: 'tcp', ports: [23, 23], family: 4, src: ['192.0.2.0/24'], dst: ['198.51.100.0/24'] }] }],
    });
    expect(deny).toContain('ip saddr 192.0.2.0/24 ip daddr 198.51.100.0/24 tcp dport 23 counter goto drop_logged comment "geen-telnet"');
    const silent = nftablesTable(ce.filter!);
    expect(silent).toContain('counter drop comment "ggi: default deny"');
    expect(silent).not.toContain('drop_logged');
  });

  testWith(unmet(need.command('nft', 'nftables'), need.root('root for nft -c')), 'nft accepts the ruleset with drop logging', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ggi-tlm-nft-'));
    try {
      fs.writeFileSync(path.join(dir, 'ggi.nft'), doc('ggi.nft'));
      const r = spawnSync('nft', ['-c', '-f', path.join(dir, 'ggi.nft')], { encoding: 'utf8' });
      expect([r.status, r.stderr]).toEqual([0, '']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the daemons start after the ruleset and FRR, are checked and watched, and a first apply rolled back stops them', () => {
    const host = linuxFrrHost(candidate, layout);
    const p = telemetryPaths('ce-gm0001');
    expect(host.files.map((f) => f.path)).toEqual(expect.arrayContaining([p.flowsConf, p.logsConf]));
    const starts = host.activate.slice(-2);
    expect(host.activate.findIndex((a) => a[0] === 'nft')).toBeLessThan(host.activate.indexOf(starts[0]));
    // Each start names its files, so a rollback restarts the daemon with the files it restores.
    expect(starts[0]).toEqual(expect.arrayContaining([p.flowsConf, 'pmacctd', '-f']));
    expect(starts[1]).toEqual(expect.arrayContaining([p.logsConf, 'ulogd', '-d', '-c', '-p', p.logsPid]));
    expect(host.checks.map((c) => c.name)).toEqual(expect.arrayContaining(['flow exporter (pmacctd) runs', 'packet log daemon (ulogd) runs']));
    expect(host.live.map((l) => l.name)).toContain('telemetry');
    const restore = restoreScript(host);
    expect(restore).toContain(`ggi-telemetry pmacctd ${p.flowsPid} >&2; then echo 'deactivation failed`);
    expect(restore).toContain(`ggi-telemetry ulogd ${p.logsPid} >&2; then echo 'deactivation failed`);
  });

  test('a device without telemetry gets none of it', () => {
    const kps = renderLinuxFrr(built.intents.find((i) => i.id === 'kps')!);
    expect(kps.documents.map((d) => d.name)).toEqual(['frr.conf', 'ggi.nft']);
    expect(linuxFrrHost(kps, layout).live.map((l) => l.name)).not.toContain('telemetry');
  });
});

describe('the daemon control scripts, on a stand-in daemon', () => {
  let dir: string;
  let pid: string;
  let conf: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ggi-tlm-sh-'));
    pid = path.join(dir, 'run', 'sleep.pid');
    conf = path.join(dir, 'daemon.conf');
    fs.writeFileSync(conf, 'a\n');
  });
  afterEach(() => {
    sh(DAEMON_SCRIPTS.stop, 'sleep', pid);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function sh(script: string, ...args: string[]): { code: number; out: string } {
    const r = spawnSync('sh', ['-c', script, 'ggi-telemetry', ...args], { encoding: 'utf8', timeout: 20_000 });
    return { code: r.status ?? -1, out: r.stdout + r.stderr };
  }
  // A daemon that writes its pid file and becomes `sleep`.
  const restart = () => sh(DAEMON_SCRIPTS.restart, 'sleep', pid, '1', conf, 'sh', '-c', `echo $$ > '${pid}'; exec sleep 120`);
  const pidNow = () => fs.readFileSync(pid, 'utf8').trim();
  /** Ended (a zombie counts: whoever reaps orphans here may be slow or absent). */
  const gone = (p: string) => !fs.existsSync(`/proc/${p}`) || / Z /.test(fs.readFileSync(`/proc/${p}/stat`, 'utf8'));

  test('starts, leaves a daemon with unchanged files alone, restarts it when they change, stops it', () => {
    expect(restart().code).toBe(0);
    const first = pidNow();
    expect(sh(DAEMON_SCRIPTS.running, 'sleep', pid).code).toBe(0);
    expect(sh(DAEMON_SCRIPTS.status, 'sleep', pid).out).toMatch(/^sleep: running \/\S*sleep files [0-9a-f]{64}\n$/);
    expect(restart().code).toBe(0);
    expect(pidNow()).toBe(first);
    fs.writeFileSync(conf, 'b\n');
    expect(restart().code).toBe(0);
    expect(pidNow()).not.toBe(first);
    expect(gone(first)).toBe(true);
    expect(sh(DAEMON_SCRIPTS.stop, 'sleep', pid).code).toBe(0);
    expect(sh(DAEMON_SCRIPTS.running, 'sleep', pid).code).not.toBe(0);
    expect(sh(DAEMON_SCRIPTS.status, 'sleep', pid).out).toBe('sleep: not running\n');
  });

  test('a stale pid file naming another process is not the daemon: never killed, and the daemon is started', () => {
    const other = execFileSync('sh', ['-c', 'sleep 60 >/dev/null 2>&1 & echo $!'], { encoding: 'utf8' }).trim();
    try {
      fs.mkdirSync(path.dirname(pid), { recursive: true });
      fs.writeFileSync(pid, `${other}\n`);
      // Its command line says `sleep` too, so ask for a name it does not have.
      expect(sh(DAEMON_SCRIPTS.running, 'pmacctd', pid).code).not.toBe(0);
      expect(sh(DAEMON_SCRIPTS.stop, 'pmacctd', pid).code).toBe(0);
      expect(fs.existsSync(`/proc/${other}`)).toBe(true);
    } finally {
      process.kill(Number(other), 'SIGTERM');
    }
  });

  test('a daemon that forks itself is waited for: its launcher ends at once, its pid file comes a second later', () => {
    // As pmacctd and ulogd -d do: the command exits 0, the daemon writes its pid file when it is ready.
    const r = sh(DAEMON_SCRIPTS.restart, 'sleep', pid, '1', conf, 'sh', '-c', `(sleep 1; sh -c 'echo $$ > "${pid}"; exec sleep 120') >/dev/null 2>&1 &`);
    expect(r).toEqual({ code: 0, out: '' });
    expect(sh(DAEMON_SCRIPTS.running, 'sleep', pid).code).toBe(0);
  });

  test('a daemon that does not start fails the activation, with its log', () => {
    fs.mkdirSync(path.dirname(pid), { recursive: true });
    fs.writeFileSync(path.join(path.dirname(pid), 'sleep.log'), 'bad option\n');
    const r = sh(DAEMON_SCRIPTS.restart, 'sleep', pid, '1', conf, 'false');
    expect(r.code).toBe(1);
    expect(r.out).toContain('sleep did not start: bad option');
  });
});
