import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../../src/cli/main';
import { localRunner, readState } from '../../src/lab';
import { flowProbes, runProbes } from '../../src/lab/verify';
import { loadGemeenten } from '../../src/model/gemeenten';
import { fakeIo } from '../helpers/tmp-inventory';
import { describeLab } from './prereq';
// A seeded generator (mulberry32), so a failing run is repeated with GGI_LIFECYCLE_SEED.
import { mulberry32 } from '../../src/generate/prng';

/**
 * An organisation's life in one lab, never taken down in between: three gemeenten from the CBS list (chosen by the
 * seed; one behind a samenwerkingsverband) are onboarded with no file edited by hand, the lab is brought up, applied
 * and verified (the lab pins the new CEs' host keys itself); then the member moves out of its samenwerkingsverband to
 * a CE of its own, and one of the others is offboarded. After each step `lab up` rewires the running lab to the
 * inventory (src/lab/rewire.ts), `apply` and `verify` are green, and real packets show the flows: the moved one's over
 * its new CE, none of the one that left. Routers the steps do not touch keep running (their FRR keeps its pids).
 */
const SEED = Number(process.env.GGI_LIFECYCLE_SEED ?? Date.now() % 2 ** 31);

interface CheckJson {
  name: string;
  ok: boolean;
  expected: string;
  observed: string;
  detail: string;
}

describeLab(`an organisation's life in the lab (GGI_LIFECYCLE_SEED=${SEED})`, () => {
  const inv = fs.mkdtempSync(path.join(os.tmpdir(), 'ggi-lifecycle-inv-'));
  const labState = fs.mkdtempSync(path.join(os.tmpdir(), 'ggi-lifecycle-lab-'));
  const ggiState = fs.mkdtempSync(path.join(os.tmpdir(), 'ggi-lifecycle-state-'));
  fs.cpSync(path.resolve(__dirname, '../../inventory'), inv, { recursive: true });
  const runner = localRunner();

  const present = new Set(fs.readdirSync(path.join(inv, 'organisations')).map((f) => f.replace('.yaml', '').toUpperCase()));
  const next = mulberry32(SEED);
  const pool = loadGemeenten().filter((g) => !present.has(g.code));
  const chosen: typeof pool = [];
  while (chosen.length < 3) {
    const g = pool[Math.floor(next() * pool.length)];
    if (!chosen.includes(g)) chosen.push(g);
  }
  const [own1, own2, member] = chosen;

  async function ggi(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const f = fakeIo({ ...process.env, GGI_OPERATOR: 'lifecycle-lab-test' });
    const code = await main([...argv, '--inventory', inv], f.io);
    return { code, stdout: f.stdout(), stderr: f.stderr() };
  }
  const lab = ['--target', 'lab', '--lab-state', labState];
  async function verify(...only: string[]): Promise<{ ok: boolean; checks: CheckJson[] }> {
    const r = await ggi('verify', ...lab, '--format', 'json', ...only.flatMap((o) => ['--only', o]));
    const doc = JSON.parse(r.stdout) as { ok: boolean; checks: CheckJson[] };
    // The failing checks, in full, when a step is not green.
    expect(doc.checks.filter((c) => !c.ok)).toEqual([]);
    expect(r.code).toBe(0);
    return doc;
  }
  async function apply(): Promise<void> {
    // Every device of the example and three more at once on a 2-core host: a BGP session that a neighbour's reload
    // reset waits for FRR's connect-retry (up to 120 s), so verification gets two of those, not the default one.
    const r = await ggi('apply', ...lab, '--state', ggiState, '--yes', '--format', 'json', '--verify-timeout', '300');
    expect(r.stderr).not.toMatch(/rolled-back|unreachable/);
    expect(r.code).toBe(0);
  }
  /** Real packets from an organisation's LAN host to every service host: how many got through, of how many. */
  async function fromLan(org: string): Promise<{ connected: number; total: number }> {
    const state = readState(labState)!;
    const probes = flowProbes(state).filter((p) => p.from === `lan-${org.toLowerCase()}` && p.to.startsWith('svc-') && p.port !== null);
    const got = await runProbes(runner, probes, { timeoutMs: 1000 });
    return { connected: got.filter((g) => g.ok).length, total: probes.length };
  }

  afterAll(async () => {
    await ggi('lab', 'down', '--state', labState);
    for (const d of [inv, labState, ggiState]) fs.rmSync(d, { recursive: true, force: true });
  });

  /** Real packets from every other host to an organisation's LAN host: how many got through, of how many. */
  async function toLan(org: string): Promise<{ connected: number; total: number }> {
    const state = readState(labState)!;
    const probes = flowProbes(state).filter((p) => p.to === `lan-${org.toLowerCase()}`);
    const got = await runProbes(runner, probes, { timeoutMs: 1000 });
    return { connected: got.filter((g) => g.ok).length, total: probes.length };
  }
  async function labUp(): Promise<string> {
    const r = await ggi('lab', 'up', '--state', labState, '--name', 'ggilcy');
    expect([r.code, r.stderr]).toEqual([0, '']);
    return r.stdout;
  }
  /** The CE a LAN host is wired to, as the running lab records it. */
  function ceOf(org: string): string[] {
    const lan = readState(labState)!.nodes.find((n) => n.id === `lan-${org.toLowerCase()}`);
    return [...new Set((lan?.interfaces ?? []).flatMap((i) => (i.peer ? [i.peer.node] : [])))];
  }
  /** The FRR pids of a router no step touches (a CE of another organisation), to show it is never restarted. */
  let bystander: { id: string; pids: Record<string, number> } | undefined;
  function bystanderPids(): Record<string, number> | undefined {
    return readState(labState)!.nodes.find((n) => n.id === bystander?.id)?.frr?.pids;
  }

  it(`onboards ${own1.code}, ${own2.code} and ${member.code} (behind SV0001); lab up, apply and verify are green and carry their flows`, async () => {
    for (const [g, extra] of [[own1, []], [own2, []], [member, ['--served-by', 'SV0001']]] as const) {
      const r = await ggi('onboard', g.code, '--name', g.name, ...extra, '--state', ggiState);
      expect([g.code, r.code, r.stderr]).toEqual([g.code, 0, '']);
      // The steps it prints for the lab are the ones this test runs.
      expect(r.stdout).toContain('or first in the lab:\n  1. ggi validate --target lab\n  2. ggi lab up\n  3. ggi apply --target lab\n  4. ggi verify --target lab\n');
    }
    expect((await ggi('validate', '--target', 'lab')).code).toBe(0);
    await labUp();
    await apply();
    const doc = await verify();
    expect([...new Set(doc.checks.map((c) => c.name.split(' ')[0]))]).toEqual(expect.arrayContaining(['bgp', 'device', 'flows', 'kps']));
    // Their CEs are managed and healthy, their sessions are up, and their LANs reach the services the policy allows.
    for (const g of [own1, own2]) expect(doc.checks.some((c) => c.name.startsWith(`device ce-${g.code.toLowerCase()}`))).toBe(true);
    for (const g of [own1, own2]) expect(doc.checks.some((c) => c.name.startsWith(`bgp ce-${g.code.toLowerCase()} `))).toBe(true);
    for (const g of chosen) expect((await fromLan(g.code)).connected).toBeGreaterThan(0);
    expect(ceOf(member.code)).toEqual(['ce-sv0001']);
    const other = readState(labState)!.nodes.find((n) => n.meta.role === 'ce' && n.frr?.pids && n.id !== 'ce-sv0001' && !chosen.some((g) => n.id === `ce-${g.code.toLowerCase()}`));
    bystander = { id: other!.id, pids: { ...other!.frr!.pids! } };
  });

  it(`moves ${member.code} out of SV0001 to a CE of its own: lab up rewires the running lab, apply and verify are green, its flows go over its new CE`, async () => {
    const r = await ggi('move', member.code, '--own-connection-point', '--state', ggiState);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toContain(`created its connection point and CE ce-${member.code.toLowerCase()}; it leaves SV0001`);
    const up = await labUp();
    expect(up).toContain('the lab was up: rewired it to the inventory');
    expect(up).toContain(`added (1): ce-${member.code.toLowerCase()}`);
    expect(up).toMatch(new RegExp(`rewired \\(\\d+\\): .*lan-${member.code.toLowerCase()}`));
    expect(ceOf(member.code)).toEqual([`ce-${member.code.toLowerCase()}`]);
    await apply();
    const doc = await verify();
    expect(doc.checks.some((c) => c.name.startsWith(`bgp ce-${member.code.toLowerCase()} `))).toBe(true);
    // Its LAN host has no other way out than its new CE: what gets through went over it.
    for (const g of chosen) expect((await fromLan(g.code)).connected).toBeGreaterThan(0);
    expect(bystanderPids()).toEqual(bystander!.pids);
  });

  it(`offboards ${own2.code}: apply stops its flows (real packets), lab up removes it, apply and verify are green`, async () => {
    const before = await toLan(own2.code);
    const r = await ggi('offboard', own2.code, '--state', ggiState);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toContain(`removed from the desired state: ce-${own2.code.toLowerCase()}`);
    await apply();
    // Its CE and LAN host still run, but the borders no longer carry anything from or to it.
    const from = await fromLan(own2.code);
    expect(from.total).toBeGreaterThan(0);
    expect(from.connected).toBe(0);
    const to = await toLan(own2.code);
    expect([before.total > 0, to.connected]).toEqual([true, 0]);
    const up = await labUp();
    expect(up).toContain(`removed (2): ce-${own2.code.toLowerCase()}, lan-${own2.code.toLowerCase()}`);
    expect(readState(labState)!.nodes.some((n) => n.meta.organisation === own2.code)).toBe(false);
    await apply();
    await verify();
    // The others are untouched.
    for (const g of [own1, member]) expect((await fromLan(g.code)).connected).toBeGreaterThan(0);
    expect(bystanderPids()).toEqual(bystander!.pids);
    // The journal shows the organisation's life next to the device changes it led to.
    const journal = await ggi('journal', '--state', ggiState, '--format', 'json');
    const steps = (JSON.parse(journal.stdout).entries as Array<{ kind?: string; command?: string; device?: string }>).map((e) => (e.kind === 'lifecycle' ? e.command : `apply ${e.device}`));
    const life = steps.filter((x) => !x!.startsWith('apply '));
    expect(life).toEqual([`onboard ${own1.code}`, `onboard ${own2.code}`, `onboard ${member.code} --served-by SV0001`, `move ${member.code} --own-connection-point`, `offboard ${own2.code}`]);
    expect(steps.indexOf(`apply ce-${member.code.toLowerCase()}`)).toBeGreaterThan(steps.indexOf(`move ${member.code} --own-connection-point`));
  });
});
