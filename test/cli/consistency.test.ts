import * as fs from 'node:fs';
import * as path from 'node:path';
import { main, reportError } from '../../src/cli/main';
import { commandNames } from '../../src/cli/registry';
import { dotString } from '../../src/util/escape/dot';
import { markdownCode, markdownText } from '../../src/util/escape/markdown';
import { mermaidLabel } from '../../src/util/escape/mermaid';
import { rpslText } from '../../src/util/escape/rpsl';
import { terminalOutput, terminalText } from '../../src/util/escape/terminal';
import { xmlEscape } from '../../src/util/escape/xml';
import { cleanup, fakeIo, MINIMAL_SETTINGS, tmpInventory } from '../helpers/tmp-inventory';

/** The command-line contract that holds for every command alike (CLI.md "Running it"). */

const EXAMPLE = path.resolve(__dirname, '../../inventory');
/** Every C0/C1 control, DEL and bidi override that must never reach an output raw. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the test looks for exactly these characters.
const RAW_CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
const HOSTILE = 'Gron<img src=x onerror=alert(1)>\u001b]0;pwn\u0007\u001b[31m|`x`#\u009b2J\u202e';

/** The example inventory with a hostile organisation name (markup, OSC/CSI escapes, C1 CSI, a bidi override). */
function hostileInventory(): string {
  const dir = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'ggi-hostile-'));
  fs.cpSync(EXAMPLE, dir, { recursive: true });
  const file = path.join(dir, 'organisations/gm0014.yaml');
  fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(/^name: .*$/m, `name: ${JSON.stringify(HOSTILE)}`));
  return dir;
}

async function run(argv: string[]) {
  const f = fakeIo();
  const code = await main(argv, f.io);
  return { code, stdout: f.stdout(), stderr: f.stderr() };
}

describe('ggi GROUP --help', () => {
  // Every prefix of a command name that is not a command itself: `ipv6`, `lab`, and groups inside them (`lab fault`).
  const names = new Set(commandNames());
  const groups = [...new Set(commandNames().flatMap((n) => n.split(' ').slice(0, -1).map((_, i, w) => w.slice(0, i + 1).join(' '))))].filter((g) => !names.has(g));

  it('nested groups are among them', () => expect(groups).toContain('lab fault'));

  it.each(groups)('ggi %s --help lists the commands of the group and exits 0', async (group) => {
    for (const flag of ['--help', '-h']) {
      const r = await run([...group.split(' '), flag]);
      expect(r.code).toBe(0);
      for (const name of commandNames().filter((n) => n.startsWith(`${group} `))) expect(r.stdout).toContain(name);
    }
    expect((await run(['help', ...group.split(' ')])).code).toBe(0);
  });

  it('a group without a command, or with an unknown one, is a usage error naming the commands', async () => {
    const bare = await run(['policy']);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toMatch(/query, trace, lint, diff, export/);
    const unknown = await run(['ipv6', 'frobnicate', '--inventory', EXAMPLE]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'ggi ipv6 frobnicate'");
    const nested = await run(['lab', 'fault', 'frobnicate']);
    expect(nested.code).toBe(2);
    expect(nested.stderr).toContain("unknown command 'ggi lab fault frobnicate' (known: link, device, netem, clear)");
  });
});

describe('--format json: one JSON document on stdout, errors included', () => {
  const usage: string[][] = [
    ['validate', '--bogus', '--format', 'json'],
    ['ipv6', 'show', '--format', 'json'],
    ['ipv6', 'allocate', 'GM0014', '--format', 'json'],
    ['policy', 'query', '--src', '1', '--format=json'],
    ['plan', '--target', 'nowhere', '--format', 'json', '--inventory', EXAMPLE],
    ['policy', '--format', 'json'],
    ['nonsense', '--format', 'json'],
  ];
  it.each(usage.map((a) => [a.join(' '), a]))('usage error: %s', async (_label, argv) => {
    const r = await run(argv as string[]);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, error: expect.any(String) });
  });

  it('an invalid inventory: the findings in the document, exit 1', async () => {
    const dir = tmpInventory({ 'ggi.yaml': MINIMAL_SETTINGS, 'organisations/gm0001.yaml': 'id: GM0001\nkind: [\n' });
    try {
      for (const argv of [['ipv6', 'report'], ['graph'], ['govroam', 'check'], ['policy', 'lint'], ['policy', 'export', 'capirca', '--out', path.join(dir, 'out')]]) {
        const r = await run([...argv, '--inventory', dir, '--format', 'json']);
        expect({ argv, code: r.code }).toEqual({ argv, code: 1 });
        const doc = JSON.parse(r.stdout);
        expect(doc.ok).toBe(false);
        expect(doc.findings[0]).toMatchObject({ code: 'YAML_SYNTAX', file: expect.stringMatching(/gm0001\.yaml$/) });
      }
    } finally {
      cleanup(dir);
    }
  });

  it('every command that takes --format takes json (graph, exports and generators too)', async () => {
    const out = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'ggi-out-'));
    try {
      for (const argv of [['graph'], ['ipv6', 'export', 'ripe'], ['ipv6', 'export', 'csv'], ['policy', 'export', 'capirca', '--out', path.join(out, 'capirca')]]) {
        const r = await run([...argv, '--inventory', EXAMPLE, '--format', 'json']);
        expect({ argv, code: r.code }).toEqual({ argv, code: 0 });
        expect(() => JSON.parse(r.stdout)).not.toThrow();
      }
    } finally {
      cleanup(out);
    }
  });
});

describe('the one error path', () => {
  it('an internal bug: a JSON document with --format json, no stack trace unless GGI_DEBUG=1', () => {
    const f = fakeIo();
    expect(reportError(new TypeError('boom'), f.io, true)).toBe(1);
    expect(JSON.parse(f.stdout())).toEqual({ ok: false, error: 'internal error: boom' });
    expect(f.stderr()).not.toMatch(/\n\s+at /);
    const debug = fakeIo({ GGI_DEBUG: '1' });
    reportError(new TypeError('boom'), debug.io, false);
    expect(debug.stdout()).toBe('');
    expect(debug.stderr()).toMatch(/\n\s+at /);
  });
});

describe('argument errors', () => {
  it('an unknown organisation is said once, with its code, and not located in the ledger', async () => {
    const text = await run(['ipv6', 'show', 'GM9999', '--inventory', EXAMPLE]);
    expect(text.code).toBe(1);
    expect(text.stderr).not.toMatch(/ledger\.yaml:\d+:\d+/);
    expect(text.stderr.match(/GM9999/g)).toHaveLength(1);
    expect(text.stderr).toContain('IPV6_UNKNOWN_ORGANISATION');
    const json = await run(['ipv6', 'show', 'GM9999', '--inventory', EXAMPLE, '--format', 'json']);
    expect(json.code).toBe(1);
    const doc = JSON.parse(json.stdout);
    expect(doc).toMatchObject({ ok: false, code: 'IPV6_UNKNOWN_ORGANISATION' });
    expect(JSON.stringify(doc)).not.toContain('ledger.yaml');
  });
});

describe('YAML alias bombs', () => {
  it('an alias bomb with an unknown tag is a located finding, not an internal error', async () => {
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]', 'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]', 'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]', 'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]', 'e: !weird [*d,*d,*d,*d,*d,*d,*d,*d,*d]', ''].join('\n');
    const dir = tmpInventory({ 'ggi.yaml': MINIMAL_SETTINGS, 'govroam.yaml': bomb });
    try {
      const r = await run(['validate', '--inventory', dir, '--format', 'json']);
      expect(r.code).toBe(1);
      expect(r.stderr).not.toContain('internal error');
      const f = JSON.parse(r.stdout).findings.find((x: { severity: string }) => x.severity === 'error');
      expect(f).toMatchObject({ code: 'YAML_SYNTAX', line: 2, column: 8 });
      expect(f.file).toMatch(/govroam\.yaml$/);
    } finally {
      cleanup(dir);
    }
  });
});

describe('names with control characters and markup are escaped in every output', () => {
  let dir: string;
  beforeAll(() => {
    dir = hostileInventory();
  });
  afterAll(() => cleanup(dir));

  it.each([
    ['ipv6 show (text)', ['ipv6', 'show', 'GM0014']],
    ['ipv6 show (json)', ['ipv6', 'show', 'GM0014', '--format', 'json']],
    ['ipv6 export ripe', ['ipv6', 'export', 'ripe']],
    ['ipv6 export csv', ['ipv6', 'export', 'csv']],
    ['graph dot', ['graph']],
    ['graph mermaid', ['graph', '--format', 'mermaid']],
    ['graph json', ['graph', '--format', 'json']],
    ['validate', ['validate']],
  ])('%s', async (_label, argv) => {
    const r = await run([...argv, '--inventory', dir]);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(RAW_CONTROL);
    expect(r.stderr).not.toMatch(RAW_CONTROL);
  });

  it('Mermaid keeps no markup; DOT keeps the name as text; RPSL descr is one clean line', async () => {
    const mermaid = (await run(['graph', '--format', 'mermaid', '--inventory', dir])).stdout;
    const line = mermaid.split('\n').find((l) => l.includes('org_GM0014['))!;
    expect(line).not.toMatch(/<img|onerror=alert\(|"[^\]]*"[^\]]*"/);
    expect(line).toContain('#60;img src=x onerror=alert#40;1#41;#62;');
    const dot = (await run(['graph', '--inventory', dir])).stdout;
    expect(dot).toContain('label="Gron<img src=x onerror=alert(1)>]0;pwn[31m|`x`#2J\\nGM0014"');
    const ripe = (await run(['ipv6', 'export', 'ripe', '--inventory', dir])).stdout;
    for (const d of ripe.split('\n').filter((l) => l.includes('Gron'))) expect(d).toMatch(/^descr: +Gron<img src=x onerror=alert\(1\)> \]0;pwn \[31m\|`x` 2J \(GM0014\)/);
    const json = (await run(['graph', '--format', 'json', '--inventory', dir])).stdout;
    expect(JSON.parse(json).nodes.find((n: { id: string }) => n.id === 'org_GM0014').label).toBe(`${HOSTILE}\nGM0014`);
  });
});

describe('findings quoting hostile input stay inert in every report format', () => {
  it('text, json, junit and sarif of validate', async () => {
    const key = 'evil\u001b]0;pwn\u0007\u009b2J\u202e<x>';
    const dir = tmpInventory({ 'ggi.yaml': MINIMAL_SETTINGS, 'organisations/gm0001.yaml': `id: GM0001\nkind: gemeente\nname: X\n${JSON.stringify(key)}: 1\n` });
    try {
      for (const format of ['text', 'json', 'junit', 'sarif']) {
        const r = await run(['validate', '--inventory', dir, '--format', format]);
        expect({ format, code: r.code }).toEqual({ format, code: 1 });
        expect(r.stdout).toContain('evil');
        expect(r.stdout).not.toMatch(RAW_CONTROL);
        if (format === 'junit') expect(r.stdout).toContain('evil]0;pwn2J&lt;x&gt;');
        // JSON keeps the value (escaped as \uXXXX on the wire, the same string once parsed).
        if (format === 'json' || format === 'sarif') expect(JSON.stringify(JSON.parse(r.stdout))).toMatch(/evil\\u001b\]0;pwn\\u0007.*2J\u202e<x>/);
      }
    } finally {
      cleanup(dir);
    }
  });
});

describe('escaping modules', () => {
  it('terminal text: controls, ESC sequences, C1 and bidi overrides visible; own colours only when asked', () => {
    expect(terminalText('a\u001b[2Jb\u009bc\u202ed\ne')).toBe('a\\u001b[2Jb\\u009bc\\u202ed\\ne');
    expect(terminalOutput('x\u001b[31mred\u001b[0m\r\u001b[Kp\r\n', false)).toBe('x\\u001b[31mred\\u001b[0m\\u000d\\u001b[Kp\r\n');
    expect(terminalOutput('x\u001b[31mred\u001b[0m\r\u001b[Kp', true)).toBe('x\u001b[31mred\u001b[0m\r\u001b[Kp');
    expect(terminalOutput('\u001b]0;title\u0007 \u001b[8m', true)).toBe('\\u001b]0;title\\u0007 \\u001b[8m');
    // On a JSON document it keeps the document valid and its values the same.
    const doc = JSON.stringify({ n: 'a\u009bb\u007f\u001b' });
    expect(JSON.parse(terminalOutput(doc, false))).toEqual({ n: 'a\u009bb\u007f\u001b' });
  });

  it('DOT, Mermaid, Markdown, RPSL and XML', () => {
    expect(dotString('a"b\\N\u0001\nc')).toBe('"a\\"b\\\\N\\nc"');
    expect(mermaidLabel('<b onclick="x">&#35;|`[a]`\u0007\nz')).toBe('#60;b onclick=#34;x#34;#62;#38;#35;35;#124;#96;#91;a#93;#96;<br/>z');
    expect(markdownText('<img src=x> | *b* [l](u)\n')).toBe('&lt;img src=x&gt; \\| \\*b\\* \\[l\\]\\(u\\) ');
    expect(markdownCode('a`b|c')).toBe('``a`b\\|c``');
    expect(rpslText('Leiden\r\nremarks: x # y\u0007\u202e')).toBe('Leiden remarks: x y');
    expect(dotString('a\u202eb\tc')).toBe('"abc"');
    expect(xmlEscape('<a b="c">\u0000\u009b&')).toBe('&lt;a b=&quot;c&quot;&gt;&amp;');
  });
});
