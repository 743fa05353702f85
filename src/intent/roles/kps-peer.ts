import { parsePrefix } from '../../net';
import { borderAsn, type DeviceDraft, type Fleet } from '../fleet';
import { listName } from '../names';
import { permitAny, permitsExact, sortPrefixes } from '../prefix-lists';
import { serviceInterfaces } from '../interfaces';

/** The KPS side of the Diginetwerk peering: originates the KPS services, accepts everything (a leak would show). */
export function buildKpsPeer(f: Fleet, x: DeviceDraft): void {
  const { inv, idx, findings, linksOf, kps, zoneBound, servicesOn } = f;
  const settings = inv.settings;
  const { d, interfaces, originate, addSession, addList } = x;
  x.localAsn = d.asn ?? settings.diginetwerk.kpsAsn;
  const svc = servicesOn.get(d.id) ?? [];
  const prefixes = sortPrefixes(svc.flatMap((v) => v.prefixes.map((p) => parsePrefix(p, { strict: false }))));
  originate.push(...prefixes);
  for (const l of linksOf(d.id)) {
    addSession(l, 'peer', 'overheid', borderAsn(inv, idx.devices.get(l.a.device)!), (family) => ({
      out: addList(listName('kps-out', `v${family}`), family, permitsExact(prefixes, family)),
      // The stand-in KPS accepts everything so that a leak would be visible in its table, not hidden by a filter.
      in: addList(listName('kps-in', `v${family}`), family, [permitAny(family)]),
      maxIn: kps ? kps.maxPrefixOut : zoneBound,
    }));
  }
  interfaces.push(...serviceInterfaces(inv, d, svc, findings));
}
