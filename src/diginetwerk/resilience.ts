/**
 * Single points of failure towards Diginetwerk (DOMAIN.md §2.3: the KPS sits in two data centres and every
 * Koppelnetwerk is connected to it redundantly; the June 2025 outage showed what a shared dependency costs). Pure:
 * the inventory in, findings out, with the severity of ggi.yaml `resilience.singlePointSeverity` (default warning).
 *
 * - the zones' core: each zone that a connection point joins has two border routers, and the overheid zone has two
 *   KPS peerings, in two different data centres (device `site`);
 * - each connection point has a CE pair (`connectionPoint.secondDevice`, its own uplinks, the same site), or records
 *   the single CE as an accepted risk with a reason (`connectionPoint.acceptedRisk`), which lapses on its `until` date.
 */
import type { Finding } from '../model/finding';
import type { Device, Inventory } from '../model/inventory';

const BORDER_ROLE = { overheid: 'border-overheid', markt: 'border-markt' } as const;

export function checkResilience(inv: Inventory, now: Date = new Date()): Finding[] {
  const s = inv.sources;
  const severity = inv.settings.resilience?.singlePointSeverity ?? 'warning';
  const spof = (code: string, message: string, loc: Device['loc'], path: Array<string | number> = []): Finding => s.finding(severity, code, message, loc, path);
  const out: Finding[] = [];
  const byRole = (role: string) => inv.devices.filter((d) => d.role === role);
  const devices = new Map(inv.devices.map((d) => [d.id, d]));

  const joined = new Set(inv.organisations.flatMap((o) => o.connectionPoint?.zones ?? []));
  for (const zone of ['overheid', 'markt'] as const) {
    const borders = byRole(BORDER_ROLE[zone]);
    if (!joined.has(zone) || borders.length !== 1) continue;
    out.push(spof('RESILIENCE_SINGLE_BORDER', `zone ${zone} has one border router ('${borders[0].id}'): when it fails, every connection point loses the zone; add a second ${BORDER_ROLE[zone]}`, borders[0].loc, ['role']));
  }

  const kps = byRole('kps-peer');
  if (joined.has('overheid') && kps.length === 1) {
    out.push(spof('RESILIENCE_SINGLE_KPS_PEERING', `one KPS peering ('${kps[0].id}'): the KPS sits in two data centres and a Koppelnetwerk connects to both (DOMAIN.md §2.3); add a kps-peer for the other data centre`, kps[0].loc, ['role']));
  } else if (kps.length > 1) {
    const sites = new Set(kps.map((k) => k.site ?? `(no site: ${k.id})`));
    if (sites.size === 1) out.push(spof('RESILIENCE_KPS_ONE_SITE', `the KPS peerings ${kps.map((k) => `'${k.id}'`).join(', ')} are all at site '${[...sites][0]}': one data centre is one point of failure`, kps[1].loc, ['site']));
  }

  const today = now.toISOString().slice(0, 10);
  for (const o of inv.organisations) {
    const cp = o.connectionPoint;
    if (!cp) continue;
    if (cp.secondDevice !== undefined) {
      const d = devices.get(cp.secondDevice);
      if (cp.secondDevice === cp.device) out.push(s.error('RESILIENCE_CE_PAIR', `${o.id}: secondDevice is the connection point's own device '${cp.device}'; a CE pair is two devices`, o.loc, ['connectionPoint', 'secondDevice']));
      else if (!d) out.push(s.error('UNKNOWN_REFERENCE', `${o.id}: secondDevice '${cp.secondDevice}' is not a device in the inventory`, o.loc, ['connectionPoint', 'secondDevice']));
      else if (d.role !== 'ce') out.push(s.error('RESILIENCE_CE_PAIR', `${o.id}: secondDevice '${d.id}' has role ${d.role}, not ce`, o.loc, ['connectionPoint', 'secondDevice']));
      else if (d.organisation !== undefined && d.organisation !== o.id) out.push(s.error('RESILIENCE_CE_PAIR', `${o.id}: secondDevice '${d.id}' belongs to ${d.organisation}`, o.loc, ['connectionPoint', 'secondDevice']));
      continue;
    }
    const risk = cp.acceptedRisk;
    if (risk && (risk.until === undefined || risk.until >= today)) continue;
    if (risk) {
      out.push(spof('RESILIENCE_RISK_EXPIRED', `${o.id}: the accepted risk of a single CE ('${cp.device}') lapsed on ${risk.until}; add a secondDevice or renew the acceptance`, o.loc, ['connectionPoint', 'acceptedRisk', 'until']));
      continue;
    }
    out.push(spof('RESILIENCE_SINGLE_CE', `${o.id}: the connection point has one CE ('${cp.device}'); add a second CE with its own uplinks (connectionPoint.secondDevice) or record connectionPoint.acceptedRisk with a reason`, o.loc, ['connectionPoint', 'device']));
  }
  return out;
}

/** The organisations that carry a single CE as an accepted risk (for reports): id, device, reason, until. */
export function acceptedRisks(inv: Inventory, now: Date = new Date()): Array<{ organisation: string; device: string; reason: string; until: string | null }> {
  const today = now.toISOString().slice(0, 10);
  return inv.organisations
    .filter((o) => o.connectionPoint && !o.connectionPoint.secondDevice && o.connectionPoint.acceptedRisk && (o.connectionPoint.acceptedRisk.until ?? '9999') >= today)
    .map((o) => ({ organisation: o.id, device: o.connectionPoint!.device, reason: o.connectionPoint!.acceptedRisk!.reason, until: o.connectionPoint!.acceptedRisk!.until ?? null }));
}
