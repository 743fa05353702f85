import { contains, formatAddress, formatPrefix, prefixLast, reverseZones } from '../net';
import type { LedgerEntryDecl } from '../model/schema';
import { entryPrefix, isActive, type LedgerData } from './ledger';
import { rpslText } from '../util/escape/rpsl';
import { allocationCapacity, category, slotCapacity, type NumberingPlan, type PlanKind } from './plan';

/**
 * Exports of the ledger (pure text builders): RIPE Database inet6num objects, ip6.arpa delegations, CSV, and the
 * utilisation report.
 */

export interface OrgInfo {
  readonly id: string;
  readonly kind: PlanKind;
  readonly name: string;
}

function byAddress(a: LedgerEntryDecl, b: LedgerEntryDecl): number {
  const pa = entryPrefix(a);
  const pb = entryPrefix(b);
  return pa.addr < pb.addr ? -1 : pa.addr > pb.addr ? 1 : pa.len - pb.len;
}

/** One RPSL attribute line: the name and colon padded to column 16 (RIPE's own layout). */
function attr(name: string, value: string): string {
  return `${`${name}:`.padEnd(16)}${value}`;
}

/** RPSL values are single-line; keep descr clean of characters that would break the object. */
const clean = rpslText;

function netname(prefix: string, org: string, cat: string, suffix = ''): string {
  const raw = `${prefix}-${org}-${cat}${suffix}`.toUpperCase().replace(/[^A-Z0-9_-]/g, '-');
  // RIPE netnames start with a letter and are at most 80 characters.
  return (/^[A-Z]/.test(raw) ? raw : `N${raw}`).slice(0, 80);
}

/**
 * inet6num objects per N2 rules 3-4 (DOMAIN.md §1.4): each active allocation (/46) as ALLOCATED-BY-LIR, and each
 * internet-routed (assigned) prefix as ASSIGNED. Non-internet sub-allocations are not published. Objects are separated
 * by one blank line; attribute names are lower case.
 */
export function exportRipe(ledger: LedgerData, plan: NumberingPlan, orgs: ReadonlyMap<string, OrgInfo>): string {
  const r = plan.ripe;
  const objs: string[] = [];
  for (const e of ledger.entries.filter(isActive).sort(byAddress)) {
    const cat = category(plan, e.category);
    const org = orgs.get(e.organisation);
    const name = org ? clean(org.name) : e.organisation;
    let status: string;
    let nn: string;
    let descr: string;
    if (!e.parent) {
      status = 'ALLOCATED-BY-LIR';
      nn = netname(r.netnamePrefix, e.organisation, e.category);
      descr = `${name} (${e.organisation}), ${e.category}${cat?.description ? `: ${clean(cat.description)}` : ''}`;
    } else if (e.status === 'assigned' && e.internetRouted !== false && cat?.internet) {
      status = 'ASSIGNED';
      nn = netname(r.netnamePrefix, e.organisation, e.category, `-${entryPrefix(e).len}`);
      descr = `${name} (${e.organisation}), routed on the internet${e.purpose ? `: ${clean(e.purpose)}` : ''}`;
    } else continue;
    objs.push(
      [
        attr('inet6num', formatPrefix(entryPrefix(e))),
        attr('netname', nn),
        attr('descr', descr),
        attr('country', r.country),
        attr('admin-c', r.adminC),
        attr('tech-c', r.techC),
        attr('status', status),
        attr('mnt-by', r.mntBy),
        attr('source', r.source),
      ].join('\n'),
    );
  }
  return objs.length ? `${objs.join('\n\n')}\n` : '';
}

/**
 * ip6.arpa delegations: every active allocation's reverse zones. A /46 is not on a nibble boundary, so it becomes its
 * four /48 zones (DOMAIN.md §1.10). Sub-allocations are inside those zones and get none of their own.
 */
export function exportArpa(ledger: LedgerData): Array<{ prefix: string; zone: string; organisation: string; category: string }> {
  const out: Array<{ prefix: string; zone: string; organisation: string; category: string }> = [];
  for (const e of ledger.entries.filter((x) => isActive(x) && !x.parent).sort(byAddress)) {
    for (const z of reverseZones(entryPrefix(e))) out.push({ prefix: formatPrefix(z.prefix), zone: z.zone, organisation: e.organisation, category: e.category });
  }
  return out;
}

function csvCell(v: unknown): string {
  const s = v === undefined || v === null ? '' : String(v);
  // RFC 4180 quoting; a leading =,+,-,@ is prefixed so spreadsheets do not run it as a formula.
  const safe = /^[=+\-@]/.test(s) ? `'${s}` : s;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export const CSV_COLUMNS = ['prefix', 'first', 'last', 'length', 'organisation', 'name', 'kind', 'category', 'status', 'source', 'parent', 'purpose', 'internetRouted', 'by', 'at', 'releasedAt', 'releaseReason', 'quarantineUntil'] as const;

/** Every entry (history included) as CSV, in ledger order. */
export function exportCsv(ledger: LedgerData, orgs: ReadonlyMap<string, OrgInfo>): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const e of ledger.entries) {
    const p = entryPrefix(e);
    const org = orgs.get(e.organisation);
    const row = [
      formatPrefix(p), formatAddress(6, p.addr), formatAddress(6, prefixLast(p)), p.len, e.organisation, org?.name, org?.kind, e.category, e.status, e.source, e.parent, e.purpose,
      e.internetRouted === undefined ? '' : String(e.internetRouted), e.by, e.at, e.released?.at, e.released?.reason, e.released?.quarantineUntil,
    ];
    lines.push(row.map(csvCell).join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}

export interface BlockReport {
  readonly block: string;
  readonly kinds: string[];
  readonly slots: { used: number; total: number };
  /** Allocation-sized positions (/46s): used by active entries or quarantine, free, total. */
  readonly allocations: { used: number; quarantined: number; free: number; total: number };
  readonly utilisation: number;
  readonly categories: Record<string, number>;
}

export interface UtilisationReport {
  readonly allocationLength: number;
  readonly layout: string;
  readonly blocks: BlockReport[];
  readonly kinds: Array<{ kind: string; organisations: number; allocations: number }>;
  readonly categories: Array<{ category: string; allocations: number; subAllocations: number }>;
  readonly freeAllocations: number;
}

/** Utilisation per block, per category and per kind, with the count of free /46s. */
export function utilisationReport(ledger: LedgerData, plan: NumberingPlan, orgs: ReadonlyMap<string, OrgInfo>, now: Date): UtilisationReport {
  const blocks: BlockReport[] = [];
  const shift = BigInt(128 - plan.allocationLength);
  let freeTotal = 0;
  for (const b of plan.distinctBlocks) {
    const total = Number(allocationCapacity(plan, b.kinds[0]));
    const usedPos = new Set<number>();
    const quarantinedPos = new Set<number>();
    const cats: Record<string, number> = Object.fromEntries(plan.categories.map((c) => [c.name, 0]));
    for (const e of ledger.entries) {
      const p = entryPrefix(e);
      if (p.family !== 6 || !contains(b.prefix, p) || e.parent) continue;
      const lo = Number((p.addr - b.prefix.addr) >> shift);
      const hi = Number((prefixLast(p) - b.prefix.addr) >> shift);
      const released = !isActive(e);
      const end = e.released ? Date.parse(`${e.released.quarantineUntil}T00:00:00Z`) : Infinity;
      if (released && end <= now.getTime() && e.source !== 'logius') continue;
      for (let i = lo; i <= hi; i++) (released ? quarantinedPos : usedPos).add(i);
      if (!released) cats[e.category] = (cats[e.category] ?? 0) + 1;
    }
    for (const i of usedPos) quarantinedPos.delete(i);
    const slots = new Set(ledger.slots.filter((s) => b.kinds.includes(s.block as PlanKind)).map((s) => s.slot));
    const free = total - usedPos.size - quarantinedPos.size;
    freeTotal += free;
    blocks.push({
      block: formatPrefix(b.prefix),
      kinds: [...b.kinds],
      slots: { used: slots.size, total: slotCapacity(plan) },
      allocations: { used: usedPos.size, quarantined: quarantinedPos.size, free, total },
      utilisation: total ? (usedPos.size + quarantinedPos.size) / total : 0,
      categories: cats,
    });
  }
  const kindCounts = new Map<string, { orgs: Set<string>; allocations: number }>();
  for (const k of plan.blocks.keys()) kindCounts.set(k, { orgs: new Set(), allocations: 0 });
  const catCounts = new Map<string, { allocations: number; subAllocations: number }>(plan.categories.map((c) => [c.name, { allocations: 0, subAllocations: 0 }]));
  for (const e of ledger.entries) {
    if (!isActive(e)) continue;
    const c = catCounts.get(e.category) ?? { allocations: 0, subAllocations: 0 };
    if (e.parent) c.subAllocations++;
    else c.allocations++;
    catCounts.set(e.category, c);
    const kind = orgs.get(e.organisation)?.kind;
    if (kind && !e.parent) {
      const k = kindCounts.get(kind)!;
      k.orgs.add(e.organisation);
      k.allocations++;
    }
  }
  return {
    allocationLength: plan.allocationLength,
    layout: `${plan.organisationBits} organisation bits + ${plan.categoryBits} category bits, ${plan.order} (${plan.layoutStatus})`,
    blocks,
    kinds: [...kindCounts].map(([kind, v]) => ({ kind, organisations: v.orgs.size, allocations: v.allocations })),
    categories: [...catCounts].map(([c, v]) => ({ category: c, ...v })),
    freeAllocations: freeTotal,
  };
}

