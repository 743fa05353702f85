/**
 * DHCP appliances in the lab: for every device with platform `kea`, a namespace running kea-dhcp4, kea-dhcp6 and
 * kea-ctrl-agent, started empty (plumbing only: no interfaces, no subnets) so that `ggi apply` configures them through
 * the Control Agent like any appliance. Each served segment becomes a bridge in the appliance's namespace joining the
 * CE's segment interface and a visitor namespace (a laptop on the govroam SSID), where a real DHCP client (ISC
 * dhclient) asks for an address:
 *
 *   CE l-…  ──veth──  c<i> ┐
 *                          ├ bridge s-<org>-<segment> (the appliance's address: last usable of the IPv4 segment)
 *   visitor eth0 ─veth─ v<i> ┘
 *
 * The API password is generated per lab (owner-only file next to Kea's files); the lab target names it as a file.
 * `dhcpLeaseChecks` is the DHCP lease check of `ggi verify`: it returns `CheckResult`s.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CheckResult, HttpTransport } from '../devices/contract';
import { emptyConfig, keaCommand, keaLayoutFor, KEA_LAB_ROOT, poolRange, type Json } from '../devices/kea';
import { buildDhcpIntents } from '../intent/dhcp';
import type { DeviceIntent } from '../intent/types';
import type { Inventory } from '../model/inventory';
import type { SecretRef } from '../model/schema';
import { parseAddress } from '../net';
import { makeDirectory } from '../util/directory';
import type { Runner } from './exec';
import { waitFor } from './frr';
import { namespaceFor, type LabLink, type LabNode } from './spec';
import type { LabState, NodeState } from './state';

/** What `labUp` sets up in a Kea node (`LabNode.kea`). */
export interface LabKea {
  /** One bridge per served segment: its name (the interface Kea listens on), its ports, the appliance's addresses. */
  bridges: Array<{ name: string; ports: string[]; addresses: string[] }>;
  /** The Control Agent listens on the node's management address and this port, with basic auth for `apiUser`. */
  apiPort: number;
  apiUser: string;
}

/** Recorded in the node's state (`NodeState.kea`) once Kea runs. */
export interface LabKeaState {
  address: string;
  port: number;
  user: string;
  /** Owner-only file holding the per-lab API password. */
  passwordFile: string;
  dir: string;
}

/** The segments served by DHCP, as `organisation\0segment`: the LAN hosts leave them to the appliances. */
export function dhcpServedSegments(inv: Inventory): Set<string> {
  const out = new Set<string>();
  for (const o of inv.organisations) for (const g of o.segments) if (g.dhcp) out.add(`${o.id}\0${g.name}`);
  return out;
}

/**
 * The appliances, their visitor hosts and the links to the CEs, for `labSpecFromIntents`. Pure. A served segment whose
 * CE has no interface for it (an inventory error reported elsewhere) is skipped.
 */
export function keaLabParts(inv: Inventory, intents: readonly DeviceIntent[], labName: string): { nodes: LabNode[]; links: LabLink[] } {
  const nodes: LabNode[] = [];
  const links: LabLink[] = [];
  for (const d of buildDhcpIntents(inv).intents) {
    const bridges: LabKea['bridges'] = [];
    const seen = new Map<string, number>();
    for (const s of d.subnets) {
      let i = seen.get(s.interface);
      if (i === undefined) {
        i = seen.size;
        seen.set(s.interface, i);
        const ce = intents.find((x) => x.role === 'ce' && x.interfaces.some((f) => f.organisation === s.organisation && f.segment === s.segment));
        const itf = ce?.interfaces.find((f) => f.organisation === s.organisation && f.segment === s.segment);
        if (!ce || !itf) continue;
        const visitor = `visitor-${s.organisation.toLowerCase()}-${s.segment}`;
        bridges.push({ name: s.interface, ports: [`c${i}`, `v${i}`], addresses: [] });
        links.push({ a: { node: ce.id, ifname: itf.name, addresses: itf.addresses }, b: { node: d.id, ifname: `c${i}`, addresses: [] } });
        links.push({ a: { node: d.id, ifname: `v${i}`, addresses: [] }, b: { node: visitor, ifname: 'eth0', addresses: [] } });
        nodes.push({ id: visitor, kind: 'host', namespace: namespaceFor(labName, visitor), meta: { role: 'visitor', server: d.id, organisation: s.organisation, segment: s.segment, service: null } });
      }
      const bridge = bridges.find((b) => b.name === s.interface);
      const visitorNode = nodes.find((n) => n.meta?.server === d.id && n.meta?.organisation === s.organisation && n.meta?.segment === s.segment);
      if (!bridge || !visitorNode) continue;
      if (s.serverAddress) bridge.addresses.push(s.serverAddress);
      (visitorNode.meta as Record<string, string | null>)[`pool${s.family}`] = `${s.pool.first}-${s.pool.last}`;
    }
    nodes.push({
      id: d.id,
      kind: 'host',
      namespace: namespaceFor(labName, d.id),
      mgmtAddress: d.management.address,
      sshd: false,
      frr: false,
      meta: { role: 'dhcp', platform: 'kea', organisation: d.organisation ?? null, service: null },
      kea: { bridges, apiPort: d.management.port, apiUser: d.management.user },
    });
  }
  return { nodes, links };
}

const KEA_ENV = (dir: string) => ({ KEA_PIDFILE_DIR: dir, KEA_LOCKFILE_DIR: dir });

/** Bridges, empty Kea configurations, the Control Agent with a fresh password; starts the three daemons. */
export async function setUpKea(node: LabNode, ns: NodeState, state: LabState, runner: Runner, save: () => void, readyTimeoutMs = 60_000): Promise<void> {
  const spec = node.kea!;
  if (!node.mgmtAddress) throw new Error(`the Kea appliance ${node.id} needs a management address for its API`);
  const netns = node.namespace;
  const layout = keaLayoutFor({ pathspace: netns });
  const dir = path.dirname(layout.configFile.dhcp4);
  state.dirs.push(dir);
  save();
  makeDirectory(KEA_LAB_ROOT, 0o755);
  makeDirectory(dir, 0o700);

  const lines: string[] = [];
  for (const b of spec.bridges) {
    lines.push(`link add name ${b.name} type bridge`);
    for (const p of b.ports) lines.push(`link set ${p} master ${b.name}`);
    for (const a of b.addresses) lines.push(`address add ${a} dev ${b.name}`);
    lines.push(`link set ${b.name} up`);
  }
  if (lines.length) await runner.run(['ip', '-batch', '-'], { netns, input: `${lines.join('\n')}\n` });

  const passwordFile = path.join(dir, 'api-password');
  fs.writeFileSync(passwordFile, randomBytes(18).toString('base64url'), { mode: 0o600 });
  fs.writeFileSync(layout.configFile.dhcp4, `${JSON.stringify(emptyConfig('dhcp4', layout), null, 2)}\n`, { mode: 0o600 });
  fs.writeFileSync(layout.configFile.dhcp6, `${JSON.stringify(emptyConfig('dhcp6', layout), null, 2)}\n`, { mode: 0o600 });
  const ca = {
    'Control-agent': {
      'http-host': node.mgmtAddress,
      'http-port': spec.apiPort,
      // Kea 2.2 reads the password from a file (`directory` + `password-file`), so it is in no configuration.
      authentication: { type: 'basic', realm: `ggi-lab ${node.id}`, directory: dir, clients: [{ user: spec.apiUser, 'password-file': 'api-password' }] },
      'control-sockets': {
        dhcp4: { 'socket-type': 'unix', 'socket-name': layout.controlSocket.dhcp4 },
        dhcp6: { 'socket-type': 'unix', 'socket-name': layout.controlSocket.dhcp6 },
      },
      loggers: [{ name: 'kea-ctrl-agent', output_options: [{ output: path.join(dir, 'kea-ctrl-agent.log') }], severity: 'INFO' }],
    },
  };
  const caFile = path.join(dir, 'kea-ctrl-agent.conf');
  fs.writeFileSync(caFile, `${JSON.stringify(ca, null, 2)}\n`, { mode: 0o600 });

  for (const [what, argv] of [
    ['kea-dhcp4', ['kea-dhcp4', '-c', layout.configFile.dhcp4]],
    ['kea-dhcp6', ['kea-dhcp6', '-c', layout.configFile.dhcp6]],
    ['kea-ctrl-agent', ['kea-ctrl-agent', '-c', caFile]],
  ] as const) {
    const pid = await runner.start(argv, { netns, logFile: path.join(dir, `${what}.out`), env: KEA_ENV(dir) });
    state.processes.push({ pid, what, netns });
    save();
  }
  ns.kea = { address: node.mgmtAddress, port: spec.apiPort, user: spec.apiUser, passwordFile, dir };
  save();
  const deadline = Date.now() + readyTimeoutMs;
  await waitFor(
    async () => {
      if (!fs.existsSync(layout.controlSocket.dhcp4) || !fs.existsSync(layout.controlSocket.dhcp6)) return false;
      const res = await runner.run(['ss', '-H', '-l', '-n', '-t'], { netns, allowFail: true });
      return res.stdout.split('\n').some((l) => l.trim().split(/\s+/)[3]?.endsWith(`:${spec.apiPort}`));
    },
    deadline,
    `Kea (dhcp4, dhcp6 control sockets and the Control Agent on port ${spec.apiPort}) in ${netns}; logs in ${dir}`,
  );
}

/** How the controller reaches a lab appliance's API: address, port, user and the per-lab password file. */
export interface KeaTarget {
  id: string;
  address: string;
  port: number;
  user: string;
  password: SecretRef;
  namespace: string;
}

export function keaTargets(state: LabState): KeaTarget[] {
  return state.nodes
    .flatMap((n) => (n.kea ? [{ id: n.id, address: n.kea.address, port: n.kea.port, user: n.kea.user, password: { file: n.kea.passwordFile }, namespace: n.namespace }] : []));
}

// ---- the DHCP lease check (`ggi verify`) --------------------------------------------------------------------------

const DHCLIENT_SCRIPT = `#!/bin/sh
# ggi lab: puts what dhclient got on the interface (and nothing else: no resolv.conf, no hostname).
case "$reason" in
  BOUND|RENEW|REBIND|REBOOT)
    ip -4 addr flush dev "$interface"
    ip addr add "$new_ip_address/$new_subnet_mask" dev "$interface"
    [ -n "$new_routers" ] && ip route replace default via "\${new_routers%% *}" dev "$interface"
    ;;
  BOUND6|RENEW6|REBIND6|REBOOT6)
    [ -n "$new_ip6_address" ] && ip -6 addr replace "$new_ip6_address/128" dev "$interface" nodad
    ;;
esac
exit 0
`;

/** What one visitor's DHCP client got: the address (or null) and dhclient's output tail. */
export interface VisitorLease {
  address: string | null;
  mac: string;
  detail: string;
}

/**
 * Runs ISC dhclient once in a visitor namespace (family 4 or 6), as a laptop joining the SSID would. The client keeps
 * running to renew (as on a laptop); a previous one of the same family is stopped first.
 */
export async function visitorLease(runner: Runner, visitor: NodeState, family: 4 | 6, timeoutS = 30): Promise<VisitorLease> {
  const dir = visitor.dir;
  makeDirectory(dir, 0o700);
  const script = path.join(dir, 'dhclient-script');
  fs.writeFileSync(script, DHCLIENT_SCRIPT, { mode: 0o700 });
  const conf = path.join(dir, 'dhclient.conf');
  fs.writeFileSync(conf, `timeout ${timeoutS};\nretry 1;\n`, { mode: 0o600 });
  const pf = path.join(dir, `dhclient${family}.pid`);
  const lf = path.join(dir, `dhclient${family}.leases`);
  const fam = family === 4 ? '-4' : '-6';
  await runner.run(['dhclient', fam, '-x', '-pf', pf, '-lf', lf, '-sf', script, '-cf', conf, 'eth0'], { netns: visitor.namespace, allowFail: true, timeoutMs: 10_000 });
  fs.rmSync(lf, { force: true });
  const res = await runner.run(['dhclient', fam, '-1', '-v', '-pf', pf, '-lf', lf, '-sf', script, '-cf', conf, 'eth0'], { netns: visitor.namespace, allowFail: true, timeoutMs: (timeoutS + 15) * 1000 });
  const mac = fs.existsSync(`/run/netns/${visitor.namespace}`) ? (await runner.run(['cat', '/sys/class/net/eth0/address'], { netns: visitor.namespace, allowFail: true })).stdout.trim() : '';
  const leases = fs.existsSync(lf) ? fs.readFileSync(lf, 'utf8') : '';
  const address = family === 4 ? lastMatch(leases, /fixed-address ([0-9.]+);/g) : lastMatch(leases, /iaaddr ([0-9a-fA-F:]+) \{/g);
  const tail = `${res.stdout}${res.stderr}`.trim().split('\n').slice(-3).join(' | ');
  return { address, mac, detail: `dhclient ${fam} exit ${res.code}: ${tail}` };
}

function lastMatch(text: string, re: RegExp): string | null {
  let found: string | null = null;
  for (const m of text.matchAll(re)) found = m[1];
  return found;
}

function inPool(address: string, pool: string): boolean {
  const r = poolRange(pool);
  if (!r) return false;
  const a = parseAddress(address).value;
  return a >= r[0] && a <= r[1];
}

/**
 * The DHCP lease checks of one appliance: every visitor namespace it serves gets an address from the declared pool
 * (IPv4, and IPv6 where the segment has a pool), and the appliance's own lease database holds that lease for that
 * client. Returns the `ggi verify` check shape; a failure says what was seen.
 */
export async function dhcpLeaseChecks(runner: Runner, state: LabState, applianceId: string, api: HttpTransport, opts: { families?: Array<4 | 6>; timeoutS?: number } = {}): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  const visitors = state.nodes.filter((n) => n.meta.role === 'visitor' && n.meta.server === applianceId);
  for (const v of visitors) {
    for (const family of opts.families ?? [4, 6]) {
      const pool = v.meta[`pool${family}`];
      if (!pool) continue;
      const name = `dhcp lease ${v.meta.organisation}/${v.meta.segment} IPv${family} (${applianceId})`;
      const expected = `an address in ${pool}, in ${applianceId}'s lease database`;
      const got = await visitorLease(runner, v, family, opts.timeoutS);
      if (!got.address) {
        out.push({ name, ok: false, expected, observed: 'no lease', detail: got.detail });
        continue;
      }
      const leases = await keaCommand(api, family === 4 ? 'lease4-get-all' : 'lease6-get-all', family === 4 ? 'dhcp4' : 'dhcp6');
      const list = leaseList(leases.arguments);
      const held = list.find((l) => sameAddress(String(l['ip-address'] ?? ''), got.address!));
      const mine = family === 4 ? held !== undefined && String(held['hw-address'] ?? '').toLowerCase() === got.mac.toLowerCase() : held !== undefined;
      const ok = inPool(got.address, pool) && mine;
      out.push({
        name,
        ok,
        expected,
        observed: `${got.address}${held ? `, leased by ${applianceId}${family === 4 ? ` to ${String(held['hw-address'])}` : ''}` : `, not in ${applianceId}'s lease database`}`,
        ...(ok ? {} : { detail: inPool(got.address, pool) ? `the appliance does not hold this lease for ${got.mac}` : `${got.address} is outside the declared pool ${pool}` }),
      });
    }
  }
  if (visitors.length === 0) out.push({ name: `dhcp lease (${applianceId})`, ok: false, expected: 'a visitor namespace served by the appliance', observed: 'none in the lab' });
  return out;
}

function leaseList(args: Json | undefined): Array<Record<string, Json>> {
  if (!args || typeof args !== 'object' || Array.isArray(args)) return [];
  const l = (args as Record<string, Json>).leases;
  return Array.isArray(l) ? (l.filter((x) => x && typeof x === 'object' && !Array.isArray(x)) as Array<Record<string, Json>>) : [];
}

function sameAddress(a: string, b: string): boolean {
  try {
    return parseAddress(a).value === parseAddress(b).value;
  } catch {
    return false;
  }
}

/**
 * Every lab appliance's lease checks, for `ggi verify`: `connect` opens the API transport of a target (the CLI passes
 * `connectHttp` from src/reconciler/http-transport.ts with the target's password file), closed again afterwards.
 */
export async function labDhcpChecks(runner: Runner, state: LabState, connect: (t: KeaTarget) => HttpTransport): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  for (const t of keaTargets(state)) {
    const api = connect(t);
    try {
      out.push(...(await dhcpLeaseChecks(runner, state, t.id, api)));
    } finally {
      await api.close();
    }
  }
  return out;
}
