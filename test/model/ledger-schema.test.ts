import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { parse } from 'yaml';
import { fastLedger, ledgerEntrySchema, ledgerSchema } from '../../src/model/schema';

/** The ledger's fast schema path accepts only what the schema accepts, and gives exactly the schema's output. */
const EXAMPLE = parse(fs.readFileSync(path.resolve(__dirname, '../../inventory/ipv6/ledger.yaml'), 'utf8'));

function agrees(value: unknown): void {
  const fast = fastLedger(value);
  const slow = ledgerSchema.safeParse(value);
  if (fast !== null) {
    expect(slow.success).toBe(true);
    expect(JSON.stringify(fast)).toBe(JSON.stringify(slow.data));
  }
}

describe('fastLedger', () => {
  it('takes the example ledger, as the schema outputs it', () => {
    expect(fastLedger(EXAMPLE)).not.toBeNull();
    agrees(EXAMPLE);
  });

  it('never accepts what the schema refuses, nor differs in output (random edits of one entry)', () => {
    const values = fc.oneof(fc.constant(undefined), fc.string(), fc.integer(), fc.boolean(), fc.constant(''), fc.constant('2a07:3500::/46'), fc.constant('2a07:3500::1/46'), fc.constant('GM0014'), fc.constant('quarantined'), fc.constant('2026-01-01'), fc.constant({ provider: 'x' }));
    // Every key of the schema (a key added later is covered without touching this test), and one it does not know.
    const keys = fc.constantFrom(...Object.keys(ledgerEntrySchema.shape), 'colour');
    fc.assert(
      fc.property(fc.nat({ max: EXAMPLE.entries.length - 1 }), keys, values, (i, k, v) => {
        const copy = structuredClone(EXAMPLE);
        if (v === undefined) delete copy.entries[i][k];
        else copy.entries[i][k] = v;
        agrees(copy);
      }),
      { numRuns: 400 },
    );
  });

  it('refuses other top-level shapes to the schema', () => {
    for (const v of [null, [], { version: 2 }, { entries: {} }, { slots: [{ organisation: 'GM0014', block: 'gemeente', slot: -1 }] }, { extra: 1 }]) {
      expect(fastLedger(v)).toBeNull();
    }
  });
});
