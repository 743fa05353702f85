import { familyBits, formatAddress, NetError, parseAddress } from '../../src/net';

const v6 = (s: string): bigint => parseAddress(s).value;

describe('formatAddress (RFC 5952)', () => {
  it.each([
    ['2001:db8::1', '2001:db8::1'],
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'],
    ['::', '::'],
    ['::1', '::1'],
    ['0:0:0:0:0:0:0:0', '::'],
    ['1:0:0:0:0:0:0:0', '1::'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['0:1:0:1:0:1:0:1', '0:1:0:1:0:1:0:1'],
    ['2001:DB8:A::B', '2001:db8:a::b'],
    ['2a07:3500:0a44:0:0:0:0:0', '2a07:3500:a44::'],
    ['::ffff:192.0.2.1', '::ffff:c000:201'],
    ['fe80:0:0:0:0:0:0:0', 'fe80::'],
  ])('%s -> %s', (input, out) => {
    expect(formatAddress(6, v6(input))).toBe(out);
  });

  it('formats IPv4 dotted quads', () => {
    expect(formatAddress(4, 0n)).toBe('0.0.0.0');
    expect(formatAddress(4, 0xffffffffn)).toBe('255.255.255.255');
    expect(formatAddress(4, 0xc0000201n)).toBe('192.0.2.1');
  });

  it('rejects values outside the family', () => {
    expect(() => formatAddress(4, 1n << 32n)).toThrow(NetError);
    expect(() => formatAddress(6, -1n)).toThrow(NetError);
    expect(() => formatAddress(5 as never, 1n)).toThrow(NetError);
  });
});

describe('parseAddress', () => {
  it('parses both families', () => {
    expect(parseAddress('192.0.2.1')).toEqual({ family: 4, value: 0xc0000201n });
    expect(parseAddress('2001:db8::1')).toEqual({ family: 6, value: 0x20010db8000000000000000000000001n });
    expect(parseAddress('::ffff:1.2.3.4')).toEqual({ family: 6, value: 0xffff01020304n });
    expect(familyBits(4)).toBe(32);
    expect(familyBits(6)).toBe(128);
  });

  it.each([
    ['', /not an IP address/],
    [' 192.0.2.1', /not an IP address/],
    ['192.0.2.1 ', /not an IP address/],
    ['192.0.2', /not an IPv4 address/],
    ['192.0.2.256', /not an IPv4 address/],
    ['192.0.02.1', /leading zero/],
    ['1.2.3.4.5', /not an IPv4 address/],
    ['fe80::1%eth0', /zone id/],
    ['2001:db8::1::2', /not an IPv6 address/],
    ['2001:db8:::1', /not an IPv6 address/],
    ['12345::', /not an IPv6 address/],
    ['1:2:3:4:5:6:7:8:9', /not an IPv6 address/],
    ['[::1]', /bad characters/],
    ['2001:db8::g', /bad characters/],
    ['192.0.2.0/24', /is a prefix/],
    ['host.example', /not an IP address/],
  ])('rejects %j', (input, msg) => {
    expect(() => parseAddress(input)).toThrow(NetError);
    expect(() => parseAddress(input)).toThrow(msg);
  });
});
