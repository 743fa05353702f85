import type { Family } from './address';
import { contains, overlaps, parsePrefix, type Prefix } from './prefix';

/** A special-purpose range (IANA IPv4/IPv6 Special-Purpose Address Registries plus multicast, RFC 6890 and later). */
export interface SpecialRange {
  readonly prefix: Prefix;
  readonly name: string;
}

const TABLE: ReadonlyArray<readonly [string, string]> = [
  ['0.0.0.0/32', 'unspecified/default'],
  ['0.0.0.0/8', 'this network (RFC 791)'],
  ['10.0.0.0/8', 'RFC 1918 private'],
  ['100.64.0.0/10', 'RFC 6598 shared'],
  ['127.0.0.0/8', 'loopback'],
  ['169.254.0.0/16', 'link-local'],
  ['172.16.0.0/12', 'RFC 1918 private'],
  ['192.0.0.0/24', 'IETF protocol assignments'],
  ['192.0.2.0/24', 'documentation'],
  ['192.31.196.0/24', 'AS112'],
  ['192.52.193.0/24', 'AMT'],
  ['192.88.99.0/24', '6to4 relay anycast (deprecated)'],
  ['192.168.0.0/16', 'RFC 1918 private'],
  ['192.175.48.0/24', 'AS112'],
  ['198.18.0.0/15', 'benchmarking'],
  ['198.51.100.0/24', 'documentation'],
  ['203.0.113.0/24', 'documentation'],
  ['224.0.0.0/4', 'multicast'],
  ['255.255.255.255/32', 'limited broadcast'],
  ['240.0.0.0/4', 'reserved (240/4)'],
  ['::/128', 'unspecified/default'],
  ['::1/128', 'loopback'],
  ['::ffff:0:0/96', 'IPv4-mapped'],
  ['64:ff9b::/96', 'NAT64 well-known'],
  ['64:ff9b:1::/48', 'NAT64 local-use'],
  ['100::/64', 'discard-only'],
  ['2001::/32', 'Teredo'],
  ['2001:2::/48', 'benchmarking'],
  ['2001:20::/28', 'ORCHIDv2'],
  ['2001::/23', 'IETF protocol assignments'],
  ['2001:db8::/32', 'documentation'],
  ['2002::/16', '6to4'],
  ['3fff::/20', 'documentation'],
  ['5f00::/16', 'SRv6 SIDs'],
  ['fc00::/7', 'ULA fc00::/7'],
  ['fe80::/10', 'link-local'],
  ['fec0::/10', 'site-local (deprecated)'],
  ['ff00::/8', 'multicast'],
];

export const SPECIAL_RANGES: ReadonlyArray<SpecialRange> = Object.freeze(
  TABLE.map(([p, name]) => Object.freeze({ prefix: parsePrefix(p), name })),
);

/**
 * Names the special-purpose range `p` lies in (the most specific one), or else the first special range it overlaps
 * (in address order); null when `p` is entirely ordinary (public) space. The default route is 'unspecified/default'.
 */
export function specialPurpose(p: Prefix): string | null {
  if (p.len === 0) return 'unspecified/default';
  let best: SpecialRange | null = null;
  for (const r of SPECIAL_RANGES) if (contains(r.prefix, p) && (!best || r.prefix.len > best.prefix.len)) best = r;
  if (best) return best.name;
  const hit = specialRangesOverlapping(p)[0];
  return hit ? hit.name : null;
}

/** Every special range that overlaps `p`, in address order. */
export function specialRangesOverlapping(p: Prefix): SpecialRange[] {
  return SPECIAL_RANGES.filter((r) => overlaps(r.prefix, p)).sort((a, b) =>
    a.prefix.addr < b.prefix.addr ? -1 : a.prefix.addr > b.prefix.addr ? 1 : a.prefix.len - b.prefix.len,
  );
}

/** Special ranges of one family. */
export function specialRanges(family: Family): SpecialRange[] {
  return SPECIAL_RANGES.filter((r) => r.prefix.family === family);
}
