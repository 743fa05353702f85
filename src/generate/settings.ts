import type { Kind, Plan } from './world';

/** ggi.yaml of a generated inventory, and the numbering plan it implies (the two must agree). */

export const BLOCKS: Record<Kind, string> = {
  gemeente: '2a07:3500::/33',
  provincie: '2a07:3501::/33',
  waterschap: '2a07:3501::/33',
  samenwerkingsverband: '2a07:3502::/33',
  leverancier: '2a07:3503::/33',
};

export const CATEGORY_CODES: Record<string, number> = { internet: 0, diginetwerk: 1, besloten: 2, reserve: 3 };

export function defaultPlan(): Plan {
  const layouts = {} as Plan['layouts'];
  for (const k of Object.keys(BLOCKS) as Kind[]) {
    layouts[k] = { block: BLOCKS[k], allocationLength: 46, organisationBits: 11, categoryBits: 2, order: 'organisation-category' };
  }
  return { layouts, categoryCodes: CATEGORY_CODES, internetCategory: 'internet' };
}

export interface SettingsOptions {
  readonly transferIpv4: string;
  readonly transferIpv6: string;
  readonly managementIpv4: string;
}

export function settingsYaml(o: SettingsOptions): string {
  return `# GGI-Netwerk: network-wide settings (docs/inventory.md, "ggi.yaml").
# Every number that DOMAIN.md marks as unverified lives here, not in code.
network:
  name: GGI-Netwerk
  # Documentation ASN range (RFC 5398); a real deployment uses the backbone's own ASN.
  backboneAsn: 64500

zones:
  overheid:
    description: Diginetwerk; reaches the Diginetwerk services behind the KPS
    ipv6Categories: [diginetwerk]
  markt:
    description: suppliers admitted under the GGI-Afspraken
    ipv6Categories: [besloten]

# Overheidsbreed IPv6-nummerplankader (DOMAIN.md section 1).
numberingPlan:
  blocks:
    gemeente: ${BLOCKS.gemeente}
    provincie: ${BLOCKS.provincie}
    waterschap: ${BLOCKS.waterschap}
    samenwerkingsverband: ${BLOCKS.samenwerkingsverband}
    leverancier: ${BLOCKS.leverancier}
  allocationLength: 46
  # The 13 bits between a /33 block and a /46: assumed until Logius confirms the layout (DOMAIN.md 1.5).
  layout:
    organisationBits: 11
    categoryBits: 2
    order: organisation-category
    status: assumed
  categories:
    - { name: internet, code: ${CATEGORY_CODES.internet}, internet: true, description: used towards the internet; first /48 assigned }
    - { name: diginetwerk, code: ${CATEGORY_CODES.diginetwerk}, description: closed government networks (zone overheid) }
    - { name: besloten, code: ${CATEGORY_CODES.besloten}, description: closed use with suppliers (zone markt) }
    - { name: reserve, code: ${CATEGORY_CODES.reserve}, description: held in reserve }
  quarantineDays: 180
  subAllocationLengths: [48, 56, 64]
  # Example handles only: replace with the real RIPE contacts before exporting objects.
  ripe:
    country: NL
    adminC: EXAMPLE1-RIPE
    techC: EXAMPLE2-RIPE
    mntBy: EXAMPLE-GGI-MNT
    netnamePrefix: GGI
    source: RIPE

diginetwerk:
  # GGI-Netwerk as a Koppelnetwerk towards the KPS (documentation ASNs, RFC 5398).
  koppelnetAsn: 64500
  kpsAsn: 64501
  maxPrefixFromKps: 1000
  maxPrefixToKps: 5000
  allowDefaultRoute: false
  # Documentation and benchmarking ranges (RFC 5737, RFC 3849, RFC 9637, RFC 2544) stand in for registered addresses
  # in this example; a production inventory leaves this out, and such addresses are refused towards Diginetwerk.
  documentationAddresses: true

# Point-to-point transfer networks and lab management addresses (RFC 2544 benchmarking space, RFC 3849 documentation).
transfer:
  ipv4: ${o.transferIpv4}
  ipv6: ${o.transferIpv6}
  managementIpv4: ${o.managementIpv4}

cloud:
  region: eu-central-1
  hubAsn: 64512
  backend:
    type: local
    path: terraform.{stack}.tfstate

profiles:
  lab:
    description: the lab maps the government blocks into RFC 9637 documentation space, keeping every lower bit
    remap:
      - { from: 2a07:3500::/30, to: 3fff:500::/30 }
`;
}
