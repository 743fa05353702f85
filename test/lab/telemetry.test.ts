import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../../src/cli/main';
import { telemetryPaths } from '../../src/devices/linux-frr/telemetry';
import { localRunner, readState } from '../../src/lab';
import { flowProbes, runProbes } from '../../src/lab/verify';
import { fakeIo } from '../helpers/tmp-inventory';
import { describeLab } from './prereq';

/**
 * GGI-Veilig telemetry on real devices: the example lab is brought up and applied, and its CEs and borders run pmacctd
 * and ulogd as ggi rendered them. A collector (nfcapd) and a log receiver (socat) of the test's own listen on the lab's
 * management bridge, at an address of the management network set in the inventory copy's veilig.yaml; real packets
 * between the lab's hosts, allowed and denied, must arrive there as flow records from the CE and as drop logs that
 * carry the CE's id. Then a stopped exporter is drift (exit 4), and apply starts it again.
 */
// Far from the top of the management pool, where the lab gives govroam's lab-only RADIUS servers their addresses.
const SOC = '198.19.200.250';
const NAME = 'ggitlm';

describeLab('telemetry on the lab devices reaches the SOC', () => {
  const inv = fs.mkdtempSync(path.join(os.tmpdir(), 'ggi-telemetry-inv-'));
  const labState = fs.mkdtempSync(path.join(os.tmpdir(), 'ggi-telemetry-lab-'));
  const ggiState = fs.mkdtempSync(path.join(os.tmpdir(), 'ggi-telemetry-state-'));
  const flows = fs.mkdtempSync(path.join(os.tmpdir(), 'ggi-telemetry-flows-'));
  // Not in the collector's folder: nfdump -R reads every file there, and stops at the first that is not its own.
  const logs = fs.mkdtempSync(path.join(os.tmpdir(), 'ggi-telemetry-logs-'));
  const logFile = path.join(logs, 'logs.jsonl');
  fs.cpSync(path.resolve(__dirname, '../../inventory'), inv, { recursive: true });
  // The test's own SOC address (another lab part may stand at the inventory's), and flows reported every 5 s.
  const veilig = fs.readFileSync(path.join(inv, 'veilig.yaml'), 'utf8');
  fs.writeFileSync(path.join(inv, 'veilig.yaml'), veilig.replaceAll('198.19.255.250', SOC).replace('activeTimeoutS: 60', 'activeTimeoutS: 5'));
  const runner = localRunner();
  const children: ChildProcess[] = [];

  async function ggi(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const f = fakeIo({ ...process.env, GGI_OPERATOR: 'telemetry-lab-test' });
    const code = await main([...argv, '--inventory', inv], f.io);
    return { code, stdout: f.stdout(), stderr: f.stderr() };
  }
  const lab = ['--target', 'lab', '--lab-state', labState, '--state', ggiState];

  afterAll(async () => {
    for (const c of children) c.kill('SIGTERM');
    await ggi('lab', 'down', '--state', labState);
    for (const d of [inv, labState, ggiState, flows, logs]) fs.rmSync(d, { recursive: true, force: true });
  });

  /** Flow records (exporter, source, destination, packets) in the collector's finished files (-6: IPv6 unabridged). */
  async function records(): Promise<Array<{ exporter: string; src: string; dst: string; packets: number }>> {
    const r = await runner.run(['nfdump', '-q', '-N', '-6', '-R', flows, '-o', 'fmt:%ra,%sa,%da,%pkt'], { allowFail: true });
    return r.stdout
      .split('\n')
      .map((l) => l.split(',').map((x) => x.trim()))
      .filter((f) => f.length === 4 && /^\d+$/.test(f[3]))
      .map(([exporter, src, dst, packets]) => ({ exporter, src, dst, packets: Number(packets) }));
  }

  async function until<T>(what: string, f: () => Promise<T | null>, ms: number): Promise<T> {
    const end = Date.now() + ms;
    for (;;) {
      const v = await f();
      if (v !== null) return v;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  }

  it('exports flow records and drop logs with the device id, and apply restores a stopped exporter', async () => {
    const up = await ggi('lab', 'up', '--state', labState, '--name', NAME);
    expect([up.code, up.stderr]).toEqual([0, '']);
    // The SOC's address on the lab's management bridge, a collector and a log receiver on it.
    await runner.run(['ip', 'addr', 'add', `${SOC}/16`, 'dev', `${NAME}-mgmt`]);
    children.push(spawn('nfcapd', ['-w', flows, '-b', SOC, '-p', '2055', '-t', '5'], { stdio: 'ignore' }));
    children.push(spawn('socat', ['-u', `UDP-RECV:5140,bind=${SOC}`, `OPEN:${logFile},creat,append`], { stdio: 'ignore' }));

    const applied = await ggi('apply', ...lab, '--yes', '--format', 'json');
    expect(applied.stderr).not.toMatch(/rolled-back|unreachable/);
    expect(applied.code).toBe(0);
    const state = readState(labState)!;
    const ce = state.nodes.find((n) => n.id.startsWith('ce-') && state.nodes.some((h) => h.id === `lan-${n.id.slice(3)}`))!;
    const org = ce.id.slice(3);
    expect(ce.mgmtAddress).toBeDefined();
    // The daemons run with the files ggi rendered (ulogd read its file without complaint, or it would not run).
    expect((await ggi('drift', ...lab)).code).toBe(0);

    // Every probe from the organisation's LAN host: some are allowed, some the zone policy drops at the CE.
    const probes = flowProbes(state).filter((p) => p.from === `lan-${org}`);
    for (let round = 0; round < 3; round++) await runProbes(runner, probes, { timeoutMs: 500 });

    const lan = state.nodes.find((n) => n.id === `lan-${org}`)!;
    const lanAddrs = new Set(lan.interfaces.flatMap((i) => i.addresses.map((a) => a.split('/')[0])));
    const fromCe = await until('flow records exported by the CE', async () => {
      const rs = (await records()).filter((r) => r.exporter === ce.mgmtAddress && lanAddrs.has(r.src));
      return rs.length > 0 ? rs : null;
    }, 90_000);
    expect(fromCe.every((r) => r.packets > 0)).toBe(true);

    const drops = await until('drop logs from the CE', async () => {
      const lines = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8').split('\n').filter(Boolean) : [];
      const mine = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((j) => j.dvc === ce.id && String(j['oob.prefix'] ?? '').trim() === 'ggi-drop');
      return mine.length > 0 ? mine : null;
    }, 30_000);
    expect(drops.some((j) => lanAddrs.has(String(j.src_ip ?? j['ip.saddr.str'] ?? '')))).toBe(true);

    // A stopped exporter is drift; apply starts it again.
    const pid = Number(fs.readFileSync(`/run/ggi/telemetry/${ce.id}/pmacctd.pid`, 'utf8').trim());
    process.kill(pid, 'SIGTERM');
    await until('pmacctd to stop', async () => (fs.existsSync(`/proc/${pid}`) ? null : true), 10_000);
    const drift = await ggi('drift', ...lab, '--format', 'json');
    expect(drift.code).toBe(4);
    expect(drift.stdout).toContain('live:telemetry');
    const again = await ggi('apply', ...lab, '--yes', '--format', 'json');
    expect(again.code).toBe(0);
    expect((await ggi('drift', ...lab)).code).toBe(0);
  }, 600_000);

  it("lab down takes its devices' telemetry daemons and files with it", async () => {
    const state = readState(labState)!;
    const exporting = state.nodes.filter((n) => fs.existsSync(telemetryPaths(n.id).flowsPid));
    expect(exporting.length).toBeGreaterThan(0);
    const pids = exporting.map((n) => Number(fs.readFileSync(telemetryPaths(n.id).flowsPid, 'utf8').trim()));
    const down = await ggi('lab', 'down', '--state', labState);
    expect(down.code).toBe(0);
    for (const n of exporting) {
      expect(fs.existsSync(telemetryPaths(n.id).etc)).toBe(false);
      expect(fs.existsSync(telemetryPaths(n.id).run)).toBe(false);
    }
    await until('the exporters to stop', async () => (pids.every((p) => !fs.existsSync(`/proc/${p}`)) ? true : null), 10_000);
  }, 300_000);
});
