/**
 * The GGI-Veilig SOC in the lab: a namespace on the management network at each address of veilig.yaml's collectors
 * and log receivers, running the SOC's real receivers:
 *
 * - a flow collector: nfcapd (Debian nfdump) on the collector's UDP port, NetFlow v9 and IPFIX alike, writing
 *   uncompressed files (what src/veilig/nfcapd.ts reads) and rotating every ROTATE_S seconds, so that records leave
 *   `nfcapd.current` quickly and coverage in the lab is minutes-fresh, not hours;
 * - a log receiver: socat appending every UDP datagram to a file. ulogd2's JSON output sends one object per datagram,
 *   ending in a newline (output/ulogd_output_JSON.c), so the file is JSON lines.
 *
 * Everything is written under the node's folder in the lab state (`<state>/nodes/<namespace>/`): `flows-<id>/` per
 * collector and `logs-<id>.jsonl` per receiver. `lab down` removes the namespace, its processes and the folder.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Inventory } from '../model/inventory';
import { makeDirectory } from '../util/directory';
import { coverage, FlowCounter, tallyLogLines, type CoverageReport, type LogTally } from '../veilig/coverage';
import { flowFiles, readFlowFile } from '../veilig/nfcapd';
import type { Runner } from './exec';
import { waitFor } from './frr';
import { namespaceFor, type LabNode } from './spec';
import type { LabState, NodeState } from './state';

/** nfcapd's rotation (seconds): nfcapd allows 2 at least; records are readable once their file is rotated. */
export const SOC_ROTATE_S = 10;
export const SOC_ROLE = 'soc';

/** What labUp runs in a SOC node (`LabNode.soc`). */
export interface LabSoc {
  readonly collectors: ReadonlyArray<{ id: string; port: number; protocol: string }>;
  readonly logReceivers: ReadonlyArray<{ id: string; port: number; protocol: string }>;
}

/** The SOC nodes for an inventory with veilig.yaml: one per distinct address of its collectors and log receivers. Pure. */
export function socLabNodes(inv: Inventory, labName: string): LabNode[] {
  const v = inv.veilig;
  if (!v) return [];
  const byAddress = new Map<string, { collectors: LabSoc['collectors'][number][]; logReceivers: LabSoc['logReceivers'][number][] }>();
  const at = (a: string) => {
    let e = byAddress.get(a);
    if (!e) {
      e = { collectors: [], logReceivers: [] };
      byAddress.set(a, e);
    }
    return e;
  };
  for (const c of v.soc.collectors) at(c.address).collectors.push({ id: c.id, port: c.port, protocol: c.protocol });
  // syslog over TLS needs the SOC's certificates, which the lab does not make: only JSON-over-UDP receivers run here.
  for (const r of v.soc.logReceivers) if (r.protocol === 'json-udp') at(r.address).logReceivers.push({ id: r.id, port: r.port, protocol: r.protocol });
  const many = byAddress.size > 1;
  return [...byAddress].map(([address, soc], i) => {
    const id = many ? `soc-${i + 1}` : 'soc';
    return { id, kind: 'host', namespace: namespaceFor(labName, id), mgmtAddress: address, frr: false, sshd: false, soc, meta: { role: SOC_ROLE, organisation: null, service: null } };
  });
}

/** The management addresses the SOC nodes take (so that no lab-only device is given one of them). */
export function socAddresses(inv: Inventory): string[] {
  const v = inv.veilig;
  return v ? [...new Set([...v.soc.collectors.map((c) => c.address), ...v.soc.logReceivers.map((r) => r.address)])] : [];
}

export function socFlowDir(nodeDir: string, collectorId: string): string {
  return path.join(nodeDir, `flows-${collectorId}`);
}

export function socLogFile(nodeDir: string, receiverId: string): string {
  return path.join(nodeDir, `logs-${receiverId}.jsonl`);
}

/** Starts the collectors and receivers of a SOC node and waits until each listens on its port. */
export async function setUpSoc(node: LabNode, ns: NodeState, state: LabState, runner: Runner, save: () => void, readyTimeoutMs = 60_000): Promise<void> {
  const soc = node.soc!;
  const address = node.mgmtAddress;
  if (!address) throw new Error(`the SOC node ${node.id} needs a management address`);
  const netns = node.namespace;
  for (const c of soc.collectors) {
    const dir = socFlowDir(ns.dir, c.id);
    makeDirectory(dir, 0o700);
    // No -z/-y/-j: ggi reads uncompressed files only. -b: only the management address, as the devices send to it.
    const pid = await runner.start(['nfcapd', '-b', address, '-p', String(c.port), '-w', dir, '-t', String(SOC_ROTATE_S)], { netns, logFile: path.join(ns.dir, `nfcapd-${c.id}.log`) });
    state.processes.push({ pid, what: `nfcapd ${c.id} udp/${c.port}`, netns });
    ns.listens.push({ proto: 'udp', port: c.port });
    save();
  }
  for (const r of soc.logReceivers) {
    const file = socLogFile(ns.dir, r.id);
    fs.writeFileSync(file, '', { mode: 0o600, flag: 'a' });
    const pid = await runner.start(['socat', '-u', `UDP-RECV:${r.port},bind=${address},reuseaddr`, `OPEN:${file},creat,append`], { netns, logFile: path.join(ns.dir, `receiver-${r.id}.log`) });
    state.processes.push({ pid, what: `log receiver ${r.id} udp/${r.port}`, netns });
    ns.listens.push({ proto: 'udp', port: r.port });
    save();
  }
  const ports = [...soc.collectors, ...soc.logReceivers].map((x) => x.port);
  await waitFor(
    async () => {
      const res = await runner.run(['ss', '-H', '-l', '-n', '-u'], { netns });
      const open = new Set(res.stdout.split('\n').map((l) => l.trim().split(/\s+/)[3] ?? ''));
      return ports.every((p) => open.has(`${address}:${p}`));
    },
    Date.now() + readyTimeoutMs,
    `the SOC's receivers (udp ${ports.join(', ')}) in ${netns}`,
  );
}

/** The SOC's files in a running lab: every collector folder and every log receiver's file. */
export function socFiles(state: LabState): { flowDirs: string[]; logFiles: string[] } {
  const flowDirs: string[] = [];
  const logFiles: string[] = [];
  for (const n of state.nodes) {
    if (n.meta.role !== SOC_ROLE) continue;
    let names: string[];
    try {
      names = fs.readdirSync(n.dir).sort();
    } catch {
      continue;
    }
    for (const f of names) {
      if (/^flows-[a-z0-9-]+$/.test(f)) flowDirs.push(path.join(n.dir, f));
      else if (/^logs-[a-z0-9-]+\.jsonl$/.test(f)) logFiles.push(path.join(n.dir, f));
    }
  }
  return { flowDirs, logFiles };
}

/** Lines for `ggi lab status`: each SOC node, its address, what it receives and where it writes. */
export function socStatusLines(state: LabState): string[] {
  const { flowDirs, logFiles } = socFiles(state);
  return state.nodes
    .filter((n) => n.meta.role === SOC_ROLE)
    .map((n) => {
      const mine = (p: string) => p.startsWith(`${n.dir}/`);
      const ports = n.listens.map((l) => `${l.proto}/${l.port}`).join(',');
      return `  soc    ${n.id.padEnd(24)} ${n.namespace.padEnd(32)} ${n.mgmtAddress ?? '-'} listens ${ports}: flows in ${flowDirs.filter(mine).join(' ') || '-'}, logs in ${logFiles.filter(mine).join(' ') || '-'}`;
    });
}

// ---- what the SOC received (for ggi verify and the lab tests) -------------------------------------------------------

/** Coverage of the inventory's points from the lab SOC's files, for records that ended at or after `sinceMs`. */
export function socCoverage(state: LabState, inv: Inventory, sinceMs: number, now: Date = new Date()): CoverageReport {
  const { flowDirs, logFiles } = socFiles(state);
  const counter = new FlowCounter(sinceMs);
  for (const f of flowDirs.flatMap((d) => flowFiles(d))) {
    counter.file();
    readFlowFile(f, counter.visit, undefined, counter.exporter);
  }
  const logs = new Map<string, LogTally>();
  let ignored = 0;
  for (const f of logFiles) ignored += tallyLogLines(fs.readFileSync(f, 'utf8'), sinceMs, logs).ignored;
  return coverage(inv, { flows: counter.byAddress, logs, ignoredLines: ignored }, { since: null, now });
}

/** The detection rule a planted flow can trip, and the packet that trips it: a forbidden service, else a known-bad IPv4 destination. */
export function plantableRule(inv: Inventory): { ruleId: string; proto: 'tcp' | 'udp' | 'icmp'; port: number | null; dst: string | null } | null {
  const today = new Date().toISOString().slice(0, 10);
  const rules = (inv.veilig?.detection ?? []).filter((r) => !r.expires || r.expires >= today);
  for (const r of rules) {
    const port = r.ports?.find((p): p is number => typeof p === 'number');
    if (r.kind === 'service' && (r.proto === 'tcp' || r.proto === 'udp') && port !== undefined && !r.prefixes?.length) return { ruleId: r.id, proto: r.proto, port, dst: null };
  }
  for (const r of rules) {
    const p4 = r.prefixes?.find((p) => !p.includes(':'));
    if (r.kind === 'destination' && p4) return { ruleId: r.id, proto: 'icmp', port: null, dst: p4.split('/')[0] };
  }
  return null;
}
