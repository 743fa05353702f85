import { isDefaultRoute } from '../../net';
import { borderAsn, kpsAnnounce, type DeviceDraft, type Fleet } from '../fleet';
import { listName } from '../names';
import { denyDefault, limitFor, permitAny, permitsExact, sortPrefixes } from '../prefix-lists';
import type { IntentZone } from '../types';

/**
 * A zone border: a downlink per CE, and the edge of its zone (every KPS peer for overheid, every supplier router for
 * markt). A standby border (the second of its zone) announces with a longer AS path (Fleet.standbyRank).
 */
export function buildBorder(f: Fleet, x: DeviceDraft): void {
  const { inv, idx, findings, standbyRank, ceOrg, linksOf, kps, allowDefault, internetPrefixes, announcementsOf, supplierPrefixes } = f;
  const settings = inv.settings;
  const { d, addSession, addList } = x;
  const z: IntentZone = d.role === 'border-overheid' ? 'overheid' : 'markt';
  x.localAsn = borderAsn(inv, d);
  const prependOut = standbyRank(d);
  for (const l of linksOf(d.id)) {
    const other = idx.devices.get(l.b.device)!;
    if (other.role === 'ce') {
      const o = ceOrg.get(other.id)!;
      const ann = announcementsOf(o, z);
      const allowDef = z === 'overheid' && allowDefault;
      addSession(l, 'downlink', z, other.asn ?? o.connectionPoint!.asn, (family) => ({
        in: addList(listName('from', other.id, `v${family}`), family, permitsExact(ann, family)),
        out: addList(listName('to-ce', z, `v${family}`), family, [...(allowDef ? [] : [denyDefault(family)]), permitAny(family)]),
        maxIn: limitFor(ann.filter((p) => p.family === family).length),
        prependOut,
      }));
    } else if (other.role === 'kps-peer' && kps) {
      const announce = kpsAnnounce(inv, d, kps, internetPrefixes, findings);
      const accept = sortPrefixes(kps.accept).filter((p) => kps!.allowDefaultRoute || !isDefaultRoute(p));
      addSession(l, 'kps', 'overheid', other.asn ?? settings.diginetwerk.kpsAsn, (family) => ({
        // The default route is denied explicitly even though the permits are exact: a reader of the config sees it.
        out: addList(listName('to-kps', `v${family}`), family, [denyDefault(family), ...permitsExact(announce, family)]),
        in: addList(listName('from-kps', `v${family}`), family, [...(kps!.allowDefaultRoute ? [] : [denyDefault(family)]), ...permitsExact(accept, family)]),
        maxIn: kps!.maxPrefixIn,
        maxOut: kps!.maxPrefixOut,
        prependOut,
      }));
    } else if (other.role === 'supplier-router') {
      const from = supplierPrefixes(other);
      const toSuppliers = sortPrefixes([...ceOrg.values()].filter((o) => o.connectionPoint!.zones.includes('markt')).flatMap((o) => announcementsOf(o, 'markt')));
      addSession(l, 'supplier', 'markt', other.asn, (family) => ({
        in: addList(listName('from', other.id, `v${family}`), family, permitsExact(from, family)),
        out: addList(listName('to-suppliers', `v${family}`), family, permitsExact(toSuppliers, family)),
        maxIn: limitFor(from.filter((p) => p.family === family).length),
        prependOut,
      }));
    }
  }
}
