import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../../src/cli/main';
import { telemetryPaths } from '../../src/devices/linux-frr/telemetry';
import { localRunner, readState } from '../../src/lab';
import { probeTcp } from '../../src/lab/probe';
import { socFiles } from '../../src/lab/soc';
import type { LabState, NodeState } from '../../src/lab/state';
import { detectionLogPrefix, DROP_LOG_PREFIX } from '../../src/veilig/nflog';
import { describeWith, need, unmet } from '../helpers/prereq';
import { fakeIo } from '../helpers/tmp-inventory';
import { labUnavailable } from './prereq';

/**
 * GGI-Veilig's SOC in the lab (src/lab/soc.ts) with real receivers: nfcapd stores what exporters send to the
 * collector address of veilig.yaml, socat appends what log daemons send to the receiver's port, and `ggi veilig
 * coverage` / `ggi usage report --target lab` read those files.
 *
 * Part 1 drives the SOC with exporters started by hand (softflowd in two CE namespaces, exporting their management
 * traffic; ulogd-shaped JSON lines from a border). Part 2 (`after apply`) uses the devices' own telemetry (pmacctd
 * and ulogd2 rendered by the linux-frr driver, src/veilig/telemetry.ts) and the borders' detection rules.
 */

const INVENTORY = path.resolve(__dirname, '../../inventory');
const SOC = '198.19.255.250';
const runner = localRunner();

async function ggi(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const f = fakeIo({ ...process.env, GGI_OPERATOR: 'veilig-soc-test' });
  // The SOC's windows (--since) are measured against the real clock: the records carry real times.
  const code = await main([...argv, '--inventory', INVENTORY], { ...f.io, now: () => new Date() });
  return { code, stdout: f.stdout(), stderr: f.stderr() };
}

interface PointJson {
  id: string;
  organisation: string | null;
  flows: number;
  drops: number;
  detections: number;
  rules: Record<string, number>;
  lastSeen: string | null;
  dark: boolean;
}

async function until<T>(what: string, timeoutMs: number, fn: () => Promise<T | null>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== null) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2000));
  }
}

/** Sends `bytes` of UDP from a namespace (1200-byte datagrams) to the lab bridge: traffic on its management link. */
async function burst(ns: string, datagrams = 4000): Promise<void> {
  const py = `import socket\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\nfor i in range(${datagrams}):\n    s.sendto(b'x'*1200,('198.19.0.1',9))\n`;
  await runner.run(['python3', '-c', py], { netns: ns, timeoutMs: 30_000 });
}

function node(state: LabState, id: string): NodeState {
  const n = state.nodes.find((x) => x.id === id);
  if (!n) throw new Error(`no lab node ${id}`);
  return n;
}

describeWith(unmet(labUnavailable(), need.command('nfcapd', 'nfdump'), need.command('softflowd', 'softflowd'), need.command('pmacctd', 'pmacct'), need.command('ulogd', 'ulogd2')), 'the GGI-Veilig SOC in the lab', () => {
  const labState = fs.mkdtempSync(path.join(os.tmpdir(), 'ggi-soc-lab-'));
  const ggiState = fs.mkdtempSync(path.join(os.tmpdir(), 'ggi-soc-state-'));
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ggi-soc-work-'));
  let state: LabState;
  const exporters = new Map<string, number>();
  const coverage = async (...more: string[]) => {
    const r = await ggi('veilig', 'coverage', '--target', 'lab', '--lab-state', labState, '--format', 'json', ...more);
    if (r.code !== 0 && r.code !== 4) throw new Error(`coverage exit ${r.code}: ${r.stderr}`);
    return { code: r.code, doc: JSON.parse(r.stdout) as { ok: boolean; points: PointJson[]; unknownExporters: Array<{ address: string }> } };
  };
  const startExporter = async (ce: string) => {
    const n = node(state, ce);
    const pid = await runner.start(
      ['softflowd', '-d', '-i', 'mgmt0', '-v', '9', '-n', `${SOC}:2055`, '-t', 'maxlife=2', '-t', 'expint=1', '-t', 'udp=2', '-p', path.join(work, `${ce}.pid`), '-c', path.join(work, `${ce}.ctl`)],
      { netns: n.namespace, logFile: path.join(work, `${ce}.log`) },
    );
    exporters.set(ce, pid);
  };

  beforeAll(async () => {
    const up = await ggi('lab', 'up', '--state', labState, '--name', 'ggisoc');
    if (up.code !== 0) throw new Error(`lab up failed: ${up.stderr}`);
    state = readState(labState)!;
  }, 600_000);

  afterAll(async () => {
    for (const pid of exporters.values()) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // already stopped
      }
    }
    await ggi('lab', 'down', '--state', labState);
    for (const d of [labState, ggiState, work]) fs.rmSync(d, { recursive: true, force: true });
  }, 120_000);

  test('lab status shows the SOC on the collector address, listening on the collector and receiver ports', async () => {
    const st = await ggi('lab', 'status', '--state', labState);
    expect(st.stdout).toMatch(new RegExp(`^  soc +soc +ggisoc-soc-\\S+ +${SOC.replace(/\./g, '\\.')} listens udp/2055,udp/5140: flows in \\S+/flows-soc-flows, logs in \\S+/logs-soc-logs\\.jsonl$`, 'm'));
    expect(st.stdout).not.toMatch(/problem:/);
    const soc = state.nodes.find((n) => n.meta.role === 'soc')!;
    const ss = await runner.run(['ss', '-H', '-l', '-n', '-u', '-p'], { netns: soc.namespace });
    expect(ss.stdout).toMatch(new RegExp(`${SOC.replace(/\./g, '\\.')}:2055 .*nfcapd`));
    expect(ss.stdout).toMatch(new RegExp(`${SOC.replace(/\./g, '\\.')}:5140 .*socat`));
  });

  test('exporters started by hand: their points are seen, logs counted per device; a stopped exporter makes its point dark (exit 4)', async () => {
    const [a, b] = ['ce-gm0546', 'ce-gm0344'];
    await startExporter(a);
    await startExporter(b);
    // softflowd opens its capture before its control socket: wait (bounded) for both sockets, then a moment more.
    await until('both hand exporters to run', 30_000, async () => ([a, b].every((ce) => fs.existsSync(path.join(work, `${ce}.ctl`))) ? true : null));
    await new Promise((r) => setTimeout(r, 500));
    await Promise.all([burst(node(state, a).namespace), burst(node(state, b).namespace)]);
    // A border's log daemon: one drop and one detection, in ulogd2's JSON shape, over UDP to the receiver.
    const now = new Date().toISOString().replace('Z', '+0000');
    const lines = [
      { timestamp: now, dvc: 'border-overheid', 'oob.prefix': DROP_LOG_PREFIX, src_ip: '192.0.2.10', dest_ip: '198.51.100.1', 'ip.protocol': 6 },
      { timestamp: now, dvc: 'border-overheid', 'oob.prefix': detectionLogPrefix('geen-telnet'), src_ip: '192.0.2.10', dest_port: 23, 'ip.protocol': 6 },
    ];
    for (const l of lines) await runner.run(['socat', '-u', '-', `UDP-SENDTO:${SOC}:5140`], { netns: node(state, 'border-overheid').namespace, input: `${JSON.stringify(l)}\n` });

    const seen = await until('both hand exporters at the SOC', 90_000, async () => {
      const c = await coverage('--since', '5m');
      const pa = c.doc.points.find((p) => p.id === a)!;
      const pb = c.doc.points.find((p) => p.id === b)!;
      return !pa.dark && !pb.dark && c.doc.points.find((p) => p.id === 'border-overheid')!.detections > 0 ? c : null;
    });
    expect(seen.code).toBe(4); // the other points export nothing yet: dark
    expect(seen.doc.points.find((p) => p.id === a)).toMatchObject({ organisation: 'GM0546', dark: false });
    expect(seen.doc.points.find((p) => p.id === 'border-overheid')).toMatchObject({ drops: 1, detections: 1, rules: { 'geen-telnet': 1 }, dark: true });
    expect(seen.doc.unknownExporters).toEqual([]);
    // Every record nfcapd stored is in rotated, uncompressed files (what ggi reads).
    expect(socFiles(state).flowDirs).toHaveLength(1);

    // The usage report reads the same files: the management traffic is no organisation's, so it is unattributed.
    // The exporters report each flow when it ends (udp=2 s here), nfcapd's files rotate every 10 s: poll.
    const sent = 2 * 4000 * 1228; // IP bytes of the two bursts
    let last = 0;
    const u = await until('the usage report to count both bursts', 60_000, async () => {
      const usage = await ggi('usage', 'report', '--target', 'lab', '--lab-state', labState, '--since', '5m', '--format', 'json');
      expect(usage.code).toBe(0);
      const j = JSON.parse(usage.stdout) as { records: number; unattributed: { bytes: number } };
      last = j.unattributed.bytes;
      return j.unattributed.bytes >= sent * 0.98 ? j : null;
    }).catch((e: Error) => {
      throw new Error(`${e.message}: ${last} of ${sent} bytes reported`);
    });
    expect(u.records).toBeGreaterThan(0);

    // Stop a's exporter; b keeps exporting. With a 30 s window, a goes dark and the text names it.
    process.kill(exporters.get(a)!, 'SIGTERM');
    exporters.delete(a);
    await new Promise((r) => setTimeout(r, 35_000));
    let lastSeen = '';
    const dark = await until(`${a} dark and ${b} seen`, 90_000, async () => {
      await burst(node(state, b).namespace);
      const c = await coverage('--since', '30s');
      const pa = c.doc.points.find((p) => p.id === a)!;
      const pb = c.doc.points.find((p) => p.id === b)!;
      lastSeen = JSON.stringify([pa, pb]);
      return pa.dark && !pb.dark ? c : null;
    }).catch((e: Error) => {
      throw new Error(`${e.message}; last coverage of both: ${lastSeen}`);
    });
    expect(dark.code).toBe(4);
    expect(dark.doc.ok).toBe(false);
    const text = await ggi('veilig', 'coverage', '--target', 'lab', '--lab-state', labState, '--since', '30s');
    expect(text.code).toBe(4);
    expect(text.stdout).toMatch(new RegExp(`^${a} +connection point +GM0546 .*DARK$`, 'm'));
    expect(text.stdout).toMatch(new RegExp(`DARK: .*${a} \\(GM0546\\)`));
  }, 900_000);

  // ---- with the devices' own telemetry ---------------------------------------------------------------------------
  describe('after ggi apply (the devices export on their own)', () => {
    beforeAll(async () => {
      for (const pid of exporters.values()) process.kill(pid, 'SIGTERM');
      exporters.clear();
      const apply = await ggi('apply', '--target', 'lab', '--lab-state', labState, '--state', ggiState, '--yes', '--format', 'json');
      if (apply.code !== 0) throw new Error(`apply failed: ${apply.stderr}`);
    }, 600_000);

    test('verify --only veilig: every point seen at the SOC, and a planted telnet flow raises its event', async () => {
      const r = await ggi('verify', '--target', 'lab', '--lab-state', labState, '--only', 'veilig', '--format', 'json');
      const doc = JSON.parse(r.stdout) as { ok: boolean; checks: Array<{ name: string; ok: boolean; observed: string }> };
      expect(doc.checks.map((c) => c.name).sort()).toEqual(['veilig coverage', 'veilig detection geen-telnet']);
      expect(doc.checks.filter((c) => !c.ok)).toEqual([]);
      expect(r.code).toBe(0);
    }, 900_000);

    test("coverage of every point; a CE's stopped exporter makes its point dark (exit 4), apply brings it back", async () => {
      const all = await coverage('--since', '5m');
      expect(all.doc.points.filter((p) => p.dark)).toEqual([]);
      expect(all.code).toBe(0);
      const ce = node(state, 'ce-gm0546');
      // Stop only that device's flow exporter (the driver's pmacctd, by its pid file); its plugin exits with it.
      const pid = Number(fs.readFileSync(telemetryPaths(ce.id).flowsPid, 'utf8').trim());
      process.kill(pid, 'SIGTERM');
      await until('pmacctd to stop', 10_000, async () => (fs.existsSync(`/proc/${pid}`) ? null : true));
      const dark = await until('ce-gm0546 dark', 180_000, async () => {
        const c = await coverage('--since', '90s');
        return c.doc.points.find((p) => p.id === ce.id)!.dark ? c : null;
      });
      expect(dark.code).toBe(4);
      const apply = await ggi('apply', '--target', 'lab', '--lab-state', labState, '--state', ggiState, '--yes', '--format', 'json');
      expect(apply.code).toBe(0);
      await until('ce-gm0546 seen again', 180_000, async () => {
        // Traffic through the CE, so that there is something to export.
        const brp = node(state, 'svc-diginetwerk-brp').interfaces.flatMap((i) => i.addresses.map((x) => x.split('/')[0]));
        for (const dst of brp) await probeTcp(runner, node(state, 'lan-gm0546').namespace, dst, 443, 500).catch(() => false);
        const c = await coverage('--since', '90s');
        return c.code === 0 ? c : null;
      });
    }, 600_000);

    test('usage proof: 20 MB Leiden to the BRP and 5 MB from a BUCH member to a markt service, reported within 2 %', async () => {
      const cases = [
        { from: ['lan-gm0546'], to: ['svc-diginetwerk-brp'], bytes: 20_000_000, organisation: 'GM0546', member: null as string | null },
        {
          from: state.nodes.filter((n) => n.meta.organisation && ['GM0399', 'GM0383', 'GM0373', 'GM0450'].includes(String(n.meta.organisation)) && !n.meta.service && n.kind === 'host').map((n) => n.id),
          to: ['svc-zaakwolk-zaken', 'svc-zaakwolk-archief', 'svc-belastingportaal'],
          bytes: 5_000_000,
          organisation: 'SV0001',
          member: 'member',
        },
      ];
      for (const c of cases) {
        // A pair that the policy lets through (a member may have no markt segment).
        let pair: { from: NodeState; to: NodeState; dst: string } | null = null;
        for (const f of c.from) {
          for (const t of c.to) {
            const to = node(state, t);
            for (const dst of to.interfaces.flatMap((i) => i.addresses.map((x) => x.split('/')[0]))) {
              if (!pair && (await probeTcp(runner, node(state, f).namespace, dst, 443))) pair = { from: node(state, f), to, dst };
            }
          }
        }
        if (!pair) throw new Error(`no pair of ${c.from.join(',')} and ${c.to.join(',')} connects on tcp/443`);
        // The interface the host reaches the service through (a host may sit on several segments).
        const route = JSON.parse((await runner.run(['ip', '-j', 'route', 'get', pair.dst], { netns: pair.from.namespace })).stdout) as Array<{ dev: string }>;
        const ifname = route[0].dev;
        const counters = async () => {
          const r = await runner.run(['cat', `/sys/class/net/${ifname}/statistics/tx_bytes`, `/sys/class/net/${ifname}/statistics/tx_packets`, `/sys/class/net/${ifname}/statistics/rx_bytes`, `/sys/class/net/${ifname}/statistics/rx_packets`], { netns: pair!.from.namespace });
          const [txb, txp, rxb, rxp] = r.stdout.trim().split('\n').map(Number);
          return (txb - 14 * txp) + (rxb - 14 * rxp); // IP bytes both ways (what a flow record counts)
        };
        const rowBytes = async () => {
          const u = await ggi('usage', 'report', '--target', 'lab', '--lab-state', labState, '--since', '1h', '--by', 'member', '--format', 'json');
          const j = JSON.parse(u.stdout) as { rows: Array<{ organisation: string; member: string | null; counterpart: string | null; bytes: number }> };
          return j.rows.filter((x) => x.organisation === c.organisation && x.counterpart === pair!.to.meta.service && (c.member === null ? x.member === null : x.member === pair!.from.meta.organisation)).reduce((n, x) => n + x.bytes, 0);
        };
        const before = await rowBytes();
        const c0 = await counters();
        // Send the volume and read the echo back (the lab's services echo), then close.
        const py = `import socket,threading\ns=socket.create_connection(('${pair.dst}',443),timeout=30)\nn=${c.bytes}\ngot=[0]\ndef rx():\n    while True:\n        d=s.recv(65536)\n        if not d: break\n        got[0]+=len(d)\nt=threading.Thread(target=rx);t.start()\nbuf=b'x'*65536\nsent=0\nwhile sent<n:\n    k=min(len(buf),n-sent); s.sendall(buf[:k]); sent+=k\ns.shutdown(socket.SHUT_WR);t.join();print(sent,got[0])\n`;
        const out = await runner.run(['python3', '-c', py], { netns: pair.from.namespace, timeoutMs: 120_000 });
        const [sent] = out.stdout.trim().split(' ').map(Number);
        expect(sent).toBe(c.bytes);
        const wire = (await counters()) - c0;
        expect(wire).toBeGreaterThanOrEqual(c.bytes);
        let lastCount = 0;
        const reported = await until(`the usage report to count ${c.organisation} → ${pair.to.meta.service}`, 240_000, async () => {
          const b = (await rowBytes()) - before;
          lastCount = b;
          return Math.abs(b - wire) <= 0.02 * wire ? b : null;
        }).catch((e: Error) => {
          throw new Error(`${e.message}: ${lastCount} bytes reported, ${wire} on the wire of ${pair!.from.id} ${ifname} (to ${pair!.dst})`);
        });
        expect(Math.abs(reported - wire) / wire).toBeLessThanOrEqual(0.02);
        expect(reported).toBeGreaterThanOrEqual(c.bytes);
      }
    }, 900_000);
  });
});
