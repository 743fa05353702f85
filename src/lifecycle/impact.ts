import type { Inventory } from '../model/inventory';
import { buildIntents } from '../intent';
import { buildPolicy, describeAddresses, diffPolicies, type Change } from '../zones';

/**
 * What a lifecycle change does to the network, before it is written: the devices whose desired state changes
 * (added, removed, changed), the organisation stacks of the cloud side, and the flows it opens and closes
 * (`policy diff` of the inventory before and after). Pure over two loaded inventories.
 */
export interface Impact {
  devices: { added: string[]; removed: string[]; changed: string[] };
  stacks: { added: string[]; removed: string[]; changed: string[] } | null;
  flows: { opened: FlowLine[]; closed: FlowLine[] };
}

export interface FlowLine {
  rules: string[];
  proto: string;
  dports: string | null;
  from: string;
  to: string;
  example: string;
}

function compare<T>(before: Map<string, T>, after: Map<string, T>): { added: string[]; removed: string[]; changed: string[] } {
  const key = (v: T) => JSON.stringify(v);
  return {
    added: [...after.keys()].filter((k) => !before.has(k)).sort(),
    removed: [...before.keys()].filter((k) => !after.has(k)).sort(),
    changed: [...after.keys()].filter((k) => before.has(k) && key(before.get(k)!) !== key(after.get(k)!)).sort(),
  };
}

/** A value without the source locations, which move with any edit of a file and say nothing about the network. */
function plain(v: unknown): unknown {
  return JSON.parse(JSON.stringify(v, (k, x) => (k === 'loc' || k === 'sub' ? undefined : x)));
}

function intents(inv: Inventory): Map<string, unknown> {
  return new Map(buildIntents(inv).intents.map((i) => [i.id, plain(i)]));
}

/** The organisation stacks of an inventory by name (the cloud side's plan), or null when it has none. */
export type StacksOf = (inv: Inventory) => Map<string, unknown> | null;

function stacks(inv: Inventory, of?: StacksOf): Map<string, unknown> | null {
  const m = of?.(inv);
  return m ? new Map([...m].map(([k, v]) => [k, plain(v)])) : null;
}

function flowLines(list: Change[], inv: Inventory, policy: ReturnType<typeof buildPolicy>['policy']): FlowLine[] {
  void inv;
  const who = (cidrs: string[]) => {
    const names = describeAddresses(policy, cidrs);
    const shown = cidrs.length <= 2 ? cidrs.join(', ') : `${cidrs.slice(0, 2).join(', ')} (+${cidrs.length - 2} more)`;
    return `${shown}${names ? ` [${names}]` : ''}`;
  };
  return list.map((c) => ({ rules: c.rules, proto: c.proto, dports: c.dports, from: who(c.src), to: who(c.dst), example: `${c.example.proto}${c.example.dport !== undefined ? `/${c.example.dport}` : ''} ${c.example.src} -> ${c.example.dst}` }));
}

export function impactOf(before: Inventory, after: Inventory, stacksOf?: StacksOf): Impact {
  const b = buildPolicy(before).policy;
  const a = buildPolicy(after).policy;
  const d = diffPolicies(b, a);
  const sb = stacks(before, stacksOf);
  const sa = stacks(after, stacksOf);
  return {
    devices: compare(intents(before), intents(after)),
    stacks: sb && sa ? compare(sb, sa) : null,
    flows: { opened: flowLines(d.opened, after, a), closed: flowLines(d.closed, before, b) },
  };
}

/** The impact as text: one section per kind, a few flows each (all of them with --format json). */
export function impactText(x: Impact, maxFlows = 8): string {
  const out: string[] = [];
  const list = (title: string, s: { added: string[]; removed: string[]; changed: string[] }) => {
    out.push(`${title}: ${s.added.length} added, ${s.removed.length} removed, ${s.changed.length} changed`);
    for (const k of s.added) out.push(`  + ${k}`);
    for (const k of s.removed) out.push(`  - ${k}`);
    for (const k of s.changed) out.push(`  ~ ${k}`);
  };
  list('devices', x.devices);
  if (x.stacks) list('stacks', x.stacks);
  out.push(`flows (policy diff before -> after): ${x.flows.opened.length} opened, ${x.flows.closed.length} closed`);
  for (const [sign, l] of [['+', x.flows.opened], ['-', x.flows.closed]] as const) {
    for (const f of l.slice(0, maxFlows)) out.push(`  ${sign} ${f.proto}${f.dports ? `/${f.dports}` : ''} ${f.from} -> ${f.to} (${f.rules.join(', ')})`);
    if (l.length > maxFlows) out.push(`  ${sign} … ${l.length - maxFlows} more (--format json lists all)`);
  }
  return `${out.join('\n')}\n`;
}
