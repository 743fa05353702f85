import type { Finding } from '../model/finding';
import { indexInventory, type Device, type Inventory, type Organisation } from '../model/inventory';
import { formatPrefix, parsePrefix, type Prefix } from '../net';
import { proxyIntentFor, type RadiusIntent } from '../govroam/intent';
import { defaultDeps, type IntentDeps, type KpsRouting } from './deps';
import { detectionFor } from './detection';
import { buildDhcpIntents } from './dhcp';
import { BORDER_ROLE, internetCategoryPrefixes, newDraft, type DeviceDraft, type Fleet, type Link } from './fleet';
import { chooseRouterId, mgmtInterface } from './interfaces';
import { ifName } from './names';
import { cmp, sortPrefixes, uniq } from './prefix-lists';
import { buildBorder } from './roles/border';
import { buildCe } from './roles/ce';
import { buildDhcp } from './roles/dhcp';
import { buildKpsPeer } from './roles/kps-peer';
import { buildSupplierRouter } from './roles/supplier-router';
import { telemetryFindings, telemetryFor } from './telemetry';
import { allocateTransfers, linkKey, TransferPoolExhausted, type TransferNet } from './transfer';
import type { BgpIntent, DeviceIntent, IntentZone, NftDeviceInput, StaticRoute } from './types';

/**
 * Builds one DeviceIntent per device from the inventory. Pure and deterministic: the same inventory gives the same
 * intents, byte for byte, and every number (transfer networks, interface names, list names) comes from stable keys
 * (device ids, organisation ids, service names), never from the order in which things are iterated.
 *
 * Topology (docs/design.md): each CE has one uplink per joined zone to that zone's border; border-overheid peers with
 * the KPS peer; border-markt peers with every supplier router. The zones meet nowhere. What each role adds to its
 * device is in ./roles/ (one builder per role); this file builds the fleet they share and finishes every device.
 */

/** One builder per role; a radius device gets only its management interface and packet filter. */
const ROLE_BUILDERS: Record<Device['role'], (f: Fleet, x: DeviceDraft) => void> = {
  ce: buildCe,
  'border-overheid': buildBorder,
  'border-markt': buildBorder,
  'kps-peer': buildKpsPeer,
  'supplier-router': buildSupplierRouter,
  radius: () => undefined,
  dhcp: buildDhcp,
};

export interface BuildIntentsOptions {
  /** Replace domain-module functions (tests); unspecified ones come from the real modules. */
  deps?: Partial<IntentDeps>;
  /** The day against which detection rules expire (default: now). */
  now?: Date;
}

export interface BuildIntentsResult {
  intents: DeviceIntent[];
  findings: Finding[];
}

export function buildIntents(inv: Inventory, opts: BuildIntentsOptions = {}): BuildIntentsResult {
  const deps = resolveDeps(opts.deps);
  const findings: Finding[] = [];
  const idx = indexInventory(inv);
  const s = inv.sources;
  const settings = inv.settings;

  const devices = [...idx.devices.values()].sort((x, y) => cmp(x.id, y.id));
  const byRole = (role: Device['role']) => devices.filter((d) => d.role === role);

  // Every border of a zone (two for redundancy: DOMAIN.md §2.3); the first (by id) is active, the others stand by.
  const borders: Record<IntentZone, Device[]> = { overheid: byRole(BORDER_ROLE.overheid), markt: byRole(BORDER_ROLE.markt) };
  const kpsPeers = byRole('kps-peer');
  const supplierRouters = byRole('supplier-router');

  // CE device -> the organisation whose connection point it terminates (both CEs of a CE pair).
  const ceOrg = new Map<string, Organisation>();
  for (const o of [...idx.orgs.values()].sort((x, y) => cmp(x.id, y.id))) {
    const cp = o.connectionPoint;
    if (!cp) continue;
    for (const [id, field] of [[cp.device, 'device'], ...(cp.secondDevice !== undefined && cp.secondDevice !== cp.device ? [[cp.secondDevice, 'secondDevice']] : [])] as Array<[string, string]>) {
      const d = idx.devices.get(id);
      if (!d) {
        findings.push(s.error('INTENT_UNKNOWN_DEVICE', `connection point of ${o.id} names device '${id}', which is not in the inventory`, o.loc, ['connectionPoint', field]));
        continue;
      }
      if (d.role !== 'ce') {
        findings.push(s.error('INTENT_DEVICE_ROLE', `connection point of ${o.id} names device '${d.id}', whose role is ${d.role}, not ce`, o.loc, ['connectionPoint', field]));
        continue;
      }
      if (ceOrg.has(d.id)) {
        findings.push(s.error('INTENT_SHARED_CE', `device '${d.id}' terminates the connection points of both ${ceOrg.get(d.id)!.id} and ${o.id}; one CE serves one connection point`, o.loc, ['connectionPoint', field]));
        continue;
      }
      ceOrg.set(d.id, o);
    }
  }
  /** A device's place in its redundant group (0: active): the border among its zone's, the KPS peer among the KPS peers, the CE in its pair. */
  const standbyRank = (d: Device): number => {
    if (d.role === 'ce') return ceOrg.get(d.id)?.connectionPoint?.secondDevice === d.id ? 1 : 0;
    if (d.role === 'kps-peer') return Math.max(0, kpsPeers.indexOf(d));
    if (d.role === 'border-overheid' || d.role === 'border-markt') return Math.max(0, byRole(d.role).indexOf(d));
    return 0;
  };
  // ---- links ------------------------------------------------------------------------------------------------------
  // Each CE has an uplink to every border of every zone it joins (the first border's is `up-<zone>`, the next ones
  // `up-<zone>-2` …); every border-overheid peers with every KPS peer, every border-markt with every supplier router;
  // the KPS peers are joined by the KPS's own link between its data centres (from the first to each other one).
  const links: Link[] = [];
  for (const d of byRole('ce')) {
    const o = ceOrg.get(d.id);
    if (!o) continue;
    for (const z of uniq(o.connectionPoint!.zones)) {
      if (!borders[z].length) {
        findings.push(s.error('INTENT_NO_BORDER', `${o.id} joins zone ${z} but the inventory has no ${BORDER_ROLE[z]} device`, o.loc, ['connectionPoint', 'zones']));
        continue;
      }
      borders[z].forEach((b, r) => {
        links.push({ key: linkKey(b.id, d.id), zone: z, a: { device: b.id, iface: ifName('d-', d.id) }, b: { device: d.id, iface: r === 0 ? `up-${z}` : `up-${z}-${r + 1}` } });
      });
    }
  }
  if (borders.overheid.length) {
    for (const b of borders.overheid) for (const k of kpsPeers) links.push({ key: linkKey(b.id, k.id), zone: 'overheid', a: { device: b.id, iface: ifName('k-', k.id) }, b: { device: k.id, iface: ifName('p-', b.id) } });
    for (const k of kpsPeers.slice(1)) links.push({ key: linkKey(kpsPeers[0].id, k.id), zone: 'overheid', a: { device: kpsPeers[0].id, iface: ifName('i-', k.id) }, b: { device: k.id, iface: ifName('i-', kpsPeers[0].id) } });
  } else if (kpsPeers.length > 0) {
    findings.push(s.error('INTENT_NO_BORDER', `device '${kpsPeers[0].id}' is a KPS peer but the inventory has no border-overheid device`, kpsPeers[0].loc, ['role']));
  }
  if (borders.markt.length) {
    for (const b of borders.markt) for (const r of supplierRouters) links.push({ key: linkKey(b.id, r.id), zone: 'markt', a: { device: b.id, iface: ifName('s-', r.id) }, b: { device: r.id, iface: ifName('p-', b.id) } });
  } else if (supplierRouters.length > 0) {
    findings.push(s.error('INTENT_NO_BORDER', `device '${supplierRouters[0].id}' is a supplier router but the inventory has no border-markt device`, supplierRouters[0].loc, ['role']));
  }

  let nets: Map<string, TransferNet> = new Map();
  try {
    nets = allocateTransfers(
      links.map((l) => l.key),
      parsePrefix(settings.transfer.ipv4, { family: 4 }),
      parsePrefix(settings.transfer.ipv6, { family: 6 }),
    );
  } catch (e) {
    if (!(e instanceof TransferPoolExhausted)) throw e;
    findings.push(s.error('INTENT_TRANSFER_POOL', `${e.message}: enlarge transfer.ipv4 / transfer.ipv6 in ggi.yaml`, settings.loc, ['transfer']));
    return { intents: [], findings };
  }
  for (const l of links) l.net = nets.get(l.key);
  const linksOf = (deviceId: string) => links.filter((l) => l.net && (l.a.device === deviceId || l.b.device === deviceId));

  // ---- shared routing data ----------------------------------------------------------------------------------------
  let kps: KpsRouting | null = null;
  const needKps = borders.overheid.length > 0 || kpsPeers.length > 0;
  if (needKps) kps = deps.kpsRoutingPolicy(inv);
  const allowDefault = settings.diginetwerk.allowDefaultRoute;
  const internetPrefixes = internetCategoryPrefixes(inv);

  /** Everything a CE or supplier may legitimately send; also bounds what a border passes on (issue 5: max-prefix). */
  const zoneBound = settings.diginetwerk.maxPrefixFromKps + settings.diginetwerk.maxPrefixToKps;

  const ceAnn = new Map<string, Prefix[]>();
  const announcementsOf = (o: Organisation, z: IntentZone): Prefix[] => {
    const key = `${o.id}|${z}`;
    let v = ceAnn.get(key);
    if (!v) {
      v = sortPrefixes(deps.ceAnnouncements(inv, o.id, z));
      ceAnn.set(key, v);
    }
    return v;
  };

  // Services per hosting router: KPS services on the (first) KPS peer, supplier services on the supplier's first router.
  const servicesOn = new Map<string, typeof inv.services>();
  const servicesSorted = [...idx.services.values()].sort((x, y) => cmp(x.name, y.name));
  for (const v of servicesSorted) {
    let host: Device | undefined;
    if (v.provider === 'kps') host = v.zone === 'overheid' ? kpsPeers[0] : undefined;
    else host = supplierRouters.find((r) => r.organisation === v.provider);
    if (!host) continue;
    const list = servicesOn.get(host.id) ?? [];
    list.push(v);
    servicesOn.set(host.id, list);
  }
  const supplierPrefixes = (r: Device): Prefix[] => {
    const out: Prefix[] = [];
    for (const v of servicesSorted) if (v.zone === 'markt' && v.provider === r.organisation && r.organisation) out.push(...v.prefixes.map((p) => parsePrefix(p, { strict: false })));
    // A supplier with its own connection point announces its other markt space through its CE; its router then carries
    // only the services (longest match sends service traffic to the router, the rest to the CE).
    const org = r.organisation ? idx.orgs.get(r.organisation) : undefined;
    if (r.organisation && !org?.connectionPoint) out.push(...deps.addressesInZone(inv, r.organisation, 'markt'));
    return sortPrefixes(out);
  };

  const servicePrefixes = servicesSorted.flatMap((v) => v.prefixes.map((p) => parsePrefix(p, { strict: false })));

  // ---- packet filters ------------------------------------------------------------------------------------------------
  const filters = deps.prepareFilters(inv);
  findings.push(...filters.findings);

  // DHCP appliances: what each serves (its findings are `ggi validate`'s dhcp group, not repeated here).
  const dhcpSubnets = new Map(buildDhcpIntents(inv).intents.map((i) => [i.id, i.subnets]));

  const fleet: Fleet = { inv, idx, deps, findings, borders, standbyRank, ceOrg, linksOf, kps, allowDefault, internetPrefixes, zoneBound, announcementsOf, servicesOn, supplierPrefixes, servicePrefixes, dhcpSubnets };

  // ---- per device -----------------------------------------------------------------------------------------------------
  findings.push(...telemetryFindings(inv));
  const intents: DeviceIntent[] = [];
  const detection = detectionFor(inv, opts.now ?? new Date());
  for (const d of devices) {
    const x = newDraft(d, mgmtInterface(inv, d));
    ROLE_BUILDERS[d.role](fleet, x);
    intents.push(detection(finishDevice(fleet, x, filters.compile)));
  }
  return { intents, findings };
}

/** What every device gets whatever its role: unique interface names, anchors for its prefixes, BGP, its packet filter. */
function finishDevice(f: Fleet, x: DeviceDraft, compile: (input: NftDeviceInput) => DeviceIntent['filter']): DeviceIntent {
  const { inv, findings } = f;
  const { d, interfaces, neighbors, lists, originate, localAsn } = x;
  const s = inv.sources;
  const staticRoutes: StaticRoute[] = [];
  const names = new Set<string>();
  for (const i of interfaces) {
    if (names.has(i.name)) findings.push(s.error('INTENT_INTERFACE_NAME_CLASH', `two interfaces of '${d.id}' would both be named '${i.name}'; rename a segment, service or device`, d.loc));
    names.add(i.name);
  }

  const origin = sortPrefixes(originate);
  const reached = new Set(x.nextHops.map((r) => r.prefix));
  for (const p of origin) if (!reached.has(formatPrefix(p))) staticRoutes.push({ prefix: formatPrefix(p), via: 'blackhole' });
  staticRoutes.push(...x.nextHops);

  let bgp: BgpIntent | undefined;
  const routes = d.role !== 'radius' && d.role !== 'dhcp';
  if (routes && localAsn !== undefined) {
    const routerId = chooseRouterId(d, interfaces);
    if (!routerId) {
      findings.push(s.error('INTENT_ROUTER_ID', `device '${d.id}' has no IPv4 address to use as BGP router-id; set routerId`, d.loc));
    } else {
      bgp = {
        localAsn,
        routerId,
        originate: { ipv4: origin.filter((p) => p.family === 4).map(formatPrefix), ipv6: origin.filter((p) => p.family === 6).map(formatPrefix) },
        neighbors: neighbors.sort((x, y) => cmp(x.peerDevice, y.peerDevice) || x.family - y.family),
        prefixLists: lists.sort((x, y) => cmp(x.name, y.name)),
        // BFD on every BGP session (ggi.yaml resilience.bfd; 100 ms x 3 by default): failover in well under a second.
        bfd: { profile: 'ggi', intervalMs: inv.settings.resilience?.bfd?.intervalMs ?? 100, multiplier: inv.settings.resilience?.bfd?.multiplier ?? 3 },
      };
    }
  } else if (routes && d.role !== 'ce') {
    const why = d.role === 'supplier-router' ? '; border-markt cannot peer with it (eBGP needs the supplier\'s ASN)' : '';
    findings.push(s.error('INTENT_ASN_MISSING', `device '${d.id}' (${d.role}) has no asn${why}`, d.loc));
  }

  let filter: DeviceIntent['filter'];
  try {
    // A DHCP appliance runs no ruleset of ggi's: it sits on the segments it serves, behind their CE's filter.
    if (d.role !== 'dhcp') {
      const filterInput: NftDeviceInput = {
        deviceId: d.id,
        role: d.role,
        ...(d.organisation ? { organisation: d.organisation } : {}),
        interfaces: interfaces.map((i) => ({ name: i.name, kind: i.kind, ...(i.zone ? { zone: i.zone } : {}), ...(i.organisation ? { organisation: i.organisation } : {}) })),
      };
      filter = compile(filterInput);
    }
  } catch (e) {
    // The policy engine refuses inputs it cannot compile (e.g. an unknown organisation); that is an inventory
    // problem to report, not a crash.
    findings.push(s.error('INTENT_POLICY_COMPILE', `the packet filter of '${d.id}' cannot be compiled: ${e instanceof Error ? e.message : String(e)}`, d.loc));
  }
  return {
    id: d.id,
    role: d.role,
    platform: d.platform,
    managed: d.managed,
    ...(d.organisation ? { organisation: d.organisation } : {}),
    management: {
      address: d.management.address,
      port: d.management.port,
      user: d.management.user,
      ...(d.management.hostKey ? { hostKey: d.management.hostKey } : {}),
      ...(d.management.privateKey ? { privateKey: d.management.privateKey } : {}),
      ...(d.management.password ? { password: d.management.password } : {}),
    },
    interfaces,
    ...(bgp ? { bgp } : {}),
    ...radiusPart(inv, d),
    ...(x.dhcp ? { dhcp: x.dhcp } : {}),
    staticRoutes,
    ...(filter ? { filter } : {}),
    ...telemetryPart(inv, d, f.ceOrg.get(d.id)?.id ?? d.organisation, interfaces),
  };
}

/** GGI-Veilig: what a CE or border sends to the SOC (./telemetry.ts). */
function telemetryPart(inv: Inventory, d: Device, organisation: string | undefined, interfaces: DeviceIntent['interfaces']): { telemetry?: DeviceIntent['telemetry'] } {
  const t = telemetryFor(inv, d, organisation, interfaces);
  return t ? { telemetry: t } : {};
}

/** The govroam part of a RADIUS server's intent: the participant whose radsecproxy it runs. */
function radiusPart(inv: Inventory, d: Device): { radius?: RadiusIntent } {
  const r = d.role === 'radius' ? proxyIntentFor(inv, d.id) : null;
  return r ? { radius: r } : {};
}

function resolveDeps(partial: Partial<IntentDeps> | undefined): IntentDeps {
  const p = partial ?? {};
  if (p.addressesInZone && p.ceAnnouncements && p.kpsRoutingPolicy && p.prepareFilters) return p as IntentDeps;
  return { ...defaultDeps(), ...p };
}
