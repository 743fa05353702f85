import type { Finding } from './finding';
import { gemeenteCodes } from './gemeenten';
import { indexInventory, type Inventory, type Organisation } from './inventory';
import type { NodePath } from './source';
import type { SelectorDecl } from './schema';

/** Id prefixes per kind of organisation (our own convention; DOMAIN.md §1.8). */
const ID_PREFIX: Record<Organisation['kind'], string> = {
  gemeente: 'GM',
  samenwerkingsverband: 'SV',
  provincie: 'PV',
  waterschap: 'WS',
  leverancier: 'LV',
};

/** The calendar day (UTC) of an instant, as the inventory writes dates. */
function day(now: Date): string {
  return now.toISOString().slice(0, 10);
}

/** Whether a supplier has signed the GGI-Afspraken by `now`: signed, with a date, and that date not in the future. */
export function afsprakenSigned(o: Pick<Organisation, 'ggiAfspraken'>, now: Date): boolean {
  const a = o.ggiAfspraken;
  return Boolean(a?.signed && a.date && a.date <= day(now));
}

/** Whether a supplier is admitted as a Diginetwerk Derde by `now` (DOMAIN.md §2.2): accepted by an Afnemer, on a date not in the future. */
export function admittedDerde(o: Pick<Organisation, 'diginetwerkDerde'>, now: Date): boolean {
  return Boolean(o.diginetwerkDerde && o.diginetwerkDerde.date <= day(now));
}

/**
 * Cross-reference and structural checks over the whole inventory: duplicate ids, dangling references, the
 * one-connection-point rule, samenwerkingsverband membership, supplier agreements, device pinning.
 */
export function checkReferences(inv: Inventory, now: Date = new Date(), opts: { pinsRequired?: boolean } = {}): Finding[] {
  // The lab pins its own devices' host keys (it makes the keys and records them), and a writer of the inventory does
  // not connect: for both a missing pin is no error. Connecting to a real device still requires one.
  const pinsRequired = opts.pinsRequired !== false;
  const out: Finding[] = [];
  const s = inv.sources;
  const idx = indexInventory(inv);

  const dup = <T>(items: readonly T[], key: (t: T) => string, loc: (t: T) => { loc: { file: string; path: NodePath }; sub: NodePath }, what: string): void => {
    const first = new Map<string, T>();
    for (const it of items) {
      const k = key(it);
      const prev = first.get(k);
      if (prev === undefined) {
        first.set(k, it);
        continue;
      }
      const p = loc(prev);
      const here = loc(it);
      const prevPos = s.get(p.loc.file)?.position([...p.loc.path, ...p.sub]);
      out.push(s.error('DUPLICATE_ID', `${what} '${k}' is declared twice (first at ${p.loc.file}${prevPos ? `:${prevPos.line}:${prevPos.column}` : ''})`, here.loc, here.sub));
    }
  };
  dup(inv.organisations, (o) => o.id, (o) => ({ loc: o.loc, sub: ['id'] }), 'organisation');
  dup(inv.devices, (d) => d.id, (d) => ({ loc: d.loc, sub: ['id'] }), 'device');
  dup(inv.services, (x) => x.name, (x) => ({ loc: x.loc, sub: ['name'] }), 'service');
  dup(inv.rules, (r) => r.id, (r) => ({ loc: r.loc, sub: ['id'] }), 'policy rule');
  dup(inv.guardrails, (g) => g.id, (g) => ({ loc: g.loc, sub: ['id'] }), 'guardrail');
  dup(inv.devices, (d) => `${d.management.address}:${d.management.port}`, (d) => ({ loc: d.loc, sub: ['management', 'address'] }), 'management address');

  const ceOf = new Map<string, string[]>();
  for (const d of inv.devices) {
    if (d.organisation && !idx.orgs.has(d.organisation)) out.push(s.error('UNKNOWN_REFERENCE', `device '${d.id}' belongs to unknown organisation '${d.organisation}'`, d.loc, ['organisation']));
    if (d.role === 'ce') {
      if (!d.organisation) out.push(s.error('CONNECTION_POINT_DEVICE', `CE device '${d.id}' must name the organisation it serves`, d.loc, ['role']));
      else ceOf.set(d.organisation, [...(ceOf.get(d.organisation) ?? []), d.id]);
      if (!d.management.hostKey) out.push((pinsRequired ? s.error : s.warning).call(s, 'DEVICE_HOST_KEY_MISSING', `CE device '${d.id}' has no pinned host key (management.hostKey: SHA256:…); ggi refuses to connect to an unpinned device`, d.loc, ['management']));
    } else if (!d.management.hostKey && d.role !== 'dhcp') {
      // A DHCP appliance is reached through its HTTP API (basic authentication), not over SSH: no host key to pin.
      out.push(s.warning('DEVICE_HOST_KEY_MISSING', `device '${d.id}' has no pinned host key; it can only be reached with --accept-new during onboarding`, d.loc, ['management']));
    }
  }

  const holdsIpv6 = new Set<string>();
  for (const e of inv.ledger.entries) if (e.status !== 'quarantined') holdsIpv6.add(e.organisation);
  const cpDevices = new Map<string, string>();
  for (const o of inv.organisations) {
    const fileBase = o.loc.file.split('/').pop()!.replace(/\.ya?ml$/, '');
    if (fileBase.toUpperCase() !== o.id) out.push(s.warning('ORGANISATION_FILE_NAME', `organisation '${o.id}' is in ${fileBase}.yaml; name the file ${o.id.toLowerCase()}.yaml so it can be found`, o.loc, ['id']));
    if (!o.id.startsWith(ID_PREFIX[o.kind])) out.push(s.error('ORGANISATION_ID_KIND', `a ${o.kind} has an id starting with ${ID_PREFIX[o.kind]}, not '${o.id}'`, o.loc, ['id']));
    else if (o.kind === 'gemeente' && !o.offboarded && !gemeenteCodes().has(o.id)) out.push(s.error('GEMEENTE_CODE_UNKNOWN', `'${o.id}' is not the CBS code of a gemeente in force (data/gemeenten.csv); a gemeente's id is its CBS gemeentecode, never an invented one`, o.loc, ['id']));

    if (o.servedBy) {
      const sv = idx.orgs.get(o.servedBy);
      if (!sv) out.push(s.error('UNKNOWN_REFERENCE', `'${o.id}' is servedBy unknown organisation '${o.servedBy}'`, o.loc, ['servedBy']));
      else if (sv.kind !== 'samenwerkingsverband') out.push(s.error('SERVED_BY_NOT_SAMENWERKINGSVERBAND', `'${o.id}' is servedBy '${o.servedBy}', a ${sv.kind}; only a samenwerkingsverband serves other organisations`, o.loc, ['servedBy']));
      else if (!sv.connectionPoint) out.push(s.error('GGI_ONE_CONNECTION_POINT', `'${o.id}' is servedBy '${o.servedBy}', which has no connection point`, o.loc, ['servedBy']));
      if (o.connectionPoint) out.push(s.error('GGI_ONE_CONNECTION_POINT', `'${o.id}' has its own connection point and is also servedBy '${o.servedBy}'; an organisation has exactly one connection point to GGI-Netwerk`, o.loc, ['connectionPoint']));
      if (o.kind === 'leverancier') out.push(s.error('SERVED_BY_NOT_SAMENWERKINGSVERBAND', `supplier '${o.id}' cannot be served by a samenwerkingsverband`, o.loc, ['servedBy']));
      const hasIpv6 = holdsIpv6.has(o.id);
      const hasIpv4 = Boolean(o.ipv4 && (o.ipv4.overheid.length || o.ipv4.markt.length));
      if (!hasIpv6 && !hasIpv4) out.push(s.error('SV_MEMBER_NO_PREFIXES', `'${o.id}' is served by '${o.servedBy}' but has no prefixes of its own; its traffic must stay attributable to it behind the shared connection point`, o.loc, ['servedBy']));
    }

    const cp = o.connectionPoint;
    if (cp) {
      const other = cpDevices.get(cp.device);
      if (other) out.push(s.error('GGI_ONE_CONNECTION_POINT', `device '${cp.device}' already terminates the connection point of '${other}'`, o.loc, ['connectionPoint', 'device']));
      cpDevices.set(cp.device, o.id);
      const d = idx.devices.get(cp.device);
      if (!d) out.push(s.error('UNKNOWN_REFERENCE', `connection point of '${o.id}' names unknown device '${cp.device}'`, o.loc, ['connectionPoint', 'device']));
      else if (d.role !== 'ce' || d.organisation !== o.id) out.push(s.error('CONNECTION_POINT_DEVICE', `device '${cp.device}' must have role ce and organisation ${o.id} (it has role ${d.role}${d.organisation ? `, organisation ${d.organisation}` : ''})`, o.loc, ['connectionPoint', 'device']));
      if (new Set(cp.zones).size !== cp.zones.length) out.push(s.error('CONNECTION_POINT_ZONES', `zone listed twice in the connection point of '${o.id}'`, o.loc, ['connectionPoint', 'zones']));
      if (o.kind === 'leverancier' && cp.zones.includes('overheid') && !admittedDerde(o, now)) out.push(s.error('SUPPLIER_IN_OVERHEID', `supplier '${o.id}' may join the markt zone only, unless it is admitted as a Diginetwerk Derde (diginetwerkDerde: { acceptedBy, date })`, o.loc, ['connectionPoint', 'zones']));
      if (o.kind === 'leverancier' && cp.zones.includes('markt') && !afsprakenSigned(o, now)) out.push(s.error('GGI_MARKT_UNSIGNED', `supplier '${o.id}' joins markt without signed GGI agreements (ggiAfspraken.signed: true with a date not in the future)`, o.loc, ['connectionPoint', 'zones']));
    }
    // A CE pair (connectionPoint.secondDevice) is two CEs of one connection point.
    const ces = (ceOf.get(o.id) ?? []).filter((id) => id !== cp?.secondDevice);
    if (ces.length > 1) out.push(s.error('GGI_ONE_CONNECTION_POINT', `'${o.id}' has ${ces.length} CE devices (${ces.join(', ')}); an organisation has exactly one connection point`, o.loc, ['id']));
    if (o.kind === 'samenwerkingsverband' && (idx.members.get(o.id)?.length ?? 0) > 0 && !cp) {
      out.push(s.error('GGI_ONE_CONNECTION_POINT', `samenwerkingsverband '${o.id}' serves ${idx.members.get(o.id)!.length} organisations but has no connection point`, o.loc, ['id']));
    }
    if (o.ggiAfspraken && o.kind !== 'leverancier') out.push(s.warning('GGI_AFSPRAKEN_NOT_SUPPLIER', `ggiAfspraken apply to suppliers; '${o.id}' is a ${o.kind}`, o.loc, ['ggiAfspraken']));
    if (o.ggiAfspraken?.signed && !o.ggiAfspraken.date) out.push(s.error('GGI_MARKT_UNSIGNED', `supplier '${o.id}' records signed GGI agreements without the date of signing`, o.loc, ['ggiAfspraken']));
    else if (o.ggiAfspraken?.signed && o.ggiAfspraken.date && o.ggiAfspraken.date > day(now)) out.push(s.warning('GGI_AFSPRAKEN_FUTURE', `supplier '${o.id}' signs the GGI agreements on ${o.ggiAfspraken.date}; until that day it counts as not signed`, o.loc, ['ggiAfspraken', 'date']));
    if (o.diginetwerkDerde) {
      const by = idx.orgs.get(o.diginetwerkDerde.acceptedBy);
      if (o.kind !== 'leverancier') out.push(s.warning('DIGINETWERK_DERDE_NOT_SUPPLIER', `diginetwerkDerde applies to suppliers; '${o.id}' is a ${o.kind}`, o.loc, ['diginetwerkDerde']));
      if (!by) out.push(s.error('UNKNOWN_REFERENCE', `'${o.id}' is recorded as a Diginetwerk Derde accepted by unknown organisation '${o.diginetwerkDerde.acceptedBy}'`, o.loc, ['diginetwerkDerde', 'acceptedBy']));
      else if (by.kind === 'leverancier') out.push(s.error('DIGINETWERK_DERDE_ACCEPTED_BY', `a Derde is accepted by the Afnemer it serves (a public body), not by the supplier '${by.id}' (DOMAIN.md §2.2)`, o.loc, ['diginetwerkDerde', 'acceptedBy']));
      if (o.diginetwerkDerde.date > day(now)) out.push(s.warning('DIGINETWERK_DERDE_FUTURE', `'${o.id}' is accepted as a Derde from ${o.diginetwerkDerde.date}; until that day it offers nothing in overheid`, o.loc, ['diginetwerkDerde', 'date']));
    }
    const segNames = new Set<string>();
    o.segments.forEach((seg, i) => {
      if (segNames.has(seg.name)) out.push(s.error('DUPLICATE_ID', `segment '${seg.name}' is declared twice in '${o.id}'`, o.loc, ['segments', i, 'name']));
      segNames.add(seg.name);
    });
  }

  for (const svc of inv.services) {
    if (svc.provider === 'kps') {
      if (svc.zone !== 'overheid') out.push(s.error('SERVICE_ZONE', `service '${svc.name}' is reached through the KPS, so it is in the overheid zone, not ${svc.zone}`, svc.loc, ['zone']));
      continue;
    }
    const p = idx.orgs.get(svc.provider);
    if (!p) {
      out.push(s.error('UNKNOWN_REFERENCE', `service '${svc.name}' names unknown provider '${svc.provider}'`, svc.loc, ['provider']));
      continue;
    }
    if (svc.zone === 'markt') {
      if (p.kind !== 'leverancier') out.push(s.error('SERVICE_ZONE', `markt service '${svc.name}' must be offered by a supplier (leverancier), not the ${p.kind} '${p.id}'`, svc.loc, ['provider']));
      else if (!afsprakenSigned(p, now)) out.push(s.error('GGI_MARKT_UNSIGNED', `supplier '${p.id}' has not signed the GGI agreements (ggiAfspraken.signed: true with a date not in the future), so it offers nothing in markt`, svc.loc, ['provider']));
    } else if (p.kind === 'leverancier' && !admittedDerde(p, now)) {
      // DOMAIN.md §2.2: a supplier offers over Diginetwerk only as a Derde, which an Afnemer has checked and accepted.
      out.push(s.error('SUPPLIER_IN_OVERHEID', `supplier '${p.id}' offers '${svc.name}' in the overheid zone without being admitted as a Diginetwerk Derde (diginetwerkDerde: { acceptedBy, date } in its file); otherwise suppliers are in markt only`, svc.loc, ['zone']));
    }
  }

  const checkSelector = (sel: SelectorDecl, loc: { file: string; path: NodePath }, sub: NodePath): void => {
    sel.organisations?.forEach((id, i) => {
      const o = idx.orgs.get(id);
      if (!o) out.push(s.error('UNKNOWN_REFERENCE', `unknown organisation '${id}'`, loc, [...sub, 'organisations', i]));
      // An organisation that left keeps its file as a record; a rule that still names it is a leftover to resolve.
      else if (o.offboarded) out.push(s.error('ORGANISATION_OFFBOARDED', `'${id}' was offboarded on ${o.offboarded.at.slice(0, 10)}${o.offboarded.mergedInto ? ` (merged into ${o.offboarded.mergedInto})` : ''}: remove it from this selector${o.offboarded.mergedInto ? ` or name ${o.offboarded.mergedInto}` : ''}`, loc, [...sub, 'organisations', i]));
    });
    sel.services?.forEach((name, i) => {
      if (!idx.services.has(name)) out.push(s.error('UNKNOWN_REFERENCE', `unknown service '${name}'`, loc, [...sub, 'services', i]));
    });
  };
  for (const r of inv.rules) {
    checkSelector(r.from, r.loc, ['from']);
    checkSelector(r.to, r.loc, ['to']);
  }
  for (const g of inv.guardrails) {
    checkSelector(g.never.from, g.loc, ['never', 'from']);
    checkSelector(g.never.to, g.loc, ['never', 'to']);
  }

  if (inv.govroam) {
    inv.govroam.participants.forEach((p, i) => {
      const o = idx.orgs.get(p.organisation);
      if (!o) out.push(s.error('UNKNOWN_REFERENCE', `govroam participant '${p.organisation}' is not an organisation`, inv.govroam!.loc, ['participants', i, 'organisation']));
      else if (p.visitorSegment && !o.segments.some((x) => x.name === p.visitorSegment)) out.push(s.error('UNKNOWN_REFERENCE', `'${p.organisation}' has no segment '${p.visitorSegment}'`, inv.govroam!.loc, ['participants', i, 'visitorSegment']));
      if (p.device && !idx.devices.has(p.device)) out.push(s.error('UNKNOWN_REFERENCE', `unknown device '${p.device}'`, inv.govroam!.loc, ['participants', i, 'device']));
    });
  }
  for (const e of inv.ledger.entries) {
    if (!idx.orgs.has(e.organisation)) out.push(s.error('UNKNOWN_REFERENCE', `ledger entry ${e.prefix} belongs to unknown organisation '${e.organisation}'`, e.loc, ['organisation']));
  }
  return out;
}
