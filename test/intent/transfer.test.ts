import fc from 'fast-check';
import { allocateTransfers, linkKey } from '../../src/intent/transfer';
import { TransferPoolExhausted } from '../../src/intent/transfer';
import { contains, parsePrefix } from '../../src/net';

const pool4 = parsePrefix('198.18.0.0/24');
const pool6 = parsePrefix('2001:db8:ffff::/64');

describe('allocateTransfers', () => {
  it('gives every key its own /31 and /127 inside the pools, whatever the order of the keys', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.string({ minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 100 }), (keys) => {
        const a = allocateTransfers(keys, pool4, pool6);
        const b = allocateTransfers([...keys].reverse(), pool4, pool6);
        const slots = new Set<number>();
        for (const k of keys) {
          const n = a.get(k)!;
          expect(b.get(k)).toEqual(n);
          expect(contains(pool4, n.v4.prefix) && n.v4.prefix.len === 31).toBe(true);
          expect(contains(pool6, n.v6.prefix) && n.v6.prefix.len === 127).toBe(true);
          slots.add(n.slot);
        }
        expect(slots.size).toBe(keys.length);
      }),
      { numRuns: 50 },
    );
  });

  it('keeps existing links where they are when one is added, unless it lands in their run of taken slots', () => {
    const keys = Array.from({ length: 40 }, (_, i) => linkKey('border-overheid', `ce-gm${String(i).padStart(4, '0')}`));
    const before = allocateTransfers(keys, pool4, pool6);
    const after = allocateTransfers([...keys, linkKey('border-overheid', 'ce-gm9999')], pool4, pool6);
    const moved = keys.filter((k) => after.get(k)!.slot !== before.get(k)!.slot);
    const added = after.get(linkKey('border-overheid', 'ce-gm9999'))!.slot;
    // Any moved link sits right after the new one (linear probing), never anywhere else.
    for (const k of moved) expect(after.get(k)!.slot).toBeGreaterThan(added);
    expect(moved.length).toBeLessThanOrEqual(2);
  });

  it('refuses more links than the pool holds, with a message', () => {
    const keys = Array.from({ length: 129 }, (_, i) => `k${i}`);
    expect(() => allocateTransfers(keys, pool4, pool6)).toThrow(TransferPoolExhausted);
    expect(() => allocateTransfers(keys, pool4, pool6)).toThrow(/129 transfer networks are needed but the pools hold only 128/);
  });

  it('names a link by its device pair, in either order', () => {
    expect(linkKey('b', 'a')).toBe(linkKey('a', 'b'));
  });
});
