import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { commands as reconcile } from '../../src/cli/commands/reconcile';
import { commands as lab } from '../../src/cli/commands/lab';
import { parseCommandArgs, UsageError, UserError } from '../../src/cli/context';
import { readJournal } from '../../src/reconciler/journal';
import { readState } from '../../src/lab/state';
import { readLabTarget } from '../../src/lab/inventory-lab';
import { testbedMissing } from './testbed';
import { baseFiles } from '../intent/fixture';
import { cleanup, scratchCwd, tmpInventory } from '../helpers/tmp-inventory';
import { tmpDir } from './helpers';
import { describeWith, need, unmet } from '../helpers/prereq';
import { frrCheckList, frrLocations, linuxFrr, missingRoutes, missingSessions, type FrrExpectations } from '../../src/devices/linux-frr/index';
import { buildIntents } from '../../src/intent';
import { loadInventory } from '../../src/model/load';

/**
 * `ggi plan|apply|drift` end to end: the fixture inventory of test/intent (7 routers, FRR + nftables) built as a lab
 * with `ggi lab up`, then planned, applied (BGP sessions and routes verified), re-applied (unchanged, nothing
 * touched), tampered with (drift, exit 4), repaired, and applied with one router's sshd stopped (exit 3).
 */

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

async function ggi(name: string, argv: string[], env: NodeJS.ProcessEnv = {}, answer?: string): Promise<Ran> {
  const cmd = [...reconcile, ...lab].find((c) => c.spec.name === name)!;
  const out: string[] = [];
  const err: string[] = [];
  const io = {
    stdout: (t: string) => void out.push(t),
    stderr: (t: string) => void err.push(t),
    isTTY: answer !== undefined,
    env: { GGI_OPERATOR: 'cli-test', ...env },
    cwd: scratchCwd(),
    now: () => new Date(),
    ...(answer !== undefined ? { prompt: async (q: string) => {
      out.push(q);
      return answer;
    } } : {}),
  };
  try {
    const { global, args } = parseCommandArgs(argv, cmd.spec);
    const code = await cmd.run({ io, global, args, spec: cmd.spec });
    return { code, stdout: out.join(''), stderr: err.join('') };
  } catch (e) {
    if (e instanceof UsageError) return { code: 2, stdout: out.join(''), stderr: err.join('') + e.message };
    if (e instanceof UserError) return { code: e.exitCode, stdout: out.join(''), stderr: [...err, e.message, ...e.findings.map((f) => ` ${f.code}`)].join('') };
    throw e;
  }
}

/**
 * The fixture as an inventory that validates (plan, apply and drift refuse any other): CBS gemeentecodes in force and
 * pinned host keys (placeholders: the lab target connects with the keys of the devices it built).
 */
const CBS: Record<string, string> = { GM0001: 'GM0014', GM0002: 'GM0034', GM0003: 'GM0037' };
function validFiles(files: Record<string, string>): Record<string, string> {
  const rename = (t: string) => t.replace(/\b(GM|gm)000([123])\b/g, (m) => (m === m.toUpperCase() ? CBS[m] : CBS[m.toUpperCase()].toLowerCase()));
  const pin = (t: string) => t.replace(/management: \{ address: ([^ },]+) \}/g, `management: { address: $1, hostKey: "SHA256:${'A'.repeat(43)}" }`);
  return Object.fromEntries(Object.entries(files).map(([rel, text]) => [rename(rel), pin(rename(text))]));
}
const inv = tmpInventory(validFiles(baseFiles()));
const state = tmpDir('ggi-rc-cli-');
const labState = path.join(state, 'lab');
const common = ['--inventory', inv, '--target', 'lab', '--lab-state', labState, '--state', state];
afterAll(() => cleanup(inv));

describe('plan/apply/drift: usage and input errors (no devices needed)', () => {
  it('refuses to apply without --yes when not on a terminal', async () => {
    const r = await ggi('apply', ['--inventory', inv]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--yes');
  });

  it('names unknown targets and devices, and a lab that is not up', async () => {
    expect((await ggi('plan', ['--inventory', inv, '--target', 'prod'])).code).toBe(2);
    const noLab = await ggi('plan', ['--inventory', inv, '--target', 'lab', '--lab-state', path.join(state, 'nothing')]);
    expect(noLab.code).toBe(1);
    expect(noLab.stderr).toContain("ggi lab up");
    const dev = await ggi('plan', ['--inventory', inv, '--device', 'ce-gm9999']);
    expect(dev.code).toBe(1);
    expect(dev.stderr).toContain('ce-gm9999');
  });

  it('an invalid inventory exits 1', async () => {
    const bad = tmpInventory({ ...validFiles(baseFiles()), 'ggi.yaml': 'network: [' });
    expect((await ggi('plan', ['--inventory', bad])).code).toBe(1);
    cleanup(bad);
  });

  it('devices without a controller key are reported unreachable (exit 3), never a stack trace', async () => {
    const r = await ggi('plan', ['--inventory', inv, '--format', 'json', '--device', 'ce-gm0014']);
    expect(r.code).toBe(3);
    const doc = JSON.parse(r.stdout);
    expect(doc.devices).toEqual([{ id: 'ce-gm0014', changed: false, files: [], outcome: 'unreachable', reason: expect.stringContaining('no SSH key configured'), driver: expect.objectContaining({ platform: 'linux-frr' }) }]);
  });
});

describeWith(unmet(...testbedMissing(), need.file('/usr/lib/frr/bgpd', 'FRR')), 'plan/apply/drift on the lab', () => {
  beforeAll(async () => {
    const up = await ggi('lab up', ['--inventory', inv, '--state', labState, '--name', 'ggirce']);
    if (up.code !== 0) throw new Error(`lab up failed: ${up.stderr}`);
  });
  afterAll(async () => {
    await ggi('lab down', ['--state', labState]);
    fs.rmSync(state, { recursive: true, force: true });
  });

  const ns = (id: string) => readLabTarget(labState)!.devices.find((d) => d.id === id)!;
  const inNs = (id: string, argv: string[]) => execFileSync('ip', ['netns', 'exec', ns(id).namespace, ...argv], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

  it('a first apply that fails verification leaves the router as it was (no ggi table, no BGP)', async () => {
    // One CE alone: its sessions to border-overheid cannot come up while that border is unconfigured.
    const r = await ggi('apply', [...common, '--yes', '--format', 'json', '--device', 'ce-gm0034', '--verify-timeout', '2']);
    const journal = readJournal(path.join(state, 'journal.jsonl'));
    fs.rmSync(path.join(state, 'journal.jsonl'), { force: true });
    expect(r.code).toBe(3);
    const [ce] = JSON.parse(r.stdout).devices;
    expect(ce).toMatchObject({ id: 'ce-gm0034', outcome: 'rolled-back', reason: expect.stringContaining('BGP sessions established') });
    expect(ce.reason).not.toMatch(/activation failed|deactivation failed/);
    expect(() => inNs('ce-gm0034', ['nft', 'list', 'table', 'inet', 'ggi'])).toThrow();
    expect(inNs('ce-gm0034', ['vtysh', '-N', ns('ce-gm0034').pathspace, '-c', 'show running-config'])).not.toContain('router bgp');
    expect(journal.map((e) => [e.device, e.outcome])).toEqual([['ce-gm0034', 'rolled-back']]);
  });

  it('plan shows every device changing, in the CLI.md shape', async () => {
    const r = await ggi('plan', [...common, '--format', 'json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.devices.map((d: { id: string }) => d.id)).toEqual(['border-markt', 'border-overheid', 'ce-gm0014', 'ce-gm0034', 'ce-sv0001', 'kps', 'rtr-lv0001']);
    for (const d of doc.devices) {
      expect(Object.keys(d).sort()).toEqual(['changed', 'driver', 'files', 'id']);
      expect(d.driver).toEqual({ platform: 'linux-frr', transport: 'ssh', rollback: 'device', validatesOnDevice: true, readOnly: true, manages: ['nftables ruleset', 'FRR configuration', 'flow export (pmacctd)', 'packet logs (ulogd)'], managed: true });
      expect(d.changed).toBe(true);
      for (const f of d.files) expect(f.diff).toMatch(/^--- /);
    }
    expect((await ggi('drift', common)).code).toBe(4);
  });

  it('apply converges every router with its sessions verified; a second apply changes nothing', async () => {
    const r = await ggi('apply', [...common, '--yes', '--format', 'json', '--verify-timeout', '150']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).devices.map((d: { outcome: string }) => d.outcome)).toEqual(Array(7).fill('applied'));
    // Really established (the reconciler's verification said so; check once more from outside).
    const neighbors = JSON.parse(inNs('ce-gm0014', ['vtysh', '-N', ns('ce-gm0014').pathspace, '-c', 'show bgp neighbors json']));
    expect(Object.values(neighbors).every((n) => (n as { bgpState: string }).bgpState === 'Established')).toBe(true);

    const conf = `/etc/frr/${ns('ce-gm0014').pathspace}/frr.conf`;
    const before = fs.statSync(conf);
    const again = await ggi('apply', [...common, '--yes']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('7 devices: 0 applied, 7 unchanged');
    const after = fs.statSync(conf);
    expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs]);
    expect((await ggi('drift', common)).code).toBe(0);
    const journal = readJournal(path.join(state, 'journal.jsonl'));
    expect(journal).toHaveLength(7);
    expect(journal.every((e) => e.operator === 'cli-test' && e.outcome === 'applied' && e.files.length > 0)).toBe(true);
  });

  it("the verification parses real FRR output (UPDATE_FRR_FIXTURES=1 saves it as test/devices/fixtures/frr-8.4)", async () => {
    // Every check of a CE and of a border holds on the converged lab, judged from what FRR itself prints.
    const intents = buildIntents(loadInventory(inv, { profile: readLabTarget(labState)!.profile }).inventory!).intents;
    const seen: Array<{ command: string; expected: string; output: string }> = [];
    for (const id of ['ce-gm0014', 'border-overheid']) {
      const exp = linuxFrr.render(intents.find((i) => i.id === id)!).checks as FrrExpectations;
      const checks = frrCheckList(exp, frrLocations(ns(id)), new Set());
      expect(checks.length).toBeGreaterThan(2);
      for (const c of checks) {
        const out = inNs(id, c.argv);
        expect([id, c.name, c.missing(out)]).toEqual([id, c.name, []]);
        seen.push({ command: c.argv[c.argv.length - 1], expected: c.expected, output: out });
      }
    }
    if (process.env.UPDATE_FRR_FIXTURES === '1') {
      const dir = path.resolve(__dirname, '../devices/fixtures/frr-8.4');
      fs.mkdirSync(dir, { recursive: true });
      const version = inNs('ce-gm0014', ['vtysh', '-N', ns('ce-gm0014').pathspace, '-c', 'show version']).split('\n')[0];
      // One fixture per kind of output: the sessions, and the first route check of each kind and family.
      const write = (name: string, re: RegExp) => {
        const c = seen.find((x) => re.test(x.command));
        if (!c) throw new Error(`no check for ${name}`);
        const expected = c.expected.replace(/^Established: /, '').split(', ');
        fs.writeFileSync(path.join(dir, name), JSON.stringify({ captured: version, command: c.command, expect: expected, output: JSON.parse(c.output) }, null, 2) + '\n');
      };
      write('neighbors.json', /^show bgp neighbors json$/);
      write('advertised-routes-ipv4.json', /^show bgp ipv4 .* advertised-routes json$/);
      write('advertised-routes-ipv6.json', /^show bgp ipv6 .* advertised-routes json$/);
      write('routes-ipv4.json', /^show bgp ipv4 unicast neighbors \S+ routes json$/);
      write('routes-ipv6.json', /^show bgp ipv6 unicast neighbors \S+ routes json$/);
    }
    expect(missingSessions('{}', ['198.18.0.1'])).toHaveLength(1);
    expect(missingRoutes('{}', 'advertised', ['192.0.2.0/24'])).toHaveLength(1);
  });

  it('drift reports hand edits of the running ruleset and FRR config (exit 4); apply repairs them', async () => {
    inNs('ce-gm0034', ['nft', 'add', 'table', 'inet', 'ggi']);
    inNs('ce-gm0034', ['sh', '-c', 'nft list table inet ggi >/dev/null && nft add chain inet ggi tamper']);
    inNs('kps', ['vtysh', '-N', ns('kps').pathspace, '-c', 'configure terminal', '-c', 'ip prefix-list TAMPER seq 5 permit 192.0.2.0/24']);
    const d = await ggi('drift', [...common, '--format', 'json']);
    expect(d.code).toBe(4);
    const changed = JSON.parse(d.stdout).devices.filter((x: { changed: boolean }) => x.changed);
    expect(changed.map((x: { id: string }) => x.id)).toEqual(['ce-gm0034', 'kps']);
    expect(changed[0].files[0]).toMatchObject({ path: 'live:nftables', diff: expect.stringContaining('chain tamper') });
    expect(changed[1].files[0]).toMatchObject({ path: 'live:frr', diff: expect.stringContaining('TAMPER') });

    const fix = await ggi('apply', [...common, '--yes', '--format', 'json']);
    expect(fix.code).toBe(0);
    expect(JSON.parse(fix.stdout).devices.filter((x: { outcome: string }) => x.outcome === 'applied').map((x: { id: string }) => x.id)).toEqual(['ce-gm0034', 'kps']);
    expect((await ggi('drift', common)).code).toBe(0);
    expect(inNs('kps', ['vtysh', '-N', ns('kps').pathspace, '-c', 'show running-config'])).not.toContain('TAMPER');
  });

  it('state nobody declared is drift: a foreign nftables table and an extra FRR stanza are shown, and apply removes them', async () => {
    inNs('border-markt', ['nft', 'add', 'table', 'inet', 'x']);
    inNs('border-markt', ['nft', 'add', 'chain', 'inet', 'x', 'handmade']);
    inNs('ce-gm0014', ['vtysh', '-N', ns('ce-gm0014').pathspace, '-c', 'configure terminal', '-c', 'route-map HANDMADE permit 10']);
    const plan = await ggi('plan', common);
    expect(plan.code).toBe(0);
    expect(plan.stdout).toMatch(/^border-markt: 1 change \(linux-frr over ssh; validated on the device; rollback by the device's own timer\)$/m);
    expect(plan.stdout).toContain('-table inet x {');
    expect(plan.stdout).toContain('-route-map HANDMADE permit 10');
    const d = await ggi('drift', [...common, '--format', 'json']);
    expect(d.code).toBe(4);
    const changed = JSON.parse(d.stdout).devices.filter((x: { changed: boolean }) => x.changed);
    expect(changed.map((x: { id: string; files: Array<{ path: string }> }) => [x.id, x.files.map((f) => f.path)])).toEqual([
      ['border-markt', ['live:nftables']],
      ['ce-gm0014', ['live:frr']],
    ]);
    const fix = await ggi('apply', [...common, '--yes', '--format', 'json']);
    expect(fix.code).toBe(0);
    expect(inNs('border-markt', ['nft', 'list', 'tables'])).not.toContain('inet x');
    expect(inNs('ce-gm0014', ['vtysh', '-N', ns('ce-gm0014').pathspace, '-c', 'show running-config'])).not.toContain('HANDMADE');
    expect((await ggi('drift', common)).code).toBe(0);
  });

  it('on a terminal, apply shows the plan and asks first', async () => {
    const file = `/etc/frr/${ns('ce-gm0034').pathspace}/frr.conf`;
    fs.appendFileSync(file, '! hand edit\n');
    const no = await ggi('apply', common, {}, 'n');
    expect(no.code).toBe(0);
    expect(no.stdout).toContain('-! hand edit');
    expect(no.stdout).toContain('apply these changes to 1 device? [y/N]');
    expect(fs.readFileSync(file, 'utf8')).toContain('! hand edit');
    const yes = await ggi('apply', common, {}, 'y');
    expect(yes.code).toBe(0);
    expect(yes.stdout).toMatch(/ce-gm0034\s+applied/);
    expect(fs.readFileSync(file, 'utf8')).not.toContain('! hand edit');
  });

  it('a router whose sshd is stopped is unreachable (exit 3) while the others are applied', async () => {
    fs.appendFileSync(`/etc/frr/${ns('ce-gm0014').pathspace}/frr.conf`, '! hand edit\n');
    fs.appendFileSync(`/etc/frr/${ns('ce-sv0001').pathspace}/frr.conf`, '! hand edit\n');
    const node = readState(labState)!.nodes.find((n) => n.id === 'ce-sv0001')!;
    const sshd = Number(fs.readFileSync(node.sshd!.pidFile, 'utf8').trim());
    process.kill(sshd, 'SIGTERM');
    // Gone before the apply starts (a bounded wait), so that a generous connect limit cannot reach a dying sshd.
    for (const until = Date.now() + 30_000; fs.existsSync(`/proc/${sshd}`) && Date.now() < until; ) await new Promise((r) => setTimeout(r, 50));
    const r = await ggi('apply', [...common, '--yes', '--format', 'json', '--connect-timeout', '20']);
    expect(r.code).toBe(3);
    const byId = Object.fromEntries(JSON.parse(r.stdout).devices.map((x: { id: string; outcome: string }) => [x.id, x.outcome]));
    expect(byId['ce-sv0001']).toBe('unreachable');
    expect(byId['ce-gm0014']).toBe('applied');
    expect(r.stderr).toContain('ce-sv0001: unreachable');
    expect(fs.readFileSync(`/etc/frr/${ns('ce-gm0014').pathspace}/frr.conf`, 'utf8')).not.toContain('! hand edit');
  });
});
