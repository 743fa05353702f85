import { parseAddress } from '../net';
import { containsAddr, type Family, type RangeList } from './addr';
import { AtomSpace } from './engine';
import type { PolicyModel, ZoneName } from './types';
import { ZONES } from './types';

/**
 * Which traffic GGI-Netwerk carries at all. It carries traffic between an organisation's LAN (behind its CE) and the
 * other side of a zone, and it keeps the zones apart. Traffic that never crosses a GGI policy point is not GGI
 * traffic: within one party (an organisation's own segments, a supplier's LAN and its own services) or between two
 * services, which stay behind the KPS or between suppliers' own routers. One function decides this for `policy
 * query`, `policy trace` and the lab's verification, so the model and the real network never judge such flows.
 */

/** Who an address belongs to: a service (behind the KPS or its supplier), an organisation, or nobody declared. */
export type Endpoint =
  | { kind: 'service'; name: string; provider: string; zone: ZoneName }
  | { kind: 'organisation'; id: string }
  | { kind: 'unknown' };

export type FlowScope = { ggi: true } | { ggi: false; why: string };

interface OwnerIndex {
  space: AtomSpace;
  /** atom -> owner index (services first, then organisations, in declaration order), -1 for none */
  owner: Int32Array;
}

const owners = new WeakMap<PolicyModel, Partial<Record<Family, OwnerIndex>>>();

function pick(s: { v4: RangeList; v6: RangeList }, f: Family): RangeList {
  return f === 4 ? s.v4 : s.v6;
}

/** Owner lists in precedence order: a service's prefixes are the service even where its supplier's ledger holds them. */
function ownerLists(policy: PolicyModel, f: Family): RangeList[] {
  const lists: RangeList[] = [];
  for (const v of policy.services) lists.push(pick(v.set, f));
  for (const o of policy.orgs) {
    const all: RangeList = [];
    for (const z of ZONES) all.push(...pick(o.zones[z], f));
    lists.push(all.sort((a, b) => (a.lo < b.lo ? -1 : a.lo > b.lo ? 1 : 0)));
  }
  return lists;
}

function ownerIndex(policy: PolicyModel, f: Family): OwnerIndex {
  let m = owners.get(policy);
  if (!m) owners.set(policy, (m = {}));
  let ix = m[f];
  if (ix) return ix;
  const lists = ownerLists(policy, f);
  // Organisation lists are built here, so their boundaries are given to the space as merged single ranges.
  const space = new AtomSpace(f, lists.map((l) => mergeTouching(l)));
  const owner = new Int32Array(space.size).fill(-1);
  lists.forEach((l, i) => {
    const segs = space.atoms(mergeTouching(l));
    for (let k = 0; k < segs.length; k += 2) for (let a = segs[k]; a < segs[k + 1]; a++) if (owner[a] < 0) owner[a] = i;
  });
  ix = { space, owner };
  m[f] = ix;
  return ix;
}

const merged = new WeakMap<RangeList, RangeList>();
function mergeTouching(l: RangeList): RangeList {
  let r = merged.get(l);
  if (r) return r;
  r = [];
  for (const x of l) {
    const last = r[r.length - 1];
    if (last && x.lo <= last.hi + 1n) {
      if (x.hi > last.hi) r[r.length - 1] = { lo: last.lo, hi: x.hi };
    } else r.push({ lo: x.lo, hi: x.hi });
  }
  merged.set(l, r);
  return r;
}

/** Who declares the address. */
export function endpointOf(policy: PolicyModel, family: Family, addr: bigint): Endpoint {
  const ix = ownerIndex(policy, family);
  if (ix.space.size === 0) return { kind: 'unknown' };
  const a = ix.space.atomOf(addr);
  const i = ix.owner[a];
  if (i < 0) return { kind: 'unknown' };
  const ns = policy.services.length;
  if (i < ns) {
    const v = policy.services[i];
    return { kind: 'service', name: v.name, provider: v.provider, zone: v.zone };
  }
  return { kind: 'organisation', id: policy.orgs[i - ns].id };
}

/** The party behind an endpoint: an organisation, a supplier (for its services), the KPS; null for nobody declared. */
export function partyOf(e: Endpoint): string | null {
  return e.kind === 'service' ? e.provider : e.kind === 'organisation' ? e.id : null;
}

export function describeEndpoint(e: Endpoint): string {
  if (e.kind === 'service') return `service ${e.name} (${e.provider === 'kps' ? 'behind the KPS' : `of ${e.provider}`})`;
  if (e.kind === 'organisation') return e.id;
  return 'no declared party';
}

function zonesOf(policy: PolicyModel, f: Family, a: bigint): ZoneName[] {
  return ZONES.filter((z) => containsAddr(pick(policy.zones[z].all, f), a));
}

/**
 * Whether a flow is GGI traffic. Traffic between the zones always is (GGI keeps them apart, so it is judged: denied).
 * Otherwise it is not when both ends are services, or when both ends belong to one party.
 */
export function flowScope(policy: PolicyModel, family: Family, src: bigint, dst: bigint): FlowScope {
  const zs = zonesOf(policy, family, src);
  const zd = zonesOf(policy, family, dst);
  if (zs.length && zd.length && !zs.some((z) => zd.includes(z))) return { ggi: true };
  const s = endpointOf(policy, family, src);
  const d = endpointOf(policy, family, dst);
  if (s.kind === 'service' && d.kind === 'service') {
    return { ggi: false, why: `both ends are services (${s.name}, ${d.name}): traffic between them stays behind the KPS or between suppliers' own routers and never crosses a GGI policy point` };
  }
  const ps = partyOf(s);
  if (ps !== null && ps === partyOf(d)) {
    return { ggi: false, why: `both ends belong to ${ps === 'kps' ? 'the KPS' : ps} (${describeEndpoint(s)} and ${describeEndpoint(d)}): traffic within one party never crosses a GGI policy point` };
  }
  return { ggi: true };
}

/** `flowScope` for two address texts (the lab's verification); addresses that do not parse are left to the caller (GGI traffic). */
export function flowIsGgi(policy: PolicyModel, src: string, dst: string): boolean {
  let s: { family: Family; value: bigint };
  let d: { family: Family; value: bigint };
  try {
    s = parseAddress(src);
    d = parseAddress(dst);
  } catch {
    return true;
  }
  return s.family !== d.family || flowScope(policy, s.family, s.value, d.value).ggi;
}
