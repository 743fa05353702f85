import fc from 'fast-check';
import type { Inventory } from '../../src/model/inventory';
import { buildPolicy } from '../../src/zones';
import { setEquals, setFromCidrs, setSubtract, setUnion } from '../../src/zones/addr';
import { parsePorts } from '../../src/zones/model';
import { loadFixture } from './fixture';

/**
 * buildPolicy's caches: selectors (by the deciding field, a name at a time), parsed prefixes, and organisations' own
 * addresses must give what resolving every selector afresh gives, and must not swallow a selector's errors.
 */

const R = (id: string, from: string, to: string) => `  - { id: ${id}, from: ${from}, to: ${to}, proto: tcp, ports: [443], action: allow, owner: netwerk, reason: test }\n`;

describe('address sets', () => {
  it('refuse what src/net refuses (leading zeros, whitespace) and mask host bits', () => {
    expect(() => setFromCidrs(['010.0.0.0/8'])).toThrow(/not an IPv4 address/);
    expect(() => setFromCidrs([' 192.0.2.0/24'])).toThrow(/not an IP address/);
    expect(setEquals(setFromCidrs(['192.0.2.7/24']), setFromCidrs(['192.0.2.0/24']))).toBe(true);
  });
});

describe('selector resolution with caches', () => {
  const inv = loadFixture(
    'rules:\n' +
      R('a', '{ organisations: [GM0001, GM0002] }', '{ services: [brp] }') +
      R('b', '{ organisations: [GM0001, GM0002] }', '{ services: [brp, saas] }') +
      R('c', '{ organisations: [GM0002, GM0001] }', '{ prefixes: [192.0.2.128/28, 192.0.2.0/27] }') +
      R('d', '{ organisations: [GM0001] }', '{ prefixes: [192.0.2.0/27, 192.0.2.128/28, "2001:db8:100::/48"] }') +
      R('e', '{ prefixes: [192.0.2.0/27, 192.0.2.128/28] }', '{ segments: [govroam-visitor] }') +
      R('f', '{ organisations: [GM0001, GM0002, LV0001] }', '{ services: [saas, brp] }') +
      R('g', '{ zone: overheid }', '{ segments: [govroam-visitor, staff] }'),
  );
  const { policy, findings } = buildPolicy(inv);
  const rule = (id: string) => policy.rules.find((r) => r.id === id)!;
  const own = (id: string) => {
    const o = policy.orgs.find((x) => x.id === id)!;
    return setSubtract(setUnion(o.zones.overheid, o.zones.markt), o.visitor);
  };
  const svc = (name: string) => policy.services.find((s) => s.name === name)!.set;

  it('builds', () => expect(findings).toEqual([]));
  it('shares one set object per distinct selector', () => {
    expect(rule('b').src).toBe(rule('a').src);
    expect(rule('a').dst).not.toBe(rule('b').dst);
  });
  it('gives every selector the set resolving it afresh gives', () => {
    const orgs12 = setUnion(own('GM0001'), own('GM0002'));
    expect(setEquals(rule('a').src, orgs12)).toBe(true);
    expect(setEquals(rule('c').src, orgs12)).toBe(true);
    expect(setEquals(rule('d').src, own('GM0001'))).toBe(true);
    expect(setEquals(rule('f').src, setUnion(orgs12, own('LV0001')))).toBe(true);
    expect(setEquals(rule('a').dst, svc('brp'))).toBe(true);
    expect(setEquals(rule('f').dst, setUnion(svc('brp'), svc('saas')))).toBe(true);
    expect(setEquals(rule('c').dst, setFromCidrs(['192.0.2.0/27', '192.0.2.128/28']))).toBe(true);
    expect(setEquals(rule('e').src, rule('c').dst)).toBe(true);
    expect(setEquals(rule('d').dst, setFromCidrs(['192.0.2.0/27', '192.0.2.128/28', '2001:db8:100::/48']))).toBe(true);
    expect(setEquals(rule('e').dst, setFromCidrs(['192.0.2.24/29']))).toBe(true);
    expect(setEquals(rule('g').dst, setFromCidrs(['192.0.2.24/29', '192.0.2.0/28']))).toBe(true);
    expect(rule('g').src).toBe(policy.zones.overheid.live);
  });
  it('does not change a cached set while building other sets from it', () => {
    // d's set is GM0001's own set as cached, after a, b, c and f built unions from it.
    expect(setEquals(rule('d').src, own('GM0001'))).toBe(true);
  });
});

describe('selector errors with caches', () => {
  const inv = loadFixture(
    'rules:\n' +
      R('a', '{ organisations: [GM9999, GM0001] }', '{ services: [brp] }') +
      R('b', '{ organisations: [GM9999, GM0001] }', '{ services: [nope, brp] }') +
      R('c', '{ organisations: [GM0001] }', '{ services: [nope, brp] }') +
      R('d', '{ organisations: [GM0001] }', '{ services: [brp] }'),
  );
  it('reports an unknown reference at every use, whether the set was cached or not', () => {
    const { policy, findings } = buildPolicy(inv);
    expect(findings.map((f) => `${f.code}:${f.line}:${f.message}`)).toEqual([
      "POLICY_UNKNOWN_REFERENCE:2:unknown organisation 'GM9999' in the selector",
      "POLICY_UNKNOWN_REFERENCE:3:unknown organisation 'GM9999' in the selector",
      "POLICY_UNKNOWN_REFERENCE:3:unknown service 'nope' in the selector",
      "POLICY_UNKNOWN_REFERENCE:4:unknown service 'nope' in the selector",
    ]);
    expect(policy.rules.map((r) => r.id)).toEqual(['d']);
  });
  it('checks each name where it stands in the list, however the cached paths share it', () => {
    // The caches are tries over the name lists: GM9999 is unknown as a first name and as a second one alike.
    const shared = loadFixture(
      'rules:\n' +
        R('a', '{ organisations: [GM0001, GM9999] }', '{ services: [brp] }') +
        R('b', '{ organisations: [GM9999] }', '{ services: [brp, nope] }') +
        R('c', '{ organisations: [GM0001] }', '{ services: [nope] }') +
        R('d', '{ organisations: [GM0001, GM9999] }', '{ services: [brp, nope] }') +
        R('e', '{ organisations: [GM0001] }', '{ services: [brp] }'),
    );
    const { policy, findings } = buildPolicy(shared);
    expect(findings.map((f) => `${f.code}:${f.line}:${f.message}`)).toEqual([
      "POLICY_UNKNOWN_REFERENCE:2:unknown organisation 'GM9999' in the selector",
      "POLICY_UNKNOWN_REFERENCE:3:unknown organisation 'GM9999' in the selector",
      "POLICY_UNKNOWN_REFERENCE:3:unknown service 'nope' in the selector",
      "POLICY_UNKNOWN_REFERENCE:4:unknown service 'nope' in the selector",
      "POLICY_UNKNOWN_REFERENCE:5:unknown organisation 'GM9999' in the selector",
      "POLICY_UNKNOWN_REFERENCE:5:unknown service 'nope' in the selector",
    ]);
    expect(policy.rules.map((r) => r.id)).toEqual(['e']);
  });
});

/** parsePorts as it was written before: the reference for the faster one. */
function portsReference(specs: Array<number | string>): { ports: number[]; errs: string[] } {
  const errs: string[] = [];
  const pairs: Array<[number, number]> = [];
  specs.forEach((p, i) => {
    let lo: number;
    let hi: number;
    if (typeof p === 'number') {
      lo = p;
      hi = p;
    } else {
      const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(p);
      if (!m) {
        errs.push(`range:${i}`);
        return;
      }
      lo = Number(m[1]);
      hi = m[2] === undefined ? lo : Number(m[2]);
    }
    if (lo > 65535 || hi > 65535) errs.push(`above:${i}`);
    else if (lo > hi) errs.push(`backwards:${i}`);
    else pairs.push([lo, hi]);
  });
  pairs.sort((a, b) => a[0] - b[0]);
  const out: number[] = [];
  for (const [lo, hi] of pairs) {
    const n = out.length;
    if (n && lo <= out[n - 1] + 1) out[n - 1] = Math.max(out[n - 1], hi);
    else out.push(lo, hi);
  }
  return { ports: out, errs };
}

describe('parsePorts (property)', () => {
  it('equals the straightforward parse: sorted, merged, the same errors', () => {
    const port = fc.oneof(fc.nat(70000), fc.constantFrom(0, 1, 80, 443, 65535));
    const spec = fc.oneof(
      port,
      port.map(String),
      fc.tuple(port, port).map(([a, b]) => `${a}-${b}`),
      fc.constantFrom('x', '80-', '-1', '1-2-3', ' 80', '123456'),
    );
    const fakeInv = {
      sources: { error: (code: string, _m: string, _l: unknown, sub: Array<string | number>) => ({ code, sub, severity: 'error' }) },
    } as unknown as Inventory;
    fc.assert(
      fc.property(fc.array(spec, { minLength: 1, maxLength: 8 }), (specs) => {
        const errs: Array<{ sub: Array<string | number> }> = [];
        const got = parsePorts('tcp', specs, { file: 'f', path: [] }, fakeInv, errs as never);
        const want = portsReference(specs);
        expect(got).toEqual(want.ports);
        expect(errs.map((e) => e.sub[1])).toEqual(want.errs.map((e) => Number(e.split(':')[1])));
      }),
      { numRuns: 500 },
    );
  });
});
