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
    expect(JSON.parse(r.out)).toEqual({ allowed: true, rule: 'brp', reason: expect.stringContaining('BRP') });
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
      expect(bad.out).toBe('');
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
    // Beside the inventory: an output folder inside it is refused (docs/cli.md "Output folders").
    const out = `${base}-capirca-out`;
    try {
      const r = await run(['policy', 'export', 'capirca', '--inventory', base, '--out', out]);
      expect(r.code).toBe(0);
      for (const f of ['policies/pol/ggi.pol', 'def/NETWORK.net', 'def/SERVICES.svc']) expect(fs.existsSync(path.join(out, f))).toBe(true);
      expect((await run(['policy', 'export', 'aerleon', '--inventory', base, '--out', out])).code).toBe(2);
      const inside = await run(['policy', 'export', 'capirca', '--inventory', base, '--out', path.join(base, 'capirca-out')]);
      expect(inside.code).toBe(1);
      expect(fs.existsSync(path.join(base, 'capirca-out'))).toBe(false);
    } finally {
      cleanup(out);
    }
  });
});
