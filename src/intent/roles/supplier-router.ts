import { borderAsn, type DeviceDraft, type Fleet } from '../fleet';
import { listName } from '../names';
import { denyDefault, permitAny, permitsExact } from '../prefix-lists';
import { serviceInterfaces } from '../interfaces';

/** A router in a supplier's network behind border-markt: originates the supplier's services. */
export function buildSupplierRouter(f: Fleet, x: DeviceDraft): void {
  const { inv, idx, findings, linksOf, zoneBound, servicesOn, supplierPrefixes } = f;
  const { d, interfaces, originate, addSession, addList } = x;
  x.localAsn = d.asn;
  const svc = servicesOn.get(d.id) ?? [];
  const prefixes = supplierPrefixes(d);
  originate.push(...prefixes);
  for (const l of linksOf(d.id)) {
    addSession(l, 'peer', 'markt', x.localAsn === undefined ? undefined : borderAsn(inv, idx.devices.get(l.a.device)!), (family) => ({
      out: addList(listName('supplier-out', `v${family}`), family, permitsExact(prefixes, family)),
      in: addList(listName('supplier-in', `v${family}`), family, [denyDefault(family), permitAny(family)]),
      maxIn: zoneBound,
    }));
  }
  interfaces.push(...serviceInterfaces(inv, d, svc, findings));
}
