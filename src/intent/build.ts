import type { Finding } from '../model/finding';
import { indexInventory, type Device, type Inventory, type InventoryIndex, type Organisation } from '../model/inventory';
import { contains, formatAddress, formatPrefix, isDefaultRoute, parseAddress, parsePrefix, prefixFirst, subnet, type Prefix } from '../net';
import { defaultDeps, type IntentDeps, type KpsRouting } from './deps';
import { ifName, listName } from './names';
import { allocateTransfers, linkKey, TransferPoolExhausted, type TransferNet } from './transfer';
import type {
  BgpIntent,
  BgpNeighbor,
  DeviceIntent,
  IntentZone,
  InterfaceIntent,
  ManagedFileName,
  NftDeviceInput,
  PrefixList,
  PrefixListEntry,
  StaticRoute,
} from './types';

/**
 * Builds one DeviceIntent per device from the inventory. Pure and deterministic: the same inventory gives the same
 * intents, byte for byte, and every number (transfer networks, interface names, list names) comes from stable keys
 * (device ids, organisation ids, service names), never from the order in which things are iterated.
 *
 * Topology (DESIGN.md, issue 5): each CE has one uplink per joined zone to that zone's border; border-overheid peers
 * with the KPS peer; border-markt peers with every supplier router. The zones meet nowhere.
 */

export interface BuildIntentsOptions {
  /** Replace domain-module functions (tests); unspecified ones come from the real modules. */
  deps?: Partial<IntentDeps>;
}

export interface BuildIntentsResult {
  intents: DeviceIntent[];
  findings: Finding[];
}

const ZONES: readonly IntentZone[] = ['overheid', 'markt'];
const BORDER_ROLE: Record<IntentZone, 'border-overheid' | 'border-markt'> = { overheid: 'border-overheid', markt: 'border-markt' };

interface Link {
  key: string;
  /** The side that gets the first (even) address: the border towards CEs, KPS and suppliers. */
  a: { device: string; iface: string };
  b: { device: string; iface: string };
  net?: TransferNet;
}

type RouterDevice = Device & { role: Exclude<Device['role'], 'dhcp'>; platform: 'linux-frr' };
function isRouter(d: Device): d is RouterDevice {
  return d.platform === 'linux-frr' && d.role !== 'dhcp';
}

export function buildIntents(inv: Inventory, opts: BuildIntentsOptions = {}): BuildIntentsResult {
  const deps = resolveDeps(opts.deps);
  const findings: Finding[] = [];
  const idx = indexInventory(inv);
  const s = inv.sources;
  const settings = inv.settings;

  // DHCP appliances (platform kea) route nothing and run no ruleset: src/intent/dhcp.ts builds what they serve.
  const devices = [...idx.devices.values()].filter(isRouter).sort((x, y) => cmp(x.id, y.id));
  const byRole = (role: Device['role']) => devices.filter((d) => d.role === role);

  // One border per zone; a second one is reported (redundant pairs are not modelled yet) and ignored.
  const border: Partial<Record<IntentZone, Device>> = {};
  for (const z of ZONES) {
    const list = byRole(BORDER_ROLE[z]);
    if (list.length > 0) border[z] = list[0];
    for (const extra of list.slice(1)) {
      findings.push(s.warning('INTENT_EXTRA_BORDER', `device '${extra.id}' is a second ${BORDER_ROLE[z]}; ggi uses '${list[0].id}' for zone ${z} and leaves this one without peerings`, extra.loc, ['role']));
    }
  }
  const kpsPeers = byRole('kps-peer');
  const supplierRouters = byRole('supplier-router');

  // CE device -> the organisation whose connection point it terminates.
  const ceOrg = new Map<string, Organisation>();
  for (const o of [...idx.orgs.values()].sort((x, y) => cmp(x.id, y.id))) {
    const cp = o.connectionPoint;
    if (!cp) continue;
    const d = idx.devices.get(cp.device);
    if (!d) {
      findings.push(s.error('INTENT_UNKNOWN_DEVICE', `connection point of ${o.id} names device '${cp.device}', which is not in the inventory`, o.loc, ['connectionPoint', 'device']));
      continue;
    }
    if (d.role !== 'ce') {
      findings.push(s.error('INTENT_DEVICE_ROLE', `connection point of ${o.id} names device '${d.id}', whose role is ${d.role}, not ce`, o.loc, ['connectionPoint', 'device']));
      continue;
    }
    if (ceOrg.has(d.id)) {
      findings.push(s.error('INTENT_SHARED_CE', `device '${d.id}' terminates the connection points of both ${ceOrg.get(d.id)!.id} and ${o.id}; one CE serves one connection point`, o.loc, ['connectionPoint', 'device']));
      continue;
    }
    ceOrg.set(d.id, o);
  }

  // ---- links ------------------------------------------------------------------------------------------------------
  const links: Link[] = [];
  for (const d of byRole('ce')) {
    const o = ceOrg.get(d.id);
    if (!o) continue;
    for (const z of uniq(o.connectionPoint!.zones)) {
      const b = border[z];
      if (!b) {
        findings.push(s.error('INTENT_NO_BORDER', `${o.id} joins zone ${z} but the inventory has no ${BORDER_ROLE[z]} device`, o.loc, ['connectionPoint', 'zones']));
        continue;
      }
      links.push({ key: linkKey(b.id, d.id), a: { device: b.id, iface: ifName('d-', d.id) }, b: { device: d.id, iface: `up-${z}` } });
    }
  }
  if (border.overheid) {
    for (const k of kpsPeers) links.push({ key: linkKey(border.overheid.id, k.id), a: { device: border.overheid.id, iface: ifName('k-', k.id) }, b: { device: k.id, iface: ifName('p-', border.overheid.id) } });
  } else if (kpsPeers.length > 0) {
    findings.push(s.error('INTENT_NO_BORDER', `device '${kpsPeers[0].id}' is a KPS peer but the inventory has no border-overheid device`, kpsPeers[0].loc, ['role']));
  }
  if (border.markt) {
    for (const r of supplierRouters) links.push({ key: linkKey(border.markt.id, r.id), a: { device: border.markt.id, iface: ifName('s-', r.id) }, b: { device: r.id, iface: ifName('p-', border.markt.id) } });
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
  const needKps = Boolean(border.overheid) || kpsPeers.length > 0;
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

  // ---- nftables -----------------------------------------------------------------------------------------------------
  const nft = deps.prepareNftables(inv);
  findings.push(...nft.findings);

  // ---- per device -----------------------------------------------------------------------------------------------------
  const intents: DeviceIntent[] = [];
  for (const d of devices) {
    const interfaces: InterfaceIntent[] = [mgmtInterface(inv, d)];
    const staticRoutes: StaticRoute[] = [];
    const lists: PrefixList[] = [];
    const neighbors: BgpNeighbor[] = [];
    const originate: Prefix[] = [];
    let localAsn: number | undefined;

    // Point-to-point links: interface, addresses and (for routing roles) one BGP session per family.
    const p2p = (l: Link) => {
      const mine = l.a.device === d.id ? l.a : l.b;
      const other = l.a.device === d.id ? l.b : l.a;
      const isA = mine === l.a;
      const n = l.net!;
      const myAddrs = isA ? [`${n.v4.low}/31`, `${n.v6.low}/127`] : [`${n.v4.high}/31`, `${n.v6.high}/127`];
      const peerAddrs = isA ? [`${n.v4.high}/31`, `${n.v6.high}/127`] : [`${n.v4.low}/31`, `${n.v6.low}/127`];
      return { mine, other, myAddrs, peerAddrs, peerV4: isA ? n.v4.high : n.v4.low, peerV6: isA ? n.v6.high : n.v6.low };
    };
    const addSession = (
      l: Link,
      kind: InterfaceIntent['kind'],
      zone: IntentZone | undefined,
      remoteAsn: number | undefined,
      policy: (family: 4 | 6) => { in: string; out: string; maxIn: number; maxOut?: number },
    ) => {
      const e = p2p(l);
      interfaces.push({ name: e.mine.iface, kind, ...(zone ? { zone } : {}), addresses: e.myAddrs, peer: { device: e.other.device, interface: e.other.iface, addresses: e.peerAddrs } });
      if (remoteAsn === undefined) return;
      for (const family of [4, 6] as const) {
        const p = policy(family);
        neighbors.push({
          address: family === 4 ? e.peerV4 : e.peerV6,
          family,
          remoteAsn,
          peerDevice: e.other.device,
          interface: e.mine.iface,
          description: `${e.other.device}${zone ? ` (${zone})` : ''}`,
          prefixListIn: p.in,
          prefixListOut: p.out,
          maxPrefixIn: p.maxIn,
          ...(p.maxOut !== undefined ? { maxPrefixOut: p.maxOut } : {}),
        });
      }
    };
    const addList = (name: string, family: 4 | 6, entries: Array<Omit<PrefixListEntry, 'seq'>>): string => {
      if (!lists.some((x) => x.name === name)) lists.push(prefixList(name, family, entries));
      return name;
    };

    if (d.role === 'ce') {
      const o = ceOrg.get(d.id);
      localAsn = d.asn ?? o?.connectionPoint?.asn;
      if (o && d.asn !== undefined && o.connectionPoint && d.asn !== o.connectionPoint.asn) {
        findings.push(s.error('INTENT_ASN_MISMATCH', `device '${d.id}' has asn ${d.asn} but the connection point of ${o.id} says ${o.connectionPoint.asn}`, d.loc, ['asn']));
      }
      if (!o) findings.push(s.warning('INTENT_CE_UNUSED', `CE device '${d.id}' terminates no connection point; it gets only its management interface`, d.loc));
      if (o) {
        const own: Record<IntentZone, Prefix[]> = { overheid: [], markt: [] };
        for (const l of linksOf(d.id)) {
          const z = (l.b.iface === 'up-overheid' ? 'overheid' : 'markt') as IntentZone;
          own[z] = announcementsOf(o, z);
          const b = border[z]!;
          const remote = borderAsn(inv, b);
          if (localAsn !== undefined && remote === localAsn) {
            findings.push(s.error('INTENT_ASN_MISMATCH', `CE '${d.id}' and ${b.id} share ASN ${remote}; the uplink must be eBGP`, d.loc));
          }
          const allowDef = z === 'overheid' && allowDefault;
          addSession(l, 'uplink', z, remote, (family) => ({
            out: addList(listName('ce-out', z, `v${family}`), family, permitsExact(own[z], family)),
            in: addList(listName('ce-in', z, `v${family}`), family, [
              ...(allowDef ? [] : [denyDefault(family)]),
              ...own[z].filter((p) => p.family === family).map((p) => ({ action: 'deny' as const, prefix: formatPrefix(p), ...(p.len < maxLen(family) ? { le: maxLen(family) } : {}) })),
              permitAny(family),
            ]),
            maxIn: zoneBound,
            maxOut: Math.max(1, own[z].filter((p) => p.family === family).length),
          }));
        }
        for (const z of ZONES) originate.push(...own[z]);
        interfaces.push(...lanInterfaces(inv, idx, o, deps, servicePrefixes, findings));
      }
    } else if (d.role === 'border-overheid' || d.role === 'border-markt') {
      const z: IntentZone = d.role === 'border-overheid' ? 'overheid' : 'markt';
      localAsn = borderAsn(inv, d);
      const isActive = border[z]?.id === d.id;
      for (const l of isActive ? linksOf(d.id) : []) {
        const other = idx.devices.get(l.b.device)!;
        if (other.role === 'ce') {
          const o = ceOrg.get(other.id)!;
          const ann = announcementsOf(o, z);
          const allowDef = z === 'overheid' && allowDefault;
          addSession(l, 'downlink', z, other.asn ?? o.connectionPoint!.asn, (family) => ({
            in: addList(listName('from', other.id, `v${family}`), family, permitsExact(ann, family)),
            out: addList(listName('to-ce', z, `v${family}`), family, [...(allowDef ? [] : [denyDefault(family)]), permitAny(family)]),
            maxIn: limitFor(ann.filter((p) => p.family === family).length),
          }));
        } else if (other.role === 'kps-peer' && kps) {
          const announce = kpsAnnounce(inv, d, kps, internetPrefixes, findings);
          const accept = sortPrefixes(kps.accept).filter((p) => kps!.allowDefaultRoute || !isDefaultRoute(p));
          addSession(l, 'kps', 'overheid', other.asn ?? settings.diginetwerk.kpsAsn, (family) => ({
            // The default route is denied explicitly even though the permits are exact: a reader of the config sees it.
            out: addList(listName('to-kps', `v${family}`), family, [denyDefault(family), ...permitsExact(announce, family)]),
            in: addList(listName('from-kps', `v${family}`), family, [...(kps!.allowDefaultRoute ? [] : [denyDefault(family)]), ...permitsExact(accept, family)]),
            maxIn: kps!.maxPrefixIn,
            maxOut: kps!.maxPrefixOut,
          }));
        } else if (other.role === 'supplier-router') {
          const from = supplierPrefixes(other);
          const toSuppliers = sortPrefixes([...ceOrg.values()].filter((o) => o.connectionPoint!.zones.includes('markt')).flatMap((o) => announcementsOf(o, 'markt')));
          addSession(l, 'supplier', 'markt', other.asn, (family) => ({
            in: addList(listName('from', other.id, `v${family}`), family, permitsExact(from, family)),
            out: addList(listName('to-suppliers', `v${family}`), family, permitsExact(toSuppliers, family)),
            maxIn: limitFor(from.filter((p) => p.family === family).length),
          }));
        }
      }
    } else if (d.role === 'kps-peer') {
      localAsn = d.asn ?? settings.diginetwerk.kpsAsn;
      const svc = servicesOn.get(d.id) ?? [];
      const prefixes = sortPrefixes(svc.flatMap((v) => v.prefixes.map((p) => parsePrefix(p, { strict: false }))));
      originate.push(...prefixes);
      for (const l of linksOf(d.id)) {
        addSession(l, 'peer', 'overheid', borderAsn(inv, idx.devices.get(l.a.device)!), (family) => ({
          out: addList(listName('kps-out', `v${family}`), family, permitsExact(prefixes, family)),
          // The stand-in KPS accepts everything so that a leak would be visible in its table, not hidden by a filter.
          in: addList(listName('kps-in', `v${family}`), family, [permitAny(family)]),
          maxIn: kps ? kps.maxPrefixOut : zoneBound,
        }));
      }
      interfaces.push(...serviceInterfaces(inv, d, svc, findings));
    } else if (d.role === 'supplier-router') {
      localAsn = d.asn;
      const svc = servicesOn.get(d.id) ?? [];
      const prefixes = supplierPrefixes(d);
      originate.push(...prefixes);
      for (const l of linksOf(d.id)) {
        addSession(l, 'peer', 'markt', localAsn === undefined ? undefined : borderAsn(inv, idx.devices.get(l.a.device)!), (family) => ({
          out: addList(listName('supplier-out', `v${family}`), family, permitsExact(prefixes, family)),
          in: addList(listName('supplier-in', `v${family}`), family, [denyDefault(family), permitAny(family)]),
          maxIn: zoneBound,
        }));
      }
      interfaces.push(...serviceInterfaces(inv, d, svc, findings));
    }

    const names = new Set<string>();
    for (const i of interfaces) {
      if (names.has(i.name)) findings.push(s.error('INTENT_INTERFACE_NAME_CLASH', `two interfaces of '${d.id}' would both be named '${i.name}'; rename a segment, service or device`, d.loc));
      names.add(i.name);
    }

    const origin = sortPrefixes(originate);
    for (const p of origin) staticRoutes.push({ prefix: formatPrefix(p), via: 'blackhole' });

    let bgp: BgpIntent | undefined;
    const routes = d.role !== 'radius';
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
        };
      }
    } else if (routes && d.role !== 'ce') {
      const why = d.role === 'supplier-router' ? '; border-markt cannot peer with it (eBGP needs the supplier\'s ASN)' : '';
      findings.push(s.error('INTENT_ASN_MISSING', `device '${d.id}' (${d.role}) has no asn${why}`, d.loc));
    }

    const nftInput: NftDeviceInput = {
      deviceId: d.id,
      role: d.role,
      ...(d.organisation ? { organisation: d.organisation } : {}),
      interfaces: interfaces.map((i) => ({ name: i.name, kind: i.kind, ...(i.zone ? { zone: i.zone } : {}), ...(i.organisation ? { organisation: i.organisation } : {}) })),
    };
    let nftables = '';
    try {
      nftables = nft.compile(nftInput);
    } catch (e) {
      // The policy engine refuses inputs it cannot compile (e.g. an unknown organisation); that is an inventory
      // problem to report, not a crash.
      findings.push(s.error('INTENT_POLICY_COMPILE', `the nftables ruleset of '${d.id}' cannot be compiled: ${e instanceof Error ? e.message : String(e)}`, d.loc));
    }
    const managedFiles: ManagedFileName[] = bgp ? ['frr.conf', 'ggi.nft'] : ['ggi.nft'];
    intents.push({
      id: d.id,
      role: d.role,
      platform: d.platform,
      ...(d.organisation ? { organisation: d.organisation } : {}),
      management: {
        address: d.management.address,
        port: d.management.port,
        user: d.management.user,
        ...(d.management.hostKey ? { hostKey: d.management.hostKey } : {}),
        ...(d.management.privateKey ? { privateKey: d.management.privateKey } : {}),
      },
      interfaces,
      ...(bgp ? { bgp } : {}),
      staticRoutes,
      nftables,
      managedFiles,
    });
  }
  return { intents, findings };
}

function resolveDeps(partial: Partial<IntentDeps> | undefined): IntentDeps {
  const p = partial ?? {};
  if (p.addressesInZone && p.ceAnnouncements && p.kpsRoutingPolicy && p.prepareNftables) return p as IntentDeps;
  return { ...defaultDeps(), ...p };
}

function borderAsn(inv: Inventory, b: Device): number {
  if (b.asn !== undefined) return b.asn;
  return b.role === 'border-overheid' ? inv.settings.diginetwerk.koppelnetAsn : inv.settings.network.backboneAsn;
}

/**
 * What border-overheid announces to the KPS: the Diginetwerk routing policy's list, minus (defensively, with an error
 * finding) a default route or anything inside an internet-category prefix (DOMAIN.md §5 rules 8 and 12).
 */
function kpsAnnounce(inv: Inventory, d: Device, kps: KpsRouting, internet: Prefix[], findings: Finding[]): Prefix[] {
  const out: Prefix[] = [];
  for (const p of sortPrefixes(kps.announce)) {
    if (isDefaultRoute(p)) {
      findings.push(inv.sources.error('DIGINETWERK_DEFAULT_ROUTE', `a default route would be announced to the KPS; it is left out`, d.loc));
      continue;
    }
    if (internet.some((i) => contains(i, p) || contains(p, i))) {
      findings.push(inv.sources.error('IPV6_CATEGORY_LEAK', `${formatPrefix(p)} is internet-category space and is not announced towards Diginetwerk`, d.loc));
      continue;
    }
    out.push(p);
  }
  return out;
}

function internetCategoryPrefixes(inv: Inventory): Prefix[] {
  const cats = new Set(inv.settings.numberingPlan.categories.filter((c) => c.internet).map((c) => c.name));
  return inv.ledger.entries.filter((e) => e.status !== 'quarantined' && cats.has(e.category)).map((e) => parsePrefix(e.prefix, { strict: false }));
}

function mgmtInterface(inv: Inventory, d: Device): InterfaceIntent {
  const a = parseAddress(d.management.address);
  let len = a.family === 4 ? 32 : 128;
  const pool = inv.settings.transfer.managementIpv4;
  if (pool && a.family === 4) {
    const p = parsePrefix(pool, { strict: false });
    if (contains(p, { family: 4, addr: a.value, len: 32 })) len = p.len;
  }
  return { name: 'mgmt0', kind: 'mgmt', addresses: [`${formatAddress(a.family, a.value)}/${len}`] };
}

/** The router's own address inside a LAN or service prefix: the first usable one. Null when the prefix is a host route. */
function gatewayAddress(p: Prefix): string | null {
  const hostBits = (p.family === 4 ? 32 : 128) - p.len;
  if (hostBits < 2) return null;
  return `${formatAddress(p.family, prefixFirst(p) + 1n)}/${p.len}`;
}

function lanInterfaces(inv: Inventory, idx: InventoryIndex, ce: Organisation, deps: IntentDeps, servicePrefixes: readonly Prefix[], findings: Finding[]): InterfaceIntent[] {
  const orgs = [ce, ...[...(idx.members.get(ce.id) ?? [])].sort((x, y) => cmp(x.id, y.id))];
  const out: InterfaceIntent[] = [];
  for (const o of orgs) {
    const zonePrefixes: Record<IntentZone, Prefix[]> = { overheid: deps.addressesInZone(inv, o.id, 'overheid'), markt: deps.addressesInZone(inv, o.id, 'markt') };
    const zoneOf = (p: Prefix): IntentZone | undefined => ZONES.find((z) => zonePrefixes[z].some((zp) => contains(zp, p)));
    const segPrefixes: Prefix[] = [];
    o.segments.forEach((g, gi) => {
      const addrs: string[] = [];
      const zones = new Set<IntentZone | undefined>();
      for (const [text, key] of [[g.ipv4, 'ipv4'], [g.ipv6, 'ipv6']] as const) {
        if (!text) continue;
        const p = parsePrefix(text, { strict: false });
        segPrefixes.push(p);
        const gw = gatewayAddress(p);
        if (!gw) {
          findings.push(inv.sources.warning('INTENT_SEGMENT_TOO_SMALL', `segment '${g.name}' of ${o.id} (${text}) has no room for a router address`, o.loc, ['segments', gi, key]));
          continue;
        }
        addrs.push(gw);
        zones.add(zoneOf(p));
      }
      if (addrs.length === 0) return;
      const z = zones.size === 1 ? [...zones][0] : undefined;
      out.push({ name: ifName('l-', `${o.id}-${g.name}`), kind: 'lan', ...(z ? { zone: z } : {}), organisation: o.id, segment: g.name, ...(g.vlan ? { vlan: g.vlan } : {}), addresses: addrs });
    });
    // Zone space without any segment in it (e.g. registered IPv4 for overheid when the segments use other space) gets
    // one more LAN, so that the organisation has a source address in every zone its connection point joins: the first
    // /64 of an IPv6 block, an IPv4 block as a whole. Service prefixes inside the organisation's space (a supplier's,
    // hosted on its router) and segments are avoided.
    const taken = [...servicePrefixes, ...segPrefixes];
    const free = (x: Prefix) => !taken.some((sp) => contains(sp, x) || contains(x, sp));
    const joined = ZONES.filter((z) => ce.connectionPoint?.zones.includes(z));
    const extra: Array<{ gw: string; zone: IntentZone }> = [];
    for (const z of joined) {
      for (const p of sortPrefixes(zonePrefixes[z])) {
        if (segPrefixes.some((sp) => contains(p, sp))) continue;
        let lan: Prefix | undefined;
        if (p.family === 6 && p.len < 64) {
          for (let k = 0n; k < 256n && k < 1n << BigInt(64 - p.len); k++) {
            const cand = subnet(p, 64, k);
            if (free(cand)) {
              lan = cand;
              break;
            }
          }
        } else if (free(p)) lan = p;
        const gw = lan ? gatewayAddress(lan) : null;
        if (gw) extra.push({ gw, zone: z });
      }
    }
    // One such LAN per zone, so that every interface belongs to one zone (hosts route by it).
    for (const z of ZONES) {
      const mine = extra.filter((e) => e.zone === z);
      if (mine.length === 0) continue;
      const addrs = [...mine.filter((e) => !e.gw.includes(':')), ...mine.filter((e) => e.gw.includes(':'))].map((e) => e.gw);
      out.push({ name: ifName('l-', `${o.id}-${z === 'overheid' ? 'ovh' : 'mkt'}`), kind: 'lan', zone: z, organisation: o.id, addresses: addrs });
    }
  }
  return out;
}

function serviceInterfaces(inv: Inventory, d: Device, services: Inventory['services'], findings: Finding[]): InterfaceIntent[] {
  const out: InterfaceIntent[] = [];
  for (const v of services) {
    const addrs: string[] = [];
    v.prefixes.forEach((text, i) => {
      const p = parsePrefix(text, { strict: false });
      const gw = gatewayAddress(p);
      if (!gw) {
        findings.push(inv.sources.warning('INTENT_SERVICE_HOST_ROUTE', `service '${v.name}' prefix ${text} is too small for a router address; the lab cannot host it behind ${d.id}`, v.loc, ['prefixes', i]));
        return;
      }
      addrs.push(gw);
    });
    if (addrs.length === 0) continue;
    out.push({ name: ifName('v-', v.name), kind: 'lan', zone: v.zone, ...(v.provider !== 'kps' ? { organisation: v.provider } : {}), service: v.name, addresses: [...addrs.filter((a) => !a.includes(':')), ...addrs.filter((a) => a.includes(':'))] });
  }
  return out;
}

function chooseRouterId(d: Device, interfaces: InterfaceIntent[]): string | null {
  if (d.routerId && !d.routerId.includes(':')) return d.routerId;
  if (!d.management.address.includes(':')) return d.management.address;
  for (const i of interfaces) for (const a of i.addresses) if (!a.includes(':')) return a.split('/')[0];
  return null;
}

function prefixList(name: string, family: 4 | 6, entries: Array<Omit<PrefixListEntry, 'seq'>>): PrefixList {
  // Every list ends in an explicit deny-all, so an empty permit set still exists in FRR and still denies.
  const last = entries[entries.length - 1];
  const endsInPermitAll = last !== undefined && last.action === 'permit' && isDefaultRoute(parsePrefix(last.prefix)) && last.le === maxLen(family);
  const all = endsInPermitAll ? entries : [...entries, { action: 'deny' as const, prefix: family === 4 ? '0.0.0.0/0' : '::/0', le: maxLen(family) }];
  return { name, family, entries: all.map((e, i) => ({ seq: (i + 1) * 5, ...e })) };
}

function permitsExact(ps: Prefix[], family: 4 | 6): Array<Omit<PrefixListEntry, 'seq'>> {
  return ps.filter((p) => p.family === family).map((p) => ({ action: 'permit' as const, prefix: formatPrefix(p) }));
}

function denyDefault(family: 4 | 6): Omit<PrefixListEntry, 'seq'> {
  return { action: 'deny', prefix: family === 4 ? '0.0.0.0/0' : '::/0' };
}

function permitAny(family: 4 | 6): Omit<PrefixListEntry, 'seq'> {
  return { action: 'permit', prefix: family === 4 ? '0.0.0.0/0' : '::/0', le: maxLen(family) };
}

function maxLen(family: 4 | 6): number {
  return family === 4 ? 32 : 128;
}

/** Max-prefix for a peer that announces exactly `n` prefixes: room for growth, but a leak still trips it. */
function limitFor(n: number): number {
  return Math.max(10, 2 * n);
}

function sortPrefixes(ps: readonly Prefix[]): Prefix[] {
  const seen = new Set<string>();
  const out: Prefix[] = [];
  for (const p of [...ps].sort((a, b) => a.family - b.family || (a.addr < b.addr ? -1 : a.addr > b.addr ? 1 : a.len - b.len))) {
    const k = formatPrefix(p);
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(p);
  }
  return out;
}

function uniq<T>(xs: readonly T[]): T[] {
  return xs.filter((x, i) => xs.indexOf(x) === i);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
