import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { diffLines, unifiedDiff } from '../../src/util/diff';
import { livePath, PENDING_ROLLBACK, secretChangedPlaceholder, secretPlaceholder, standardDiff, type ActualState, type Candidate } from '../../src/devices';
import { fillSecrets, maskSecrets, MissingSecretError } from '../../src/devices/secrets';
import { judgeHostKey, loadPrivateKey, normaliseHostHash, fingerprintOfKey, shq, sshSocket, TransportError } from '../../src/reconciler/transport';
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

const candidate: Candidate = {
  deviceId: 'ce-gm0546',
  platform: 'test',
  documents: [
    { name: 'ggi.nft', format: 'text', content: 'table inet ggi {}\n' },
    { name: 'frr.conf', format: 'text', content: 'router bgp 64512\n' },
  ],
  secrets: [],
  checks: null,
};

function actual(over: { files?: Record<string, string | null>; live?: string; recorded?: string | null; pendingRollback?: boolean } = {}): ActualState {
  const files = over.files ?? { 'ggi.nft': 'table inet ggi {}\n', 'frr.conf': 'router bgp 64512\n' };
  const where: Record<string, string> = { 'ggi.nft': '/etc/nftables.d/ggi.nft', 'frr.conf': '/etc/frr/frr.conf' };
  return {
    documents: Object.entries(files).map(([name, content]) => ({ name, location: where[name] ?? name, content })),
    live: [{ name: 'nftables', now: over.live ?? 'table inet ggi {\n}\n', recorded: over.recorded === undefined ? 'table inet ggi {\n}\n' : over.recorded }],
    pendingRollback: over.pendingRollback ?? false,
  };
}

describe('the standard diff (Driver.diff)', () => {
  it('reports nothing when documents and recorded live state match', () => {
    expect(standardDiff(candidate, actual())).toEqual([]);
  });

  it('lists changed documents in location order with their diffs', () => {
    const p = standardDiff(candidate, actual({ files: { 'ggi.nft': null, 'frr.conf': 'router bgp 1\n' } }));
    expect(p.map((f) => f.path)).toEqual(['/etc/frr/frr.conf', '/etc/nftables.d/ggi.nft']);
    expect(p[0].diff).toContain('-router bgp 1\n+router bgp 64512\n');
    expect(p[1].diff).toContain('--- /dev/null');
  });

  it('removes a document the device has and the candidate does not declare', () => {
    const p = standardDiff(candidate, actual({ files: { 'ggi.nft': 'table inet ggi {}\n', 'frr.conf': 'router bgp 64512\n', extra: 'x\n' } }));
    expect(p).toEqual([{ path: 'extra', diff: expect.stringContaining('+++ /dev/null') }]);
  });

  it('reports a hand-edited live state as drift, even with equal documents', () => {
    const p = standardDiff(candidate, actual({ live: 'table inet ggi {\n  chain x {}\n}\n' }));
    expect(p).toEqual([{ path: livePath('nftables'), diff: expect.stringContaining('-  chain x {}') }]);
  });

  it('ignores the live state before ggi has recorded it, and reports a pending rollback', () => {
    expect(standardDiff(candidate, actual({ recorded: null, live: 'anything' }))).toEqual([]);
    const p = standardDiff(candidate, actual({ pendingRollback: true }));
    expect(p[0].path).toBe(PENDING_ROLLBACK);
  });
});

describe('secrets in documents', () => {
  const tpl = `server nlrs1 {\n  secret ${secretPlaceholder('radius/nlrs1')}\n}\n`;
  const values = new Map([['radius/nlrs1', 's3cr3t-value']]);

  it('fills placeholders for upload and refuses a missing value', () => {
    expect(fillSecrets(tpl, values)).toBe('server nlrs1 {\n  secret s3cr3t-value\n}\n');
    expect(fillSecrets(tpl, values, (v) => `"${v}"`)).toContain('secret "s3cr3t-value"');
    expect(() => fillSecrets(tpl, new Map())).toThrow(MissingSecretError);
  });

  it('masks the value read back, and says that a different value differs without showing it', () => {
    expect(maskSecrets(fillSecrets(tpl, values), tpl, values)).toBe(tpl);
    const other = maskSecrets('server nlrs1 {\n  secret hand-set-other\n}\n', tpl, values);
    expect(other).toBe(`server nlrs1 {\n  secret ${secretChangedPlaceholder('radius/nlrs1')}\n}\n`);
    expect(other).not.toContain('hand-set-other');
    // Without the values (plan without secrets) the device's value is hidden all the same.
    expect(maskSecrets('server nlrs1 {\n  secret whatever\n}\n', tpl, new Map())).toBe(tpl);
    // A value anywhere else is masked too.
    expect(maskSecrets('# s3cr3t-value\n', null, values)).toBe(`# ${secretPlaceholder('radius/nlrs1')}\n`);
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

  it('finds the socket under an ssh2 connection (the one use of ssh2 internals)', () => {
    const { Client } = require('ssh2') as { Client: new () => { connect(o: object): void; on(e: string, f: () => void): void; end(): void } };
    const c = new Client();
    c.on('error', () => undefined);
    c.connect({ host: '127.0.0.1', port: 9, username: 'x', readyTimeout: 1000 });
    const sock = sshSocket(c);
    expect(sock).toBeDefined();
    expect(typeof sock!.destroy).toBe('function');
    sock!.destroy();
    expect(sshSocket(null)).toBeUndefined();
    expect(sshSocket({})).toBeUndefined();
  });

  it('quotes shell words safely', () => {
    expect(shq('/etc/frr/frr.conf')).toBe('/etc/frr/frr.conf');
    expect(shq("it's")).toBe(`'it'\\''s'`);
    expect(shq('a b')).toBe("'a b'");
  });
});
