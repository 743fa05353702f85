import { checkFamily, checkLength, checkValue, familyBits, formatAddress, hostMask, netMask, NetError, parseAddress, type Family } from './address';

/** A CIDR prefix: `addr` is the network address (host bits zero). */
export interface Prefix {
  readonly family: Family;
  readonly addr: bigint;
  readonly len: number;
}

export interface ParsePrefixOptions {
  /** Default true: host bits set is an error. False: they are masked off. */
  readonly strict?: boolean;
  /** When given, a prefix of the other family is an error. */
  readonly family?: Family;
}

/** Builds a prefix from parts, validating family, length and value; host bits set is an error unless `mask` is true. */
export function makePrefix(family: Family, addr: bigint, len: number, opts: { mask?: boolean } = {}): Prefix {
  checkFamily(family);
  checkLength(family, len);
  checkValue(family, addr);
  const net = addr & netMask(family, len);
  if (net !== addr && !opts.mask) {
    throw new NetError(`'${formatAddress(family, addr)}/${len}' has host bits set (network is ${formatAddress(family, net)}/${len})`);
  }
  return { family, addr: net, len };
}

/** Parses 'addr/len' or a bare address (= /32 or /128). Throws NetError with a message fit for the user. */
export function parsePrefix(s: string, opts: ParsePrefixOptions = {}): Prefix {
  if (typeof s !== 'string') throw new NetError(`${String(s)} is not a CIDR prefix`);
  const strict = opts.strict ?? true;
  if (opts.family !== 4) {
    const quick = quickIpv6Prefix(s, strict);
    if (quick !== null) return quick;
  }
  const slash = s.indexOf('/');
  const addrText = slash < 0 ? s : s.slice(0, slash);
  let a: { family: Family; value: bigint };
  try {
    a = parseAddress(addrText);
  } catch (e) {
    if (e instanceof NetError && slash >= 0) throw new NetError(`'${s}' is not a CIDR prefix: ${e.message}`);
    throw e;
  }
  const bits = familyBits(a.family);
  let len: number = bits;
  if (slash >= 0) {
    const lenText = s.slice(slash + 1);
    if (!/^(0|[1-9][0-9]{0,2})$/.test(lenText)) throw new NetError(`'${s}' has an invalid prefix length '${lenText}'`);
    len = Number(lenText);
    if (len > bits) throw new NetError(`'${s}' has prefix length ${len}; IPv${a.family} allows 0-${bits}`);
  }
  if (opts.family !== undefined && opts.family !== a.family) throw new NetError(`'${s}' is not an IPv${opts.family} prefix`);
  const net = a.value & netMask(a.family, len);
  if (net !== a.value && strict) {
    throw new NetError(`'${s}' has host bits set (network is ${formatAddress(a.family, net)}/${len})`);
  }
  return { family: a.family, addr: net, len };
}

const GROUPS = [0, 0, 0, 0, 0, 0, 0, 0];

/**
 * The form of nearly every IPv6 prefix ggi reads (hex groups, at most one '::', no embedded IPv4, '/len'), parsed in
 * one pass without the address cache: a ledger holds hundreds of thousands of distinct prefixes. Null for anything
 * else, and for host bits set when strict: parsePrefix then judges the text, and words the error.
 */
function quickIpv6Prefix(s: string, strict: boolean): Prefix | null {
  const slash = s.indexOf('/');
  const n = s.length;
  // The length as /^(0|[1-9][0-9]{0,2})$/, at most 128.
  if (slash < 2 || n - slash < 2 || n - slash > 4 || (n - slash > 2 && s.charCodeAt(slash + 1) === 48)) return null;
  let len = 0;
  for (let i = slash + 1; i < n; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return null;
    len = len * 10 + d;
  }
  if (len > 128) return null;
  const dbl = s.indexOf('::');
  if (dbl >= slash || (dbl >= 0 && s.indexOf('::', dbl + 1) >= 0 && s.indexOf('::', dbl + 1) < slash)) return null;
  const g = GROUPS;
  let count: number;
  if (dbl < 0) {
    count = hexGroups(s, 0, slash, g, 0);
    if (count !== 8) return null;
  } else {
    const head = hexGroups(s, 0, dbl, g, 0);
    if (head < 0) return null;
    const tail = hexGroups(s, dbl + 2, slash, g, head);
    if (tail < 0 || tail > 7) return null;
    // The tail's groups move to the end; '::' is the zeros between.
    const shift = 8 - tail;
    for (let i = tail - 1; i >= head; i--) g[i + shift] = g[i];
    for (let i = head; i < head + shift; i++) g[i] = 0;
  }
  let hostBits = false;
  for (let i = 0; i < 8; i++) {
    const keep = len - 16 * i;
    if (keep >= 16) continue;
    const net = keep <= 0 ? 0 : g[i] & (0xffff << (16 - keep)) & 0xffff;
    if (net !== g[i]) {
      hostBits = true;
      g[i] = net;
    }
  }
  if (hostBits && strict) return null;
  // Each 64-bit half read as one bigint (a bigint operation per group made this the slowest part of a large ledger).
  WORDS.setUint32(0, g[0] * 0x10000 + g[1]);
  WORDS.setUint32(4, g[2] * 0x10000 + g[3]);
  const top = WORDS.getBigUint64(0) << 64n;
  const w2 = g[4] * 0x10000 + g[5];
  const w3 = g[6] * 0x10000 + g[7];
  if (w2 === 0 && w3 === 0) return { family: 6, addr: top, len };
  WORDS.setUint32(8, w2);
  WORDS.setUint32(12, w3);
  return { family: 6, addr: top | WORDS.getBigUint64(8), len };
}
const WORDS = new DataView(new ArrayBuffer(16));

/**
 * Reads the ':'-separated groups of 1-4 hex digits in s[from, to) into g from index `at`: the new count, or -1 when
 * the text is not that (an empty range reads no group).
 */
function hexGroups(s: string, from: number, to: number, g: number[], at: number): number {
  if (from === to) return at;
  let v = 0;
  let digits = 0;
  for (let i = from; i <= to; i++) {
    const c = i === to ? 58 : s.charCodeAt(i);
    if (c === 58) {
      if (digits === 0 || at === 8) return -1;
      g[at++] = v;
      v = 0;
      digits = 0;
      continue;
    }
    const h = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
    if (h < 0 || ++digits > 4) return -1;
    v = v * 16 + h;
  }
  return at;
}

/** parsePrefix that returns the NetError instead of throwing it. */
export function tryParsePrefix(s: string, opts: ParsePrefixOptions = {}): Prefix | NetError {
  try {
    return parsePrefix(s, opts);
  } catch (e) {
    if (e instanceof NetError) return e;
    throw e;
  }
}

export function formatPrefix(p: Prefix): string {
  return `${formatAddress(p.family, p.addr)}/${p.len}`;
}

export function prefixFirst(p: Prefix): bigint {
  return p.addr;
}

export function prefixLast(p: Prefix): bigint {
  return p.addr | hostMask(p.family, p.len);
}

/** Number of addresses in the prefix. */
export function prefixSize(p: Prefix): bigint {
  return 1n << BigInt(familyBits(p.family) - p.len);
}

/** True when every address of `inner` is in `outer` (equal prefixes contain each other); false across families. */
export function contains(outer: Prefix, inner: Prefix): boolean {
  return outer.family === inner.family && outer.len <= inner.len && (inner.addr & netMask(outer.family, outer.len)) === outer.addr;
}

export function containsAddress(p: Prefix, family: Family, value: bigint): boolean {
  return p.family === family && (value & netMask(family, p.len)) === p.addr;
}

/** Two prefixes share an address exactly when one contains the other. */
export function overlaps(a: Prefix, b: Prefix): boolean {
  return contains(a, b) || contains(b, a);
}

/** True when `value` is a valid network address for a /len (no host bits). */
export function isAligned(family: Family, value: bigint, len: number): boolean {
  return (value & hostMask(family, len)) === 0n;
}

export function hostBitsSet(family: Family, value: bigint, len: number): boolean {
  return !isAligned(family, value, len);
}

export function isDefaultRoute(p: Prefix): boolean {
  return p.len === 0;
}

export function samePrefix(a: Prefix, b: Prefix): boolean {
  return a.family === b.family && a.addr === b.addr && a.len === b.len;
}

/** Orders by family (4 before 6), then address, then length (shorter first, so a parent sorts before its children). */
export function comparePrefix(a: Prefix, b: Prefix): number {
  if (a.family !== b.family) return a.family - b.family;
  if (a.addr !== b.addr) return a.addr < b.addr ? -1 : 1;
  return a.len - b.len;
}

/** Number of /newLen subnets in `parent`. */
export function subnetCount(parent: Prefix, newLen: number): bigint {
  checkSubnetLength(parent, newLen);
  return 1n << BigInt(newLen - parent.len);
}

/** The index-th (0-based) /newLen subnet of `parent`. */
export function subnet(parent: Prefix, newLen: number, index: bigint): Prefix {
  const count = subnetCount(parent, newLen);
  if (typeof index !== 'bigint' || index < 0n || index >= count) {
    throw new NetError(`${formatPrefix(parent)} has ${count} /${newLen} subnets; index ${String(index)} is out of range`);
  }
  return { family: parent.family, addr: parent.addr + (index << BigInt(familyBits(parent.family) - newLen)), len: newLen };
}

/** Index of `child` among the /child.len subnets of `parent`; NetError when it is not inside. */
export function subnetIndex(parent: Prefix, child: Prefix): bigint {
  if (!contains(parent, child)) throw new NetError(`${formatPrefix(child)} is not inside ${formatPrefix(parent)}`);
  return (child.addr - parent.addr) >> BigInt(familyBits(parent.family) - child.len);
}

/** All /newLen subnets of `parent`, in order; NetError when more than `limit` (default 65536). */
export function subnets(parent: Prefix, newLen: number, limit = 65536): Prefix[] {
  const count = subnetCount(parent, newLen);
  if (count > BigInt(limit)) throw new NetError(`${formatPrefix(parent)} has ${count} /${newLen} subnets, more than ${limit}`);
  const out: Prefix[] = [];
  for (let i = 0n; i < count; i++) out.push(subnet(parent, newLen, i));
  return out;
}

/** The /newLen prefix containing `p` (newLen <= p.len). */
export function supernet(p: Prefix, newLen: number): Prefix {
  checkLength(p.family, newLen);
  if (newLen > p.len) throw new NetError(`/${newLen} is longer than ${formatPrefix(p)}`);
  return { family: p.family, addr: p.addr & netMask(p.family, newLen), len: newLen };
}

function checkSubnetLength(parent: Prefix, newLen: number): void {
  checkLength(parent.family, newLen, 'subnet length');
  if (newLen < parent.len) throw new NetError(`a /${newLen} does not fit inside ${formatPrefix(parent)}`);
}

function checkRemapPair(from: Prefix, to: Prefix): void {
  if (from.family !== to.family || from.len !== to.len) {
    throw new NetError(`cannot remap ${formatPrefix(from)} onto ${formatPrefix(to)}: both must be the same family and length`);
  }
}

/**
 * Moves `p` from block `from` into block `to` (same family and length), keeping every bit below the block.
 * Null when `p` is not inside `from` (also when `p` is larger than `from`).
 */
export function remapPrefix(p: Prefix, from: Prefix, to: Prefix): Prefix | null {
  checkRemapPair(from, to);
  if (!contains(from, p)) return null;
  return { family: p.family, addr: to.addr | (p.addr & hostMask(p.family, from.len)), len: p.len };
}

/** remapPrefix for one address; null when the address is not inside `from`. */
export function remapAddress(family: Family, value: bigint, from: Prefix, to: Prefix): bigint | null {
  checkRemapPair(from, to);
  if (!containsAddress(from, family, value)) return null;
  return to.addr | (value & hostMask(family, from.len));
}

/** Reverse DNS zone of a nibble-aligned IPv6 prefix, e.g. 2a07:3500:a44::/48 -> 4.4.a.0.0.0.5.3.7.0.a.2.ip6.arpa. */
export function ip6ArpaZone(p: Prefix): string {
  if (p.family !== 6) throw new NetError(`${formatPrefix(p)} is not IPv6; ip6.arpa zones are for IPv6 prefixes`);
  if (p.len % 4 !== 0) {
    throw new NetError(`${formatPrefix(p)} is not on a nibble boundary; delegate its /${Math.ceil(p.len / 4) * 4}s separately`);
  }
  const nibbles: string[] = [];
  for (let i = 0; i < p.len / 4; i++) nibbles.push(((p.addr >> BigInt(124 - 4 * i)) & 0xfn).toString(16));
  return [...nibbles.reverse(), 'ip6', 'arpa'].join('.');
}

/** Reverse DNS zone of an octet-aligned IPv4 prefix, e.g. 192.0.2.0/24 -> 2.0.192.in-addr.arpa. */
export function in_addrArpaZone(p: Prefix): string {
  if (p.family !== 4) throw new NetError(`${formatPrefix(p)} is not IPv4; in-addr.arpa zones are for IPv4 prefixes`);
  if (p.len % 8 !== 0) {
    throw new NetError(`${formatPrefix(p)} is not on an octet boundary; delegate its /${Math.ceil(p.len / 8) * 8}s separately`);
  }
  const octets: string[] = [];
  for (let i = 0; i < p.len / 8; i++) octets.push(((p.addr >> BigInt(24 - 8 * i)) & 0xffn).toString(10));
  return [...octets.reverse(), 'in-addr', 'arpa'].join('.');
}

/**
 * The reverse zones that together cover `p`: the prefix itself when it is on a nibble (IPv6) / octet (IPv4) boundary,
 * otherwise its subnets at the next boundary (a /46 gives four /48 zones).
 */
export function reverseZones(p: Prefix): Array<{ prefix: Prefix; zone: string }> {
  const step = p.family === 6 ? 4 : 8;
  const len = Math.ceil(p.len / step) * step;
  return subnets(p, len).map((s) => ({ prefix: s, zone: p.family === 6 ? ip6ArpaZone(s) : in_addrArpaZone(s) }));
}
