import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { Readable } from 'node:stream';
import { main } from '../../src/cli/main';
import { boundedLines, InputError, readTextFile } from '../../src/util/input';
import { capQuoted, excerpt } from '../../src/util/excerpt';
import { fakeIo } from '../helpers/tmp-inventory';

const EXAMPLE = path.resolve(__dirname, '../../inventory');

describe('the bounded reader (src/util/input)', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ggi-input-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reads a regular file, and refuses devices, FIFOs and folders at once', () => {
    const f = path.join(dir, 'a.txt');
    fs.writeFileSync(f, 'héllo\n');
    expect(readTextFile(f)).toBe('héllo\n');
    const fifo = path.join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const t0 = Date.now();
    expect(() => readTextFile(fifo)).toThrow(/is a FIFO \(named pipe\), not a regular file/);
    expect(() => readTextFile('/dev/zero')).toThrow(/is a character device/);
    expect(() => readTextFile('/dev/full')).toThrow(/is a character device/);
    expect(() => readTextFile(dir)).toThrow(/is a folder/);
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it('refuses a file over the limit, by its size and while reading', () => {
    const f = path.join(dir, 'big');
    fs.writeFileSync(f, 'x'.repeat(100));
    expect(() => readTextFile(f, { maxBytes: 99 })).toThrow(InputError);
    expect(() => readTextFile(f, { maxBytes: 99 })).toThrow(/larger than 99 bytes/);
    expect(readTextFile(f, { maxBytes: 100 })).toHaveLength(100);
    // A sparse file claims its size without taking room: refused before a byte is read.
    const sparse = path.join(dir, 'sparse');
    fs.writeFileSync(sparse, '');
    fs.truncateSync(sparse, 200 * 1024 * 1024);
    expect(() => readTextFile(sparse)).toThrow(/larger than 128 MiB/);
  });

  it('splits lines with a bounded length, also across chunks and without a final newline', async () => {
    const lines = async (chunks: string[], max = 8) => {
      const out: string[] = [];
      for await (const l of boundedLines(Readable.from(chunks.map((c) => Buffer.from(c))), 'in', max)) out.push(l);
      return out;
    };
    expect(await lines(['ab\ncd', 'ef\r\n', '\ngh'])).toEqual(['ab', 'cdef', '', 'gh']);
    expect(await lines(['12345678\n'])).toEqual(['12345678']);
    await expect(lines(['ok\n1234', '56789'])).rejects.toThrow(/line 2 is longer than 8 bytes/);
    await expect(lines(['123456789\n'])).rejects.toThrow(/line 1 is longer/);
  });

  it('cuts quoted input to an excerpt', () => {
    expect(excerpt('a'.repeat(50))).toBe(`${'a'.repeat(40)}…`);
    expect(excerpt('short')).toBe('short');
    expect(capQuoted(`unknown key '${'k'.repeat(60)}' in x`)).toBe(`unknown key '${'k'.repeat(40)}…' in x`);
    expect(capQuoted('x'.repeat(1000)).length).toBeLessThan(300);
  });
});

describe('commands read user-named files through it', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ggi-input-cli-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const run = async (argv: string[]) => {
    const f = fakeIo();
    const code = await main(argv, f.io);
    return { code, stdout: f.stdout(), stderr: f.stderr() };
  };

  it('policy query --batch refuses /dev/zero, a FIFO and an over-long line, at once and with exit 1', async () => {
    const fifo = path.join(dir, 'batch.fifo');
    execFileSync('mkfifo', [fifo]);
    const long = path.join(dir, 'long.jsonl');
    fs.writeFileSync(long, `${'{"src":"x"}'}\n${' '.repeat(70 * 1024)}\n`);
    for (const [file, why] of [
      ['/dev/zero', /character device/],
      [fifo, /FIFO/],
      [long, /line 2 is longer than 64 KiB/],
    ] as const) {
      const r = await run(['policy', 'query', '--inventory', EXAMPLE, '--batch', file]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(why);
    }
  });

  it('generate example --doc refuses /dev/zero and /dev/full before writing anything', async () => {
    for (const doc of ['/dev/zero', '/dev/full']) {
      const out = path.join(dir, `gen-${path.basename(doc)}`);
      const r = await run(['generate', 'example', '--out', out, '--doc', doc]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/is a character device, not a regular file/);
      expect(fs.existsSync(out)).toBe(false);
    }
  });

  it('generate national bounds its size flags (usage error, exit 2)', async () => {
    const out = path.join(dir, 'nat');
    for (const argv of [['--rules', '100000000'], ['--rules', '200001'], ['--seed', '4294967296'], ['--suppliers', '100000']]) {
      const r = await run(['generate', 'national', '--out', out, ...argv]);
      expect({ argv, code: r.code }).toEqual({ argv, code: 2 });
      expect(r.stderr).toMatch(/at most/);
    }
    expect(fs.existsSync(out)).toBe(false);
  });
});
