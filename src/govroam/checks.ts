import type { Finding } from '../model/finding';
import { indexInventory, type Inventory, type Organisation } from '../model/inventory';
import { overlaps, tryParsePrefix, type Prefix } from '../net';

/** A DNS name as a realm: labels of letters, digits and hyphens, at least two labels, no trailing dot. */
const REALM = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;

const EDUROAM_LOG_DAYS = 180;

/** SRV labels a RADIUS/TLS NAPTR may point to: the eduroam convention and RFC 7585's own. */
const NAPTR_SRV = ['_radsec._tcp.', '_radiustls._tcp.'] as const;

/** govroam rules of DOMAIN.md §5 (16–20), following the eduroam baseline where govroam's own text is silent. */
export function checkGovroam(inv: Inventory): Finding[] {
  const g = inv.govroam;
  if (!g) return [];
  const s = inv.sources;
  const out: Finding[] = [];
  const idx = indexInventory(inv);
  const realmOwner = new Map<string, string>();

  // Rule 18's number is configuration (DOMAIN.md §7), but going below the eduroam baseline deserves a warning.
  if (g.minimumLogRetentionDays < EDUROAM_LOG_DAYS) {
    out.push(s.warning('GOVROAM_LOG_RETENTION', `minimumLogRetentionDays ${g.minimumLogRetentionDays} is below the eduroam baseline of ${EDUROAM_LOG_DAYS} days (six months)`, g.loc, ['minimumLogRetentionDays']));
  }

  g.nlrs.forEach((srv, i) => {
    if (srv.transport === 'udp' && !srv.secret) out.push(s.error('GOVROAM_SECRET_MISSING', `national proxy '${srv.name}' uses RADIUS/UDP without a shared secret reference`, g.loc, ['nlrs', i]));
  });

  g.participants.forEach((p, i) => {
    const at = (...sub: Array<string | number>) => ['participants', i, ...sub];
    const isSp = p.roles.includes('sp');
    if (isSp && p.ssid !== 'govroam') out.push(s.error('GOVROAM_SSID', `the govroam SSID is exactly 'govroam', not '${p.ssid}'`, g.loc, at('ssid')));
    if (isSp && p.security !== 'wpa2-enterprise' && p.security !== 'wpa3-enterprise') {
      out.push(s.error('GOVROAM_SSID', `govroam uses WPA2-Enterprise (802.1X) or WPA3-Enterprise, never ${p.security}`, g.loc, at('security')));
    }
    if (isSp) {
      const org = idx.orgs.get(p.organisation);
      const seg = p.visitorSegment ? org?.segments.find((x) => x.name === p.visitorSegment) : undefined;
      if (!p.visitorSegment) out.push(s.error('GOVROAM_VISITOR_ISOLATION', `service provider '${p.organisation}' names no visitorSegment: visitors need a segment of their own`, g.loc, at('roles')));
      else if (seg && seg.purpose !== 'govroam-visitor') out.push(s.error('GOVROAM_VISITOR_ISOLATION', `segment '${seg.name}' of '${p.organisation}' has purpose ${seg.purpose}; a visitor segment has purpose govroam-visitor`, g.loc, at('visitorSegment')));
      else if (seg && !seg.ipv6 && !seg.ipv4) out.push(s.error('GOVROAM_VISITOR_ISOLATION', `visitor segment '${seg.name}' of '${p.organisation}' has no prefix of its own`, g.loc, at('visitorSegment')));
      else if (seg && org) {
        // "Its own prefix": no other segment of the organisation may share addresses with the visitors.
        const mine = segmentPrefixes(seg);
        for (const other of org.segments) {
          if (other === seg) continue;
          if (segmentPrefixes(other).some((o) => mine.some((m) => overlaps(m, o)))) {
            out.push(s.error('GOVROAM_VISITOR_ISOLATION', `visitor segment '${seg.name}' of '${p.organisation}' overlaps segment '${other.name}': visitors need a prefix of their own`, g.loc, at('visitorSegment')));
          }
        }
      }
      if (p.nas.length === 0) out.push(s.warning('GOVROAM_NAS_UNKNOWN', `service provider '${p.organisation}' lists no access points (nas): its radsecproxy will accept no requests`, g.loc, at('roles')));
    }
    if (!p.proxyAddress && !p.device) out.push(s.warning('GOVROAM_PROXY_UNKNOWN', `'${p.organisation}' names neither proxyAddress nor the device running its radsecproxy: ggi cannot connect it to the national proxies`, g.loc, at('organisation')));
    if (p.logRetentionDays < g.minimumLogRetentionDays) {
      out.push(s.error('GOVROAM_LOG_RETENTION', `RADIUS and DHCP logs are kept ${p.logRetentionDays} days; at least ${g.minimumLogRetentionDays} are required`, g.loc, at('logRetentionDays')));
    }
    if (p.forwardAccounting) out.push(s.warning('GOVROAM_ACCOUNTING_FORWARD', 'accounting must stay local: proxies answer Accounting-Requests themselves (RFC 7593); ggi renders it local regardless', g.loc, at('forwardAccounting')));
    p.realms.forEach((realm, j) => {
      if (!REALM.test(realm)) out.push(s.error('GOVROAM_REALM', `realm '${realm}' is not a DNS name`, g.loc, at('realms', j)));
      const key = realm.toLowerCase();
      const owner = realmOwner.get(key);
      if (owner && owner !== p.organisation) out.push(s.error('GOVROAM_REALM', `realm '${realm}' is also claimed by ${owner}`, g.loc, at('realms', j)));
      realmOwner.set(key, p.organisation);
    });
    if (p.naptr) {
      if (p.naptr.flags.toUpperCase() !== 'S') out.push(s.error('GOVROAM_REALM', `a NAPTR for RADIUS/TLS discovery has flag "S", not "${p.naptr.flags}" (RFC 7585)`, g.loc, at('naptr', 'flags')));
      if (p.naptr.regexp !== '') out.push(s.error('GOVROAM_REALM', 'a NAPTR for RADIUS/TLS discovery has an empty regexp (RFC 7585)', g.loc, at('naptr', 'regexp')));
      // The eduroam convention is _radsec._tcp.; RFC 7585 names the SRV label _radiustls._tcp. (DOMAIN.md §3.6, §5 rule 20).
      if (!NAPTR_SRV.some((l) => p.naptr!.replacement.startsWith(l))) out.push(s.error('GOVROAM_REALM', `the NAPTR replacement is an SRV name under ${NAPTR_SRV.join(' or ')}, not '${p.naptr.replacement}'`, g.loc, at('naptr', 'replacement')));
      if (p.naptr.service !== g.naptrService) out.push(s.warning('GOVROAM_REALM', `NAPTR service '${p.naptr.service}' differs from the federation's '${g.naptrService}'`, g.loc, at('naptr', 'service')));
    }
    const proxyAt = p.proxyAddress ?? (p.device ? idx.devices.get(p.device)?.management.address : undefined);
    p.servers.forEach((srv, j) => {
      if (srv.transport === 'udp' && !srv.secret) out.push(s.error('GOVROAM_SECRET_MISSING', `RADIUS server '${srv.name}' uses UDP without a shared secret reference`, g.loc, at('servers', j)));
      // A home server on the proxy's own host must not take the ports radsecproxy listens on.
      if (!p.roles.includes('idp') || proxyAt === undefined || srv.address !== proxyAt) return;
      const port = srv.port ?? (srv.transport === 'radsec' ? 2083 : 1812);
      const taken = [...(isSp ? [1812, 1813] : []), 2083];
      if (taken.includes(port)) {
        out.push(s.error('GOVROAM_PORT_CONFLICT', `RADIUS server '${srv.name}' runs on the radsecproxy host ${proxyAt} with port ${port}, which radsecproxy listens on (${taken.join(', ')}); give it another port`, g.loc, at('servers', j)));
      }
    });
  });

  // Visitors reach neither zone (rule 17): a guardrail must say so, so that no rule can quietly open it.
  if (g.participants.some((p) => p.roles.includes('sp'))) {
    for (const zone of ['overheid', 'markt'] as const) {
      const guarded = inv.guardrails.some((gr) => gr.never.from.segments?.includes('govroam-visitor') && gr.never.to.zone === zone && gr.never.proto === undefined && gr.never.ports === undefined);
      if (!guarded) out.push(s.error('GOVROAM_VISITOR_ISOLATION', `no guardrail keeps govroam visitor segments out of the ${zone} zone (never: { from: { segments: [govroam-visitor] }, to: { zone: ${zone} } })`, g.loc, ['participants'], { key: true }));
    }
    // No rule may let visitors in where the guardrails forbid; a rule towards an organisation, a service or a zone is
    // exactly that. (Internet access is not a selector here: it is the visitor VLAN's own egress.)
    const internal = inv.organisations.flatMap((o) => orgPrefixes(o));
    for (const r of inv.rules) {
      if (r.action !== 'allow' || !r.from.segments?.includes('govroam-visitor')) continue;
      const to = r.to;
      const reaches = to.zone !== undefined || to.organisations !== undefined || to.services !== undefined || (to.prefixes ?? []).some((x) => {
        const px = tryParsePrefix(x);
        return !(px instanceof Error) && internal.some((i) => overlaps(i, px));
      });
      if (reaches) out.push(s.error('GOVROAM_VISITOR_ISOLATION', `rule '${r.id}' lets govroam visitors reach internal or zone addresses; staff on govroam use a govroam-staff segment with its own rule`, r.loc, ['to']));
    }
  }
  return out;
}

function segmentPrefixes(seg: { ipv4?: string; ipv6?: string }): Prefix[] {
  return [seg.ipv4, seg.ipv6].flatMap((x) => {
    if (!x) return [];
    const px = tryParsePrefix(x);
    return px instanceof Error ? [] : [px];
  });
}

/** Every address an organisation calls its own: registered zone prefixes and non-visitor segments. */
function orgPrefixes(o: Organisation): Prefix[] {
  const declared = [...(o.ipv4?.overheid ?? []), ...(o.ipv4?.markt ?? [])].flatMap((x) => {
    const px = tryParsePrefix(x);
    return px instanceof Error ? [] : [px];
  });
  return [...declared, ...o.segments.filter((x) => x.purpose !== 'govroam-visitor').flatMap(segmentPrefixes)];
}
