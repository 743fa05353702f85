/** src/net: addresses and prefixes of both IP families on bigint; no domain knowledge. */
export { type Family, NetError, familyBits, maxAddress, hostMask, netMask, parseAddress, formatAddress } from './address';
export {
  type Prefix,
  type ParsePrefixOptions,
  makePrefix,
  parsePrefix,
  tryParsePrefix,
  formatPrefix,
  prefixFirst,
  prefixLast,
  prefixSize,
  contains,
  containsAddress,
  overlaps,
  isAligned,
  hostBitsSet,
  isDefaultRoute,
  samePrefix,
  comparePrefix,
  subnet,
  subnetCount,
  subnetIndex,
  subnets,
  supernet,
  remapPrefix,
  remapAddress,
  ip6ArpaZone,
  in_addrArpaZone,
  reverseZones,
} from './prefix';
export { rangeToPrefixes, formatRange } from './range';
export { IntervalSet } from './intervalset';
export { keepPrefix, keptPrefix, type KeptPrefix } from './kept';
export { aggregate, firstFree, type FirstFreeOptions } from './alloc';
export { specialPurpose, specialRangesOverlapping, specialRanges, SPECIAL_RANGES, type SpecialRange } from './special';
