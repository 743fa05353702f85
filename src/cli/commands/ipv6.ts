import * as path from 'node:path';
import { type Command, type CommandContext, EXIT, type ExitCode, flagInt, flagString, UsageError, UserError } from '../context';
import { loadForCommand } from '../load';
import { loadValidForCommand } from '../gate';
import { table } from '../report/table';
import type { Finding } from '../../model/finding';
import type { Inventory, Organisation } from '../../model/inventory';
import type { LedgerEntryDecl } from '../../model/schema';
import {
  allocate,
  exportArpa,
  exportCsv,
  exportRipe,
  planFromSettings,
  release,
  utilisationReport,
  type LedgerData,
  type LedgerProblem,
  type LedgerResult,
  type NumberingPlan,
  type OrgInfo,
  type PlanKind,
} from '../../ipv6';
import { ledgerPath, LockError, updateLedger, type StoreResult } from '../../ipv6/store';
import { operatorName } from '../../util/operator';
import { afsprakenSigned } from '../../model/checks';
import { NetError, overlaps, tryParsePrefix } from '../../net';
import { FORMAT_FLAG, printJson } from '../report/output';

/** `ggi ipv6 show|allocate|release|report|export` (CLI.md). Writes go through the locked, atomic ledger store. */

function planOf(inv: Inventory): NumberingPlan {
  const built = planFromSettings(inv.settings);
  if (!built.plan) {
    throw new UserError('the numbering plan in ggi.yaml is inconsistent', EXIT.INVALID, built.problems.map((p) => inv.sources.error(p.code, p.message, inv.settings.loc, p.path)));
  }
  return built.plan;
}

function orgInfos(inv: Inventory): Map<string, OrgInfo> {
  return new Map(inv.organisations.map((o) => [o.id, { id: o.id, kind: o.kind as PlanKind, name: o.name }]));
}

function ledgerData(inv: Inventory) {
  return { version: 1 as const, slots: inv.ledger.slots, entries: inv.ledger.entries };
}

/** Fails the command with findings: on stdout as JSON in --format json (scripts read one document), else on stderr. */
function fail(ctx: CommandContext, message: string, findings: Finding[]): ExitCode {
  if (ctx.args.flags.format === 'json') {
    printJson(ctx.io, { ok: false, findings });
    ctx.io.stderr(`ggi: ${message}\n`);
    return EXIT.INVALID;
  }
  throw new UserError(message, EXIT.INVALID, findings);
}

function problemFinding(inv: Inventory, p: LedgerProblem): Finding {
  if (p.settingsPath) return inv.sources.error(p.code, p.message, inv.settings.loc, p.settingsPath);
  return { severity: 'error', code: p.code, message: p.message, file: inv.ledger.file, line: 1, column: 1 };
}

function findOrg(inv: Inventory, id: string): Organisation | null {
  const org = inv.organisations.find((o) => o.id === id.toUpperCase());
  if (org) return org;
  return null;
}

/** An argument error: it has no place in a file, so no location (and said once). */
function unknownOrg(_ctx: CommandContext, inv: Inventory, id: string): ExitCode {
  throw new UserError(`unknown organisation '${id}': no such file in ${inv.dir}/organisations`, EXIT.INVALID, [], 'IPV6_UNKNOWN_ORGANISATION');
}

function element(e: LedgerEntryDecl) {
  return {
    category: e.category,
    prefix: e.prefix,
    status: e.status,
    purpose: e.purpose ?? null,
    source: e.source,
    ...(e.parent ? { parent: e.parent } : {}),
    ...(e.internetRouted !== undefined ? { internetRouted: e.internetRouted } : {}),
    ...(e.released ? { released: e.released.at, reason: e.released.reason, quarantineUntil: e.released.quarantineUntil } : {}),
  };
}

/** Writes need real addresses: a profile's remapped view must never be written back into the ledger. */
function requireDefaultProfile(ctx: CommandContext): void {
  if (ctx.global.profile !== 'default') throw new UsageError(`'ggi ${ctx.spec.name}' writes the ledger in real addresses; run it without --profile (got '${ctx.global.profile}')`);
}

async function store(ctx: CommandContext, inv: Inventory, change: Parameters<typeof updateLedger>[1]): Promise<StoreResult | ExitCode> {
  try {
    return await updateLedger(ledgerPath(path.resolve(ctx.io.cwd, ctx.global.inventory)), change);
  } catch (e) {
    if (e instanceof LockError) return fail(ctx, e.message, [{ severity: 'error', code: 'IPV6_LEDGER_LOCKED', message: e.message, file: inv.ledger.file, line: 1, column: 1 }]);
    throw e;
  }
}

function storeFailure(ctx: CommandContext, inv: Inventory, r: Exclude<StoreResult, { ok: true }>): ExitCode {
  // A request the plan cannot grant (a bad prefix, no parent, exhausted) is about the arguments, not a ledger line.
  if (!r.problem.settingsPath && !('findings' in r)) throw new UserError(r.problem.message, EXIT.INVALID, [], r.problem.code);
  const findings = 'findings' in r ? [problemFinding(inv, r.problem), ...r.findings] : [problemFinding(inv, r.problem)];
  return fail(ctx, r.problem.message, findings);
}

/** The IPv6 prefixes of the organisation's segments: numbered in its file, so never handed out again. */
function segmentPrefixes(org: Organisation): string[] {
  return org.segments.flatMap((x) => (x.ipv6 ? [x.ipv6] : []));
}

/**
 * The shared part of `allocate` and `release`: the organisation named by the positional, then the locked change of
 * the ledger as this operator, now. An exit code when the organisation is unknown or the change fails.
 */
async function changeOrgLedger(
  ctx: CommandContext,
  change: (data: LedgerData, org: Organisation, plan: NumberingPlan, now: Date, who: string) => LedgerResult,
  refuse: (inv: Inventory, org: Organisation, now: Date) => Finding | null = () => null,
): Promise<{ org: Organisation; r: Extract<StoreResult, { ok: true }> } | ExitCode> {
  const { inventory: inv } = loadValidForCommand(ctx);
  const plan = planOf(inv);
  const id = ctx.args.positionals[0];
  const org = findOrg(inv, id);
  if (!org) return unknownOrg(ctx, inv, id);
  const who = operatorName(ctx.io.env, ctx.io.cwd);
  const now = ctx.io.now();
  const refused = refuse(inv, org, now);
  if (refused) return fail(ctx, refused.message, [refused]);
  const r = await store(ctx, inv, (data) => change(data, org, plan, now, who));
  if (typeof r === 'number') return r;
  if (!r.ok) return storeFailure(ctx, inv, r);
  return { org, r };
}

export const commands: Command[] = [
  {
    spec: {
      name: 'ipv6 show',
      summary: 'every IPv6 prefix of an organisation (active and quarantined)',
      positionals: ['ORG'],
      flags: { format: FORMAT_FLAG },
    },
    async run(ctx) {
      const { inventory: inv } = loadForCommand(ctx);
      const id = ctx.args.positionals[0];
      const org = findOrg(inv, id);
      if (!org) return unknownOrg(ctx, inv, id);
      const entries = inv.ledger.entries.filter((e) => e.organisation === org.id);
      if (ctx.args.flags.format === 'json') {
        printJson(ctx.io, { organisation: org.id, prefixes: entries.map(element) });
        return EXIT.OK;
      }
      ctx.io.stdout(`${org.id} ${org.name} (${org.kind})\n`);
      if (!entries.length) {
        ctx.io.stdout(`no prefixes yet: ggi ipv6 allocate ${org.id} --category CATEGORY\n`);
        return EXIT.OK;
      }
      const rows = entries.map((e) => [e.prefix, e.category, e.status, e.source, e.parent ? 'sub' : 'allocation', e.purpose ?? '', e.released ? `until ${e.released.quarantineUntil}: ${e.released.reason}` : '']);
      ctx.io.stdout(table(['PREFIX', 'CATEGORY', 'STATUS', 'SOURCE', 'KIND', 'PURPOSE', 'RELEASED'], rows));
      return EXIT.OK;
    },
  },
  {
    spec: {
      name: 'ipv6 allocate',
      summary: "allocate an organisation's /46 in a category, or a /48, /56, /64 inside it (idempotent, locked, atomic)",
      positionals: ['ORG'],
      flags: {
        category: { type: 'string', help: 'network category (see numberingPlan.categories in ggi.yaml)' },
        length: { type: 'string', help: 'prefix length: the allocation length (default) or a sub-allocation length' },
        purpose: { type: 'string', help: 'what it is for (the site or VLAN; required for sub-allocations)' },
        format: FORMAT_FLAG,
      },
      details: 'Re-running returns what the organisation already holds. The operator recorded is GGI_OPERATOR, else git user.email, else the OS user.',
    },
    async run(ctx) {
      requireDefaultProfile(ctx);
      const cat = flagString(ctx.args, 'category');
      if (!cat) throw new UsageError('--category is required (e.g. --category diginetwerk)');
      const length = flagInt(ctx.args, 'length', 0, 1_000_000);
      const purpose = flagString(ctx.args, 'purpose');
      const done = await changeOrgLedger(ctx, (data, org, plan, now, who) => allocate(data, { organisation: org.id, kind: org.kind as PlanKind, category: cat, length, purpose, inUse: segmentPrefixes(org) }, plan, now, who), (inv, org, now) => {
        // A supplier gets markt space only once it has signed the GGI-Afspraken (DOMAIN.md §5 rule 15).
        if (org.kind !== 'leverancier' || !inv.settings.zones.markt.ipv6Categories.includes(cat) || afsprakenSigned(org, now)) return null;
        return inv.sources.error('GGI_MARKT_UNSIGNED', `supplier '${org.id}' has not signed the GGI-Afspraken (ggiAfspraken.signed: true with a date not in the future), so it gets no '${cat}' (markt) space`, org.loc, org.ggiAfspraken ? ['ggiAfspraken'] : ['id']);
      });
      if (typeof done === 'number') return done;
      const { org, r } = done;
      if (ctx.args.flags.format === 'json') printJson(ctx.io, { organisation: org.id, ...element(r.entry), created: r.created });
      else if (r.created) {
        const extra = r.changes.added.slice(1).map((e) => `\n  and ${e.status} ${e.prefix} (${e.purpose ?? e.status})`).join('');
        ctx.io.stdout(`allocated ${r.entry.prefix} to ${org.id} (${r.entry.category}${r.entry.purpose ? `, ${r.entry.purpose}` : ''})${extra}\n`);
      } else ctx.io.stdout(`${org.id} already holds ${r.entry.prefix} (${r.entry.category}, ${r.entry.status}); nothing changed\n`);
      return EXIT.OK;
    },
  },
  {
    spec: {
      name: 'ipv6 release',
      summary: 'release a prefix: it is quarantined (kept in the ledger, not handed out again before the quarantine ends)',
      positionals: ['ORG'],
      flags: {
        prefix: { type: 'string', help: 'the prefix to release' },
        reason: { type: 'string', help: 'why (kept in the ledger)' },
        format: FORMAT_FLAG,
      },
    },
    async run(ctx) {
      requireDefaultProfile(ctx);
      const prefix = flagString(ctx.args, 'prefix');
      const reason = flagString(ctx.args, 'reason');
      if (!prefix) throw new UsageError('--prefix is required');
      if (!reason?.trim()) throw new UsageError('--reason is required (it is kept in the ledger)');
      const done = await changeOrgLedger(ctx, (data, org, plan, now, who) => release(data, { organisation: org.id, prefix, reason }, plan, now, who), (inv, org) => {
        // A prefix a segment still numbers stays in use: renumber or remove the segment first.
        const p = tryParsePrefix(prefix, { strict: false });
        if (p instanceof NetError) return null;
        for (const [i, seg] of org.segments.entries()) {
          const q = seg.ipv6 ? tryParsePrefix(seg.ipv6, { strict: false }) : null;
          if (q && !(q instanceof NetError) && overlaps(p, q)) {
            return inv.sources.error('IPV6_IN_USE', `segment '${seg.name}' of ${org.id} still uses ${seg.ipv6}, inside ${prefix}; renumber or remove it before releasing`, org.loc, ['segments', i, 'ipv6']);
          }
        }
        return null;
      });
      if (typeof done === 'number') return done;
      const { org, r } = done;
      if (ctx.args.flags.format === 'json') printJson(ctx.io, { organisation: org.id, ...element(r.entry), changed: r.created });
      else if (r.created) {
        const more = r.changes.updated.length - 1;
        ctx.io.stdout(`released ${r.entry.prefix} of ${org.id}: quarantined until ${r.entry.released?.quarantineUntil}${more > 0 ? ` (with ${more} sub-allocation(s) inside it)` : ''}\n`);
      } else ctx.io.stdout(`${r.entry.prefix} of ${org.id} is already quarantined until ${r.entry.released?.quarantineUntil}; nothing changed\n`);
      return EXIT.OK;
    },
  },
  {
    spec: {
      name: 'ipv6 report',
      summary: 'utilisation of the numbering plan per block, per category and per kind of organisation',
      flags: { format: FORMAT_FLAG },
    },
    async run(ctx) {
      const { inventory: inv } = loadForCommand(ctx);
      const plan = planOf(inv);
      const rep = utilisationReport(ledgerData(inv), plan, orgInfos(inv), ctx.io.now());
      if (ctx.args.flags.format === 'json') {
        printJson(ctx.io, rep);
        return EXIT.OK;
      }
      const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
      const out: string[] = [`Numbering plan: /${rep.allocationLength} allocations; layout ${rep.layout}`, ''];
      out.push(
        table(
          ['BLOCK', 'KINDS', 'SLOTS', `/${rep.allocationLength} USED`, 'QUARANTINED', 'FREE', 'USED %'],
          rep.blocks.map((b) => [b.block, b.kinds.join(', '), `${b.slots.used}/${b.slots.total}`, String(b.allocations.used), String(b.allocations.quarantined), String(b.allocations.free), pct(b.utilisation)]),
          { align: ['left', 'left', 'right', 'right', 'right', 'right', 'right'] },
        ),
      );
      out.push(table(['CATEGORY', 'ALLOCATIONS', 'SUB-ALLOCATIONS'], rep.categories.map((c) => [c.category, String(c.allocations), String(c.subAllocations)]), { align: ['left', 'right', 'right'] }));
      out.push(table(['KIND', 'ORGANISATIONS', 'ALLOCATIONS'], rep.kinds.map((k) => [k.kind, String(k.organisations), String(k.allocations)]), { align: ['left', 'right', 'right'] }));
      out.push(`free /${rep.allocationLength}s: ${rep.freeAllocations}\n`);
      ctx.io.stdout(out.join('\n'));
      return EXIT.OK;
    },
  },
  {
    spec: {
      name: 'ipv6 export',
      summary: 'export the ledger: RIPE inet6num objects, ip6.arpa delegations, or CSV',
      positionals: ['ripe|arpa|csv'],
      flags: { format: FORMAT_FLAG },
      details: 'ripe: the /46s as ALLOCATED-BY-LIR and internet-routed /48s as ASSIGNED (RPSL). arpa: the reverse zones to delegate (a /46 gives its four /48 zones). csv: every entry, history included. --format json: the zones of arpa as a list; ripe and csv as their text in one document.',
    },
    async run(ctx) {
      const what = ctx.args.positionals[0];
      if (!['ripe', 'arpa', 'csv'].includes(what)) throw new UsageError(`export what? ripe, arpa or csv (got '${what}')`);
      const { inventory: inv } = loadValidForCommand(ctx);
      const plan = planOf(inv);
      const data = ledgerData(inv);
      if (what !== 'arpa' && ctx.args.flags.format === 'json') {
        // One JSON document even here: the RPSL or CSV text as one value.
        printJson(ctx.io, { export: what, text: what === 'ripe' ? exportRipe(data, plan, orgInfos(inv)) : exportCsv(data, orgInfos(inv)) });
      } else if (what === 'ripe') ctx.io.stdout(exportRipe(data, plan, orgInfos(inv)));
      else if (what === 'csv') ctx.io.stdout(exportCsv(data, orgInfos(inv)));
      else {
        const zones = exportArpa(data);
        if (ctx.args.flags.format === 'json') printJson(ctx.io, { zones });
        else ctx.io.stdout(zones.map((z) => `${z.zone}.\t; ${z.prefix} ${z.organisation} ${z.category}\n`).join(''));
      }
      return EXIT.OK;
    },
  },
];
