/**
 * Detection at the zone borders (docs/veilig.md "Detection at the borders"). veilig.yaml's detection rules become
 * (a) one packet-filter table of the border routers, `table inet ggi_veilig`, whose rules count and log the first
 * packet of every matching connection to NFLOG group NFLOG_GROUP_DETECTION with the rule's id in the log prefix, and
 * (b) alert rules in Suricata syntax for the cloud hub's stateful rule group.
 *
 * Detection only observes: the table's forward chain runs before ggi's policy table (a lower priority number), its
 * policy is accept and no rule of it has a verdict, so the zone policy decides every packet exactly as without it
 * (an accept in one base chain does not skip another base chain of the same hook). On the hub, `alert` does not end
 * strict-order evaluation either. Pure: the clock is the caller's.
 */
import type { VeiligDecl } from '../model/schema/veilig';
import { aggregate, formatPrefix, parsePrefix } from '../net';
import { detectionLogPrefix, NFLOG_GROUP_DETECTION } from './nflog';

export type DetectionKind = 'destination' | 'service' | 'rate';
export type DetectionProto = 'tcp' | 'udp' | 'icmp' | 'icmpv6' | 'any';

/** One active detection rule as plain data (it travels in a border's DeviceIntent). */
export interface DetectionRule {
  id: string;
  kind: DetectionKind;
  /** Destination prefixes, aggregated, per family. Both empty: any destination. */
  ipv4: string[];
  ipv6: string[];
  proto: DetectionProto;
  /** Destination ports ('23', '6000-6063') for tcp and udp; empty: every port. */
  ports: string[];
  /** Rate rules: more new connections per second than this from one source address is an event. */
  perSecond?: number;
}

/** What a border's packet filter adds for detection. */
export interface DetectionIntent {
  rules: DetectionRule[];
}

/** The table's name; ggi's policy is `table inet ggi` (src/zones). */
export const DETECTION_TABLE = 'ggi_veilig';
/** Before ggi's policy chain (priority filter = 0), so every packet is seen before the policy decides. */
export const DETECTION_PRIORITY = -10;
/** How long a source stays in a rate meter after its last new connection. */
const METER_TIMEOUT_S = 60;
/** At most this many sources per meter and family; a full meter adds none (the kernel's rule then does not match). */
const METER_SIZE = 65535;

/**
 * The rules in force on `now`: a rule whose `expires` date has passed is left out (it expires at the end of that day,
 * as src/veilig/checks.ts warns from the next day on). A repeated id (validate reports it) keeps its first rule.
 */
export function activeDetectionRules(veilig: Pick<VeiligDecl, 'detection'> | null | undefined, now: Date): DetectionRule[] {
  if (!veilig) return [];
  const today = now.toISOString().slice(0, 10);
  const seen = new Set<string>();
  const out: DetectionRule[] = [];
  for (const r of veilig.detection) {
    if (seen.has(r.id) || (r.expires && r.expires < today)) continue;
    seen.add(r.id);
    const prefixes = aggregate((r.prefixes ?? []).map((p) => parsePrefix(p, { strict: false })));
    const proto: DetectionProto = r.proto ?? 'any';
    const ports = proto === 'tcp' || proto === 'udp' ? [...new Set((r.ports ?? []).map(String))] : [];
    out.push({
      id: r.id,
      kind: r.kind,
      ipv4: prefixes.filter((p) => p.family === 4).map(formatPrefix),
      ipv6: prefixes.filter((p) => p.family === 6).map(formatPrefix),
      proto,
      ports,
      ...(r.kind === 'rate' && r.perSecond !== undefined ? { perSecond: r.perSecond } : {}),
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// The border routers' packet filter

const q = (s: string) => `"${s.replace(/["\\]/g, '')}"`;

/**
 * The table's name for a rule's counter (and, with a suffix after `_`, its sets). Rule ids are kebab-case and may start
 * with a digit or be a keyword ('counter', 'drop'), which the ruleset's grammar refuses as a name; `det-` makes every
 * id a plain name, and ids never hold `_`, so names never meet.
 */
export function detectionObjectName(ruleId: string): string {
  return `det-${ruleId}`;
}

function protoMatch(r: DetectionRule): string[] {
  const out: string[] = [];
  if (r.proto === 'tcp' || r.proto === 'udp') {
    out.push(`meta l4proto ${r.proto}`);
    if (r.ports.length) out.push(`th dport ${r.ports.length === 1 ? r.ports[0] : `{ ${r.ports.join(', ')} }`}`);
  } else if (r.proto === 'icmp') out.push('meta l4proto icmp');
  else if (r.proto === 'icmpv6') out.push('meta l4proto ipv6-icmp');
  return out;
}

/** The families a rule can match: icmp is IPv4's, icmpv6 IPv6's; with prefixes, the families they are in. */
function families(r: DetectionRule): Array<4 | 6> {
  const any = !r.ipv4.length && !r.ipv6.length;
  return ([4, 6] as const).filter((f) => (f === 4 ? r.proto !== 'icmpv6' && (any || r.ipv4.length > 0) : r.proto !== 'icmp' && (any || r.ipv6.length > 0)));
}

/**
 * `table inet ggi_veilig { … }`: a named counter per rule (shared by its IPv4 and IPv6 lines, so one number per rule),
 * a named set per rule and family for destination prefixes and for rate meters, and one forward chain. Every line
 * matches new connections only (`ct state new`: an event per connection, not per packet) and ends with
 * `counter name "<id>" log group 2 prefix "ggi-det:<id>"`. Deterministic.
 */
export function detectionTable(rules: readonly DetectionRule[]): string {
  const decls: string[] = [];
  const lines: string[] = [];
  for (const r of rules) {
    const name = detectionObjectName(r.id);
    const log = `counter name ${q(name)} log group ${NFLOG_GROUP_DETECTION} prefix ${q(detectionLogPrefix(r.id))}`;
    decls.push(`\tcounter ${name} {\n\t\tcomment ${q(`${r.kind}: ${r.id}`)}\n\t}`);
    const match = protoMatch(r);
    const fams = families(r);
    const anyDst = !r.ipv4.length && !r.ipv6.length;
    for (const f of fams) {
      const ip = f === 4 ? 'ip' : 'ip6';
      const parts = ['ct state new'];
      if (!anyDst) {
        const set = `${name}_dst${f}`;
        decls.push(`\tset ${set} {\n\t\ttype ipv${f}_addr\n\t\tflags interval\n\t\telements = { ${(f === 4 ? r.ipv4 : r.ipv6).join(', ')} }\n\t}`);
        parts.push(`${ip} daddr @${set}`);
      } else if (r.perSecond !== undefined || fams.length === 1) {
        parts.push(`meta nfproto ipv${f}`);
      }
      parts.push(...match);
      if (r.perSecond !== undefined) {
        const meter = `${name}_src${f}`;
        decls.push(`\tset ${meter} {\n\t\ttype ipv${f}_addr\n\t\tsize ${METER_SIZE}\n\t\tflags dynamic,timeout\n\t\ttimeout ${METER_TIMEOUT_S}s\n\t}`);
        parts.push(`update @${meter} { ${ip} saddr limit rate over ${r.perSecond}/second }`);
      }
      lines.push(`\t\t${parts.join(' ')} ${log}`);
      // Without prefixes or a meter, one line covers both families.
      if (anyDst && r.perSecond === undefined && fams.length === 2) break;
    }
  }
  const chain = [`\t\ttype filter hook forward priority filter ${DETECTION_PRIORITY < 0 ? '-' : '+'} ${Math.abs(DETECTION_PRIORITY)}; policy accept;`, ...lines];
  return [`table inet ${DETECTION_TABLE} {`, ...decls, `\tchain forward {\n${chain.join('\n')}\n\t}`, '}', ''].join('\n');
}

// ---------------------------------------------------------------------------------------------------------------
// The cloud hub's rule group (Suricata syntax)

/** Detection sids live apart from the zone policy's (which count up from 1, at most 20 groups of 30,000). */
export const DETECTION_SID_BASE = 1_000_000;
const SID_SPAN = 1_000_000;

/** An alert rule for the hub's stateful rule group: the Suricata line and the same rule as structured fields. */
export interface HubAlert {
  ruleId: string;
  sid: number;
  /** The NFLOG prefix of the same rule on the borders, so the SOC keys events from both on one name. */
  msg: string;
  protocol: 'tcp' | 'udp' | 'ip';
  /** Canonical prefixes; empty: any. */
  destination: string[];
  /** Suricata ports ('23', '6000:6063'); empty: any. */
  ports: string[];
  /** Rule options besides msg and sid, in order. */
  options: Array<{ keyword: string; settings: string[] }>;
  /** The whole rule in Suricata syntax. */
  text: string;
}

/** FNV-1a (32 bits): a sid from the rule id alone, so adding or removing another rule never renumbers this one. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/**
 * Stable sids: DETECTION_SID_BASE plus the id's hash modulo SID_SPAN. Two ids on one sid (rare) are resolved in id
 * order by taking the next free one, so only a colliding pair can ever move.
 */
export function detectionSids(ids: readonly string[]): Map<string, number> {
  const out = new Map<string, number>();
  const taken = new Set<number>();
  for (const id of [...new Set(ids)].sort()) {
    let n = fnv1a(id) % SID_SPAN;
    while (taken.has(n)) n = (n + 1) % SID_SPAN;
    taken.add(n);
    out.set(id, DETECTION_SID_BASE + n);
  }
  return out;
}

/**
 * Alert rules for the hub, one per detection rule, in rule order. Like the borders, they match the start of a flow
 * (`flow:to_server,not_established`); a rate rule alerts from the (N+1)th such packet of one source within a second
 * (`detection_filter`). icmp and icmpv6 are `ip` rules with `ip_proto`, as Suricata's `icmp` covers both.
 */
export function hubDetectionAlerts(rules: readonly DetectionRule[]): HubAlert[] {
  const sids = detectionSids(rules.map((r) => r.id));
  return rules.map((r) => {
    const sid = sids.get(r.id)!;
    const msg = detectionLogPrefix(r.id);
    const protocol: HubAlert['protocol'] = r.proto === 'tcp' || r.proto === 'udp' ? r.proto : 'ip';
    const destination = [...r.ipv4, ...r.ipv6];
    const ports = r.ports.map((p) => p.replace('-', ':'));
    const options: HubAlert['options'] = [];
    if (r.proto === 'icmp') options.push({ keyword: 'ip_proto', settings: ['1'] });
    if (r.proto === 'icmpv6') options.push({ keyword: 'ip_proto', settings: ['58'] });
    options.push({ keyword: 'flow', settings: ['to_server,not_established'] });
    if (r.perSecond !== undefined) options.push({ keyword: 'detection_filter', settings: [`track by_src, count ${r.perSecond}, seconds 1`] });
    const list = (l: string[]) => (l.length === 0 ? 'any' : l.length === 1 ? l[0] : `[${l.join(',')}]`);
    const opts = [`msg:"${msg}"`, ...options.map((o) => `${o.keyword}:${o.settings.join(',')}`), `sid:${sid}`, 'rev:1'];
    const text = `alert ${protocol} any any -> ${list(destination)} ${list(ports)} (${opts.join('; ')};)`;
    return { ruleId: r.id, sid, msg, protocol, destination, ports, options, text };
  });
}
