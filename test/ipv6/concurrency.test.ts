import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { contains, parsePrefix } from '../../src/net';
import { checkIpv6 } from '../../src/ipv6';
import { readLedgerFile } from '../../src/ipv6/store';
import { cleanup, scratchCwd } from '../helpers/tmp-inventory';
import { cbsGemeenteId, inventoryDir, load } from './fixtures';

/**
 * Concurrent allocation (docs/cli.md, `ggi ipv6 allocate`: idempotent, locked, atomic): real `ggi ipv6 allocate` processes running at the same time. Each child runs the CLI from
 * the TypeScript sources (test/ipv6/harness/cli-child.js compiles them with @swc/core, cached between children).
 */
const HARNESS = path.join(__dirname, 'harness', 'cli-child.js');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function ggiProcess(args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [HARNESS, ...args], { cwd: scratchCwd(), env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('concurrent ggi ipv6 allocate processes', () => {
  let dir: string;
  let cache: string;
  beforeAll(async () => {
    dir = inventoryDir(20);
    cache = fs.mkdtempSync(path.join(os.tmpdir(), 'ggi-swc-cache-'));
    // One run first, so that the 20 concurrent children find the compiled sources in the cache.
    const warm = await ggiProcess(['ipv6', 'show', cbsGemeenteId(1), '--inventory', dir], { GGI_TEST_SWC_CACHE: cache });
    if (warm.code !== 0) throw new Error(`the CLI does not run in a child process: ${warm.stderr}`);
  });
  afterAll(() => {
    cleanup(dir);
    fs.rmSync(cache, { recursive: true, force: true });
  });

  it('20 processes for 20 organisations: 20 distinct /46s in the gemeente block and 20 new entries', async () => {
    const runs = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        ggiProcess(['ipv6', 'allocate', cbsGemeenteId(i + 1), '--category', 'diginetwerk', '--format', 'json', '--inventory', dir], { GGI_OPERATOR: `proc-${i}`, GGI_TEST_SWC_CACHE: cache }),
      ),
    );
    for (const r of runs) expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
    const out = runs.map((r) => JSON.parse(r.stdout));
    expect(out.every((o) => o.created === true)).toBe(true);
    const prefixes = out.map((o) => o.prefix as string);
    expect(new Set(prefixes).size).toBe(20);
    const block = parsePrefix('2a07:3500::/33');
    for (const p of prefixes) {
      const q = parsePrefix(p);
      expect(q.len).toBe(46);
      expect(contains(block, q)).toBe(true);
    }
    const back = readLedgerFile(path.join(dir, 'ipv6', 'ledger.yaml'));
    if (!back.ok) throw new Error('the ledger is corrupt');
    expect(back.data.entries).toHaveLength(20);
    expect(back.data.slots).toHaveLength(20);
    expect(back.data.entries.map((e) => e.prefix).sort()).toEqual([...prefixes].sort());
    expect(checkIpv6(load(dir))).toEqual([]);
    expect(fs.readdirSync(path.join(dir, 'ipv6'))).toEqual(['ledger.yaml']); // no lock or temp file left behind
  });

  it('20 processes for the same organisation and category: one prefix, one entry', async () => {
    const runs = await Promise.all(
      Array.from({ length: 20 }, (_, i) => ggiProcess(['ipv6', 'allocate', cbsGemeenteId(7), '--category', 'besloten', '--format', 'json', '--inventory', dir], { GGI_OPERATOR: `same-${i}`, GGI_TEST_SWC_CACHE: cache })),
    );
    for (const r of runs) expect(r.code).toBe(0);
    const out = runs.map((r) => JSON.parse(r.stdout));
    expect(new Set(out.map((o) => o.prefix)).size).toBe(1);
    expect(out.filter((o) => o.created).length).toBe(1);
    const back = readLedgerFile(path.join(dir, 'ipv6', 'ledger.yaml'));
    if (!back.ok) throw new Error('the ledger is corrupt');
    expect(back.data.entries.filter((e) => e.organisation === cbsGemeenteId(7) && e.category === 'besloten')).toHaveLength(1);
    expect(back.data.entries).toHaveLength(21);
  });
});
