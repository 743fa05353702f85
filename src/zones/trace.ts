import type { Inventory } from '../model/inventory';
import { containsAddr, type Family, type RangeList } from './addr';
import { type ParsedPacket, parsePacket, rulesVerdict } from './query';
import { endpointOf, flowScope } from './scope';
import type { OrgModel, Packet, PolicyModel, ServiceModel, VerdictKind, ZoneName } from './types';
import { ZONES } from './types';

/**
 * `policy trace`: the path of one packet through the declared network (LAN, CE, border, KPS peer or supplier router,
 * service) and, at every device, the packet filter that decides there. Each device filters as its nftables ruleset
 * does (src/zones/nftables.ts): a chain per (in, out) interface pair holding the policy rules in order, restricted to
 * the addresses that can be on that pair; anything else falls to the forward chain's `policy drop`. So a device
 * decides by the first matching rule when the packet's addresses belong on the pair, and drops it otherwise.
 */

export interface TraceHop {
  /** A device id, or the LAN or service at either end (`LAN GM0546`, `service digid`). */
  device: string;
  zone: ZoneName | null;
  /** The filter that decides there, e.g. `ggi.nft forward lan -> up-overheid`; `-` where nothing filters. */
  filter: string;
  rule: string | null;
  action: 'pass' | 'allow' | 'deny';
}

export interface Trace {
  allowed: boolean;
  verdict: VerdictKind;
  reason: string;
  hops: TraceHop[];
}

/** The devices of the declared network that a path can cross. */
export interface TraceTopology {
  /** Organisation id (the connecting one: itself or its samenwerkingsverband) -> its CE device id. */
  ce: ReadonlyMap<string, string>;
  border: Readonly<Partial<Record<ZoneName, string>>>;
  /** The KPS peer serving the KPS's services (zone overheid). */
  kpsPeer: string | null;
  /** Supplier organisation id -> its supplier router. */
  supplierRouter: ReadonlyMap<string, string>;
}

/** The topology as the device intents build it (src/intent/build.ts): the first device of a role, by id. */
export function traceTopology(inv: Inventory): TraceTopology {
  const devices = [...inv.devices].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const ce = new Map<string, string>();
  for (const o of inv.organisations) if (o.connectionPoint && !ce.has(o.id)) ce.set(o.id, o.connectionPoint.device);
  const first = (role: string) => devices.find((d) => d.role === role)?.id;
  const border: Partial<Record<ZoneName, string>> = {};
  const bo = first('border-overheid');
  const bm = first('border-markt');
  if (bo) border.overheid = bo;
  if (bm) border.markt = bm;
  const supplierRouter = new Map<string, string>();
  for (const d of devices) if (d.role === 'supplier-router' && d.organisation && !supplierRouter.has(d.organisation)) supplierRouter.set(d.organisation, d.id);
  return { ce, border, kpsPeer: first('kps-peer') ?? null, supplierRouter };
}

function pick(s: { v4: RangeList; v6: RangeList }, f: Family): RangeList {
  return f === 4 ? s.v4 : s.v6;
}

/** Membership in the address sets the devices' chains are restricted to (nftables.ts `sides`). */
class Sides {
  private readonly byId = new Map<string, OrgModel>();
  constructor(
    private readonly policy: PolicyModel,
    private readonly f: Family,
  ) {
    for (const o of policy.orgs) if (!this.byId.has(o.id)) this.byId.set(o.id, o);
  }
  org(id: string): OrgModel | undefined {
    return this.byId.get(id);
  }
  live(z: ZoneName, a: bigint): boolean {
    return containsAddr(pick(this.policy.zones[z].live, this.f), a);
  }
  /** What a connection point carries in a zone: its organisation and those it serves. */
  carried(cp: string, z: ZoneName, a: bigint): boolean {
    return this.policy.orgs.some((o) => (o.via === cp || o.id === cp) && o.joins.includes(z) && containsAddr(pick(o.zones[z], this.f), a));
  }
  kps(a: bigint): boolean {
    return this.policy.services.some((v) => v.provider === 'kps' && v.zone === 'overheid' && containsAddr(pick(v.set, this.f), a));
  }
  /** Behind a supplier's router (all suppliers without `org`): its markt services and its own markt addresses. */
  supplier(org: string | undefined, a: bigint): boolean {
    const svc = this.policy.services.filter((v) => v.zone === 'markt' && v.provider !== 'kps');
    if (svc.some((v) => (!org || v.provider === org) && containsAddr(pick(v.set, this.f), a))) return true;
    const providers = new Set(svc.map((v) => v.provider));
    return this.policy.orgs.some((o) => (org ? o.id === org : providers.has(o.id)) && o.joins.includes('markt') && containsAddr(pick(o.zones.markt, this.f), a));
  }
}

type End = { kind: 'lan'; org: OrgModel; cp: string; device: string } | { kind: 'service'; service: ServiceModel; device: string };

/** The trace of one packet. Throws PacketError for a packet that cannot exist (as `query`). */
export function tracePacket(policy: PolicyModel, topo: TraceTopology, packet: Packet): Trace {
  const p = parsePacket(packet);
  return traceParsed(policy, topo, p, { src: String(packet.src), dst: String(packet.dst) });
}

export function traceParsed(policy: PolicyModel, topo: TraceTopology, p: ParsedPacket, text: { src: string; dst: string }): Trace {
  const scope = flowScope(policy, p.family, p.src, p.dst);
  if (!scope.ggi) return { allowed: false, verdict: 'not-ggi', reason: `not GGI traffic: ${scope.why}`, hops: [] };
  const sides = new Sides(policy, p.family);
  const hops: TraceHop[] = [];
  const stop = (verdict: VerdictKind, reason: string, hop?: Omit<TraceHop, 'action'>): Trace => {
    if (hop) hops.push({ ...hop, action: 'deny' });
    return { allowed: false, verdict, reason, hops };
  };

  // Where each end attaches to GGI-Netwerk.
  const endOf = (a: bigint, t: string): End | string => {
    const e = endpointOf(policy, p.family, a);
    if (e.kind === 'unknown') return `${t} belongs to no declared organisation or service: it is not routed in GGI-Netwerk`;
    if (e.kind === 'service') {
      const service = policy.services.find((v) => v.name === e.name)!;
      const device = e.provider === 'kps' ? (e.zone === 'overheid' ? topo.kpsPeer : null) : (topo.supplierRouter.get(e.provider) ?? null);
      if (!device) return `no device serves ${e.name} (${e.provider === 'kps' ? 'no KPS peer' : `no supplier router of ${e.provider}`})`;
      return { kind: 'service', service, device };
    }
    const org = sides.org(e.id)!;
    if (!org.via) return `${org.id} (${t}) has no connection point to GGI-Netwerk`;
    const device = topo.ce.get(org.via);
    if (!device) return `the connection point of ${org.via} has no CE`;
    return { kind: 'lan', org, cp: org.via, device };
  };
  const src = endOf(p.src, text.src);
  if (typeof src === 'string') return stop('no-route', src);
  const first: Omit<TraceHop, 'action'> = src.kind === 'lan' ? { device: `LAN ${src.org.id}`, zone: null, filter: '-', rule: null } : { device: `service ${src.service.name}`, zone: src.service.zone, filter: '-', rule: null };
  hops.push({ ...first, action: 'pass' });

  // The zone the first device routes the packet into: the one of its uplinks whose routes hold the destination.
  const joins = src.kind === 'lan' ? (sides.org(src.cp)?.joins ?? src.org.joins) : [src.service.zone];
  const z = ZONES.find((zz) => joins.includes(zz) && sides.live(zz, p.dst));
  const dst = endOf(p.dst, text.dst);
  if (!z) {
    const why = typeof dst === 'string' ? dst : `${src.device} has no route to ${text.dst} in ${joins.join('/') || 'any zone'}`;
    // Both ends in zones, none shared: the zones never exchange traffic, which GGI enforces (denied, not unrouted).
    const zs = ZONES.filter((zz) => containsAddr(pick(policy.zones[zz].all, p.family), p.src));
    const zd = ZONES.filter((zz) => containsAddr(pick(policy.zones[zz].all, p.family), p.dst));
    if (zs.length && zd.length && !zs.some((x) => zd.includes(x))) {
      return stop('denied', `zones never exchange traffic (${text.src} is in ${zs.join('/')}, ${text.dst} in ${zd.join('/')})`, { device: src.device, zone: zs[0], filter: 'no route into the other zone (the zones never exchange traffic)', rule: null });
    }
    return stop('no-route', why, { device: src.device, zone: null, filter: `no route to ${text.dst}`, rule: null });
  }

  /** One filtering device: the packet's addresses must belong on the pair, then the first matching rule decides. */
  const filter = (device: string, pair: string, onPair: boolean, offPair: string): Trace | null => {
    const where = `ggi.nft forward ${pair}`;
    if (!onPair) return stop('denied', `${device} drops it: ${offPair}`, { device, zone: z, filter: `${where}: ${offPair}, "ggi: default deny"`, rule: null });
    const r = rulesVerdict(policy, p);
    if (!r || r.action === 'deny') {
      const reason = r ? `denied by rule ${r.id} at ${device}: ${r.reason}` : `no rule matches at ${device}: default deny`;
      return stop('denied', reason, { device, zone: z, filter: r ? where : `${where}: no rule matches, "ggi: default deny"`, rule: r ? r.id : null });
    }
    hops.push({ device, zone: z, filter: where, rule: r.id, action: 'allow' });
    return null;
  };

  // The source's device, out towards the border.
  let t: Trace | null;
  if (src.kind === 'lan') {
    const mine = sides.carried(src.cp, z, p.src);
    // A CE forwards only between its LANs and its uplinks (nftables.ts): nothing from one of its LANs to another.
    const why = !mine ? `${text.src} is not an address ${src.cp} carries in ${z}` : `${text.dst} is behind ${src.device} itself, and a CE has no chain from one LAN to another`;
    t = filter(src.device, `lan -> up-${z}`, mine && !sides.carried(src.cp, z, p.dst), why);
  } else {
    const behind = src.service.provider === 'kps' ? sides.kps(p.src) : sides.supplier(src.service.provider, p.src);
    t = filter(src.device, `lan (${src.service.name}) -> uplink`, behind && !(src.service.provider === 'kps' ? sides.kps(p.dst) : sides.supplier(src.service.provider, p.dst)), `${text.dst} lies behind ${src.device} itself`);
  }
  if (t) return t;

  const border = topo.border[z];
  if (!border) return stop('no-route', `the inventory has no border-${z} device`, { device: `border-${z}`, zone: z, filter: 'missing device', rule: null });
  if (typeof dst === 'string') return stop('no-route', dst, { device: border, zone: z, filter: `no route to ${text.dst}`, rule: null });
  const edge = z === 'overheid' ? 'kps' : 'suppliers';
  const srcBehindEdge = src.kind === 'service';
  const dstBehindEdge = dst.kind === 'service';
  if (dst.kind === 'lan' && !(sides.org(dst.cp)?.joins.includes(z) ?? false)) {
    return stop('no-route', `the connection point of ${dst.cp} does not join ${z} (${text.dst})`, { device: border, zone: z, filter: `no route to ${text.dst}`, rule: null });
  }
  if (!srcBehindEdge && !dstBehindEdge) {
    // From one CE to another: the border's chain for all its downlinks together (nftables.ts).
    const anyCe = (x: bigint) => policy.orgs.some((o) => o.via !== null && o.joins.includes(z) && containsAddr(pick(o.zones[z], p.family), x));
    t = filter(border, 'downlinks -> downlinks', anyCe(p.src) && anyCe(p.dst), 'the addresses do not belong on downlinks -> downlinks');
    if (t) return t;
  } else {
    const inSide = srcBehindEdge ? edge : `d-${(src as Extract<End, { kind: 'lan' }>).device}`;
    const outSide = dstBehindEdge ? edge : `d-${(dst as Extract<End, { kind: 'lan' }>).device}`;
    const behindEdge = (a: bigint) => (z === 'overheid' ? sides.kps(a) : sides.supplier(undefined, a));
    const onPair = (srcBehindEdge ? behindEdge(p.src) : sides.carried((src as Extract<End, { kind: 'lan' }>).cp, z, p.src)) && (dstBehindEdge ? behindEdge(p.dst) : sides.carried((dst as Extract<End, { kind: 'lan' }>).cp, z, p.dst));
    t = filter(border, `${inSide} -> ${outSide}`, onPair, `the addresses do not belong on ${inSide} -> ${outSide}`);
    if (t) return t;
  }

  // The destination's device, in from the border.
  if (dst.kind === 'lan') {
    t = filter(dst.device, `up-${z} -> lan`, !sides.carried(dst.cp, z, p.src) && sides.carried(dst.cp, z, p.dst), `${text.dst} is not an address ${dst.cp} carries in ${z}`);
    if (t) return t;
    hops.push({ device: `LAN ${dst.org.id}`, zone: null, filter: '-', rule: null, action: 'pass' });
  } else {
    const behind = (a: bigint) => (dst.service.provider === 'kps' ? sides.kps(a) : sides.supplier(dst.service.provider, a));
    t = filter(dst.device, `uplink -> lan (${dst.service.name})`, !behind(p.src) && behind(p.dst), `${text.src} lies behind ${dst.device} itself`);
    if (t) return t;
    hops.push({ device: `service ${dst.service.name}`, zone: dst.service.zone, filter: '-', rule: null, action: 'pass' });
  }
  const r = hops.find((h) => h.action === 'allow');
  const rule = r ? policy.rules.find((x) => x.id === r.rule) : undefined;
  return { allowed: true, verdict: 'allowed', reason: rule ? `allowed by rule ${rule.id}: ${rule.reason}` : 'allowed', hops };
}
