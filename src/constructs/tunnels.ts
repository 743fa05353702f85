import { formatPrefix, makePrefix, parsePrefix, type Prefix } from '../net/prefix';
import { ConstructValidationError } from './errors';

/**
 * Inside-tunnel addresses of the hub's VPN connections (pure; no cdktf).
 *
 * AWS wants a /30 from 169.254.0.0/16 per tunnel, unique per transit gateway, and reserves a few /30s. Each
 * organisation gets one /28 "slot": overheid takes its first /29 (tunnel 1, tunnel 2), markt the second. The slot is
 * found by hashing the organisation id and probing linearly; organisations claim slots in onboarding order (their
 * first ledger entry), so a newly onboarded organisation never moves an existing one, and no result depends on the
 * order of files. Adding a zone to an organisation stays inside its own slot.
 */

export const AWS_TUNNEL_RANGE = '169.254.0.0/16';
/** /30s that AWS refuses as inside-tunnel CIDRs. */
export const AWS_RESERVED_TUNNEL_CIDRS = [
  '169.254.0.0/30',
  '169.254.1.0/30',
  '169.254.2.0/30',
  '169.254.3.0/30',
  '169.254.4.0/30',
  '169.254.5.0/30',
  '169.254.169.252/30',
] as const;

const SLOT_LEN = 28;
const ZONE_OFFSET = { overheid: 0n, markt: 8n } as const;
export type TunnelZone = keyof typeof ZONE_OFFSET;

export interface TunnelRequest {
  readonly organisation: string;
  readonly zones: readonly TunnelZone[];
  /** Milliseconds since the epoch of the organisation's onboarding (first ledger entry); Infinity when unknown. */
  readonly onboardedAt: number;
}

export interface TunnelPair {
  readonly tunnel1: string;
  readonly tunnel2: string;
}

/** organisation -> zone -> the two /30s. */
export type TunnelPlan = ReadonlyMap<string, ReadonlyMap<TunnelZone, TunnelPair>>;

/** FNV-1a, 32 bits: small, stable across Node versions and platforms. */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export function allocateTunnels(poolText: string, requests: readonly TunnelRequest[]): TunnelPlan {
  let pool: Prefix;
  try {
    pool = parsePrefix(poolText);
  } catch (e) {
    throw new ConstructValidationError('CLOUD_TUNNEL_POOL', `cloud.tunnelInsidePool '${poolText}' is not a prefix: ${(e as Error).message}`);
  }
  const range = parsePrefix(AWS_TUNNEL_RANGE);
  if (pool.family !== 4 || pool.len < range.len || (pool.addr & ~((1n << 16n) - 1n)) !== range.addr || pool.len > SLOT_LEN) {
    throw new ConstructValidationError('CLOUD_TUNNEL_POOL', `cloud.tunnelInsidePool '${poolText}' must lie inside ${AWS_TUNNEL_RANGE} and be a /${SLOT_LEN} or larger (AWS accepts inside-tunnel /30s only from ${AWS_TUNNEL_RANGE})`);
  }
  const reserved = AWS_RESERVED_TUNNEL_CIDRS.map((c) => parsePrefix(c));
  const slotCount = 1 << (SLOT_LEN - pool.len);
  const slotSize = 1n << BigInt(32 - SLOT_LEN);
  const usable = (i: number): boolean => {
    const first = pool.addr + BigInt(i) * slotSize;
    return !reserved.some((r) => r.addr >= first && r.addr < first + slotSize);
  };
  const usableCount = Array.from({ length: slotCount }, (_, i) => i).filter(usable).length;

  const seen = new Set<string>();
  for (const r of requests) {
    if (seen.has(r.organisation)) throw new ConstructValidationError('CLOUD_TUNNEL_DUPLICATE', `organisation ${r.organisation} asks for inside-tunnel addresses twice`);
    seen.add(r.organisation);
  }
  if (requests.length > usableCount) {
    throw new ConstructValidationError('CLOUD_TUNNEL_POOL_EXHAUSTED', `cloud.tunnelInsidePool '${poolText}' has room for ${usableCount} organisations (a /${SLOT_LEN} each), but ${requests.length} connect to the cloud hub`);
  }

  // Infinity (never onboarded through the ledger) sorts last; ties by id.
  const ordered = [...requests].sort((a, b) =>
    a.onboardedAt < b.onboardedAt ? -1 : a.onboardedAt > b.onboardedAt ? 1 : a.organisation < b.organisation ? -1 : a.organisation > b.organisation ? 1 : 0,
  );
  const taken = new Set<number>();
  const plan = new Map<string, Map<TunnelZone, TunnelPair>>();
  for (const r of ordered) {
    let slot = fnv1a(r.organisation) % slotCount;
    while (taken.has(slot) || !usable(slot)) slot = (slot + 1) % slotCount;
    taken.add(slot);
    const base = pool.addr + BigInt(slot) * slotSize;
    const zones = new Map<TunnelZone, TunnelPair>();
    for (const z of [...r.zones].sort()) {
      const at = base + ZONE_OFFSET[z];
      zones.set(z, { tunnel1: formatPrefix(makePrefix(4, at, 30)), tunnel2: formatPrefix(makePrefix(4, at + 4n, 30)) });
    }
    plan.set(r.organisation, zones);
  }
  return plan;
}
