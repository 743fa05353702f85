/**
 * Kea's native candidate from what a DHCP appliance serves: the `Dhcp4` and `Dhcp6` configuration that `config-set`
 * loads. Kea replaces the whole configuration on `config-set`, so what is sent is the candidate (what the inventory
 * declares: interfaces, subnets, pools, options, lifetimes) plus the appliance's plumbing (control socket, lease file,
 * hook libraries, logging), which depends on where Kea runs (`KeaLayout`), not on the inventory. The candidate document
 * is the declared part alone; the plumbing is checked when reading (see ./index.ts). Pure: same input, same JSON.
 *
 * Kea 2.2 (Kea Administrator Reference Manual): "subnet4"/"subnet6" with "id", "subnet", "interface", "pools",
 * "option-data" (routers); "control-socket" (unix); "lease-database" memfile; the lease_cmds hook (`lease4-get-all`).
 */
import type { DhcpSubnet } from '../../intent/dhcp';
import { formatAddress, parseAddress } from '../../net';

/** A JSON value (Kea's configuration is plain JSON). */
export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type JsonObject = { [k: string]: Json };

/** The two services of a Kea appliance, as the Control Agent names them, and their top-level keys. */
export type KeaService = 'dhcp4' | 'dhcp6';
export const KEA_SERVICES: readonly KeaService[] = ['dhcp4', 'dhcp6'];
export const ROOT_KEY: Record<KeaService, 'Dhcp4' | 'Dhcp6'> = { dhcp4: 'Dhcp4', dhcp6: 'Dhcp6' };

/** Where Kea keeps its files on the appliance; the lab gives every appliance its own folder. */
export interface KeaLayout {
  controlSocket: Record<KeaService, string>;
  leaseFile: Record<KeaService, string>;
  log: Record<KeaService, string>;
  /** The files the daemons were started with (`-c`): `config-write` writes the running configuration there. */
  configFile: Record<KeaService, string>;
  /** DHCPv6 server id (DUID). */
  dataDir: string;
  hooksDir: string;
}

export interface KeaTimers {
  /** Lease lifetime in seconds (default 3600: a visitor moves on within the hour). */
  validLifetime: number;
}
export const KEA_DEFAULT_TIMERS: KeaTimers = { validLifetime: 3600 };

/** Keys of the plumbing: set from the layout, never from the inventory. */
export const PLUMBING_KEYS = ['control-socket', 'lease-database', 'hooks-libraries', 'loggers', 'data-directory'] as const;

const MARK = 'generated from the inventory by ggi; a change made here is drift, and ggi apply undoes it';

/** The declared part of each service's configuration (the body under `Dhcp4` / `Dhcp6`). */
export function renderKeaConfig(deviceId: string, subnets: readonly DhcpSubnet[], timers: KeaTimers = KEA_DEFAULT_TIMERS): Record<KeaService, JsonObject> {
  const v4 = subnets.filter((s) => s.family === 4);
  const v6 = subnets.filter((s) => s.family === 6);
  const lifetimes = {
    'valid-lifetime': timers.validLifetime,
    'renew-timer': Math.floor(timers.validLifetime / 2),
    'rebind-timer': Math.floor((timers.validLifetime * 7) / 8),
  };
  // Lists ggi manages are declared even when empty, so that anything added to them by hand is drift.
  const empties = { 'shared-networks': [], 'option-data': [], 'option-def': [] };
  return {
    dhcp4: {
      'user-context': { 'managed-by': 'ggi', device: deviceId, note: MARK },
      'interfaces-config': { interfaces: unique(v4.map((s) => s.interface)) },
      // The only server on its segments: a client asking for an address from elsewhere gets a NAK at once.
      authoritative: true,
      ...lifetimes,
      subnet4: v4.map((s) => ({
        id: s.id,
        subnet: s.subnet,
        interface: s.interface,
        pools: [{ pool: poolText(4, s.pool) }],
        'option-data': s.router ? [{ name: 'routers', data: s.router }] : [],
        reservations: [],
        'user-context': { organisation: s.organisation, segment: s.segment },
      })),
      ...empties,
    },
    dhcp6: {
      'user-context': { 'managed-by': 'ggi', device: deviceId, note: MARK },
      'interfaces-config': { interfaces: unique(v6.map((s) => s.interface)) },
      ...lifetimes,
      'preferred-lifetime': Math.floor((timers.validLifetime * 3) / 4),
      subnet6: v6.map((s) => ({
        id: s.id,
        subnet: s.subnet,
        interface: s.interface,
        pools: [{ pool: poolText(6, s.pool) }],
        'pd-pools': [],
        reservations: [],
        'user-context': { organisation: s.organisation, segment: s.segment },
      })),
      ...empties,
    },
  };
}

/** The plumbing of each service for a layout. */
export function keaPlumbing(layout: KeaLayout): Record<KeaService, JsonObject> {
  const common = (svc: KeaService): JsonObject => ({
    'control-socket': { 'socket-type': 'unix', 'socket-name': layout.controlSocket[svc] },
    'lease-database': { type: 'memfile', persist: true, name: layout.leaseFile[svc], 'lfc-interval': 3600 },
    'hooks-libraries': [{ library: `${layout.hooksDir}/libdhcp_lease_cmds.so` }],
    loggers: [{ name: `kea-${svc}`, output_options: [{ output: layout.log[svc] }], severity: 'INFO' }],
  });
  return { dhcp4: common('dhcp4'), dhcp6: { ...common('dhcp6'), 'data-directory': layout.dataDir } };
}

/** The argument of `config-set` / `config-test` for a service: `{ "Dhcp4": { …declared, …plumbing } }`. */
export function fullConfig(service: KeaService, declared: JsonObject, plumbing: JsonObject): JsonObject {
  return { [ROOT_KEY[service]]: { ...declared, ...plumbing } };
}

/** The configuration Kea starts with before ggi has applied anything: plumbing, no interfaces, no subnets. */
export function emptyConfig(service: KeaService, layout: KeaLayout): JsonObject {
  const declared: JsonObject = { 'interfaces-config': { interfaces: [] }, [service === 'dhcp4' ? 'subnet4' : 'subnet6']: [] };
  return fullConfig(service, declared, keaPlumbing(layout)[service]);
}

/**
 * A pool as Kea prints it back: a range that is exactly one CIDR block is shown as that prefix (Kea 2.2 does this for
 * both families: 203.0.113.66-203.0.113.67 comes back as 203.0.113.66/31), anything else as `first-last`. Rendering
 * it the same way keeps the candidate and the running configuration textually equal.
 */
export function poolText(family: 4 | 6, pool: { first: string; last: string }): string {
  const a = parseAddress(pool.first).value;
  const b = parseAddress(pool.last).value;
  const size = b - a + 1n;
  const bits = size > 0n && (size & (size - 1n)) === 0n ? size.toString(2).length - 1 : -1;
  if (bits >= 0 && a % size === 0n) return `${formatAddress(family, a)}/${(family === 4 ? 32 : 128) - bits}`;
  return `${formatAddress(family, a)}-${formatAddress(family, b)}`;
}

/** [first, last] of a pool written `a-b` or `prefix/len`; null when it is neither. */
export function poolRange(text: string): [bigint, bigint] | null {
  try {
    const t = text.replace(/\s+/g, '');
    if (t.includes('/')) {
      const [addr, len] = t.split('/');
      const a = parseAddress(addr);
      const host = BigInt((a.family === 4 ? 32 : 128) - Number(len));
      return [a.value, a.value + (1n << host) - 1n];
    }
    const [x, y] = t.split('-');
    return [parseAddress(x).value, parseAddress(y).value];
  } catch {
    return null;
  }
}

function unique(xs: string[]): string[] {
  return [...new Set(xs)].sort();
}
