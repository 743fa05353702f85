import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../../src/cli/main';
import { fakeIo } from '../helpers/tmp-inventory';

describe('schema finding messages', () => {
  it('name a list item by its key and index, as the user wrote it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ggi-messages-'));
    try {
      fs.cpSync(path.resolve(__dirname, '../../inventory'), dir, { recursive: true });
      const file = path.join(dir, 'organisations/gm0865.yaml');
      fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('zones: [overheid, markt]', 'zones: [overheid, internet]'));
      const f = fakeIo();
      expect(await main(['validate', '--inventory', dir, '--format', 'json'], f.io)).toBe(1);
      const messages = (JSON.parse(f.stdout()).findings as Array<{ code: string; message: string }>).filter((x) => x.code === 'SCHEMA_INVALID_VALUE').map((x) => x.message);
      expect(messages).toEqual([`'zones[1]' is "internet"; allowed: "overheid", "markt"`]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
