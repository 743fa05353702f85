/**
 * Who an address belongs to, for usage and coverage: every declared prefix (organisations' zone addresses from the
 * ledger and their registered IPv4, suppliers' prefixes, services' prefixes) flattened into disjoint ranges, the most
 * specific declaration winning, so that one binary search answers for each end of a flow record. Pure.
 */
import { addressesInZone } from '../ipv6/addresses';
import { connectingOrganisation, indexInventory, type Inventory } from '../model/inventory';
import { parsePrefix, prefixLast, type Prefix } from '../net';

export type OwnerKind = 'organisation' | 'supplier' | 'service';

/** The declared owner of a range of addresses. */
export interface Owner {
  kind: OwnerKind;
  /** Organisation id, supplier id, or service name. */
  id: string;
  /** For organisations: the one whose connection point carries the traffic (a samenwerkingsverband for its members). */
  organisation: string | null;
  /** For a gemeente behind a samenwerkingsverband: itself (the connection point's organisation is `organisation`). */
  member: string | null;
  zone: 'overheid' | 'markt' | null;
}

/** Disjoint, sorted ranges of one family; `owner[i]` indexes `owners`. IPv6 bounds are four 32-bit words each. */
interface RangeTable {
  readonly starts: Uint32Array;
  readonly ends: Uint32Array;
  readonly owner: Int32Array;
  readonly length: number;
}

export interface AttributionIndex {
  readonly owners: readonly Owner[];
  readonly v4: RangeTable;
  readonly v6: RangeTable;
}

interface Claim {
  prefix: Prefix;
  owner: number;
}

/** Flattens laminar (nested or disjoint) prefixes into disjoint ranges; the innermost prefix owns each address. */
export function flatten(claims: readonly Claim[]): Array<{ lo: bigint; hi: bigint; owner: number }> {
  const sorted = [...claims].sort((a, b) => (a.prefix.addr < b.prefix.addr ? -1 : a.prefix.addr > b.prefix.addr ? 1 : a.prefix.len - b.prefix.len));
  const out: Array<{ lo: bigint; hi: bigint; owner: number }> = [];
  const stack: Array<{ hi: bigint; owner: number }> = [];
  let cursor = 0n;
  const emit = (lo: bigint, hi: bigint, owner: number) => {
    if (lo > hi) return;
    const last = out[out.length - 1];
    if (last && last.owner === owner && last.hi + 1n === lo) last.hi = hi;
    else out.push({ lo, hi, owner });
  };
  const closeUntil = (addr: bigint | null) => {
    while (stack.length && (addr === null || stack[stack.length - 1].hi < addr)) {
      const top = stack.pop()!;
      emit(cursor, top.hi, top.owner);
      cursor = top.hi + 1n;
    }
  };
  let prev: Prefix | null = null;
  for (const c of sorted) {
    const p = c.prefix;
    // The same prefix declared twice (an invalid inventory that validate reports): the first declaration keeps it.
    if (prev && prev.addr === p.addr && prev.len === p.len) continue;
    prev = p;
    closeUntil(p.addr);
    if (stack.length) emit(cursor, p.addr - 1n, stack[stack.length - 1].owner);
    stack.push({ hi: prefixLast(p), owner: c.owner });
    cursor = p.addr;
  }
  closeUntil(null);
  return out;
}

function table(family: 4 | 6, ranges: Array<{ lo: bigint; hi: bigint; owner: number }>): RangeTable {
  const words = family === 4 ? 1 : 4;
  const starts = new Uint32Array(ranges.length * words);
  const ends = new Uint32Array(ranges.length * words);
  const owner = new Int32Array(ranges.length);
  ranges.forEach((r, i) => {
    for (let w = 0; w < words; w++) {
      const shift = BigInt(32 * (words - 1 - w));
      starts[i * words + w] = Number((r.lo >> shift) & 0xffffffffn);
      ends[i * words + w] = Number((r.hi >> shift) & 0xffffffffn);
    }
    owner[i] = r.owner;
  });
  return { starts, ends, owner, length: ranges.length };
}

/** Builds the index from a loaded inventory (seen through its profile: the lab's addresses under `--profile lab`). */
export function buildAttributionIndex(inv: Inventory): AttributionIndex {
  const idx = indexInventory(inv);
  const owners: Owner[] = [];
  const claims: Record<4 | 6, Claim[]> = { 4: [], 6: [] };
  const claim = (owner: Owner, prefixes: readonly Prefix[]) => {
    if (!prefixes.length) return;
    const i = owners.push(owner) - 1;
    for (const p of prefixes) claims[p.family].push({ prefix: p, owner: i });
  };
  for (const org of inv.organisations) {
    for (const zone of ['overheid', 'markt'] as const) {
      const prefixes = addressesInZone(inv, org.id, zone);
      if (org.kind === 'leverancier') {
        claim({ kind: 'supplier', id: org.id, organisation: null, member: null, zone }, prefixes);
        continue;
      }
      const conn = connectingOrganisation(idx, org);
      const behind = conn !== null && conn.id !== org.id;
      claim({ kind: 'organisation', id: org.id, organisation: behind ? conn.id : org.id, member: behind ? org.id : null, zone }, prefixes);
    }
  }
  for (const s of inv.services) {
    claim({ kind: 'service', id: s.name, organisation: null, member: null, zone: s.zone }, s.prefixes.map((p) => parsePrefix(p, { strict: false })));
  }
  return { owners, v4: table(4, flatten(claims[4])), v6: table(6, flatten(claims[6])) };
}

/** The owner index of an IPv4 address (unsigned 32-bit), or -1. */
export function lookup4(t: RangeTable, a: number): number {
  let lo = 0;
  let hi = t.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (t.starts[mid] <= a) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found >= 0 && a <= t.ends[found] ? t.owner[found] : -1;
}

/** -1, 0, 1 as words[0..3] compares with the bound at `i` of `arr`. */
function cmp6(words: Uint32Array, arr: Uint32Array, i: number): number {
  const o = i * 4;
  for (let w = 0; w < 4; w++) {
    const x = words[w];
    const y = arr[o + w];
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** The owner index of an IPv6 address (four 32-bit words, most significant first), or -1. */
export function lookup6(t: RangeTable, words: Uint32Array): number {
  let lo = 0;
  let hi = t.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (cmp6(words, t.starts, mid) >= 0) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found >= 0 && cmp6(words, t.ends, found) <= 0 ? t.owner[found] : -1;
}

/** Splits a 128-bit value into the four words `lookup6` takes. */
export function words6(v: bigint): Uint32Array {
  return Uint32Array.from([0, 1, 2, 3], (w) => Number((v >> BigInt(96 - 32 * w)) & 0xffffffffn));
}
