import { isDefaultRoute, parsePrefix } from '../net';
import type { Finding } from '../model/finding';
import type { Inventory, Service } from '../model/inventory';
import { diginetwerkUnfit, documentationAllowed } from './routing';

/**
 * Diginetwerk checks of `ggi validate` (DOMAIN.md §5 rules 11-13): only public, registered addresses towards
 * Diginetwerk, no default route over it, Digikoppeling on tcp/443 only.
 */
export function checkDiginetwerk(inv: Inventory): Finding[] {
  const s = inv.sources;
  const out: Finding[] = [];
  const allowDefault = inv.settings.diginetwerk.allowDefaultRoute;
  const documentation = documentationAllowed(inv);
  if (allowDefault) {
    out.push(s.warning('DIGINETWERK_DEFAULT_ROUTE', 'diginetwerk.allowDefaultRoute is true: Diginetwerk is no transit to the internet, and a default route over it is against common practice (DOMAIN.md §2.5)', inv.settings.loc, ['diginetwerk', 'allowDefaultRoute']));
  }

  for (const o of inv.organisations) {
    (o.ipv4?.overheid ?? []).forEach((text, i) => {
      const p = parsePrefix(text, { strict: false });
      if (isDefaultRoute(p)) {
        out.push(s.error('DIGINETWERK_DEFAULT_ROUTE', `${o.id} registers ${text} as its overheid address: that is the default route, which is never announced over Diginetwerk`, o.loc, ['ipv4', 'overheid', i]));
        return;
      }
      const why = diginetwerkUnfit(p, { documentation });
      if (why) out.push(s.error('DIGINETWERK_PRIVATE_ADDRESS', `${o.id} uses ${text} (${why}) towards Diginetwerk; only public, registered addresses are used there (D3); translate to its registered addresses at the edge`, o.loc, ['ipv4', 'overheid', i]));
    });
  }

  const digikoppeling = new Map<string, Service>();
  for (const svc of inv.services) {
    if (svc.digikoppeling) digikoppeling.set(svc.name, svc);
    if (svc.zone !== 'overheid') continue;
    svc.prefixes.forEach((text, i) => {
      const p = parsePrefix(text, { strict: false });
      if (isDefaultRoute(p)) {
        if (!allowDefault) out.push(s.error('DIGINETWERK_DEFAULT_ROUTE', `service '${svc.name}' declares ${text}: accepting a default route from Diginetwerk is not allowed (diginetwerk.allowDefaultRoute is false)`, svc.loc, ['prefixes', i]));
        return;
      }
      const why = diginetwerkUnfit(p, { documentation });
      if (why) out.push(s.error('DIGINETWERK_PRIVATE_ADDRESS', `service '${svc.name}' in the overheid zone uses ${text} (${why}); Diginetwerk uses only public, registered addresses (D3)`, svc.loc, ['prefixes', i]));
    });
  }

  // D5 TLS005: Digikoppeling is HTTPS on port 443 only.
  for (const r of inv.rules) {
    if (r.action !== 'allow' || !r.to.services) continue;
    const hit = r.to.services.filter((n) => digikoppeling.has(n));
    if (!hit.length) continue;
    if (r.proto !== 'tcp') {
      out.push(s.warning('DIGIKOPPELING_PORT', `rule '${r.id}' allows ${r.proto} to Digikoppeling service ${hit.join(', ')}; Digikoppeling is tcp/443 only (TLS005)`, r.loc, ['proto']));
      continue;
    }
    const only443 = r.ports?.every((p) => p === 443 || p === '443' || p === '443-443');
    if (!only443) out.push(s.warning('DIGIKOPPELING_PORT', `rule '${r.id}' allows ${r.ports ? `ports ${r.ports.join(', ')}` : 'every port'} to Digikoppeling service ${hit.join(', ')}; Digikoppeling is tcp/443 only (TLS005)`, r.loc, [r.ports ? 'ports' : 'proto']));
  }
  return out;
}
