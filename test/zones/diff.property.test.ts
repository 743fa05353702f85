import fc from 'fast-check';
import { parseAddress as parseAddr } from '../../src/net';
import { parseCidr } from '../../src/zones/addr';
import { diffPolicies, query, type Change } from '../../src/zones';
import { buildModel, idsFor, samplePackets, specPair } from './gen';

function inCidrs(cidrs: string[], addr: string): boolean {
  const a = parseAddr(addr);
  return cidrs.some((c) => {
    const p = parseCidr(c);
    return p.family === a.family && p.range.lo <= a.value && a.value <= p.range.hi;
  });
}

function inChange(c: Change, p: { src: string; dst: string; proto: string; dport?: number }): boolean {
  if (!inCidrs(c.src, p.src) || !inCidrs(c.dst, p.dst)) return false;
  const proto = p.proto === 'any' ? 'other' : p.proto;
  if (c.proto !== 'any' && c.proto !== proto) return false;
  if (c.dports === null || p.dport === undefined) return true;
  const [lo, hi] = c.dports.split('-').map(Number);
  return p.dport >= lo && p.dport <= (hi ?? lo);
}

const PACKETS = samplePackets();

describe('policy diff (property)', () => {
  it('is complete and exact on end-to-end verdicts', () => {
    fc.assert(
      fc.property(specPair, ([a, b]) => {
        const ids = idsFor(a, b);
        const base = buildModel(a, ids);
        const head = buildModel(b, ids);
        const d = diffPolicies(base, head);
        // exact: every example really changes verdict, in the reported direction
        for (const c of d.opened) {
          expect(query(base, c.example).allowed).toBe(false);
          expect(query(head, c.example).allowed).toBe(true);
          expect(inChange(c, c.example)).toBe(true);
        }
        for (const c of d.closed) {
          expect(query(base, c.example).allowed).toBe(true);
          expect(query(head, c.example).allowed).toBe(false);
        }
        // complete: every changed packet lies in a reported change of the right direction; and region-exact:
        // no unchanged packet lies inside a reported change
        for (const p of PACKETS) {
          const va = query(base, p).allowed;
          const vb = query(head, p).allowed;
          const inOpened = d.opened.some((c) => inChange(c, p));
          const inClosed = d.closed.some((c) => inChange(c, p));
          if (va !== vb && !(vb ? inOpened : inClosed)) throw new Error(`unreported ${vb ? 'opened' : 'closed'} packet ${JSON.stringify(p)}\n${JSON.stringify(d, null, 1)}`);
          if (inOpened) expect([va, vb]).toEqual([false, true]);
          if (inClosed) expect([va, vb]).toEqual([true, false]);
        }
      }),
      { numRuns: 50 },
    );
  });
});
