import {
  comparePrefix, contains, formatPrefix, in_addrArpaZone, ip6ArpaZone, isDefaultRoute, NetError, parsePrefix, prefixLast,
  prefixSize, remapAddress, remapPrefix, reverseZones, specialPurpose, subnet, subnetCount, subnetIndex, supernet, tryParsePrefix,
  parseAddress, formatAddress, firstFree, aggregate, rangeToPrefixes, makePrefix, hostBitsSet, isAligned,
} from '../../src/net';

const P = (s: string) => parsePrefix(s);
const fmt = (ps: ReturnType<typeof parsePrefix>[]) => ps.map(formatPrefix);

describe('parsePrefix', () => {
  it('parses prefixes and bare addresses', () => {
    expect(P('10.0.0.0/8')).toEqual({ family: 4, addr: 0x0a000000n, len: 8 });
    expect(P('192.0.2.7')).toEqual({ family: 4, addr: 0xc0000207n, len: 32 });
    expect(P('2001:db8::1')).toMatchObject({ family: 6, len: 128 });
    expect(formatPrefix(P('2A07:3500:0A44::/46'))).toBe('2a07:3500:a44::/46');
    expect(P('0.0.0.0/0')).toEqual({ family: 4, addr: 0n, len: 0 });
    expect(P('::/0')).toEqual({ family: 6, addr: 0n, len: 0 });
  });

  it('reports host bits with the network', () => {
    expect(() => P('10.0.0.1/8')).toThrow(new NetError("'10.0.0.1/8' has host bits set (network is 10.0.0.0/8)"));
    expect(() => P('2a07:3500:a45::/46')).toThrow("'2a07:3500:a45::/46' has host bits set (network is 2a07:3500:a44::/46)");
    expect(parsePrefix('10.0.0.1/8', { strict: false })).toEqual(P('10.0.0.0/8'));
    expect(parsePrefix('2a07:3500:a45::/46', { strict: false })).toEqual(P('2a07:3500:a44::/46'));
  });

  it.each([
    ['10.0.0.0/33', /prefix length 33; IPv4 allows 0-32/],
    ['2001:db8::/129', /prefix length 129; IPv6 allows 0-128/],
    ['10.0.0.0/', /invalid prefix length ''/],
    ['10.0.0.0/08', /invalid prefix length '08'/],
    ['10.0.0.0/-1', /invalid prefix length/],
    ['10.0.0.0/8/8', /invalid prefix length/],
    ['10.0.0.0/ 8', /invalid prefix length/],
    ['10.0.0/8', /not a CIDR prefix: '10.0.0' is not an IPv4 address/],
    ['fe80::%eth0/64', /zone id/],
    ['/24', /not a CIDR prefix/],
    ['', /not an IP address/],
  ])('rejects %j', (input, msg) => {
    expect(() => P(input)).toThrow(msg);
    const r = tryParsePrefix(input);
    expect(r).toBeInstanceOf(NetError);
  });

  it('checks the family when asked', () => {
    expect(() => parsePrefix('2001:db8::/32', { family: 4 })).toThrow("'2001:db8::/32' is not an IPv4 prefix");
    expect(parsePrefix('192.0.2.0/24', { family: 4 }).family).toBe(4);
  });

  it('tryParsePrefix returns the prefix on success', () => {
    expect(tryParsePrefix('198.51.100.0/24')).toEqual(P('198.51.100.0/24'));
  });

  it('makePrefix validates', () => {
    expect(() => makePrefix(4, 1n, 24)).toThrow(/host bits set/);
    expect(makePrefix(4, 1n, 24, { mask: true })).toEqual({ family: 4, addr: 0n, len: 24 });
    expect(() => makePrefix(4, 0n, 40)).toThrow(NetError);
  });
});

describe('prefix arithmetic', () => {
  it('first, last, size, alignment', () => {
    const p = P('2a07:3500:a44::/46');
    expect(formatAddress(6, prefixLast(p))).toBe('2a07:3500:a47:ffff:ffff:ffff:ffff:ffff');
    expect(prefixSize(P('192.0.2.0/24'))).toBe(256n);
    expect(prefixSize(P('::/0'))).toBe(1n << 128n);
    expect(isAligned(4, parseAddress('10.0.0.0').value, 8)).toBe(true);
    expect(hostBitsSet(4, parseAddress('10.0.0.1').value, 8)).toBe(true);
    expect(isDefaultRoute(P('::/0'))).toBe(true);
    expect(isDefaultRoute(P('::/1'))).toBe(false);
  });

  it('contains is false across families and true for equal prefixes', () => {
    expect(contains(P('::/0'), P('10.0.0.0/8'))).toBe(false);
    expect(contains(P('10.0.0.0/8'), P('10.0.0.0/8'))).toBe(true);
    expect(contains(P('2a07:3500::/33'), P('2a07:3500:8a44::/46'))).toBe(false);
    expect(contains(P('2a07:3500::/33'), P('2a07:3500:a44::/46'))).toBe(true);
  });

  it('subnet and subnetCount', () => {
    const p = P('2a07:3500:a44::/46');
    expect(subnetCount(p, 48)).toBe(4n);
    expect(fmt([0n, 1n, 2n, 3n].map((i) => subnet(p, 48, i)))).toEqual([
      '2a07:3500:a44::/48', '2a07:3500:a45::/48', '2a07:3500:a46::/48', '2a07:3500:a47::/48',
    ]);
    expect(() => subnet(p, 48, 4n)).toThrow('2a07:3500:a44::/46 has 4 /48 subnets; index 4 is out of range');
    expect(() => subnet(p, 44, 0n)).toThrow(/does not fit/);
    expect(() => subnet(p, 129, 0n)).toThrow(NetError);
    expect(subnetIndex(p, P('2a07:3500:a46::/48'))).toBe(2n);
    expect(formatPrefix(supernet(P('2a07:3500:a46::/48'), 46))).toBe('2a07:3500:a44::/46');
  });

  it('comparePrefix orders by family, address, length', () => {
    const sorted = ['2001:db8::/32', '10.0.0.0/8', '10.0.0.0/16', '9.0.0.0/8', '::/0'].map(P).sort(comparePrefix);
    expect(fmt(sorted)).toEqual(['9.0.0.0/8', '10.0.0.0/8', '10.0.0.0/16', '::/0', '2001:db8::/32']);
  });
});

describe('remap (lab profile)', () => {
  const from = P('2a07:3500::/33');
  const to = P('3fff:0:8000::/33');
  it('replaces the top bits and keeps the rest', () => {
    expect(formatPrefix(remapPrefix(P('2a07:3500:a44::/46'), from, to)!)).toBe('3fff:0:8a44::/46');
    const a = parseAddress('2a07:3500:a44::1');
    expect(formatAddress(6, remapAddress(6, a.value, from, to)!)).toBe('3fff:0:8a44::1');
  });
  it('returns null outside the block and throws on mismatched pairs', () => {
    expect(remapPrefix(P('2a07:3501::/48'), from, to)).toBeNull();
    expect(remapPrefix(P('2a07:3500::/32'), from, to)).toBeNull();
    expect(remapPrefix(P('10.0.0.0/8'), from, to)).toBeNull();
    expect(remapAddress(4, 1n, from, to)).toBeNull();
    expect(() => remapPrefix(P('2a07:3500::/48'), from, P('3fff::/20'))).toThrow(NetError);
  });
});

describe('reverse zones', () => {
  it('ip6.arpa of the worked example', () => {
    expect(ip6ArpaZone(P('2a07:3500:a44::/48'))).toBe('4.4.a.0.0.0.5.3.7.0.a.2.ip6.arpa');
    expect(ip6ArpaZone(P('::/0'))).toBe('ip6.arpa');
    expect(ip6ArpaZone(P('2001:db8::/32'))).toBe('8.b.d.0.1.0.0.2.ip6.arpa');
  });
  it('refuses non-nibble and IPv4 prefixes', () => {
    expect(() => ip6ArpaZone(P('2a07:3500:a44::/46'))).toThrow(/not on a nibble boundary; delegate its \/48s separately/);
    expect(() => ip6ArpaZone(P('10.0.0.0/8'))).toThrow(NetError);
  });
  it('in-addr.arpa', () => {
    expect(in_addrArpaZone(P('192.0.2.0/24'))).toBe('2.0.192.in-addr.arpa');
    expect(in_addrArpaZone(P('10.0.0.0/8'))).toBe('10.in-addr.arpa');
    expect(() => in_addrArpaZone(P('192.0.2.0/25'))).toThrow(/octet boundary/);
    expect(() => in_addrArpaZone(P('::/0'))).toThrow(NetError);
  });
  it('reverseZones splits a /46 into its four /48 zones', () => {
    expect(reverseZones(P('2a07:3500:a44::/46')).map((z) => z.zone)).toEqual([
      '4.4.a.0.0.0.5.3.7.0.a.2.ip6.arpa', '5.4.a.0.0.0.5.3.7.0.a.2.ip6.arpa',
      '6.4.a.0.0.0.5.3.7.0.a.2.ip6.arpa', '7.4.a.0.0.0.5.3.7.0.a.2.ip6.arpa',
    ]);
    expect(reverseZones(P('198.51.100.0/23')).map((z) => z.zone)).toEqual(['100.51.198.in-addr.arpa', '101.51.198.in-addr.arpa']);
  });
});

describe('specialPurpose', () => {
  it.each([
    ['10.1.0.0/16', 'RFC 1918 private'],
    ['172.16.0.0/12', 'RFC 1918 private'],
    ['192.168.1.0/24', 'RFC 1918 private'],
    ['100.64.0.0/10', 'RFC 6598 shared'],
    ['169.254.1.0/24', 'link-local'],
    ['127.0.0.1', 'loopback'],
    ['192.0.2.0/24', 'documentation'],
    ['198.18.0.0/15', 'benchmarking'],
    ['224.0.0.0/24', 'multicast'],
    ['0.0.0.0/0', 'unspecified/default'],
    ['0.0.0.0', 'unspecified/default'],
    ['::/0', 'unspecified/default'],
    ['::', 'unspecified/default'],
    ['::1', 'loopback'],
    ['fd00:1::/48', 'ULA fc00::/7'],
    ['fe80::/64', 'link-local'],
    ['2001:db8:1::/48', 'documentation'],
    ['3fff:0:8a44::/46', 'documentation'],
    ['ff02::1', 'multicast'],
    ['8.0.0.0/6', 'RFC 1918 private'],
  ])('%s is %s', (p, name) => {
    expect(specialPurpose(P(p))).toBe(name);
  });
  it.each(['2a07:3500:a44::/46', '145.0.0.0/8', '8.8.8.8', '2a00::/12'])('%s is public', (p) => {
    expect(specialPurpose(P(p))).toBeNull();
  });
});

describe('allocation helpers (examples)', () => {
  it('firstFree skips used and skip prefixes', () => {
    const parent = P('2a07:3500:a44::/46');
    expect(formatPrefix(firstFree(parent, 48, [P('2a07:3500:a44::/48')])!)).toBe('2a07:3500:a45::/48');
    expect(formatPrefix(firstFree(parent, 48, [P('2a07:3500:a44::/48')], { skip: [P('2a07:3500:a45::/64')] })!)).toBe('2a07:3500:a46::/48');
    expect(firstFree(parent, 46, [P('2a07:3500:a47:1::/64')])).toBeNull();
    expect(formatPrefix(firstFree(parent, 48, [P('10.0.0.0/8'), P('2a07:3500::/47')])!)).toBe('2a07:3500:a44::/48');
    expect(() => firstFree(parent, 40, [])).toThrow(/does not fit/);
  });

  it('firstFree with preferNibble takes a block whose reverse zone is untouched', () => {
    const parent = P('2001:db8::/40');
    const used = [P('2001:db8::/46')];
    expect(formatPrefix(firstFree(parent, 46, used)!)).toBe('2001:db8:4::/46');
    expect(formatPrefix(firstFree(parent, 46, used, { preferNibble: true })!)).toBe('2001:db8:10::/46');
    const full = [P('2001:db8::/46'), P('2001:db8:10::/44'), P('2001:db8:20::/43'), P('2001:db8:40::/42'), P('2001:db8:80::/41')];
    expect(formatPrefix(firstFree(parent, 46, full, { preferNibble: true })!)).toBe('2001:db8:4::/46');
  });

  it('firstFree stays fast with many used prefixes', () => {
    const parent = P('10.0.0.0/8');
    const used = [];
    for (let i = 0; i < 50000; i++) used.push({ family: 4 as const, addr: 0x0a000000n + BigInt(i) * 256n, len: 24 });
    used.reverse();
    expect(formatPrefix(firstFree(parent, 24, used)!)).toBe('10.195.80.0/24'); // the 50000th /24: 50000 = 195*256 + 80
    expect(formatPrefix(firstFree(parent, 16, used)!)).toBe('10.196.0.0/16');
  });

  it('aggregate merges siblings, drops contained, keeps families apart', () => {
    const r = aggregate(['10.0.1.0/24', '10.0.0.0/24', '10.0.0.0/25', '2001:db8:1::/48', '2001:db8::/48', '10.0.0.0/24', '192.0.2.1'].map(P));
    expect(fmt(r)).toEqual(['10.0.0.0/23', '192.0.2.1/32', '2001:db8::/47']);
  });

  it('rangeToPrefixes', () => {
    expect(fmt(rangeToPrefixes(4, parseAddress('10.0.0.1').value, parseAddress('10.0.0.10').value))).toEqual([
      '10.0.0.1/32', '10.0.0.2/31', '10.0.0.4/30', '10.0.0.8/31', '10.0.0.10/32',
    ]);
    expect(fmt(rangeToPrefixes(6, 0n, (1n << 128n) - 1n))).toEqual(['::/0']);
    expect(rangeToPrefixes(4, 5n, 4n)).toEqual([]);
  });
});
