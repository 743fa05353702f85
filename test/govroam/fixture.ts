import * as fs from 'node:fs';
import * as path from 'node:path';
import { MINIMAL_SETTINGS, tmpInventory } from '../helpers/tmp-inventory';

/**
 * A small govroam federation as an inventory folder: GM0001 a service provider (sp.example), GM0002 an identity
 * provider (idp.example, proxyAddress declared) whose FreeRADIUS sits on its proxy's address, GM0003 both (proxy
 * address from its device). Addresses are documentation
 * space and match the lab test's namespaces.
 */
export const ADDR = {
  nas: '192.0.2.10',
  spNasSide: '192.0.2.1',
  sp: '198.51.100.1',
  nlrs: '198.51.100.2',
  idp: '198.51.100.3',
  both: '198.51.100.4',
} as const;

export const NAS_SECRET_ENV = 'GOVROAM_NAS_SECRET_GM0001';
export const IDP_SECRET_ENV = 'GGI_TEST_IDP_RADIUS_SECRET';

export interface FixtureOptions {
  /** Replaces the whole govroam.yaml. */
  govroam?: string;
  /** Replaces policy/guardrails.yaml. */
  policy?: string;
  /** Extra files. */
  files?: Record<string, string>;
}

export const GUARDRAILS = `guardrails:
  - id: govroam-visitors-not-overheid
    never: { from: { segments: [govroam-visitor] }, to: { zone: overheid } }
    reason: govroam visitors reach neither zone (DOMAIN.md rule 17)
  - id: govroam-visitors-not-markt
    never: { from: { segments: [govroam-visitor] }, to: { zone: markt } }
    reason: govroam visitors reach neither zone (DOMAIN.md rule 17)
`;

export const GOVROAM = `nlrs:
  - name: nl-1
    address: ${ADDR.nlrs}
    transport: radsec
naptrService: x-govroam:radius.tls
minimumLogRetentionDays: 180
participants:
  - organisation: GM0001
    realms: [sp.example]
    roles: [sp]
    ssid: govroam
    security: wpa2-enterprise
    visitorSegment: govroam-visitor
    servers:
      - { name: proxy, address: ${ADDR.sp}, transport: radsec }
    logRetentionDays: 180
    device: gm0001-radius
    nas:
      - { name: aps, prefix: 192.0.2.0/24, secret: { env: ${NAS_SECRET_ENV} } }
  - organisation: GM0002
    realms: [idp.example]
    roles: [idp]
    servers:
      - { name: radius-1, address: ${ADDR.idp}, transport: udp, secret: { env: ${IDP_SECRET_ENV} } }
    logRetentionDays: 365
    naptr: { flags: S, service: x-govroam:radius.tls, regexp: "", replacement: _radsec._tcp.idp.example }
    proxyAddress: ${ADDR.idp}
  - organisation: GM0003
    realms: [both.example, staff.both.example]
    roles: [idp, sp]
    visitorSegment: gasten
    servers:
      - { name: radius-1, address: ${ADDR.both}, port: 11812, transport: udp, secret: { env: ${IDP_SECRET_ENV} } }
    logRetentionDays: 200
    device: gm0003-radius
    nas:
      - { name: controllers, prefix: 203.0.113.128/27, secret: { env: GOVROAM_NAS_SECRET_GM0003 } }
      - { name: controllers-v6, prefix: "2001:db8:3::/64", secret: { env: GOVROAM_NAS_SECRET_GM0003 } }
`;

function org(id: string, name: string, segments: string): string {
  return `id: ${id}
kind: gemeente
name: ${name}
segments:
${segments}`;
}

export function fixtureFiles(opts: FixtureOptions = {}): Record<string, string> {
  return {
    'ggi.yaml': MINIMAL_SETTINGS,
    'organisations/gm0001.yaml': org('GM0001', 'Gemeente Een', `  - { name: beheer, purpose: management, ipv4: 192.0.2.0/24 }
  - { name: govroam-visitor, purpose: govroam-visitor, ipv4: 203.0.113.0/26, vlan: 300 }
`),
    'organisations/gm0002.yaml': org('GM0002', 'Gemeente Twee', `  - { name: kantoor, purpose: staff, ipv4: 203.0.113.64/26 }
`),
    'organisations/gm0003.yaml': org('GM0003', 'Gemeente Drie', `  - { name: beheer, purpose: management, ipv4: 203.0.113.128/27 }
  - { name: gasten, purpose: govroam-visitor, ipv4: 203.0.113.160/27 }
`),
    'devices/radius.yaml': `devices:
  - { id: gm0001-radius, role: radius, organisation: GM0001, management: { address: ${ADDR.sp} } }
  - { id: gm0002-radius, role: radius, organisation: GM0002, management: { address: ${ADDR.idp} } }
  - { id: gm0003-radius, role: radius, organisation: GM0003, management: { address: ${ADDR.both} } }
`,
    'policy/guardrails.yaml': opts.policy ?? GUARDRAILS,
    'govroam.yaml': opts.govroam ?? GOVROAM,
    ...(opts.files ?? {}),
  };
}

export function fixtureInventory(opts: FixtureOptions = {}): string {
  return tmpInventory(fixtureFiles(opts));
}

/** The fixture's gemeenten under CBS codes in force: commands that hand out files run on an inventory that validates. */
const CBS: Record<string, string> = { GM0001: 'GM0014', GM0002: 'GM0034', GM0003: 'GM0037' };
export function withCbsIds(dir: string): void {
  const rename = (t: string) => t.replace(/\b(GM|gm)000([123])\b/g, (m) => (m === m.toUpperCase() ? CBS[m] : CBS[m.toUpperCase()].toLowerCase()));
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else {
        fs.writeFileSync(p, rename(fs.readFileSync(p, 'utf8')));
        if (rename(e.name) !== e.name) fs.renameSync(p, path.join(d, rename(e.name)));
      }
    }
  };
  walk(dir);
}
