import type { Finding } from '../model/finding';
import { indexInventory, type Inventory } from '../model/inventory';

/** A DNS name as a realm: labels of letters, digits and hyphens, at least two labels, no trailing dot. */
const REALM = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;

/** govroam rules of DOMAIN.md §5 (16–20), following the eduroam baseline where govroam's own text is silent. */
export function checkGovroam(inv: Inventory): Finding[] {
  const g = inv.govroam;
  if (!g) return [];
  const s = inv.sources;
  const out: Finding[] = [];
  const idx = indexInventory(inv);
  const realmOwner = new Map<string, string>();

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
    }
    if (p.logRetentionDays < g.minimumLogRetentionDays) {
      out.push(s.error('GOVROAM_LOG_RETENTION', `RADIUS and DHCP logs are kept ${p.logRetentionDays} days; at least ${g.minimumLogRetentionDays} are required`, g.loc, at('logRetentionDays')));
    }
    if (p.forwardAccounting) out.push(s.warning('GOVROAM_ACCOUNTING_FORWARD', 'accounting must stay local: proxies answer Accounting-Requests themselves (RFC 7593)', g.loc, at('forwardAccounting')));
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
      if (!p.naptr.replacement.startsWith('_radsec._tcp.')) out.push(s.error('GOVROAM_REALM', `the NAPTR replacement is an _radsec._tcp. SRV name, not '${p.naptr.replacement}'`, g.loc, at('naptr', 'replacement')));
      if (p.naptr.service !== g.naptrService) out.push(s.warning('GOVROAM_REALM', `NAPTR service '${p.naptr.service}' differs from the federation's '${g.naptrService}'`, g.loc, at('naptr', 'service')));
    }
    p.servers.forEach((srv, j) => {
      if (srv.transport === 'udp' && !srv.secret) out.push(s.error('GOVROAM_SECRET_MISSING', `RADIUS server '${srv.name}' uses UDP without a shared secret reference`, g.loc, at('servers', j)));
    });
  });

  // Visitors reach neither zone (rule 17): a guardrail must say so, so that no rule can quietly open it.
  if (g.participants.some((p) => p.roles.includes('sp'))) {
    for (const zone of ['overheid', 'markt'] as const) {
      const guarded = inv.guardrails.some((gr) => gr.never.from.segments?.includes('govroam-visitor') && (gr.never.to.zone === zone || gr.never.to.prefixes !== undefined));
      if (!guarded) out.push(s.error('GOVROAM_VISITOR_ISOLATION', `no guardrail keeps govroam visitor segments out of the ${zone} zone (never: { from: { segments: [govroam-visitor] }, to: { zone: ${zone} } })`, g.loc, ['participants']));
    }
  }
  return out;
}
