import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../../src/cli/main';
import { localRunner, readState, type NodeState } from '../../src/lab';
import { socFiles } from '../../src/lab/soc';
import { detectionObjectName } from '../../src/veilig/detection';
import { parseLogPrefix } from '../../src/veilig/nflog';
import { fakeIo } from '../helpers/tmp-inventory';
import { describeWith, labUnavailable, need, unmet } from '../helpers/prereq';

/**
 * Detection at the borders on real routers: the example lab is brought up and applied; a CE opens TCP connections to
 * port 23 of a KPS service and then a burst of new connections, both across border-overheid. The rules' counters move
 * on that border only, and the border's own ulogd2 (NFLOG group 2, JSON over UDP) delivers events with the rules' log
 * prefixes to the lab SOC's log receiver. The zone policy still decides exactly as policy
 * query says (verify's flow checks), drift stays clean while the rate meters fill, reports a hand-deleted detection
 * table, and apply puts it back; a new rule in veilig.yaml shows in plan on the borders and nowhere else.
 */

const SOURCE = path.resolve(__dirname, '../../inventory');
const ULOGD_PLUGINS = '/usr/lib/x86_64-linux-gnu/ulogd';

/** TCP connection attempts that do not wait for an answer, to distinct ports from one source: `count` new connections. */
const BURST_PY = `
import socket, sys, time
dst, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
fam = socket.AF_INET6 if ':' in dst else socket.AF_INET
held = []
for i in range(count):
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setblocking(False)
    try:
        s.connect((dst, port + i if count > 1 else port))
    except (BlockingIOError, OSError):
        pass
    held.append(s)
time.sleep(0.5)
`;

interface NftCounter {
  name: string;
  table: string;
  packets: number;
}

describeWith(unmet(labUnavailable(), need.command('ulogd', 'ulogd2'), need.file(`${ULOGD_PLUGINS}/ulogd_output_JSON.so`, 'ulogd2 JSON output plugin')), 'detection at the borders of the example lab', () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ggi-det-lab-'));
  const inventory = path.join(work, 'inventory');
  const labState = path.join(work, 'lab');
  const ggiState = path.join(work, 'state');
  const runner = localRunner();
  let border: NodeState;
  let otherBorder: NodeState;
  let ce: NodeState;
  let kpsService: string;
  let events = '';

  async function ggi(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const f = fakeIo({ ...process.env, GGI_OPERATOR: 'detection-test' });
    const code = await main([...argv, '--inventory', inventory], f.io);
    return { code, stdout: f.stdout(), stderr: f.stderr() };
  }
  const target = ['--target', 'lab', '--lab-state', labState, '--state', ggiState];

  async function counters(node: NodeState): Promise<Map<string, number>> {
    const r = await runner.run(['nft', '-j', 'list', 'ruleset'], { netns: node.namespace });
    const doc = JSON.parse(r.stdout) as { nftables: Array<{ counter?: NftCounter }> };
    // By rule id: the table names a rule's counter det-<id> (detectionObjectName).
    return new Map(doc.nftables.filter((x) => x.counter?.table === 'ggi_veilig').map((x) => [x.counter!.name.replace(/^det-/, ''), x.counter!.packets]));
  }
  async function send(dst: string, port: number, count: number): Promise<void> {
    await runner.run(['/usr/bin/python3', '-c', BURST_PY, dst, String(port), String(count)], { netns: ce.namespace, allowFail: true, timeoutMs: 20000 });
  }
  /** The JSON lines the SOC received, waiting (bounded: ulogd batches, the host may be loaded) up to `ms` for one with `prefix`. */
  async function eventsWith(prefix: string, ms = 60_000): Promise<Array<Record<string, unknown>>> {
    const deadline = Date.now() + ms;
    for (;;) {
      const lines = fs.existsSync(events) ? fs.readFileSync(events, 'utf8').split('\n').filter(Boolean) : [];
      const got = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((e) => String(e['oob.prefix'] ?? '').trim() === prefix);
      if (got.length || Date.now() > deadline) return got;
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  beforeAll(async () => {
    fs.cpSync(SOURCE, inventory, { recursive: true });
    const up = await ggi('lab', 'up', '--state', labState, '--name', 'ggidt');
    if (up.code !== 0) throw new Error(`lab up failed: ${up.stderr}`);
    const apply = await ggi('apply', ...target, '--yes', '--format', 'json');
    if (apply.code !== 0) throw new Error(`apply failed: ${apply.stderr}`);
    const nodes = readState(labState)!.nodes;
    border = nodes.find((n) => n.id === 'border-overheid')!;
    otherBorder = nodes.find((n) => n.id === 'border-markt')!;
    // A CE with an overheid uplink, and a KPS service host (organisation null) with an IPv4 address.
    ce = nodes.find((n) => n.meta.role === 'ce' && n.interfaces.some((i) => i.name === 'up-overheid'))!;
    const svc = nodes.find((n) => n.kind === 'host' && n.meta.service && n.meta.organisation === null && n.interfaces.some((i) => i.addresses.some((a) => !a.includes(':'))))!;
    kpsService = svc.interfaces.flatMap((i) => i.addresses).find((a) => !a.includes(':'))!.split('/')[0];

    // The events arrive where the devices send them: the border's own ulogd2 (NFLOG group 2, JSON over UDP) to the
    // lab SOC's log receiver (src/lab/soc.ts).
    const logs = socFiles(readState(labState)!).logFiles;
    if (logs.length !== 1) throw new Error(`the lab's SOC should have one log receiver file, found ${logs.length}`);
    events = logs[0];
  }, 600_000);

  afterAll(async () => {
    await ggi('lab', 'down', '--state', labState);
    fs.rmSync(work, { recursive: true, force: true });
  }, 900_000);

  it('the borders run the detection table, loaded with the policy from one file; the CEs do not', async () => {
    for (const b of [border, otherBorder]) expect([...(await counters(b)).keys()].sort()).toEqual(['bekend-kwaadaardig', 'geen-telnet', 'scan-of-flood']);
    expect((await counters(ce)).size).toBe(0);
  });

  it('TCP to port 23 across border-overheid: geen-telnet counts on that border and the SOC receives the event with its prefix', async () => {
    const before = await counters(border);
    const otherBefore = await counters(otherBorder);
    await send(kpsService, 23, 1);
    const after = await counters(border);
    expect(after.get('geen-telnet')!).toBeGreaterThan(before.get('geen-telnet')!);
    expect(after.get('bekend-kwaadaardig')).toBe(before.get('bekend-kwaadaardig'));
    expect(await counters(otherBorder)).toEqual(otherBefore);
    const got = await eventsWith('ggi-det:geen-telnet');
    expect(got.length).toBeGreaterThan(0);
    expect(got[0]).toMatchObject({ dvc: 'border-overheid', dest_ip: kpsService, dest_port: 23 });
    expect(parseLogPrefix(String(got[0]['oob.prefix']))).toEqual({ kind: 'detection', ruleId: 'geen-telnet' });
  }, 180_000);

  it('a burst of new connections from one source: scan-of-flood counts the ones over 200 per second', async () => {
    const before = (await counters(border)).get('scan-of-flood')!;
    await send(kpsService, 20000, 600);
    const after = (await counters(border)).get('scan-of-flood')!;
    // 600 connection attempts well within a second: most of those over the rate (and its burst of 5) are counted.
    expect(after - before).toBeGreaterThan(100);
    expect(after - before).toBeLessThanOrEqual(600);
    const got = await eventsWith('ggi-det:scan-of-flood');
    expect(got.length).toBeGreaterThan(0);
    expect(got[0]).toMatchObject({ dvc: 'border-overheid', dest_ip: kpsService });
  }, 180_000);

  it('the zone policy still decides: every flow is as policy query says, and drift ignores the filled rate meters', async () => {
    const v = await ggi('verify', '--target', 'lab', '--lab-state', labState, '--only', 'flows', '--format', 'json');
    const doc = JSON.parse(v.stdout) as { ok: boolean; checks: Array<{ name: string; ok: boolean }> };
    expect(doc.checks.filter((c) => !c.ok)).toEqual([]);
    expect(doc.checks.length).toBeGreaterThan(0);
    const meter = await runner.run(['nft', 'list', 'set', 'inet', 'ggi_veilig', `${detectionObjectName('scan-of-flood')}_src4`], { netns: border.namespace });
    expect(meter.stdout).toContain('elements = {');
    expect((await ggi('drift', ...target)).code).toBe(0);
  }, 900_000);

  it('drift reports a hand-deleted detection table; apply puts it back', async () => {
    await runner.run(['nft', 'delete', 'table', 'inet', 'ggi_veilig'], { netns: otherBorder.namespace });
    const d = await ggi('drift', ...target, '--format', 'json');
    expect(d.code).toBe(4);
    const doc = JSON.parse(d.stdout) as { devices: Array<{ id: string; changed: boolean; files: Array<{ path: string; diff: string }> }> };
    expect(doc.devices.filter((x) => x.changed).map((x) => x.id)).toEqual(['border-markt']);
    const live = doc.devices.find((x) => x.id === 'border-markt')!.files.find((f) => f.path === 'live:nftables')!;
    // The diff goes from the device to the desired state: the missing table is what apply would add.
    expect(live.diff).toMatch(/^\+table inet ggi_veilig \{$/m);
    expect((await ggi('apply', ...target, '--yes', '--format', 'json')).code).toBe(0);
    expect([...(await counters(otherBorder)).keys()].sort()).toEqual(['bekend-kwaadaardig', 'geen-telnet', 'scan-of-flood']);
    expect((await ggi('drift', ...target)).code).toBe(0);
  }, 900_000);

  it('a new rule in veilig.yaml: plan shows it on every border and nowhere else', async () => {
    const file = path.join(inventory, 'veilig.yaml');
    const text = fs.readFileSync(file, 'utf8');
    fs.writeFileSync(file, text.replace('\nexemptions:', '  - id: geen-rdp\n    kind: service\n    proto: tcp\n    ports: [3389]\n    owner: ggi-veilig-soc\n    reason: test\n\nexemptions:'));
    try {
      const p = await ggi('plan', ...target, '--format', 'json');
      expect(p.code).toBe(0);
      const doc = JSON.parse(p.stdout) as { devices: Array<{ id: string; changed: boolean; files: Array<{ path: string; diff: string }> }> };
      const changed = doc.devices.filter((x) => x.changed);
      expect(changed.map((x) => x.id).sort()).toEqual(['border-markt', 'border-markt-2', 'border-overheid', 'border-overheid-2']);
      for (const c of changed) expect(c.files.map((f) => f.diff).join('\n')).toMatch(/^\+.*th dport 3389 counter name "det-geen-rdp" log group 2 prefix "ggi-det:geen-rdp"$/m);
    } finally {
      fs.writeFileSync(file, text);
    }
  }, 900_000);
});
