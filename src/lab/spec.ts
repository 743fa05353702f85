/**
 * The lab as plain data: what `labUp` builds. Callers (the inventory-to-lab mapping, tests) produce a `LabSpec`;
 * `validateSpec` checks it without touching the machine, so a bad spec fails before anything is created.
 */
import { createHash } from 'node:crypto';
import { NetError, contains, parseAddress, parsePrefix, prefixFirst, prefixLast, type Prefix } from '../net';
import type { LabKea } from './kea';
import type { LabSoc } from './soc';

export type NodeKind = 'router' | 'host';

export interface LabService {
  readonly proto: 'tcp' | 'udp';
  readonly port: number;
}

export interface LabRoute {
  /** A CIDR prefix or 'default' (the family is then the one of `via`). */
  readonly dst: string;
  readonly via: string;
}

export interface LabNode {
  /** The caller's id (e.g. the inventory device id); free text, used only in messages and the status. */
  readonly id: string;
  readonly kind: NodeKind;
  /** The network namespace; must start with `<spec.name>-` (use `namespaceFor`). Also FRR's pathspace. */
  readonly namespace: string;
  /** IPv4 address (no prefix length) on the management network; sshd listens here. Required for sshd. */
  readonly mgmtAddress?: string;
  /** Extra sysctls, applied after the defaults of the kind (routers forward, DAD is off everywhere). */
  readonly sysctls?: Readonly<Record<string, string | number>>;
  /** Addresses (CIDR) put on the namespace's `lo`. */
  readonly loopbacks?: readonly string[];
  /** Run FRR (zebra, bgpd, staticd, bfdd). Default: true for routers, false for hosts. */
  readonly frr?: boolean;
  /** Initial frr.conf (default: empty); for lab-only peers (KPS, suppliers) that ggi does not manage. */
  readonly frrConfig?: string;
  /** Run sshd on mgmtAddress. Default: true for routers, false for hosts. */
  readonly sshd?: boolean;
  /** Ports this node listens on and answers (an echo: whatever arrives is sent back). */
  readonly services?: readonly LabService[];
  readonly routes?: readonly LabRoute[];
  /** Free metadata carried into the status unchanged (e.g. organisation, service). */
  readonly meta?: Readonly<Record<string, string | null>>;
  /** A DHCP appliance: bridges and the Kea daemons (src/lab/kea.ts). */
  readonly kea?: LabKea;
  /** The GGI-Veilig SOC: flow collectors and log receivers on the management address (src/lab/soc.ts). */
  readonly soc?: LabSoc;
}

export interface LabEndpoint {
  readonly node: string;
  /** Interface name inside the node's namespace (at most 15 characters). */
  readonly ifname: string;
  /** CIDRs on the interface, IPv4 and/or IPv6 (IPv6 is added without DAD, usable at once). */
  readonly addresses: readonly string[];
}

export interface LabLink {
  readonly a: LabEndpoint;
  readonly b: LabEndpoint;
}

export interface LabMgmt {
  /** IPv4 prefix inside 198.18.0.0/15; its first host address goes on the bridge in the root namespace. */
  readonly bridgeV4: string;
}

export interface LabSpec {
  /** Short prefix ('ggi', at most 8 characters of [a-z0-9], starting with 'ggi') of every namespace and link name. */
  readonly name: string;
  /** Folder for keys, configs, pid files and the state file. */
  readonly stateDir: string;
  readonly nodes: readonly LabNode[];
  readonly links: readonly LabLink[];
  readonly mgmt: LabMgmt;
}

/** The interface name of the management veth inside each namespace. */
export const MGMT_IFNAME = 'mgmt0';

/** Address space a lab may use (documentation and benchmarking ranges only), so no packet carries a real address. */
export const LAB_RANGES: readonly string[] = ['192.0.2.0/24', '198.51.100.0/24', '203.0.113.0/24', '198.18.0.0/15', '2001:db8::/32', '3fff::/20'];
const LAB_PREFIXES = LAB_RANGES.map((r) => parsePrefix(r));
const MGMT_RANGE = parsePrefix('198.18.0.0/15');

const NAME_RE = /^ggi[a-z0-9]{0,5}$/;
const NS_RE = /^[a-z0-9][a-z0-9_-]{0,31}$/;
const IFNAME_RE = /^[A-Za-z0-9_.-]{1,15}$/;

function shortHash(text: string, len: number): string {
  return createHash('sha256').update(text).digest('hex').slice(0, len);
}

/** A safe, short, stable namespace name for a node id: `<name>-<slug>-<hash>` (at most 32 characters). */
export function namespaceFor(labName: string, id: string): string {
  const slug = id.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 14).replace(/-+$/, '');
  return `${labName}-${slug ? `${slug}-` : ''}${shortHash(id, 6)}`;
}

/** Root-namespace side of a node's management veth: `<name>-<hash>`, exactly 15 characters (the kernel limit). */
export function mgmtHostIfname(labName: string, namespace: string): string {
  return `${labName}-${shortHash(namespace, 15 - labName.length - 1)}`;
}

export function bridgeName(labName: string): string {
  return `${labName}-mgmt`;
}

export interface ResolvedNode {
  readonly node: LabNode;
  readonly frr: boolean;
  readonly sshd: boolean;
  /** Management IPv4 with the bridge's prefix length, e.g. '198.18.0.10/24'. */
  readonly mgmtCidr?: string;
  readonly mgmtHostIf?: string;
  readonly sysctls: Readonly<Record<string, string>>;
}

/** Defaults per kind, made explicit so the status shows what was applied. */
export function resolveNode(spec: LabSpec, node: LabNode): ResolvedNode {
  const router = node.kind === 'router';
  const sysctls: Record<string, string> = {
    'net.ipv6.conf.all.accept_dad': '0',
    'net.ipv6.conf.default.accept_dad': '0',
  };
  if (router) {
    Object.assign(sysctls, {
      'net.ipv4.ip_forward': '1',
      'net.ipv6.conf.all.forwarding': '1',
      'net.ipv6.conf.default.forwarding': '1',
      'net.ipv4.conf.all.rp_filter': '0',
      'net.ipv4.conf.default.rp_filter': '0',
    });
  }
  for (const [k, v] of Object.entries(node.sysctls ?? {})) sysctls[k] = String(v);
  let mgmtCidr: string | undefined;
  if (node.mgmtAddress !== undefined) {
    const len = tryPrefix(spec.mgmt.bridgeV4)?.len ?? 24;
    mgmtCidr = `${node.mgmtAddress}/${len}`;
  }
  return {
    node,
    frr: node.frr ?? router,
    sshd: node.sshd ?? router,
    mgmtCidr,
    mgmtHostIf: node.mgmtAddress !== undefined ? mgmtHostIfname(spec.name, node.namespace) : undefined,
    sysctls,
  };
}

function tryPrefix(s: string, strict = true): Prefix | null {
  try {
    return parsePrefix(s, { strict });
  } catch {
    return null;
  }
}

/** The first host address of the management prefix, which the root-namespace bridge gets. */
export function bridgeAddress(bridgeV4: string): string {
  const p = parsePrefix(bridgeV4);
  const v = Number(prefixFirst(p) + 1n);
  return `${(v >>> 24) & 255}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}/${p.len}`;
}

function inLabRange(p: Prefix): boolean {
  return LAB_PREFIXES.some((r) => contains(r, p));
}

/** Every problem of the spec as a message; empty when labUp may proceed. Pure. */
export function validateSpec(spec: LabSpec): string[] {
  const problems: string[] = [];
  const add = (m: string): void => {
    problems.push(m);
  };
  if (!NAME_RE.test(spec.name)) add(`lab name '${spec.name}' must start with 'ggi' and be at most 8 characters of [a-z0-9]`);
  if (!spec.stateDir) add('stateDir is empty');
  // The path goes into sshd_config lines (HostKey, SetEnv HOME=…), which cannot quote.
  else if (!/^[A-Za-z0-9_./+@:-]+$/.test(spec.stateDir)) add(`stateDir '${spec.stateDir}' may hold only [A-Za-z0-9_./+@:-] (no spaces or quotes)`);

  const mgmtPrefix = tryPrefix(spec.mgmt.bridgeV4);
  if (mgmtPrefix?.family !== 4 || !contains(MGMT_RANGE, mgmtPrefix) || mgmtPrefix.len > 29) {
    add(`mgmt.bridgeV4 '${spec.mgmt.bridgeV4}' must be an IPv4 prefix inside 198.18.0.0/15, at most /29`);
  }

  const byId = new Map<string, LabNode>();
  const namespaces = new Set<string>();
  const mgmtAddrs = new Map<string, string>();
  const hostIfs = new Map<string, string>();
  const ifnames = new Map<string, Set<string>>();
  for (const n of spec.nodes) {
    const where = `node '${n.id}'`;
    if (byId.has(n.id)) add(`${where}: duplicate node id`);
    byId.set(n.id, n);
    ifnames.set(n.id, new Set(['lo']));
    if (n.kind !== 'router' && n.kind !== 'host') add(`${where}: kind must be 'router' or 'host'`);
    if (!NS_RE.test(n.namespace) || !n.namespace.startsWith(`${spec.name}-`)) {
      add(`${where}: namespace '${n.namespace}' must start with '${spec.name}-' and be at most 32 characters of [a-z0-9_-]`);
    }
    if (namespaces.has(n.namespace)) add(`${where}: namespace '${n.namespace}' is used twice`);
    namespaces.add(n.namespace);
    const r = resolveNode(spec, n);
    if (r.sshd && n.mgmtAddress === undefined) add(`${where}: sshd needs a mgmtAddress`);
    if (n.mgmtAddress !== undefined) {
      ifnames.get(n.id)!.add(MGMT_IFNAME);
      const a = tryAddress(n.mgmtAddress);
      if (a?.family !== 4) add(`${where}: mgmtAddress '${n.mgmtAddress}' is not an IPv4 address`);
      else if (mgmtPrefix) {
        const host = { family: 4 as const, addr: a.value, len: 32 };
        if (!contains(mgmtPrefix, host) || a.value <= prefixFirst(mgmtPrefix) + 1n || a.value >= prefixLast(mgmtPrefix)) {
          add(`${where}: mgmtAddress ${n.mgmtAddress} must be a host address of ${spec.mgmt.bridgeV4} other than the bridge's (the first)`);
        }
      }
      const other = mgmtAddrs.get(n.mgmtAddress);
      if (other !== undefined) add(`${where}: mgmtAddress ${n.mgmtAddress} is also used by node '${other}'`);
      mgmtAddrs.set(n.mgmtAddress, n.id);
      const hostIf = mgmtHostIfname(spec.name, n.namespace);
      const clash = hostIfs.get(hostIf);
      if (clash !== undefined) add(`${where}: management link name ${hostIf} collides with node '${clash}'; rename a namespace`);
      hostIfs.set(hostIf, n.id);
    }
    for (const [k, v] of Object.entries(n.sysctls ?? {})) {
      if (!/^[a-z0-9_]+(\.[a-zA-Z0-9_-]+)+$/.test(k)) add(`${where}: sysctl name '${k}' is not valid`);
      if (!/^[A-Za-z0-9_. -]*$/.test(String(v))) add(`${where}: sysctl ${k} has an invalid value '${String(v)}'`);
    }
    for (const c of n.loopbacks ?? []) checkCidr(c, `${where} loopback`, add);
    const seen = new Set<string>();
    for (const s of n.services ?? []) {
      if (s.proto !== 'tcp' && s.proto !== 'udp') add(`${where}: service proto must be tcp or udp, not '${String(s.proto)}'`);
      if (!Number.isInteger(s.port) || s.port < 1 || s.port > 65535) add(`${where}: service port ${String(s.port)} is not 1-65535`);
      const key = `${s.proto}/${s.port}`;
      if (seen.has(key)) add(`${where}: service ${key} is listed twice`);
      seen.add(key);
    }
    for (const rt of n.routes ?? []) {
      const via = tryAddress(rt.via);
      if (!via) {
        add(`${where}: route to ${rt.dst}: via '${rt.via}' is not an IP address`);
        continue;
      }
      if (rt.dst !== 'default') {
        const d = tryPrefix(rt.dst, false);
        if (!d) add(`${where}: route destination '${rt.dst}' is not a CIDR prefix or 'default'`);
        else if (d.family !== via.family) add(`${where}: route to ${rt.dst} via ${rt.via} mixes IPv4 and IPv6`);
      }
    }
  }

  const used = new Map<string, string>();
  spec.links.forEach((l, i) => {
    for (const end of [l.a, l.b]) {
      const where = `link ${i + 1} (${l.a.node}:${l.a.ifname} - ${l.b.node}:${l.b.ifname})`;
      if (!byId.has(end.node)) {
        add(`${where}: unknown node '${end.node}'`);
        continue;
      }
      if (!IFNAME_RE.test(end.ifname)) add(`${where}: interface name '${end.ifname}' must be 1-15 characters of [A-Za-z0-9_.-]`);
      const names = ifnames.get(end.node)!;
      if (names.has(end.ifname)) add(`${where}: interface ${end.ifname} already exists on node '${end.node}'`);
      names.add(end.ifname);
      for (const c of end.addresses) {
        const p = checkCidr(c, `${where} address`, add);
        if (!p) continue;
        const other = used.get(c.split('/')[0]);
        if (other !== undefined) add(`${where}: address ${c} is also used on ${other}`);
        used.set(c.split('/')[0], `${end.node}:${end.ifname}`);
      }
    }
  });
  return problems;
}

function tryAddress(s: string): { family: 4 | 6; value: bigint } | null {
  try {
    return parseAddress(s);
  } catch {
    return null;
  }
}

function checkCidr(c: string, where: string, add: (m: string) => void): Prefix | null {
  let p: Prefix;
  try {
    if (!c.includes('/')) throw new NetError(`'${c}' has no prefix length`);
    p = parsePrefix(c, { strict: false });
  } catch (e) {
    add(`${where}: ${e instanceof Error ? e.message : String(e)}`);
    return null;
  }
  const host = { family: p.family, addr: parseAddress(c.split('/')[0]).value, len: p.family === 4 ? 32 : 128 };
  if (!inLabRange(host)) add(`${where}: ${c} is outside the lab ranges (${LAB_RANGES.join(', ')})`);
  return p;
}
