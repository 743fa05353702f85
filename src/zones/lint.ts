import type { Finding } from '../model/finding';
import type { Inventory } from '../model/inventory';
import type { SourceIndex } from '../model/source';
import { formatAddress } from '../net';
import type { Family, RangeList } from './addr';
import {
  bitName,
  compileFamily,
  decompose,
  type DstClass,
  type ERule,
  type FamilyRules,
  firstMatch,
  hasPorts,
  type Piece,
  PROTO_BITS,
  protoMask,
  psIntersect,
  psOverlaps,
  psSubtract,
  rulePorts,
  type RuleLike,
  type SrcClass,
  visitClipped,
} from './engine';
import { buildPolicy } from './model';
import { DEFAULT_REVIEW, reviewOptions, reviewPolicy, type ReviewOptions } from './review';
import type { GuardrailModel, PolicyModel, RuleModel } from './types';

/** An example packet, as `policy query` takes it. */
export interface ExamplePacket {
  src: string;
  dst: string;
  proto: 'tcp' | 'udp' | 'icmp' | 'icmpv6' | 'any';
  dport?: number;
}

export interface RuleAnalysis {
  /** Rule ids that match no packet at all (their selectors resolve to nothing in a common family). */
  empty: string[];
  /** Shadowed rule id -> the earlier rules that decide all of its packets. */
  shadowed: Map<string, string[]>;
  /** Rules whose removal changes no verdict. */
  redundant: string[];
  /** Rule id -> earlier rules with the other action that take part of its packets. */
  conflicts: Map<string, string[]>;
}

export interface GuardrailViolation {
  guardrail: string;
  rule: string;
  example: ExamplePacket;
}

const CULPRIT_CAP = 64;

export function toRuleLike(r: RuleModel): RuleLike {
  return { src: r.src, dst: r.dst, proto: r.proto, ports: r.ports, allow: r.action === 'allow' };
}

/** A cell with the protocol classes its rules have (so the others are skipped without a first-match). */
interface Cell extends SrcClass {
  mask: number;
}

interface FamilyCells {
  fr: FamilyRules;
  classes: Array<DstClass<Cell>>;
}

const decomposed = new WeakMap<PolicyModel, FamilyCells[]>();
const NO_PIECES: Piece[] = [];

/**
 * Both families' rules (guardrail sets included in the atom spaces) decomposed into cells, once per policy: the rule
 * analysis walks them twice and every guardrail check walks the part it clips to. First matches are not kept but
 * computed again per walk: keeping them all costs a one-shot run more (in memory and garbage collection) than the
 * recomputation.
 */
function policyCells(policy: PolicyModel): FamilyCells[] {
  let c = decomposed.get(policy);
  if (!c) {
    const items = policy.rules.map(toRuleLike);
    const extra = policy.guardrails.flatMap((g) => [g.src, g.dst]);
    c = ([4, 6] as Family[]).map((f) => {
      const fr = compileFamily(f, items, extra);
      const classes: Array<DstClass<Cell>> = [];
      decompose(fr, (dsegs, ssegs, idxs) => {
        let dc = classes[classes.length - 1];
        if (!dc || dc.segs !== dsegs) classes.push((dc = { segs: dsegs, cells: [] }));
        let mask = 0;
        for (let i = 0; i < idxs.length; i++) mask |= fr.rules[idxs[i]].mask;
        dc.cells.push({ segs: ssegs, rules: idxs, mask });
      });
      return { fr, classes };
    });
    decomposed.set(policy, c);
  }
  return c;
}

/** The first match in a cell for one protocol class. */
function cellMatch(fr: FamilyRules, cell: Cell, bit: number): Piece[] {
  return cell.mask & bit ? firstMatch(fr.rules, cell.rules, bit) : NO_PIECES;
}

/**
 * Every cell of the policy with more than one rule, for every protocol class, in order, with the rules that decide its
 * packets. Cells of one rule (most of a national policy's) are left to `forEachLoneRule`: they need no first match.
 */
function forEachCellMatch(cells: readonly FamilyCells[], visit: (rules: FamilyRules['rules'], idxs: readonly number[], bit: number, pieces: Piece[]) => void): void {
  for (const { fr, classes } of cells) {
    for (const dc of classes) {
      for (const cell of dc.cells) {
        if (cell.rules.length === 1) continue;
        for (const bit of PROTO_BITS) visit(fr.rules, cell.rules, bit, cellMatch(fr, cell, bit));
      }
    }
  }
}

/** The rule of every cell that has only one. */
function forEachLoneRule(cells: readonly FamilyCells[], visit: (r: ERule) => void): void {
  for (const { fr, classes } of cells) {
    for (const dc of classes) {
      for (const cell of dc.cells) if (cell.rules.length === 1) visit(fr.rules[cell.rules[0]]);
    }
  }
}

/** Shadowed, redundant and conflicting rules, exactly, over both address families. */
export function analyseRules(policy: PolicyModel): RuleAnalysis {
  const n = policy.rules.length;
  const hasBox = new Uint8Array(n);
  const live = new Uint8Array(n);
  const notRedundant = new Uint8Array(n);
  /** Per rule, the earlier rules that take some of its packets (distinct, at most CULPRIT_CAP: a list is cheaper than a Set). */
  const culprits: Array<number[] | undefined> = new Array(n);
  const cells = policyCells(policy);
  for (const { fr } of cells) for (const r of fr.rules) hasBox[r.ref] = 1;
  // A cell's only rule decides all of the cell's packets of its protocols (every compiled rule has one): nothing earlier
  // takes them, and without it the default deny would, which changes the verdict of an allow and not of a deny. This
  // is what both passes below would find for the cell, without its first matches.
  forEachLoneRule(cells, (r) => {
    live[r.ref] = 1;
    if (r.allow) notRedundant[r.ref] = 1;
  });
  // Pass 1: which rules decide anything, and which earlier rules take their packets.
  forEachCellMatch(cells, (rules, idxs, bit, pieces) => {
    if (!pieces.length) return;
    let pi = 0;
    for (let i = 0; i < idxs.length; i++) {
      const ri = idxs[i];
      const r = rules[ri];
      if (!(r.mask & bit)) continue;
      const rp = rulePorts(r, bit);
      while (pi < pieces.length && pieces[pi].rule < ri) pi++;
      for (let k = 0; k < pi; k++) {
        if (!psOverlaps(pieces[k].ports, rp)) continue;
        const by = rules[pieces[k].rule].ref;
        const cs = culprits[r.ref];
        if (!cs) culprits[r.ref] = [by];
        else if (cs.length < CULPRIT_CAP && !cs.includes(by)) cs.push(by);
      }
      if (pi < pieces.length && pieces[pi].rule === ri) live[r.ref] = 1;
    }
  });
  // Pass 2: would the packets a live rule decides get the same verdict without it? A rule is reported redundant only
  // when live rules take over: if a shadowed duplicate would, the duplicate is the one to remove (reported shadowed).
  forEachCellMatch(cells, (rules, idxs, bit, pieces) => {
    for (let p = 0; p < pieces.length; p++) {
      const piece = pieces[p];
      const r = rules[piece.rule];
      if (notRedundant[r.ref]) continue;
      let rem = piece.ports;
      let differs = false;
      for (let i = 0; i < idxs.length; i++) {
        const qi = idxs[i];
        if (qi <= piece.rule) continue;
        const q = rules[qi];
        if (!(q.mask & bit)) continue;
        const qp = rulePorts(q, bit);
        if (!psOverlaps(rem, qp)) continue;
        if (q.allow !== r.allow || !live[q.ref]) {
          differs = true;
          break;
        }
        rem = psSubtract(rem, qp);
        if (!rem.length) break;
      }
      if (differs || (rem.length && r.allow)) notRedundant[r.ref] = 1;
    }
  });

  const out: RuleAnalysis = { empty: [], shadowed: new Map(), redundant: [], conflicts: new Map() };
  for (let i = 0; i < n; i++) {
    const r = policy.rules[i];
    if (!hasBox[i]) {
      out.empty.push(r.id);
      continue;
    }
    const cs = culprits[i]?.sort((a, b) => a - b) ?? [];
    if (!live[i]) {
      out.shadowed.set(r.id, cs.map((c) => policy.rules[c].id));
      continue;
    }
    if (!notRedundant[i]) out.redundant.push(r.id);
    if (!cs.length) continue;
    const conflicting = cs.filter((c) => policy.rules[c].action !== r.action);
    if (conflicting.length) out.conflicts.set(r.id, conflicting.map((c) => policy.rules[c].id));
  }
  return out;
}

/** Guardrails checked against the rules (not the structure): every rule that lets a guarded packet through. */
export function checkGuardrails(policy: PolicyModel): GuardrailViolation[] {
  if (!policy.guardrails.length) return [];
  const out: GuardrailViolation[] = [];
  const cells = policyCells(policy);
  for (const g of policy.guardrails) {
    const seen = new Set<number>();
    for (const fc of cells) {
      for (const v of guardrailViolations(fc, g)) {
        if (seen.has(v.ruleRef)) continue;
        seen.add(v.ruleRef);
        out.push({ guardrail: g.id, rule: policy.rules[v.ruleRef].id, example: v.example });
      }
    }
  }
  return out;
}

function guardrailViolations({ fr, classes }: FamilyCells, g: GuardrailModel): Array<{ ruleRef: number; example: ExamplePacket }> {
  const pick = (s: { v4: RangeList; v6: RangeList }): RangeList => (fr.family === 4 ? s.v4 : s.v6);
  const gmask = protoMask(g.proto, fr.family);
  const gs = pick(g.src);
  const gd = pick(g.dst);
  if (!gmask || !gs.length || !gd.length) return [];
  const srcClip = fr.space.atoms(gs);
  const dstClip = fr.space.atoms(gd);
  const found = new Map<number, ExamplePacket>();
  // The cells a decomposition clipped to the guardrail would visit, in its order (the first example found is kept).
  visitClipped(classes, dstClip, srcClip, (dseg, sseg, cell) => {
    for (const bit of PROTO_BITS) {
      if (!(gmask & bit)) continue;
      const gp = hasPorts(bit) ? g.ports ?? [0, 65535] : [0, 0];
      for (const p of cellMatch(fr, cell, bit)) {
        const r = fr.rules[p.rule];
        if (!r.allow || found.has(r.ref)) continue;
        const hit = psIntersect(p.ports, gp);
        if (!hit.length) continue;
        const proto = bitName(bit, fr.family);
        found.set(r.ref, {
          src: formatAddress(fr.family, fr.space.lo(sseg[0])),
          dst: formatAddress(fr.family, fr.space.lo(dseg[0])),
          proto: proto === 'other' ? 'any' : proto,
          ...(hasPorts(bit) ? { dport: hit[0] } : {}),
        });
      }
    }
  });
  return [...found].sort((a, b) => a[0] - b[0]).map(([ruleRef, example]) => ({ ruleRef, example }));
}

const PLACEHOLDER = /^\s*(|-|\?+|todo|tbd|unknown|n\/?a|none|fixme|xxx)\s*$/i;

/** What the lint covers: everything, or (for gates that only need to know whether the policy is valid) the checks that can yield errors. */
export interface LintOptions {
  /** Run the rule analysis (empty, shadowed, redundant, conflicting rules) and the reviewer's checks (review.ts), which yield warnings only. Default true. */
  analyse?: boolean;
  /** Thresholds of the reviewer's checks and of expiry (ggi.yaml `policy.lint`); defaults: review.ts DEFAULT_REVIEW. */
  review?: ReviewOptions;
}

/** Lint findings for a built policy. `now` is the clock (expiry is checked against its UTC date). */
export function lintPolicy(policy: PolicyModel, sources: SourceIndex, now: Date = new Date(), opts: LintOptions = {}): Finding[] {
  const out: Finding[] = [];
  const byId = new Map<string, RuleModel>();
  for (const r of policy.rules) byId.set(r.id, r);
  const today = now.toISOString().slice(0, 10);
  const review = opts.review ?? DEFAULT_REVIEW;
  const days = review.expiringWithinDays;
  const soon = new Date(now.getTime() + days * 86400000).toISOString().slice(0, 10);

  for (const r of policy.rules) {
    if (PLACEHOLDER.test(r.owner)) out.push(sources.warning('POLICY_MISSING_OWNER', `rule ${r.id} has no real owner ('${r.owner}'); name the team that answers for it`, r.loc, ['owner']));
    if (PLACEHOLDER.test(r.reason)) out.push(sources.warning('POLICY_MISSING_REASON', `rule ${r.id} has no real reason ('${r.reason}'); say why the flow is needed`, r.loc, ['reason']));
    if (r.expires) {
      if (r.expires < today) out.push(sources.error('POLICY_EXPIRED', `rule ${r.id} expired on ${r.expires}; remove it or renew it with a new date`, r.loc, ['expires']));
      else if (r.expires <= soon) out.push(sources.warning('POLICY_EXPIRING', `rule ${r.id} expires on ${r.expires}, within ${days} days`, r.loc, ['expires']));
    }
  }

  const a: RuleAnalysis = opts.analyse === false ? { empty: [], shadowed: new Map(), redundant: [], conflicts: new Map() } : analyseRules(policy);
  for (const id of a.empty) {
    const r = byId.get(id)!;
    out.push(sources.warning('POLICY_EMPTY', `rule ${id} matches no packet: its from and to resolve to no addresses of a common family (or its proto to none)`, r.loc, ['id']));
  }
  for (const [id, by] of a.shadowed) {
    const r = byId.get(id)!;
    out.push(sources.warning('POLICY_SHADOWED', `rule ${id} never matches: every packet it covers is decided earlier by ${list(by)}`, r.loc, ['id']));
  }
  for (const id of a.redundant) {
    const r = byId.get(id)!;
    const tail = r.action === 'deny' ? 'later rules or the default deny' : 'later rules';
    out.push(sources.warning('POLICY_REDUNDANT', `rule ${id} is redundant: removing it changes no verdict (${tail} give the same)`, r.loc, ['id']));
  }
  for (const [id, by] of a.conflicts) {
    const r = byId.get(id)!;
    const other = r.action === 'allow' ? 'deny' : 'allow';
    out.push(sources.warning('POLICY_CONFLICT', `rule ${id} (${r.action}) overlaps earlier ${other} ${by.length === 1 ? 'rule' : 'rules'} ${by.join(', ')}, which ${by.length === 1 ? 'decides' : 'decide'} part of its packets`, r.loc, ['id']));
  }
  if (opts.analyse !== false) out.push(...reviewPolicy(policy, sources, review));
  for (const v of checkGuardrails(policy)) {
    const r = byId.get(v.rule)!;
    const ex = v.example;
    out.push(sources.error('GUARDRAIL_VIOLATION', `rule ${v.rule} violates guardrail ${v.guardrail}: it allows e.g. ${ex.proto}${ex.dport !== undefined ? `/${ex.dport}` : ''} from ${ex.src} to ${ex.dst} (a guardrail judges the rules as written, whether or not the zone border drops that packet too)`, r.loc, ['id']));
  }
  return out;
}

function list(ids: string[]): string {
  if (!ids.length) return 'earlier rules';
  return `${ids.length === 1 ? 'rule' : 'rules'} ${ids.join(', ')}`;
}

/** Build + lint findings (for `ggi validate`). */
export function checkPolicy(inv: Inventory, now: Date = new Date(), opts: LintOptions = {}): Finding[] {
  const { policy, findings } = buildPolicy(inv);
  return [...findings, ...lintPolicy(policy, inv.sources, now, { review: reviewOptions(inv.settings.policy?.lint), ...opts })];
}
