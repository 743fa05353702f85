import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../../src/cli/main';
import { readJournal, readJournalLines, type LifecycleJournalEntry } from '../../src/reconciler/journal';
import { fakeIo } from '../helpers/tmp-inventory';

/** onboard, move and offboard record what they wrote in the journal of the state folder, which `ggi journal` shows. */
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

async function ggi(dir: string, ...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const f = fakeIo({ GGI_OPERATOR: 'journal-test' });
  const code = await main([...argv, '--inventory', dir], f.io);
  return { code, out: f.stdout(), err: f.stderr() };
}

describe('the journal of lifecycle steps', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ggi-journal-inv-'));
  const state = fs.mkdtempSync(path.join(os.tmpdir(), 'ggi-journal-state-'));
  dirs.push(dir, state);
  fs.cpSync(path.resolve(__dirname, '../../inventory'), dir, { recursive: true });
  const file = path.join(state, 'journal.jsonl');

  it('records each step that wrote something, once, with digests of the files and no file text', async () => {
    for (const argv of [
      ['onboard', 'GM0301', '--name', 'Zutphen'],
      ['onboard', 'GM0302', '--name', 'Nijkerk', '--served-by', 'SV0001'],
      ['move', 'GM0302', '--own-connection-point'],
      ['move', 'GM0302', '--own-connection-point'], // nothing to change: not journaled
      ['offboard', 'GM0301'],
    ]) {
      const r = await ggi(dir, ...argv, '--state', state);
      expect([argv.join(' '), r.code, r.err]).toEqual([argv.join(' '), 0, '']);
    }
    const lines = readJournalLines(file) as LifecycleJournalEntry[];
    expect(lines.map((l) => [l.kind, l.command, l.organisation, l.operator])).toEqual([
      ['lifecycle', 'onboard GM0301', 'GM0301', 'journal-test'],
      ['lifecycle', 'onboard GM0302 --served-by SV0001', 'GM0302', 'journal-test'],
      ['lifecycle', 'move GM0302 --own-connection-point', 'GM0302', 'journal-test'],
      ['lifecycle', 'offboard GM0301', 'GM0301', 'journal-test'],
    ]);
    expect(new Set(lines.map((l) => l.change)).size).toBe(4);
    expect(lines[0].devices).toEqual({ added: ['ce-gm0301'], removed: [] });
    expect(lines[2].devices).toEqual({ added: ['ce-gm0302'], removed: [] });
    expect(lines[3].devices.removed).toEqual(['ce-gm0301']);
    expect(lines[3].notes.join('\n')).toMatch(/quarantined 2a07:/);
    // Digests only: what the files held is in the inventory's history, not in the journal.
    for (const l of lines) {
      for (const v of [...Object.values(l.before), ...Object.values(l.after)]) expect(v === null || /^[0-9a-f]{64}$/.test(v)).toBe(true);
      expect(Object.keys(l.after)).toContain('organisations/' + l.organisation.toLowerCase() + '.yaml');
    }
    expect(lines[0].before['organisations/gm0301.yaml']).toBeNull();
    expect(lines[0].after['ipv6/ledger.yaml']).toBe(lines[1].before['ipv6/ledger.yaml']);
    // The apply reader sees device changes only.
    expect(readJournal(file)).toEqual([]);
  });

  it('ggi journal shows them, oldest first, filtered by organisation', async () => {
    const r = await ggi(dir, 'journal', '--state', state);
    expect(r.code).toBe(0);
    const out = r.out.trim().split('\n');
    expect(out).toHaveLength(4);
    expect(out[2]).toMatch(/^\S+Z {2}journal-test {2}move GM0302 --own-connection-point: wrote organisations\/gm0302\.yaml.*; devices \+ce-gm0302$/);
    const only = await ggi(dir, 'journal', '--state', state, '--organisation', 'gm0301', '--format', 'json');
    expect(JSON.parse(only.out).entries.map((e: LifecycleJournalEntry) => e.command)).toEqual(['onboard GM0301', 'offboard GM0301']);
    const last = await ggi(dir, 'journal', '--state', state, '--last', '1');
    expect(last.out).toContain('offboard GM0301: wrote');
  });
});
