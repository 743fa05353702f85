/**
 * From the inventory's device intents to a lab (a `LabSpec` for labUp), and the `lab` target that `ggi plan|apply|drift
 * --target lab` reads. Pure apart from reading and writing the target file.
 *
 * The lab: a namespace per device with the interfaces and addresses of its intent; a veth per point-to-point link
 * (uplinks, the KPS peering, supplier peerings); the management network from ggi.yaml `transfer.managementIpv4` with
 * each device on its management address; one LAN host per organisation (one interface per segment, default routes to
 * its CE); and one service host per service behind the KPS peer or its supplier's router, listening on the service's
 * declared ports (TCP and UDP). The KPS peer and supplier routers stand for parties outside GGI-Netwerk, so they start
 * with their rendered FRR configuration already loaded; the GGI devices start empty and are configured by `ggi apply`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { renderFrrConf } from '../devices/linux-frr/index';
import type { DeviceLayout } from '../devices/contract';
import type { DeviceIntent, InterfaceIntent } from '../intent/types';
import type { Inventory } from '../model/inventory';
import { contains, formatAddress, parseAddress, parsePrefix } from '../net';
import { writeFileAtomic } from '../util/atomic';
import { govroamLabNodes } from './govroam';
import { namespaceFor, type LabLink, type LabNode, type LabRoute, type LabService, type LabSpec } from './spec';
import type { LabState } from './state';
import { dhcpServedSegments, keaLabParts, keaTargets } from './kea';
import { socLabNodes } from './soc';

export const DEFAULT_LAB_NAME = 'ggi';
export const DEFAULT_LAB_STATE_DIR = '.ggi-state/lab';
/** Ranges bigger than this listen on their first and last port only (each port is a process). */
export const MAX_PORTS_PER_RANGE = 8;

/** A reason the inventory cannot become a lab; the message is for the user. */
export class InventoryLabError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InventoryLabError';
  }
}

export interface InventoryLabOptions {
  stateDir: string;
  /** Lab name, the prefix of every namespace (default 'ggi'). */
  name?: string;
}

/** Roles that stand for parties outside GGI-Netwerk: the lab configures them itself. */
export const EXTERNAL_ROLES: ReadonlySet<string> = new Set(['kps-peer', 'supplier-router']);

export function labSpecFromIntents(inv: Inventory, intents: readonly DeviceIntent[], opts: InventoryLabOptions): LabSpec {
  const name = opts.name ?? DEFAULT_LAB_NAME;
  const mgmtPool = inv.settings.transfer.managementIpv4;
  if (!mgmtPool) throw new InventoryLabError('ggi.yaml has no transfer.managementIpv4: the lab needs it for the management network');
  const problems: string[] = [];
  const nodes: LabNode[] = [];
  const links: LabLink[] = [];
  const all = [...intents].sort((a, b) => cmp(a.id, b.id));
  // DHCP appliances are host namespaces running their server, made below with their visitor segments (src/lab/kea.ts).
  const sorted = all.filter((i) => i.role !== 'dhcp');
  const byId = new Map(sorted.map((i) => [i.id, i]));

  for (const d of sorted) {
    const mgmt = parseAddress(d.management.address);
    if (mgmt.family !== 4 || !contains(parsePrefix(mgmtPool, { strict: false }), { family: 4, addr: mgmt.value, len: 32 })) {
      problems.push(`device '${d.id}': management address ${d.management.address} is not inside transfer.managementIpv4 ${mgmtPool}`);
    }
    const external = EXTERNAL_ROLES.has(d.role);
    nodes.push({
      id: d.id,
      kind: 'router',
      namespace: namespaceFor(name, d.id),
      mgmtAddress: d.management.address,
      frr: Boolean(d.bgp),
      sshd: true,
      ...(external && d.bgp ? { frrConfig: renderFrrConf(d) } : {}),
      meta: { role: d.role, platform: d.platform, organisation: d.organisation ?? null, service: null },
    });
  }

  // Point-to-point links, once per pair (the side whose (device, interface) sorts first is `a`).
  const seen = new Set<string>();
  for (const d of sorted) {
    for (const i of d.interfaces) {
      if (!i.peer) continue;
      const here = `${d.id}\0${i.name}`;
      const there = `${i.peer.device}\0${i.peer.interface}`;
      const key = here < there ? `${here}\0${there}` : `${there}\0${here}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const other = byId.get(i.peer.device);
      if (!other) {
        problems.push(`device '${d.id}' interface ${i.name}: peer device '${i.peer.device}' has no intent`);
        continue;
      }
      links.push({ a: { node: d.id, ifname: i.name, addresses: i.addresses }, b: { node: other.id, ifname: i.peer.interface, addresses: i.peer.addresses } });
    }
  }

  // One LAN host per organisation: an interface per LAN segment the organisation has on its CE.
  const lanByOrg = new Map<string, Array<{ ce: DeviceIntent; itf: InterfaceIntent }>>();
  // Segments served by a DHCP appliance join it and a visitor namespace instead (src/lab/kea.ts).
  const served = dhcpServedSegments(inv);
  for (const d of sorted) {
    if (d.role !== 'ce') continue;
    for (const i of d.interfaces) {
      if (i.kind !== 'lan' || !i.organisation || i.service || served.has(`${i.organisation}\0${i.segment}`)) continue;
      const list = lanByOrg.get(i.organisation) ?? [];
      list.push({ ce: d, itf: i });
      lanByOrg.set(i.organisation, list);
    }
  }
  for (const org of [...lanByOrg.keys()].sort()) {
    const id = `lan-${org.toLowerCase()}`;
    const ends = lanByOrg.get(org)!;
    // A CE pair has each LAN on both CEs (the second on the next address): the host joins each CE on its own link, with
    // addresses after the CEs' (one per link); its routes use the first CE (the lab runs no gateway protocol).
    const last = new Map<string, string[]>();
    for (const { itf } of ends) last.set(itf.name, itf.addresses.map((a, k) => higher(a, last.get(itf.name)?.[k])));
    const taken = new Map<string, number>();
    ends.forEach(({ ce, itf }, n) => {
      const k = taken.get(itf.name) ?? 0;
      taken.set(itf.name, k + 1);
      links.push({ a: { node: ce.id, ifname: itf.name, addresses: itf.addresses }, b: { node: id, ifname: `eth${n}`, addresses: last.get(itf.name)!.map((a) => hostSide(a, k)) } });
    });
    nodes.push({ id, kind: 'host', namespace: namespaceFor(name, id), routes: lanRoutes(ends.map((e) => e.itf), inv.services), meta: { organisation: org, service: null } });
  }

  // One service host per service interface on the KPS peer or a supplier router.
  const services = new Map(inv.services.map((s) => [s.name, s]));
  for (const d of sorted) {
    for (const i of d.interfaces) {
      if (!i.service) continue;
      const svc = services.get(i.service);
      if (!svc) continue;
      const id = `svc-${i.service}`;
      const routes: LabRoute[] = [];
      addDefaults(routes, i.addresses);
      links.push({ a: { node: d.id, ifname: i.name, addresses: i.addresses }, b: { node: id, ifname: 'eth0', addresses: i.addresses.map((a) => hostSide(a)) } });
      nodes.push({
        id,
        kind: 'host',
        namespace: namespaceFor(name, id),
        routes,
        services: listensOf(svc.listens),
        meta: { organisation: svc.provider === 'kps' ? null : svc.provider, service: svc.name },
      });
    }
  }

  // govroam: the national proxies, each IdP's home server and each SP's access point (src/lab/govroam.ts).
  const gv = govroamLabNodes(inv, all, name, mgmtPool);
  nodes.push(...gv.nodes);
  links.push(...gv.links);
  const kea = keaLabParts(inv, all, name);
  nodes.push(...kea.nodes);
  links.push(...kea.links);
  // GGI-Veilig: the SOC's collectors and log receivers on the management network (src/lab/soc.ts).
  nodes.push(...socLabNodes(inv, name));

  if (problems.length > 0) throw new InventoryLabError(`the inventory cannot become a lab:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  return { name, stateDir: opts.stateDir, nodes, links, mgmt: { bridgeV4: mgmtPool } };
}

/** The later of two router addresses in one prefix (same family and length), by address. */
function higher(a: string, b: string | undefined): string {
  if (!b) return a;
  return parseAddress(a.split('/')[0]).value >= parseAddress(b.split('/')[0]).value ? a : b;
}

/** The host's address in a router's LAN or service prefix: the one after the router's (which is the first usable). */
function hostSide(routerCidr: string, after = 0): string {
  const [addr, len] = routerCidr.split('/');
  const a = parseAddress(addr);
  return `${formatAddress(a.family, a.value + 1n + BigInt(after))}/${len}`;
}

/**
 * Routes of a LAN host with several segments. Traffic must leave from the segment whose addresses belong to the
 * destination's zone (the policy allows by source), so: each service's prefixes via the segment in the service's zone,
 * and the default via an overheid segment (else a zoned one, else the first). The kernel then picks the source address
 * of the outgoing segment, so flows work without binding a source.
 */
function lanRoutes(ends: readonly InterfaceIntent[], services: Inventory['services']): LabRoute[] {
  const rank = (i: InterfaceIntent) => (i.zone === 'overheid' ? 0 : i.zone ? 1 : 2);
  const preferred = [...ends].sort((a, b) => rank(a) - rank(b));
  const routes: LabRoute[] = [];
  for (const e of preferred) addDefaults(routes, e.addresses);
  const gwOf = (e: InterfaceIntent, v6: boolean) => e.addresses.find((c) => c.includes(':') === v6)?.split('/')[0];
  for (const svc of [...services].sort((a, b) => cmp(a.name, b.name))) {
    const end = preferred.find((e) => e.zone === svc.zone);
    if (!end) continue;
    for (const p of svc.prefixes) {
      const v6 = p.includes(':');
      const via = gwOf(end, v6);
      const dflt = routes.find((r) => r.dst === 'default' && r.via.includes(':') === v6);
      if (via && dflt?.via !== via && !routes.some((r) => r.dst === p)) routes.push({ dst: p, via });
    }
  }
  return routes;
}

function addDefaults(routes: LabRoute[], routerCidrs: readonly string[]): void {
  for (const fam of [4, 6] as const) {
    if (routes.some((r) => r.dst === 'default' && r.via.includes(':') === (fam === 6))) continue;
    const c = routerCidrs.find((x) => x.includes(':') === (fam === 6));
    if (c) routes.push({ dst: 'default', via: c.split('/')[0] });
  }
}

/** Declared ports as single listeners: ranges up to MAX_PORTS_PER_RANGE fully, longer ones at both ends. */
export function listensOf(listens: ReadonlyArray<{ proto: 'tcp' | 'udp'; ports: ReadonlyArray<number | string> }>): LabService[] {
  const out: LabService[] = [];
  const add = (proto: 'tcp' | 'udp', port: number) => {
    if (port >= 1 && port <= 65535 && !out.some((s) => s.proto === proto && s.port === port)) out.push({ proto, port });
  };
  for (const l of listens) {
    for (const p of l.ports) {
      if (typeof p === 'number') {
        add(l.proto, p);
        continue;
      }
      const [lo, hi] = p.split('-').map(Number);
      const top = hi ?? lo;
      if (top - lo + 1 <= MAX_PORTS_PER_RANGE) for (let x = lo; x <= top; x++) add(l.proto, x);
      else {
        add(l.proto, lo);
        add(l.proto, top);
      }
    }
  }
  return out.sort((a, b) => cmp(a.proto, b.proto) || a.port - b.port);
}

// ---- the `lab` target ---------------------------------------------------------------------------------------------

export const LAB_TARGET_FILE = 'target.json';

/** One device of the lab as the reconciler reaches it. */
export interface LabTargetDevice {
  id: string;
  role: string;
  /** Management address and SSH port (sshd inside the device's namespace). */
  address: string;
  port: number;
  /** The lab's sshd accepts only root with the controller key. */
  user: string;
  /** Pinned host key fingerprint, `SHA256:…` as ssh-keygen -lf prints it. */
  hostKey: string;
  /** The host key itself, `ssh-ed25519 AAAA…` (ssh2's hostVerifier can compare the raw key blob). */
  hostKeyLine: string;
  /** The controller's private key file. */
  privateKey: string;
  namespace: string;
  /** FRR pathspace of the device (= namespace): see `labDeviceLayout`. */
  pathspace: string;
  /** ggi's state folder on the device (lock, rollback point): in the device's runtime folder, removed by `ggi lab down`. */
  stateDir?: string;
}

/** An appliance driven through an HTTP API (a Kea Control Agent): address, port, user and the per-lab password file. */
export interface LabTargetApi {
  id: string;
  role: string;
  address: string;
  port: number;
  user: string;
  /** Owner-only file holding the API password (generated for each lab). */
  passwordFile: string;
  namespace: string;
  /** Where the driver keeps the appliance's files apart from the other appliances on this machine. */
  pathspace: string;
}

export interface LabTarget {
  version: 1;
  name: 'lab';
  /** The inventory and profile the lab was built from. */
  inventory: string;
  profile: string;
  stateDir: string;
  devices: LabTargetDevice[];
  /** API appliances (absent in targets written before they existed). */
  apis?: LabTargetApi[];
}

/** The target from the lab's state: every router with sshd. Pure. */
export function labTargetFromState(state: LabState, from: { inventory: string; profile: string }): LabTarget {
  const devices: LabTargetDevice[] = [];
  for (const n of state.nodes) {
    if (n.kind !== 'router' || !n.sshd || !n.sshd.hostKey || !n.sshd.hostKeySha256 || !state.controllerKey) continue;
    devices.push({
      id: n.id,
      role: String(n.meta.role ?? ''),
      address: n.sshd.address,
      port: n.sshd.port,
      user: 'root',
      hostKey: n.sshd.hostKeySha256,
      hostKeyLine: n.sshd.hostKey,
      privateKey: state.controllerKey.privateKeyFile,
      namespace: n.namespace,
      pathspace: n.frr?.pathspace ?? n.namespace,
      stateDir: `/var/run/frr/${n.frr?.pathspace ?? n.namespace}/ggi`,
    });
  }
  const apis: LabTargetApi[] = keaTargets(state).map((k) => {
    const { file } = k.password as { file: string };
    return { id: k.id, role: 'dhcp', address: k.address, port: k.port, user: k.user, passwordFile: file, namespace: k.namespace, pathspace: k.namespace };
  });
  return { version: 1, name: 'lab', inventory: from.inventory, profile: from.profile, stateDir: state.stateDir, devices, apis };
}

export function labTargetPath(stateDir: string): string {
  return path.join(stateDir, LAB_TARGET_FILE);
}

export function writeLabTarget(stateDir: string, target: LabTarget): void {
  writeFileAtomic(labTargetPath(stateDir), `${JSON.stringify(target, null, 2)}\n`, 0o600);
}

/**
 * Reads the `lab` target written by `ggi lab up`: null when there is none (the lab is not up); an
 * InventoryLabError with the path when the file is unreadable or not a target.
 */
export function readLabTarget(stateDir: string = DEFAULT_LAB_STATE_DIR): LabTarget | null {
  const file = labTargetPath(stateDir);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new InventoryLabError(`cannot read the lab target ${file}: ${(e as Error).message}`);
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new InventoryLabError(`${file} is not valid JSON; run 'ggi lab down' and 'ggi lab up' again`);
  }
  const t = v as Partial<LabTarget>;
  if (t?.version !== 1 || t.name !== 'lab' || !Array.isArray(t.devices)) {
    throw new InventoryLabError(`${file} is not a ggi lab target (version 1); run 'ggi lab down' and 'ggi lab up' again`);
  }
  return t as LabTarget;
}

/** Where a lab device's driver keeps its files: apart from the other devices on this machine, by pathspace. */
export function labDeviceLayout(d: Pick<LabTargetDevice, 'pathspace'>): Pick<DeviceLayout, 'pathspace'> {
  return { pathspace: d.pathspace };
}

export function removeLabTarget(stateDir: string): void {
  fs.rmSync(labTargetPath(stateDir), { force: true });
  fs.rmSync(`${labTargetPath(stateDir)}.tmp`, { force: true });
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
