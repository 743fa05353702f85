import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as yaml from 'js-yaml';

/**
 * The drop-in CI examples (examples/ci/*, .pre-commit-hooks.yaml) really work: every ggi command in them, taken from
 * the YAML files themselves, runs in a scratch git repository whose head commit changes the policy of its base
 * commit, with the variables the CI system would set. `npx ggi` becomes this checkout's bin/ggi.js.
 */
const ROOT = path.resolve(__dirname, '../..');
const GGI = `node ${JSON.stringify(path.join(ROOT, 'bin', 'ggi.js'))}`;

interface Cmd {
  where: string;
  script: string;
  env: Record<string, string>;
}

type Doc = Record<string, unknown>;

function load(file: string): unknown {
  return yaml.load(fs.readFileSync(path.join(ROOT, file), 'utf8'));
}

/** GitHub expressions the workflows use, with the values a pull request would give them. */
function githubExpr(value: string, vars: { base: string }): string {
  return value.replace(/\$\{\{\s*([^}]+?)\s*\}\}/g, (_, e: string) => {
    const known: Record<string, string> = {
      'github.event.pull_request.base.sha': vars.base,
      'github.server_url': 'https://github.example',
      'github.repository': 'gemeente/inventory',
      'github.run_id': '42',
      'github.token': '',
      'github.event.pull_request.number': '7',
    };
    if (!(e in known)) throw new Error(`the test knows no value for the expression \${{ ${e} }}`);
    return known[e];
  });
}

function githubCommands(vars: { base: string }): Cmd[] {
  const wf = load('examples/ci/github-actions.yml') as Doc;
  const out: Cmd[] = [];
  for (const [job, j] of Object.entries(wf.jobs as Record<string, Doc>)) {
    const jobEnv = (j.env ?? {}) as Record<string, string>;
    for (const step of j.steps as Doc[]) {
      if (typeof step.run !== 'string' || !/\bnpx ggi\b/.test(step.run)) continue;
      const env: Record<string, string> = {};
      for (const [k, v] of Object.entries({ ...jobEnv, ...((step.env ?? {}) as Record<string, string>) })) env[k] = githubExpr(String(v), vars);
      out.push({ where: `github ${job}: ${String(step.name ?? step.run)}`, script: step.run, env });
    }
  }
  return out;
}

function gitlabCommands(vars: { base: string; labels: string }): Cmd[] {
  const doc = load('examples/ci/gitlab-ci.yml') as Record<string, Doc>;
  const out: Cmd[] = [];
  for (const [job, j] of Object.entries(doc)) {
    const env: Record<string, string> = {
      CI_MERGE_REQUEST_DIFF_BASE_SHA: vars.base,
      CI_MERGE_REQUEST_LABELS: vars.labels,
      CI_JOB_URL: 'https://gitlab.example/job/42',
      GGI_BOT_TOKEN: '',
    };
    for (const [k, v] of Object.entries((j.variables ?? {}) as Record<string, string>)) env[k] = String(v);
    for (const line of j.script as string[]) if (/\bnpx ggi\b/.test(line)) out.push({ where: `gitlab ${job}: ${line.slice(0, 60)}`, script: line, env });
  }
  return out;
}

function precommitCommands(): Cmd[] {
  const hooks = load('.pre-commit-hooks.yaml') as Doc[];
  return hooks.map((h) => ({ where: `pre-commit ${String(h.id)}`, script: String(h.entry).replace(/^ggi\b/, 'npx ggi'), env: {} }));
}

function git(dir: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd: dir, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.org', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.org' } }).trim();
}

function run(dir: string, c: Cmd): { code: number; out: string; err: string } {
  const script = c.script.replace(/\bnpx ggi\b/g, GGI);
  const r = spawnSync('bash', ['-c', `set -o pipefail\n${script}`], { cwd: dir, encoding: 'utf8', env: { ...process.env, CI: '', ...c.env }, timeout: 120000 });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

describe('the drop-in CI examples run against a pull request', () => {
  let dir: string;
  let base: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ggi-ci-'));
    fs.cpSync(path.join(ROOT, 'inventory'), path.join(dir, 'inventory'), { recursive: true });
    git(dir, 'init', '-q', '-b', 'main');
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '-m', 'base');
    base = git(dir, 'rev-parse', 'HEAD');
    // The pull request: FTPS next to SFTP for the e-depot (opens flows), and a new rule with a mistyped /46.
    const f = path.join(dir, 'inventory/policy/20-markt.yaml');
    const text = fs.readFileSync(f, 'utf8');
    fs.writeFileSync(
      f,
      text.replace('    ports: [22]\n', '    ports: [22, 990]\n') +
        '  - id: archief-vught\n    from: { prefixes: ["2a07:3500:1ec::/46"] }\n    to: { services: [zaakwolk-archief] }\n    proto: tcp\n    ports: [443]\n    action: allow\n    owner: informatiebeheer\n    reason: Vught archiveert in het e-depot (besloten)\n',
    );
    git(dir, 'commit', '-q', '-am', 'head');
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const check = (c: Cmd) => {
    const r = run(dir, c);
    // The gate fails on the opened flows (exit 4); everything else passes (warnings only).
    const expected = /--fail-on opened/.test(c.script) ? 4 : 0;
    if (r.code !== expected) throw new Error(`${c.where}: exit ${r.code}, expected ${expected}\n${r.out}\n${r.err}`);
    return r;
  };

  it('GitHub Actions: validate (SARIF), lint, diff comment with artefact, gate', () => {
    const cmds = githubCommands({ base: '' });
    expect(cmds.map((c) => c.where)).toEqual(['github ggi: validate', 'github ggi: policy lint', 'github ggi: policy diff (comment)', 'github ggi: policy diff (gate)']);
    for (const c of githubCommands({ base })) check(c);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'ggi-validate.sarif'), 'utf8')).version).toBe('2.1.0');
    const md = fs.readFileSync(path.join(dir, 'ggi-policy-diff.md'), 'utf8');
    expect(md).toMatch(/### Who gains access/);
    expect(md).toMatch(/`zaakwolk-archief-sftp` \| informatiebeheer \|/);
    expect(md).toMatch(/https:\/\/github\.example\/gemeente\/inventory\/actions\/runs\/42\n$/);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'ggi-policy-diff.json'), 'utf8')).opened.length).toBeGreaterThan(0);
  }, 180000);

  it('the lint step reports the mistyped /46 of the pull request', () => {
    const lint = githubCommands({ base }).find((c) => /policy lint/.test(c.script))!;
    expect(run(dir, lint).out).toMatch(/POLICY_DEAD_SELECTOR rule archief-vught: prefix 2a07:3500:1ec::\/46 in from covers no declared address/);
  }, 60000);

  it('GitLab CI: the same, and the gate lets a labelled merge request through', () => {
    const cmds = gitlabCommands({ base, labels: '' });
    expect(cmds).toHaveLength(5);
    for (const c of cmds) check(c);
    expect(fs.readFileSync(path.join(dir, 'ggi-validate.junit.xml'), 'utf8')).toMatch(/<testsuites/);
    const gate = gitlabCommands({ base, labels: 'infra,policy-approved' }).find((c) => /--fail-on opened/.test(c.script))!;
    const r = run(dir, gate);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/approved by label/);
  }, 180000);

  it('pre-commit hooks', () => {
    const cmds = precommitCommands();
    expect(cmds.map((c) => c.where)).toEqual(['pre-commit ggi-validate', 'pre-commit ggi-policy-lint']);
    for (const c of cmds) check(c);
  }, 60000);
});
