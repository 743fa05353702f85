import * as fs from 'node:fs';
import * as path from 'node:path';
import { type Command, type CommandContext, EXIT, type ExitCode, flagString, UsageError, UserError } from '../context';
import { formatFinding, hasErrors, type Finding } from '../../model/finding';
import type { Inventory } from '../../model/inventory';
import type { Loc } from '../../model/source';
import type { Change, DiffResult, Packet, PolicyModel } from '../../zones';
import { junitXml, type JunitCase } from '../report/junit';
import { sarifLog } from '../report/sarif';
import { table } from '../report/table';
import { FORMAT_FLAG, printJson, writeOutputFolder, writingTo } from '../report/output';
import { writeFileAtomic } from '../../util/atomic';
import { markdownCode, markdownText } from '../../util/escape/markdown';
import { InputError, inputLines } from '../../util/input';

/** `ggi policy query|trace|lint|diff|export`: the zone policy engine (src/zones) on the command line. */

const PROTOS = ['tcp', 'udp', 'icmp', 'icmpv6', 'any'] as const;

// The policy engine and the loader are required on first use, so `ggi --help` and other commands start without them.
function zones(): typeof import('../../zones') {
  return require('../../zones');
}

/** Loads an inventory (a folder or a git revision of the --inventory folder) and builds its policy; errors exit 1. */
function loadPolicy(ctx: CommandContext, where?: string): { inv: Inventory; policy: PolicyModel; findings: Finding[]; label: string } {
  const { loadInventory } = require('../../model/load') as typeof import('../../model/load');
  const { DirectorySource, GitSource } = require('../../model/files') as typeof import('../../model/files');
  const invDir = path.resolve(ctx.io.cwd, ctx.global.inventory);
  let source: import('../../model/files').InventorySource;
  let label: string;
  if (where === undefined) {
    source = new DirectorySource(invDir);
    label = ctx.global.inventory;
  } else if (isDirectory(path.resolve(ctx.io.cwd, where))) {
    source = new DirectorySource(path.resolve(ctx.io.cwd, where));
    label = where;
  } else {
    const repoDir = isDirectory(invDir) ? invDir : ctx.io.cwd;
    try {
      source = new GitSource(repoDir, where, invDir);
    } catch (e) {
      const why = e instanceof Error ? e.message.split('\n')[0] : String(e);
      const msg = /does not exist/.test(why) ? `'${where}' is neither an inventory folder nor a git revision that exists` : `cannot read git revision '${where}': ${why}`;
      // An argument error: no place in a file to point at.
      throw new UserError(msg, EXIT.INVALID, [], 'POLICY_DIFF_SOURCE');
    }
    label = where;
  }
  const { inventory, findings } = loadInventory(source, { profile: ctx.global.profile });
  if (!inventory || hasErrors(findings)) {
    throw new UserError(`the inventory ${label} is invalid: run 'ggi validate' for all findings`, EXIT.INVALID, findings.filter((f) => f.severity === 'error'));
  }
  const built = zones().buildPolicy(inventory);
  if (hasErrors(built.findings)) throw new UserError(`the policy in ${label} has errors`, EXIT.INVALID, built.findings.filter((f) => f.severity === 'error'));
  return { inv: inventory, policy: built.policy, findings: built.findings, label };
}

function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** `--dport`: a whole number 0-65535, else a usage error (exit 2), as for every malformed flag value. */
function dportFlag(ctx: CommandContext): number | undefined {
  const text = flagString(ctx.args, 'dport');
  if (text === undefined) return undefined;
  if (!/^\d{1,5}$/.test(text) || Number(text) > 65535) throw new UsageError(`--dport must be a port number from 0 to 65535 (got '${text}')`);
  return Number(text);
}

// ---------------------------------------------------------------------------------------------------------------
// query

async function runQuery(ctx: CommandContext): Promise<ExitCode> {
  const z = zones();
  const batch = flagString(ctx.args, 'batch');
  const json = flagString(ctx.args, 'format') === 'json';
  if (batch !== undefined) {
    for (const f of ['src', 'dst', 'proto', 'dport']) if (flagString(ctx.args, f) !== undefined) throw new UsageError(`--batch takes the packets from the file; leave out --${f}`);
    // Streamed line by line with a bounded line length (src/util/input): `-` is standard input; a path must be a
    // regular file, as everywhere (a FIFO or device named here is refused, never waited on).
    let lines: AsyncGenerator<string>;
    try {
      lines = inputLines(batch, path.resolve(ctx.io.cwd, batch));
    } catch (e) {
      if (e instanceof InputError) throw new UserError(`cannot read the batch file: ${e.message}`);
      throw new UserError(`cannot read the batch file '${batch}'${(e as NodeJS.ErrnoException).code ? ` (${(e as NodeJS.ErrnoException).code})` : ''}`);
    }
    const { policy } = loadPolicy(ctx);
    let bad = 0;
    let i = 0;
    try {
      for await (const line of lines) {
        i++;
        if (!line.trim()) continue;
        let pk: Packet;
        try {
          pk = JSON.parse(line) as Packet;
          if (!pk || typeof pk !== 'object') throw new Error('not an object');
        } catch {
          bad++;
          ctx.io.stdout(`${JSON.stringify({ error: `line ${i}: not a JSON object {"src","dst","proto","dport"}` })}\n`);
          continue;
        }
        try {
          ctx.io.stdout(`${JSON.stringify(z.query(policy, pk))}\n`);
        } catch (e) {
          if (!(e instanceof z.PacketError)) throw e;
          bad++;
          ctx.io.stdout(`${JSON.stringify({ error: `line ${i}: ${e.message}` })}\n`);
        }
      }
    } catch (e) {
      if (e instanceof InputError) throw new UserError(`cannot read the batch file: ${e.message}`);
      throw e;
    }
    if (bad) ctx.io.stderr(`ggi: ${bad} line(s) of ${batch} are not valid packets\n`);
    return bad ? EXIT.INVALID : EXIT.OK;
  }
  const src = flagString(ctx.args, 'src');
  const dst = flagString(ctx.args, 'dst');
  const proto = flagString(ctx.args, 'proto');
  if (!src || !dst || !proto) throw new UsageError('policy query needs --src, --dst and --proto (or --batch FILE)');
  const dport = dportFlag(ctx);
  const packet: Packet = { src, dst, proto: proto as Packet['proto'], ...(dport !== undefined ? { dport } : {}) };
  const { policy } = loadPolicy(ctx);
  let v: ReturnType<typeof z.query>;
  try {
    v = z.query(policy, packet);
  } catch (e) {
    if (e instanceof z.PacketError) throw new UserError(`not a valid packet: ${e.message}`);
    throw e;
  }
  if (json) printJson(ctx.io, v);
  else if (v.verdict === 'not-ggi') ctx.io.stdout(`${v.reason}\n`);
  else ctx.io.stdout(`${v.allowed ? 'allowed' : 'denied'}: ${v.reason.replace(/^(allowed|denied) by /, 'by ')}\n`);
  return EXIT.OK;
}

// ---------------------------------------------------------------------------------------------------------------
// trace

async function runTrace(ctx: CommandContext): Promise<ExitCode> {
  const z = zones();
  const src = flagString(ctx.args, 'src');
  const dst = flagString(ctx.args, 'dst');
  const proto = flagString(ctx.args, 'proto');
  if (!src || !dst || !proto) throw new UsageError('policy trace needs --src, --dst and --proto');
  const dport = dportFlag(ctx);
  const packet: Packet = { src, dst, proto: proto as Packet['proto'], ...(dport !== undefined ? { dport } : {}) };
  const { inv, policy } = loadPolicy(ctx);
  let t: import('../../zones').Trace;
  try {
    t = z.tracePacket(policy, z.traceTopology(inv), packet);
  } catch (e) {
    if (e instanceof z.PacketError) throw new UserError(`not a valid packet: ${e.message}`);
    throw e;
  }
  if (flagString(ctx.args, 'format') === 'json') printJson(ctx.io, { allowed: t.allowed, verdict: t.verdict, hops: t.hops, reason: t.reason });
  else ctx.io.stdout(traceText(t, packet));
  return EXIT.OK;
}

function traceText(t: import('../../zones').Trace, p: Packet): string {
  const head = `${p.proto}${p.dport !== undefined ? `/${p.dport}` : ''} ${p.src} -> ${p.dst}: ${t.verdict}`;
  const out = [head, `  ${t.reason}`];
  if (t.hops.length) {
    const firstDeny = t.hops.findIndex((h) => h.action === 'deny');
    const rows = t.hops.map((h, i) => [String(i + 1), h.device, h.zone ?? '-', h.action + (i === firstDeny ? (t.verdict === 'no-route' ? '  <- no route' : '  <- first deny') : ''), h.rule ?? '-', h.filter]);
    out.push('', table(['#', 'device', 'zone', 'action', 'rule', 'filter'], rows).trimEnd());
  }
  return out.join('\n') + '\n';
}

// ---------------------------------------------------------------------------------------------------------------
// lint

/** `--today YYYY-MM-DD`: the date expiry is judged against (the clock otherwise), so a pipeline can pin it. */
function todayFlag(ctx: CommandContext): Date | undefined {
  const text = flagString(ctx.args, 'today');
  if (text === undefined) return undefined;
  const d = /^\d{4}-\d{2}-\d{2}$/.test(text) ? new Date(`${text}T12:00:00Z`) : new Date(NaN);
  if (Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== text) throw new UsageError(`--today must be a date YYYY-MM-DD (got '${text}')`);
  return d;
}

async function runLint(ctx: CommandContext): Promise<ExitCode> {
  const z = zones();
  const { loadInventory } = require('../../model/load') as typeof import('../../model/load');
  const { inventory, findings: loadFindings } = loadInventory(path.resolve(ctx.io.cwd, ctx.global.inventory), { profile: ctx.global.profile });
  if (!inventory || hasErrors(loadFindings)) {
    throw new UserError(`the inventory in ${ctx.global.inventory} is invalid: run 'ggi validate' for all findings`, EXIT.INVALID, loadFindings.filter((f) => f.severity === 'error'));
  }
  const { compareFindings } = require('../../model/finding') as typeof import('../../model/finding');
  const findings = z.checkPolicy(inventory, todayFlag(ctx) ?? ctx.io.now()).sort(compareFindings);
  const ok = !hasErrors(findings);
  if (flagString(ctx.args, 'format') === 'json') printJson(ctx.io, { ok, findings, summary: { rules: inventory.rules.length, guardrails: inventory.guardrails.length } });
  else {
    for (const f of findings) ctx.io.stdout(`${formatFinding(f)}\n`);
    const errors = findings.filter((f) => f.severity === 'error').length;
    ctx.io.stdout(`${ok ? 'policy ok' : 'policy has errors'}: ${errors} error(s), ${findings.length - errors} warning(s); ${inventory.rules.length} rules, ${inventory.guardrails.length} guardrails\n`);
  }
  return ok ? EXIT.OK : EXIT.INVALID;
}

// ---------------------------------------------------------------------------------------------------------------
// diff

interface Located {
  file: string;
  line: number;
  column: number;
}

function locate(inv: Inventory, loc: Loc | undefined): Located | null {
  if (!loc) return null;
  const src = inv.sources.get(loc.file);
  const pos = src ? src.position([...loc.path, 'id']) : { line: 1, column: 1 };
  // A git revision's files show as REV:path; code scanning wants the path.
  const file = loc.file.replace(/^[^:/\\]+:(?=[^/\\])/, '');
  return { file, ...pos };
}

function short(list: string[], n = 3): string {
  return list.length <= n ? list.join(', ') : `${list.slice(0, n).join(', ')} (+${list.length - n} more)`;
}

function exampleText(c: Change): string {
  const e = c.example;
  return `${e.proto}${e.dport !== undefined ? `/${e.dport}` : ''} ${e.src} -> ${e.dst}`;
}

/** Addresses with whom they belong to, e.g. `192.0.2.0/27 (+3 more) [GM0546, GM0599]`. */
function who(policy: PolicyModel, cidrs: string[], n: number): string {
  const names = zones().describeAddresses(policy, cidrs);
  return `${short(cidrs, n)}${names ? ` [${names}]` : ''}`;
}

function changeRows(list: Change[], policy: PolicyModel): string[][] {
  return list.map((c) => [c.rules.join(', '), c.proto, c.dports ?? '*', who(policy, c.src, 2), who(policy, c.dst, 2), exampleText(c)]);
}

function textDiff(d: DiffResult, base: { label: string; policy: PolicyModel }, head: { label: string; policy: PolicyModel }): string {
  const out: string[] = [`policy diff ${base.label} -> ${head.label}: ${d.opened.length} opened, ${d.closed.length} closed`];
  for (const [title, list, p] of [['opened', d.opened, head.policy], ['closed', d.closed, base.policy]] as const) {
    if (!list.length) continue;
    out.push('', `${title} (${list.length}):`, table(['rule', 'proto', 'ports', 'from', 'to', 'example'], changeRows(list, p)).trimEnd());
  }
  return out.join('\n') + '\n';
}

/** Text in a Markdown table cell: the one Markdown escaper (src/util/escape/markdown.ts). */
const mdEscape = markdownText;

interface Side {
  label: string;
  policy: PolicyModel;
  inv: Inventory;
}

/** Where a rule is declared, as `file:line` (a git revision's REV: prefix dropped). */
function ruleWhere(inv: Inventory, loc: Loc): string {
  const l = locate(inv, loc);
  return l ? `${l.file}:${l.line}` : '';
}

/** `who gains / loses what` lines of one organisation, at most `n` entries. */
function accessList(list: import('../../zones/impact').Access[], n: number): string {
  const { accessText } = require('../../zones/impact') as typeof import('../../zones/impact');
  const parts = list.slice(0, n).map((a) => `${accessText(a)} to ${short(a.to, 2)}`);
  return parts.join('; ') + (list.length > n ? `; +${list.length - n} more` : '');
}

/**
 * Markdown for a pull-request comment: who gains and who loses access (per organisation, capped), the rules involved
 * with owner and reason, and the changes (capped); the full list is in the artefact it links to.
 */
function markdownDiff(d: DiffResult, base: Side, head: Side, opts: { limit: number; link?: string }): string {
  const { diffImpact } = require('../../zones/impact') as typeof import('../../zones/impact');
  const impact = diffImpact(d, base.policy, head.policy);
  const gainers = impact.organisations.filter((o) => o.gains.length);
  const losers = impact.organisations.filter((o) => o.loses.length);
  const out: string[] = [
    '## ggi policy diff',
    '',
    `${markdownCode(base.label)} → ${markdownCode(head.label)}: **${d.opened.length} opened**, **${d.closed.length} closed** (end-to-end verdicts, IPv4 and IPv6); ${gainers.length} organisation(s) gain access, ${losers.length} lose access`,
  ];
  if (!d.opened.length && !d.closed.length) out.push('', 'No flow changes verdict.');
  let cut = false;
  for (const [title, list, key] of [['Who gains access', gainers, 'gains'], ['Who loses access', losers, 'loses']] as const) {
    if (!list.length) continue;
    out.push('', `### ${title} (${list.length})`, '', '| organisation | what | rules |', '|---|---|---|');
    for (const o of list.slice(0, opts.limit)) {
      const rs = [...new Set(o[key].flatMap((a) => a.rules))];
      out.push(`| ${mdEscape(o.organisation)} | ${mdEscape(accessList(o[key], 3))} | ${rs.slice(0, 3).map(markdownCode).join(', ')}${rs.length > 3 ? ` +${rs.length - 3}` : ''} |`);
    }
    if (list.length > opts.limit) {
      cut = true;
      out.push('', `… and ${list.length - opts.limit} more organisation(s).`);
    }
  }
  const ids = Object.keys(impact.rules);
  if (ids.length) {
    out.push('', `### Rules involved (${ids.length})`, '', '| rule | owner | reason | declared |', '|---|---|---|---|');
    for (const id of ids.slice(0, opts.limit)) {
      const r = impact.rules[id];
      const inv = d.opened.some((c) => c.rules.includes(id)) ? head.inv : base.inv;
      out.push(`| ${markdownCode(id)} | ${mdEscape(r.owner)} | ${mdEscape(r.reason.length > 120 ? `${r.reason.slice(0, 117)}…` : r.reason)} | ${mdEscape(ruleWhere(inv, r.loc))} |`);
    }
    if (ids.length > opts.limit) {
      cut = true;
      out.push('', `… and ${ids.length - opts.limit} more rule(s).`);
    }
  }
  for (const [title, list, p] of [['Opened', d.opened, head.policy], ['Closed', d.closed, base.policy]] as const) {
    if (!list.length) continue;
    out.push('', `### ${title} (${list.length})`, '', '| rule | proto | ports | from | to | example |', '|---|---|---|---|---|---|');
    for (const c of list.slice(0, opts.limit)) {
      out.push(`| ${[c.rules.map(markdownCode).join(', '), mdEscape(c.proto), mdEscape(c.dports ?? '*'), mdEscape(who(p, c.src, 4)), mdEscape(who(p, c.dst, 4)), markdownCode(exampleText(c))].join(' | ')} |`);
    }
    if (list.length > opts.limit) {
      cut = true;
      out.push('', `… and ${list.length - opts.limit} more.`);
    }
  }
  if (opts.link) out.push('', `${cut ? 'Shortened; the full' : 'The full'} report (every change, JSON or SARIF): ${opts.link}`);
  else if (cut) out.push('', 'Shortened: run `ggi policy diff --format json` (or pass `--artefact FILE`) for every change.');
  return out.join('\n') + '\n';
}

/** Per organisation, who gains and loses what (text). */
function textImpact(d: DiffResult, base: Side, head: Side): string {
  const { diffImpact } = require('../../zones/impact') as typeof import('../../zones/impact');
  const impact = diffImpact(d, base.policy, head.policy);
  if (!impact.organisations.length) return '';
  const out = ['', 'by organisation:'];
  for (const o of impact.organisations) {
    if (o.gains.length) out.push(`  ${o.organisation} gains ${accessList(o.gains, 4)}`);
    if (o.loses.length) out.push(`  ${o.organisation} loses ${accessList(o.loses, 4)}`);
  }
  out.push('', 'rules involved:');
  for (const r of Object.values(impact.rules)) {
    const inv = d.opened.some((c) => c.rules.includes(r.id)) ? head.inv : base.inv;
    out.push(`  ${r.id} (owner ${r.owner}, ${ruleWhere(inv, r.loc)}): ${r.reason}`);
  }
  return out.join('\n') + '\n';
}

/** The JSON document: CLI.md's `opened`/`closed`, plus who gains and loses access and the rules involved. */
function jsonDiff(d: DiffResult, base: Side, head: Side): object {
  const { diffImpact } = require('../../zones/impact') as typeof import('../../zones/impact');
  const impact = diffImpact(d, base.policy, head.policy);
  const rules: Record<string, { owner: string; reason: string; file: string; line: number }> = {};
  for (const r of Object.values(impact.rules)) {
    const inv = d.opened.some((c) => c.rules.includes(r.id)) ? head.inv : base.inv;
    const l = locate(inv, r.loc);
    rules[r.id] = { owner: r.owner, reason: r.reason, file: l?.file ?? '', line: l?.line ?? 1 };
  }
  return { opened: d.opened, closed: d.closed, organisations: impact.organisations, rules };
}

function junitDiff(d: DiffResult, failOpened: boolean): string {
  const cases = (list: Change[], dir: 'opened' | 'closed'): JunitCase[] =>
    list.map((c) => ({
      classname: `ggi.policy.diff.${dir}`,
      name: `${c.rules.join(',')} ${c.proto}${c.dports ? `/${c.dports}` : ''} ${short(c.src, 2)} -> ${short(c.dst, 2)}`,
      failures: dir === 'opened' && failOpened ? [{ type: 'POLICY_FLOW_OPENED', message: `opened by ${c.rules.join(', ')}: e.g. ${exampleText(c)}`, detail: JSON.stringify(c, null, 2) }] : [],
      systemOut: `${dir} by ${c.rules.join(', ')}: e.g. ${exampleText(c)}\nsrc: ${c.src.join(' ')}\ndst: ${c.dst.join(' ')}`,
    }));
  return junitXml(
    [
      { name: 'ggi policy diff: opened', cases: cases(d.opened, 'opened') },
      { name: 'ggi policy diff: closed', cases: cases(d.closed, 'closed') },
    ],
    'ggi policy diff',
  );
}

function sarifDiff(d: DiffResult, baseInv: Inventory, headInv: Inventory, failOpened: boolean): object {
  const results = [];
  for (const [dir, list] of [['opened', d.opened], ['closed', d.closed]] as const) {
    for (const c of list) {
      const id = c.rules[0];
      const inv = dir === 'opened' ? headInv : baseInv;
      const loc = locate(inv, (dir === 'opened' ? d.locations.head : d.locations.base).get(id)) ?? { file: inv.settings.loc.file, line: 1, column: 1 };
      results.push({
        ruleId: dir === 'opened' ? 'POLICY_FLOW_OPENED' : 'POLICY_FLOW_CLOSED',
        level: (dir === 'opened' ? (failOpened ? 'error' : 'warning') : 'note') as 'error' | 'warning' | 'note',
        message: `rule ${id} ${dir === 'opened' ? 'opens' : 'no longer allows'} ${c.proto}${c.dports ? `/${c.dports}` : ''} from ${short(c.src)} to ${short(c.dst)}, e.g. ${exampleText(c)}`,
        ...loc,
        fingerprint: `${dir}:${id}:${c.proto}:${c.dports}:${c.src.join(',')}:${c.dst.join(',')}`,
        properties: { change: c },
      });
    }
  }
  return sarifLog(results, [
    { id: 'POLICY_FLOW_OPENED', description: 'A flow that the base inventory denied is allowed end to end by the head inventory' },
    { id: 'POLICY_FLOW_CLOSED', description: 'A flow that the base inventory allowed is denied end to end by the head inventory' },
  ]);
}

async function runDiff(ctx: CommandContext): Promise<ExitCode> {
  const baseArg = flagString(ctx.args, 'base');
  if (!baseArg) throw new UsageError('policy diff needs --base DIR|GITREF');
  const headArg = flagString(ctx.args, 'head');
  const base = loadPolicy(ctx, baseArg);
  const head = loadPolicy(ctx, headArg);
  const d = zones().diffPolicies(base.policy, head.policy);
  const failOpened = flagString(ctx.args, 'fail-on') === 'opened';
  const format = flagString(ctx.args, 'format') ?? 'text';
  const limitText = flagString(ctx.args, 'limit') ?? '20';
  if (!/^\d{1,6}$/.test(limitText) || Number(limitText) < 1) throw new UsageError(`--limit must be a whole number from 1 (got '${limitText}')`);
  const artefact = flagString(ctx.args, 'artefact');
  if (artefact !== undefined) {
    // The full report next to a capped one: SARIF for a .sarif file, JSON otherwise.
    const doc = /\.sarif(\.json)?$/i.test(artefact) ? sarifDiff(d, base.inv, head.inv, failOpened) : jsonDiff(d, base, head);
    const file = path.resolve(ctx.io.cwd, artefact);
    writingTo(artefact, () => writeFileAtomic(file, `${JSON.stringify(doc, null, 2)}\n`));
  }
  const link = flagString(ctx.args, 'link') ?? artefact;
  if (format === 'json') printJson(ctx.io, jsonDiff(d, base, head));
  else if (format === 'markdown') ctx.io.stdout(markdownDiff(d, base, head, { limit: Number(limitText), link }));
  else if (format === 'junit') ctx.io.stdout(junitDiff(d, failOpened));
  else if (format === 'sarif') printJson(ctx.io, sarifDiff(d, base.inv, head.inv, failOpened));
  else ctx.io.stdout(textDiff(d, base, head) + textImpact(d, base, head));
  if (failOpened && d.opened.length) {
    if (format !== 'text') ctx.io.stderr(`ggi: ${d.opened.length} flow region(s) opened\n`);
    return EXIT.DIFFERENCE;
  }
  return EXIT.OK;
}

// ---------------------------------------------------------------------------------------------------------------
// export

async function runExport(ctx: CommandContext): Promise<ExitCode> {
  const what = ctx.args.positionals[0];
  if (what !== 'capirca') throw new UsageError(`policy export knows one format: capirca (got '${what}')`);
  const out = flagString(ctx.args, 'out');
  if (!out) throw new UsageError('policy export capirca needs --out DIR');
  // An export leaves ggi: only from an inventory that validates (CLI.md).
  require('../gate').loadValidForCommand(ctx);
  const { policy } = loadPolicy(ctx);
  const e = zones().exportCapirca(policy);
  // Only into a folder of its own (src/util/output-folder): deletes only files an earlier export wrote there.
  writeOutputFolder(out, [...e.files].map(([rel, text]) => ({ path: rel, content: text })), { command: 'policy export capirca', cwd: ctx.io.cwd, inventory: ctx.global.inventory });
  if (flagString(ctx.args, 'format') === 'json') printJson(ctx.io, { ok: true, out, files: [...e.files.keys()].map((f) => path.join(out, f)), terms: e.terms });
  else ctx.io.stdout(`wrote ${[...e.files.keys()].map((f) => path.join(out, f)).join(', ')} (${e.terms} terms)\n`);
  return EXIT.OK;
}

export const commands: Command[] = [
  {
    spec: {
      name: 'policy query',
      summary: 'the end-to-end verdict for one packet (or a batch), with the deciding rule and the reason',
      flags: {
        src: { type: 'string', help: 'source address' },
        dst: { type: 'string', help: 'destination address' },
        proto: { type: 'string', choices: PROTOS, help: 'protocol (any: an IP protocol other than tcp/udp/icmp)' },
        dport: { type: 'string', help: 'destination port (tcp and udp)' },
        batch: { type: 'string', help: 'file with one JSON packet per line ({"src","dst","proto","dport"}); - for stdin' },
        format: FORMAT_FLAG,
      },
      details: 'With --batch, prints one JSON verdict per line ({"allowed","rule","reason"}, or {"error"} for a bad line; exit 1 then).',
    },
    run: runQuery,
  },
  {
    spec: {
      name: 'policy trace',
      summary: 'the path of one packet through the declared network (LAN, CE, border, KPS or supplier, service) and the filter that decides at each hop',
      flags: {
        src: { type: 'string', help: 'source address' },
        dst: { type: 'string', help: 'destination address' },
        proto: { type: 'string', choices: PROTOS, help: 'protocol (any: an IP protocol other than tcp/udp/icmp)' },
        dport: { type: 'string', help: 'destination port (tcp and udp)' },
        format: FORMAT_FLAG,
      },
      details: 'JSON: {"allowed","verdict":"allowed|denied|no-route|not-ggi","hops":[{"device","zone","filter","rule","action":"pass|allow|deny"}],"reason"}. allowed always equals policy query\'s answer. A packet stops at its first deny (the last hop).',
    },
    run: runTrace,
  },
  {
    spec: {
      name: 'policy lint',
      summary: 'a reviewer of the policy: shadowed, redundant, conflicting, dead, never-matching, over-broad, risky, expired and expiring rules; guardrail violations with an example packet',
      flags: { format: FORMAT_FLAG, today: { type: 'string', help: 'judge expiry as of this date (YYYY-MM-DD; default: today)' } },
      details: 'Exit 1 when there is an error finding (expired rule, guardrail violation, bad rule), 0 otherwise. Thresholds: ggi.yaml policy.lint (docs/inventory.md).',
    },
    run: runLint,
  },
  {
    spec: {
      name: 'policy diff',
      summary: 'differential reachability: every region of packets whose end-to-end verdict changes',
      flags: {
        base: { type: 'string', help: 'the base inventory: a folder, or a git revision of the --inventory folder' },
        head: { type: 'string', help: 'the head inventory (default: the --inventory folder as it is)' },
        format: { type: 'string', choices: ['text', 'json', 'markdown', 'junit', 'sarif'], default: 'text', help: 'output format' },
        'fail-on': { type: 'string', choices: ['opened'], help: 'exit 4 when flows are opened' },
        limit: { type: 'string', help: 'markdown: at most this many organisations, rules and changes per section (default 20)' },
        artefact: { type: 'string', help: 'also write the full report to FILE (SARIF for *.sarif, JSON otherwise)' },
        link: { type: 'string', help: 'markdown: where readers find the full report (default: the --artefact path)' },
      },
      details: 'A git revision is read with git (never touching the working tree). Exit 4 with --fail-on opened when a flow is opened. JSON adds to CLI.md\'s opened/closed who gains and loses access ("organisations") and the rules involved with owner and reason ("rules"). See docs/ci.md.',
    },
    run: runDiff,
  },
  {
    spec: {
      name: 'policy export',
      summary: 'export the policy for other tools (capirca: .pol, NETWORK.net, SERVICES.svc)',
      positionals: ['FORMAT'],
      flags: { out: { type: 'string', help: 'output folder' }, format: FORMAT_FLAG },
    },
    run: runExport,
  },
];
