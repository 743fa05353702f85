/**
 * Kea's native candidate from a DHCP intent: the complete `Dhcp4` and `Dhcp6` documents that `config-set` loads (Kea
 * replaces the whole configuration, so the candidate carries everything the server needs to keep running: its control
 * socket, lease database and hook libraries). Pure: same intent and layout, same JSON, keys in a stable order.
 *
 * Kea 2.2 reference (Kea Administrator Reference Manual): DHCPv4 "subnet4", "pools", "option-data" (routers); DHCPv6
 * "subnet6"; "control-socket" (unix); "lease-database" memfile; the lease_cmds hook for `lease4-get-all`.
 */
import type { DhcpIntent, DhcpSubnet } from '../../intent/dhcp';

/** Where Kea keeps its files on the appliance; the lab passes per-namespace folders. */
export interface KeaLayout {
  controlSocket4: string;
  controlSocket6: string;
  leaseFile4: string;
  leaseFile6: string;
  /** DHCPv6 server id (DUID) and other state. */
  dataDir: string;
  hooksDir: string;
  /** Log files of the two daemons. */
  log4: string;
  log6: string;
  /** The files the daemons were started with: `config-write` writes here. */
  config4: string;
  config6: string;
}

/** Debian's kea-dhcp4-server / kea-dhcp6-server layout. */
export const KEA_DEBIAN_LAYOUT: KeaLayout = {
  controlSocket4: '/run/kea/kea4-ctrl-socket',
  controlSocket6: '/run/kea/kea6-ctrl-socket',
  leaseFile4: '/var/lib/kea/kea-leases4.csv',
  leaseFile6: '/var/lib/kea/kea-leases6.csv',
  dataDir: '/var/lib/kea',
  hooksDir: '/usr/lib/x86_64-linux-gnu/kea/hooks',
  log4: '/var/log/kea/kea-dhcp4.log',
  log6: '/var/log/kea/kea-dhcp6.log',
  config4: '/etc/kea/kea-dhcp4.conf',
  config6: '/etc/kea/kea-dhcp6.conf',
};

export interface KeaTimers {
  /** Lease lifetime in seconds (default 3600: a visitor's laptop moves on within the hour). */
  validLifetime: number;
}

export const KEA_DEFAULT_TIMERS: KeaTimers = { validLifetime: 3600 };

/** The two services of a Kea appliance, as the Control Agent names them. */
export type KeaService = 'dhcp4' | 'dhcp6';
export const KEA_SERVICES: readonly KeaService[] = ['dhcp4', 'dhcp6'];

/** A JSON value (Kea's configuration is plain JSON). */
export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** The candidate: the argument of `config-set` per service (`{ "Dhcp4": … }`, `{ "Dhcp6": … }`). */
export interface KeaCandidate {
  dhcp4: { Dhcp4: { [k: string]: Json } };
  dhcp6: { Dhcp6: { [k: string]: Json } };
}

const MARK = { 'managed-by': 'ggi', note: 'generated from the inventory by ggi; changes made here are drift and are undone by ggi apply' };

export function renderKea(intent: DhcpIntent, layout: KeaLayout = KEA_DEBIAN_LAYOUT, timers: KeaTimers = KEA_DEFAULT_TIMERS): KeaCandidate {
  const v4 = intent.subnets.filter((s) => s.family === 4);
  const v6 = intent.subnets.filter((s) => s.family === 6);
  const lifetimes = {
    'valid-lifetime': timers.validLifetime,
    'renew-timer': Math.floor(timers.validLifetime / 2),
    'rebind-timer': Math.floor((timers.validLifetime * 7) / 8),
  };
  const hooks = (lib: string) => [{ library: `${layout.hooksDir}/${lib}` }];
  const dhcp4: { [k: string]: Json } = {
    'user-context': { ...MARK, device: intent.id },
    'interfaces-config': { interfaces: unique(v4.map((s) => s.interface)) },
    'control-socket': { 'socket-type': 'unix', 'socket-name': layout.controlSocket4 },
    'lease-database': { type: 'memfile', persist: true, name: layout.leaseFile4, 'lfc-interval': 3600 },
    'hooks-libraries': hooks('libdhcp_lease_cmds.so'),
    // The only server on its segments: answer a client that asks for an address from elsewhere with a NAK at once.
    authoritative: true,
    ...lifetimes,
    subnet4: v4.map(subnet4),
    // Declared empty so that anything added there by hand is drift.
    'shared-networks': [],
    'option-data': [],
    'option-def': [],
    loggers: [logger('kea-dhcp4', layout.log4)],
  };
  const dhcp6: { [k: string]: Json } = {
    'user-context': { ...MARK, device: intent.id },
    'interfaces-config': { interfaces: unique(v6.map((s) => s.interface)) },
    'control-socket': { 'socket-type': 'unix', 'socket-name': layout.controlSocket6 },
    'lease-database': { type: 'memfile', persist: true, name: layout.leaseFile6, 'lfc-interval': 3600 },
    'hooks-libraries': hooks('libdhcp_lease_cmds.so'),
    'data-directory': layout.dataDir,
    ...lifetimes,
    'preferred-lifetime': Math.floor((timers.validLifetime * 3) / 4),
    subnet6: v6.map(subnet6),
    'shared-networks': [],
    'option-data': [],
    'option-def': [],
    loggers: [logger('kea-dhcp6', layout.log6)],
  };
  return { dhcp4: { Dhcp4: dhcp4 }, dhcp6: { Dhcp6: dhcp6 } };
}

function subnet4(s: DhcpSubnet): { [k: string]: Json } {
  return {
    id: s.id,
    subnet: s.subnet,
    interface: s.interface,
    pools: [{ pool: `${s.pool.first}-${s.pool.last}` }],
    'option-data': s.router ? [{ name: 'routers', data: s.router }] : [],
    'user-context': { organisation: s.organisation, segment: s.segment },
  };
}

function subnet6(s: DhcpSubnet): { [k: string]: Json } {
  return {
    id: s.id,
    subnet: s.subnet,
    interface: s.interface,
    pools: [{ pool: `${s.pool.first}-${s.pool.last}` }],
    'user-context': { organisation: s.organisation, segment: s.segment },
  };
}

function logger(name: string, file: string): { [k: string]: Json } {
  return { name, output_options: [{ output: file }], severity: 'INFO' };
}

function unique(xs: string[]): string[] {
  return [...new Set(xs)].sort();
}

/** The subnets (id, CIDR, pools) a configuration declares, per family: what verification looks for on the server. */
export function declaredSubnets(config: Json, family: 4 | 6): Array<{ id: number; subnet: string; pools: string[] }> {
  const root = obj(obj(config)?.[family === 4 ? 'Dhcp4' : 'Dhcp6']);
  const list = root?.[family === 4 ? 'subnet4' : 'subnet6'];
  if (!Array.isArray(list)) return [];
  return list.map((s) => {
    const o = obj(s) ?? {};
    const pools = Array.isArray(o.pools) ? o.pools.map((p) => String(obj(p)?.pool ?? '').replace(/\s+/g, '')) : [];
    return { id: Number(o.id), subnet: String(o.subnet), pools };
  });
}

function obj(v: Json | undefined): { [k: string]: Json } | null {
  return v && typeof v === 'object' && !Array.isArray(v) ? v : null;
}
