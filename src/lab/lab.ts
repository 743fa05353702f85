/**
 * Builds and removes the lab: real network namespaces, veths, a management bridge, sshd, FRR and service listeners.
 * Driven by a `LabSpec` (plain data). Every object is recorded in the state file before it is made (see state.ts), so
 * `labDown` works after a crash; it also sweeps leftovers by name prefix (`<name>-`) when the state file is gone.
 *
 * A lab is identified on the machine by its name: namespaces `<name>-…`, bridge `<name>-mgmt`, root-side management
 * veths `<name>-<hash>`, FRR dirs /etc/frr/<ns> and /var/run/frr/<ns>. Two labs with the same name cannot coexist.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CommandError, formatCommand, type Runner } from './exec';
import { frrPaths, startFrr, waitFor, writeFrrFiles } from './frr';
import { generateKey, publicKeyOnly, renderSshdConfig, sshFingerprint, sshdPaths, startSshd } from './sshd';
import { bridgeAddress, bridgeName, MGMT_IFNAME, mgmtHostIfname, resolveNode, validateSpec, type LabNode, type LabSpec } from './spec';
import { linkName, planRewire, type RewirePlan, type RewireStep } from './rewire';
import type { FaultRecord } from './fault';
import { readState, saveState, stateFilePath, type InterfaceState, type LabState, type NodeState, type SshdState } from './state';
import { makeDirectory } from '../util/directory';
import { KEA_LAB_ROOT } from '../devices/kea/paths';
import { telemetryPaths } from '../devices/linux-frr/telemetry';
import { setUpKea } from './kea';
import { setUpSoc } from './soc';
import { EXTERNAL_ROLES } from './inventory-lab';

/** A problem the user can fix (bad spec, lab already up, missing package); its message is meant to be printed. */
export class LabError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LabError';
  }
}

export interface LabProgress {
  readonly step: string;
  readonly node?: string;
  readonly done: number;
  readonly total: number;
}
export type ProgressFn = (p: LabProgress) => void;

export interface LabUpOptions {
  /** Nodes set up at once (default 8). */
  readonly concurrency?: number;
  /** On failure, leave what was built for inspection (default: tear it down). */
  readonly keepOnFailure?: boolean;
  /** Per daemon readiness limit (default 20 s). */
  readonly readyTimeoutMs?: number;
  /** Called with the plan when `labUp` finds the lab up and rewires it in place instead of building it. */
  readonly onRewire?: (plan: RewirePlan) => void;
}

const SSH_PORT = 22;
const DEFAULT_NAME = 'ggi';
const NETNS_DIR = '/run/netns';

/** The bounded parallel map shared with the reconciler (src/util/pool). */
export { mapLimit } from '../util/pool';
import { mapLimit } from '../util/pool';

/** Runs `ip [-n ns] -batch -`; a failing line is reported with its text, not only its number. */
async function ipBatch(runner: Runner, lines: readonly string[], netns?: string): Promise<void> {
  if (lines.length === 0) return;
  const cmd = netns ? ['ip', '-n', netns, '-batch', '-'] : ['ip', '-batch', '-'];
  const res = await runner.run(cmd, { input: `${lines.join('\n')}\n`, allowFail: true, timeoutMs: 120_000 });
  if (res.code !== 0) {
    const m = /Command failed -:(\d+)/.exec(res.stderr);
    const line = m ? lines[Number(m[1]) - 1] : undefined;
    throw new CommandError(cmd, res.code, res.stderr, line ? `at 'ip ${netns ? `-n ${netns} ` : ''}${line}'` : `exit code ${res.code}`);
  }
}

function isV6(cidr: string): boolean {
  return cidr.includes(':');
}

function addrLine(cidr: string, dev: string): string {
  // nodad: IPv6 addresses are usable at once (no duplicate address detection delay).
  return `address add ${cidr} dev ${dev}${isV6(cidr) ? ' nodad' : ''}`;
}

function netnsExists(ns: string): boolean {
  return fs.existsSync(path.join(NETNS_DIR, ns));
}

function listNetns(prefix: string): string[] {
  try {
    return fs.readdirSync(NETNS_DIR).filter((n) => n.startsWith(prefix));
  } catch {
    return [];
  }
}

function nodeInterfaces(spec: LabSpec, node: LabNode): InterfaceState[] {
  const ifs: InterfaceState[] = [];
  if (node.loopbacks?.length) ifs.push({ name: 'lo', addresses: [...node.loopbacks] });
  for (const l of spec.links) {
    if (l.a.node === node.id) ifs.push({ name: l.a.ifname, addresses: [...l.a.addresses], peer: { node: l.b.node, ifname: l.b.ifname } });
    if (l.b.node === node.id) ifs.push({ name: l.b.ifname, addresses: [...l.b.addresses], peer: { node: l.a.node, ifname: l.a.ifname } });
  }
  return ifs;
}

function newNodeState(spec: LabSpec, r: ReturnType<typeof resolveNode>, stateDir: string): NodeState {
  return {
    id: r.node.id,
    kind: r.node.kind,
    namespace: r.node.namespace,
    meta: { ...(r.node.meta ?? {}) },
    dir: path.join(stateDir, 'nodes', r.node.namespace),
    mgmtAddress: r.node.mgmtAddress,
    interfaces: nodeInterfaces(spec, r.node),
    sysctls: r.sysctls,
    listens: [...(r.node.services ?? [])],
  };
}

function checkPrerequisites(spec: LabSpec): void {
  const need = new Map<string, string>([['/usr/bin/ip', 'iproute2'], ['/usr/bin/ssh-keygen', 'openssh-client']]);
  const nodes = spec.nodes.map((n) => resolveNode(spec, n));
  if (nodes.some((n) => n.sshd)) need.set('/usr/sbin/sshd', 'openssh-server');
  if (nodes.some((n) => n.frr)) {
    need.set('/usr/lib/frr/zebra', 'frr');
    need.set('/usr/bin/vtysh', 'frr');
    // The reconciler activates FRR config through frr-reload.py, which Debian ships apart (frr only recommends it).
    need.set('/usr/lib/frr/frr-reload.py', 'frr-pythontools');
  }
  if (spec.nodes.some((n) => n.services?.length || n.soc)) need.set('/usr/bin/socat', 'socat');
  if (spec.nodes.some((n) => n.soc?.collectors.length)) need.set('/usr/bin/nfcapd', 'nfdump');
  const missing = [...need].filter(([f]) => !fs.existsSync(f) && !fs.existsSync(f.replace('/usr/bin/', '/bin/')));
  if (missing.length) throw new LabError(`the lab needs ${missing.map(([f, p]) => `${f} (package ${p})`).join(', ')}`);
  if (typeof process.getuid === 'function' && process.getuid() !== 0) throw new LabError('the lab needs root (network namespaces)');
}

/**
 * Builds the lab of `spec`. Returns the state (also in `<stateDir>/lab-state.json`). On failure the partial lab is
 * torn down (unless keepOnFailure) and the error is rethrown; errors the user can fix are LabError.
 */
export async function labUp(spec: LabSpec, runner: Runner, progress?: ProgressFn, opts: LabUpOptions = {}): Promise<LabState> {
  const problems = validateSpec(spec);
  if (problems.length) throw new LabError(`the lab spec has ${problems.length} problem(s):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  checkPrerequisites(spec);
  const stateDir = path.resolve(spec.stateDir);
  makeDirectory(stateDir, 0o700);

  const previous = readState(stateDir);
  if (previous) {
    const live = previous.namespaces.filter(netnsExists);
    // A running lab is brought to the new spec in place (rewire.ts); one that cannot be diffed is refused.
    if (live.length && previous.phase === 'up' && previous.spec) return rewireLab(previous, spec, runner, progress, opts);
    if (live.length) throw new LabError(`a lab is already up from ${stateDir} (namespaces ${live.slice(0, 3).join(', ')}${live.length > 3 ? ', …' : ''}); run lab down first`);
    await labDown(stateDir, runner);
  }
  const bridge = bridgeName(spec.name);
  const taken = spec.nodes.map((n) => n.namespace).filter(netnsExists);
  if (taken.length) throw new LabError(`namespace(s) ${taken.slice(0, 3).join(', ')} already exist (another lab named '${spec.name}'?); run lab down first`);
  if (fs.existsSync(`/sys/class/net/${bridge}`)) throw new LabError(`bridge ${bridge} already exists (another lab named '${spec.name}'?); run lab down first`);

  const resolved = spec.nodes.map((n) => resolveNode(spec, n));
  const state: LabState = {
    version: 1,
    name: spec.name,
    stateDir,
    phase: 'building',
    startedAt: new Date().toISOString(),
    bridge: { name: bridge, address: bridgeAddress(spec.mgmt.bridgeV4), prefix: spec.mgmt.bridgeV4 },
    namespaces: [],
    rootLinks: [],
    dirs: [],
    files: [],
    processes: [],
    nodes: resolved.map((r) => newNodeState(spec, r, stateDir)),
    spec,
  };
  const save = (): void => saveState(state);
  const total = spec.nodes.length;
  let done = 0;
  const report = (step: string, node?: string): void => progress?.({ step, node, done, total });

  try {
    state.files.push(path.join(stateDir, 'nodes'));
    save();
    makeDirectory(path.join(stateDir, 'nodes'), 0o700);

    report('controller key');
    const keyFile = path.join(stateDir, 'controller_ed25519');
    state.files.push(keyFile, `${keyFile}.pub`);
    save();
    const controllerPub = await generateKey(runner, keyFile, `ggi-lab-controller@${spec.name}`);
    state.controllerKey = { privateKeyFile: keyFile, publicKey: controllerPub };

    report('namespaces');
    state.namespaces.push(...spec.nodes.map((n) => n.namespace));
    save();
    await ipBatch(runner, spec.nodes.map((n) => `netns add ${n.namespace}`));

    report('links');
    const rootLines: string[] = [`link add name ${bridge} type bridge`, addrLine(state.bridge.address, bridge), `link set ${bridge} up`];
    const mgmtLinks: string[] = [];
    for (const r of resolved) {
      if (!r.mgmtHostIf) continue;
      mgmtLinks.push(r.mgmtHostIf);
      rootLines.push(`link add ${r.mgmtHostIf} type veth peer name ${MGMT_IFNAME} netns ${r.node.namespace}`, `link set ${r.mgmtHostIf} master ${bridge}`, `link set ${r.mgmtHostIf} up`);
    }
    const nsOf = new Map(spec.nodes.map((n) => [n.id, n.namespace]));
    for (const l of spec.links) {
      rootLines.push(`link add ${l.a.ifname} netns ${nsOf.get(l.a.node)} type veth peer name ${l.b.ifname} netns ${nsOf.get(l.b.node)}`);
    }
    state.rootLinks.push(bridge, ...mgmtLinks);
    save();
    await ipBatch(runner, rootLines);

    await mapLimit(resolved, opts.concurrency ?? 8, async (r, i) => {
      const ns = state.nodes[i];
      try {
        await setUpNode(spec, r.node, ns, state, runner, save, opts, (step) => report(step, r.node.id));
      } catch (e) {
        if (e instanceof Error) e.message = `node '${r.node.id}' (${r.node.namespace}): ${e.message}`;
        throw e;
      }
      done++;
      report('node ready', r.node.id);
    });

    return markUp(state, save, report);
  } catch (e) {
    return await markFailed(state, save, e, runner, opts);
  }
}

async function setUpNode(
  spec: LabSpec,
  node: LabNode,
  ns: NodeState,
  state: LabState,
  runner: Runner,
  save: () => void,
  opts: LabUpOptions,
  step: (s: string) => void,
): Promise<void> {
  const netns = node.namespace;
  const r = resolveNode(spec, node);
  makeDirectory(ns.dir, 0o700);

  step('addresses');
  // Sysctls before any link is up. Interfaces made before this call copied accept_dad from the old default, so DAD
  // is also turned off per interface (DAD runs unless both `all` and the interface say 0). `nsenter --net` suffices for
  // /proc/sys/net and is cheaper than `ip netns exec` (no mount namespace).
  const ifSysctls = [...(r.mgmtCidr ? [MGMT_IFNAME] : []), ...ns.interfaces.filter((i) => i.name !== 'lo').map((i) => i.name)].map(
    (i) => `net/ipv6/conf/${i}/accept_dad=0`,
  );
  const kv = [...Object.entries(r.sysctls).map(([k, v]) => `${k}=${v}`), ...ifSysctls];
  await runner.run(['nsenter', `--net=${NETNS_DIR}/${netns}`, 'sysctl', '-q', '-w', ...kv]);
  const lines = ['link set lo up'];
  for (const c of node.loopbacks ?? []) lines.push(addrLine(c, 'lo'));
  if (r.mgmtCidr) lines.push(addrLine(r.mgmtCidr, MGMT_IFNAME), `link set ${MGMT_IFNAME} up`);
  for (const i of ns.interfaces) {
    if (i.name === 'lo') continue;
    for (const c of i.addresses) lines.push(addrLine(c, i.name));
    lines.push(`link set ${i.name} up`);
  }
  for (const rt of node.routes ?? []) lines.push(`route add ${rt.dst} via ${rt.via}`);
  await ipBatch(runner, lines, netns);

  // FRR, sshd and the listeners do not depend on each other: start them together.
  const tasks: Array<Promise<void>> = [];
  if (r.frr) tasks.push(setUpFrr(node, ns, state, runner, save, opts, step));
  if (r.sshd && node.mgmtAddress) tasks.push(setUpSshd(node, node.mgmtAddress, ns, state, runner, save, opts, step));
  if (node.services?.length) tasks.push(setUpListeners(node, ns, state, runner, save, opts, step));
  if (node.kea) {
    step('kea');
    tasks.push(setUpKea(node, ns, state, runner, save, opts.readyTimeoutMs));
  }
  if (node.soc) {
    step('soc');
    tasks.push(setUpSoc(node, ns, state, runner, save, opts.readyTimeoutMs));
  }
  await settleAll(tasks);
}

/** Like Promise.all, but waits for every task before rejecting, so no step is still running when teardown starts. */
async function settleAll(tasks: ReadonlyArray<Promise<void>>): Promise<void> {
  const results = await Promise.allSettled(tasks);
  const failed = results.find((x): x is PromiseRejectedResult => x.status === 'rejected');
  if (failed) throw failed.reason;
}

type Step = (s: string) => void;

async function setUpFrr(node: LabNode, ns: NodeState, state: LabState, runner: Runner, save: () => void, opts: LabUpOptions, step: Step): Promise<void> {
  step('frr');
  const netns = node.namespace;
  const p = frrPaths(netns);
  ns.frr = { ...p };
  state.dirs.push(p.confDir, p.runDir);
  save();
  writeFrrFiles(p, node.frrConfig ?? '');
  ns.frr.pids = await startFrr(runner, netns, p, { readyTimeoutMs: opts.readyTimeoutMs });
  for (const [d, pid] of Object.entries(ns.frr.pids)) state.processes.push({ pid, what: d, netns });
  save();
}

async function setUpSshd(node: LabNode, address: string, ns: NodeState, state: LabState, runner: Runner, save: () => void, opts: LabUpOptions, step: Step): Promise<void> {
  step('sshd');
  const netns = node.namespace;
  const p = sshdPaths(ns.dir);
  const sshd: SshdState = { address, port: SSH_PORT, config: p.config, pidFile: p.pidFile, home: path.join(ns.dir, 'home') };
  ns.sshd = sshd;
  save();
  makeDirectory(p.dir, 0o700);
  const hostKey = await generateKey(runner, p.hostKey, `${node.id}@ggi-lab`);
  fs.writeFileSync(p.authorizedKeys, `${state.controllerKey!.publicKey} ggi-lab-controller\n`, { mode: 0o600 });
  // HOME is the device's own folder: sessions must not run the host root's dotfiles (a login shell sourcing
  // /root/.bashrc can hang, e.g. on a `pyenv rehash` lock) and `~` is then per device, like on a real router.
  const home = path.join(ns.dir, 'home');
  makeDirectory(home, 0o700);
  const env = { HOME: home, GGI_DEVICE: node.id.replace(/[^A-Za-z0-9_.:@-]/g, '_'), GGI_NETNS: netns, FRR_PATHSPACE: netns };
  fs.writeFileSync(p.config, renderSshdConfig({ listen: address, port: SSH_PORT, paths: p, env }), { mode: 0o600 });
  sshd.hostKey = publicKeyOnly(hostKey);
  sshd.hostKeySha256 = sshFingerprint(hostKey);
  sshd.pid = await startSshd(runner, netns, p, address, SSH_PORT, opts.readyTimeoutMs);
  state.processes.push({ pid: sshd.pid, what: 'sshd', netns });
  save();
}

async function setUpListeners(node: LabNode, ns: NodeState, state: LabState, runner: Runner, save: () => void, opts: LabUpOptions, step: Step): Promise<void> {
  step('listeners');
  const netns = node.namespace;
  const services = node.services ?? [];
  for (const s of services) {
    // An echo service on every address, IPv4 and IPv6 (one v6 socket with ipv6only=0); -T ends idle children.
    const addr = s.proto === 'tcp' ? `TCP6-LISTEN:${s.port},ipv6only=0,reuseaddr,fork` : `UDP6-RECVFROM:${s.port},ipv6only=0,reuseaddr,fork`;
    const pid = await runner.start(['socat', '-T', s.proto === 'udp' ? '2' : '10', addr, 'EXEC:/bin/cat'], { netns, logFile: path.join(ns.dir, `listen-${s.proto}-${s.port}.log`) });
    state.processes.push({ pid, what: `listen ${s.proto}/${s.port}`, netns });
    save();
  }
  const deadline = Date.now() + (opts.readyTimeoutMs ?? 60_000);
  await waitFor(
    async () => (await missingListeners(runner, netns, services)).length === 0,
    deadline,
    `listeners ${services.map((s) => `${s.proto}/${s.port}`).join(', ')} in ${netns}`,
  );
}

/** The declared services that nothing in the namespace listens on (from `ss`). */
export async function missingListeners(runner: Runner, netns: string, services: readonly { proto: 'tcp' | 'udp'; port: number }[]): Promise<string[]> {
  const res = await runner.run(['ss', '-H', '-l', '-n', '-t', '-u'], { netns });
  const open = new Set<string>();
  for (const line of res.stdout.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 5) continue;
    const port = f[4].slice(f[4].lastIndexOf(':') + 1);
    open.add(`${f[0]}/${port}`);
  }
  return services.filter((s) => !open.has(`${s.proto}/${s.port}`)).map((s) => `${s.proto}/${s.port}`);
}

/**
 * Brings a running lab to a new spec in place (`lab up` on a lab that is up): the steps of `planRewire` (rewire.ts),
 * recorded in the state before they are made like every build step. Nodes the plan leaves alone keep running.
 */
async function rewireLab(state: LabState, spec: LabSpec, runner: Runner, progress: ProgressFn | undefined, opts: LabUpOptions): Promise<LabState> {
  const plan = planRewire(state.spec!, spec);
  if (plan.problems.length) throw new LabError(`the running lab in ${state.stateDir} cannot be rewired to this inventory (${plan.problems.join('; ')}); run lab down first`);
  opts.onRewire?.(plan);
  const save = (): void => saveState(state);
  const steps = plan.steps;
  const total = steps.length;
  let done = 0;
  const report = (step: string, node?: string): void => progress?.({ step, node, done, total });
  const newById = new Map(spec.nodes.map((n) => [n.id, n]));
  const nsOf = new Map(spec.nodes.map((n) => [n.id, n.namespace]));
  const of = <K extends RewireStep['kind']>(kind: K) => steps.filter((s): s is Extract<RewireStep, { kind: K }> => s.kind === kind);
  if (!steps.length) return state;
  state.phase = 'building';
  delete state.error;
  save();
  try {
    // Removals first: the processes and namespaces of nodes that leave or are rebuilt (their veths go with them).
    const leaving = of('remove-node').map((s) => state.nodes.find((n) => n.id === s.node)).filter((n): n is NodeState => n !== undefined);
    if (leaving.length) {
      report('remove nodes');
      const spaces = leaving.map((n) => n.namespace);
      // The veths to nodes that stay are deleted from their side first: a namespace is freed asynchronously, and its
      // veth peers with it, so a link made again at once under the same name could still find the old one.
      const ids = new Set(leaving.map((n) => n.id));
      const oldNs = new Map(state.spec!.nodes.map((n) => [n.id, n.namespace]));
      for (const l of state.spec!.links) {
        const [gone, stays] = ids.has(l.a.node) ? [l.a, l.b] : [l.b, l.a];
        if (ids.has(gone.node) && !ids.has(stays.node)) await runner.run(['ip', '-n', oldNs.get(stays.node)!, 'link', 'delete', stays.ifname], { allowFail: true });
      }
      const recorded = state.processes.filter((p) => spaces.includes(p.netns)).map((p) => p.pid);
      await killNamespaceProcesses(runner, spaces.filter(netnsExists), recorded.filter(alive));
      const live = spaces.filter(netnsExists);
      if (live.length) await runner.run(['ip', '-force', '-batch', '-'], { input: live.map((n) => `netns delete ${n}`).join('\n') + '\n', allowFail: true });
      for (const n of leaving) {
        const own = (p: string) => p.split('/').includes(n.namespace);
        for (const p of [...state.dirs.filter(own), n.dir]) fs.rmSync(p, { recursive: true, force: true });
        const mgmtIf = mgmtHostIfname(state.name, n.namespace);
        if (fs.existsSync(`/sys/class/net/${mgmtIf}`)) await runner.run(['ip', 'link', 'delete', mgmtIf], { allowFail: true });
        splice(state.dirs, own);
        splice(state.rootLinks, (l) => l === mgmtIf);
        splice(state.processes, (p) => p.netns === n.namespace);
        splice(state.namespaces, (x) => x === n.namespace);
        splice(state.nodes, (x) => x === n);
        done++;
        save();
      }
    }
    for (const s of of('remove-link')) {
      report('remove link', linkName(s.link));
      await runner.run(['ip', '-n', nsOf.get(s.link.a.node)!, 'link', 'delete', s.link.a.ifname], { allowFail: true });
      done++;
    }

    // Then the new and rebuilt nodes: namespaces, management veths, links, and their setup as in labUp.
    const coming = of('add-node').map((s) => resolveNode(spec, newById.get(s.node)!));
    const comingStates = coming.map((r) => newNodeState(spec, r, state.stateDir));
    state.nodes.push(...comingStates);
    state.namespaces.push(...coming.map((r) => r.node.namespace));
    const mgmtLinks = coming.flatMap((r) => (r.mgmtHostIf ? [r.mgmtHostIf] : []));
    state.rootLinks.push(...mgmtLinks);
    save();
    if (coming.length) {
      report('namespaces');
      await ipBatch(runner, coming.map((r) => `netns add ${r.node.namespace}`));
    }
    const rootLines: string[] = [];
    for (const r of coming) {
      if (r.mgmtHostIf) rootLines.push(`link add ${r.mgmtHostIf} type veth peer name ${MGMT_IFNAME} netns ${r.node.namespace}`, `link set ${r.mgmtHostIf} master ${state.bridge.name}`, `link set ${r.mgmtHostIf} up`);
    }
    for (const s of of('add-link')) rootLines.push(`link add ${s.link.a.ifname} netns ${nsOf.get(s.link.a.node)} type veth peer name ${s.link.b.ifname} netns ${nsOf.get(s.link.b.node)}`);
    report('links');
    await ipBatch(runner, rootLines);
    done += of('add-link').length;
    await mapLimit(coming, opts.concurrency ?? 8, async (r, i) => {
      try {
        await setUpNode(spec, r.node, comingStates[i], state, runner, save, opts, (step) => report(step, r.node.id));
      } catch (e) {
        if (e instanceof Error) e.message = `node '${r.node.id}' (${r.node.namespace}): ${e.message}`;
        throw e;
      }
      done++;
      report('node ready', r.node.id);
    });

    // Kept nodes with new or lost links: addresses on the new interfaces, and their routes again (a route via an
    // interface that was replaced went with it).
    const added = of('add-link').map((s) => s.link);
    for (const s of of('refresh-node')) {
      const node = newById.get(s.node)!;
      report('rewire', node.id);
      const ends = added.flatMap((l) => [l.a, l.b]).filter((e) => e.node === node.id);
      if (ends.length) await runner.run(['nsenter', `--net=${NETNS_DIR}/${node.namespace}`, 'sysctl', '-q', '-w', ...ends.map((e) => `net/ipv6/conf/${e.ifname}/accept_dad=0`)]);
      const lines: string[] = [];
      for (const e of ends) {
        for (const c of e.addresses) lines.push(addrLine(c, e.ifname));
        lines.push(`link set ${e.ifname} up`);
      }
      for (const rt of node.routes ?? []) lines.push(`route replace ${rt.dst} via ${rt.via}`);
      await ipBatch(runner, lines, node.namespace);
      done++;
    }

    // The record: every kept node's interfaces and meta as the new spec has them, in the spec's order.
    const byId = new Map(state.nodes.map((n) => [n.id, n]));
    const nodes = spec.nodes.map((n) => ({ ...byId.get(n.id)!, meta: { ...(n.meta ?? {}) }, interfaces: nodeInterfaces(spec, n) }));
    state.nodes.splice(0, state.nodes.length, ...nodes);
    state.spec = spec;
    return markUp(state, save, report);
  } catch (e) {
    return await markFailed(state, save, e, runner, opts);
  }
}

/** The end of a build or a rewire: the hosts' keys written, the lab recorded as up. */
function markUp(state: LabState, save: () => void, report: (step: string) => void): LabState {
  writeKnownHosts(state);
  state.phase = 'up';
  state.readyAt = new Date().toISOString();
  save();
  report('up');
  return state;
}

/** A build or rewire that failed: recorded with its error, and the lab removed unless the caller keeps it to look at. */
async function markFailed(state: LabState, save: () => void, e: unknown, runner: Runner, opts: LabUpOptions): Promise<never> {
  state.phase = 'failed';
  state.error = e instanceof Error ? e.message : String(e);
  save();
  if (!opts.keepOnFailure) await labDown(state.stateDir, runner).catch(() => undefined);
  throw e;
}

function splice<T>(list: T[], gone: (x: T) => boolean): void {
  for (let i = list.length - 1; i >= 0; i--) if (gone(list[i])) list.splice(i, 1);
}

/** known_hosts with every node's management address and host key (for `ssh -o UserKnownHostsFile=`). */
function writeKnownHosts(state: LabState): void {
  const knownHosts = path.join(state.stateDir, 'known_hosts');
  if (!state.files.includes(knownHosts)) state.files.push(knownHosts);
  const lines = state.nodes.filter((n) => n.sshd?.hostKey).map((n) => `${n.sshd!.address} ${n.sshd!.hostKey}\n`);
  fs.writeFileSync(knownHosts, lines.join(''), { mode: 0o600 });
  state.knownHostsFile = knownHosts;
}

export interface LabDownReport {
  readonly namespaces: string[];
  readonly killed: number;
  readonly links: string[];
  readonly paths: string[];
  /** What could not be removed (empty when the lab is gone). */
  readonly remaining: string[];
}

export type LabTarget = string | LabSpec | { readonly stateDir?: string; readonly name?: string };

/**
 * Removes everything of a lab: from the state file when there is one, and every namespace, root link and FRR folder
 * named `<name>-…` (name from the state file, the spec, or 'ggi'). Idempotent; safe after a crash.
 */
export async function labDown(target: LabTarget, runner: Runner): Promise<LabDownReport> {
  const t = typeof target === 'string' ? { stateDir: target } : target;
  const stateDir = t.stateDir ? path.resolve(t.stateDir) : undefined;
  let state: LabState | null = null;
  if (stateDir) {
    try {
      state = readState(stateDir);
    } catch {
      state = null; // a corrupt state file: fall back to the name sweep, then remove the file below
    }
  }
  const name = state?.name ?? t.name ?? DEFAULT_NAME;
  const prefix = `${name}-`;

  const namespaces = [...new Set([...(state?.namespaces ?? []), ...listNetns(prefix)])].filter(netnsExists);
  const killed = await killNamespaceProcesses(runner, namespaces, orphanPids(prefix, stateDir, state));
  if (namespaces.length) await runner.run(['ip', '-force', '-batch', '-'], { input: namespaces.map((n) => `netns delete ${n}`).join('\n') + '\n', allowFail: true });

  const rootLinks = [...new Set([...(state?.rootLinks ?? []), ...listRootLinks(prefix)])].filter((l) => fs.existsSync(`/sys/class/net/${l}`));
  if (rootLinks.length) await runner.run(['ip', '-force', '-batch', '-'], { input: rootLinks.map((l) => `link delete ${l}`).join('\n') + '\n', allowFail: true });

  // Only ever delete inside the state folder or a pathspace folder of this lab, whatever the state file says.
  const allowed = [...(stateDir ? [`${stateDir}/`] : []), `/etc/frr/${prefix}`, `/var/run/frr/${prefix}`, `${KEA_LAB_ROOT}/${prefix}`];
  const paths = [...new Set([...(state?.dirs ?? []), ...listDirs('/etc/frr', prefix), ...listDirs('/var/run/frr', prefix), ...listDirs(KEA_LAB_ROOT, prefix), ...(state?.files ?? [])])].filter(
    (p) => path.isAbsolute(p) && !p.split('/').includes('..') && allowed.some((a) => p.startsWith(a)),
  );
  if (stateDir) paths.push(stateFilePath(stateDir), `${stateFilePath(stateDir)}.tmp`);
  // What `apply` laid down for a lab device's telemetry daemons (their files are keyed by the device id); its daemons
  // went with the namespace.
  for (const n of state?.nodes ?? []) {
    const t = labTelemetryDirs(n.id);
    if (t) paths.push(...t);
  }
  const removed: string[] = [];
  for (const p of paths) {
    if (!fs.existsSync(p)) continue;
    fs.rmSync(p, { recursive: true, force: true });
    removed.push(p);
  }

  const remaining = [
    ...namespaces.filter(netnsExists).map((n) => `namespace ${n}`),
    ...listNetns(prefix).filter((n) => !namespaces.includes(n)).map((n) => `namespace ${n}`),
    ...listRootLinks(prefix).map((l) => `link ${l}`),
    ...paths.filter((p) => fs.existsSync(p)),
  ];
  return { namespaces, killed, links: rootLinks, paths: removed, remaining };
}

function listRootLinks(prefix: string): string[] {
  try {
    return fs.readdirSync('/sys/class/net').filter((l) => l.startsWith(prefix));
  } catch {
    return [];
  }
}

function listDirs(dir: string, prefix: string): string[] {
  try {
    return fs
      .readdirSync(dir)
      .filter((d) => d.startsWith(prefix))
      .map((d) => path.join(dir, d));
  } catch {
    return [];
  }
}

async function namespacePids(runner: Runner, namespaces: readonly string[]): Promise<number[]> {
  const lists = await mapLimit(namespaces, 16, async (ns) => {
    const res = await runner.run(['ip', 'netns', 'pids', ns], { allowFail: true });
    return res.stdout
      .split(/\s+/)
      .filter((s) => /^\d+$/.test(s))
      .map(Number);
  });
  return [...new Set(lists.flat())].filter((p) => p !== process.pid);
}

/**
 * Lab processes that `ip netns pids` cannot find because their namespace lost its name (deleted by hand while they
 * ran): FRR daemons with `-N <name>-…`, sshd with a config under the state folder, and recorded pids of listeners.
 * Only processes outside the root network namespace qualify, so nothing of the host is ever hit.
 */
function orphanPids(prefix: string, stateDir: string | undefined, state: LabState | null): number[] {
  let rootNet: string;
  try {
    rootNet = fs.readlinkSync('/proc/self/ns/net');
  } catch {
    return [];
  }
  const recorded = new Set((state?.processes ?? []).map((p) => p.pid));
  const found: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    let argv: string[];
    let net: string;
    try {
      argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      net = fs.readlinkSync(`/proc/${pid}/ns/net`);
    } catch {
      continue;
    }
    if (net === rootNet || !alive(pid)) continue;
    const n = argv.indexOf('-N');
    const frr = n >= 0 && (argv[n + 1] ?? '').startsWith(prefix) && argv[0].startsWith('/usr/lib/frr/');
    const sshd = stateDir !== undefined && argv.join(' ').includes(`-f ${path.join(stateDir, 'nodes')}/`);
    const listener = recorded.has(pid) && argv[0] === 'socat';
    if (frr || sshd || listener) found.push(pid);
  }
  return found;
}

/** A process counts as alive unless it is gone or a zombie (an init that reaps slowly must not delay teardown). */
function alive(pid: number): boolean {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return false;
  }
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
}

/** Every process inside the namespaces (found by `ip netns pids`, so also ones started by hand): TERM, then KILL. */
async function killNamespaceProcesses(runner: Runner, namespaces: readonly string[], orphans: readonly number[]): Promise<number> {
  const pids = [...new Set([...(await namespacePids(runner, namespaces)), ...orphans])];
  if (!pids.length) return 0;
  const signal = (sig: NodeJS.Signals, list: readonly number[]): void => {
    for (const pid of list) {
      try {
        process.kill(pid, sig);
      } catch {
        // already gone
      }
    }
  };
  signal('SIGTERM', pids);
  await waitFor(() => pids.every((p) => !alive(p)), Date.now() + 3000, 'processes to stop').catch(() => undefined);
  const stubborn = pids.filter(alive);
  if (stubborn.length) {
    signal('SIGKILL', stubborn);
    await waitFor(() => stubborn.every((p) => !alive(p)), Date.now() + 3000, 'processes to die').catch(() => undefined);
  }
  // Processes forked while we were killing (e.g. an sshd session) are caught by a second pass.
  const late = await namespacePids(runner, namespaces);
  signal('SIGKILL', late);
  return pids.length + late.length;
}

export interface LabStatus {
  /** True when the state says up and every namespace and recorded process is alive. */
  readonly up: boolean;
  readonly state: LabState | null;
  /** What is missing (a namespace gone, a daemon dead); empty when up. */
  readonly problems: string[];
}

/** Reads the lab's state and checks it against the machine (namespaces in /run/netns, pids alive). */
export function labStatus(stateDir: string): LabStatus {
  const state = readState(path.resolve(stateDir));
  if (!state) return { up: false, state: null, problems: [`no lab state in ${stateDir}`] };
  const problems: string[] = [];
  if (state.phase !== 'up') problems.push(`lab phase is '${state.phase}'${state.error ? `: ${state.error}` : ''}`);
  for (const ns of state.namespaces) if (!netnsExists(ns)) problems.push(`namespace ${ns} is gone`);
  // FRR daemons stopped by `ggi lab fault device ID stop` are down on purpose: a fault, not a problem.
  const stopped = new Set((state.faults ?? []).filter((f) => f.kind === 'device').flatMap((f) => f.where));
  for (const p of state.processes) if (!stopped.has(p.netns) && !alive(p.pid)) problems.push(`${p.what} (pid ${p.pid}) in ${p.netns} is not running`);
  return { up: problems.length === 0, state, problems };
}

/** Finds a node of a state by id or namespace, or throws a LabError naming the known ones. */
export function findNode(state: LabState, idOrNamespace: string): NodeState {
  const n = state.nodes.find((x) => x.id === idOrNamespace || x.namespace === idOrNamespace);
  if (!n) throw new LabError(`no lab node '${idOrNamespace}' (known: ${state.nodes.map((x) => x.id).join(', ')})`);
  return n;
}

/** Runs a command inside a node's namespace, as a shell on that device would (root, the node's network stack). */
export function execInNode(runner: Runner, state: LabState, node: string, cmd: readonly string[], opts: { input?: string; timeoutMs?: number; allowFail?: boolean } = {}) {
  return runner.run(cmd, { ...opts, netns: findNode(state, node).namespace });
}

/**
 * argv of an OpenSSH client call to a node over the management network with the controller key and the recorded
 * host keys pinned (unknown or changed keys are refused). `remote` is one shell command line on the device.
 */
export function sshArgv(state: LabState, node: string, remote: string): string[] {
  const n = findNode(state, node);
  if (!n.sshd || !state.controllerKey || !state.knownHostsFile) throw new LabError(`lab node '${n.id}' has no sshd`);
  return [
    'ssh',
    '-i',
    state.controllerKey.privateKeyFile,
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    `UserKnownHostsFile=${state.knownHostsFile}`,
    '-o',
    'GlobalKnownHostsFile=/dev/null',
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    'BatchMode=yes',
    '-o',
    'ConnectTimeout=5',
    '-p',
    String(n.sshd.port),
    `root@${n.sshd.address}`,
    remote,
  ];
}

export { formatCommand };

/** The `ggi lab status --format json` document of CLI.md, from a status (routers and appliances are devices, the rest hosts). */
export interface LabStatusDocument {
  readonly up: boolean;
  readonly devices: Array<{ id: string; namespace: string; mgmt: string | null; role: string | null; platform: string; managed: boolean }>;
  readonly hosts: Array<{
    id: string;
    namespace: string;
    organisation: string | null;
    service: string | null;
    addresses: string[];
    listens: Array<{ proto: 'tcp' | 'udp'; port: number }>;
  }>;
  /** Active faults (`ggi lab fault`), oldest first. */
  readonly faults: FaultRecord[];
}

/** A device of the lab: a router, or an appliance such as a DHCP server (a host namespace that ggi configures). */
function isDevice(n: { kind: string; meta: Readonly<Record<string, string | null>> }): boolean {
  return n.kind === 'router' || n.meta.role === 'dhcp';
}

export function labStatusDocument(status: LabStatus): LabStatusDocument {
  const nodes = status.state?.nodes ?? [];
  return {
    up: status.up,
    devices: nodes.filter(isDevice).map((n) => {
      const role = n.meta.role ?? null;
      // A lab built before the platform was recorded: the lab's only platforms, by role.
      const platform = n.meta.platform ?? (role === 'dhcp' ? 'kea' : role === 'radius' ? 'radius' : 'linux-frr');
      // The lab-only KPS peers and suppliers' routers stand for parties outside GGI: ggi does not manage them.
      return { id: n.id, namespace: n.namespace, mgmt: n.mgmtAddress ?? null, role, platform, managed: !EXTERNAL_ROLES.has(String(role)) };
    }),
    hosts: nodes
      .filter((n) => !isDevice(n))
      .map((n) => ({
        id: n.id,
        namespace: n.namespace,
        organisation: n.meta.organisation ?? null,
        service: n.meta.service ?? null,
        // The addresses a host is reached on: its links, not its loopback; a host on the management network only (the
        // SOC) is reached on its management address.
        addresses: hostAddresses(n),
        listens: n.listens.map((l) => ({ proto: l.proto, port: l.port })),
      })),
    faults: [...(status.state?.faults ?? [])],
  };
}

function hostAddresses(n: NodeState): string[] {
  const links = n.interfaces.filter((i) => i.name !== 'lo').flatMap((i) => i.addresses.map((a) => a.split('/')[0]));
  return links.length === 0 && n.mgmtAddress ? [n.mgmtAddress] : links;
}

function labTelemetryDirs(id: string): string[] | null {
  try {
    const t = telemetryPaths(id);
    return [t.etc, t.run];
  } catch {
    return null; // an id that cannot name a telemetry folder never had one
  }
}
