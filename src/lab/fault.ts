/**
 * `ggi lab fault`: failures on demand in a running lab, in the spirit of containerlab's `tools netem` and link
 * commands. What to run is planned by pure functions over the lab state (`planFault`, `planClear`); `injectFault` and
 * `clearFaults` run a plan through a Runner and record the active faults in the lab state, so `lab status` lists them
 * and `clear` can undo every one of them without the user remembering what was done.
 *
 * - link A B down|up: both ends of every veth between A and B go administratively down (a cut cable). IPv6
 *   addresses are kept over the down (keep_addr_on_down) and re-added on up, so up is a plain return.
 * - device ID stop|start: the router's FRR daemons die (SIGKILL, as in a crash) and the routes zebra installed go with
 *   them, so the box stops routing; sshd stays, so ggi can still reach and repair it. start starts the daemons again
 *   with the last configuration FRR wrote (/etc/frr/<pathspace>/frr.conf).
 * - netem A B --loss P --delay MS: tc netem on both ends of the link (each direction gets the loss and the delay).
 *   A kernel without sch_netem (some micro-VMs) gets the loss from an nftables netdev egress rule instead; delay has
 *   no such fallback and is then refused.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Runner } from './exec';
import { FRR_DAEMONS, frrPaths, readPid, startFrr } from './frr';
import { LabError } from './lab';
import { readState, saveState, type LabState, type NodeState } from './state';

export type FaultSpec =
  | { readonly kind: 'link'; readonly a: string; readonly b: string }
  | { readonly kind: 'device'; readonly device: string }
  | { readonly kind: 'netem'; readonly a: string; readonly b: string; readonly lossPercent?: number; readonly delayMs?: number };

/** An active fault as the lab state records it (`lab status --format json` under "faults"). */
export type FaultRecord = FaultSpec & {
  /** The interfaces it acts on, `node:ifname` (link and netem), or the namespace (device). */
  readonly where: readonly string[];
  /** netem only: tc netem, or the nftables loss fallback on kernels without sch_netem. */
  readonly method?: 'netem' | 'nftables';
  readonly since: string;
};

/** One command of a plan: argv, run in a namespace (or the root namespace). */
export interface FaultStep {
  readonly netns?: string;
  readonly argv: readonly string[];
  readonly input?: string;
  /** Undoing what is already undone is not an error (idempotent clear). */
  readonly allowFail?: boolean;
}

export interface FaultPlan {
  readonly steps: FaultStep[];
  /** The record to add to the state (inject) or the records it removes (restore). */
  readonly record: FaultRecord;
}

// FRR's kernel route protocols (iproute2 rt_protos.d/frr.conf): bgp 186, static 196.
const FRR_ROUTE_PROTOS = ['186', '196'];

function node(state: LabState, idOrNs: string): NodeState {
  const n = state.nodes.find((x) => x.id === idOrNs || x.namespace === idOrNs);
  if (!n) throw new LabError(`no lab node '${idOrNs}' (known: ${state.nodes.map((x) => x.id).join(', ')})`);
  return n;
}

/** Both ends of every veth between two nodes (a node pair may share more than one link). */
export function linkEnds(state: LabState, a: string, b: string): Array<{ node: NodeState; ifname: string }> {
  const na = node(state, a);
  const nb = node(state, b);
  const ends: Array<{ node: NodeState; ifname: string }> = [];
  for (const i of na.interfaces) {
    if (i.peer?.node !== nb.id) continue;
    ends.push({ node: na, ifname: i.name }, { node: nb, ifname: i.peer.ifname });
  }
  if (!ends.length) throw new LabError(`no link between '${na.id}' and '${nb.id}' in the lab`);
  return ends;
}

function sameFault(x: FaultSpec, y: FaultSpec): boolean {
  if (x.kind !== y.kind) return false;
  if (x.kind === 'device' && y.kind === 'device') return x.device === y.device;
  const pair = (f: { a: string; b: string }) => [f.a, f.b].sort().join('\0');
  return pair(x as { a: string; b: string }) === pair(y as { a: string; b: string });
}

/** Canonical ids (node ids, not namespaces), so `link a b` and `link B-ns a` are one fault. */
function canonical(state: LabState, f: FaultSpec): FaultSpec {
  if (f.kind === 'device') return { kind: 'device', device: node(state, f.device).id };
  const [a, b] = [node(state, f.a).id, node(state, f.b).id];
  return f.kind === 'link' ? { kind: 'link', a, b } : { ...f, a, b };
}

/** The active fault of the same kind on the same thing, if any. */
export function activeFault(state: LabState, f: FaultSpec): FaultRecord | undefined {
  const c = canonical(state, f);
  return (state.faults ?? []).find((r) => sameFault(r, c));
}

function linkDownSteps(state: LabState, a: string, b: string): FaultStep[] {
  return linkEnds(state, a, b).flatMap((e) => [
    { netns: e.node.namespace, argv: ['sysctl', '-q', '-w', `net.ipv6.conf.${e.ifname}.keep_addr_on_down=1`], allowFail: true },
    { netns: e.node.namespace, argv: ['ip', 'link', 'set', 'dev', e.ifname, 'down'] },
  ]);
}

function linkUpSteps(state: LabState, a: string, b: string): FaultStep[] {
  return linkEnds(state, a, b).flatMap((e) => {
    const addrs = e.node.interfaces.find((i) => i.name === e.ifname)?.addresses ?? [];
    return [
      { netns: e.node.namespace, argv: ['ip', 'link', 'set', 'dev', e.ifname, 'up'] },
      // `replace` is idempotent: the address may have survived the down or not.
      ...addrs.map((c) => ({ netns: e.node.namespace, argv: ['ip', 'address', 'replace', c, 'dev', e.ifname, ...(c.includes(':') ? ['nodad'] : [])] })),
    ];
  });
}

/** tc netem arguments, or null when neither loss nor delay is given. */
export function netemArgs(lossPercent?: number, delayMs?: number): string[] | null {
  const args: string[] = [];
  if (delayMs !== undefined && delayMs > 0) args.push('delay', `${delayMs}ms`);
  if (lossPercent !== undefined && lossPercent > 0) args.push('loss', `${lossPercent}%`);
  return args.length ? args : null;
}

/** The nftables fallback for loss: a netdev egress chain that drops a random share of the packets. */
export function nftLossRuleset(ifname: string, lossPercent: number): string {
  // numgen gives an integer: per ten thousand keeps two decimals of the percentage.
  const perTenThousand = Math.round(lossPercent * 100);
  // numgen's values are 0-9999, so 100 % is a plain drop (nft refuses `< 10000`).
  const rule = perTenThousand >= 10000 ? 'drop' : `numgen random mod 10000 < ${perTenThousand} drop`;
  return `table netdev ${nftLossTable(ifname)} {\n  chain egress {\n    type filter hook egress device "${ifname}" priority 0;\n    ${rule}\n  }\n}\n`;
}

function nftLossTable(ifname: string): string {
  return `ggi-fault-${ifname.replace(/[^A-Za-z0-9_-]/g, '_')}`;
}

function netemSteps(state: LabState, f: Extract<FaultSpec, { kind: 'netem' }>, method: 'netem' | 'nftables'): FaultStep[] {
  const ends = linkEnds(state, f.a, f.b);
  if (method === 'netem') {
    const args = netemArgs(f.lossPercent, f.delayMs)!;
    return ends.map((e) => ({ netns: e.node.namespace, argv: ['tc', 'qdisc', 'replace', 'dev', e.ifname, 'root', 'netem', ...args] }));
  }
  return ends.map((e) => ({ netns: e.node.namespace, argv: ['nft', '-f', '-'], input: nftLossRuleset(e.ifname, f.lossPercent ?? 0) }));
}

function netemClearSteps(state: LabState, r: FaultRecord & { kind: 'netem' }): FaultStep[] {
  return linkEnds(state, r.a, r.b).map((e) =>
    r.method === 'nftables'
      ? { netns: e.node.namespace, argv: ['nft', 'delete', 'table', 'netdev', nftLossTable(e.ifname)], allowFail: true }
      : { netns: e.node.namespace, argv: ['tc', 'qdisc', 'del', 'dev', e.ifname, 'root'], allowFail: true },
  );
}

function frrNode(state: LabState, id: string): NodeState & { frr: NonNullable<NodeState['frr']> } {
  const n = node(state, id);
  if (n.kind !== 'router' || !n.frr) throw new LabError(`lab node '${n.id}' runs no FRR daemons to stop`);
  return n as NodeState & { frr: NonNullable<NodeState['frr']> };
}

/** Stop: kill the daemons (the pids given, read from the pathspace's pid files), then flush the routes FRR installed. */
export function deviceStopSteps(state: LabState, id: string, pids: readonly number[]): FaultStep[] {
  const n = frrNode(state, id);
  const steps: FaultStep[] = [];
  if (pids.length) steps.push({ argv: ['kill', '-KILL', ...pids.map(String)], allowFail: true });
  for (const fam of ['-4', '-6']) for (const proto of FRR_ROUTE_PROTOS) steps.push({ netns: n.namespace, argv: ['ip', fam, 'route', 'flush', 'proto', proto], allowFail: true });
  return steps;
}

/**
 * The plan to inject one fault (pure). `pids` are the FRR daemon pids of a device to stop; `netem` says whether the
 * kernel has sch_netem (else loss falls back to nftables and delay is refused).
 */
export function planFault(state: LabState, spec: FaultSpec, opts: { now: string; pids?: readonly number[]; netem?: boolean }): FaultPlan {
  const f = canonical(state, spec);
  if (activeFault(state, f)) throw new LabError(`${describeFault(f)} is already active; run 'ggi lab fault clear' or undo it first`);
  if (f.kind === 'link') {
    const where = linkEnds(state, f.a, f.b).map((e) => `${e.node.id}:${e.ifname}`);
    return { steps: linkDownSteps(state, f.a, f.b), record: { ...f, where, since: opts.now } };
  }
  if (f.kind === 'device') {
    const n = frrNode(state, f.device);
    return { steps: deviceStopSteps(state, f.device, opts.pids ?? []), record: { ...f, where: [n.namespace], since: opts.now } };
  }
  if (f.lossPercent !== undefined && (!(f.lossPercent >= 0) || f.lossPercent > 100)) throw new LabError(`--loss must be a percentage from 0 to 100 (got ${f.lossPercent})`);
  if (f.delayMs !== undefined && (!Number.isInteger(f.delayMs) || f.delayMs < 0 || f.delayMs > 60_000)) throw new LabError(`--delay must be whole milliseconds from 0 to 60000 (got ${f.delayMs})`);
  if (!netemArgs(f.lossPercent, f.delayMs)) throw new LabError('netem needs --loss P or --delay MS (or both)');
  const method = opts.netem === false ? 'nftables' : 'netem';
  if (method === 'nftables' && f.delayMs) throw new LabError('this kernel has no netem qdisc (sch_netem): --delay is not possible here; --loss works through nftables');
  const where = linkEnds(state, f.a, f.b).map((e) => `${e.node.id}:${e.ifname}`);
  return { steps: netemSteps(state, f, method), record: { ...f, where, method, since: opts.now } };
}

/** The steps that undo one active fault (pure; device start is done by `restoreDevice`, not by steps). */
export function undoSteps(state: LabState, r: FaultRecord): FaultStep[] {
  if (r.kind === 'link') return linkUpSteps(state, r.a, r.b);
  if (r.kind === 'netem') return netemClearSteps(state, r);
  return [];
}

export function describeFault(f: FaultSpec): string {
  if (f.kind === 'device') return `device ${f.device} stopped`;
  if (f.kind === 'link') return `link ${f.a} ${f.b} down`;
  const what = [f.lossPercent !== undefined ? `loss ${f.lossPercent}%` : '', f.delayMs !== undefined ? `delay ${f.delayMs} ms` : ''].filter(Boolean).join(', ');
  return `netem ${f.a} ${f.b} (${what})`;
}

// ---- the imperative edge ------------------------------------------------------------------------------------------

async function runSteps(runner: Runner, steps: readonly FaultStep[]): Promise<void> {
  for (const s of steps) await runner.run(s.argv, { netns: s.netns, input: s.input, allowFail: s.allowFail, timeoutMs: 30_000 });
}

function liveState(stateDir: string): LabState {
  const state = readState(path.resolve(stateDir));
  if (state?.phase !== 'up') throw new LabError(`no lab is up in ${stateDir}; run 'ggi lab up' first`);
  return state;
}

/** The FRR daemons' pids, from the pathspace's pid files (the daemons rewrite them on every start). */
function frrPids(n: NodeState): number[] {
  if (!n.frr) return [];
  const names = new Set<string>([...FRR_DAEMONS, ...Object.keys(n.frr.pids ?? {})]);
  try {
    for (const f of fs.readdirSync(n.frr.runDir)) if (f.endsWith('.pid')) names.add(f.slice(0, -4));
  } catch {
    // no run folder: nothing runs
  }
  return [...names].map((d) => readPid(path.join(n.frr!.runDir, `${d}.pid`))).filter((p): p is number => p !== null);
}

/** Whether this kernel has the netem qdisc: tried on the node's loopback and removed at once. */
async function netemAvailable(runner: Runner, netns: string): Promise<boolean> {
  const r = await runner.run(['tc', 'qdisc', 'add', 'dev', 'lo', 'root', 'netem', 'delay', '0ms'], { netns, allowFail: true, timeoutMs: 30_000 });
  if (r.code !== 0) return false;
  await runner.run(['tc', 'qdisc', 'del', 'dev', 'lo', 'root'], { netns, allowFail: true, timeoutMs: 30_000 });
  return true;
}

/** Injects a fault and records it. Returns the record. */
export async function injectFault(runner: Runner, stateDir: string, spec: FaultSpec, now: Date = new Date()): Promise<FaultRecord> {
  const state = liveState(stateDir);
  let netem: boolean | undefined;
  if (spec.kind === 'netem') {
    planFault(state, spec, { now: now.toISOString(), netem: true }); // refuses bad arguments before touching anything
    netem = await netemAvailable(runner, linkEnds(state, spec.a, spec.b)[0].node.namespace);
  }
  const pids = spec.kind === 'device' ? frrPids(frrNode(state, spec.device)) : [];
  const plan = planFault(state, spec, { now: now.toISOString(), pids, netem });
  // Record first (as the lab does with everything it makes): a crash halfway still leaves `clear` something to undo.
  state.faults = [...(state.faults ?? []), plan.record];
  saveState(state);
  await runSteps(runner, plan.steps);
  return plan.record;
}

/** Starts a stopped device's FRR daemons again (stale pid files and sockets of the killed ones removed first). */
async function restoreDevice(runner: Runner, state: LabState, id: string): Promise<void> {
  const n = frrNode(state, id);
  const p = frrPaths(n.frr.pathspace);
  const daemons = Object.keys(n.frr.pids ?? {}).length ? Object.keys(n.frr.pids!) : [...FRR_DAEMONS];
  for (const d of daemons) for (const ext of ['pid', 'vty']) fs.rmSync(path.join(p.runDir, `${d}.${ext}`), { force: true });
  const pids = await startFrr(runner, n.namespace, p);
  n.frr.pids = { ...(n.frr.pids ?? {}), ...pids };
  const processes = state.processes as Array<{ pid: number; what: string; netns: string }>;
  for (const [d, pid] of Object.entries(pids)) {
    const i = processes.findIndex((x) => x.netns === n.namespace && x.what === d);
    if (i >= 0) processes[i] = { pid, what: d, netns: n.namespace };
    else processes.push({ pid, what: d, netns: n.namespace });
  }
}

/** Undoes one active fault (link up, device start, netem off) and drops its record. */
export async function undoFault(runner: Runner, stateDir: string, spec: FaultSpec): Promise<FaultRecord> {
  const state = liveState(stateDir);
  const r = activeFault(state, spec);
  if (!r) throw new LabError(`${describeFault(canonical(state, spec))} is not an active fault`);
  await undoRecord(runner, state, r);
  state.faults = (state.faults ?? []).filter((x) => x !== r);
  saveState(state);
  return r;
}

async function undoRecord(runner: Runner, state: LabState, r: FaultRecord): Promise<void> {
  if (r.kind === 'device') await restoreDevice(runner, state, r.device);
  else await runSteps(runner, undoSteps(state, r));
}

/** Undoes every active fault (netem first, then links, then devices, so daemons start on working links). */
export async function clearFaults(runner: Runner, stateDir: string): Promise<FaultRecord[]> {
  const state = liveState(stateDir);
  const order = { netem: 0, link: 1, device: 2 } as const;
  const active = [...(state.faults ?? [])].sort((x, y) => order[x.kind] - order[y.kind]);
  const cleared: FaultRecord[] = [];
  for (const r of active) {
    await undoRecord(runner, state, r);
    state.faults = (state.faults ?? []).filter((x) => x !== r);
    saveState(state);
    cleared.push(r);
  }
  return cleared;
}
