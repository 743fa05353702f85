import { formatPrefix, tryParsePrefix, type Prefix } from '../net';
import type { Finding } from '../model/finding';
import type { Inventory } from '../model/inventory';
import type { Loc, NodePath } from '../model/source';
import { isActive } from '../ipv6/ledger';
import { sweepOverlaps } from '../net/overlaps';

/**
 * Addresses are unique (Diginetwerk's "each address exists once", DOMAIN.md §2.4): no two holders may claim the same
 * addresses, in either family. A claim is a prefix someone holds: an organisation's registered IPv4 and its segments,
 * a service's prefixes (a supplier's own, or the KPS's), an organisation's IPv6 allocations in the ledger, and the
 * pools ggi.yaml hands transfer and management addresses out of. Claims of one holder may nest (a segment inside its
 * registered range, a supplier's service inside its markt range); claims of different holders never overlap. Overlaps
 * between two ledger entries are the IPv6 check's (it knows quarantine and history), so they are left out here.
 */

interface Claim {
  readonly p: Prefix;
  /** Who holds it: an organisation id, 'kps' for the Diginetwerk services, or the pool's setting. */
  readonly holder: string;
  readonly what: string;
  readonly loc: Loc;
  readonly path: NodePath;
  readonly ledger: boolean;
  readonly order: number;
}

export function checkAddressClaims(inv: Inventory): Finding[] {
  const s = inv.sources;
  const claims: Claim[] = [];
  const add = (text: string | undefined, holder: string, what: string, loc: Loc, path: NodePath, ledger = false): void => {
    if (!text) return;
    const p = tryParsePrefix(text, { strict: false });
    // Unparseable prefixes are the schema's to report.
    if (p instanceof Error) return;
    claims.push({ p, holder, what, loc, path, ledger, order: claims.length });
  };

  // The ledger first, so that a finding lands on whoever claims allocated space.
  // Top-level allocations only: a sub-allocation lies inside its holder's allocation (the IPv6 check sees to that).
  for (const e of inv.ledger.entries) if (isActive(e) && !e.parent) add(e.prefix, e.organisation, `the ${e.category} allocation of ${e.organisation}`, e.loc, ['prefix'], true);
  const settings = inv.settings;
  add(settings.transfer.ipv4, 'the transfer pool', 'transfer.ipv4', settings.loc, ['transfer', 'ipv4']);
  add(settings.transfer.ipv6, 'the transfer pool', 'transfer.ipv6', settings.loc, ['transfer', 'ipv6']);
  add(settings.transfer.managementIpv4, 'the management pool', 'transfer.managementIpv4', settings.loc, ['transfer', 'managementIpv4']);
  // Services before organisations: an organisation that claims a service's addresses is told so in its own file.
  for (const svc of inv.services) {
    for (const [i, t] of svc.prefixes.entries()) add(t, svc.provider, `service '${svc.name}'${svc.provider === 'kps' ? ' (KPS)' : ` of ${svc.provider}`}`, svc.loc, ['prefixes', i]);
  }
  for (const o of inv.organisations) {
    for (const z of ['overheid', 'markt'] as const) {
      for (const [i, t] of (o.ipv4?.[z] ?? []).entries()) add(t, o.id, `${o.id}'s ${z} range`, o.loc, ['ipv4', z, i]);
    }
    o.segments.forEach((seg, i) => {
      add(seg.ipv4, o.id, `segment '${seg.name}' of ${o.id}`, o.loc, ['segments', i, 'ipv4']);
      add(seg.ipv6, o.id, `segment '${seg.name}' of ${o.id}`, o.loc, ['segments', i, 'ipv6']);
    });
  }

  const out: Finding[] = [];
  const reported = new Set<Claim>();
  sweepOverlaps(
    claims,
    (outer, inner) => {
      if (outer.holder === inner.holder || (outer.ledger && inner.ledger)) return;
      // One finding per claim, at the later one in file order, naming where the other is.
      const [first, second] = outer.order < inner.order ? [outer, inner] : [inner, outer];
      if (reported.has(second)) return;
      reported.add(second);
      const pos = s.get(first.loc.file)?.position([...first.loc.path, ...first.path]);
      const where = `${first.loc.file}${pos ? `:${pos.line}:${pos.column}` : ''}`;
      const code = inner.p.family === 4 ? 'IPV4_OVERLAP' : 'IPV6_OVERLAP';
      out.push(
        s.error(code, `${formatPrefix(second.p)} (${second.what}) overlaps ${formatPrefix(first.p)} (${first.what}, ${where}); each address has one holder (DOMAIN.md §2.4)`, second.loc, second.path),
      );
    },
    (x, y) => x.order - y.order,
  );
  return out;
}
