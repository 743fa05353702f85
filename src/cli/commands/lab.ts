import * as fs from 'node:fs';
import * as path from 'node:path';
import { type Command, type CommandContext, EXIT, type ExitCode, UsageError, UserError } from '../context';
import type { LabStatusDocument } from '../../lab/lab';
import type { LabState } from '../../lab/state';
import { FORMAT_FLAG, printJson } from '../report/output';

/**
 * `ggi lab up|down|status`: the lab of real routers built from the inventory (CLI.md). Heavy modules are required
 * inside `run` so that other commands start fast.
 */

const STATE_FLAG = { type: 'string' as const, help: 'lab state folder (keys, configs, pid files, the lab target)', default: '.ggi-state/lab' };

/** The CLI.md status document; its one shape is `labStatusDocument` in src/lab/lab.ts. */
export type LabStatusJson = LabStatusDocument;

/** The CLI.md status document from a lab state (null: no lab). Pure. */
export function statusJson(up: boolean, state: LabState | null): LabStatusJson {
  const { labStatusDocument } = require('../../lab/lab') as typeof import('../../lab/lab');
  return labStatusDocument({ up: state !== null && up, state, problems: [] });
}

function stateDirOf(ctx: CommandContext): string {
  return path.resolve(ctx.io.cwd, String(ctx.args.flags.state));
}

async function up(ctx: CommandContext): Promise<ExitCode> {
  const { loadInventory } = require('../../model/load') as typeof import('../../model/load');
  const { hasErrors } = require('../../model/finding') as typeof import('../../model/finding');
  const { buildIntents } = require('../../intent') as typeof import('../../intent');
  const lab = require('../../lab') as typeof import('../../lab');
  const il = require('../../lab/inventory-lab') as typeof import('../../lab/inventory-lab');

  // The lab only ever sees lab addresses: the default profile means the lab profile here.
  const profile = ctx.global.profile === 'default' ? 'lab' : ctx.global.profile;
  const loaded = loadInventory(path.resolve(ctx.io.cwd, ctx.global.inventory), { profile });
  if (!loaded.inventory || hasErrors(loaded.findings)) {
    throw new UserError(`the inventory in ${ctx.global.inventory} is invalid: run 'ggi validate' for all findings`, EXIT.INVALID, loaded.findings.filter((f) => f.severity === 'error'));
  }
  const inv = loaded.inventory;
  const built = buildIntents(inv);
  const errors = built.findings.filter((f) => f.severity === 'error');
  if (errors.length > 0) throw new UserError(`the devices of ${ctx.global.inventory} cannot be built`, EXIT.INVALID, errors);

  const stateDir = stateDirOf(ctx);
  let spec: ReturnType<typeof il.labSpecFromIntents>;
  try {
    spec = il.labSpecFromIntents(inv, built.intents, { stateDir, name: String(ctx.args.flags.name) });
  } catch (e) {
    if (e instanceof il.InventoryLabError) throw new UserError(e.message, EXIT.INVALID);
    throw e;
  }
  const progress = ctx.io.isTTY ? (p: { step: string; node?: string; done: number; total: number }) => ctx.io.stderr(`\r\x1b[K[${p.done}/${p.total}] ${p.step}${p.node ? ` ${p.node}` : ''}`) : undefined;
  let state: LabState;
  // A lab that is up is rewired in place to the inventory (src/lab/rewire.ts): this is what it did.
  let rewired: import('../../lab/rewire').RewirePlan | undefined;
  try {
    state = await lab.labUp(spec, lab.localRunner(), progress, { onRewire: (p) => (rewired = p) });
    // govroam: federation network, device folders, generated secrets and test accounts (src/lab/govroam.ts).
    const gv = require('../../lab/govroam') as typeof import('../../lab/govroam');
    await gv.provisionGovroamLab(state, inv, built.intents, lab.localRunner()).catch(async (e: unknown) => {
      await lab.labDown(stateDir, lab.localRunner()).catch(() => undefined);
      throw e;
    });
    (require('../../lab/state') as typeof import('../../lab/state')).saveState(state);
  } catch (e) {
    if (ctx.io.isTTY) ctx.io.stderr('\n');
    // A refused `up` (a lab is already up here) keeps that lab's target; a failed one leaves no target behind.
    let stillUp = false;
    try {
      stillUp = lab.labStatus(stateDir).up;
    } catch {
      stillUp = false;
    }
    if (!stillUp) il.removeLabTarget(stateDir);
    if (e instanceof lab.LabError) throw new UserError(e.message, EXIT.INVALID);
    throw new UserError(`lab up failed and was torn down: ${e instanceof Error ? e.message : String(e)}`, EXIT.DEVICE_FAILED);
  }
  if (ctx.io.isTTY) ctx.io.stderr('\n');
  il.writeLabTarget(stateDir, il.labTargetFromState(state, { inventory: path.resolve(ctx.io.cwd, ctx.global.inventory), profile }));

  const doc = statusJson(true, state);
  const { describeRewire } = require('../../lab/rewire') as typeof import('../../lab/rewire');
  if (ctx.args.flags.format === 'json') printJson(ctx.io, rewired ? { ...doc, rewired: { steps: rewired.steps, untouched: rewired.untouched } } : doc);
  else {
    if (rewired) ctx.io.stdout(`the lab was up: ${rewired.steps.length ? 'rewired it to the inventory' : 'it already matches the inventory'}\n${describeRewire(rewired).map((l) => `  ${l}\n`).join('')}`);
    ctx.io.stdout(`lab up: ${doc.devices.length} devices, ${doc.hosts.length} hosts (state in ${path.relative(ctx.io.cwd, stateDir) || '.'})\n`);
    ctx.io.stdout(`next: ggi plan --target lab, ggi apply --target lab\n`);
  }
  return EXIT.OK;
}

async function down(ctx: CommandContext): Promise<ExitCode> {
  const lab = require('../../lab') as typeof import('../../lab');
  const il = require('../../lab/inventory-lab') as typeof import('../../lab/inventory-lab');
  const stateDir = stateDirOf(ctx);
  if (typeof process.getuid === 'function' && process.getuid() !== 0) throw new UserError('the lab needs root (network namespaces)', EXIT.INVALID);
  const report = await lab.labDown(stateDir, lab.localRunner());
  il.removeLabTarget(stateDir);
  // The state folder itself goes too when the lab left nothing else in it, and so does the default `.ggi-state`.
  for (const dir of [stateDir, ...(String(ctx.args.flags.state) === STATE_FLAG.default ? [path.dirname(stateDir)] : [])]) {
    try {
      if (fs.existsSync(dir) && fs.readdirSync(dir).length === 0) fs.rmdirSync(dir);
    } catch {
      // not empty or not ours to remove: leave it
    }
  }
  if (ctx.args.flags.format === 'json') {
    printJson(ctx.io, { down: report.remaining.length === 0, namespaces: report.namespaces, processes: report.killed, remaining: report.remaining });
  } else if (report.remaining.length === 0) {
    ctx.io.stdout(`lab down: removed ${report.namespaces.length} namespaces, stopped ${report.killed} processes\n`);
  } else {
    ctx.io.stderr(`lab down: could not remove:\n${report.remaining.map((r) => `  ${r}`).join('\n')}\n`);
  }
  return report.remaining.length === 0 ? EXIT.OK : EXIT.DEVICE_FAILED;
}

async function status(ctx: CommandContext): Promise<ExitCode> {
  const lab = require('../../lab') as typeof import('../../lab');
  const stateDir = stateDirOf(ctx);
  let st: ReturnType<typeof lab.labStatus>;
  try {
    st = lab.labStatus(stateDir);
  } catch (e) {
    throw new UserError(e instanceof Error ? e.message : String(e), EXIT.INVALID);
  }
  const doc = statusJson(st.up, st.state);
  if (ctx.args.flags.format === 'json') {
    printJson(ctx.io, doc);
    return EXIT.OK;
  }
  if (!st.state) {
    ctx.io.stdout(`lab: down (no lab state in ${path.relative(ctx.io.cwd, stateDir) || '.'})\n`);
    return EXIT.OK;
  }
  const lines = [`lab: ${st.up ? 'up' : 'not healthy'} (${doc.devices.length} devices, ${doc.hosts.length} hosts)`];
  for (const d of doc.devices) lines.push(`  device ${d.id.padEnd(24)} ${d.namespace.padEnd(32)} ${d.mgmt ?? '-'}`);
  const soc = require('../../lab/soc') as typeof import('../../lab/soc');
  const socIds = new Set(st.state.nodes.filter((n) => n.meta.role === soc.SOC_ROLE).map((n) => n.id));
  for (const h of doc.hosts) {
    if (socIds.has(h.id)) continue;
    const what = h.service ? `service ${h.service}` : `LAN of ${h.organisation ?? '-'}`;
    const listens = h.listens.length ? ` listens ${h.listens.map((l) => `${l.proto}/${l.port}`).join(',')}` : '';
    lines.push(`  host   ${h.id.padEnd(24)} ${h.namespace.padEnd(32)} ${what}: ${h.addresses.join(' ')}${listens}`);
  }
  lines.push(...soc.socStatusLines(st.state));
  if (doc.faults.length) {
    const { describeFault } = require('../../lab/fault') as typeof import('../../lab/fault');
    for (const f of doc.faults) lines.push(`  fault  ${describeFault(f)} since ${f.since}`);
  }
  for (const p of st.problems) lines.push(`  problem: ${p}`);
  ctx.io.stdout(`${lines.join('\n')}\n`);
  return EXIT.OK;
}

// ---- ggi lab fault … (src/lab/fault.ts plans and runs them) ------------------------------------------------------

function requireRoot(): void {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) throw new UserError('the lab needs root (network namespaces)', EXIT.INVALID);
}

function faultPrinted(ctx: CommandContext, action: string, records: ReadonlyArray<import('../../lab/fault').FaultRecord>): ExitCode {
  const { describeFault } = require('../../lab/fault') as typeof import('../../lab/fault');
  if (ctx.args.flags.format === 'json') printJson(ctx.io, { ok: true, action, faults: records });
  else if (records.length === 0) ctx.io.stdout(`lab fault ${action}: no active faults\n`);
  else ctx.io.stdout(records.map((r) => `lab fault ${action}: ${describeFault(r)} (${r.where.join(', ')})\n`).join(''));
  return EXIT.OK;
}

/** Runs one fault action; lab errors (unknown node, no link, already active) are the user's to fix. */
async function faultAction(ctx: CommandContext, action: string, fn: (fault: typeof import('../../lab/fault'), runner: import('../../lab/exec').Runner, stateDir: string) => Promise<Array<import('../../lab/fault').FaultRecord>>): Promise<ExitCode> {
  const lab = require('../../lab') as typeof import('../../lab');
  const fault = require('../../lab/fault') as typeof import('../../lab/fault');
  requireRoot();
  let records: Array<import('../../lab/fault').FaultRecord>;
  try {
    records = await fn(fault, lab.localRunner(), stateDirOf(ctx));
  } catch (e) {
    if (e instanceof lab.LabError) throw new UserError(e.message, EXIT.INVALID);
    if (e instanceof lab.CommandError) throw new UserError(`lab fault ${action} failed: ${e.message}`, EXIT.DEVICE_FAILED);
    throw e;
  }
  return faultPrinted(ctx, action, records);
}

function upDown(ctx: CommandContext, word: string, allowed: readonly [string, string]): boolean {
  const v = ctx.args.positionals[word === 'link' ? 2 : 1];
  if (!allowed.includes(v)) throw new UsageError(`lab fault ${word}: expected ${allowed.join(' or ')} (got '${v}')`);
  return v === allowed[0];
}

function numberFlag(ctx: CommandContext, name: string): number | undefined {
  const v = ctx.args.flags[name];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (typeof v !== 'string' || v.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${name} needs a number (got '${String(v)}')`);
  return n;
}

const FAULT_DETAILS = 'Faults are recorded in the lab state; `ggi lab status --format json` lists them under "faults" and `ggi lab fault clear` undoes them all.';

const faultCommands: Command[] = [
  {
    spec: {
      name: 'lab fault link',
      summary: 'take the link(s) between two lab nodes down, or bring them back up',
      positionals: ['A', 'B', 'down|up'],
      flags: { state: STATE_FLAG, format: FORMAT_FLAG },
      details: `Both ends of every veth between A and B go administratively down (a cut cable). ${FAULT_DETAILS}`,
    },
    run: (ctx) => {
      const [a, b] = ctx.args.positionals;
      const down = upDown(ctx, 'link', ['down', 'up']);
      return faultAction(ctx, down ? 'inject' : 'undo', async (f, r, dir) => [down ? await f.injectFault(r, dir, { kind: 'link', a, b }, ctx.io.now()) : await f.undoFault(r, dir, { kind: 'link', a, b })]);
    },
  },
  {
    spec: {
      name: 'lab fault device',
      summary: "stop a lab router's FRR daemons (they die, its routes go), or start them again",
      positionals: ['ID', 'stop|start'],
      flags: { state: STATE_FLAG, format: FORMAT_FLAG },
      details: `stop kills the daemons (SIGKILL) and flushes the routes FRR installed; sshd keeps running so ggi can reach and repair the device. start runs them again with FRR's last written configuration. ${FAULT_DETAILS}`,
    },
    run: (ctx) => {
      const [device] = ctx.args.positionals;
      const stop = upDown(ctx, 'device', ['stop', 'start']);
      return faultAction(ctx, stop ? 'inject' : 'undo', async (f, r, dir) => [stop ? await f.injectFault(r, dir, { kind: 'device', device }, ctx.io.now()) : await f.undoFault(r, dir, { kind: 'device', device })]);
    },
  },
  {
    spec: {
      name: 'lab fault netem',
      summary: 'add packet loss and/or delay to the link(s) between two lab nodes (tc netem)',
      positionals: ['A', 'B'],
      flags: {
        state: STATE_FLAG,
        format: FORMAT_FLAG,
        loss: { type: 'string', help: 'packet loss in percent (0-100) in each direction' },
        delay: { type: 'string', help: 'added delay in milliseconds in each direction' },
      },
      details: `Applied on both ends. On a kernel without sch_netem the loss is made by an nftables netdev egress rule and --delay is refused. ${FAULT_DETAILS}`,
    },
    run: (ctx) => {
      const [a, b] = ctx.args.positionals;
      const lossPercent = numberFlag(ctx, 'loss');
      const delayMs = numberFlag(ctx, 'delay');
      if (lossPercent === undefined && delayMs === undefined) throw new UsageError('lab fault netem needs --loss P or --delay MS (or both)');
      return faultAction(ctx, 'inject', async (f, r, dir) => [await f.injectFault(r, dir, { kind: 'netem', a, b, ...(lossPercent !== undefined ? { lossPercent } : {}), ...(delayMs !== undefined ? { delayMs } : {}) }, ctx.io.now())]);
    },
  },
  {
    spec: { name: 'lab fault clear', summary: 'undo every active fault in the lab', flags: { state: STATE_FLAG, format: FORMAT_FLAG } },
    run: (ctx) => faultAction(ctx, 'clear', (f, r, dir) => f.clearFaults(r, dir)),
  },
];

export const commands: Command[] = [
  ...faultCommands,
  {
    spec: {
      name: 'lab up',
      summary: 'build the lab of real routers from the inventory (network namespaces, FRR, sshd, hosts; needs root)',
      flags: {
        state: STATE_FLAG,
        format: FORMAT_FLAG,
        name: { type: 'string', default: 'ggi', help: "lab name: the prefix of every namespace ('ggi' plus up to 5 of [a-z0-9])" },
      },
      details: 'Uses the lab profile (documentation addresses only). Writes the `lab` target for plan/apply/drift --target lab.',
    },
    run: up,
  },
  {
    spec: { name: 'lab down', summary: 'remove everything the lab made (also after a crash)', flags: { state: STATE_FLAG, format: FORMAT_FLAG } },
    run: down,
  },
  {
    spec: { name: 'lab status', summary: 'show the lab: devices, hosts, listeners', flags: { state: STATE_FLAG, format: FORMAT_FLAG } },
    run: status,
  },
];
