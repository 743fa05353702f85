import type { Loc } from '../model/source';
import { type AddrSet, type RangeList, setFromCidrs, setSubtract, setUnion } from './addr';
import type { Change, DiffResult } from './diff';
import type { PolicyModel } from './types';
import { ZONES } from './types';

/**
 * A policy diff for people: who gains access to what, and who loses it, per organisation, with the rules involved
 * (owner and reason). Pure: from the diff and both versions' policies.
 */

export interface RuleInfo {
  id: string;
  owner: string;
  reason: string;
  loc: Loc;
}

export interface Access {
  /** The services or organisations reached, e.g. `zaakwolk-archief` or `GM0546`. */
  to: string[];
  proto: Change['proto'];
  dports: string | null;
  rules: string[];
  example: Change['example'];
}

export interface OrgImpact {
  /** An organisation id, a supplier, `kps` (the KPS's services), or `other` for addresses nobody declares. */
  organisation: string;
  gains: Access[];
  loses: Access[];
}

export interface Impact {
  organisations: OrgImpact[];
  /** Every rule named above, by id, as declared in head (gains) or base (losses). */
  rules: Record<string, RuleInfo>;
}

function overlaps(a: RangeList, b: RangeList): boolean {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i].hi < b[j].lo) i++;
    else if (b[j].hi < a[i].lo) j++;
    else return true;
  }
  return false;
}

function touches(a: AddrSet, b: AddrSet): boolean {
  return overlaps(a.v4, b.v4) || overlaps(a.v6, b.v6);
}

/** Who holds addresses of a set: services by name (with their provider as the party), organisations by id. */
function holders(policy: PolicyModel, cidrs: readonly string[]): { parties: string[]; names: string[] } {
  let set: AddrSet;
  try {
    set = setFromCidrs(cidrs);
  } catch {
    return { parties: ['other'], names: [] };
  }
  const parties: string[] = [];
  const names: string[] = [];
  for (const v of policy.services) {
    if (!touches(v.set, set)) continue;
    names.push(v.name);
    if (!parties.includes(v.provider)) parties.push(v.provider);
  }
  const services = names.length;
  for (const o of policy.orgs) {
    if (!ZONES.some((z) => touches(o.zones[z], set))) continue;
    // A service's prefixes usually lie inside its supplier's allocation: then the service is what is reached.
    if (services && parties.includes(o.id) && !touches(subtractServices(policy, o), set)) continue;
    names.push(o.id);
    if (!parties.includes(o.id)) parties.push(o.id);
  }
  return { parties: parties.length ? parties : ['other'], names: names.length ? names : cidrs.slice(0, 3) };
}

const ownOnly = new WeakMap<object, AddrSet>();
/** An organisation's addresses that are not one of its services'. */
function subtractServices(policy: PolicyModel, o: PolicyModel['orgs'][number]): AddrSet {
  let s = ownOnly.get(o);
  if (!s) {
    s = setUnion(o.zones.overheid, o.zones.markt);
    for (const v of policy.services) if (v.provider === o.id) s = setSubtract(s, v.set);
    ownOnly.set(o, s);
  }
  return s;
}

/** Groups a diff by the organisations on its source side: they gain (opened) or lose (closed) access. */
export function diffImpact(d: DiffResult, base: PolicyModel, head: PolicyModel): Impact {
  const byOrg = new Map<string, OrgImpact>();
  const rules: Record<string, RuleInfo> = {};
  const note = (p: PolicyModel, id: string) => {
    if (rules[id]) return;
    const r = p.rules.find((x) => x.id === id);
    if (r) rules[id] = { id: r.id, owner: r.owner, reason: r.reason, loc: r.loc };
  };
  for (const [list, policy, key] of [[d.opened, head, 'gains'], [d.closed, base, 'loses']] as const) {
    for (const c of list) {
      const from = holders(policy, c.src);
      const to = holders(policy, c.dst).names;
      for (const id of c.rules) note(policy, id);
      for (const party of from.parties) {
        let o = byOrg.get(party);
        if (!o) byOrg.set(party, (o = { organisation: party, gains: [], loses: [] }));
        o[key].push({ to, proto: c.proto, dports: c.dports, rules: c.rules, example: c.example });
      }
    }
  }
  const organisations = [...byOrg.values()].sort((a, b) => (a.organisation < b.organisation ? -1 : a.organisation > b.organisation ? 1 : 0));
  return { organisations, rules };
}

/** `tcp/443`, `udp/*`, `any`. */
export function accessText(a: Pick<Access, 'proto' | 'dports'>): string {
  if (a.proto === 'any') return 'any protocol';
  if (a.proto === 'tcp' || a.proto === 'udp') return `${a.proto}/${a.dports ?? '*'}`;
  return a.proto;
}
