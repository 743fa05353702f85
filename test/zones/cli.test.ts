import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { main } from '../../src/cli/main';
import { cleanup, fakeIo } from '../helpers/tmp-inventory';
import { writeInventory } from './fixture';

const RULES = `rules:
  - id: brp
    from: { zone: overheid }
    to: { services: [brp] }
    proto: tcp
    ports: [443]
    action: allow
    owner: netwerk
    reason: BRP
  - { id: saas, from: { zone: markt }, to: { services: [saas] }, proto: tcp, ports: [443], action: allow, owner: netwerk, reason: SaaS }
`;
const HEAD_RULES = RULES.replace('ports: [443]\n', 'ports: [443, "8000-8080"]\n') + `  - { id: ping, from: { zone: overheid }, to: { zone: overheid }, proto: icmp, action: allow, owner: netwerk, reason: ping }\n`;

async function run(argv: string[]) {
  const f = fakeIo();
  const code = await main(argv, f.io);
  return { code, out: f.stdout(), err: f.stderr() };
}

describe('ggi policy (CLI)', () => {
  const base = writeInventory(RULES);
  const head = writeInventory(HEAD_RULES);
  afterAll(() => {
    cleanup(base);
    cleanup(head);
  });

  it('query prints the verdict', async () => {
    const r = await run(['policy', 'query', '--inventory', base, '--src', '192.0.2.1', '--dst', '192.0.2.129', '--proto', 'tcp', '--dport', '443', '--format', 'json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toEqual({ allowed: true, verdict: 'allowed', rule: 'brp', reason: expect.stringContaining('BRP') });
    const t = await run(['policy', 'query', '--inventory', base, '--src', '198.51.100.1', '--dst', '192.0.2.129', '--proto', 'tcp', '--dport', '443']);
    expect(t.out).toMatch(/^denied: zones never exchange traffic/);
  });

  it('query rejects impossible packets with exit 1 and no stack trace', async () => {
    const r = await run(['policy', 'query', '--inventory', base, '--src', '192.0.2.1', '--dst', '192.0.2.129', '--proto', 'icmp', '--dport', '443']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/icmp has no ports/);
    expect(r.err).not.toMatch(/at .*\.ts:\d+/);
    const u = await run(['policy', 'query', '--inventory', base, '--src', '192.0.2.1', '--dst', '192.0.2.129', '--proto', 'gre']);
    expect(u.code).toBe(2);
  });

  it('query --batch answers one line per packet', async () => {
    const file = path.join(base, 'batch.jsonl');
    fs.writeFileSync(
      file,
      [
        { src: '192.0.2.1', dst: '192.0.2.129', proto: 'tcp', dport: 443 },
        { src: '192.0.2.1', dst: '192.0.2.129', proto: 'tcp', dport: 80 },
        { src: '2a07:3500:4::1', dst: '2001:db8:100::1', proto: 'tcp', dport: 443 },
      ]
        .map((x) => JSON.stringify(x))
        .join('\n') + '\n',
    );
    const r = await run(['policy', 'query', '--inventory', base, '--batch', file]);
    expect(r.code).toBe(0);
    const lines = r.out.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.allowed)).toEqual([true, false, true]);
    fs.appendFileSync(file, '{"src":"192.0.2.1","dst":"2001:db8::1","proto":"tcp","dport":1}\nnot json\n');
    const bad = await run(['policy', 'query', '--inventory', base, '--batch', file]);
    expect(bad.code).toBe(1);
    expect(bad.out.trim().split('\n').slice(3).map((l) => Object.keys(JSON.parse(l)))).toEqual([['error'], ['error']]);
  });

  it('lint is clean on a clean policy and reports findings as JSON', async () => {
    const r = await run(['policy', 'lint', '--inventory', base, '--format', 'json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).ok).toBe(true);
  });

  it('diff between two folders, all formats', async () => {
    const j = await run(['policy', 'diff', '--base', base, '--head', head, '--format', 'json']);
    expect(j.code).toBe(0);
    const d = JSON.parse(j.out);
    expect(d.closed).toEqual([]);
    expect(d.opened.map((c: { rules: string[]; proto: string; dports: string | null }) => `${c.rules[0]} ${c.proto} ${c.dports}`).sort()).toEqual(
      expect.arrayContaining(['brp tcp 8000-8080', 'ping icmp null']),
    );
    for (const c of d.opened) expect(Object.keys(c).sort()).toEqual(['dports', 'dst', 'example', 'proto', 'rules', 'src']);
    const f = await run(['policy', 'diff', '--base', base, '--head', head, '--format', 'json', '--fail-on', 'opened']);
    expect(f.code).toBe(4);
    const md = await run(['policy', 'diff', '--base', base, '--head', head, '--format', 'markdown']);
    expect(md.out).toMatch(/## ggi policy diff/);
    expect(md.out).toMatch(/\| `brp` \| tcp \| 8000-8080 \|/);
    const ju = await run(['policy', 'diff', '--base', base, '--head', head, '--format', 'junit', '--fail-on', 'opened']);
    expect(ju.code).toBe(4);
    expect(ju.out).toMatch(/<failure type="POLICY_FLOW_OPENED"/);
    const sa = await run(['policy', 'diff', '--base', base, '--head', head, '--format', 'sarif']);
    const sarif = JSON.parse(sa.out);
    expect(sarif.version).toBe('2.1.0');
    const res = sarif.runs[0].results.find((x: { message: { text: string } }) => /rule ping/.test(x.message.text));
    // the ping rule is the third rule of policy/10-rules.yaml: its `id` is on line 11
    expect(res.locations[0].physicalLocation.region.startLine).toBe(11);
    expect(res.locations[0].physicalLocation.artifactLocation.uri).toMatch(/policy\/10-rules\.yaml$/);
    const t = await run(['policy', 'diff', '--base', base, '--head', head]);
    expect(t.out).toMatch(/2 opened, 0 closed|opened/);
  });

  it('diff for people: who gains access to what, the rules with owner and reason, capped markdown linking the full artefact', async () => {
    const j = JSON.parse((await run(['policy', 'diff', '--base', base, '--head', head, '--format', 'json'])).out);
    const gm1 = j.organisations.find((o: { organisation: string }) => o.organisation === 'GM0001');
    expect(gm1.loses).toEqual([]);
    expect(gm1.gains).toEqual(expect.arrayContaining([expect.objectContaining({ to: ['brp'], proto: 'tcp', dports: '8000-8080', rules: ['brp'] })]));
    // GM0002 reaches overheid through SV0001: it gains as well; the KPS service does not appear as a gainer
    expect(j.organisations.map((o: { organisation: string }) => o.organisation)).toEqual(expect.arrayContaining(['GM0002', 'SV0001']));
    expect(j.rules.brp).toEqual({ owner: 'netwerk', reason: 'BRP', file: expect.stringMatching(/policy\/10-rules\.yaml$/), line: 2 });
    expect(j.rules.ping).toMatchObject({ owner: 'netwerk', reason: 'ping', line: 11 });

    const art = path.join(head, 'full-diff.sarif');
    const md = await run(['policy', 'diff', '--base', base, '--head', head, '--format', 'markdown', '--limit', '1', '--artefact', art, '--link', 'https://ci.example/artefacts/42']);
    expect(md.code).toBe(0);
    expect(md.out).toMatch(/### Who gains access \(\d+\)/);
    expect(md.out).toMatch(/### Rules involved \(2\)\n\n\| rule \| owner \| reason \| declared \|/);
    expect(md.out).toMatch(/… and \d+ more organisation\(s\)\./);
    expect(md.out).toMatch(/Shortened; the full report \(every change, JSON or SARIF\): https:\/\/ci\.example\/artefacts\/42\n$/);
    // capped: one row per section
    expect(md.out.split('\n').filter((l) => l.startsWith('| `brp`') || l.startsWith('| `ping`')).length).toBeLessThanOrEqual(3);
    expect(JSON.parse(fs.readFileSync(art, 'utf8')).version).toBe('2.1.0');

    const t = await run(['policy', 'diff', '--base', base, '--head', head]);
    expect(t.out).toMatch(/^ {2}GM0001 gains .*tcp\/8000-8080 to brp/m);
    expect(t.out).toMatch(/^ {2}brp \(owner netwerk, .*policy\/10-rules\.yaml:2\): BRP$/m);
    expect((await run(['policy', 'diff', '--base', base, '--head', head, '--limit', '0'])).code).toBe(2);
  });

  it('diff against git revisions without touching the working tree', async () => {
    const repo = writeInventory(RULES);
    try {
      const git = (...a: string[]) => execFileSync('git', ['-c', 'user.email=t@example.org', '-c', 'user.name=t', ...a], { cwd: repo, stdio: 'pipe' }).toString();
      git('init', '-q');
      git('add', '.');
      git('commit', '-qm', 'base');
      fs.writeFileSync(path.join(repo, 'policy/10-rules.yaml'), HEAD_RULES);
      const before = fs.readFileSync(path.join(repo, 'policy/10-rules.yaml'), 'utf8');
      const r = await run(['policy', 'diff', '--inventory', repo, '--base', 'HEAD', '--format', 'json']);
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      expect(JSON.parse(r.out).opened.length).toBeGreaterThan(0);
      expect(fs.readFileSync(path.join(repo, 'policy/10-rules.yaml'), 'utf8')).toBe(before);
      expect(git('status', '--porcelain')).toMatch(/policy\/10-rules.yaml/);
      const bad = await run(['policy', 'diff', '--inventory', repo, '--base', 'no-such-ref', '--format', 'json']);
      expect(bad.code).toBe(1);
      // With --format json the error is the one JSON document (CLI.md), an argument error without a location.
      expect(JSON.parse(bad.out)).toMatchObject({ ok: false, code: 'POLICY_DIFF_SOURCE', error: expect.stringMatching(/no-such-ref/) });
      expect(bad.err).toMatch(/POLICY_DIFF_SOURCE.*no-such-ref/);
      expect(bad.err).not.toMatch(/at .*\.(ts|js):\d+/);
    } finally {
      cleanup(repo);
    }
  });

  it('bad input exits 1 with located findings', async () => {
    const dir = writeInventory(
      RULES +
        `  - { id: bad-ref, from: { organisations: [GM9999] }, to: { services: [brp] }, proto: tcp, action: allow, owner: a, reason: b }
  - { id: bad-ports, from: { zone: overheid }, to: { services: [brp] }, proto: icmp, ports: [443], action: allow, owner: a, reason: b }
  - { id: bad-range, from: { zone: overheid }, to: { services: [brp] }, proto: tcp, ports: ["90-80"], action: allow, owner: a, reason: b }
`,
    );
    try {
      for (const argv of [
        ['policy', 'lint', '--inventory', dir],
        ['policy', 'query', '--inventory', dir, '--src', '192.0.2.1', '--dst', '192.0.2.129', '--proto', 'tcp', '--dport', '443'],
        ['policy', 'diff', '--inventory', dir, '--base', dir],
      ]) {
        const r = await run(argv);
        expect(r.code).toBe(1);
        const text = r.out + r.err;
        expect(text).toMatch(/10-rules\.yaml:11:\d+: error POLICY_UNKNOWN_REFERENCE/);
        expect(text).toMatch(/10-rules\.yaml:12:\d+: error POLICY_PROTO_PORTS/);
        expect(text).toMatch(/10-rules\.yaml:13:\d+: error POLICY_PORT_RANGE/);
        expect(text).not.toMatch(/at .*\.(ts|js):\d+/);
      }
    } finally {
      cleanup(dir);
    }
  });

  it('an unknown selector kind is a schema error: exit 1 with a located finding', async () => {
    const dir = writeInventory(RULES + `  - { id: bad-sel, from: { zones: overheid }, to: { services: [brp] }, proto: tcp, action: allow, owner: a, reason: b }\n`);
    try {
      const r = await run(['policy', 'lint', '--inventory', dir]);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/10-rules\.yaml:11:\d+: error SCHEMA_UNKNOWN_KEY unknown key 'zones'/);
      expect(r.err).not.toMatch(/at .*\.(ts|js):\d+/);
    } finally {
      cleanup(dir);
    }
  });

  it('export capirca writes the three files', async () => {
    // An export runs only on an inventory that validates (CLI.md): a copy of the example inventory. Its output goes
    // beside it: an output folder inside the inventory is refused (docs/cli.md "Output folders").
    const inv = `${base}-example`;
    fs.cpSync(path.resolve(__dirname, '../../inventory'), inv, { recursive: true });
    const out = `${base}-capirca-out`;
    try {
      const r = await run(['policy', 'export', 'capirca', '--inventory', inv, '--out', out]);
      expect(r.code).toBe(0);
      for (const f of ['policies/pol/ggi.pol', 'def/NETWORK.net', 'def/SERVICES.svc']) expect(fs.existsSync(path.join(out, f))).toBe(true);
      expect((await run(['policy', 'export', 'aerleon', '--inventory', inv, '--out', out])).code).toBe(2);
      const inside = await run(['policy', 'export', 'capirca', '--inventory', inv, '--out', path.join(inv, 'capirca-out')]);
      expect(inside.code).toBe(1);
      expect(fs.existsSync(path.join(inv, 'capirca-out'))).toBe(false);
    } finally {
      cleanup(out);
      cleanup(inv);
    }
  });
});

const BACKBONE = `devices:
  - { id: border-overheid, role: border-overheid, asn: 64500, management: { address: 198.18.0.10, hostKey: "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" } }
  - { id: border-markt, role: border-markt, asn: 64500, management: { address: 198.18.0.11, hostKey: "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" } }
  - { id: kps-peer, role: kps-peer, asn: 64501, management: { address: 198.18.0.12, hostKey: "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" } }
`;

describe('ggi policy trace (CLI)', () => {
  const dir = writeInventory(RULES, { 'devices/backbone.yaml': BACKBONE });
  afterAll(() => cleanup(dir));

  it('traces an allowed flow hop by hop, exactly in the JSON shape of CLI.md', async () => {
    const r = await run(['policy', 'trace', '--inventory', dir, '--src', '192.0.2.1', '--dst', '192.0.2.129', '--proto', 'tcp', '--dport', '443', '--format', 'json']);
    expect(r.code).toBe(0);
    const t = JSON.parse(r.out);
    expect(Object.keys(t).sort()).toEqual(['allowed', 'hops', 'reason', 'verdict']);
    expect(t).toMatchObject({ allowed: true, verdict: 'allowed' });
    expect(t.hops.map((h: { device: string; action: string; rule: string | null }) => [h.device, h.action, h.rule])).toEqual([
      ['LAN GM0001', 'pass', null],
      ['ce-gm0001', 'allow', 'brp'],
      ['border-overheid', 'allow', 'brp'],
      ['kps-peer', 'allow', 'brp'],
      ['service brp', 'pass', null],
    ]);
    for (const h of t.hops) expect(Object.keys(h).sort()).toEqual(['action', 'device', 'filter', 'rule', 'zone']);
  });

  it('marks the first deny, and its text names the device', async () => {
    const r = await run(['policy', 'trace', '--inventory', dir, '--src', '192.0.2.1', '--dst', '192.0.2.129', '--proto', 'tcp', '--dport', '22']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^tcp\/22 192\.0\.2\.1 -> 192\.0\.2\.129: denied/);
    expect(r.out).toMatch(/ce-gm0001 .*deny {2}<- first deny/);
  });

  it('gives a flow that never crosses GGI its own verdict, as query does', async () => {
    const t = await run(['policy', 'trace', '--inventory', dir, '--src', '203.0.113.1', '--dst', '203.0.113.65', '--proto', 'tcp', '--dport', '443', '--format', 'json']);
    const q = await run(['policy', 'query', '--inventory', dir, '--src', '203.0.113.1', '--dst', '203.0.113.65', '--proto', 'tcp', '--dport', '443', '--format', 'json']);
    expect(JSON.parse(t.out)).toMatchObject({ allowed: false, verdict: 'not-ggi', hops: [] });
    expect(JSON.parse(q.out)).toMatchObject({ allowed: false, verdict: 'not-ggi' });
  });

  it.each([['query'], ['trace']])('policy %s: --dport 65536 and --dport abc are usage errors (exit 2)', async (cmd) => {
    for (const bad of ['65536', 'abc', '1.5', '']) {
      const r = await run(['policy', cmd, '--inventory', dir, '--src', '192.0.2.1', '--dst', '192.0.2.129', '--proto', 'tcp', '--dport', bad]);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/--dport must be a port number from 0 to 65535/);
    }
  });
});

describe('ggi policy trace between two organisations', () => {
  const dir = writeInventory(RULES.replace('rules:\n', 'rules:\n  - { id: gm-gm, from: { organisations: [GM0001] }, to: { organisations: [GM0002] }, proto: tcp, ports: [443], action: allow, owner: netwerk, reason: samenwerking }\n'), { 'devices/backbone.yaml': BACKBONE });
  afterAll(() => cleanup(dir));

  it('crosses the border from one CE to another, as query allows it', async () => {
    const args = ['--inventory', dir, '--src', '192.0.2.1', '--dst', '192.0.2.49', '--proto', 'tcp', '--dport', '443', '--format', 'json'];
    const t = JSON.parse((await run(['policy', 'trace', ...args])).out);
    const q = JSON.parse((await run(['policy', 'query', ...args])).out);
    expect(q).toMatchObject({ allowed: true, rule: 'gm-gm' });
    expect(t).toMatchObject({ allowed: true, verdict: 'allowed' });
    expect(t.hops.map((h: { device: string; filter: string }) => `${h.device}: ${h.filter}`)).toEqual([
      'LAN GM0001: -',
      'ce-gm0001: ggi.nft forward lan -> up-overheid',
      'border-overheid: ggi.nft forward downlinks -> downlinks',
      'ce-sv0001: ggi.nft forward up-overheid -> lan',
      'LAN GM0002: -',
    ]);
  });
});
