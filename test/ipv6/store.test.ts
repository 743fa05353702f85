import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse } from 'yaml';
import { allocate, release } from '../../src/ipv6';
import { readLedgerFile, renderFreshLedger, updateLedger, withLock, writeFileAtomic } from '../../src/ipv6/store';
import { plan } from './fixtures';

const P = plan();
const NOW = new Date('2026-11-23T12:00:00Z');

describe('ledger store', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ggi-ledger-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = () => path.join(dir, 'ipv6', 'ledger.yaml');

  it('creates the ledger with a header, slots on one line each, entries in a fixed key order', async () => {
    const r = await updateLedger(file(), (d) => allocate(d, { organisation: 'GM0001', kind: 'gemeente', category: 'internet' }, P, NOW, 'a@b'));
    expect(r.ok).toBe(true);
    const text = fs.readFileSync(file(), 'utf8');
    expect(text).toMatch(/^# IPv6 ledger/);
    expect(text).toContain('  - { organisation: GM0001, block: gemeente, slot: 0 }');
    const first = text.slice(text.indexOf('entries:'));
    expect(first.indexOf('prefix:')).toBeLessThan(first.indexOf('organisation:'));
    expect(first.indexOf('status:')).toBeLessThan(first.indexOf('by:'));
    const back = readLedgerFile(file());
    expect(back.ok && back.data.entries.map((e) => e.prefix)).toEqual(['2a07:3500::/46', '2a07:3500::/48']);
    // Nothing left behind: no temp file, no lock.
    expect(fs.readdirSync(path.dirname(file()))).toEqual(['ledger.yaml']);
  });

  it('keeps comments and untouched entries byte-for-byte when appending and releasing', async () => {
    await updateLedger(file(), (d) => allocate(d, { organisation: 'GM0001', kind: 'gemeente', category: 'diginetwerk' }, P, NOW, 'a@b'));
    const commented = fs.readFileSync(file(), 'utf8').replace('entries:', 'entries:\n  # reviewed by the IPv6 desk, ticket 42');
    fs.writeFileSync(file(), commented);
    await updateLedger(file(), (d) => allocate(d, { organisation: 'GM0002', kind: 'gemeente', category: 'diginetwerk' }, P, NOW, 'a@b'));
    const after = fs.readFileSync(file(), 'utf8');
    // The new slot is appended to slots, the new entry at the end; everything else is unchanged.
    expect(after.replace('  - { organisation: GM0002, block: gemeente, slot: 1 }\n', '').startsWith(commented.trimEnd())).toBe(true);
    expect(after).toContain('# reviewed by the IPv6 desk, ticket 42');
    await updateLedger(file(), (d) => release(d, { organisation: 'GM0001', prefix: '2a07:3500:4::/46', reason: 'test' }, P, NOW, 'a@b'));
    const released = fs.readFileSync(file(), 'utf8');
    expect(released).toContain('# reviewed by the IPv6 desk, ticket 42');
    expect(parse(released).entries.map((e: { status: string }) => e.status)).toEqual(['quarantined', 'allocated']);
  });

  it('appends as text: hand formatting elsewhere in the file stays byte-for-byte (no re-serialisation)', async () => {
    fs.mkdirSync(path.dirname(file()), { recursive: true });
    const hand = [
      '# hand-written header',
      'version: 1',
      'slots:',
      '    - {organisation: GM0546,   block: gemeente, slot: 164}   # Logius',
      'entries:',
      '    - prefix:  "2a07:3500:a44::/46"   # issued 2024',
      '      organisation: GM0546',
      '      category: diginetwerk',
      '      status: allocated',
      '      source: logius',
      '      by: import',
      "      at: '2024-03-01T09:00:00Z'",
      '# end of file',
      '',
    ].join('\n');
    fs.writeFileSync(file(), hand);
    const r = await updateLedger(file(), (d) => allocate(d, { organisation: 'GM0001', kind: 'gemeente', category: 'internet' }, P, NOW, 'a@b'));
    expect(r.ok).toBe(true);
    const after = fs.readFileSync(file(), 'utf8');
    const lines = after.split('\n');
    expect(lines.slice(0, 4)).toEqual(hand.split('\n').slice(0, 4));
    expect(lines[4]).toBe('    - { organisation: GM0001, block: gemeente, slot: 0 }');
    expect(after).toContain(hand.split('\n').slice(4, 12).join('\n'));
    expect(after.trimEnd().endsWith('# end of file')).toBe(true);
    const back = readLedgerFile(file());
    expect(back.ok && back.data.entries.map((e) => [e.prefix, e.organisation])).toEqual([
      ['2a07:3500:a44::/46', 'GM0546'],
      ['2a07:3500::/46', 'GM0001'],
      ['2a07:3500::/48', 'GM0001'],
    ]);
    expect(back.ok && back.data.slots.map((x) => x.slot)).toEqual([164, 0]);
  });

  it('leaves a corrupt ledger byte-for-byte unchanged and reports located findings', async () => {
    fs.mkdirSync(path.dirname(file()), { recursive: true });
    const bad = 'entries:\n  - prefix: 2a07:3500:4::/46\n    organisation: GM0001\n    status: sold\n';
    fs.writeFileSync(file(), bad);
    const r = await updateLedger(file(), (d) => allocate(d, { organisation: 'GM0002', kind: 'gemeente', category: 'diginetwerk' }, P, NOW, 'a@b'));
    expect(r.ok).toBe(false);
    expect(!r.ok && r.problem.code).toBe('IPV6_LEDGER_CORRUPT');
    expect(!r.ok && 'findings' in r && r.findings.length).toBeGreaterThan(0);
    expect(fs.readFileSync(file(), 'utf8')).toBe(bad);
    fs.writeFileSync(file(), 'entries: [unclosed\n');
    const syntax = await updateLedger(file(), (d) => allocate(d, { organisation: 'GM0002', kind: 'gemeente', category: 'diginetwerk' }, P, NOW, 'a@b'));
    expect(!syntax.ok && 'findings' in syntax && syntax.findings[0].code).toBe('YAML_SYNTAX');
    expect(fs.readFileSync(file(), 'utf8')).toBe('entries: [unclosed\n');
  });

  it('a refused request writes nothing', async () => {
    await updateLedger(file(), (d) => allocate(d, { organisation: 'GM0001', kind: 'gemeente', category: 'diginetwerk' }, P, NOW, 'a@b'));
    const before = fs.readFileSync(file());
    const st = fs.statSync(file());
    const r = await updateLedger(file(), (d) => allocate(d, { organisation: 'GM0001', kind: 'gemeente', category: 'nope' }, P, NOW, 'a@b'));
    expect(r.ok).toBe(false);
    expect(fs.readFileSync(file()).equals(before)).toBe(true);
    expect(fs.statSync(file()).ino).toBe(st.ino); // not even rewritten with the same bytes
  });

  it('serialises concurrent updates in one process: 20 organisations, 20 distinct prefixes, none lost', async () => {
    const ids = Array.from({ length: 20 }, (_, i) => `GM${String(i + 1).padStart(4, '0')}`);
    const results = await Promise.all(ids.map((id) => updateLedger(file(), (d) => allocate(d, { organisation: id, kind: 'gemeente', category: 'diginetwerk' }, P, NOW, 'a@b'))));
    expect(results.every((r) => r.ok)).toBe(true);
    const back = readLedgerFile(file());
    if (!back.ok) throw new Error('corrupt');
    expect(new Set(back.data.entries.map((e) => e.prefix)).size).toBe(20);
    expect(back.data.entries).toHaveLength(20);
    expect(new Set(back.data.slots.map((s) => s.slot)).size).toBe(20);
  });

  it('breaks the lock of a dead process, but waits for a live one', async () => {
    const lock = path.join(dir, '.ledger.yaml.lock');
    fs.writeFileSync(lock, JSON.stringify({ pid: 2 ** 22 + 12345, host: os.hostname(), at: '2020-01-01T00:00:00Z', token: 'x' }));
    const seen = await withLock(lock, () => 'ran', { timeoutMs: 5000 });
    expect(seen).toBe('ran');
    expect(fs.existsSync(lock)).toBe(false);
    // A lock held by this (live) process is respected until the timeout.
    fs.writeFileSync(lock, JSON.stringify({ pid: process.pid, host: os.hostname(), at: new Date().toISOString(), token: 'y' }));
    await expect(withLock(lock, () => 'never', { timeoutMs: 200 })).rejects.toThrow(/timed out .* ledger lock/);
    expect(fs.existsSync(lock)).toBe(true);
  });

  it('reports a lock file it did not write at once (garbage, empty and old, a FIFO, a symlink), and leaves it alone', async () => {
    const lock = path.join(dir, '.ledger.yaml.lock');
    const t0 = Date.now();
    fs.writeFileSync(lock, 'garbage\n');
    await expect(withLock(lock, () => 'never', { timeoutMs: 60_000 })).rejects.toThrow(/holds no lock record.*remove that file/);
    expect(fs.readFileSync(lock, 'utf8')).toBe('garbage\n');
    fs.writeFileSync(lock, JSON.stringify({ hello: 'world' }));
    await expect(withLock(lock, () => 'never', { timeoutMs: 60_000 })).rejects.toThrow(/holds no lock record/);
    fs.writeFileSync(lock, '');
    fs.utimesSync(lock, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
    await expect(withLock(lock, () => 'never', { timeoutMs: 60_000 })).rejects.toThrow(/is empty/);
    fs.rmSync(lock);
    execFileSync('mkfifo', [lock]);
    await expect(withLock(lock, () => 'never', { timeoutMs: 60_000 })).rejects.toThrow(/is not a regular file/);
    fs.rmSync(lock);
    fs.symlinkSync('/dev/null', lock);
    await expect(withLock(lock, () => 'never', { timeoutMs: 60_000 })).rejects.toThrow(/is a symbolic link/);
    expect(Date.now() - t0).toBeLessThan(5000);
    // A fresh empty lock is one being written: waited for, not reported.
    fs.rmSync(lock);
    fs.writeFileSync(lock, '');
    setTimeout(() => fs.rmSync(lock, { force: true }), 300);
    await expect(withLock(lock, () => 'ran', { timeoutMs: 10_000 })).resolves.toBe('ran');
  });

  it('writes atomically: the target is replaced, never half-written, and the mode is kept', () => {
    const f = path.join(dir, 'x.yaml');
    fs.writeFileSync(f, 'old\n', { mode: 0o640 });
    writeFileAtomic(f, 'new\n');
    expect(fs.readFileSync(f, 'utf8')).toBe('new\n');
    expect(fs.statSync(f).mode & 0o777).toBe(0o640);
    expect(fs.readdirSync(dir)).toEqual(['x.yaml']);
  });

  it('renders an empty ledger that reads back', () => {
    fs.mkdirSync(path.dirname(file()), { recursive: true });
    fs.writeFileSync(file(), renderFreshLedger({ slots: [], entries: [] }));
    const r = readLedgerFile(file());
    expect(r.ok && r.data).toEqual({ version: 1, slots: [], entries: [] });
  });
});
