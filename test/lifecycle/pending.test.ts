import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../../src/cli/main';
import { commitChange, finishPending, PENDING_FILE } from '../../src/lifecycle/commit';
import { fakeIo } from '../helpers/tmp-inventory';

/** The pending change of an interrupted lifecycle command: finished by the next run, never over someone's edit. */
const sha = (t: string) => createHash('sha256').update(t).digest('hex');
let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ggi-pending-'));
  fs.cpSync(path.resolve(__dirname, '../../inventory'), dir, { recursive: true });
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** What a run killed after writing its pending file leaves: the pending change, no file written yet. */
function interrupted(rel: string, text: string): void {
  const before = fs.readFileSync(path.join(dir, rel), 'utf8');
  fs.writeFileSync(path.join(dir, PENDING_FILE), JSON.stringify({ what: 'move GM0373 --own-connection-point', files: [{ rel, text, before: sha(before) }] }));
}

it('commitChange writes the files and leaves no pending file; unchanged files are not rewritten', () => {
  const rel = 'organisations/gm0373.yaml';
  const text = `${fs.readFileSync(path.join(dir, rel), 'utf8')}contact: beheer@example.nl\n`;
  expect(commitChange(dir, { what: 'x', files: [{ rel, text }, { rel: 'ggi.yaml', text: fs.readFileSync(path.join(dir, 'ggi.yaml'), 'utf8') }] })).toEqual([rel]);
  expect(fs.readFileSync(path.join(dir, rel), 'utf8')).toBe(text);
  expect(fs.existsSync(path.join(dir, PENDING_FILE))).toBe(false);
});

it('finishPending writes what is pending and removes the pending file', () => {
  const rel = 'organisations/gm0373.yaml';
  const text = `${fs.readFileSync(path.join(dir, rel), 'utf8')}contact: beheer@example.nl\n`;
  interrupted(rel, text);
  expect(finishPending(dir)).toBe('move GM0373 --own-connection-point');
  expect(fs.readFileSync(path.join(dir, rel), 'utf8')).toBe(text);
  expect(fs.existsSync(path.join(dir, PENDING_FILE))).toBe(false);
  expect(finishPending(dir)).toBeNull();
});

it('refuses to finish over a file that changed since, and writes nothing', () => {
  const rel = 'organisations/gm0373.yaml';
  const text = `${fs.readFileSync(path.join(dir, rel), 'utf8')}contact: beheer@example.nl\n`;
  interrupted(rel, text);
  const edited = `${fs.readFileSync(path.join(dir, rel), 'utf8')}contact: iemand-anders@example.nl\n`;
  fs.writeFileSync(path.join(dir, rel), edited);
  expect(() => finishPending(dir)).toThrow(`${rel} changed since`);
  expect(fs.readFileSync(path.join(dir, rel), 'utf8')).toBe(edited);
  expect(fs.existsSync(path.join(dir, PENDING_FILE))).toBe(true);
});

it('onboard finishes an interrupted change before it allocates anything', async () => {
  const rel = 'organisations/gm0373.yaml';
  const text = `${fs.readFileSync(path.join(dir, rel), 'utf8')}contact: beheer@example.nl\n`;
  interrupted(rel, text);
  const f = fakeIo({ GGI_OPERATOR: 'pending-test' });
  expect(await main(['onboard', 'GM0301', '--name', 'Zutphen', '--inventory', dir, '--state', path.join(dir, '.state')], f.io)).toBe(0);
  expect(f.stderr()).toBe('finished an interrupted change first: move GM0373 --own-connection-point\n');
  expect(fs.readFileSync(path.join(dir, rel), 'utf8')).toBe(text);
});
