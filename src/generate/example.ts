import { veiligYaml } from './veilig';
import { loadGemeenten, type Gemeente } from '../model/gemeenten';
import { hostAt, sub } from './layout';
import { defaultPlan, settingsYaml } from './settings';
import {
  ceId,
  computeOrgs,
  organisationAsn,
  supplierRouterAsn,
  devicesYaml,
  ledgerYaml,
  organisationYaml,
  placeholderHostKey,
  policyYaml,
  samenwerkingsverbandInput,
  servicesYaml,
  signedSupplierInput,
  type DeviceInput,
  type GuardrailInput,
  type OrgComputed,
  type OrgInput,
  type RuleInput,
  type ServiceInput,
  type Zone,
  writeFiles,
} from './world';
import { comment, listItem } from '../util/yaml';

/**
 * The example national inventory shipped in inventory/ (the embedded default). It is written by this script so that
 * every derived number (the /46 of each organisation under the layout, segments inside them, device addresses) is
 * computed rather than typed. Gemeente codes, names and provinces come from data/gemeenten.csv.
 *
 * Regenerate with `ggi generate example --out inventory` (src/cli/commands/generate.ts).
 */

/** Gemeenten with their own connection point; the last field lists the zones they join. */
const DIRECT: ReadonlyArray<[code: string, zones: Zone[]]> = [
  ['GM0014', ['overheid', 'markt']],
  ['GM0034', ['overheid', 'markt']],
  ['GM0080', ['overheid', 'markt']],
  ['GM0106', ['overheid']],
  ['GM0153', ['overheid', 'markt']],
  ['GM0193', ['overheid', 'markt']],
  ['GM0200', ['overheid', 'markt']],
  ['GM0202', ['overheid', 'markt']],
  ['GM0268', ['overheid', 'markt']],
  ['GM0307', ['overheid', 'markt']],
  ['GM0344', ['overheid', 'markt']],
  ['GM0361', ['overheid', 'markt']],
  ['GM0363', ['overheid', 'markt']],
  ['GM0392', ['overheid', 'markt']],
  ['GM0503', ['overheid', 'markt']],
  ['GM0518', ['overheid', 'markt']],
  ['GM0546', ['overheid', 'markt']],
  ['GM0599', ['overheid', 'markt']],
  ['GM0687', ['overheid']],
  ['GM0758', ['overheid', 'markt']],
  ['GM0772', ['overheid', 'markt']],
  ['GM0855', ['overheid', 'markt']],
  ['GM0865', ['overheid', 'markt']],
  ['GM0935', ['overheid', 'markt']],
];

/** Samenwerkingsverbanden (real shared-service organisations) and the gemeenten they serve. */
const SAMENWERKINGSVERBANDEN: ReadonlyArray<{ id: string; name: string; site: string; members: string[] }> = [
  { id: 'SV0001', name: 'BUCH Werkorganisatie', site: 'Werkorganisatie BUCH, Heiloo', members: ['GM0373', 'GM0450', 'GM0383', 'GM0399'] },
  { id: 'SV0002', name: 'Werkorganisatie Duivenvoorde', site: 'Werkorganisatie Duivenvoorde, Wassenaar', members: ['GM0626', 'GM0629'] },
  { id: 'SV0003', name: 'HLTsamen', site: 'HLTsamen, Sassenheim', members: ['GM0534', 'GM0553', 'GM1525'] },
];

/** Connection points with a CE pair (connectionPoint.secondDevice): two CEs on one site, each with its own uplinks. */
const CE_PAIRS = new Set(['GM0599']);
const secondCeId = (code: string) => `${ceId(code)}-2`;

/** Gemeenten with a govroam visitor network (and an internet /46 whose first /48 is assigned). */
const GOVROAM = ['GM0546', 'GM0363', 'GM0153', 'GM0344', 'GM0865', 'GM0014'];
/** The gemeente whose govroam visitor network a Kea DHCP appliance serves (it has a connection point of its own). */
const DHCP_AT = 'GM0546';
const dhcpId = (code: string) => `dhcp-${code.toLowerCase()}`;
const REALMS: Record<string, string> = {
  GM0546: 'leiden.nl',
  GM0363: 'amsterdam.nl',
  GM0153: 'enschede.nl',
  GM0344: 'utrecht.nl',
  GM0865: 'vught.nl',
  GM0014: 'groningen.nl',
};
/** Gemeenten that declare the nameservers of their ip6.arpa zones (dns.nameservers). */
const DNS_DELEGATED = new Set(['GM0546', 'GM0363', 'GM0344', 'GM0014']);
/** Allocations issued by Logius and imported as data. */
const LOGIUS = new Set(['GM0546', 'GM0363', 'GM0153']);

/** Suppliers (fictitious companies): two have signed the GGI-Afspraken, the third not yet. */
const SUPPLIERS: ReadonlyArray<{ id: string; name: string; site: string; signed: boolean; date?: string }> = [
  { id: 'LV0001', name: 'Zaakwolk B.V. (voorbeeld)', site: 'Datacenter Zaakwolk, Amsterdam', signed: true, date: '2025-03-14' },
  { id: 'LV0002', name: 'Belastingportaal B.V. (voorbeeld)', site: 'Datacenter Belastingportaal, Groningen', signed: true, date: '2025-09-01' },
  { id: 'LV0003', name: 'Nieuwkomer Hosting B.V. (voorbeeld)', site: 'Datacenter Nieuwkomer, Eindhoven', signed: false },
];



export interface ExampleWorld {
  orgs: OrgComputed[];
  devices: DeviceInput[];
  services: ServiceInput[];
}

/** Builds the example inventory: relative path -> YAML text. */
export function buildExampleInventory(gemeenten: readonly Gemeente[] = loadGemeenten()): Map<string, string> {
  const byCode = new Map(gemeenten.map((g) => [g.code, g]));
  const gm = (code: string): Gemeente => {
    const g = byCode.get(code);
    if (!g) throw new Error(`${code} is not in data/gemeenten.csv`);
    return g;
  };
  const plan = defaultPlan();

  const inputs: OrgInput[] = [];
  const memberOf = new Map<string, string>();
  for (const sv of SAMENWERKINGSVERBANDEN) for (const m of sv.members) memberOf.set(m, sv.id);
  const gemeenteCodes = [...DIRECT.map(([c]) => c), ...memberOf.keys()].sort();
  const zonesOf = new Map(DIRECT);

  // Connecting organisations, in a fixed order, get the IPv4 blocks and public addresses in turn.
  let overheidV4 = 0;
  let marktV4 = 0;
  let publicIdx = 0;
  let visitorIdx = 0;
  const connect = (zones: Zone[]): Pick<OrgInput, 'ipv4'> & { publicAddress: string } => {
    const ipv4: { overheid?: string[]; markt?: string[] } = {};
    if (zones.includes('overheid')) ipv4.overheid = [`198.51.100.${8 * overheidV4++}/29`];
    if (zones.includes('markt') && marktV4 < 8) ipv4.markt = [`203.0.113.${8 * marktV4++}/29`];
    return { ipv4, publicAddress: `203.0.113.${129 + publicIdx++}` };
  };

  gemeenteCodes.forEach((code, slot) => {
    const g = gm(code);
    const visitor = GOVROAM.includes(code);
    const categories = ['diginetwerk', 'besloten', ...(visitor ? ['internet'] : [])];
    const base: OrgInput = { id: g.code, kind: 'gemeente', name: g.name, province: g.province, slot, categories, staffSegment: true, source: LOGIUS.has(code) ? 'logius' : 'ggi' };
    if (visitor) {
      const v4 = 64 + 8 * visitorIdx++;
      // The first visitor network is served by a DHCP appliance (router .1, pool .2-.5, appliance .6 of the /29).
      const dhcp = code === DHCP_AT ? { server: dhcpId(code), ipv4Pool: { first: `192.0.2.${v4 + 2}`, last: `192.0.2.${v4 + 5}` } } : undefined;
      base.visitor = { ipv4: `192.0.2.${v4}/29`, ...(dhcp ? { dhcp } : {}) };
      base.managementSegment = true;
    }
    const sv = memberOf.get(code);
    if (sv) {
      inputs.push({ ...base, servedBy: sv, note: `${g.name}: served by ${sv}; it keeps its own prefixes behind the shared connection point.` });
      return;
    }
    const zones = zonesOf.get(code)!;
    const c = connect(zones);
    inputs.push({ ...base, ipv4: c.ipv4, connection: { site: `Stadhuis ${g.name}`, zones, asn: organisationAsn(code), publicAddress: c.publicAddress, bandwidthMbps: 1000 } });
  });
  SAMENWERKINGSVERBANDEN.forEach((sv, slot) => {
    const c = connect(['overheid', 'markt']);
    const names = sv.members.map((m) => gm(m).name).join(', ');
    inputs.push(samenwerkingsverbandInput(sv, slot, { site: sv.site, ...c, bandwidthMbps: 1000 }, `${sv.name}: one connection point for ${names}.`));
  });
  {
    const c = connect(['overheid']);
    inputs.push({
      id: 'PV28',
      kind: 'provincie',
      name: 'Provincie Zuid-Holland',
      slot: 0,
      categories: ['diginetwerk', 'besloten'],
      staffSegment: true,
      ipv4: c.ipv4,
      connection: { site: 'Provinciehuis Zuid-Holland, Den Haag', zones: ['overheid'], asn: organisationAsn('PV28'), publicAddress: c.publicAddress, bandwidthMbps: 1000 },
    });
  }
  SUPPLIERS.forEach((s, slot) => {
    if (!s.signed) {
      inputs.push({ id: s.id, kind: 'leverancier', name: s.name, ggiAfspraken: { signed: false }, note: `${s.name}: has not signed the GGI-Afspraken yet, so it has no connection point and offers nothing in markt.` });
      return;
    }
    inputs.push(signedSupplierInput(s, slot, { site: s.site, ipv4: { markt: [`203.0.113.${64 + 16 * slot}/28`] }, publicAddress: `203.0.113.${129 + publicIdx++}`, bandwidthMbps: 10000 }, s.date));
  });

  // A single CE is a single point of failure (validate: RESILIENCE_SINGLE_CE): one connection point has a CE pair
  // (connectionPoint.secondDevice), the others record the single CE as an accepted risk with a reason. Four gemeenten
  // declare their nameservers for the ip6.arpa delegations.
  for (const o of inputs) {
    if (!o.connection) continue;
    if (CE_PAIRS.has(o.id)) o.connection.secondDevice = secondCeId(o.id);
    else
      o.connection.acceptedRisk =
        o.kind === 'leverancier'
          ? { reason: 'Eén CE: de dienst in markt heeft een eigen uitwijklocatie buiten GGI-Netwerk', until: '2027-12-31', by: 'netwerkbeheer' }
          : { reason: 'Eén CE op de locatie, met een uplink naar elke border: een storing van de CE raakt alleen deze aansluiting; een tweede CE komt bij de vervanging', until: '2027-12-31', by: 'netwerkbeheer' };
    if (o.kind === 'gemeente' && DNS_DELEGATED.has(o.id)) o.dns = { nameservers: [`ns1.${REALMS[o.id]}`, `ns2.${REALMS[o.id]}`] };
  }
  const orgs = computeOrgs(plan, inputs);
  const org = (id: string): OrgComputed => orgs.find((o) => o.id === id)!;

  // Devices: two borders per zone and two KPS peerings, one in each data centre (DOMAIN.md §2.3: the KPS sits in two
  // data centres and a Koppelnetwerk connects to both), one CE per connection point (two for a CE pair), a router per
  // admitted supplier. 198.19.0.1, the first host of managementIpv4, is left free: the lab puts its management bridge there.
  const devices: DeviceInput[] = [
    { id: 'border-overheid', role: 'border-overheid', routerId: '192.0.2.1', asn: 64500, management: { address: '198.19.0.4', hostKey: placeholderHostKey('border-overheid') }, site: 'GGI-Netwerk kern, datacenter A' },
    { id: 'border-overheid-2', role: 'border-overheid', routerId: '192.0.2.4', asn: 64500, management: { address: '198.19.0.5', hostKey: placeholderHostKey('border-overheid-2') }, site: 'GGI-Netwerk kern, datacenter B' },
    { id: 'border-markt', role: 'border-markt', routerId: '192.0.2.2', asn: 64500, management: { address: '198.19.0.2', hostKey: placeholderHostKey('border-markt') }, site: 'GGI-Netwerk kern, datacenter B' },
    { id: 'border-markt-2', role: 'border-markt', routerId: '192.0.2.5', asn: 64500, management: { address: '198.19.0.6', hostKey: placeholderHostKey('border-markt-2') }, site: 'GGI-Netwerk kern, datacenter A' },
    { id: 'kps-peer', role: 'kps-peer', routerId: '192.0.2.3', asn: 64501, management: { address: '198.19.0.3', hostKey: placeholderHostKey('kps-peer') }, site: 'KPS-datacenter 1 (stands for the Logius side)' },
    { id: 'kps-peer-2', role: 'kps-peer', routerId: '192.0.2.6', asn: 64501, management: { address: '198.19.0.7', hostKey: placeholderHostKey('kps-peer-2') }, site: 'KPS-datacenter 2 (stands for the Logius side)' },
  ];
  const ces: DeviceInput[] = [];
  orgs
    .filter((o) => o.connection)
    .forEach((o, i) => {
      const id = ceId(o.id);
      ces.push({ id, role: 'ce', organisation: o.id, routerId: `192.0.2.${10 + i}`, asn: o.connection!.asn, management: { address: `198.19.1.${1 + i}`, hostKey: placeholderHostKey(id) }, site: o.connection!.site });
    });
  // The second CE of each pair: the same site, ASN and organisation; its own router id and management address.
  orgs
    .filter((o) => o.connection?.secondDevice)
    .forEach((o, j) => {
      const id = o.connection!.secondDevice!;
      ces.push({ id, role: 'ce', organisation: o.id, routerId: `192.0.2.${60 + j}`, asn: o.connection!.asn, management: { address: `198.19.1.${201 + j}`, hostKey: placeholderHostKey(id) }, site: o.connection!.site });
    });
  const supplierRouters: DeviceInput[] = SUPPLIERS.filter((s) => s.signed).map((s, j) => ({
    id: `sr-${s.id.toLowerCase()}`,
    role: 'supplier-router',
    organisation: s.id,
    routerId: `192.0.2.${50 + j}`,
    asn: supplierRouterAsn(s.id),
    management: { address: `198.19.2.${1 + j}`, hostKey: placeholderHostKey(`sr-${s.id.toLowerCase()}`) },
    site: s.site,
  }));

  // govroam: each participant's radsecproxy runs on a RADIUS server of its own (role radius).
  const radius: DeviceInput[] = GOVROAM.map((code, i) => ({
    id: `radius-${code.toLowerCase()}`,
    role: 'radius',
    platform: 'radius',
    organisation: code,
    management: { address: `198.19.3.${1 + i}`, hostKey: placeholderHostKey(`radius-${code.toLowerCase()}`) },
    site: `Stadhuis ${gm(code).name}`,
  }));

  // Diginetwerk services of Rijk bodies: documentation addresses only (they lie outside the GGI blocks).
  const dig = (name: string, description: string, n: number, listens: ServiceInput['listens'], digikoppeling: boolean): ServiceInput => ({
    name,
    zone: 'overheid',
    provider: 'kps',
    description,
    prefixes: [`192.0.2.${128 + 8 * n}/29`, `2001:db8:d${n + 1}::/64`],
    listens,
    digikoppeling,
  });
  const https: ServiceInput['listens'] = [{ proto: 'tcp', ports: [443] }];
  const digServices: ServiceInput[] = [
    dig('diginetwerk-brp', 'Basisregistratie Personen (RvIG): BRP-bevraging via Diginetwerk', 0, https, true),
    dig('digid', 'DigiD-koppeling (Logius) voor gemeentelijke e-diensten', 1, https, true),
    dig('suwinet', 'Suwinet-Inkijk (BKWI) voor de sociale dienst', 2, https, true),
    dig('dso', 'Digitaal Stelsel Omgevingswet (DSO-LV), koppelvlak voor bevoegd gezag', 3, https, true),
    dig('diginetwerk-dns', 'resolvers voor diginetwerk.net', 4, [{ proto: 'udp', ports: [53] }, { proto: 'tcp', ports: [53] }], false),
  ];
  const lv1 = org('LV0001');
  const lv2 = org('LV0002');
  const marktServices: ServiceInput[] = [
    { name: 'zaakwolk-zaken', zone: 'markt', provider: 'LV0001', description: 'zaaksysteem (SaaS) van Zaakwolk', prefixes: [sub(lv1.alloc.get('besloten')!, 64, 1), '203.0.113.64/29'], listens: https },
    { name: 'zaakwolk-archief', zone: 'markt', provider: 'LV0001', description: 'e-depot van Zaakwolk: HTTPS en SFTP-aanlevering', prefixes: [sub(lv1.alloc.get('besloten')!, 64, 2), '203.0.113.72/29'], listens: [{ proto: 'tcp', ports: [443, 22] }] },
    { name: 'belastingportaal', zone: 'markt', provider: 'LV0002', description: 'belastingen en WOZ (SaaS) van Belastingportaal', prefixes: [sub(lv2.alloc.get('besloten')!, 64, 1), '203.0.113.80/29'], listens: https },
  ];

  const files = new Map<string, string>();
  files.set('ggi.yaml', settingsYaml({ transferIpv4: '198.18.0.0/16', transferIpv6: '2001:db8:ffff::/48', managementIpv4: '198.19.0.0/16' }));
  for (const o of orgs) files.set(`organisations/${o.id.toLowerCase()}.yaml`, organisationYaml(o));
  files.set(
    'ipv6/ledger.yaml',
    ledgerYaml(plan, orgs, { logiusAt: '2024-03-01T09:00:00Z', ggiStart: '2025-06-02T08:00:00Z', by: 'netwerkbeheer' }, 'IPv6 ledger: every prefix handed out. Entries are never deleted; a release quarantines them.\n/46 = block + ((slot << categoryBits) | category code) << (128 - 46) under the assumed layout (src/generate/layout.ts).'),
  );
  files.set('devices/backbone.yaml', devicesYaml(devices, 'The backbone: two borders per zone and the peerings with the KPS in its two data centres.\nHost keys in the example are well-formed placeholders; the lab replaces them with its real keys.'));
  files.set('devices/ce.yaml', devicesYaml(ces, 'One CE per connection point (role ce, organisation set); a CE pair has a second one (connectionPoint.secondDevice).'));
  files.set('devices/suppliers.yaml', devicesYaml(supplierRouters, "Routers in the admitted suppliers' networks, behind their CEs, where their markt services live."));
  // A Kea DHCP appliance, driven through its Control Agent's API, serves the first govroam visitor network.
  const dhcpDevices: DeviceInput[] = [
    {
      id: dhcpId(DHCP_AT),
      role: 'dhcp',
      platform: 'kea',
      organisation: DHCP_AT,
      management: { address: '198.19.4.1', port: 8000, user: 'ggi', password: { env: `GGI_KEA_PASSWORD_${DHCP_AT}` } },
      site: `Stadhuis ${gm(DHCP_AT).name}`,
    },
  ];
  files.set('devices/dhcp.yaml', devicesYaml(dhcpDevices, 'DHCP appliances (role dhcp, platform kea): they serve the segments whose dhcp block names them (docs/kea.md).'));
  files.set('devices/radius.yaml', devicesYaml(radius, 'govroam: the RADIUS servers that run each participant\'s radsecproxy (govroam.yaml participants[].device).'));
  files.set('services/diginetwerk.yaml', servicesYaml(digServices, 'Diginetwerk services behind the KPS (zone overheid). Rijk bodies are outside the GGI blocks:\nthe example uses documentation addresses (RFC 5737, RFC 3849) only.'));
  files.set('services/markt.yaml', servicesYaml(marktServices, 'Supplier services in markt: only suppliers that signed the GGI-Afspraken offer anything here.'));

  const dig46 = (id: string): string => org(id).alloc.get('diginetwerk')!;
  const bes46 = (id: string): string => org(id).alloc.get('besloten')!;
  files.set('policy/00-guardrails.yaml', policyYaml([], guardrails(), 'Guardrails: invariants no rule may break (ggi policy lint shows a violating packet).'));
  const labels = new Map<string, string>();
  for (const o of orgs) for (const [cat, p] of o.alloc) labels.set(p, `${o.name}, ${cat}`);
  files.set('policy/10-overheid.yaml', policyYaml(overheidRules(dig46), [], 'Zone overheid: gemeenten and Diginetwerk services behind the KPS. First match wins; default deny.', labels));
  files.set('policy/20-markt.yaml', policyYaml(marktRules(bes46), [], 'Zone markt: gemeenten and the SaaS of admitted suppliers.', labels));
  files.set('govroam.yaml', govroamYaml(orgs));
  files.set('veilig.yaml', veiligYaml({ socAddress: '198.19.255.250' }));
  return files;
}

function guardrails(): GuardrailInput[] {
  return [
    { id: 'markt-nooit-naar-overheid', never: { from: { zone: 'markt' }, to: { zone: 'overheid' } }, reason: 'de zones wisselen nooit verkeer uit: markt bereikt overheid nooit' },
    { id: 'overheid-nooit-naar-markt', never: { from: { zone: 'overheid' }, to: { zone: 'markt' } }, reason: 'Diginetwerk-adressen spreken nooit met leveranciers; daarvoor is de besloten categorie' },
    { id: 'govroam-bezoekers-niet-naar-overheid', never: { from: { segments: ['govroam-visitor'] }, to: { zone: 'overheid' } }, reason: 'govroam-bezoekers krijgen alleen internet (DOMAIN.md 5 regel 17)' },
    { id: 'govroam-bezoekers-niet-naar-markt', never: { from: { segments: ['govroam-visitor'] }, to: { zone: 'markt' } }, reason: 'govroam-bezoekers krijgen alleen internet (DOMAIN.md 5 regel 17)' },
  ];
}

function overheidRules(dig46: (id: string) => string): RuleInput[] {
  const owner = 'netwerkbeheer';
  return [
    { id: 'suwinet-vught-nog-niet', from: { organisations: ['GM0865'] }, to: { services: ['suwinet'] }, proto: 'tcp', ports: [443], action: 'deny', owner: 'sociaal-domein', reason: 'Vught heeft de SUWI-autorisatie nog niet; tot de aansluitcontrole klaar is', expires: '2027-03-31' },
    { id: 'brp-bevraging', from: { zone: 'overheid' }, to: { services: ['diginetwerk-brp'] }, proto: 'tcp', ports: [443], action: 'allow', owner, reason: 'Gemeenten bevragen de BRP via Diginetwerk (Digikoppeling, TLS op 443)' },
    { id: 'digid-koppeling', from: { zone: 'overheid' }, to: { services: ['digid'] }, proto: 'tcp', ports: [443], action: 'allow', owner, reason: 'E-diensten van gemeenten authenticeren burgers met DigiD' },
    {
      id: 'suwinet-inkijk',
      from: { prefixes: ['GM0546', 'GM0363', 'GM0153', 'GM0599', 'GM0518', 'GM0865', 'GM0344'].map(dig46) },
      to: { services: ['suwinet'] },
      proto: 'tcp',
      ports: [443],
      action: 'allow',
      owner: 'sociaal-domein',
      reason: 'Sociale diensten met SUWI-autorisatie gebruiken Suwinet-Inkijk',
    },
    { id: 'dso-omgevingsloket', from: { zone: 'overheid' }, to: { services: ['dso'] }, proto: 'tcp', ports: [443], action: 'allow', owner: 'omgevingswet', reason: 'Gemeenten zijn bevoegd gezag in het DSO (Omgevingswet)' },
    { id: 'diginetwerk-dns-udp', from: { zone: 'overheid' }, to: { services: ['diginetwerk-dns'] }, proto: 'udp', ports: [53], action: 'allow', owner, reason: 'Namen onder diginetwerk.net oplossen' },
    { id: 'diginetwerk-dns-tcp', from: { zone: 'overheid' }, to: { services: ['diginetwerk-dns'] }, proto: 'tcp', ports: [53], action: 'allow', owner, reason: 'DNS over TCP voor grote antwoorden (DNSSEC)' },
    // Digikoppeling services answer tcp/443 only (DOMAIN.md 5 rule 13), so monitoring pings the resolvers.
    { id: 'monitoring-icmpv6', from: { zone: 'overheid' }, to: { services: ['diginetwerk-dns'] }, proto: 'icmpv6', action: 'allow', owner: 'ggi-veilig', reason: 'Bereikbaarheidsmonitoring van de Diginetwerk-resolvers (ping)' },
    { id: 'monitoring-icmp', from: { zone: 'overheid' }, to: { services: ['diginetwerk-dns'] }, proto: 'icmp', action: 'allow', owner: 'ggi-veilig', reason: 'Bereikbaarheidsmonitoring van de Diginetwerk-resolvers over IPv4 (ping)' },
  ];
}

function marktRules(bes46: (id: string) => string): RuleInput[] {
  const owner = 'inkoop-en-contractbeheer';
  return [
    { id: 'zaakwolk-zaaksysteem', from: { zone: 'markt' }, to: { services: ['zaakwolk-zaken'] }, proto: 'tcp', ports: [443], action: 'allow', owner, reason: 'Gemeenten gebruiken het zaaksysteem van Zaakwolk (GGI-Afspraken getekend)' },
    { id: 'zaakwolk-archief-https', from: { zone: 'markt' }, to: { services: ['zaakwolk-archief'] }, proto: 'tcp', ports: [443], action: 'allow', owner, reason: 'Archiveren in het e-depot van Zaakwolk' },
    {
      id: 'zaakwolk-archief-sftp',
      from: { prefixes: ['GM0363', 'GM0599', 'GM0344'].map(bes46) },
      to: { services: ['zaakwolk-archief'] },
      proto: 'tcp',
      ports: [22],
      action: 'allow',
      owner: 'informatiebeheer',
      reason: 'Bulkaanlevering aan het e-depot per SFTP voor de drie gemeenten die dat hebben afgesproken',
    },
    { id: 'belastingportaal', from: { zone: 'markt' }, to: { services: ['belastingportaal'] }, proto: 'tcp', ports: [443], action: 'allow', owner, reason: 'Belastingen en WOZ in de SaaS van Belastingportaal' },
    { id: 'markt-monitoring-icmpv6', from: { zone: 'markt' }, to: { services: ['zaakwolk-zaken', 'zaakwolk-archief', 'belastingportaal'] }, proto: 'icmpv6', action: 'allow', owner: 'ggi-veilig', reason: 'Bereikbaarheidsmonitoring van leveranciersdiensten (ping)' },
  ];
}

function govroamYaml(orgs: readonly OrgComputed[]): string {
  const lines: string[] = [];
  lines.push(comment('govroam: the national proxies (NLRS) of Stichting govroam and each participant.\nShared secrets are never written here: they are read from the environment at run time.'));
  lines.push('nlrs:');
  lines.push('  - { name: nlrs-1, address: 192.0.2.250, transport: radsec }');
  lines.push('  - { name: nlrs-2, address: 192.0.2.251, transport: radsec }');
  lines.push('naptrService: x-govroam:radius.tls');
  lines.push('minimumLogRetentionDays: 180');
  lines.push('participants:');
  for (const code of GOVROAM) {
    const o = orgs.find((x) => x.id === code)!;
    const realm = REALMS[code];
    const v4 = o.ipv4?.overheid?.[0];
    const radsec = code === 'GM0546' || code === 'GM0153';
    const servers = [
      radsec
        ? { name: 'radius-1', address: hostAt(v4!, 2), transport: 'radsec' }
        : { name: 'radius-1', address: hostAt(v4!, 2), transport: 'udp', secret: { env: `GOVROAM_SECRET_${code}` } },
    ];
    const p: Record<string, unknown> = {
      organisation: code,
      realms: [realm],
      roles: ['idp', 'sp'],
      ssid: 'govroam',
      security: 'wpa2-enterprise',
      visitorSegment: 'govroam-visitor',
      servers,
      logRetentionDays: 180,
      forwardAccounting: false,
      device: `radius-${code.toLowerCase()}`,
      proxyAddress: hostAt(v4!, 3),
      nas: [{ name: 'wlan-controllers', prefix: o.segments.find((x) => x.purpose === 'management')!.ipv6, secret: { env: `GOVROAM_NAS_SECRET_${code}` } }],
    };
    if (code === 'GM0546') p.naptr = { order: 100, preference: 10, flags: 'S', service: 'x-govroam:radius.tls', regexp: '', replacement: `_radsec._tcp.${realm}.` };
    lines.push(listItem(p, 2, new Set(['secret'])));
  }
  return `${lines.join('\n')}\n`;
}


/** Writes the example inventory into `dir` (the only I/O here). */
export function writeExampleInventory(dir: string): number {
  const files = buildExampleInventory();
  writeFiles(dir, files);
  return files.size;
}
