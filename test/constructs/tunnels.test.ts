import fc from 'fast-check';
import { allocateTunnels, AWS_RESERVED_TUNNEL_CIDRS, fnv1a, type TunnelRequest } from '../../src/constructs/tunnels';
import { ConstructValidationError } from '../../src/constructs/errors';
import { parsePrefix } from '../../src/net/prefix';

const POOL = '169.254.0.0/16';

function all(plan: ReturnType<typeof allocateTunnels>): string[] {
  return [...plan.values()].flatMap((z) => [...z.values()].flatMap((t) => [t.tunnel1, t.tunnel2]));
}

function gm(n: number, at = n): TunnelRequest {
  return { organisation: `GM${String(n).padStart(4, '0')}`, zones: ['overheid', 'markt'], onboardedAt: at };
}

describe('inside-tunnel allocation', () => {
  test('/30s inside the pool, never reserved, never shared, for 400 organisations', () => {
    const plan = allocateTunnels(POOL, Array.from({ length: 400 }, (_, i) => gm(i + 1)));
    const cidrs = all(plan);
    expect(cidrs.length).toBe(1600);
    expect(new Set(cidrs).size).toBe(1600);
    for (const c of cidrs) {
      const p = parsePrefix(c);
      expect(p.len).toBe(30);
      expect(c.startsWith('169.254.')).toBe(true);
      expect(AWS_RESERVED_TUNNEL_CIDRS).not.toContain(c);
    }
  });

  test('a zone always takes the same place in the organisation slot, whatever order the zones are listed in', () => {
    const a = allocateTunnels(POOL, [{ organisation: 'GM0546', zones: ['overheid', 'markt'], onboardedAt: 1 }]).get('GM0546')!;
    const b = allocateTunnels(POOL, [{ organisation: 'GM0546', zones: ['markt'], onboardedAt: 1 }]).get('GM0546')!;
    const c = allocateTunnels(POOL, [{ organisation: 'GM0546', zones: ['markt', 'overheid'], onboardedAt: 1 }]).get('GM0546')!;
    expect(b.get('markt')).toEqual(a.get('markt'));
    expect(c.get('overheid')).toEqual(a.get('overheid'));
  });

  test('the result does not depend on the order of the requests', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: 9999 }), { minLength: 1, maxLength: 60 }), fc.integer(), (ids, seed) => {
        const reqs = ids.map((n) => gm(n, n % 7));
        const shuffled = [...reqs].sort((x, y) => fnv1a(`${seed}${x.organisation}`) - fnv1a(`${seed}${y.organisation}`));
        expect(all(allocateTunnels(POOL, shuffled)).sort()).toEqual(all(allocateTunnels(POOL, reqs)).sort());
        const p1 = allocateTunnels(POOL, reqs);
        const p2 = allocateTunnels(POOL, shuffled);
        for (const r of reqs) expect(p2.get(r.organisation)).toEqual(p1.get(r.organisation));
      }),
      { numRuns: 50 },
    );
  });

  test('onboarding later organisations never moves an existing one, even when their hashes collide (small pool)', () => {
    // A /24 has 16 slots: collisions are certain, so this exercises the probing.
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: 9999 }), { minLength: 2, maxLength: 15 }), (ids) => {
        const reqs = ids.map((n, i) => gm(n, i));
        const k = Math.ceil(reqs.length / 2);
        const before = allocateTunnels('169.254.200.0/24', reqs.slice(0, k));
        const after = allocateTunnels('169.254.200.0/24', reqs);
        for (const r of reqs.slice(0, k)) expect(after.get(r.organisation)).toEqual(before.get(r.organisation));
        expect(new Set(all(after)).size).toBe(all(after).length);
      }),
      { numRuns: 100 },
    );
  });

  test('a pool that cannot hold everyone is refused with the numbers', () => {
    const reqs = Array.from({ length: 17 }, (_, i) => gm(i + 1));
    expect(() => allocateTunnels('169.254.200.0/24', reqs)).toThrow(/room for 16 organisations.*17 connect/);
  });

  test('the reserved /30s are skipped even when a slot hashes onto them', () => {
    // 169.254.0.0/22 holds the reserved 169.254.{0..3}.0/30: their four slots must never be handed out.
    const reqs = Array.from({ length: 60 }, (_, i) => gm(i + 1));
    const cidrs = all(allocateTunnels('169.254.0.0/22', reqs));
    expect(cidrs.length).toBe(240);
    // The slots (/28s) 169.254.N.0/28 for N = 0..3 hold a reserved /30 and are all skipped.
    const inReservedSlot = cidrs.filter((c) => {
      const [, , third, fourth] = c.split('/')[0].split('.').map(Number);
      return third <= 3 && fourth < 16;
    });
    expect(inReservedSlot).toEqual([]);
  });

  test.each([
    ['10.0.0.0/16', /inside 169\.254\.0\.0\/16/],
    ['169.254.0.0/29', /\/28 or larger/],
    ['169.254.0.1/16', /not a prefix/],
    ['fe80::/64', /inside 169\.254\.0\.0\/16/],
  ])('pool %s is refused', (pool, msg) => {
    let err: unknown;
    try {
      allocateTunnels(pool, [gm(1)]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConstructValidationError);
    expect((err as Error).message).toMatch(msg);
  });

  test('an organisation asked twice is refused', () => {
    expect(() => allocateTunnels(POOL, [gm(1), gm(1)])).toThrow(/twice/);
  });
});
