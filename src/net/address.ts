import { Address4, Address6 } from 'ip-address';

/** Addresses of both families as unsigned bigints; no domain knowledge lives in src/net. */

export type Family = 4 | 6;

/** An error a user can cause (bad address text, host bits set, out-of-range subnet); its message is fit to print. */
export class NetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NetError';
  }
}

export function familyBits(f: Family): 32 | 128 {
  return f === 4 ? 32 : 128;
}

/** The largest address value of a family (all ones). */
export function maxAddress(f: Family): bigint {
  return f === 4 ? 0xffffffffn : (1n << 128n) - 1n;
}

/** Mask of the host bits of a /len (the low bits-len bits). */
export function hostMask(f: Family, len: number): bigint {
  // Masks are computed once per family and length: prefix arithmetic asks for them for every prefix it touches.
  const cached = (f === 4 ? HOST_MASKS_4 : HOST_MASKS_6)[len];
  return cached ?? (1n << BigInt(familyBits(f) - len)) - 1n;
}

const HOST_MASKS_4 = Array.from({ length: 33 }, (_, len) => (1n << BigInt(32 - len)) - 1n);
const HOST_MASKS_6 = Array.from({ length: 129 }, (_, len) => (1n << BigInt(128 - len)) - 1n);
const NET_MASKS_4 = HOST_MASKS_4.map((m) => HOST_MASKS_4[0] ^ m);
const NET_MASKS_6 = HOST_MASKS_6.map((m) => HOST_MASKS_6[0] ^ m);

/** Mask of the network bits of a /len. */
export function netMask(f: Family, len: number): bigint {
  const cached = (f === 4 ? NET_MASKS_4 : NET_MASKS_6)[len];
  return cached ?? maxAddress(f) ^ hostMask(f, len);
}

export function checkFamily(f: unknown): asserts f is Family {
  if (f !== 4 && f !== 6) throw new NetError(`address family must be 4 or 6, not ${String(f)}`);
}

export function checkLength(f: Family, len: number, what = 'prefix length'): void {
  if (!Number.isInteger(len) || len < 0 || len > familyBits(f)) {
    throw new NetError(`${what} ${len} is out of range for IPv${f} (0-${familyBits(f)})`);
  }
}

export function checkValue(f: Family, value: bigint): void {
  if (typeof value !== 'bigint' || value < 0n || value > maxAddress(f)) {
    throw new NetError(`${String(value)} is not an IPv${f} address value (0-${maxAddress(f)})`);
  }
}

/**
 * Parses one address, IPv4 dotted quad or IPv6 text. Strict: no surrounding whitespace, no leading zeros in IPv4 octets,
 * no zone ids (`%eth0`), no brackets, no prefix length. IPv6 forms with an embedded IPv4 part (`::ffff:192.0.2.1`) are
 * accepted and stay IPv6 (family 6): they are not converted to IPv4, so `::ffff:192.0.2.1` and `192.0.2.1` differ.
 */
export function parseAddress(s: string): { family: Family; value: bigint } {
  // An inventory names the same few thousand addresses tens of thousands of times (every rule's prefixes), and
  // ip-address parses IPv6 slowly: successful parses are kept. A fresh object each time, so no caller shares one.
  const known = parsedAddresses.get(s);
  if (known) return { family: known.family, value: known.value };
  const parsed = parseAddressText(s);
  if (parsedAddresses.size >= 1_000_000) parsedAddresses.clear();
  parsedAddresses.set(s, parsed);
  return { family: parsed.family, value: parsed.value };
}

const parsedAddresses = new Map<string, { readonly family: Family; readonly value: bigint }>();

function parseAddressText(s: string): { family: Family; value: bigint } {
  if (typeof s !== 'string') throw new NetError(`${String(s)} is not an IP address`);
  if (s.includes('/')) throw new NetError(`'${s}' is a prefix, not an address`);
  if (s.includes('%')) throw new NetError(`'${s}' has a zone id (%...); zone ids are not allowed`);
  if (s.trim() !== s || s === '') throw new NetError(`'${s}' is not an IP address`);
  if (s.includes(':')) {
    if (!/^[0-9a-fA-F:.]+$/.test(s)) throw new NetError(`'${s}' is not an IP address (bad characters)`);
    const quick = plainIpv6(s);
    if (quick !== null) return { family: 6, value: quick };
    let a: Address6;
    try {
      a = new Address6(s);
    } catch (e) {
      throw new NetError(`'${s}' is not an IPv6 address${libReason(e)}`);
    }
    return { family: 6, value: a.bigInt() };
  }
  if (!/^[0-9.]+$/.test(s)) throw new NetError(`'${s}' is not an IP address`);
  let a: Address4;
  try {
    a = new Address4(s);
  } catch (e) {
    throw new NetError(`'${s}' is not an IPv4 address${libReason(e)}`);
  }
  return { family: 4, value: a.bigInt() };
}

/**
 * The common IPv6 forms (hex groups, at most one '::', no embedded IPv4) without the library, which is slow on a
 * ledger of hundreds of thousands of prefixes; null for anything else, which the library then judges (and words).
 */
function plainIpv6(s: string): bigint | null {
  if (s.includes('.')) return null;
  const dbl = s.indexOf('::');
  if (dbl >= 0 && s.indexOf('::', dbl + 1) >= 0) return null;
  const head = dbl < 0 ? s : s.slice(0, dbl);
  const tail = dbl < 0 ? '' : s.slice(dbl + 2);
  const hs = head === '' ? [] : head.split(':');
  const ts = tail === '' ? [] : tail.split(':');
  if (dbl < 0 ? hs.length !== 8 : hs.length + ts.length > 7) return null;
  let v = 0n;
  const add = (g: string): boolean => {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return false;
    v = (v << 16n) | BigInt(parseInt(g, 16));
    return true;
  };
  for (const g of hs) if (!add(g)) return null;
  v <<= BigInt(16 * (8 - hs.length - ts.length));
  for (const g of ts) if (!add(g)) return null;
  return v;
}

function libReason(e: unknown): string {
  const m = e instanceof Error ? e.message.replace(/[.:\s]+$/, '') : '';
  return m && !/^Invalid IPv[46] address$/i.test(m) ? ` (${m.charAt(0).toLowerCase()}${m.slice(1)})` : '';
}

/**
 * Formats an address. IPv6 follows RFC 5952 section 4: lowercase, no leading zeros, the longest run of two or more
 * zero fields compressed to '::' (the first on a tie), a single zero field never compressed. IPv4-mapped addresses are
 * written in plain hex (`::ffff:c000:201`), the same as every other IPv6 address.
 */
export function formatAddress(family: Family, value: bigint): string {
  checkFamily(family);
  checkValue(family, value);
  if (family === 4) {
    const n = Number(value);
    return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
  }
  // Hot (every prefix the policy engine prints): split the value with a few bigint operations into plain numbers and
  // build the text directly, instead of one bigint shift per field and intermediate arrays.
  const hi = value >> 64n;
  const lo = BigInt.asUintN(64, value);
  const w0 = Number(hi >> 32n);
  const w1 = Number(BigInt.asUintN(32, hi));
  const w2 = Number(lo >> 32n);
  const w3 = Number(BigInt.asUintN(32, lo));
  const g = [w0 >>> 16, w0 & 0xffff, w1 >>> 16, w1 & 0xffff, w2 >>> 16, w2 & 0xffff, w3 >>> 16, w3 & 0xffff];
  let bestStart = -1;
  let bestLen = 1; // runs of one field are never compressed
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  let out = '';
  if (bestStart < 0) {
    for (let i = 0; i < 8; i++) out += i ? `:${g[i].toString(16)}` : g[i].toString(16);
    return out;
  }
  for (let i = 0; i < bestStart; i++) out += i ? `:${g[i].toString(16)}` : g[i].toString(16);
  out += '::';
  for (let i = bestStart + bestLen; i < 8; i++) out += i > bestStart + bestLen ? `:${g[i].toString(16)}` : g[i].toString(16);
  return out;
}
