import { formatPrefix, parsePrefix } from '../../net';
import { borderAsn, type DeviceDraft, type Fleet } from '../fleet';
import { listName } from '../names';
import { permitAny, permitsExact, sortPrefixes } from '../prefix-lists';
import { serviceInterfaces } from '../interfaces';

/**
 * The KPS side of the Diginetwerk peering (a lab stand-in for Logius' network): originates the KPS services, accepts
 * everything from the borders (a leak would show). The KPS sits in two data centres (DOMAIN.md §2.3): the first KPS
 * peer fronts the services, each other one announces the same service prefixes and reaches them over the KPS's own
 * link between the data centres, where the peers exchange, by iBGP, what the borders announced to them (so that a
 * lost border link is routed around inside the KPS, the way the KPS itself would).
 */
export function buildKpsPeer(f: Fleet, x: DeviceDraft): void {
  const { inv, idx, findings, linksOf, kps, zoneBound, servicesOn, standbyRank } = f;
  const settings = inv.settings;
  const { d, interfaces, originate, addSession, addList } = x;
  x.localAsn = d.asn ?? settings.diginetwerk.kpsAsn;
  const rank = standbyRank(d);
  const inside = linksOf(d.id).filter((l) => idx.devices.get(l.a.device === d.id ? l.b.device : l.a.device)?.role === 'kps-peer');
  // The services live behind the first KPS peer; the others originate the same prefixes towards it.
  const front = rank === 0 ? d.id : inside.find((l) => l.b.device === d.id)?.a.device;
  const svc = front ? (servicesOn.get(front) ?? []) : [];
  const prefixes = sortPrefixes(svc.flatMap((v) => v.prefixes.map((p) => parsePrefix(p, { strict: false }))));
  originate.push(...prefixes);
  const announced = kps ? sortPrefixes(kps.announce) : [];
  for (const l of linksOf(d.id)) {
    const other = idx.devices.get(l.a.device === d.id ? l.b.device : l.a.device)!;
    if (other.role === 'kps-peer') {
      // Between the data centres: iBGP carrying only what the borders announce (each peer originates the services itself).
      // On the peers that do not front the services, this link leads to them: the rest of the KPS (kind kps), inside.
      addSession(l, l.a.device === d.id ? 'peer' : 'kps', 'overheid', x.localAsn, (family) => ({
        out: addList(listName('kps-dc', `v${family}`), family, permitsExact(announced, family)),
        in: addList(listName('kps-dc', `v${family}`), family, permitsExact(announced, family)),
        maxIn: kps ? kps.maxPrefixOut : zoneBound,
      }));
      if (rank > 0 && l.net) {
        for (const p of prefixes) x.nextHops.push({ prefix: formatPrefix(p), via: p.family === 4 ? l.net.v4.low : l.net.v6.low });
      }
      continue;
    }
    addSession(l, 'peer', 'overheid', borderAsn(inv, other), (family) => ({
      out: addList(listName('kps-out', `v${family}`), family, permitsExact(prefixes, family)),
      // The stand-in KPS accepts everything so that a leak would be visible in its table, not hidden by a filter.
      in: addList(listName('kps-in', `v${family}`), family, [permitAny(family)]),
      maxIn: kps ? kps.maxPrefixOut : zoneBound,
      prependOut: rank,
    }));
  }
  if (rank === 0) interfaces.push(...serviceInterfaces(inv, d, svc, findings));
}
