/**
 * What it takes to turn a running lab into the lab of a new spec without taking it down: the diff of the spec the lab
 * was built from (recorded in its state) and the new one, as steps. Pure, and generic over nodes and links: it knows
 * no roles, only what a node's definition needs.
 *
 * - A node whose definition changed (anything but its free `meta`) is rebuilt: removed, then added. So is a node that
 *   depends on its links beyond the veths themselves (a Kea appliance bridges its ports), when one of them changes.
 * - A node that is only rewired (a link of it added, removed or changed) keeps its namespace and daemons: the changed
 *   veths are replaced and their addresses and the node's routes are put back.
 * - Everything else is left alone, running.
 */
import type { LabLink, LabNode, LabSpec } from './spec';

export type RewireStep =
  | { readonly kind: 'remove-node'; readonly node: string; readonly rebuild: boolean }
  | { readonly kind: 'remove-link'; readonly link: LabLink }
  | { readonly kind: 'add-node'; readonly node: string; readonly rebuild: boolean }
  | { readonly kind: 'add-link'; readonly link: LabLink }
  /** A kept node whose links changed: addresses on its new interfaces, its routes again. */
  | { readonly kind: 'refresh-node'; readonly node: string }
  /** A kept node whose `meta` changed: the state's record only. */
  | { readonly kind: 'update-meta'; readonly node: string };

export interface RewirePlan {
  /** Why the running lab cannot be rewired (it must be taken down first); empty when it can. */
  readonly problems: string[];
  /** In execution order: removals, then additions, then refreshes. */
  readonly steps: RewireStep[];
  /** Nodes left exactly as they run. */
  readonly untouched: string[];
}

/** Canonical JSON (sorted keys), so that equal plain data compares equal whatever its key order. */
function canon(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canon).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canon((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

function definition(n: LabNode): string {
  const { meta: _meta, ...rest } = n;
  return canon(rest);
}

/** A link as an unordered pair of endpoints (addresses included: a renumbered link is a changed link). */
function linkKey(l: LabLink): string {
  const [x, y] = [canon(l.a), canon(l.b)].sort();
  return `${x}|${y}`;
}

/** Nodes whose setup uses their link interfaces beyond addresses and routes (bridges over them): rebuilt with them. */
function boundToLinks(n: LabNode): boolean {
  return n.kea !== undefined;
}

export function linkName(l: LabLink): string {
  return `${l.a.node}:${l.a.ifname} - ${l.b.node}:${l.b.ifname}`;
}

/** The steps from the lab of `old` (running) to the lab of `next`. Pure. */
export function planRewire(old: LabSpec, next: LabSpec): RewirePlan {
  const problems: string[] = [];
  if (old.name !== next.name) problems.push(`the running lab is named '${old.name}', not '${next.name}'`);
  if (old.stateDir !== next.stateDir) problems.push(`the running lab keeps its state in ${old.stateDir}, not ${next.stateDir}`);
  if (old.mgmt.bridgeV4 !== next.mgmt.bridgeV4) problems.push(`the management network changed (${old.mgmt.bridgeV4} -> ${next.mgmt.bridgeV4})`);
  if (problems.length) return { problems, steps: [], untouched: [] };

  const oldNodes = new Map(old.nodes.map((n) => [n.id, n]));
  const newNodes = new Map(next.nodes.map((n) => [n.id, n]));
  const oldLinks = new Map(old.links.map((l) => [linkKey(l), l]));
  const newLinks = new Map(next.links.map((l) => [linkKey(l), l]));
  const goneLinks = [...oldLinks].filter(([k]) => !newLinks.has(k)).map(([, l]) => l);
  const freshLinks = [...newLinks].filter(([k]) => !oldLinks.has(k)).map(([, l]) => l);
  const linkChanged = new Set([...goneLinks, ...freshLinks].flatMap((l) => [l.a.node, l.b.node]));

  const removed = old.nodes.filter((n) => !newNodes.has(n.id)).map((n) => n.id);
  const added = next.nodes.filter((n) => !oldNodes.has(n.id)).map((n) => n.id);
  const rebuilt = next.nodes
    .filter((n) => {
      const was = oldNodes.get(n.id);
      if (!was) return false;
      return definition(was) !== definition(n) || (linkChanged.has(n.id) && (boundToLinks(was) || boundToLinks(n)));
    })
    .map((n) => n.id);
  const leaving = new Set([...removed, ...rebuilt]);
  const coming = new Set([...added, ...rebuilt]);

  const steps: RewireStep[] = [];
  for (const id of removed) steps.push({ kind: 'remove-node', node: id, rebuild: false });
  for (const id of rebuilt) steps.push({ kind: 'remove-node', node: id, rebuild: true });
  // A link with an end in a removed namespace goes with it; the others are deleted one by one.
  for (const l of goneLinks) if (!leaving.has(l.a.node) && !leaving.has(l.b.node)) steps.push({ kind: 'remove-link', link: l });
  for (const id of added) steps.push({ kind: 'add-node', node: id, rebuild: false });
  for (const id of rebuilt) steps.push({ kind: 'add-node', node: id, rebuild: true });
  // New links, and every link of a node that is (re)made: its veths went with its namespace.
  const toAdd = next.links.filter((l) => !oldLinks.has(linkKey(l)) || coming.has(l.a.node) || coming.has(l.b.node));
  for (const l of toAdd) steps.push({ kind: 'add-link', link: l });
  const touched = new Set<string>();
  for (const s of steps) if (s.kind === 'remove-link' || s.kind === 'add-link') for (const e of [s.link.a, s.link.b]) if (!coming.has(e.node) && newNodes.has(e.node)) touched.add(e.node);
  for (const id of [...touched].sort()) steps.push({ kind: 'refresh-node', node: id });
  const metaOnly = next.nodes.filter((n) => !coming.has(n.id) && canon(oldNodes.get(n.id)?.meta ?? {}) !== canon(n.meta ?? {})).map((n) => n.id);
  for (const id of metaOnly) steps.push({ kind: 'update-meta', node: id });

  const untouched = next.nodes.filter((n) => !coming.has(n.id) && !touched.has(n.id)).map((n) => n.id);
  return { problems, steps, untouched };
}

/** One line per step, for the output of `lab up` on a running lab. */
export function describeRewire(plan: RewirePlan): string[] {
  const out: string[] = [];
  const ids = (kind: RewireStep['kind'], rebuild?: boolean) =>
    plan.steps.filter((s) => s.kind === kind && (rebuild === undefined || ('rebuild' in s && s.rebuild === rebuild))).map((s) => ('node' in s ? s.node : linkName((s as { link: LabLink }).link)));
  const line = (what: string, list: string[]) => {
    if (list.length) out.push(`${what} (${list.length}): ${list.join(', ')}`);
  };
  line('added', ids('add-node', false));
  line('removed', ids('remove-node', false));
  line('rebuilt', ids('add-node', true));
  line('links removed', ids('remove-link'));
  line('links added', ids('add-link'));
  line('rewired', ids('refresh-node'));
  out.push(`untouched: ${plan.untouched.length} node(s)`);
  return out;
}
