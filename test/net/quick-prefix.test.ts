import fc from 'fast-check';
import { familyBits, NetError, parseAddress, parsePrefix, tryParsePrefix, type Prefix } from '../../src/net';

/**
 * parsePrefix reads the plain IPv6 form in one pass of its own (a ledger holds hundreds of thousands of prefixes).
 * It must accept exactly what the general path accepts and give the same prefix: the reference here is the general
 * path spelled out (the address parser, the length rule, the mask).
 */
function reference(s: string, strict: boolean): Prefix | 'error' {
  const slash = s.indexOf('/');
  let a: { family: 4 | 6; value: bigint };
  try {
    a = parseAddress(slash < 0 ? s : s.slice(0, slash));
  } catch {
    return 'error';
  }
  const bits = familyBits(a.family);
  let len: number = bits;
  if (slash >= 0) {
    const t = s.slice(slash + 1);
    if (!/^(0|[1-9][0-9]{0,2})$/.test(t) || Number(t) > bits) return 'error';
    len = Number(t);
  }
  const host = (1n << BigInt(bits - len)) - 1n;
  const net = a.value & ~host;
  if (strict && net !== a.value) return 'error';
  return { family: a.family, addr: net, len };
}

const group = fc.oneof(
  fc.constantFrom('0', '00', '0000', '2a07', '2A07', '3500', 'ffff', 'FfFf', 'db8', '1', 'abcd', 'g', '12345', ''),
  fc.integer({ min: 0, max: 0xffff }).map((n) => n.toString(16)),
);
const text = fc
  .tuple(fc.array(group, { minLength: 1, maxLength: 9 }), fc.option(fc.nat(9), { nil: undefined }), fc.constantFrom('/', '/0', '/46', '/48', '/64', '/128', '/129', '/064', '/1000', '/a', '', '/46/1', '/-1'))
  .map(([gs, dbl, len]) => {
    const parts = [...gs];
    if (dbl !== undefined) parts.splice(Math.min(dbl, parts.length), 0, '');
    let t = parts.join(':');
    if (dbl !== undefined && !t.includes('::')) t = t.startsWith(':') ? `:${t}` : t.endsWith(':') ? `${t}:` : t;
    return `${t}${len}`;
  });

describe('parsePrefix, plain IPv6 form', () => {
  it('property: the same prefix as the general path, or an error exactly when it errs', () => {
    let accepted = 0;
    fc.assert(
      fc.property(text, fc.boolean(), (s, strict) => {
        const want = reference(s, strict);
        const got = tryParsePrefix(s, { strict });
        if (want === 'error') expect(got).toBeInstanceOf(NetError);
        else {
          accepted++;
          expect(got).toEqual(want);
        }
      }),
      { numRuns: 4000 },
    );
    expect(accepted).toBeGreaterThan(200);
  });

  it('words the errors as before, masks host bits when not strict, and leaves other families to the general path', () => {
    expect(() => parsePrefix('2a07:3500:155::/46')).toThrow("'2a07:3500:155::/46' has host bits set (network is 2a07:3500:154::/46)");
    expect(parsePrefix('2a07:3500:155::/46', { strict: false })).toEqual({ family: 6, addr: 0x2a073500015400000000000000000000n, len: 46 });
    expect(parsePrefix('2A07:3500:4:FFFF::/64')).toEqual({ family: 6, addr: 0x2a0735000004ffff0000000000000000n, len: 64 });
    expect(parsePrefix('::/0')).toEqual({ family: 6, addr: 0n, len: 0 });
    expect(parsePrefix('1:2:3:4:5:6:7:8/128')).toEqual({ family: 6, addr: 0x00010002000300040005000600070008n, len: 128 });
    expect(() => parsePrefix('2a07:3500::/46', { family: 4 })).toThrow("'2a07:3500::/46' is not an IPv4 prefix");
    expect(() => parsePrefix('2a07:3500::/129')).toThrow('prefix length 129');
  });
});
