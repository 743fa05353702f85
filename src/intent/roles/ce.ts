import { formatPrefix, type Prefix } from '../../net';
import { borderAsn, ZONES, type DeviceDraft, type Fleet } from '../fleet';
import { listName } from '../names';
import { denyDefault, maxLen, permitAny, permitsExact } from '../prefix-lists';
import type { IntentZone } from '../types';
import { lanInterfaces } from '../interfaces';

/**
 * A CE: an uplink to every border of every joined zone (eBGP), announcing its organisation's (and members') space; its
 * LANs. The second CE of a CE pair has the same LANs on the next address (a LAN with two routers) and announces with a
 * longer AS path, so the borders send the pair's traffic to the first CE while it lives.
 */
export function buildCe(f: Fleet, x: DeviceDraft): void {
  const { inv, idx, deps, findings, standbyRank, ceOrg, linksOf, allowDefault, zoneBound, announcementsOf, servicePrefixes } = f;
  const { d, interfaces, originate, addSession, addList } = x;
  const s = inv.sources;
  const o = ceOrg.get(d.id);
  x.localAsn = d.asn ?? o?.connectionPoint?.asn;
  if (o && d.asn !== undefined && o.connectionPoint && d.asn !== o.connectionPoint.asn) {
    findings.push(s.error('INTENT_ASN_MISMATCH', `device '${d.id}' has asn ${d.asn} but the connection point of ${o.id} says ${o.connectionPoint.asn}`, d.loc, ['asn']));
  }
  if (!o) findings.push(s.warning('INTENT_CE_UNUSED', `CE device '${d.id}' terminates no connection point; it gets only its management interface`, d.loc));
  if (o) {
    const own: Record<IntentZone, Prefix[]> = { overheid: [], markt: [] };
    const rank = standbyRank(d);
    for (const l of linksOf(d.id)) {
      const z = l.zone;
      own[z] = announcementsOf(o, z);
      const b = idx.devices.get(l.a.device)!;
      const remote = borderAsn(inv, b);
      if (x.localAsn !== undefined && remote === x.localAsn) {
        findings.push(s.error('INTENT_ASN_MISMATCH', `CE '${d.id}' and ${b.id} share ASN ${remote}; the uplink must be eBGP`, d.loc));
      }
      const allowDef = z === 'overheid' && allowDefault;
      addSession(l, 'uplink', z, remote, (family) => ({
        out: addList(listName('ce-out', z, `v${family}`), family, permitsExact(own[z], family)),
        in: addList(listName('ce-in', z, `v${family}`), family, [
          ...(allowDef ? [] : [denyDefault(family)]),
          ...own[z].filter((p) => p.family === family).map((p) => ({ action: 'deny' as const, prefix: formatPrefix(p), ...(p.len < maxLen(family) ? { le: maxLen(family) } : {}) })),
          permitAny(family),
        ]),
        maxIn: zoneBound,
        maxOut: Math.max(1, own[z].filter((p) => p.family === family).length),
        prependOut: rank,
      }));
    }
    for (const z of ZONES) originate.push(...own[z]);
    interfaces.push(...lanInterfaces(inv, idx, o, deps, servicePrefixes, findings, rank));
  }
}
