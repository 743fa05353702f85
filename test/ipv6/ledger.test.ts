import fc from 'fast-check';
import { contains, formatPrefix, overlaps, parsePrefix } from '../../src/net';
import { allocate, checkIpv6, entryPrefix, heldAllocation, isActive, occupies, planFromSettings, release, type LedgerData } from '../../src/ipv6';
import type { LedgerEntryDecl, Settings } from '../../src/model/schema';
import { cleanup } from '../helpers/tmp-inventory';
import { cbsGemeenteId, EMPTY, gemeenteId, inventoryDir, load, plan, SETTINGS, withLedger } from './fixtures';

const P = plan();
const NOW = new Date('2026-11-23T12:00:00Z');
const later = (days: number) => new Date(NOW.getTime() + days * 86_400_000);

function ok(r: ReturnType<typeof allocate>) {
  if (!r.ok) throw new Error(`expected success, got ${r.problem.code}: ${r.problem.message}`);
  return r;
}

function alloc(ledger: LedgerData, organisation: string, category: string, extra: { length?: number; purpose?: string; kind?: 'gemeente' | 'samenwerkingsverband'; now?: Date; inUse?: string[] } = {}) {
  return allocate(ledger, { organisation, kind: extra.kind ?? 'gemeente', category, length: extra.length, purpose: extra.purpose, inUse: extra.inUse }, P, extra.now ?? NOW, 'tester');
}

const logius = (prefix: string, organisation: string, category: string): LedgerEntryDecl => ({ prefix, organisation, category, status: 'allocated', source: 'logius', by: 'logius-import', at: '2025-01-01T00:00:00Z' });

describe('ledger: allocate', () => {
  it('gives a new organisation the next free slot, records it, and is idempotent', () => {
    const a = ok(alloc(EMPTY, 'GM0001', 'diginetwerk'));
    expect(a.created).toBe(true);
    expect(a.entry).toMatchObject({ prefix: '2a07:3500:4::/46', organisation: 'GM0001', category: 'diginetwerk', status: 'allocated', source: 'ggi', by: 'tester', at: '2026-11-23T12:00:00Z' });
    expect(a.ledger.slots).toEqual([{ organisation: 'GM0001', block: 'gemeente', slot: 0 }]);
    const again = ok(alloc(a.ledger, 'GM0001', 'diginetwerk'));
    expect(again.created).toBe(false);
    expect(again.entry.prefix).toBe('2a07:3500:4::/46');
    expect(again.ledger).toBe(a.ledger);
    const besloten = ok(alloc(a.ledger, 'GM0001', 'besloten'));
    expect(besloten.entry.prefix).toBe('2a07:3500:8::/46'); // same slot, same /44
    expect(besloten.changes.addedSlots).toEqual([]);
    const other = ok(alloc(besloten.ledger, 'GM0002', 'besloten'));
    expect(other.entry.prefix).toBe('2a07:3500:18::/46');
    expect(other.changes.addedSlots).toEqual([{ organisation: 'GM0002', block: 'gemeente', slot: 1 }]);
  });

  it('assigns the first /48 of the internet /46 (N2 rule 4)', () => {
    const a = ok(alloc(EMPTY, 'GM0001', 'internet'));
    expect(a.changes.added.map((e) => [e.prefix, e.status, e.parent, e.internetRouted])).toEqual([
      ['2a07:3500::/46', 'allocated', undefined, undefined],
      ['2a07:3500::/48', 'assigned', '2a07:3500::/46', true],
    ]);
  });

  it('uses the block of the organisation kind; provincies and waterschappen share slots', () => {
    const sv = ok(allocate(EMPTY, { organisation: 'SV0001', kind: 'samenwerkingsverband', category: 'diginetwerk' }, P, NOW, 't'));
    expect(sv.entry.prefix).toBe('2a07:3502:4::/46');
    const pv = ok(allocate(sv.ledger, { organisation: 'PV01', kind: 'provincie', category: 'internet' }, P, NOW, 't'));
    const ws = ok(allocate(pv.ledger, { organisation: 'WS0001', kind: 'waterschap', category: 'internet' }, P, NOW, 't'));
    expect(pv.entry.prefix).toBe('2a07:3501::/46');
    expect(ws.entry.prefix).toBe('2a07:3501:10::/46');
  });

  it('returns a Logius-issued prefix and never collides with one', () => {
    // Logius issued GM0546 2a07:3500:a44::/46 (slot 164, code 1 = diginetwerk) and something in slot 0 to GM0363.
    const base: LedgerData = { slots: [], entries: [logius('2a07:3500:a44::/46', 'GM0546', 'diginetwerk'), logius('2a07:3500:4::/46', 'GM0363', 'diginetwerk')] };
    const held = ok(alloc(base, 'GM0546', 'diginetwerk'));
    expect(held.created).toBe(false);
    expect(held.entry.source).toBe('logius');
    // GM0546 adopts slot 164 for its other categories, so they sit together.
    const internet = ok(alloc(base, 'GM0546', 'internet'));
    expect(internet.entry.prefix).toBe('2a07:3500:a40::/46');
    expect(internet.changes.addedSlots).toEqual([{ organisation: 'GM0546', block: 'gemeente', slot: 164 }]);
    // GM0363's Logius prefix is in slot 0, so GM0363 adopts it, and a new organisation skips it.
    const fresh = ok(alloc(internet.ledger, 'GM0001', 'besloten'));
    expect(fresh.changes.addedSlots[0].slot).toBe(1);
    expect(fresh.entry.prefix).toBe('2a07:3500:18::/46');
  });

  it('refuses impossible requests with a problem and leaves the ledger alone', () => {
    const base = ok(alloc(EMPTY, 'GM0001', 'diginetwerk')).ledger;
    const unknown = alloc(base, 'GM0001', 'intranet');
    expect(unknown).toMatchObject({ ok: false, problem: { code: 'IPV6_UNKNOWN_CATEGORY', settingsPath: ['numberingPlan', 'categories'] } });
    expect(alloc(base, 'GM0001', 'diginetwerk', { length: 47, purpose: 'x' })).toMatchObject({ ok: false, problem: { code: 'IPV6_LENGTH_NOT_ALLOWED' } });
    expect(alloc(base, 'GM0001', 'besloten', { length: 48, purpose: 'site' })).toMatchObject({ ok: false, problem: { code: 'IPV6_NO_PARENT' } });
    expect(alloc(base, 'GM0001', 'diginetwerk', { length: 64 })).toMatchObject({ ok: false, problem: { code: 'IPV6_PURPOSE_REQUIRED' } });
  });

  it('reports an exhausted block', () => {
    const small: Settings = {
      ...SETTINGS,
      numberingPlan: {
        ...SETTINGS.numberingPlan,
        blocks: { gemeente: '2a07:3500::/42', provincie: '2a07:3501::/42', waterschap: '2a07:3501::/42', samenwerkingsverband: '2a07:3502::/42', leverancier: '2a07:3503::/42' },
        layout: { organisationBits: 2, categoryBits: 2, order: 'organisation-category', status: 'assumed' },
      },
    };
    const q = planFromSettings(small).plan!;
    let l: LedgerData = EMPTY;
    for (let i = 1; i <= 4; i++) {
      const r = allocate(l, { organisation: gemeenteId(i), kind: 'gemeente', category: 'internet' }, q, NOW, 't');
      if (!r.ok) throw new Error(r.problem.message);
      l = r.ledger;
    }
    const full = allocate(l, { organisation: 'GM0005', kind: 'gemeente', category: 'internet' }, q, NOW, 't');
    expect(full).toMatchObject({ ok: false, problem: { code: 'IPV6_BLOCK_EXHAUSTED', settingsPath: ['numberingPlan', 'blocks', 'gemeente'] } });
    // The organisations that have a slot can still get their other categories.
    expect(allocate(l, { organisation: 'GM0004', kind: 'gemeente', category: 'reserve' }, q, NOW, 't').ok).toBe(true);
  });
});

describe('ledger: sub-allocation', () => {
  const base = ok(alloc(ok(alloc(EMPTY, 'GM0001', 'internet')).ledger, 'GM0001', 'diginetwerk')).ledger;

  it('keeps the first internet /48 for the assignment and puts /56 and /64 inside it', () => {
    const site = ok(alloc(base, 'GM0001', 'internet', { length: 48, purpose: 'site Stadhuis' }));
    expect(site.entry).toMatchObject({ prefix: '2a07:3500:1::/48', parent: '2a07:3500::/46', status: 'allocated', purpose: 'site Stadhuis' });
    const vlan = ok(alloc(site.ledger, 'GM0001', 'internet', { length: 64, purpose: 'VLAN 10 public web' }));
    expect(vlan.entry.prefix).toBe('2a07:3500::/64');
    const vlan2 = ok(alloc(vlan.ledger, 'GM0001', 'internet', { length: 64, purpose: 'VLAN 11' }));
    expect(vlan2.entry.prefix).toBe('2a07:3500:0:1::/64');
    const small = ok(alloc(vlan2.ledger, 'GM0001', 'internet', { length: 56, purpose: 'small site' }));
    expect(small.entry.prefix).toBe('2a07:3500:0:100::/56');
    // Idempotent by purpose.
    expect(ok(alloc(small.ledger, 'GM0001', 'internet', { length: 64, purpose: 'VLAN 11' })).created).toBe(false);
  });

  it('fills a diginetwerk /46 with /48s and then reports it exhausted', () => {
    let l = base;
    const got: string[] = [];
    for (let i = 0; i < 4; i++) {
      const r = ok(alloc(l, 'GM0001', 'diginetwerk', { length: 48, purpose: `site ${i}` }));
      got.push(r.entry.prefix);
      l = r.ledger;
    }
    expect(got).toEqual(['2a07:3500:4::/48', '2a07:3500:5::/48', '2a07:3500:6::/48', '2a07:3500:7::/48']);
    expect(alloc(l, 'GM0001', 'diginetwerk', { length: 48, purpose: 'site 5' })).toMatchObject({ ok: false, problem: { code: 'IPV6_EXHAUSTED' } });
  });
});

describe('ledger: sub-allocation around segments in use', () => {
  const base = ok(alloc(ok(alloc(EMPTY, 'GM0001', 'internet')).ledger, 'GM0001', 'diginetwerk')).ledger;

  it('never hands out space that holds a segment of the organisation', () => {
    // The organisation's file numbers two /64s in the first /48 of its diginetwerk /46 and one in the third.
    const inUse = ['2a07:3500:4:10::/64', '2a07:3500:4:11::/64', '2a07:3500:6:ff::/64', '2001:db8::/64', '192.0.2.0/24'];
    const first = ok(alloc(base, 'GM0001', 'diginetwerk', { length: 48, purpose: 'site A', inUse }));
    expect(first.entry.prefix).toBe('2a07:3500:5::/48');
    const second = ok(alloc(first.ledger, 'GM0001', 'diginetwerk', { length: 48, purpose: 'site B', inUse }));
    expect(second.entry.prefix).toBe('2a07:3500:7::/48');
    expect(alloc(second.ledger, 'GM0001', 'diginetwerk', { length: 48, purpose: 'site C', inUse })).toMatchObject({ ok: false, problem: { code: 'IPV6_EXHAUSTED' } });
    // A /64 still fits beside the segments in the first /48.
    const vlan = ok(alloc(second.ledger, 'GM0001', 'diginetwerk', { length: 64, purpose: 'VLAN 12', inUse }));
    expect(vlan.entry.prefix).toBe('2a07:3500:4::/64');
  });
});

describe('ledger: release and quarantine', () => {
  it('quarantines with reason and end date (cascading to sub-allocations), never deletes', () => {
    const a = ok(alloc(EMPTY, 'GM0001', 'internet'));
    const r = ok(release(a.ledger, { organisation: 'GM0001', prefix: '2a07:3500::/46', reason: 'merged into GM0002' }, P, NOW, 'ops'));
    expect(r.ledger.entries).toHaveLength(2);
    expect(r.ledger.entries.map((e) => e.status)).toEqual(['quarantined', 'quarantined']);
    expect(r.entry.released).toEqual({ at: '2026-11-23T12:00:00Z', by: 'ops', reason: 'merged into GM0002', quarantineUntil: '2027-05-22', previousStatus: 'allocated' });
    expect(r.ledger.entries[1].released?.previousStatus).toBe('assigned');
    // Releasing again changes nothing.
    const again = ok(release(r.ledger, { organisation: 'GM0001', prefix: '2a07:3500::/46', reason: 'again' }, P, NOW, 'ops'));
    expect(again.created).toBe(false);
    expect(again.ledger).toBe(r.ledger);
    expect(release(r.ledger, { organisation: 'GM0002', prefix: '2a07:3500::/46', reason: 'x' }, P, NOW, 'ops')).toMatchObject({ ok: false, problem: { code: 'IPV6_NOT_ALLOCATED' } });
  });

  it('does not hand a quarantined prefix out before the quarantine ends', () => {
    const a = ok(alloc(EMPTY, 'GM0001', 'diginetwerk'));
    const r = ok(release(a.ledger, { organisation: 'GM0001', prefix: a.entry.prefix, reason: 'test' }, P, NOW, 'ops'));
    // Another organisation never gets it (the slot stays GM0001's).
    const other = ok(alloc(r.ledger, 'GM0002', 'diginetwerk', { now: later(400) }));
    expect(overlaps(entryPrefix(other.entry), entryPrefix(a.entry))).toBe(false);
    // The organisation itself gets it back only after the quarantine.
    expect(alloc(r.ledger, 'GM0001', 'diginetwerk', { now: later(179) })).toMatchObject({ ok: false, problem: { code: 'IPV6_QUARANTINED' } });
    const back = ok(alloc(r.ledger, 'GM0001', 'diginetwerk', { now: later(181) }));
    expect(back.entry.prefix).toBe(a.entry.prefix);
    expect(back.ledger.entries).toHaveLength(2); // history kept
  });

  it('a released site /48 is not re-issued as another site during its quarantine', () => {
    const a = ok(alloc(EMPTY, 'GM0001', 'diginetwerk'));
    const s = ok(alloc(a.ledger, 'GM0001', 'diginetwerk', { length: 48, purpose: 'old site' }));
    const r = ok(release(s.ledger, { organisation: 'GM0001', prefix: s.entry.prefix, reason: 'site closed' }, P, NOW, 'ops'));
    expect(r.ledger.entries[0].status).toBe('allocated'); // the /46 stays
    const n = ok(alloc(r.ledger, 'GM0001', 'diginetwerk', { length: 48, purpose: 'new site' }));
    expect(n.entry.prefix).not.toBe(s.entry.prefix);
  });
});

describe('ledger: property', () => {
  const dir = inventoryDir(12, { 'organisations/sv0001.yaml': 'id: SV0001\nkind: samenwerkingsverband\nname: SV\n' });
  afterAll(() => cleanup(dir));
  const inv = load(dir);

  it('random allocate/release sequences keep the ledger valid: no overlap, one /46 per category, checkIpv6 clean', () => {
    const op = fc.oneof(
      fc.record({ t: fc.constant('alloc' as const), org: fc.integer({ min: 1, max: 4 }), cat: fc.constantFrom('internet', 'diginetwerk', 'besloten'), len: fc.constantFrom(undefined, undefined, 48, 56, 64) }),
      fc.record({ t: fc.constant('release' as const), pick: fc.nat() }),
      fc.record({ t: fc.constant('wait' as const), days: fc.integer({ min: 1, max: 200 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        let l: LedgerData = EMPTY;
        let now = NOW;
        for (const o of ops) {
          if (o.t === 'wait') now = new Date(now.getTime() + o.days * 86_400_000);
          else if (o.t === 'alloc') {
            const r = allocate(l, { organisation: cbsGemeenteId(o.org), kind: 'gemeente', category: o.cat, length: o.len, purpose: o.len ? `p${o.len}` : undefined }, P, now, 't');
            if (r.ok) {
              // Idempotent: asking again gives the same entry and no change.
              const again = allocate(r.ledger, { organisation: cbsGemeenteId(o.org), kind: 'gemeente', category: o.cat, length: o.len, purpose: o.len ? `p${o.len}` : undefined }, P, now, 't');
              expect(again.ok && again.created).toBe(false);
              expect(again.ok && again.entry.prefix).toBe(r.entry.prefix);
              l = r.ledger;
            } else expect(['IPV6_NO_PARENT', 'IPV6_QUARANTINED', 'IPV6_EXHAUSTED']).toContain(r.problem.code);
          } else {
            const active = l.entries.filter(isActive);
            if (!active.length) continue;
            const e = active[o.pick % active.length];
            const r = release(l, { organisation: e.organisation, prefix: e.prefix, reason: 'random' }, P, now, 't');
            if (!r.ok) throw new Error(r.problem.message);
            l = r.ledger;
          }
        }
        // Invariants at the end.
        const occ = l.entries.filter((e) => occupies(e, now));
        for (let i = 0; i < occ.length; i++) {
          for (let j = i + 1; j < occ.length; j++) {
            const a = occ[i];
            const b = occ[j];
            if (!overlaps(entryPrefix(a), entryPrefix(b))) continue;
            expect(a.organisation).toBe(b.organisation);
          }
        }
        for (const e of l.entries) expect(contains(parsePrefix('2a07:3500::/33'), entryPrefix(e))).toBe(true);
        for (let i = 1; i <= 12; i++) for (const c of ['internet', 'diginetwerk', 'besloten']) {
          expect(l.entries.filter((e) => e.organisation === cbsGemeenteId(i) && e.category === c && isActive(e) && !e.parent).length).toBeLessThanOrEqual(1);
          const held = heldAllocation(l, cbsGemeenteId(i), c);
          if (held) expect(formatPrefix(entryPrefix(held))).toBe(held.prefix);
        }
        const errors = checkIpv6(withLedger(inv, l)).filter((f) => f.severity === 'error');
        expect(errors).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });
});
