import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { diffLines, unifiedDiff } from '../../src/reconciler/diff';
import { livePath, PENDING_ROLLBACK, planDevice } from '../../src/reconciler/plan';
import { judgeHostKey, loadPrivateKey, normaliseHostHash, fingerprintOfKey, shq, TransportError } from '../../src/reconciler/transport';
import type { ActualState, DesiredDevice } from '../../src/reconciler/types';
import { tmpDir } from './helpers';

/** Applies a unified diff (as produced here) to `before`; the test's independent check of the hunks. */
function patch(before: string, diff: string): string {
  const a = before === '' ? [] : before.replace(/\n$/, '').split('\n');
  const out: string[] = [];
  let ia = 0;
  const lines = diff.replace(/\n$/, '').split('\n').slice(2);
  for (let i = 0; i < lines.length; i++) {
    const m = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@$/.exec(lines[i]);
    if (!m) throw new Error(`bad hunk header ${lines[i]}`);
    const startA = Number(m[1]);
    const countA = m[2] === undefined ? 1 : Number(m[2]);
    const from = countA === 0 ? startA : startA - 1;
    while (ia < from) out.push(a[ia++]);
    while (i + 1 < lines.length && !lines[i + 1].startsWith('@@')) {
      const l = lines[++i];
      if (l[0] === ' ') {
        expect(a[ia]).toBe(l.slice(1));
        out.push(a[ia++]);
      } else if (l[0] === '-') {
        expect(a[ia]).toBe(l.slice(1));
        ia++;
      } else if (l[0] === '+') out.push(l.slice(1));
      else throw new Error(`bad line ${l}`);
    }
  }
  while (ia < a.length) out.push(a[ia++]);
  return out.length ? out.join('\n') + '\n' : '';
}

describe('unified diff', () => {
  it('is empty for equal texts and marks created and deleted files', () => {
    expect(unifiedDiff('/etc/x', 'a\n', 'a\n')).toBe('');
    expect(unifiedDiff('/etc/x', null, 'a\nb\n')).toBe('--- /dev/null\n+++ b/etc/x\n@@ -0,0 +1,2 @@\n+a\n+b\n');
    expect(unifiedDiff('/etc/x', 'a\n', null)).toBe('--- a/etc/x\n+++ /dev/null\n@@ -1 +0,0 @@\n-a\n');
  });

  it('shows three lines of context and separate hunks for distant changes', () => {
    const before = Array.from({ length: 20 }, (_, i) => `l${i}`).join('\n') + '\n';
    const after = before.replace('l2\n', 'L2\n').replace('l17\n', 'L17\n');
    expect(unifiedDiff('f', before, after)).toBe(
      ['--- a/f', '+++ b/f', '@@ -1,6 +1,6 @@', ' l0', ' l1', '-l2', '+L2', ' l3', ' l4', ' l5', '@@ -15,6 +15,6 @@', ' l14', ' l15', ' l16', '-l17', '+L17', ' l18', ' l19', ''].join('\n'),
    );
  });

  it('marks a missing final newline', () => {
    expect(unifiedDiff('f', 'a\n', 'a')).toBe('--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n+a\n\\ No newline at end of file\n');
  });

  it('patching before with the diff gives after, and the edit script is minimal in kept lines (property)', () => {
    const text = fc.array(fc.constantFrom('a', 'b', 'c', 'd', ''), { maxLength: 30 }).map((ls) => (ls.length ? ls.join('\n') + '\n' : ''));
    fc.assert(
      fc.property(text, text, (a, b) => {
        const d = unifiedDiff('f', a, b);
        expect(d === '').toBe(a === b);
        if (d) expect(patch(a, d)).toBe(b);
        // Same input, same output: plans are reproducible.
        expect(unifiedDiff('f', a, b)).toBe(d);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps a longest common subsequence', () => {
    const ops = diffLines(['a', 'b', 'c', 'a', 'b', 'b', 'a'], ['c', 'b', 'a', 'b', 'a', 'c']);
    expect(ops.filter((o) => o.kind === ' ').length).toBe(4);
  });
});

const dev: DesiredDevice = {
  id: 'ce-gm0546',
  files: [
    { path: '/etc/nftables.d/ggi.nft', content: 'table inet ggi {}\n', mode: 0o644 },
    { path: '/etc/frr/frr.conf', content: 'router bgp 64512\n', mode: 0o640 },
  ],
  validate: [],
  activate: [],
  verify: [],
  live: [{ name: 'nftables', argv: ['nft', '-s', 'list', 'table', 'inet', 'ggi'] }],
};

function actual(over: Partial<ActualState> = {}): ActualState {
  return {
    files: { '/etc/nftables.d/ggi.nft': 'table inet ggi {}\n', '/etc/frr/frr.conf': 'router bgp 64512\n' },
    live: { nftables: 'table inet ggi {\n}\n' },
    recordedLive: { nftables: 'table inet ggi {\n}\n' },
    pendingRollback: false,
    ...over,
  };
}

describe('planDevice', () => {
  it('reports unchanged when files and recorded live state match', () => {
    expect(planDevice(dev, actual())).toEqual({ id: 'ce-gm0546', changed: false, files: [] });
  });

  it('lists changed files in path order with their diffs', () => {
    const p = planDevice(dev, actual({ files: { '/etc/nftables.d/ggi.nft': null, '/etc/frr/frr.conf': 'router bgp 1\n' } }));
    expect(p.changed).toBe(true);
    expect(p.files.map((f) => f.path)).toEqual(['/etc/frr/frr.conf', '/etc/nftables.d/ggi.nft']);
    expect(p.files[0].diff).toContain('-router bgp 1\n+router bgp 64512\n');
    expect(p.files[1].diff).toContain('--- /dev/null');
  });

  it('reports a hand-edited live state as drift, even with equal files', () => {
    const p = planDevice(dev, actual({ live: { nftables: 'table inet ggi {\n  chain x {}\n}\n' } }));
    expect(p.changed).toBe(true);
    expect(p.files).toEqual([{ path: livePath('nftables'), diff: expect.stringContaining('-  chain x {}') }]);
  });

  it('ignores the live state before ggi has recorded it, and reports a pending rollback', () => {
    expect(planDevice(dev, actual({ recordedLive: { nftables: null }, live: { nftables: 'anything' } })).changed).toBe(false);
    const p = planDevice(dev, actual({ pendingRollback: true }));
    expect(p.changed).toBe(true);
    expect(p.files[0].path).toBe(PENDING_ROLLBACK);
  });
});

describe('host key policy', () => {
  const blob = Buffer.from('AAAAC3NzaC1lZDI1NTE5AAAAIOQ2gSqhm5V1ndOp1sP9bKVMdbPrz3e3nLgHs5xqWy1D', 'base64');
  const fp = fingerprintOfKey(blob);

  it('normalises the hex, base64 and raw forms ssh2 may hand over', () => {
    const hex = require('node:crypto').createHash('sha256').update(blob).digest('hex');
    expect(fp).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    expect(normaliseHostHash(hex)).toBe(fp);
    expect(normaliseHostHash(blob)).toBe(fp);
    expect(normaliseHostHash(fp.slice(7) + '=')).toBe(fp);
  });

  it('refuses unknown keys unless onboarding, and never accepts a changed key', () => {
    expect(judgeHostKey(fp, fp, false)).toEqual({ ok: true });
    expect(judgeHostKey(fp, undefined, false)).toEqual({ ok: false, code: 'HOST_KEY_UNKNOWN' });
    expect(judgeHostKey(fp, undefined, true)).toEqual({ ok: true });
    expect(judgeHostKey(fp, 'SHA256:' + 'A'.repeat(43), true)).toEqual({ ok: false, code: 'HOST_KEY_MISMATCH' });
  });

  it('refuses a group- or world-readable private key file and never echoes the key', () => {
    const dir = tmpDir();
    const file = path.join(dir, 'id');
    fs.writeFileSync(file, 'SECRET-KEY-MATERIAL\n', { mode: 0o644 });
    fs.chmodSync(file, 0o644);
    let err: unknown;
    try {
      loadPrivateKey({ file }, {}, dir);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).code).toBe('PRIVATE_KEY');
    expect((err as Error).message).not.toContain('SECRET');
    fs.chmodSync(file, 0o600);
    expect(loadPrivateKey({ file }, {}, dir)).toBe('SECRET-KEY-MATERIAL\n');
    expect(loadPrivateKey({ env: 'K' }, { K: 'abc' })).toBe('abc\n');
    expect(() => loadPrivateKey({ env: 'K' }, {})).toThrow(/K is not set/);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('quotes shell words safely', () => {
    expect(shq('/etc/frr/frr.conf')).toBe('/etc/frr/frr.conf');
    expect(shq("it's")).toBe(`'it'\\''s'`);
    expect(shq('a b')).toBe("'a b'");
  });
});
