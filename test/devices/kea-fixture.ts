/**
 * A small network with one DHCP appliance: GM0001 (both zones) with a govroam visitor segment served by `dhcp-gm0001`
 * (platform kea), its /64 allocated in the ledger; the KPS with the BRP (overheid) and a supplier with a SaaS (markt);
 * the guardrails that keep visitors out of both zones, and rules that let GM0001's staff reach both services.
 */
import { BACKBONE, SETTINGS, SUPPLIER } from '../intent/fixture';

export const KEA_PASSWORD_ENV = 'GGI_KEA_PASSWORD_GM0001';
export const VISITOR_V4 = '203.0.113.64/29';
export const VISITOR_V6 = '2a07:3500:2004:100::/64';

export const SERVICES = `services:
  - name: diginetwerk-brp
    zone: overheid
    provider: kps
    prefixes: [203.0.113.0/28, "2001:db8:100::/64"]
    listens: [{ proto: tcp, ports: [443] }]
  - name: saas-zaken
    zone: markt
    provider: LV0001
    prefixes: [198.51.100.128/28]
    listens: [{ proto: tcp, ports: [443] }]
`;

export function gm0001(dhcp = `{ server: dhcp-gm0001, ipv4Pool: { first: 203.0.113.66, last: 203.0.113.69 } }`): string {
  return `id: GM0001
kind: gemeente
name: Gemeente 1
connectionPoint:
  site: Stadhuis 1
  device: ce-gm0001
  zones: [overheid, markt]
  asn: 4200000001
ipv4:
  overheid: [192.0.2.16/28]
  markt: [198.51.100.192/28]
segments:
  - { name: staff, purpose: staff, ipv4: 192.0.2.16/29, ipv6: "2a07:3500:4::/64" }
  - { name: staff-markt, purpose: staff, ipv4: 198.51.100.192/29 }
  - name: govroam-visitor
    purpose: govroam-visitor
    ipv4: ${VISITOR_V4}
    ipv6: "${VISITOR_V6}"
    vlan: 300
    dhcp: ${dhcp}
devices:
  - id: ce-gm0001
    role: ce
    management: { address: 198.19.0.11 }
  - id: dhcp-gm0001
    role: dhcp
    platform: kea
    management: { address: 198.19.0.60, port: 8000, user: ggi, password: { env: ${KEA_PASSWORD_ENV} } }
`;
}

export const LEDGER = `entries:
  - { prefix: "2a07:3500:4::/46", organisation: GM0001, category: diginetwerk, status: allocated, by: test, at: "2026-01-01T00:00:00Z" }
  - { prefix: "2a07:3500:1004::/46", organisation: GM0001, category: besloten, status: allocated, by: test, at: "2026-01-01T00:00:00Z" }
  - { prefix: "2a07:3500:2004::/46", organisation: GM0001, category: internet, status: allocated, by: test, at: "2026-01-01T00:00:00Z" }
  - { prefix: "${VISITOR_V6}", organisation: GM0001, category: internet, status: allocated, parent: "2a07:3500:2004::/46", purpose: govroam-bezoekers (DHCPv6), by: test, at: "2026-01-02T00:00:00Z" }
`;

export const POLICY = `guardrails:
  - id: markt-nooit-naar-overheid
    never: { from: { zone: markt }, to: { zone: overheid } }
    reason: de zones wisselen nooit verkeer uit
  - id: overheid-nooit-naar-markt
    never: { from: { zone: overheid }, to: { zone: markt } }
    reason: de zones wisselen nooit verkeer uit
  - id: govroam-bezoekers-niet-naar-overheid
    never: { from: { segments: [govroam-visitor] }, to: { zone: overheid } }
    reason: govroam-bezoekers krijgen alleen internet
  - id: govroam-bezoekers-niet-naar-markt
    never: { from: { segments: [govroam-visitor] }, to: { zone: markt } }
    reason: govroam-bezoekers krijgen alleen internet
rules:
  - id: brp
    from: { zone: overheid }
    to: { services: [diginetwerk-brp] }
    proto: tcp
    ports: [443]
    action: allow
    owner: test
    reason: BRP
  - id: zaken
    from: { zone: markt }
    to: { services: [saas-zaken] }
    proto: tcp
    ports: [443]
    action: allow
    owner: test
    reason: SaaS
`;

export function keaFiles(over: Record<string, string> = {}): Record<string, string> {
  return {
    'ggi.yaml': SETTINGS,
    'devices/backbone.yaml': BACKBONE,
    'services/services.yaml': SERVICES,
    'organisations/gm0001.yaml': gm0001(),
    'organisations/lv0001.yaml': SUPPLIER,
    'ipv6/ledger.yaml': LEDGER,
    'policy/10-rules.yaml': POLICY,
    ...over,
  };
}
