import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { driverFor } from '../../src/devices';
import { LIVE_RULESET_ARGV } from '../../src/devices/linux-frr/ruleset';
import { candidatePath, clearTrippedCommand, frrLocations, linuxFrr, linuxFrrHost, maxPrefixProbe, parseFrrReloadTest, renderFrrConf, renderLinuxFrr, renderRuleset } from '../../src/devices/linux-frr/index';
import { buildIntents, type DeviceIntent } from '../../src/intent';
import { localRunner, mapLimit } from '../../src/lab';
import { loadInventory } from '../../src/model/load';
import { baseFiles, loadFiles } from '../intent/fixture';
import { need, testWith, unmet } from '../helpers/prereq';

const GOLDEN = path.join(__dirname, 'golden');
const runner = localRunner();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ggi-render-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Runs the real parser on a file; returns its complaint, or null when it accepts the file. */
function check(cmd: string[], content: string, name: string): string | null {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, content);
  const r = spawnSync(cmd[0], [...cmd.slice(1), file], { encoding: 'utf8' });
  if (r.status === 0) return null;
  return `${cmd.join(' ')} ${name} exited ${r.status}: ${r.stderr || r.stdout}`;
}

/** The same, several at a time (each parser run costs ~0.1 s). */
async function checkAll(jobs: Array<{ cmd: string[]; content: string; name: string }>): Promise<string[]> {
  const results = await mapLimit(jobs, 8, async (j) => {
    const file = path.join(tmp, j.name);
    fs.writeFileSync(file, j.content);
    const r = await runner.run([...j.cmd, file], { allowFail: true });
    return r.code === 0 ? null : `${j.cmd.join(' ')} ${j.name} exited ${r.code}: ${r.stderr || r.stdout}`;
  });
  return results.filter((x): x is string => x !== null);
}

function parserProblems(intents: DeviceIntent[], label: string): Promise<string[]> {
  const jobs = intents.flatMap((i) =>
    // The telemetry daemons' files are checked by their daemons in test/lab/telemetry.test.ts.
    renderLinuxFrr(i).documents.filter((f) => f.name === 'frr.conf' || f.name === 'ggi.nft').map((f) => ({ cmd: f.name === 'frr.conf' ? ['vtysh', '--dryrun', '-f'] : ['nft', '-c', '-f'], content: f.content, name: `${label}-${i.id}-${f.name}` })),
  );
  return checkAll(jobs);
}

describe('linux-frr renderer', () => {
  const inv = loadFiles(baseFiles());
  const built = buildIntents(inv);
  const byId = new Map(built.intents.map((i) => [i.id, i]));

  it('matches the golden frr.conf files (UPDATE_GOLDEN=1 rewrites them)', () => {
    for (const id of ['ce-gm0001', 'ce-sv0001', 'border-overheid', 'border-markt', 'kps', 'rtr-lv0001']) {
      const text = renderFrrConf(byId.get(id)!);
      const file = path.join(GOLDEN, `${id}.frr.conf`);
      if (process.env.UPDATE_GOLDEN === '1') fs.writeFileSync(file, text);
      expect(text).toBe(fs.readFileSync(file, 'utf8'));
    }
  });

  const vtysh = need.command('vtysh', 'frr');
  const parsers = unmet(vtysh, need.command('nft', 'nftables'), need.root('root for nft -c'));
  testWith(vtysh, 'has FRR accept every golden file', async () => {
    const golden = fs.readdirSync(GOLDEN).filter((f) => f.endsWith('.frr.conf'));
    expect(golden.length).toBeGreaterThan(0);
    expect(await checkAll(golden.map((f) => ({ cmd: ['vtysh', '--dryrun', '-f'], content: fs.readFileSync(path.join(GOLDEN, f), 'utf8'), name: `golden-${f}` })))).toEqual([]);
  });

  testWith(parsers, 'has the real parsers reject a broken file (the check can fail)', () => {
    const ce = byId.get('ce-gm0001')!;
    expect(check(['vtysh', '--dryrun', '-f'], renderFrrConf(ce).replace('maximum-prefix', 'maximum-prefx'), 'broken.conf')).toContain('Unknown command');
    expect(check(['nft', '-c', '-f'], renderRuleset(ce.filter!).replace('policy drop', 'policy dorp'), 'broken.nft')).not.toBeNull();
  });

  testWith(parsers, 'renders files that FRR and nft accept, for every device of the test inventory', async () => {
    expect(await parserProblems(built.intents, 'fixture')).toEqual([]);
  });

  testWith(parsers, 'renders files that FRR and nft accept, for every device of the example inventory (lab profile)', async () => {
    const r = loadInventory('inventory', { profile: 'lab' });
    expect(r.findings.filter((f) => f.severity === 'error')).toEqual([]);
    const example = buildIntents(r.inventory!);
    expect(example.findings.filter((f) => f.severity === 'error')).toEqual([]);
    expect(example.intents.length).toBeGreaterThan(10);
    expect(await parserProblems(example.intents, 'example')).toEqual([]);
  });

  it('is the registered driver of its platform, and says what it can do', () => {
    expect(driverFor('linux-frr')).toBe(linuxFrr);
    expect(linuxFrr.capabilities).toEqual({ transport: 'ssh', nativeCommitConfirm: true, validatesOnDevice: true, readOnly: true, manages: ['nftables ruleset', 'FRR configuration', 'flow export (pmacctd)', 'packet logs (ulogd)'] });
  });

  it('validates candidates, activates the live files, and watches the whole ruleset and FRR configuration', () => {
    const ce = byId.get('ce-gm0001')!;
    const candidate = linuxFrr.render(ce);
    expect(candidate.documents.map((d) => d.name)).toEqual(['frr.conf', 'ggi.nft']);
    expect(candidate.documents[1].content).toMatch(/^# ggi: nftables ruleset for ce-gm0001 \(ce\)[^\n]*\n#[^\n]*\nflush ruleset\ntable inet ggi \{\n/);
    const r = linuxFrrHost(candidate, { pathspace: 'ggi-ce-gm0001-abc123' });
    expect(r.files.map((f) => [f.name, f.path, f.mode])).toEqual([
      ['ggi.nft', '/etc/frr/ggi-ce-gm0001-abc123/ggi.nft', 0o640],
      ['frr.conf', '/etc/frr/ggi-ce-gm0001-abc123/frr.conf', 0o640],
    ]);
    expect(r.files.map((f) => f.candidate)).toEqual(r.files.map((f) => candidatePath(f.path)));
    expect(r.live).toEqual([
      { name: 'nftables', argv: LIVE_RULESET_ARGV },
      { name: 'frr', argv: ['vtysh', '-N', 'ggi-ce-gm0001-abc123', '-c', 'show running-config'] },
      maxPrefixProbe(frrLocations({ pathspace: 'ggi-ce-gm0001-abc123' })),
    ]);
    expect(r.validate).toEqual([
      ['nft', '-c', '-f', candidatePath('/etc/frr/ggi-ce-gm0001-abc123/ggi.nft')],
      ['vtysh', '--dryrun', '-f', candidatePath('/etc/frr/ggi-ce-gm0001-abc123/frr.conf')],
    ]);
    expect(r.activate).toEqual([
      ['nft', '-f', '/etc/frr/ggi-ce-gm0001-abc123/ggi.nft'],
      ['/usr/lib/frr/frr-reload.py', '--reload', '--confdir', '/etc/frr/ggi-ce-gm0001-abc123', '--pathspace', 'ggi-ce-gm0001-abc123', '/etc/frr/ggi-ce-gm0001-abc123/frr.conf'],
      clearTrippedCommand(frrLocations({ pathspace: 'ggi-ce-gm0001-abc123' })),
    ]);
    // On a real router: the system's folders, no pathspace.
    expect(linuxFrrHost(candidate, { pathspace: null }).files.map((f) => f.path)).toEqual(['/etc/nftables.d/ggi.nft', '/etc/frr/frr.conf']);
    const exp = candidate.checks as import('../../src/devices/linux-frr/index').FrrExpectations;
    expect(exp.sessions).toHaveLength(4);
    const up6 = exp.advertised.find((a) => a.family === 6 && a.peerDevice === 'border-overheid')!;
    expect(up6.prefixes).toEqual(['2a07:3500:4::/46']);
    const border = linuxFrr.render(byId.get('border-overheid')!).checks as import('../../src/devices/linux-frr/index').FrrExpectations;
    expect(border.received.find((x) => x.peerDevice === 'kps' && x.family === 4)!.prefixes).toEqual(['203.0.113.0/28', '203.0.113.16/28']);
    // The border originates nothing: what it sends the KPS is relayed from the CEs.
    expect(border.advertised.find((x) => x.peerDevice === 'kps' && x.family === 4)!.prefixes).toEqual([]);
    expect(border.relayed.find((x) => x.peerDevice === 'kps' && x.family === 4)!.prefixes).toEqual(['192.0.2.16/28', '192.0.2.32/28', '192.0.2.48/28', '192.0.2.192/28']);
  });

  it('counts filtered routes towards max-prefix on the KPS sessions only (force needs the Adj-RIB-In)', () => {
    const conf = renderFrrConf(byId.get('border-overheid')!);
    const kps = byId.get('border-overheid')!.bgp!.neighbors.filter((n) => n.peerDevice === 'kps').map((n) => n.address);
    expect(kps).toHaveLength(2);
    const forced = [...conf.matchAll(/neighbor (\S+) maximum-prefix \d+ force$/gm)].map((m) => m[1]);
    const soft = [...conf.matchAll(/neighbor (\S+) soft-reconfiguration inbound$/gm)].map((m) => m[1]);
    expect(forced.sort()).toEqual([...kps].sort());
    expect(soft.sort()).toEqual([...kps].sort());
    expect(renderFrrConf(byId.get('ce-gm0001')!)).not.toMatch(/force|soft-reconfiguration/);
  });

  testWith(need.command('python3', 'python3'), 'reports and clears only the sessions FRR stopped for max-prefix', () => {
    // A stand-in vtysh: `show bgp summary json` as FRR 8.4 prints it (one tripped, one healthy, one shut down); any
    // other command is logged.
    const bin = fs.mkdtempSync(path.join(tmp, 'bin-'));
    const log = path.join(bin, 'log');
    const summary = {
      ipv4Unicast: { peers: { '198.18.0.1': { state: 'Idle (PfxCt)', peerState: 'PfxCt' }, '198.18.0.3': { state: 'Established', peerState: 'OK' } } },
      ipv6Unicast: { peers: { '2001:db8::1': { state: 'Idle (Admin)', peerState: 'Admin' }, '2001:db8::3': { state: 'Idle', peerState: 'PfxCt' } } },
    };
    fs.writeFileSync(path.join(bin, 'summary.json'), JSON.stringify(summary));
    fs.writeFileSync(path.join(bin, 'vtysh'), `#!/bin/sh\nif [ "$4" = 'show bgp summary json' ]; then cat ${bin}/summary.json; else echo "$*" >> ${log}; fi\n`, { mode: 0o755 });
    const env = { ...process.env, PATH: `${bin}:${process.env.PATH}` };
    const paths = frrLocations({ pathspace: 'ggi-border-x' });
    const run = (argv: string[]) => spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', env });
    const probe = run(maxPrefixProbe(paths).argv);
    expect(probe.status).toBe(0);
    expect(probe.stdout).toBe('198.18.0.1 stopped by max-prefix\n2001:db8::3 stopped by max-prefix\n');
    expect(run(clearTrippedCommand(paths)).status).toBe(0);
    expect(fs.readFileSync(log, 'utf8')).toBe('-N ggi-border-x -c clear bgp 198.18.0.1\n-N ggi-border-x -c clear bgp 2001:db8::3\n');
    // Nothing tripped: the probe prints nothing (the view recorded at apply) and nothing is cleared.
    fs.writeFileSync(path.join(bin, 'summary.json'), JSON.stringify({ ipv4Unicast: { peers: { '198.18.0.1': { state: 'Established', peerState: 'OK' } } } }));
    fs.rmSync(log);
    expect(run(maxPrefixProbe(paths).argv).stdout).toBe('');
    expect(run(clearTrippedCommand(paths)).status).toBe(0);
    expect(fs.existsSync(log)).toBe(false);
  });

  it('parses frr-reload.py --test output, ignoring the system hostname', () => {
    const out = '\nLines To Delete\n===============\nno hostname vm\n\nLines To Add\n============\nno ip prefix-list X seq 12 permit 10.0.0.0/8\n';
    expect(parseFrrReloadTest(out)).toEqual({ toDelete: [], toAdd: ['no ip prefix-list X seq 12 permit 10.0.0.0/8'] });
    expect(parseFrrReloadTest('\nLines To Delete\n===============\n\nLines To Add\n============\n')).toEqual({ toDelete: [], toAdd: [] });
  });

  it('manages only the ruleset on a device without BGP', () => {
    const radius: DeviceIntent = { ...byId.get('kps')!, id: 'radius-1', role: 'radius', bgp: undefined };
    const r = renderLinuxFrr(radius);
    expect(r.documents.map((f) => f.name)).toEqual(['ggi.nft']);
    expect((r.checks as import('../../src/devices/linux-frr/index').FrrExpectations).sessions).toEqual([]);
  });
});
