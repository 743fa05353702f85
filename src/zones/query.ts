import { NetError, parseAddress } from '../net';
import { containsAddr, type Family, type RangeList } from './addr';
import { ALL_PORTS, AtomSpace, bitName, ICMP, OTHER, protoMask, sweep, TCP, UDP } from './engine';
import type { OrgModel, Packet, PacketProto, PolicyModel, RuleModel, Verdict, ZoneName } from './types';
import { ZONES } from './types';
import { flowScope } from './scope';

/** A packet that cannot exist (bad address, family mismatch, ports on icmp …): a user error, not a verdict. */
export class PacketError extends Error {}

export interface ParsedPacket {
  family: Family;
  src: bigint;
  dst: bigint;
  /** One of the engine's protocol classes (TCP, UDP, ICMP, OTHER). */
  bit: number;
  /** 0 for protocols without ports. */
  port: number;
}

export function parsePacket(p: Packet): ParsedPacket {
  let s: { family: Family; value: bigint };
  let d: { family: Family; value: bigint };
  try {
    s = parseAddress(String(p.src));
  } catch (e) {
    throw new PacketError(e instanceof NetError ? `src: ${e.message}` : `src '${p.src}' is not an address`);
  }
  try {
    d = parseAddress(String(p.dst));
  } catch (e) {
    throw new PacketError(e instanceof NetError ? `dst: ${e.message}` : `dst '${p.dst}' is not an address`);
  }
  if (s.family !== d.family) throw new PacketError(`src ${p.src} and dst ${p.dst} are of different address families`);
  const family = s.family;
  const proto = (p.proto === 'any' ? 'other' : p.proto) as PacketProto;
  let bit: number;
  switch (proto) {
    case 'tcp':
      bit = TCP;
      break;
    case 'udp':
      bit = UDP;
      break;
    case 'icmp':
      if (family !== 4) throw new PacketError('icmp is IPv4; use icmpv6 for IPv6 packets');
      bit = ICMP;
      break;
    case 'icmpv6':
      if (family !== 6) throw new PacketError('icmpv6 is IPv6; use icmp for IPv4 packets');
      bit = ICMP;
      break;
    case 'other':
      bit = OTHER;
      break;
    default:
      throw new PacketError(`proto must be tcp, udp, icmp, icmpv6 or any (got '${String(p.proto)}')`);
  }
  let port = 0;
  if (bit === TCP || bit === UDP) {
    if (p.dport === undefined || p.dport === null) throw new PacketError(`a ${proto} packet needs a destination port (dport)`);
    const n = Number(p.dport);
    if (!Number.isInteger(n) || n < 0 || n > 65535) throw new PacketError(`dport must be a whole number from 0 to 65535 (got '${String(p.dport)}')`);
    port = n;
  } else if (p.dport !== undefined && p.dport !== null) {
    throw new PacketError(`${proto === 'other' ? 'proto any' : proto} has no ports; leave out dport`);
  }
  return { family, src: s.value, dst: d.value, bit, port };
}

function pick(s: { v4: RangeList; v6: RangeList }, f: Family): RangeList {
  return f === 4 ? s.v4 : s.v6;
}

/** Does the rule (as written, ignoring structure) match the packet? */
export function ruleMatches(r: RuleModel, p: ParsedPacket): boolean {
  if (!(protoMask(r.proto, p.family) & p.bit)) return false;
  if (p.bit === TCP || p.bit === UDP) {
    const ports = r.ports ?? ALL_PORTS;
    let hit = false;
    for (let i = 0; i < ports.length; i += 2) if (p.port >= ports[i] && p.port <= ports[i + 1]) hit = true;
    if (!hit) return false;
  }
  return containsAddr(pick(r.src, p.family), p.src) && containsAddr(pick(r.dst, p.family), p.dst);
}

interface QueryIndex {
  space: AtomSpace;
  /** dst atom -> rules (ascending order) whose dst covers it */
  atomClass: Int32Array;
  classRules: number[][];
}

const indexes = new WeakMap<PolicyModel, Partial<Record<Family, QueryIndex>>>();

/** Rules by the dst atoms they cover, so a query looks at the few rules that can match instead of all of them. */
function queryIndex(policy: PolicyModel, f: Family): QueryIndex {
  let m = indexes.get(policy);
  if (!m) indexes.set(policy, (m = {}));
  let ix = m[f];
  if (ix) return ix;
  const lists = policy.rules.map((r) => pick(r.dst, f));
  const space = new AtomSpace(f, lists);
  const groups = new Map<RangeList, number[]>();
  lists.forEach((l, i) => {
    if (!l.length) return;
    let g = groups.get(l);
    if (!g) groups.set(l, (g = []));
    g.push(i);
  });
  const keys = [...groups.keys()];
  const members = [...groups.values()];
  const classes = sweep(keys.map((k) => space.atoms(k)), keys.map((_, i) => i));
  const atomClass = new Int32Array(space.size).fill(-1);
  const classRules: number[][] = [];
  classes.forEach((c, ci) => {
    for (let i = 0; i < c.segs.length; i += 2) atomClass.fill(ci, c.segs[i], c.segs[i + 1]);
    const rs: number[] = [];
    for (const k of c.members) rs.push(...members[k]);
    classRules.push(rs.sort((a, b) => a - b));
  });
  ix = { space, atomClass, classRules };
  m[f] = ix;
  return ix;
}

/** First match over the rules alone (no structure): the deciding rule or null (default deny). */
export function rulesVerdict(policy: PolicyModel, p: ParsedPacket): RuleModel | null {
  if (policy.rules.length < 64) {
    for (const r of policy.rules) if (ruleMatches(r, p)) return r;
    return null;
  }
  const ix = queryIndex(policy, p.family);
  const c = ix.atomClass[ix.space.atomOf(p.dst)];
  if (c < 0) return null;
  for (const i of ix.classRules[c]) if (ruleMatches(policy.rules[i], p)) return policy.rules[i];
  return null;
}

function zonesOf(policy: PolicyModel, f: Family, a: bigint, which: 'all' | 'live'): ZoneName[] {
  return ZONES.filter((z) => containsAddr(pick(policy.zones[z][which], f), a));
}

function ownerIn(policy: PolicyModel, f: Family, a: bigint, z: ZoneName): OrgModel | undefined {
  return policy.orgs.find((o) => containsAddr(pick(o.zones[z], f), a));
}

/** The structural verdict: null when the network can carry the packet at all, else why not. */
export function structuralDenial(policy: PolicyModel, p: ParsedPacket, text: { src: string; dst: string }): string | null {
  const zs = zonesOf(policy, p.family, p.src, 'all');
  const zd = zonesOf(policy, p.family, p.dst, 'all');
  if (!zs.length) return `${text.src} is in no zone: it is not routed in GGI-Netwerk`;
  if (!zd.length) return `${text.dst} is in no zone: it is not routed in GGI-Netwerk`;
  const common = zs.filter((z) => zd.includes(z));
  if (!common.length) return `zones never exchange traffic (${text.src} is in ${zs.join('/')}, ${text.dst} in ${zd.join('/')})`;
  for (const z of common) {
    const ls = containsAddr(pick(policy.zones[z].live, p.family), p.src);
    const ld = containsAddr(pick(policy.zones[z].live, p.family), p.dst);
    if (ls && ld) return null;
  }
  const z = common[0];
  for (const [a, t] of [[p.src, text.src], [p.dst, text.dst]] as const) {
    if (containsAddr(pick(policy.zones[z].live, p.family), a)) continue;
    const o = ownerIn(policy, p.family, a, z);
    if (!o) return `${t} does not reach ${z}`;
    if (!o.via) return `${o.id} (${t}) has no connection point to GGI-Netwerk`;
    const via = o.via === o.id ? `the connection point of ${o.id}` : `the connection point of ${o.via}, which serves ${o.id},`;
    return `${via} does not join ${z} (${t})`;
  }
  return `the packet does not reach ${z}`;
}

/** The verdict for one packet as the network gives it end to end: structure first, then the rules, default deny. */
export function query(policy: PolicyModel, packet: Packet): Verdict {
  const p = parsePacket(packet);
  return queryParsed(policy, p, { src: String(packet.src), dst: String(packet.dst) });
}

export function queryParsed(policy: PolicyModel, p: ParsedPacket, text: { src: string; dst: string }): Verdict {
  // Flows GGI never carries get a verdict of their own (see scope.ts), before the structure and the rules.
  const scope = flowScope(policy, p.family, p.src, p.dst);
  if (!scope.ggi) return { allowed: false, verdict: 'not-ggi', rule: null, reason: `not GGI traffic: ${scope.why}` };
  const denial = structuralDenial(policy, p, text);
  if (denial) return { allowed: false, verdict: /zones never exchange/.test(denial) ? 'denied' : 'no-route', rule: null, reason: denial };
  const r = rulesVerdict(policy, p);
  if (!r) return { allowed: false, verdict: 'denied', rule: null, reason: 'no rule matches: default deny' };
  const allowed = r.action === 'allow';
  return { allowed, verdict: allowed ? 'allowed' : 'denied', rule: r.id, reason: `${allowed ? 'allowed' : 'denied'} by rule ${r.id}: ${r.reason}` };
}

/** Many packets; a bad packet yields an error entry instead of a verdict. */
export function queryBatch(policy: PolicyModel, packets: readonly Packet[]): Array<Verdict | { error: string }> {
  return packets.map((pk) => {
    try {
      return query(policy, pk);
    } catch (e) {
      if (e instanceof PacketError) return { error: e.message };
      throw e;
    }
  });
}

export { bitName };
