import { parsePrefix } from '../../src/net/prefix';
import { AWS_RESERVED_TUNNEL_CIDRS } from '../../src/constructs/tunnels';
import { resources, type TfJson } from './fixture';

/**
 * Invariants of the synthesized cloud side, checked on the Terraform JSON alone (what Terraform would create), not on
 * the constructs: a construct bug that wires the wrong table shows up here.
 */

const REF = /^\$\{(data\.)?([a-z0-9_]+)\.([A-Za-z0-9_-]+)\.([a-z_]+)\}$/;

function deref(tf: TfJson, expr: unknown): { data: boolean; type: string; id: string; attr: string; body: Record<string, unknown> } | null {
  if (typeof expr !== 'string') return null;
  const m = REF.exec(expr);
  if (!m) return null;
  const data = Boolean(m[1]);
  const body = (data ? tf.data : tf.resource)?.[m[2]]?.[m[3]];
  if (!body) return null;
  return { data, type: m[2], id: m[3], attr: m[4], body };
}

/** The zone a route-table reference points at, or null when it is not one of the hub's zone tables. */
function tableZone(tf: TfJson, expr: unknown): string | null {
  const r = deref(tf, expr);
  if (r?.data && r.type === 'aws_ssm_parameter' && r.attr === 'value') {
    const m = /\/hub\/route-table\/(overheid|markt)$/.exec(String(r.body.name));
    return m ? m[1] : null;
  }
  if (r && !r.data && r.type === 'aws_ec2_transit_gateway_route_table' && r.attr === 'id') {
    const tags = r.body.tags as Record<string, string> | undefined;
    return tags?.['ggi:zone'] ?? null;
  }
  return null;
}

export interface Attachment {
  stack: string;
  vpn: string;
  zone: string;
  organisation: string;
  tunnels: string[];
}

/** Returns every violation of the isolation invariant (empty = holds), and the attachments seen. */
export function checkIsolation(stacks: Map<string, TfJson>): { violations: string[]; attachments: Attachment[] } {
  const violations: string[] = [];
  const attachments: Attachment[] = [];
  for (const [name, tf] of stacks) {
    const vpns = resources(tf, 'aws_vpn_connection');
    const assocs = resources(tf, 'aws_ec2_transit_gateway_route_table_association');
    const props = resources(tf, 'aws_ec2_transit_gateway_route_table_propagation');
    for (const [kind, list] of [['association', assocs], ['propagation', props]] as const) {
      for (const [id, body] of list) {
        const a = deref(tf, body.transit_gateway_attachment_id);
        if (a?.type !== 'aws_vpn_connection' || a.attr !== 'transit_gateway_attachment_id') violations.push(`${name}: ${kind} ${id} does not name a VPN attachment of this stack`);
        if (tableZone(tf, body.transit_gateway_route_table_id) === null) violations.push(`${name}: ${kind} ${id} does not name a zone route table`);
      }
    }
    for (const [id, body] of vpns) {
      const tags = (body.tags ?? {}) as Record<string, string>;
      const zone = tags['ggi:zone'];
      if (zone !== 'overheid' && zone !== 'markt') {
        violations.push(`${name}: VPN ${id} has no zone`);
        continue;
      }
      const ref = `\${aws_vpn_connection.${id}.transit_gateway_attachment_id}`;
      const mine = (l: Array<[string, Record<string, unknown>]>) => l.filter(([, b]) => b.transit_gateway_attachment_id === ref).map(([, b]) => tableZone(tf, b.transit_gateway_route_table_id));
      const a = mine(assocs);
      const p = mine(props);
      if (a.length !== 1 || a[0] !== zone) violations.push(`${name}: VPN ${id} (${zone}) is associated with [${a.join(', ')}], not exactly its zone's table`);
      if (p.length !== 1 || p[0] !== zone) violations.push(`${name}: VPN ${id} (${zone}) propagates to [${p.join(', ')}], not exactly its zone's table`);
      const tgw = deref(tf, body.transit_gateway_id);
      if (!tgw || !(tgw.type === 'aws_ec2_transit_gateway' || (tgw.type === 'aws_ssm_parameter' && /\/hub\/transit-gateway-id$/.test(String(tgw.body.name))))) {
        violations.push(`${name}: VPN ${id} is not attached to the hub's transit gateway`);
      }
      attachments.push({ stack: name, vpn: id, zone, organisation: tags['ggi:organisation'], tunnels: [String(body.tunnel1_inside_cidr), String(body.tunnel2_inside_cidr)] });
    }
  }
  // Exactly one transit gateway in the whole app, with the default table association and propagation off. Every
  // association and propagation was checked above to belong to a VPN and a zone table, so none can join the zones.
  const tgws = [...stacks].flatMap(([name, tf]) => resources(tf, 'aws_ec2_transit_gateway').map(([id, t]) => ({ name, id, t })));
  if (tgws.length !== 1) violations.push(`${tgws.length} transit gateways`);
  for (const { name, id, t } of tgws) {
    if (t.default_route_table_association !== 'disable') violations.push(`${name}: ${id} default route table association is not disabled`);
    if (t.default_route_table_propagation !== 'disable') violations.push(`${name}: ${id} default route table propagation is not disabled`);
  }
  // No stack may add routes to a zone table by hand (static routes could join the zones).
  for (const [name, tf] of stacks) if (resources(tf, 'aws_ec2_transit_gateway_route').length) violations.push(`${name}: has static transit gateway routes`);
  return { violations, attachments };
}

/** Every inside-tunnel CIDR is a valid, unreserved /30 in 169.254.0.0/16, and no two overlap. */
export function checkTunnels(attachments: Attachment[]): string[] {
  const problems: string[] = [];
  const seen = new Map<string, string>();
  const reserved = new Set<string>(AWS_RESERVED_TUNNEL_CIDRS);
  for (const a of attachments) {
    for (const c of a.tunnels) {
      const p = parsePrefix(c);
      if (p.family !== 4 || p.len !== 30 || p.addr >> 16n !== (169n << 8n) + 254n) problems.push(`${a.stack}: ${c} is not a /30 in 169.254.0.0/16`);
      if (reserved.has(c)) problems.push(`${a.stack}: ${c} is reserved by AWS`);
      const other = seen.get(c);
      if (other) problems.push(`${c} used by ${other} and ${a.stack}/${a.vpn}`);
      seen.set(c, `${a.stack}/${a.vpn}`);
    }
  }
  return problems;
}

/** organisation -> the IPv6 CIDRs of its IPAM pool, across all stacks. */
export function ipamCidrs(stacks: Map<string, TfJson>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [, tf] of stacks) {
    for (const [, body] of resources(tf, 'aws_vpc_ipam_pool_cidr')) {
      const pool = deref(tf, body.ipam_pool_id);
      const org = (pool?.body.tags as Record<string, string> | undefined)?.['ggi:organisation'];
      if (!org) continue;
      const list = out.get(org) ?? [];
      list.push(String(body.cidr));
      out.set(org, list);
    }
  }
  for (const l of out.values()) l.sort();
  return out;
}
