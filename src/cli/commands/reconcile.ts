import * as path from 'node:path';
import { type Command, type CommandContext, EXIT, type ExitCode, flagBool, flagInt, flagList, flagString, type FlagSpec, UsageError, UserError } from '../context';
import type { DeviceJob, DeviceResult } from '../../reconciler/types';
import type { DeviceTarget } from '../../reconciler/targets';
import { FORMAT_FLAG, printJson } from '../report/output';

/**
 * `ggi plan|apply|drift` (CLI.md): the reconciler over SSH. Heavy modules (node-ssh, the renderer) are required
 * inside `run` so that other commands start fast.
 */

const COMMON: Record<string, FlagSpec> = {
  target: { type: 'string', help: "where the devices are: 'lab' (built by ggi lab up); default: the inventory's management addresses" },
  device: { type: 'string', multiple: true, help: 'only this device (repeatable, or comma-separated)' },
  format: FORMAT_FLAG,
  concurrency: { type: 'string', help: 'devices worked on at once', default: '16' },
  state: { type: 'string', help: 'state folder (journal, accepted host keys)', default: '.ggi-state' },
  'lab-state': { type: 'string', help: 'lab state folder (with --target lab)', default: '.ggi-state/lab' },
  'connect-timeout': { type: 'string', help: 'seconds to wait for a device to answer', default: '10' },
  'cloud-baseline': { type: 'string', help: "plan only: compare the cloud stacks with this synth output ('ggi synth' writes it); 'none' skips", default: 'cdktf.out' },
};

const APPLY: Record<string, FlagSpec> = {
  ...COMMON,
  yes: { type: 'boolean', short: 'y', help: 'apply without asking (required when not on a terminal)' },
  'accept-new': { type: 'boolean', help: 'accept and record the host key of a device with no pinned key (onboarding only; a changed key is always refused)' },
  'confirm-timeout': { type: 'string', help: 'seconds before an unconfirmed change rolls itself back on the device', default: '300' },
  'verify-timeout': { type: 'string', help: 'seconds each verification (BGP sessions, routes) may take (FRR retries a failed session after up to 120 s)', default: '150' },
};

type Mode = 'plan' | 'apply' | 'drift';

interface Prepared {
  jobs: DeviceJob[];
  targets: Map<string, DeviceTarget>;
  stateDir: string;
  /** Devices of the selection that cannot be worked on (no target), as results. */
  skipped: DeviceResult[];
  /** Where secrets named `{ env }` are read: the environment, and under the lab target the lab's generated secrets. */
  env: NodeJS.ProcessEnv;
  /** Prefixes an API appliance's address must lie in (the management network and the documentation ranges). */
  apiAllowed: string[];
}

function prepare(ctx: CommandContext, mode: Mode): Prepared {
  const { buildIntents } = require('../../intent') as typeof import('../../intent');
  const { driverFor } = require('../../devices') as typeof import('../../devices');
  const tg = require('../../reconciler/targets') as typeof import('../../reconciler/targets');

  const stateDir = path.resolve(ctx.io.cwd, String(ctx.args.flags.state));
  const targetName = flagString(ctx.args, 'target');
  let lab: import('../../reconciler/targets').LabTargetLike | null = null;
  let profile = ctx.global.profile;
  if (targetName !== undefined) {
    if (targetName !== 'lab') throw new UsageError(`unknown target '${targetName}' (known: lab)`);
    const { readLabTarget } = require('../../lab/inventory-lab') as typeof import('../../lab/inventory-lab');
    let t: ReturnType<typeof readLabTarget>;
    try {
      t = readLabTarget(path.resolve(ctx.io.cwd, String(ctx.args.flags['lab-state'])));
    } catch (e) {
      throw new UserError((e as Error).message, EXIT.INVALID);
    }
    if (!t) throw new UserError(`the lab is not up (no target in ${String(ctx.args.flags['lab-state'])}): run 'ggi lab up' first`, EXIT.INVALID);
    lab = t;
    // The lab sees the inventory through the profile it was built with.
    if (profile === 'default') profile = t.profile;
  }

  // The full validation first (CLI.md): plan, apply and drift never connect for an inventory with errors.
  // Connecting needs the pinned host keys, except in the lab, which pins the keys of the devices it makes.
  const loaded = (require('../gate') as typeof import('../gate')).loadValidForCommand(ctx, { profile, pinsRequired: lab === null });
  // Detection rules expire against the same day the validation used.
  const built = buildIntents(loaded.inventory, { now: ctx.io.now() });
  const errors = built.findings.filter((f) => f.severity === 'error');
  if (errors.length > 0) throw new UserError(`the devices of ${ctx.global.inventory} cannot be built`, EXIT.INVALID, errors);
  let env: NodeJS.ProcessEnv = ctx.io.env;
  if (lab) {
    // The lab runs govroam's national proxies and home servers as devices of its own, with secrets generated for it.
    const gv = require('../../lab/govroam') as typeof import('../../lab/govroam');
    built.intents.push(...gv.labOnlyRadiusIntents(loaded.inventory, built.intents));
    const labSecrets = gv.readGovroamLabSecrets(lab.stateDir);
    if (labSecrets) env = { ...ctx.io.env, ...labSecrets.env };
  }

  const wanted = flagList(ctx.args, 'device');
  const known = new Set(built.intents.map((i) => i.id));
  const unknown = wanted.filter((w) => !known.has(w));
  if (unknown.length) throw new UserError(`unknown device${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}`, EXIT.INVALID);
  const intents = built.intents.filter((i) => wanted.length === 0 || wanted.includes(i.id));

  const targets = lab ? tg.labTargets(lab) : tg.inventoryTargets(intents, ctx.io.env, tg.readKnownHosts(stateDir));
  const confirmTimeoutS = mode === 'apply' ? (flagInt(ctx.args, 'confirm-timeout', 5, 86400) ?? 300) : 300;
  const jobs: DeviceJob[] = [];
  const skipped: DeviceResult[] = [];
  for (const intent of intents) {
    const t = targets.get(intent.id);
    if (!t) {
      // Only an explicitly named device that the target lacks is an error; otherwise the target decides the set.
      if (wanted.includes(intent.id)) skipped.push({ id: intent.id, changed: false, files: [], outcome: 'unreachable', reason: `device ${intent.id} is not part of target ${targetName}` });
      continue;
    }
    const driver = driverFor(intent.platform);
    if (!driver) {
      skipped.push({ id: intent.id, changed: false, files: [], outcome: 'unreachable', reason: `ggi has no driver for platform ${intent.platform}` });
      continue;
    }
    // A lock outlives the longest apply: twice the confirm timeout, at least the default.
    const layout = { ...t.layout, lockTtlS: Math.max(t.layout.lockTtlS, confirmTimeoutS * 2) };
    jobs.push({ id: intent.id, driver, candidate: driver.render(intent), layout, managed: intent.managed });
  }
  const { DEFAULT_HTTP_ALLOWED } = require('../../reconciler/http-transport') as typeof import('../../reconciler/http-transport');
  const mgmt = loaded.inventory.settings.transfer.managementIpv4;
  return { jobs, targets, stateDir, skipped, env, apiAllowed: [...DEFAULT_HTTP_ALLOWED, ...(mgmt ? [mgmt] : [])] };
}

async function execute(ctx: CommandContext, mode: Mode): Promise<ExitCode> {
  const format = String(ctx.args.flags.format);
  const concurrency = flagInt(ctx.args, 'concurrency', 1, 1024) ?? 16;
  const connectTimeoutS = flagInt(ctx.args, 'connect-timeout', 1, 600) ?? 10;
  if (mode === 'apply' && !flagBool(ctx.args, 'yes') && !(ctx.io.isTTY && ctx.io.prompt)) {
    throw new UsageError('apply changes devices: pass --yes when not running on a terminal');
  }
  const confirmTimeoutS = mode === 'apply' ? (flagInt(ctx.args, 'confirm-timeout', 5, 86400) ?? 300) : 300;
  const acceptNew = mode === 'apply' && flagBool(ctx.args, 'accept-new');
  const prep = prepare(ctx, mode);

  const { reconcileAll } = require('../../reconciler/apply') as typeof import('../../reconciler/apply');
  const { connectSsh, loadPrivateKey, TransportError } = require('../../reconciler/transport') as typeof import('../../reconciler/transport');
  const { openJournal, operatorName } = require('../../reconciler/journal') as typeof import('../../reconciler/journal');
  const { recordKnownHosts } = require('../../reconciler/targets') as typeof import('../../reconciler/targets');
  const { filePendingStore } = require('../../reconciler/pending') as typeof import('../../reconciler/pending');
  const { readSecret } = require('../../secrets') as typeof import('../../secrets');

  const accepted: Record<string, string> = {};
  const connect = async (id: string, kind: import('../../devices/contract').TransportKind): Promise<import('../../devices/contract').Transport> => {
    const t = prep.targets.get(id)!;
    if (kind === 'http-api') {
      const { connectHttp } = require('../../reconciler/http-transport') as typeof import('../../reconciler/http-transport');
      if (!t.password) throw new TransportError('AUTH_FAILED', `${id}: no API password configured (management.password in the inventory)`);
      return connectHttp({ id, host: t.host, port: t.port, auth: { user: t.user, password: t.password } }, { allowed: prep.apiAllowed, env: prep.env, baseDir: ctx.io.cwd, timeoutMs: connectTimeoutS * 1000 });
    }
    if (kind !== 'ssh') throw new TransportError('UNREACHABLE', `${id}: no ${kind} endpoint is known for this device`);
    if (!t.privateKey) {
      throw new TransportError('PRIVATE_KEY', `${id}: no SSH key configured (management.privateKey in the inventory, or GGI_SSH_KEY_FILE)`);
    }
    const key = loadPrivateKey(t.privateKey, ctx.io.env, ctx.io.cwd);
    const tr = await connectSsh({ id, host: t.host, port: t.port, user: t.user, hostKey: t.hostKey, privateKey: key }, { acceptNew, connectTimeoutMs: connectTimeoutS * 1000 });
    if (!t.hostKey) accepted[id] = tr.hostKey;
    return tr;
  };
  const operator = operatorName(ctx.io.env, ctx.io.cwd);
  // Secrets are read at apply time from the environment or owner-only files; what is missing is named, never a value.
  const secrets = (job: DeviceJob) => {
    const values = new Map<string, string>();
    const missing: string[] = [];
    for (const u of job.candidate.secrets) {
      try {
        values.set(u.id, readSecret(u.ref, prep.env, ctx.io.cwd));
      } catch (e) {
        missing.push(`${u.id}: ${(e as Error).message}`);
      }
    }
    return { values, missing };
  };
  const base = {
    connect,
    concurrency,
    operator,
    confirmTimeoutS,
    secrets,
    pending: filePendingStore(path.join(prep.stateDir, 'pending')),
    now: () => ctx.io.now(),
  };
  const progress = ctx.io.isTTY && format === 'text';
  const onDevice = progress ? (r: DeviceResult, done: number, total: number) => ctx.io.stderr(`[${done}/${total}] ${r.id}: ${r.outcome === 'unchanged' && r.changed ? 'differs' : r.outcome}\n`) : undefined;

  const drivers = new Map(prep.jobs.map((j) => [j.id, driverInfo(j)]));
  let results: DeviceResult[];
  if (mode === 'apply') {
    if (!flagBool(ctx.args, 'yes')) {
      const planned = await reconcileAll(prep.jobs, { ...base, mode: 'plan' });
      const changing = planned.filter((r) => r.changed && r.outcome !== 'observed');
      // With --format json stdout holds only the one document: the plan to confirm goes to the terminal's stderr.
      const show = format === 'json' ? ctx.io.stderr : ctx.io.stdout;
      show(renderPlanText(planned.filter((r) => (r.changed && r.outcome !== 'observed') || r.outcome === 'unreachable'), drivers));
      if (changing.length === 0) {
        show('nothing to change\n');
        if (format === 'json') printJson(ctx.io, { devices: planned.map((r) => ({ id: r.id, changed: r.changed, files: r.files, outcome: r.outcome, ...(r.reason ? { reason: r.reason } : {}) })) });
        return planned.some((r) => r.outcome === 'unreachable') ? EXIT.DEVICE_FAILED : EXIT.OK;
      }
      const answer = await ctx.io.prompt!(`apply these changes to ${changing.length} device${changing.length > 1 ? 's' : ''}? [y/N] `);
      if (!answer || !/^y(es)?$/i.test(answer.trim())) {
        ctx.io.stderr('not applied\n');
        if (format === 'json') printJson(ctx.io, { applied: false, devices: [] });
        return EXIT.OK;
      }
    }
    const journal = openJournal(path.join(prep.stateDir, 'journal.jsonl'));
    results = await reconcileAll(prep.jobs, { ...base, mode: 'apply', journal, onDevice, verifyTimeoutS: flagInt(ctx.args, 'verify-timeout', 1, 3600) });
    if (acceptNew) {
      recordKnownHosts(prep.stateDir, accepted);
      for (const [id, fp] of Object.entries(accepted)) ctx.io.stderr(`${id}: accepted host key ${fp} (recorded in ${path.relative(ctx.io.cwd, prep.stateDir) || '.'}/known-hosts.json; pin it as management.hostKey in the inventory)\n`);
    }
  } else {
    results = await reconcileAll(prep.jobs, { ...base, mode: 'plan', onDevice });
  }
  results = [...results, ...prep.skipped].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

  const cloud = mode === 'plan' ? await cloudPlan(ctx) : undefined;
  if (format === 'json') {
    const devices = results.map((r) => {
      const d = drivers.get(r.id);
      const driver = d ? { driver: d } : {};
      return mode === 'apply'
        ? { id: r.id, changed: r.changed, files: r.files, outcome: r.outcome, ...(r.reason ? { reason: r.reason } : {}), ...(r.restoreFailed ? { restoreFailed: true } : {}), ...driver }
        : { id: r.id, changed: r.changed, files: r.files, ...(r.outcome === 'unreachable' || r.outcome === 'observed' ? { outcome: r.outcome, reason: r.reason } : {}), ...driver };
    });
    printJson(ctx.io, { devices, ...(cloud !== undefined ? { cloud } : {}) });
  } else if (mode === 'apply') {
    ctx.io.stdout(renderSummary(results));
  } else {
    ctx.io.stdout(renderPlanText(results, drivers));
    if (cloud === null) ctx.io.stdout(`\ncloud: no synth output to compare with in ${String(ctx.args.flags['cloud-baseline'])}; run 'ggi synth' to record one\n`);
    else if (cloud) {
      const rows = [...cloud.added.map((n) => [n, 'added']), ...cloud.removed.map((n) => [n, 'removed']), ...cloud.changed.map((n) => [n, 'changed'])];
      ctx.io.stdout(`\ncloud stacks: ${rows.length} of ${cloud.unchanged.length + cloud.added.length + cloud.changed.length} would change (compared with ${String(ctx.args.flags['cloud-baseline'])})\n`);
      for (const [n, c] of rows) ctx.io.stdout(`  ${c.padEnd(8)} ${n}\n`);
    }
  }
  const failed = results.some((r) => r.outcome === 'unreachable' || r.outcome === 'rolled-back');
  if (failed) {
    if (format === 'json') for (const r of results.filter((x) => x.reason)) ctx.io.stderr(`${r.id}: ${r.outcome}: ${r.reason}\n`);
    return EXIT.DEVICE_FAILED;
  }
  if (mode === 'drift' && results.some((r) => r.changed)) return EXIT.DIFFERENCE;
  return EXIT.OK;
}

/** What plan says about a device's driver (JSON `driver`; one line in text). */
export interface DriverInfo {
  platform: string;
  transport: string;
  /** Who reverts an unconfirmed change: the device's own timer, or the controller (the platform cannot). */
  rollback: 'device' | 'controller';
  validatesOnDevice: boolean;
  readOnly: boolean;
  manages: string[];
  managed: boolean;
}

export function driverInfo(job: DeviceJob): DriverInfo {
  const c = job.driver.capabilities;
  return { platform: job.driver.platform, transport: c.transport, rollback: c.nativeCommitConfirm ? 'device' : 'controller', validatesOnDevice: c.validatesOnDevice, readOnly: c.readOnly, manages: c.manages, managed: job.managed };
}

/** `linux-frr over ssh; validated on the device; rollback by the device's own timer`. */
export function describeDriver(d: DriverInfo): string {
  const parts = [`${d.platform} over ${d.transport}`];
  if (!d.managed) parts.push('observed only (managed: false), never written');
  else {
    parts.push(d.validatesOnDevice ? 'validated on the device' : 'not validated on the device');
    parts.push(d.rollback === 'device' ? "rollback by the device's own timer" : 'the device cannot revert by itself: the controller does the rollback');
  }
  return parts.join('; ');
}

/** Per device: its driver, and its diffs or that it is unchanged, observed or unreachable; then a count. */
export function renderPlanText(results: readonly DeviceResult[], drivers: ReadonlyMap<string, DriverInfo> = new Map()): string {
  const out: string[] = [];
  for (const r of results) {
    const d = drivers.get(r.id);
    const via = d ? ` (${describeDriver(d)})` : '';
    if (r.outcome === 'unreachable') out.push(`${r.id}: unreachable: ${r.reason ?? ''}`);
    else if (!r.changed) out.push(`${r.id}: ${r.outcome === 'observed' ? 'observed, as expected' : 'unchanged'}${via}`);
    else {
      out.push(`${r.id}: ${r.files.length} ${r.outcome === 'observed' ? 'difference' : 'change'}${r.files.length > 1 ? 's' : ''}${via}`);
      for (const f of r.files) out.push(f.diff.replace(/\n$/, ''));
    }
  }
  const observed = results.filter((r) => r.outcome === 'observed').length;
  const changed = results.filter((r) => r.changed && r.outcome !== 'observed').length;
  const unreachable = results.filter((r) => r.outcome === 'unreachable').length;
  const obs = observed ? `, ${observed} observed (never written)` : '';
  out.push('', `${results.length} device${results.length === 1 ? '' : 's'}: ${changed} to change, ${results.length - changed - unreachable - observed} unchanged${obs}, ${unreachable} unreachable`);
  return out.join('\n') + '\n';
}

/**
 * Which cloud stacks the inventory would change against the last `ggi synth` output; null without one, undefined when
 * skipped. Synthesis sees the default profile: the cloud never gets lab addresses.
 */
async function cloudPlan(ctx: CommandContext): Promise<{ added: string[]; removed: string[]; changed: string[]; unchanged: string[] } | null | undefined> {
  const baseline = String(ctx.args.flags['cloud-baseline']);
  if (baseline === 'none' || ctx.args.flags.target === 'lab') return undefined;
  const { loadInventory } = require('../../model/load') as typeof import('../../model/load');
  const { cloudChanges } = require('../../../stacks/changes') as typeof import('../../../stacks/changes');
  const inv = loadInventory(path.resolve(ctx.io.cwd, ctx.global.inventory)).inventory;
  if (!inv?.settings.cloud) return undefined;
  return cloudChanges(inv, path.resolve(ctx.io.cwd, baseline));
}

/** The summary table after apply. */
export function renderSummary(results: readonly DeviceResult[]): string {
  const w = Math.max(6, ...results.map((r) => r.id.length)) + 2;
  const lines = [`${'DEVICE'.padEnd(w)}${'OUTCOME'.padEnd(13)}${'FILES'.padEnd(7)}NOTE`];
  for (const r of results) lines.push(`${r.id.padEnd(w)}${r.outcome.padEnd(13)}${String(r.files.length).padEnd(7)}${(r.reason ?? '').split('\n')[0]}`);
  const count = (o: string) => results.filter((r) => r.outcome === o).length;
  const unclean = results.filter((r) => r.restoreFailed).length;
  const rolledBack = `${count('rolled-back')} rolled back${unclean ? ` (${unclean} of them could not re-activate the previous files: check those by hand)` : ''}`;
  const observed = count('observed') ? `, ${count('observed')} observed (managed: false, not written)` : '';
  lines.push('', `${results.length} devices: ${count('applied')} applied, ${count('unchanged')} unchanged, ${rolledBack}, ${count('unreachable')} unreachable${observed}`);
  return lines.join('\n') + '\n';
}

export const commands: Command[] = [
  {
    spec: { name: 'plan', summary: 'show, per device, the changes apply would make (a unified diff per managed file)', flags: COMMON },
    run: (ctx) => execute(ctx, 'plan'),
  },
  {
    spec: {
      name: 'apply',
      summary: 'make the devices match the inventory: validate, activate, verify, confirm or roll back',
      flags: APPLY,
      details: 'Every change is validated on the device, activated under an on-device rollback timer, verified and only then confirmed; a device that fails is restored (outcome rolled-back), the others are still applied (exit 3). Changes are journaled in STATE/journal.jsonl; GGI_OPERATOR names who made them.',
    },
    run: (ctx) => execute(ctx, 'apply'),
  },
  {
    spec: { name: 'drift', summary: 'plan, exiting 4 when any device differs from the inventory (files or live state)', flags: COMMON },
    run: (ctx) => execute(ctx, 'drift'),
  },
];
