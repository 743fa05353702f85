import { loadInventory } from '../../src/model/load';
import type { Inventory } from '../../src/model/inventory';
import { cleanup, MINIMAL_SETTINGS, tmpInventory } from '../helpers/tmp-inventory';

/**
 * A small but complete network: two gemeenten with their own connection point (one in both zones), a
 * samenwerkingsverband serving a member gemeente, a supplier with a router and a markt service, the KPS peer with two
 * Diginetwerk services, both borders. Organisation files can be added to show what does (not) change.
 */
export const SETTINGS = MINIMAL_SETTINGS.replace(
  'transfer:\n  ipv4: 198.18.0.0/16\n  ipv6: 2001:db8:ffff::/48\n',
  'transfer:\n  ipv4: 198.18.0.0/16\n  ipv6: 2001:db8:ffff::/48\n  managementIpv4: 198.19.0.0/24\n',
).replace('      - { from: 2a07:3500::/30, to: 3fff:500::/30 }\n', '      - { from: 2a07:3500::/30, to: 3fff:500::/30 }\n')
  .replace('markt:\n    ipv6Categories: [besloten]', 'markt:\n    ipv6Categories: [besloten]');

export const BACKBONE = `devices:
  - { id: border-overheid, role: border-overheid, routerId: 198.19.0.2, management: { address: 198.19.0.2 } }
  - { id: border-markt, role: border-markt, routerId: 198.19.0.3, management: { address: 198.19.0.3 } }
  - { id: kps, role: kps-peer, management: { address: 198.19.0.4 } }
`;

export const SERVICES = `services:
  - name: diginetwerk-brp
    zone: overheid
    provider: kps
    prefixes: [203.0.113.0/28, "2001:db8:100::/64"]
    listens: [{ proto: tcp, ports: [443] }]
  - name: diginetwerk-dns
    zone: overheid
    provider: kps
    prefixes: [203.0.113.16/28]
    listens: [{ proto: udp, ports: [53] }, { proto: tcp, ports: [53] }]
  - name: saas-zaken
    zone: markt
    provider: LV0001
    prefixes: [198.51.100.128/28, "2a07:3503:4::/48"]
    listens: [{ proto: tcp, ports: [443, 8443] }]
`;

export function gemeente(id: string, n: number, opts: { zones?: string; servedBy?: string; asn?: number } = {}): string {
  const lower = id.toLowerCase();
  if (opts.servedBy) {
    return `id: ${id}\nkind: gemeente\nname: Gemeente ${n}\nservedBy: ${opts.servedBy}\nipv4:\n  overheid: [192.0.2.${n * 16}/28]\nsegments:\n  - { name: staff, purpose: staff, ipv4: 192.0.2.${n * 16}/29, ipv6: "2a07:3500:${(n * 4).toString(16)}::/64" }\n`;
  }
  return `id: ${id}
kind: gemeente
name: Gemeente ${n}
connectionPoint:
  site: Stadhuis ${n}
  device: ce-${lower}
  zones: [${opts.zones ?? 'overheid, markt'}]
  asn: ${opts.asn ?? 4200000000 + n}
ipv4:
  overheid: [192.0.2.${n * 16}/28]
segments:
  - { name: staff, purpose: staff, ipv4: 192.0.2.${n * 16}/29, ipv6: "2a07:3500:${(n * 4).toString(16)}::/64" }
  - { name: servers, purpose: servers, ipv6: "2a07:3500:${(n * 4).toString(16)}:1::/64" }
devices:
  - id: ce-${lower}
    role: ce
    management: { address: 198.19.0.${10 + n} }
`;
}

export function ledgerFor(orgs: Array<{ id: string; n: number; block?: string }>): string {
  const lines = ['entries:'];
  for (const o of orgs) {
    const b = o.block ?? '3500';
    lines.push(`  - { prefix: "2a07:${b}:${(o.n * 4).toString(16)}::/46", organisation: ${o.id}, category: diginetwerk, status: allocated, by: test, at: "2026-01-01T00:00:00Z" }`);
    lines.push(`  - { prefix: "2a07:${b}:${(0x1000 + o.n * 4).toString(16)}::/46", organisation: ${o.id}, category: besloten, status: allocated, by: test, at: "2026-01-01T00:00:00Z" }`);
    lines.push(`  - { prefix: "2a07:${b}:${(0x2000 + o.n * 4).toString(16)}::/46", organisation: ${o.id}, category: internet, status: allocated, by: test, at: "2026-01-01T00:00:00Z" }`);
  }
  return `${lines.join('\n')}\n`;
}

export const SV = `id: SV0001
kind: samenwerkingsverband
name: Samenwerking Een
connectionPoint:
  site: Kantoor SV
  device: ce-sv0001
  zones: [overheid]
  asn: 4200100001
ipv4:
  overheid: [192.0.2.192/28]
devices:
  - id: ce-sv0001
    role: ce
    management: { address: 198.19.0.40 }
`;

export const SUPPLIER = `id: LV0001
kind: leverancier
name: Leverancier Een
ggiAfspraken: { signed: true, date: 2025-01-01 }
devices:
  - id: rtr-lv0001
    role: supplier-router
    asn: 4200200001
    management: { address: 198.19.0.50 }
`;

export function baseFiles(): Record<string, string> {
  return {
    'ggi.yaml': SETTINGS,
    'devices/backbone.yaml': BACKBONE,
    'services/services.yaml': SERVICES,
    'organisations/gm0001.yaml': gemeente('GM0001', 1),
    'organisations/gm0002.yaml': gemeente('GM0002', 2, { zones: 'overheid' }),
    'organisations/gm0003.yaml': gemeente('GM0003', 3, { servedBy: 'SV0001' }),
    'organisations/sv0001.yaml': SV,
    'organisations/lv0001.yaml': SUPPLIER,
    'ipv6/ledger.yaml': ledgerFor([{ id: 'GM0001', n: 1 }, { id: 'GM0002', n: 2 }, { id: 'GM0003', n: 3 }, { id: 'SV0001', n: 5, block: '3502' }]),
  };
}

/** Loads files into a temp inventory; the folder is removed at once (the inventory is plain data). */
export function loadFiles(files: Record<string, string>, profile?: string): Inventory {
  const dir = tmpInventory(files);
  try {
    const r = loadInventory(dir, profile ? { profile } : {});
    if (!r.inventory) throw new Error(`fixture does not load:\n${r.findings.map((f) => `${f.file}:${f.line}: ${f.code} ${f.message}`).join('\n')}`);
    return r.inventory;
  } finally {
    cleanup(dir);
  }
}
