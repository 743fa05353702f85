import { formatAddress, formatPrefix, parseAddress, parsePrefix, remapAddress, remapPrefix, type Prefix } from '../net';
import type { Finding } from './finding';
import type { Inventory } from './inventory';

/**
 * A profile sees the whole inventory through an address remapping, e.g. `lab` maps the government blocks into
 * 3fff::/20 (RFC 9637) keeping every lower bit, so the real plan runs in the lab without a real address.
 */
export function applyProfile(inv: Inventory, name: string): { inventory: Inventory } | { finding: Finding } {
  const profile = inv.settings.profiles[name];
  if (!profile) {
    const known = ['default', ...Object.keys(inv.settings.profiles)].join(', ');
    const f = inv.sources.error('PROFILE_UNKNOWN', `no profile '${name}' in ggi.yaml (known: ${known})`, inv.settings.loc, ['profiles']);
    return { finding: f };
  }
  const pairs = profile.remap.map((r) => ({ from: parsePrefix(r.from), to: parsePrefix(r.to) }));
  const remapString = (s: string): string => remapText(s, pairs);
  const mapped = mapStrings(inv, remapString) as Inventory;
  // The profile's own table is what defines the mapping; keep it readable as written.
  return { inventory: { ...mapped, profile: name, sources: inv.sources, settings: { ...mapped.settings, profiles: inv.settings.profiles } } };
}

/** Remaps one address or prefix string; anything else is returned unchanged. */
export function remapText(s: string, pairs: ReadonlyArray<{ from: Prefix; to: Prefix }>): string {
  if (!/^[0-9a-fA-F:.]+(\/\d{1,3})?$/.test(s) || !/[:.]/.test(s)) return s;
  try {
    if (s.includes('/')) {
      const p = parsePrefix(s, { strict: false });
      for (const pair of pairs) {
        const r = remapPrefix(p, pair.from, pair.to);
        if (r) return formatPrefix(r);
      }
      return s;
    }
    const a = parseAddress(s);
    for (const pair of pairs) {
      const r = remapAddress(a.family, a.value, pair.from, pair.to);
      if (r !== null) return formatAddress(a.family, r);
    }
    return s;
  } catch {
    return s;
  }
}

function mapStrings(v: unknown, f: (s: string) => string): unknown {
  if (typeof v === 'string') return f(v);
  if (Array.isArray(v)) return v.map((x) => mapStrings(x, f));
  if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = k === 'loc' || k === 'sources' ? x : mapStrings(x, f);
    return out;
  }
  return v;
}
