import { contains, formatPrefix, tryParsePrefix, NetError, type Prefix } from '../net';
import type { Finding } from '../model/finding';
import type { Inventory, LedgerEntry, Organisation } from '../model/inventory';
import { sortForSweep, sweepContaining, sweepSorted } from '../net/overlaps';
import { entryPrefix, exactEntryPrefix, isActive, quarantineEnd } from './ledger';
import { blockOf, category, locate, planFromSettings, slotCapacity, PLAN_KINDS, type NumberingPlan, type PlanKind } from './plan';

/**
 * The IPv6 checks of `ggi validate` (DOMAIN.md §5 rules 1-10), over the ledger, the slots and the organisations'
 * segments. Overlaps are found with one sort and a sweep (prefixes are nested or disjoint, so a stack of the open
 * enclosing prefixes suffices): O(n log n) for the full national ledger.
 */
export function checkIpv6(inv: Inventory): Finding[] {
  const s = inv.sources;
  const out: Finding[] = [];
  const settingsLoc = inv.settings.loc;
  const built = planFromSettings(inv.settings);
  for (const p of built.problems) out.push(s.error(p.code, p.message, settingsLoc, p.path));
  const plan = built.plan;
  if (!plan) return out;

  for (const z of ['overheid', 'markt'] as const) {
    inv.settings.zones[z].ipv6Categories.forEach((c, i) => {
      const cat = category(plan, c);
      if (!cat) out.push(s.error('IPV6_UNKNOWN_CATEGORY', `zone ${z} names unknown network category '${c}'`, settingsLoc, ['zones', z, 'ipv6Categories', i]));
      else if (cat.internet) out.push(s.error('IPV6_CATEGORY_LEAK', `the internet category '${c}' cannot provide addresses in the ${z} zone; its prefixes are routed on the internet`, settingsLoc, ['zones', z, 'ipv6Categories', i]));
    });
  }
  const inBoth = inv.settings.zones.overheid.ipv6Categories.filter((c) => inv.settings.zones.markt.ipv6Categories.includes(c));
  for (const c of inBoth) out.push(s.error('IPV6_CATEGORY_LEAK', `category '${c}' is listed for both zones; the zones never share addresses`, settingsLoc, ['zones', 'markt', 'ipv6Categories']));

  const orgs = new Map<string, Organisation>();
  for (const o of inv.organisations) if (!orgs.has(o.id)) orgs.set(o.id, o);

  checkSlots(inv, plan, orgs, out);

  const slotByOrgBlock = new Map<string, number>();
  for (const sl of inv.ledger.slots) slotByOrgBlock.set(`${sl.organisation}\0${blockKey(plan, sl.block)}`, sl.slot);

  const entries: Array<{ e: LedgerEntry; p: Prefix }> = [];
  for (const e of inv.ledger.entries) {
    // The parse the ledger's schema check kept on the entry, when it made one.
    let p = exactEntryPrefix(e);
    if (p === null) {
      const strict = tryParsePrefix(e.prefix);
      if (strict instanceof NetError) {
        const loose = tryParsePrefix(e.prefix, { strict: false });
        out.push(s.error('IPV6_MISALIGNED', strict.message, e.loc, ['prefix']));
        if (loose instanceof NetError) continue;
      }
      p = entryPrefix(e);
    }
    if (p.family !== 6) {
      out.push(s.error('IPV6_WRONG_BLOCK', `${e.prefix} is not an IPv6 prefix`, e.loc, ['prefix']));
      continue;
    }
    entries.push({ e, p });
  }

  // Sub-allocations name the same few parents many times over: each text is parsed once, and only entries of a
  // parent's length are indexed (not the hundreds of thousands of /64s below them).
  const parsedParents = new Map<string, Prefix | NetError>();
  const parentLengths = new Set<number>();
  for (const { e } of entries) {
    if (!e.parent || parsedParents.has(e.parent)) continue;
    const pp = tryParsePrefix(e.parent, { strict: false });
    parsedParents.set(e.parent, pp);
    if (!(pp instanceof NetError)) parentLengths.add(pp.len);
  }
  const byPrefixOfOrg = new PrefixIndex<LedgerEntry>();
  for (const { e, p } of entries) if (parentLengths.has(p.len)) byPrefixOfOrg.add(e.organisation, p, e);
  const parentsOf = new ParentLookup(byPrefixOfOrg, parsedParents);

  for (const { e, p } of entries) {
    const org = orgs.get(e.organisation);
    const cat = category(plan, e.category);
    if (!org) out.push(s.error('IPV6_UNKNOWN_ORGANISATION', `${e.prefix} belongs to unknown organisation '${e.organisation}'`, e.loc, ['organisation']));
    if (!cat) out.push(s.error('IPV6_UNKNOWN_CATEGORY', `${e.prefix} has unknown network category '${e.category}' (the plan has: ${plan.categories.map((c) => c.name).join(', ')})`, e.loc, ['category']));
    if (org) {
      const block = blockOf(plan, org.kind as PlanKind);
      if (!contains(block, p)) {
        out.push(s.error('IPV6_WRONG_BLOCK', `${e.prefix} is outside ${formatPrefix(block)}, the block for a ${org.kind} (${org.id}); N2 rule 6`, e.loc, ['prefix']));
      }
    }
    if (!e.parent) {
      if (p.len !== plan.allocationLength && !e.justification) {
        out.push(s.error('IPV6_NOT_46', `${e.prefix} is a /${p.len}; an organisation gets a /${plan.allocationLength} per category, and any other size needs a recorded justification (N2 rules 2, 7)`, e.loc, ['prefix']));
      }
      // Where the layout puts this category; the layout is an assumption until Logius confirms it (DOMAIN.md §1.5).
      if (org && cat && p.len === plan.allocationLength && contains(blockOf(plan, org.kind as PlanKind), p)) {
        const at = locate(plan, p);
        const soft = plan.layoutStatus === 'assumed' || e.source === 'logius';
        const report = (msg: string) => out.push(soft ? s.warning('IPV6_MISALIGNED', msg, e.loc, ['prefix']) : s.error('IPV6_MISALIGNED', msg, e.loc, ['prefix']));
        if (at && at.code !== null && at.code !== cat.code) {
          report(`${e.prefix} sits at the position of category code ${at.code}, but '${cat.name}' has code ${cat.code} in the numbering plan (layout ${plan.order}, ${plan.layoutStatus})`);
        }
        const slot = slotByOrgBlock.get(`${org.id}\0${blockKey(plan, org.kind)}`);
        // A /46 that came by a merger stays where its first holder's slot put it (its addresses are in use).
        const merged = e.transfers?.some((t) => slotByOrgBlock.get(`${t.from}\0${blockKey(plan, org.kind)}`) === at?.slot);
        if (at && at.slot !== null && slot !== undefined && at.slot !== slot && isActive(e) && !merged) {
          report(`${e.prefix} lies in slot ${at.slot}, but ${org.id}'s recorded slot is ${slot}; an organisation's categories belong together in its slot`);
        }
      }
    } else {
      checkParent(inv, e, p, parentsOf, out);
    }

    if (e.status === 'assigned') {
      if (cat && !cat.internet) out.push(s.error('IPV6_STATUS', `${e.prefix} is '${e.category}' space but marked assigned; only internet-routed prefixes of the internet category are ASSIGNED (N2 rule 4)`, e.loc, ['status']));
      else if (!e.parent) out.push(s.error('IPV6_STATUS', `${e.prefix} is an organisation's allocation, registered as ALLOCATED-BY-LIR (N2 rule 3); mark the routed /48 inside it as assigned instead`, e.loc, ['status']));
      else if (e.internetRouted === false) out.push(s.error('IPV6_STATUS', `${e.prefix} is marked assigned but not internet-routed; only prefixes routed on the internet are ASSIGNED (N2 rule 4)`, e.loc, ['status']));
      if (e.parent && !e.justification) {
        const parent = tryParsePrefix(e.parent, { strict: false });
        if (!(parent instanceof NetError) && !(p.len === 48 && p.addr === parent.addr)) {
          out.push(s.warning('IPV6_DEFAULT_ASSIGNED', `the assigned prefix ${e.prefix} is not the first /48 of ${e.parent}; by default the first /48 is the one assigned (N2 rule 4), or record a justification`, e.loc, ['prefix']));
        }
      }
    }
    if (e.internetRouted === true) {
      if (cat && !cat.internet) out.push(s.error('IPV6_CATEGORY_LEAK', `${e.prefix} is '${e.category}' space and must not be routed on the internet`, e.loc, ['internetRouted']));
      else if (e.status === 'allocated') out.push(s.error('IPV6_STATUS', `${e.prefix} is routed on the internet, so it must be registered as assigned (N2 rule 4)`, e.loc, ['status']));
    }
    if (e.status === 'quarantined' && !e.released) out.push(s.error('IPV6_STATUS', `${e.prefix} is quarantined without a release record (released: at, by, reason, quarantineUntil)`, e.loc, ['status']));
    if (isActive(e) && e.delegation && (!e.delegation.logiusRequestDate || !e.delegation.logiusReference)) {
      const missing = [!e.delegation.logiusRequestDate && 'logiusRequestDate', !e.delegation.logiusReference && 'logiusReference'].filter(Boolean).join(' and ');
      out.push(s.error('IPV6_DELEGATION_UNREGISTERED', `${e.prefix} is delegated to ${e.delegation.provider} without a recorded Logius registration request (${missing}); N2 rule 5`, e.loc, ['delegation']));
    }
  }

  // At most one allocation per organisation and category, unless justified (N2 rules 2, 7).
  const perCategory = new Map<string, LedgerEntry[]>();
  for (const { e } of entries) {
    if (e.parent || !isActive(e)) continue;
    pushTo(perCategory, `${e.organisation}\0${e.category}`, e);
  }
  for (const list of perCategory.values()) {
    if (list.length < 2) continue;
    const first = list.find((e) => e.source === 'logius') ?? list.find((e) => !e.transfers) ?? list[0];
    for (const e of list) {
      // A merger brings the predecessor's allocation along: a second one in the category, justified by the merger.
      if (e === first || e.justification || e.transfers) continue;
      out.push(s.error('IPV6_MULTIPLE_PER_CATEGORY', `${e.organisation} already holds ${first.prefix} for '${e.category}'; a second allocation in one category needs a recorded justification (N2 rules 2, 7)`, e.loc, ['prefix']));
    }
  }

  // One sort serves both sweeps: entry against entry, and segment against the entries holding it.
  const sorted = sortForSweep(entries, (x, y) => x.e.index - y.e.index);
  checkOverlaps(inv, sorted, out);
  checkSegments(inv, orgs, sorted, out);
  return out;
}

/**
 * Entries by organisation and prefix: a map per organisation, family and length, keyed by the network address itself
 * (a string key per prefix made building it the slowest part of the IPv6 checks on a large ledger).
 */
class PrefixIndex<E> {
  private readonly maps = new Map<string, Map<string, E[]>>();
  add(org: string, p: Prefix, e: E): void {
    const k = `${org}/${p.family}/${p.len}`;
    let m = this.maps.get(k);
    if (!m) this.maps.set(k, (m = new Map()));
    const a = networkBits(p);
    const list = m.get(a);
    if (list) list.push(e);
    else m.set(a, [e]);
  }
  get(org: string, p: Prefix): E[] | undefined {
    return this.maps.get(`${org}/${p.family}/${p.len}`)?.get(networkBits(p));
  }
}

/**
 * The prefix's network bits as a short key. Not the address as a bigint key: V8 hashes a bigint by its low bits, which
 * are all zero for prefixes, and such a map degrades to a list.
 */
function networkBits(p: Prefix): string {
  return (p.addr >> BigInt((p.family === 4 ? 32 : 128) - p.len)).toString(36);
}

/** Appends to a list in a map (in place: copying the list on every append made the checks quadratic in the ledger). */
function pushTo<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}

/** Block identity (its prefix text) of a kind key, so kinds sharing a block share slots. */
function blockKey(plan: NumberingPlan, kind: string): string {
  const b = plan.blocks.get(kind as PlanKind);
  return b ? formatPrefix(b) : `?${kind}`;
}

function checkSlots(inv: Inventory, plan: NumberingPlan, orgs: ReadonlyMap<string, Organisation>, out: Finding[]): void {
  const s = inv.sources;
  const owner = new Map<string, string>();
  const ofOrg = new Map<string, number>();
  for (const sl of inv.ledger.slots) {
    if (!(PLAN_KINDS as readonly string[]).includes(sl.block)) {
      out.push(s.error('IPV6_SLOT', `slot of ${sl.organisation} names unknown block '${sl.block}' (known: ${PLAN_KINDS.join(', ')})`, sl.loc, ['block']));
      continue;
    }
    const org = orgs.get(sl.organisation);
    if (!org) out.push(s.error('IPV6_UNKNOWN_ORGANISATION', `slot ${sl.slot} belongs to unknown organisation '${sl.organisation}'`, sl.loc, ['organisation']));
    else if (blockKey(plan, org.kind) !== blockKey(plan, sl.block)) {
      out.push(s.error('IPV6_WRONG_BLOCK', `${org.id} is a ${org.kind}; its slot belongs in the ${org.kind} block ${blockKey(plan, org.kind)}, not ${sl.block} (${blockKey(plan, sl.block)})`, sl.loc, ['block']));
    }
    if (sl.slot >= slotCapacity(plan)) out.push(s.error('IPV6_SLOT', `slot ${sl.slot} is outside 0-${slotCapacity(plan) - 1} (${plan.organisationBits} organisation bits)`, sl.loc, ['slot']));
    const k = `${blockKey(plan, sl.block)}\0${sl.slot}`;
    const prev = owner.get(k);
    if (prev !== undefined && prev !== sl.organisation) out.push(s.error('IPV6_OVERLAP', `slot ${sl.slot} of ${blockKey(plan, sl.block)} is recorded for both ${prev} and ${sl.organisation}`, sl.loc, ['slot']));
    else owner.set(k, sl.organisation);
    const ok = `${sl.organisation}\0${blockKey(plan, sl.block)}`;
    if (ofOrg.has(ok) && ofOrg.get(ok) !== sl.slot) out.push(s.error('IPV6_SLOT', `${sl.organisation} has a second slot (${sl.slot}) in ${blockKey(plan, sl.block)}; an organisation has one stable slot (it has ${ofOrg.get(ok)})`, sl.loc, ['slot']));
    else ofOrg.set(ok, sl.slot);
  }
}

/** An entry's parent as the ledger holds it: each organisation's parent text is looked up once. */
interface ParentInfo {
  readonly prefix: Prefix;
  /** The organisation's entries with the parent's prefix, and the one that is its allocation. */
  readonly parents: readonly LedgerEntry[];
  readonly parent: LedgerEntry | undefined;
  readonly anyActive: boolean;
}

class ParentLookup {
  private readonly byOrg = new Map<string, Map<string, ParentInfo | null>>();
  constructor(
    private readonly index: PrefixIndex<LedgerEntry>,
    private readonly parsed: ReadonlyMap<string, Prefix | NetError>,
  ) {}
  /** Null when the parent's text is no prefix (the schema reports it). */
  get(org: string, text: string): ParentInfo | null {
    let m = this.byOrg.get(org);
    if (!m) this.byOrg.set(org, (m = new Map()));
    let info = m.get(text);
    if (info === undefined) {
      const prefix = this.parsed.get(text);
      if (prefix === undefined || prefix instanceof NetError) info = null;
      else {
        const parents = this.index.get(org, prefix) ?? [];
        info = { prefix, parents, parent: parents.find((x) => !x.parent) ?? parents[0], anyActive: parents.some(isActive) };
      }
      m.set(text, info);
    }
    return info;
  }
}

function checkParent(inv: Inventory, e: LedgerEntry, p: Prefix, parentsOf: ParentLookup, out: Finding[]): void {
  const s = inv.sources;
  const info = parentsOf.get(e.organisation, e.parent!);
  if (info === null) return;
  const { prefix: parentPrefix, parent } = info;
  if (!parent) {
    out.push(s.error('IPV6_PARENT', `${e.prefix} names parent ${e.parent}, which is not an allocation of ${e.organisation} in the ledger`, e.loc, ['parent']));
    return;
  }
  if (!contains(parentPrefix, p) || parentPrefix.len >= p.len) out.push(s.error('IPV6_PARENT', `${e.prefix} is not inside its parent ${e.parent}`, e.loc, ['prefix']));
  if (parent.category !== e.category) out.push(s.error('IPV6_PARENT', `${e.prefix} is '${e.category}' space but its parent ${e.parent} is '${parent.category}'`, e.loc, ['category']));
  if (isActive(e) && !info.anyActive) out.push(s.error('IPV6_STATUS', `${e.prefix} is active inside ${e.parent}, which was released; release it too`, e.loc, ['status']));
}

/** Time (ms) an entry was recorded; NaN-safe. */
function atMs(e: LedgerEntry): number {
  const t = Date.parse(e.at);
  return Number.isNaN(t) ? 0 : t;
}

/**
 * Two entries conflict when they share addresses, except: an organisation's own nesting in one category (a /48 inside
 * its /46), and history (both released, or a prefix re-issued after the other's quarantine ended).
 */
function conflict(outer: LedgerEntry, op: Prefix, inner: LedgerEntry, ip: Prefix): string | null {
  const oa = isActive(outer);
  const ia = isActive(inner);
  if (!oa && !ia) return null;
  const same = op.len === ip.len;
  if (oa && ia) {
    if (outer.organisation === inner.organisation && outer.category === inner.category && !same) return null;
    return same ? `${inner.prefix} is recorded twice (also for ${outer.organisation}, ${outer.category})` : `${inner.prefix} (${inner.organisation}, ${inner.category}) overlaps ${outer.prefix} (${outer.organisation}, ${outer.category})`;
  }
  const q = oa ? inner : outer;
  const a = oa ? outer : inner;
  const end = quarantineEnd(q);
  const endMs = end ? end.getTime() : Number.POSITIVE_INFINITY;
  if (a.organisation === q.organisation) {
    // The organisation's own live prefix around a released part is normal; a re-issue inside the quarantine is not.
    if (a === outer && !same) return null;
    if (q.released && atMs(a) >= Date.parse(q.released.at) && atMs(a) < endMs) return `${a.prefix} was handed out again while ${q.prefix} was quarantined (until ${q.released.quarantineUntil})`;
    return null;
  }
  if (atMs(a) < endMs) return `${a.prefix} (${a.organisation}, ${a.category}) overlaps ${q.prefix} of ${q.organisation}, quarantined until ${q.released?.quarantineUntil ?? '(no end recorded)'}`;
  return null;
}

function checkOverlaps(inv: Inventory, sorted: ReadonlyArray<{ e: LedgerEntry; p: Prefix }>, out: Finding[]): void {
  const s = inv.sources;
  sweepSorted(sorted, (enc, cur) => {
    const why = conflict(enc.e, enc.p, cur.e, cur.p);
    if (why) out.push(s.error('IPV6_OVERLAP', why, cur.e.loc, ['prefix']));
  });
}

/** A segment's IPv6 prefix, to be matched against the ledger entries that hold it. */
interface SegmentProbe {
  readonly p: Prefix;
  readonly org: string;
  /** The most specific active entry of the organisation holding it (the first in the ledger among equals), if any. */
  holder?: LedgerEntry;
  assigned?: boolean;
}

function checkSegments(inv: Inventory, orgs: ReadonlyMap<string, Organisation>, sorted: ReadonlyArray<{ e: LedgerEntry; p: Prefix }>, out: Finding[]): void {
  const s = inv.sources;
  const probes = new Map<string, SegmentProbe>();
  const keyOf = (org: string, i: number) => `${org}\0${i}`;
  for (const o of orgs.values()) {
    o.segments.forEach((seg, i) => {
      if (!seg.ipv6) return;
      const p = tryParsePrefix(seg.ipv6, { strict: false });
      if (!(p instanceof NetError)) probes.set(keyOf(o.id, i), { p, org: o.id });
    });
  }
  // The entries holding a segment are the organisation's active ones on the sweep's stack when it reaches the segment.
  sweepContaining(sorted, [...probes.values()], (q, containing) => {
    let best: LedgerEntry | undefined;
    let bestLen = -1;
    for (const { e, p } of containing) {
      if (e.organisation !== q.org || !isActive(e)) continue;
      if (p.len > bestLen) {
        best = e;
        bestLen = p.len;
      }
      if (e.status === 'assigned') q.assigned = true;
    }
    q.holder = best;
  });
  const plan = planFromSettings(inv.settings).plan;
  for (const o of orgs.values()) {
    o.segments.forEach((seg, i) => {
      const q = probes.get(keyOf(o.id, i));
      if (!q) return;
      const p = q.p;
      const at = ['segments', i, 'ipv6'];
      if (p.len !== 64) out.push(s.warning('IPV6_SUBNET_NOT_64', `segment '${seg.name}' of ${o.id} is a /${p.len}; LAN and VLAN subnets should be /64 (SLAAC, RFC 4291)`, o.loc, at));
      if (!q.holder) {
        out.push(s.error('IPV6_SEGMENT_OUTSIDE', `segment '${seg.name}' (${seg.ipv6}) of ${o.id} is not inside any of ${o.id}'s active ledger prefixes`, o.loc, at));
        return;
      }
      if (!seg.internetRouted || !plan) return;
      const cat = category(plan, q.holder.category);
      if (cat && !cat.internet) {
        out.push(s.error('IPV6_CATEGORY_LEAK', `segment '${seg.name}' is routed on the internet, but ${seg.ipv6} is '${cat.name}' space (${q.holder.prefix}); only the internet category is routed there`, o.loc, ['segments', i, 'internetRouted']));
      } else if (!q.assigned) {
        out.push(s.error('IPV6_ANNOUNCED_UNASSIGNED', `segment '${seg.name}' is routed on the internet, but ${seg.ipv6} is not inside an assigned prefix of the internet category (N2 rule 4)`, o.loc, ['segments', i, 'internetRouted']));
      }
    });
  }
}
