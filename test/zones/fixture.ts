import { cleanup, MINIMAL_SETTINGS, tmpInventory } from '../helpers/tmp-inventory';
import { loadInventory } from '../../src/model/load';
import type { Inventory } from '../../src/model/inventory';

/**
 * A small inventory in documentation space: GM0001 (own CE, both zones), GM0002 served by SV0001 (overheid only),
 * supplier LV0001 (markt), a Diginetwerk service behind the KPS and a supplier SaaS.
 */
export const ORGS: Record<string, string> = {
  'organisations/gm0001.yaml': `id: GM0001
kind: gemeente
name: Eerstegem
connectionPoint: { site: Stadhuis, device: ce-gm0001, zones: [overheid, markt], asn: 4200000001 }
ipv4: { overheid: [192.0.2.0/27], markt: [198.51.100.0/27] }
segments:
  - { name: gasten, purpose: govroam-visitor, ipv4: 192.0.2.24/29 }
  - { name: staf, purpose: staff, ipv4: 192.0.2.0/28 }
devices:
  - { id: ce-gm0001, role: ce, management: { address: 198.18.0.1, hostKey: "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" } }
`,
  'organisations/sv0001.yaml': `id: SV0001
kind: samenwerkingsverband
name: Samen
connectionPoint: { site: Kantoor, device: ce-sv0001, zones: [overheid], asn: 4200000002 }
ipv4: { overheid: [192.0.2.32/28] }
devices:
  - { id: ce-sv0001, role: ce, management: { address: 198.18.0.2, hostKey: "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" } }
`,
  'organisations/gm0002.yaml': `id: GM0002
kind: gemeente
name: Tweedegem
servedBy: SV0001
ipv4: { overheid: [192.0.2.48/28], markt: [198.51.100.32/28] }
`,
  'organisations/lv0001.yaml': `id: LV0001
kind: leverancier
name: Leverancier
ggiAfspraken: { signed: true, date: 2025-01-01 }
connectionPoint: { site: DC, device: ce-lv0001, zones: [markt], asn: 4200000003 }
ipv4: { markt: [203.0.113.0/26] }
devices:
  - { id: ce-lv0001, role: ce, management: { address: 198.18.0.3, hostKey: "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" } }
`,
  'services/services.yaml': `services:
  - { name: brp, zone: overheid, provider: kps, prefixes: [192.0.2.128/28, "2001:db8:100::/48"], listens: [{ proto: tcp, ports: [443] }] }
  - { name: saas, zone: markt, provider: LV0001, prefixes: [203.0.113.64/28], listens: [{ proto: tcp, ports: [443, 8443] }] }
`,
  'ipv6/ledger.yaml': `entries:
  - { prefix: "2a07:3500:4::/46", organisation: GM0001, category: diginetwerk, status: allocated, by: test, at: "2026-01-01T00:00:00Z" }
  - { prefix: "2a07:3500:8::/46", organisation: GM0001, category: besloten, status: allocated, by: test, at: "2026-01-01T00:00:00Z" }
  - { prefix: "2a07:3500:c::/46", organisation: GM0002, category: diginetwerk, status: allocated, by: test, at: "2026-01-01T00:00:00Z" }
`,
};

export function writeInventory(policy: string | Record<string, string>, extra: Record<string, string> = {}): string {
  const pol = typeof policy === 'string' ? { 'policy/10-rules.yaml': policy } : policy;
  return tmpInventory({ 'ggi.yaml': MINIMAL_SETTINGS, ...ORGS, ...pol, ...extra });
}

export function loadFixture(policy: string | Record<string, string>, extra: Record<string, string> = {}): Inventory {
  const dir = writeInventory(policy, extra);
  try {
    const { inventory, findings } = loadInventory(dir);
    if (!inventory) throw new Error(`fixture does not load: ${JSON.stringify(findings)}`);
    return inventory;
  } finally {
    cleanup(dir);
  }
}
