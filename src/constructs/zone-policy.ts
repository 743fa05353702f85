import { Construct } from 'constructs';
import { NetworkfirewallRuleGroup } from '@cdktf/provider-aws/lib/networkfirewall-rule-group';
import { NetworkfirewallFirewallPolicy } from '@cdktf/provider-aws/lib/networkfirewall-firewall-policy';
import { formatPrefix, parsePrefix } from '../net/prefix';
import type { FlatRule } from '../zones';
import { ConstructValidationError } from './errors';

/** The flat rules come from the policy engine (src/zones flattenRules), one type for both. */
export type { FlatRule };

export interface ZonePolicyProps {
  /** The rule groups' name prefix (letters, digits, hyphens). */
  readonly name: string;
  readonly rules: readonly FlatRule[];
  readonly description?: string;
  /** Largest rules string per rule group; AWS accepts 2,000,000 characters. */
  readonly maxRulesChars?: number;
  /**
   * `suricata` (default): each group's rules as one Suricata-format string (the same 5-tuple headers, cheap to
   * synthesize at any size). `five-tuple`: structured stateful_rule blocks with IP/port set variables, as the AWS
   * console shows them; cdktf needs tens of seconds for a national-size policy in this form.
   */
  readonly format?: RuleFormat;
  /**
   * GGI-Veilig's detection rules as alert rules (src/veilig/detection.ts `hubDetectionAlerts`). They go first in the
   * first group: an alert does not end strict-order evaluation, so each matching flow is reported and the policy's
   * pass and drop rules still decide it.
   */
  readonly detection?: readonly DetectionAlert[];
}

/** One detection rule for the hub: its Suricata line and the same rule as fields (for the structured form). */
export interface DetectionAlert {
  readonly ruleId: string;
  readonly sid: number;
  readonly msg: string;
  readonly protocol: 'tcp' | 'udp' | 'ip';
  /** Canonical prefixes; empty: any. */
  readonly destination: readonly string[];
  /** Suricata ports ('23', '6000:6063'); empty: any. */
  readonly ports: readonly string[];
  /** Options besides msg and sid, in order. */
  readonly options: ReadonlyArray<{ readonly keyword: string; readonly settings: readonly string[] }>;
  readonly text: string;
}

export type RuleFormat = 'suricata' | 'five-tuple';

/** Network Firewall's limit on a stateful rule group's capacity. */
export const MAX_STATEFUL_CAPACITY = 30000;
/** AWS's limit on a rule group's rules string. */
export const MAX_RULES_CHARS = 2_000_000;
/** Capacity cannot change after creation (a change replaces the group), so it is rounded up to leave room to grow. */
export const CAPACITY_STEP = 100;
/** Stateful rule groups one firewall policy may reference (AWS default quota). */
export const MAX_RULE_GROUPS = 20;

const PROTO: Record<FlatRule['proto'], string> = { tcp: 'tcp', udp: 'udp', icmp: 'icmp', icmpv6: 'icmp', ip: 'ip' };

/** A structured 5-tuple stateful rule (the provider's stateful_rule block). */
export interface FiveTupleRule {
  action: 'PASS' | 'DROP' | 'ALERT';
  header: { protocol: string; source: string; sourcePort: string; destination: string; destinationPort: string; direction: 'FORWARD' };
  ruleOption: Array<{ keyword: string; settings: string[] }>;
}

export interface FiveTupleGroup {
  readonly rules: FiveTupleRule[];
  readonly ipSets: Array<{ key: string; ipSet: { definition: string[] } }>;
  readonly portSets: Array<{ key: string; portSet: { definition: string[] } }>;
}

export interface CompiledGroup {
  /** Suricata-format rules, one per line, in precedence order (format `suricata`). */
  readonly rules: string;
  /** The same rules as structured blocks (format `five-tuple`). */
  readonly fiveTuple?: FiveTupleGroup;
  readonly count: number;
  readonly capacity: number;
}

export interface CompiledPolicy {
  /** In precedence order: group 1's rules come before group 2's. */
  readonly groups: CompiledGroup[];
  /** Policy rules (sids 1..ruleCount). */
  readonly ruleCount: number;
  /** Detection alerts, at the head of the first group. */
  readonly alertCount: number;
}

/**
 * What one compilation has already worked out. A flattened policy repeats the same prefixes many times, the same
 * address lists (flattenRules hands out one array per address set, so they repeat by identity: 25,000 rules, a few
 * hundred distinct destinations) and a handful of port texts. Only successes are kept: a bad value throws on its
 * first use, naming the rule that used it, exactly as without the memo.
 */
interface Memo {
  /** prefix text -> canonical form */
  readonly prefixes: Map<string, string>;
  /** address list (by identity) -> its Suricata text */
  readonly lists: Map<readonly string[], string>;
  /** dports text -> its Suricata text */
  readonly ports: Map<string, string>;
}

function normaliser(): Memo {
  return { prefixes: new Map(), lists: new Map(), ports: new Map() };
}

function canonical(memo: Memo, rule: FlatRule, side: string, s: string): string {
  let v = memo.prefixes.get(s);
  if (v === undefined) {
    try {
      v = formatPrefix(parsePrefix(s));
    } catch (e) {
      throw new ConstructValidationError('CLOUD_POLICY_PREFIX', `policy rule ${rule.ruleId}: ${side} '${s}' is not a prefix (${(e as Error).message})`);
    }
    memo.prefixes.set(s, v);
  }
  return v;
}

function addressList(rule: FlatRule, side: 'src' | 'dst', memo: Memo): string {
  const list = rule[side];
  let text = memo.lists.get(list);
  if (text === undefined) {
    if (list.length === 1) text = canonical(memo, rule, side, list[0]);
    else {
      const uniq = [...new Set(list.map((s) => canonical(memo, rule, side, s)))];
      text = uniq.includes('0.0.0.0/0') && uniq.includes('::/0') ? 'any' : uniq.length === 1 ? uniq[0] : `[${uniq.join(',')}]`;
    }
    memo.lists.set(list, text);
  }
  return text;
}

function portList(rule: FlatRule, memo: Memo): string {
  if (rule.dports === null) return 'any';
  if (rule.proto !== 'tcp' && rule.proto !== 'udp') {
    throw new ConstructValidationError('CLOUD_POLICY_PORTS', `policy rule ${rule.ruleId}: ports ${rule.dports} given for protocol ${rule.proto}, which has none`);
  }
  let text = memo.ports.get(rule.dports);
  if (text === undefined) memo.ports.set(rule.dports, (text = parsePorts(rule, rule.dports)));
  return text;
}

function parsePorts(rule: FlatRule, dports: string): string {
  const out: string[] = [];
  for (const p of dports.split(',').map((x) => x.trim())) {
    const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(p);
    const lo = m ? Number(m[1]) : NaN;
    const hi = m && m[2] !== undefined ? Number(m[2]) : lo;
    if (!m || lo > hi || hi > 65535) throw new ConstructValidationError('CLOUD_POLICY_PORTS', `policy rule ${rule.ruleId}: '${p}' is not a port or port range`);
    if (lo === 0 && hi === 65535) return 'any';
    out.push(lo === hi ? String(lo) : `${lo}:${hi}`);
  }
  return out.length === 1 ? out[0] : `[${out.join(',')}]`;
}

/** One Suricata rule: the 5-tuple header (protocol, source, any source port, destination, ports) and its sid. */
export function suricataRule(rule: FlatRule, sid: number, norm = normaliser()): string {
  if (rule.action !== 'pass' && rule.action !== 'drop') throw new ConstructValidationError('CLOUD_POLICY_ACTION', `policy rule ${rule.ruleId}: action '${String(rule.action)}' is neither pass nor drop`);
  const proto = PROTO[rule.proto];
  if (!proto) throw new ConstructValidationError('CLOUD_POLICY_PROTO', `policy rule ${rule.ruleId}: protocol '${String(rule.proto)}' is not supported`);
  const msg = rule.ruleId.replace(/[";\\]/g, '_');
  return `${rule.action} ${proto} ${addressList(rule, 'src', norm)} any -> ${addressList(rule, 'dst', norm)} ${portList(rule, norm)} (msg:"${msg}"; sid:${sid}; rev:1;)`;
}

const PROTO_5T: Record<FlatRule['proto'], string> = { tcp: 'TCP', udp: 'UDP', icmp: 'ICMP', icmpv6: 'ICMP', ip: 'IP' };

/** One structured 5-tuple rule; several prefixes or ports become variables of its group. */
export function fiveTupleRule(rule: FlatRule, sid: number, group: FiveTupleGroup, norm = normaliser()): FiveTupleRule {
  suricataRule(rule, sid, norm); // the same validation, one place
  const side = (which: 'src' | 'dst'): string => {
    const list = addressList(rule, which, norm);
    if (list === 'any') return 'ANY';
    if (!list.startsWith('[')) return list;
    const key = `R${sid}_${which.toUpperCase()}`;
    group.ipSets.push({ key, ipSet: { definition: list.slice(1, -1).split(',') } });
    return `$${key}`;
  };
  const ports = portList(rule, norm);
  let destinationPort = ports === 'any' ? 'ANY' : ports;
  if (ports.startsWith('[')) {
    const key = `R${sid}_DPORT`;
    group.portSets.push({ key, portSet: { definition: ports.slice(1, -1).split(',') } });
    destinationPort = `$${key}`;
  }
  return {
    action: rule.action === 'pass' ? 'PASS' : 'DROP',
    header: { protocol: PROTO_5T[rule.proto], source: side('src'), sourcePort: 'ANY', destination: side('dst'), destinationPort, direction: 'FORWARD' },
    ruleOption: [
      { keyword: 'msg', settings: [`"${rule.ruleId.replace(/[";\\]/g, '_')}"`] },
      { keyword: 'sid', settings: [String(sid)] },
    ],
  };
}

/** A detection alert as a structured rule; several prefixes or ports become variables of its group. */
export function fiveTupleAlert(a: DetectionAlert, group: FiveTupleGroup): FiveTupleRule {
  let destination = 'ANY';
  if (a.destination.length === 1) destination = a.destination[0];
  else if (a.destination.length > 1) {
    const key = `R${a.sid}_DST`;
    group.ipSets.push({ key, ipSet: { definition: [...a.destination] } });
    destination = `$${key}`;
  }
  let destinationPort = 'ANY';
  if (a.ports.length === 1) destinationPort = a.ports[0];
  else if (a.ports.length > 1) {
    const key = `R${a.sid}_DPORT`;
    group.portSets.push({ key, portSet: { definition: [...a.ports] } });
    destinationPort = `$${key}`;
  }
  return {
    action: 'ALERT',
    header: { protocol: PROTO_5T[a.protocol], source: 'ANY', sourcePort: 'ANY', destination, destinationPort, direction: 'FORWARD' },
    ruleOption: [
      { keyword: 'msg', settings: [`"${a.msg.replace(/[";\\]/g, '_')}"`] },
      ...a.options.map((o) => ({ keyword: o.keyword, settings: [...o.settings] })),
      { keyword: 'sid', settings: [String(a.sid)] },
    ],
  };
}

/**
 * Compiles the flattened policy into Suricata-format stateful rules (pure). Precedence is kept three ways: the lines
 * are in policy order, the sids count up in that order, and the groups run in STRICT_ORDER with increasing priority.
 * A rule with an empty side matches nothing and is left out. Rules are cut into groups only where a group would
 * pass AWS's limits (30,000 capacity, 2,000,000 characters).
 */
export function compileZonePolicy(rules: readonly FlatRule[], maxChars = MAX_RULES_CHARS, format: RuleFormat = 'suricata', detection: readonly DetectionAlert[] = []): CompiledPolicy {
  const norm = normaliser();
  const groups: CompiledGroup[] = [];
  let lines: string[] = [];
  let chars = 0;
  let structured: FiveTupleGroup = { rules: [], ipSets: [], portSets: [] };
  const flush = (): void => {
    if (!lines.length) return;
    const capacity = Math.min(MAX_STATEFUL_CAPACITY, Math.max(CAPACITY_STEP, Math.ceil(lines.length / CAPACITY_STEP) * CAPACITY_STEP));
    groups.push({ rules: `${lines.join('\n')}\n`, ...(format === 'five-tuple' ? { fiveTuple: structured } : {}), count: lines.length, capacity });
    lines = [];
    chars = 0;
    structured = { rules: [], ipSets: [], portSets: [] };
  };
  // Detection alerts first (see ZonePolicyProps.detection); their sids must stay clear of the policy's.
  const alertSids = new Set<number>();
  for (const a of detection) {
    if (alertSids.has(a.sid)) throw new ConstructValidationError('CLOUD_DETECTION_SID', `detection rule ${a.ruleId}: sid ${a.sid} is used twice`);
    alertSids.add(a.sid);
    if (a.text.length + 1 > maxChars) throw new ConstructValidationError('CLOUD_POLICY_RULE_SIZE', `detection rule ${a.ruleId} compiles to ${a.text.length} characters; a rule group holds at most ${maxChars}`);
    if (chars + a.text.length + 1 > maxChars || lines.length >= MAX_STATEFUL_CAPACITY) flush();
    if (format === 'five-tuple') structured.rules.push(fiveTupleAlert(a, structured));
    lines.push(a.text);
    chars += a.text.length + 1;
  }
  let sid = 0;
  for (const r of rules) {
    if (r.src.length === 0 || r.dst.length === 0) continue;
    const line = suricataRule(r, ++sid, norm);
    if (line.length + 1 > maxChars) throw new ConstructValidationError('CLOUD_POLICY_RULE_SIZE', `policy rule ${r.ruleId} compiles to ${line.length} characters; a rule group holds at most ${maxChars}`);
    if (chars + line.length + 1 > maxChars || lines.length >= MAX_STATEFUL_CAPACITY) flush();
    if (format === 'five-tuple') structured.rules.push(fiveTupleRule(r, sid, structured, norm));
    lines.push(line);
    chars += line.length + 1;
  }
  flush();
  if (groups.length > MAX_RULE_GROUPS) {
    throw new ConstructValidationError('CLOUD_POLICY_CAPACITY', `the zone policy compiles to ${sid} rules in ${groups.length} rule groups; a firewall policy references at most ${MAX_RULE_GROUPS}`);
  }
  const clash = detection.find((a) => a.sid <= sid);
  if (clash) throw new ConstructValidationError('CLOUD_DETECTION_SID', `detection rule ${clash.ruleId}: sid ${clash.sid} is also a zone policy rule's (1-${sid})`);
  return { groups, ruleCount: sid, alertCount: detection.length };
}

/**
 * The zone policy where it crosses the hub: stateful Network Firewall rule groups in strict order, and the firewall
 * policy that runs them in that order and drops what no rule passes (the policy's default deny).
 */
export class ZonePolicy extends Construct {
  readonly ruleGroups: NetworkfirewallRuleGroup[];
  readonly firewallPolicy: NetworkfirewallFirewallPolicy;
  readonly compiled: CompiledPolicy;

  constructor(scope: Construct, id: string, props: ZonePolicyProps) {
    super(scope, id);
    if (!/^[A-Za-z0-9-]{1,120}$/.test(props.name)) {
      throw new ConstructValidationError('CLOUD_POLICY_NAME', `rule group name '${props.name}' must be 1-120 letters, digits and hyphens`);
    }
    const format = props.format ?? 'suricata';
    this.compiled = compileZonePolicy(props.rules, props.maxRulesChars ?? MAX_RULES_CHARS, format, props.detection ?? []);
    // The rules travel as one string per group: the same 5-tuples as structured stateful_rule blocks, but cdktf
    // resolves a string in microseconds where 25,000 nested blocks take it tens of seconds.
    this.ruleGroups = this.compiled.groups.map(
      (g, i) =>
        new NetworkfirewallRuleGroup(this, `rules-${i + 1}`, {
          name: `${props.name}-${i + 1}`,
          type: 'STATEFUL',
          capacity: g.capacity,
          description: props.description ?? `GGI zone policy part ${i + 1} of ${this.compiled.groups.length} (generated by ggi)`,
          ruleGroup: g.fiveTuple
            ? {
                statefulRuleOptions: { ruleOrder: 'STRICT_ORDER' },
                ...(g.fiveTuple.ipSets.length || g.fiveTuple.portSets.length
                  ? { ruleVariables: { ...(g.fiveTuple.ipSets.length ? { ipSets: g.fiveTuple.ipSets } : {}), ...(g.fiveTuple.portSets.length ? { portSets: g.fiveTuple.portSets } : {}) } }
                  : {}),
                rulesSource: { statefulRule: g.fiveTuple.rules },
              }
            : {
                statefulRuleOptions: { ruleOrder: 'STRICT_ORDER' },
                rulesSource: { rulesString: g.rules },
              },
          tags: { Name: `${props.name}-${i + 1}` },
        }),
    );
    this.firewallPolicy = new NetworkfirewallFirewallPolicy(this, 'firewall-policy', {
      name: props.name,
      description: 'GGI zone policy: rule groups in strict order, default deny',
      firewallPolicy: {
        statelessDefaultActions: ['aws:forward_to_sfe'],
        statelessFragmentDefaultActions: ['aws:forward_to_sfe'],
        statefulEngineOptions: { ruleOrder: 'STRICT_ORDER' },
        statefulDefaultActions: ['aws:drop_strict'],
        statefulRuleGroupReference: this.ruleGroups.map((g, i) => ({ priority: i + 1, resourceArn: g.arn })),
      },
      tags: { Name: props.name },
    });
  }
}
