import { type Command, type CommandContext, EXIT, type ExitCode, flagInt, flagList, flagString, type FlagSpec, type Io, UsageError, UserError } from '../context';
import { loadForCommand } from '../load';
import { readRunningLab } from '../running-lab';
import { table } from '../report/table';
import { FORMAT_FLAG, printJson } from '../report/output';
import type { Check, CheckProvider, VerifyReport } from '../../lab/verify';

/**
 * `ggi verify` (CLI.md): the running network against the inventory, with real packets and the devices' own state.
 * The checks come from the providers in src/lab/verify.ts (CHECK_PROVIDERS); this file only gathers what they need
 * and prints the result. Exit 4 when a check fails, 3 when devices cannot be reached.
 */

export const VERIFY_FLAGS: Record<string, FlagSpec> = {
  target: { type: 'string', default: 'lab', help: "the network to verify: 'lab' (built by ggi lab up)" },
  'lab-state': { type: 'string', default: '.ggi-state/lab', help: 'lab state folder (with --target lab)' },
  only: { type: 'string', multiple: true, help: 'only these groups of checks (repeatable or comma-separated): device, bgp, redundancy, origin, kps, flows' },
  wait: { type: 'string', default: '60', help: 'seconds BGP sessions may take to come up (right after an apply)' },
  format: FORMAT_FLAG,
};

/** The JSON document (CLI.md): `unreachable` is internal, the exit code says it. */
export function verifyDocument(r: VerifyReport): { ok: boolean; checks: Array<Omit<Check, 'unreachable'>> } {
  return { ok: r.ok, checks: r.checks.map((c) => ({ name: c.name, ok: c.ok, expected: c.expected, observed: c.observed, detail: c.detail })) };
}

/**
 * A readable table: one row per group of checks that all hold (`bgp (151 checks)`), every failed check on a row of
 * its own, and the details of failed checks below it.
 */
export function verifyText(r: VerifyReport): string {
  const groups = new Map<string, Check[]>();
  for (const c of r.checks) groups.set(c.name.split(' ')[0], [...(groups.get(c.name.split(' ')[0]) ?? []), c]);
  const rows: string[][] = [];
  for (const [group, checks] of groups) {
    if (checks.length <= 3) {
      for (const c of checks) rows.push([c.name, c.ok ? 'ok' : 'FAIL', c.expected, c.observed]);
      continue;
    }
    const failed = checks.filter((c) => !c.ok);
    rows.push([`${group} (${checks.length} checks)`, failed.length ? 'FAIL' : 'ok', checks[0].expected, `${checks.length - failed.length} of ${checks.length} hold`]);
    for (const c of failed) rows.push([`  ${c.name}`, 'FAIL', c.expected, c.observed]);
  }
  let text = table(['check', 'ok', 'expected', 'observed'], rows);
  for (const c of r.checks.filter((x) => !x.ok && x.detail)) text += `\n${c.name}:\n${c.detail.split('\n').map((l) => `  ${l}`).join('\n')}\n`;
  const bad = r.checks.filter((c) => !c.ok).length;
  text += `\n${r.ok ? `verified: ${r.checks.length} checks hold; the network does what the inventory says` : `NOT verified: ${bad} of ${r.checks.length} checks fail${r.unreachable ? ' (devices could not be reached)' : ''}`}\n`;
  return text;
}

export function verifyExitCode(r: VerifyReport): ExitCode {
  if (r.unreachable) return EXIT.DEVICE_FAILED;
  return r.ok ? EXIT.OK : EXIT.DIFFERENCE;
}

/**
 * Gathers the lab, the inventory as the lab sees it and the policy, and runs the providers. Errors in the inventory
 * are exit 1; a lab that is not there is exit 3 (no device can be reached).
 */
export async function runVerify(ctx: CommandContext, progressIo: Io): Promise<VerifyReport> {
  const target = flagString(ctx.args, 'target') ?? 'lab';
  if (target !== 'lab') throw new UsageError(`unknown target '${target}' (known: lab)`);
  const settleS = flagInt(ctx.args, 'wait', 0, 3600) ?? 60;
  const verifyLab = require('../../lab/verify') as typeof import('../../lab/verify');
  const only = flagList(ctx.args, 'only');
  const unknown = only.filter((o) => !verifyLab.CHECK_PROVIDERS.some((p) => p.name === o));
  if (unknown.length) throw new UsageError(`--only: unknown check group${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} (known: ${verifyLab.CHECK_PROVIDERS.map((p) => p.name).join(', ')})`);
  const providers: CheckProvider[] = verifyLab.CHECK_PROVIDERS.filter((p) => !only.length || only.includes(p.name));

  const { labTarget, state } = readRunningLab(ctx, "nothing to verify; run 'ggi lab up' and 'ggi apply --target lab' first");

  // The lab sees the inventory through the profile it was built with.
  const profile = ctx.global.profile === 'default' ? labTarget.profile : ctx.global.profile;
  const { inventory } = loadForCommand({ ...ctx, global: { ...ctx.global, profile } });
  const zones = require('../../zones') as typeof import('../../zones');
  const { hasErrors } = require('../../model/finding') as typeof import('../../model/finding');
  const built = zones.buildPolicy(inventory);
  if (hasErrors(built.findings)) throw new UserError(`the policy in ${ctx.global.inventory} has errors`, EXIT.INVALID, built.findings.filter((f) => f.severity === 'error'));
  const { kpsRoutingPolicy, ceAnnouncements } = require('../../diginetwerk') as typeof import('../../diginetwerk');
  const net = require('../../net') as typeof import('../../net');
  const canonPrefix = (s: string) => net.formatPrefix(net.parsePrefix(s, { strict: false }));
  // Origin validation: each CE (of a pair too) may announce its organisation's registered prefixes in the zones it joins.
  const ceAllowed = new Map<string, string[]>();
  for (const o of inventory.organisations) {
    const cp = o.connectionPoint;
    if (!cp) continue;
    const allowed = cp.zones.flatMap((z) => ceAnnouncements(inventory, o.id, z).map((p) => net.formatPrefix(p)));
    for (const d of [cp.device, ...(cp.secondDevice ? [cp.secondDevice] : [])]) ceAllowed.set(d, allowed);
  }

  // A device that left the desired state (an offboarded CE, a member's CE after a move) stays in a running lab until
  // it is rebuilt. ggi no longer manages it, so it is not checked; its LAN host still is (its packets must not pass).
  const declared = new Set(inventory.devices.map((d) => d.id));
  // (The lab's own govroam proxies are no inventory devices, and stay.)
  const checked = { ...state, nodes: state.nodes.filter((n) => n.kind !== 'router' || declared.has(n.id) || Boolean(n.meta.govroam)) };
  const tty = progressIo.isTTY;
  const http = require('../../reconciler/http-transport') as typeof import('../../reconciler/http-transport');
  const mgmt = inventory.settings.transfer.managementIpv4;
  const apiAllowed = [...http.DEFAULT_HTTP_ALLOWED, ...(mgmt ? [mgmt] : [])];
  return verifyLab.runChecks(
    {
      runner: (require('../../lab') as typeof import('../../lab')).localRunner(),
      state: checked,
      inventory,
      expectFlow: ({ src, dst, proto, port }) => {
        const p = proto === 'icmp' ? (dst.includes(':') ? 'icmpv6' : 'icmp') : proto;
        return zones.query(built.policy, { src, dst, proto: p, ...(port !== null ? { dport: port } : {}) });
      },
      announcedToKps: kpsRoutingPolicy(inventory).announce.map((p) => net.formatPrefix(p)),
      canonPrefix,
      ceMayAnnounce: (id) => ceAllowed.get(id) ?? null,
      settleMs: settleS * 1000,
      progress: (t) => progressIo.stderr(t),
      tick: tty ? (what, done, total) => progressIo.stderr(`\r\x1b[K${what} ${done}/${total}${done === total ? '\n' : ''}`) : undefined,
      connectApi: (t) => http.connectHttp({ id: t.id, host: t.address, port: t.port, auth: { user: t.user, password: t.password } }, { allowed: apiAllowed, env: ctx.io.env, baseDir: ctx.io.cwd }),
    },
    providers,
  );
}

export const commands: Command[] = [
  {
    spec: {
      name: 'verify',
      summary: 'check the running network against the inventory: device health, BGP sessions, redundancy, CE origins, KPS routes, real flows',
      flags: VERIFY_FLAGS,
      details: 'Exit 0 when every check holds, 4 when a check fails, 3 when devices cannot be reached. Progress goes to stderr.',
    },
    async run(ctx) {
      const report = await runVerify(ctx, ctx.io);
      if (ctx.args.flags.format === 'json') printJson(ctx.io, verifyDocument(report));
      else ctx.io.stdout(verifyText(report));
      return verifyExitCode(report);
    },
  },
];
