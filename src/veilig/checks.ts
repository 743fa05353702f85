/**
 * GGI-Veilig's checks on the inventory: every connection point and every border is monitored or exempt for a stated
 * reason until a stated date; the SOC's collectors are reachable from the devices; detection rules are complete.
 * "Blinde vlekken" are errors, not notes (docs/veilig.md). Pure.
 */
import type { Finding } from '../model/finding';
import type { Device, Inventory } from '../model/inventory';
import { containsAddress, parseAddress, parsePrefix } from '../net';

const BORDER_ROLES = new Set(['border-overheid', 'border-markt']);

export function checkVeilig(inv: Inventory, now: Date = new Date()): Finding[] {
  const s = inv.sources;
  const v = inv.veilig;
  if (!v) {
    // Inventories from before GGI-Veilig: one warning, so that adding veilig.yaml is a step, not a wall of errors.
    const monitored = inv.organisations.some((o) => o.connectionPoint) || inv.devices.some((d) => BORDER_ROLES.has(d.role));
    return !monitored ? [] : [s.warning('VEILIG_NOT_CONFIGURED', 'GGI-Veilig is not configured (no veilig.yaml): no connection point or border exports flows or dropped packets to the SOC', inv.settings.loc)];
  }
  const out: Finding[] = [];
  const today = now.toISOString().slice(0, 10);
  const devices = new Map<string, Device>();
  for (const d of inv.devices) if (!devices.has(d.id)) devices.set(d.id, d);
  const orgs = new Set(inv.organisations.map((o) => o.id));

  // Exemptions: each names something that exists, and none has ended.
  const exempt = new Set<string>();
  v.exemptions.forEach((e, i) => {
    if (!e.device && !e.organisation) {
      out.push(s.error('VEILIG_EXEMPTION_TARGET', 'an exemption names a device or an organisation (its connection point)', v.loc, ['exemptions', i]));
      return;
    }
    if (e.device && !devices.has(e.device)) out.push(s.error('VEILIG_UNKNOWN_REFERENCE', `exemption for unknown device '${e.device}'`, v.loc, ['exemptions', i, 'device']));
    if (e.organisation && !orgs.has(e.organisation)) out.push(s.error('VEILIG_UNKNOWN_REFERENCE', `exemption for unknown organisation '${e.organisation}'`, v.loc, ['exemptions', i, 'organisation']));
    if (e.expires < today) {
      out.push(s.error('VEILIG_EXEMPTION_EXPIRED', `the exemption of ${e.device ?? e.organisation} ended on ${e.expires}: export again, or renew it with a reason`, v.loc, ['exemptions', i, 'expires']));
      return;
    }
    if (e.device) exempt.add(`device:${e.device}`);
    if (e.organisation) exempt.add(`org:${e.organisation}`);
  });

  const exporting = new Set<string>(v.export.roles);
  for (const org of inv.organisations) {
    const cp = org.connectionPoint;
    if (!cp) continue;
    const ce = devices.get(cp.device);
    if (exempt.has(`org:${org.id}`) || exempt.has(`device:${cp.device}`)) continue;
    if (!exporting.has('ce') || (ce && ce.role !== 'ce')) {
      out.push(s.error('VEILIG_POINT_DARK', `the connection point of ${org.id} (${cp.device}) exports no telemetry to the SOC and is not exempt: add 'ce' to veilig.yaml export.roles, or an exemption with a reason and an end date`, org.loc, ['connectionPoint', 'device']));
    }
  }
  for (const d of inv.devices) {
    if (!BORDER_ROLES.has(d.role) || exporting.has(d.role) || exempt.has(`device:${d.id}`)) continue;
    out.push(s.error('VEILIG_POINT_DARK', `border '${d.id}' exports no telemetry to the SOC and is not exempt: add '${d.role}' to veilig.yaml export.roles, or an exemption with a reason and an end date`, d.loc, ['role']));
  }

  // The devices send from their management addresses: a collector elsewhere is unreachable for them.
  const mgmt = inv.settings.transfer.managementIpv4 ? parsePrefix(inv.settings.transfer.managementIpv4, { strict: false }) : null;
  const taken = new Map<string, string>();
  for (const d of inv.devices) taken.set(d.management.address, d.id);
  const endpoints: Array<{ kind: string; list: Array<{ id: string; address: string; port: number }>; key: 'collectors' | 'logReceivers' }> = [
    { kind: 'collector', list: v.soc.collectors, key: 'collectors' },
    { kind: 'log receiver', list: v.soc.logReceivers, key: 'logReceivers' },
  ];
  for (const { kind, list, key } of endpoints) {
    list.forEach((c, i) => {
      const a = parseAddress(c.address);
      if (mgmt && !containsAddress(mgmt, a.family, a.value)) {
        out.push(s.error('VEILIG_COLLECTOR_UNREACHABLE', `${kind} '${c.id}' at ${c.address} is outside the management network ${inv.settings.transfer.managementIpv4} that the devices export from`, v.loc, ['soc', key, i, 'address']));
      } else if (taken.has(c.address)) {
        out.push(s.error('VEILIG_COLLECTOR_UNREACHABLE', `${kind} '${c.id}' at ${c.address} has the management address of device '${taken.get(c.address)}'`, v.loc, ['soc', key, i, 'address']));
      }
    });
  }

  const ids = new Set<string>();
  v.detection.forEach((r, i) => {
    const at = (...sub: Array<string | number>) => ['detection', i, ...sub];
    if (ids.has(r.id)) out.push(s.error('VEILIG_DETECTION_DUPLICATE', `detection rule id '${r.id}' is used twice`, v.loc, at('id')));
    ids.add(r.id);
    const missing =
      r.kind === 'destination' && !r.prefixes?.length ? 'prefixes' : r.kind === 'service' && !r.proto ? 'proto' : r.kind === 'rate' && r.perSecond === undefined ? 'perSecond' : null;
    if (missing) out.push(s.error('VEILIG_DETECTION_INCOMPLETE', `a ${r.kind} detection rule needs ${missing}`, v.loc, at()));
    if (r.ports?.length && (r.proto === undefined || r.proto === 'any' || r.proto.startsWith('icmp'))) {
      out.push(s.error('VEILIG_DETECTION_INCOMPLETE', `ports need proto tcp or udp (rule '${r.id}')`, v.loc, at('ports')));
    }
    const v4 = r.prefixes?.some((x) => !x.includes(':'));
    const v6 = r.prefixes?.some((x) => x.includes(':'));
    if (r.prefixes?.length && ((r.proto === 'icmp' && !v4) || (r.proto === 'icmpv6' && !v6))) {
      out.push(s.error('VEILIG_DETECTION_INCOMPLETE', `rule '${r.id}' can never match: ${r.proto} to ${r.proto === 'icmp' ? 'IPv6' : 'IPv4'} prefixes only`, v.loc, at('proto')));
    }
    if (r.expires && r.expires < today) out.push(s.warning('VEILIG_DETECTION_EXPIRED', `detection rule '${r.id}' expired on ${r.expires}: it is no longer compiled into the borders`, v.loc, at('expires')));
  });
  return out;
}
