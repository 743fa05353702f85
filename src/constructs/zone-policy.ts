import { Construct } from 'constructs';
import { NetworkfirewallRuleGroup } from '@cdktf/provider-aws/lib/networkfirewall-rule-group';
import { formatPrefix, parsePrefix } from '../net/prefix';
import { ConstructValidationError } from './errors';
import { safeName } from './names';

/**
 * One rule of the flattened policy, in precedence order (first match wins), as the policy engine produces it for
 * nftables (`flattenRules` in src/zones/nftables.ts). Declared structurally here so this folder does not depend on
 * the engine's internals.
 */
export interface FlatRule {
  readonly ruleId: string;
  readonly action: 'pass' | 'drop';
  readonly proto: 'tcp' | 'udp' | 'icmp' | 'icmpv6' | 'ip';
  readonly src: readonly string[];
  readonly dst: readonly string[];
  /** '443', '1024-65535', '80,443' or null for every port. */
  readonly dports: string | null;
}

export interface ZonePolicyProps {
  /** The rule group's name (letters, digits, hyphens). */
  readonly name: string;
  readonly rules: readonly FlatRule[];
  readonly description?: string;
}

/** Network Firewall's limit on a stateful rule group's capacity. */
export const MAX_STATEFUL_CAPACITY = 30000;
/** Capacity cannot change after creation (a change replaces the group), so it is rounded up to leave room to grow. */
export const CAPACITY_STEP = 100;

interface CompiledRule {
  action: string;
  header: { protocol: string; source: string; sourcePort: string; destination: string; destinationPort: string; direction: string };
  ruleOption: Array<{ keyword: string; settings?: string[] }>;
}

export interface CompiledPolicy {
  readonly rules: CompiledRule[];
  readonly ipSets: Array<{ key: string; ipSet: { definition: string[] } }>;
  readonly portSets: Array<{ key: string; portSet: { definition: string[] } }>;
  readonly capacity: number;
}

const PROTO: Record<FlatRule['proto'], string> = { tcp: 'TCP', udp: 'UDP', icmp: 'ICMP', icmpv6: 'ICMP', ip: 'IP' };

function addresses(rule: FlatRule, side: 'src' | 'dst', key: string, ipSets: CompiledPolicy['ipSets']): string {
  const list = rule[side];
  const norm: string[] = [];
  for (const s of list) {
    try {
      norm.push(formatPrefix(parsePrefix(s)));
    } catch (e) {
      throw new ConstructValidationError('CLOUD_POLICY_PREFIX', `policy rule ${rule.ruleId}: ${side} '${s}' is not a prefix (${(e as Error).message})`);
    }
  }
  const uniq = [...new Set(norm)];
  const all = uniq.includes('0.0.0.0/0') && uniq.includes('::/0');
  if (all) return 'ANY';
  if (uniq.length === 1) return uniq[0];
  ipSets.push({ key, ipSet: { definition: uniq } });
  return `$${key}`;
}

function ports(rule: FlatRule, key: string, portSets: CompiledPolicy['portSets']): string {
  if (rule.dports === null) return 'ANY';
  if (rule.proto !== 'tcp' && rule.proto !== 'udp') {
    throw new ConstructValidationError('CLOUD_POLICY_PORTS', `policy rule ${rule.ruleId}: ports ${rule.dports} given for protocol ${rule.proto}, which has none`);
  }
  const parts = rule.dports.split(',').map((p) => p.trim());
  const out: string[] = [];
  for (const p of parts) {
    const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(p);
    const lo = m ? Number(m[1]) : NaN;
    const hi = m && m[2] !== undefined ? Number(m[2]) : lo;
    if (!m || lo > hi || hi > 65535) throw new ConstructValidationError('CLOUD_POLICY_PORTS', `policy rule ${rule.ruleId}: '${p}' is not a port or port range`);
    if (lo === 0 && hi === 65535) return 'ANY';
    out.push(lo === hi ? String(lo) : `${lo}:${hi}`);
  }
  if (out.length === 1) return out[0];
  portSets.push({ key, portSet: { definition: out } });
  return `$${key}`;
}

/**
 * Compiles the flattened policy into Network Firewall 5-tuple stateful rules (pure). Rules keep their precedence: the
 * group uses STRICT_ORDER and the sids count up in the same order. Multi-prefix sides and port lists become rule
 * variables. A rule with an empty side matches nothing and is left out.
 */
export function compileZonePolicy(rules: readonly FlatRule[]): CompiledPolicy {
  const out: CompiledRule[] = [];
  const ipSets: CompiledPolicy['ipSets'] = [];
  const portSets: CompiledPolicy['portSets'] = [];
  const ids = new Set<string>();
  for (const r of rules) {
    if (r.action !== 'pass' && r.action !== 'drop') throw new ConstructValidationError('CLOUD_POLICY_ACTION', `policy rule ${r.ruleId}: action '${String(r.action)}' is neither pass nor drop`);
    if (!(r.proto in PROTO)) throw new ConstructValidationError('CLOUD_POLICY_PROTO', `policy rule ${r.ruleId}: protocol '${String(r.proto)}' is not supported`);
    if (r.src.length === 0 || r.dst.length === 0) continue;
    const n = out.length + 1;
    const base = `R${n}_${safeName(r.ruleId).replace(/-/g, '_').toUpperCase()}`.slice(0, 100);
    const source = addresses(r, 'src', `${base}_SRC`, ipSets);
    const destination = addresses(r, 'dst', `${base}_DST`, ipSets);
    const destinationPort = ports(r, `${base}_DPORT`, portSets);
    ids.add(r.ruleId);
    out.push({
      action: r.action === 'pass' ? 'PASS' : 'DROP',
      header: { protocol: PROTO[r.proto], source, sourcePort: 'ANY', destination, destinationPort, direction: 'FORWARD' },
      ruleOption: [
        { keyword: 'msg', settings: [JSON.stringify(r.ruleId)] },
        { keyword: 'sid', settings: [String(n)] },
      ],
    });
  }
  const capacity = Math.max(CAPACITY_STEP, Math.ceil(out.length / CAPACITY_STEP) * CAPACITY_STEP);
  if (out.length > MAX_STATEFUL_CAPACITY) {
    throw new ConstructValidationError('CLOUD_POLICY_CAPACITY', `the zone policy compiles to ${out.length} stateful rules; a Network Firewall rule group holds at most ${MAX_STATEFUL_CAPACITY}`);
  }
  return { rules: out, ipSets, portSets, capacity: Math.min(capacity, MAX_STATEFUL_CAPACITY) };
}

/** The zone policy where it crosses the hub: a stateful Network Firewall rule group in strict order. */
export class ZonePolicy extends Construct {
  readonly ruleGroup: NetworkfirewallRuleGroup;
  readonly compiled: CompiledPolicy;

  constructor(scope: Construct, id: string, props: ZonePolicyProps) {
    super(scope, id);
    if (!/^[A-Za-z0-9-]{1,128}$/.test(props.name)) {
      throw new ConstructValidationError('CLOUD_POLICY_NAME', `rule group name '${props.name}' must be 1-128 letters, digits and hyphens`);
    }
    this.compiled = compileZonePolicy(props.rules);
    const c = this.compiled;
    this.ruleGroup = new NetworkfirewallRuleGroup(this, 'rules', {
      name: props.name,
      type: 'STATEFUL',
      capacity: c.capacity,
      description: props.description ?? 'GGI zone policy (generated by ggi from the policy model)',
      ruleGroup: {
        statefulRuleOptions: { ruleOrder: 'STRICT_ORDER' },
        ...(c.ipSets.length || c.portSets.length
          ? { ruleVariables: { ...(c.ipSets.length ? { ipSets: c.ipSets } : {}), ...(c.portSets.length ? { portSets: c.portSets } : {}) } }
          : {}),
        rulesSource: { statefulRule: c.rules },
      },
      tags: { Name: props.name },
    });
  }
}
