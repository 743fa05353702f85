import { veiligYaml } from './veilig';
import { parse as parseYamlText } from 'yaml';
import { loadGemeenten, type Gemeente } from '../model/gemeenten';
import { hostAt, sub } from './layout';
import { rng, type Rng } from './prng';
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
  writeFiles,
  type DeviceInput,
  type GuardrailInput,
  type OrgComputed,
  type OrgInput,
  type RuleInput,
  type ServiceInput,
  type Zone,
} from './world';
import { listItem } from '../util/yaml';

/**
 * The full-size synthetic national inventory for benchmarks and scale tests: all 342 real gemeenten of
 * data/gemeenten.csv, synthetic samenwerkingsverbanden (SV1001…) and suppliers (LV1001…), a ledger consistent with the
 * layout, services, devices, govroam and a large policy. Deterministic from the seed (mulberry32); pure apart from
 * reading the CSV.
 */

export interface NationalOptions {
  seed: number;
  /** Policy rules in total (default 20,000), split over about 20 files. */
  rules?: number;
  /** Default 40, each serving 2–6 gemeenten. */
  samenwerkingsverbanden?: number;
  /** Default 100, about 90 of them signed. */
  suppliers?: number;
  /** Defaults to data/gemeenten.csv. */
  gemeenten?: readonly Gemeente[];
}

const REGION_WORDS = ['Noord', 'Zuid', 'Oost', 'West', 'Midden', 'Rivierenland', 'Kust', 'Heuvelland', 'Polder', 'Veen', 'Delta', 'Kempen', 'Vallei', 'Duin', 'Heide', 'Waddenkust', 'Bollenstreek', 'Achterhoek', 'Peel', 'Gooi'];
const SUPPLIER_WORDS = ['Wolk', 'Data', 'Zaak', 'Burger', 'Archief', 'Belasting', 'Sociaal', 'Omgeving', 'Loket', 'Portaal', 'Register', 'Dossier', 'Factuur', 'Afval', 'Parkeer', 'Subsidie'];
const KPS_SERVICES = [
  'diginetwerk-brp', 'digid', 'suwinet', 'dso', 'bag', 'brk', 'nhr', 'bgt', 'brt', 'woz', 'rni', 'mijnoverheid',
  'berichtenbox', 'eherkenning', 'digipoort', 'stuf-testplatform', 'landelijke-voorziening-wkpb', 'gba-v', 'bsn-koppelregister', 'vrijstellingen',
  'inlichtingenbureau', 'cjib', 'kvk-dataservice', 'diginetwerk-dns', 'diginetwerk-ntp',
];
const OWNERS = ['netwerkbeheer', 'sociaal-domein', 'belastingen', 'omgevingswet', 'informatiebeheer', 'ggi-veilig', 'burgerzaken', 'inkoop-en-contractbeheer'];


/** Address n of a pool of /len blocks starting at base (IPv4 dotted). */
function v4Block(base: string, len: number, n: number): string {
  const [a, b, c, d] = base.split('.').map(Number);
  const start = ((a << 24) >>> 0) + (b << 16) + (c << 8) + d;
  const v = start + n * 2 ** (32 - len);
  return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}/${len}`;
}

function slug(name: string): string {
  return name
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/\(.*?\)/g, '')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

interface World {
  orgs: OrgComputed[];
  kpsServices: ServiceInput[];
  marktServices: ServiceInput[];
  devices: DeviceInput[];
  ces: DeviceInput[];
  supplierRouters: DeviceInput[];
}

function buildWorld(r: Rng, gemeenten: readonly Gemeente[], svCount: number, supplierCount: number): World {
  const plan = defaultPlan();
  // Samenwerkingsverbanden take disjoint groups of 2–6 gemeenten.
  const pool = r.sample(gemeenten.map((g) => g.code), gemeenten.length);
  const memberOf = new Map<string, string>();
  const svs: Array<{ id: string; name: string; members: string[] }> = [];
  let cursor = 0;
  for (let i = 0; i < svCount; i++) {
    const id = `SV${1001 + i}`;
    const size = r.int(2, 6);
    const members = pool.slice(cursor, cursor + size);
    cursor += size;
    if (members.length < 2) throw new Error(`not enough gemeenten for ${svCount} samenwerkingsverbanden`);
    for (const m of members) memberOf.set(m, id);
    svs.push({ id, name: `Samenwerkingsverband ${REGION_WORDS[i % REGION_WORDS.length]} ${Math.floor(i / REGION_WORDS.length) + 1} (synthetisch)`, members });
  }

  let overheidV4 = 0;
  let marktV4 = 0;
  let publicIdx = 0;
  const publicAddress = (): string => {
    const i = publicIdx++;
    if (i < 254) return `198.51.100.${i + 1}`;
    if (i < 508) return `203.0.113.${i - 253}`;
    throw new Error('more connecting organisations than documentation public addresses');
  };
  const ipv4For = (zones: Zone[]): OrgInput['ipv4'] => ({
    overheid: zones.includes('overheid') ? [v4Block('198.18.64.0', 29, overheidV4++)] : undefined,
    markt: zones.includes('markt') ? [v4Block('198.18.96.0', 29, marktV4++)] : undefined,
  });

  const inputs: OrgInput[] = [];
  gemeenten.forEach((g, slot) => {
    const visitor = r.chance(0.25);
    const base: OrgInput = {
      id: g.code,
      kind: 'gemeente',
      name: g.name,
      province: g.province,
      slot,
      categories: ['diginetwerk', 'besloten', ...(visitor ? ['internet'] : [])],
      staffSegment: true,
      visitor: visitor ? {} : undefined,
      source: r.chance(0.1) ? 'logius' : 'ggi',
    };
    const sv = memberOf.get(g.code);
    if (sv) {
      inputs.push({ ...base, servedBy: sv });
      return;
    }
    const zones: Zone[] = r.chance(0.9) ? ['overheid', 'markt'] : ['overheid'];
    inputs.push({ ...base, ipv4: ipv4For(zones), connection: { site: `Stadhuis ${g.name}`, zones, asn: organisationAsn(g.code), publicAddress: publicAddress(), bandwidthMbps: r.pick([100, 1000, 10000]) } });
  });
  svs.forEach((sv, slot) => {
    inputs.push(samenwerkingsverbandInput(sv, slot, { site: `Werkorganisatie ${sv.id}`, ipv4: ipv4For(['overheid', 'markt']), publicAddress: publicAddress(), bandwidthMbps: 10000 }));
  });
  for (let i = 0; i < supplierCount; i++) {
    const id = `LV${1001 + i}`;
    const name = `${SUPPLIER_WORDS[i % SUPPLIER_WORDS.length]}${REGION_WORDS[Math.floor(i / SUPPLIER_WORDS.length) % REGION_WORDS.length]} B.V. (synthetisch)`;
    if (!r.chance(0.9)) {
      inputs.push({ id, kind: 'leverancier', name, ggiAfspraken: { signed: false } });
      continue;
    }
    const month = String(r.int(1, 12)).padStart(2, '0');
    const day = String(r.int(1, 28)).padStart(2, '0');
    const at = { site: `Datacenter ${name}`, ipv4: { markt: [v4Block('198.18.112.0', 28, i)] }, publicAddress: publicAddress(), bandwidthMbps: 10000 };
    inputs.push(signedSupplierInput({ id, name }, i, at, `${r.pick(['2024', '2025', '2026'])}-${month}-${day}`));
  }
  const orgs = computeOrgs(plan, inputs);

  const kpsServices: ServiceInput[] = KPS_SERVICES.map((name, i) => {
    const dns = name === 'diginetwerk-dns';
    const ntp = name === 'diginetwerk-ntp';
    return {
      name,
      zone: 'overheid',
      provider: 'kps',
      description: `Diginetwerk-dienst ${name} (synthetisch)`,
      prefixes: [v4Block('192.0.2.0', 29, i), `2001:db8:${(0xd00 + i).toString(16)}::/64`],
      listens: dns ? [{ proto: 'udp', ports: [53] }, { proto: 'tcp', ports: [53] }] : ntp ? [{ proto: 'udp', ports: [123] }] : [{ proto: 'tcp', ports: [443] }],
      digikoppeling: !dns && !ntp,
    };
  });
  const marktServices: ServiceInput[] = [];
  for (const o of orgs) {
    if (o.kind !== 'leverancier' || !o.connection) continue;
    const count = r.int(1, 3);
    for (let k = 0; k < count; k++) {
      marktServices.push({
        name: `${o.id.toLowerCase()}-saas-${k + 1}`,
        zone: 'markt',
        provider: o.id,
        description: `SaaS ${k + 1} van ${o.name}`,
        prefixes: [sub(o.alloc.get('besloten')!, 64, k + 1), ...(k < 2 ? [v4Block(o.ipv4!.markt![0].split('/')[0], 29, k)] : [])],
        listens: [{ proto: 'tcp', ports: k === 2 ? [443, '8443-8445'] : [443] }],
      });
    }
  }

  const devices: DeviceInput[] = [
    { id: 'border-overheid', role: 'border-overheid', routerId: '198.18.128.1', asn: 64500, management: { address: '198.19.0.4', hostKey: placeholderHostKey('border-overheid', 'ggi-national') } },
    { id: 'border-markt', role: 'border-markt', routerId: '198.18.128.2', asn: 64500, management: { address: '198.19.0.2', hostKey: placeholderHostKey('border-markt', 'ggi-national') } },
    { id: 'kps-peer', role: 'kps-peer', routerId: '198.18.128.3', asn: 64501, management: { address: '198.19.0.3', hostKey: placeholderHostKey('kps-peer', 'ggi-national') } },
  ];
  const ces: DeviceInput[] = [];
  const supplierRouters: DeviceInput[] = [];
  let n = 16;
  const nextHost = (): { routerId: string; mgmt: string } => {
    const i = n++;
    return { routerId: `198.18.${128 + (i >> 8)}.${i & 255}`, mgmt: `198.19.${i >> 8}.${i & 255}` };
  };
  for (const o of orgs) {
    if (!o.connection) continue;
    const h = nextHost();
    const id = ceId(o.id);
    ces.push({ id, role: 'ce', organisation: o.id, routerId: h.routerId, asn: o.connection.asn, management: { address: h.mgmt, hostKey: placeholderHostKey(id, 'ggi-national') }, site: o.connection.site });
    if (o.kind === 'leverancier') {
      const s = nextHost();
      const sid = `sr-${o.id.toLowerCase()}`;
      supplierRouters.push({ id: sid, role: 'supplier-router', organisation: o.id, routerId: s.routerId, asn: supplierRouterAsn(o.id), management: { address: s.mgmt, hostKey: placeholderHostKey(sid, 'ggi-national') } });
    }
  }
  return { orgs, kpsServices, marktServices, devices, ces, supplierRouters };
}

function portRange(r: Rng): string {
  const lo = 8000 + 10 * r.int(0, 9);
  return `${lo}-${lo + 9}`;
}

function guardrails(): GuardrailInput[] {
  return [
    { id: 'markt-nooit-naar-overheid', never: { from: { zone: 'markt' }, to: { zone: 'overheid' } }, reason: 'markt bereikt overheid nooit' },
    { id: 'govroam-bezoekers-niet-naar-overheid', never: { from: { segments: ['govroam-visitor'] }, to: { zone: 'overheid' } }, reason: 'govroam-bezoekers krijgen alleen internet' },
    { id: 'govroam-bezoekers-niet-naar-markt', never: { from: { segments: ['govroam-visitor'] }, to: { zone: 'markt' } }, reason: 'govroam-bezoekers krijgen alleen internet' },
  ];
}

/**
 * A realistic mix: allows from organisations' Diginetwerk /46s to KPS services on tcp/443 (sometimes port ranges),
 * allows from organisations to supplier SaaS, udp to the resolvers and time servers, icmpv6 monitoring, and denies.
 * Allows into overheid name Diginetwerk prefixes only, so no rule breaks the markt-never-overheid guardrail.
 */
function makeRules(r: Rng, w: World, count: number): RuleInput[] {
  const withDig = w.orgs.filter((o) => o.alloc.has('diginetwerk'));
  const connecting = w.orgs.filter((o) => o.kind !== 'leverancier' && (o.connection || o.servedBy));
  const digSvc = w.kpsServices.filter((s) => s.digikoppeling).map((s) => s.name);
  const udpSvc = w.kpsServices.filter((s) => !s.digikoppeling);
  const marktSvc = w.marktServices.map((s) => s.name);
  const allSvc = [...digSvc, ...marktSvc];
  const digPrefixes = (k: number): string[] => r.sample(withDig, k).map((o) => o.alloc.get('diginetwerk')!);
  const orgIds = (k: number): string[] => r.sample(connecting, k).map((o) => o.id);
  const rules: RuleInput[] = [];
  for (let i = 0; i < count; i++) {
    const id = `rule-${String(i + 1).padStart(5, '0')}`;
    const owner = r.pick(OWNERS);
    const x = r.next();
    let rule: RuleInput;
    // Without admitted suppliers there is no SaaS to reach: those rules go to Diginetwerk services instead.
    if (x < 0.45 || (x < 0.7 && !marktSvc.length)) {
      rule = { id, from: { prefixes: digPrefixes(r.int(1, 3)) }, to: { services: [r.pick(digSvc)] }, proto: 'tcp', ports: [443], action: 'allow', owner, reason: `Diginetwerk-dienst voor deze organisaties (synthetische regel ${i + 1})` };
    } else if (x < 0.7) {
      rule = { id, from: { organisations: orgIds(r.int(1, 3)) }, to: { services: [r.pick(marktSvc)] }, proto: 'tcp', ports: r.chance(0.85) ? [443] : [443, portRange(r)], action: 'allow', owner, reason: `SaaS van een leverancier in markt (synthetische regel ${i + 1})` };
    } else if (x < 0.8) {
      const s = r.pick(udpSvc);
      rule = { id, from: { prefixes: digPrefixes(r.int(1, 2)) }, to: { services: [s.name] }, proto: 'udp', ports: [s.listens[0].ports[0]], action: 'allow', owner: 'netwerkbeheer', reason: `${s.name} over udp (synthetische regel ${i + 1})` };
    } else if (x < 0.85) {
      rule = { id, from: { prefixes: digPrefixes(1) }, to: { services: [r.pick(udpSvc).name] }, proto: 'icmpv6', action: 'allow', owner: 'ggi-veilig', reason: `bereikbaarheidsmonitoring (synthetische regel ${i + 1})` };
    } else {
      rule = { id, from: { organisations: orgIds(1) }, to: { services: [r.pick(allSvc)] }, proto: 'tcp', ports: [r.pick([22, 443, 3389, 445])], action: 'deny', owner, reason: `niet toegestaan voor deze organisatie (synthetische regel ${i + 1})` };
    }
    if (r.chance(0.05)) rule.expires = `20${r.int(28, 35)}-${String(r.int(1, 12)).padStart(2, '0')}-15`;
    rules.push(rule);
  }
  return rules;
}

function govroamYaml(r: Rng, w: World): string {
  const lines = ['nlrs:', '  - { name: nlrs-1, address: 192.0.2.250, transport: radsec }', '  - { name: nlrs-2, address: 192.0.2.251, transport: radsec }', 'participants:'];
  const header = lines.length;
  for (const o of w.orgs) {
    const visitor = o.segments.find((s) => s.purpose === 'govroam-visitor');
    if (!visitor) continue;
    const realm = `${slug(o.name)}.nl`;
    const radsec = r.chance(0.5);
    const address = hostAt(sub(o.alloc.get('diginetwerk')!, 64, 0x20), 2);
    const server = radsec ? { name: 'radius-1', address, transport: 'radsec' } : { name: 'radius-1', address, transport: 'udp', secret: { env: `GOVROAM_SECRET_${o.id}` } };
    const p: Record<string, unknown> = { organisation: o.id, realms: [realm], roles: ['idp', 'sp'], visitorSegment: visitor.name, servers: [server], logRetentionDays: 180 };
    if (radsec) p.naptr = { flags: 'S', service: 'x-govroam:radius.tls', regexp: '', replacement: `_radsec._tcp.${realm}.` };
    lines.push(listItem(p, 2, new Set(['secret', 'naptr'])));
  }
  if (lines.length === header) lines[header - 1] = 'participants: []';
  return `${lines.join('\n')}\n`;
}

/** The full-size inventory: relative path -> YAML text. Same options, same output, byte for byte. */
export function generateNationalInventory(opts: NationalOptions): Map<string, string> {
  const r = rng(opts.seed);
  const gemeenten = opts.gemeenten ?? loadGemeenten();
  const svCount = opts.samenwerkingsverbanden ?? 40;
  const supplierCount = opts.suppliers ?? 100;
  // The documentation address pools bound the sizes: 256 supplier /28s in 198.18.112.0/20, 508 public addresses.
  if (supplierCount > 200) throw new Error(`at most 200 suppliers fit the documentation address pools (asked for ${supplierCount})`);
  if (svCount * 2 > gemeenten.length) throw new Error(`not enough gemeenten for ${svCount} samenwerkingsverbanden of at least 2 members`);
  const w = buildWorld(r, gemeenten, svCount, supplierCount);
  const plan = defaultPlan();
  const files = new Map<string, string>();
  files.set('ggi.yaml', settingsYaml({ transferIpv4: '198.18.0.0/18', transferIpv6: '2001:db8:ffff::/48', managementIpv4: '198.19.0.0/16' }));
  for (const o of w.orgs) files.set(`organisations/${o.id.toLowerCase()}.yaml`, organisationYaml(o));
  files.set('ipv6/ledger.yaml', ledgerYaml(plan, w.orgs, { logiusAt: '2024-03-01T09:00:00Z', ggiStart: '2025-01-06T08:00:00Z', by: 'netwerkbeheer' }, 'Synthetic national ledger (ggi generate national).'));
  files.set('devices/backbone.yaml', devicesYaml(w.devices));
  files.set('devices/ce.yaml', devicesYaml(w.ces));
  files.set('devices/suppliers.yaml', devicesYaml(w.supplierRouters));
  files.set('services/diginetwerk.yaml', servicesYaml(w.kpsServices));
  files.set('services/markt.yaml', servicesYaml(w.marktServices));
  files.set('govroam.yaml', govroamYaml(r, w));
  files.set('veilig.yaml', veiligYaml({ socAddress: '198.19.255.250' }));
  files.set('policy/00-guardrails.yaml', policyYaml([], guardrails()));
  const rules = makeRules(r, w, opts.rules ?? 20000);
  const perFile = Math.max(1, Math.ceil(rules.length / 20));
  for (let f = 0; f * perFile < rules.length || f === 0; f++) {
    files.set(`policy/${String(10 + f).padStart(2, '0')}-rules.yaml`, policyYaml(rules.slice(f * perFile, (f + 1) * perFile)));
  }
  return files;
}

/** Writes generated files into `dir`. */
export function writeInventoryFiles(dir: string, files: ReadonlyMap<string, string>): void {
  writeFiles(dir, files);
}

/**
 * A copy of `files` with `n` policy changes (for the policy-diff benchmark): rules removed, changed (action flipped or
 * ports moved) or added (a variant of an existing rule with a new id). Deterministic from the seed. Guardrail files
 * and other files are returned unchanged. The result always loads, but a flipped deny may break a guardrail: it is
 * meant for diff benchmarks, not as a valid policy.
 */
export function mutatePolicy(files: ReadonlyMap<string, string>, seed: number, n: number): Map<string, string> {
  const r = rng(seed);
  const out = new Map(files);
  const policy = [...files.keys()].filter((k) => /^policy\/[^/]+\.ya?ml$/.test(k)).sort();
  const docs = new Map<string, { rules: RuleInput[]; guardrails: GuardrailInput[] }>();
  for (const k of policy) {
    const d = (parseYamlText(files.get(k)!) ?? {}) as { rules?: RuleInput[]; guardrails?: GuardrailInput[] };
    docs.set(k, { rules: d.rules ?? [], guardrails: d.guardrails ?? [] });
  }
  const withRules = policy.filter((k) => docs.get(k)!.rules.length > 0);
  if (!withRules.length) throw new Error('mutatePolicy: the inventory has no policy rules');
  const touched = new Set<string>();
  for (let i = 0; i < n; i++) {
    const k = r.pick(withRules);
    const rules = docs.get(k)!.rules;
    if (!rules.length) continue;
    const at = r.int(0, rules.length - 1);
    const op = r.next();
    if (op < 0.3 && rules.length > 1) {
      rules.splice(at, 1);
    } else if (op < 0.7) {
      const old = rules[at];
      rules[at] = r.chance(0.5) || old.proto === 'icmp' || old.proto === 'icmpv6' || old.proto === 'any' ? { ...old, action: old.action === 'allow' ? 'deny' : 'allow' } : { ...old, ports: [r.pick([8443, 8080, '9000-9100', 22])] };
    } else {
      const base = rules[at];
      rules.splice(at, 0, { ...base, id: `${base.id}-m${seed}-${i}`, proto: 'tcp', ports: [r.pick([8443, 8080, '9000-9100'])], reason: `${base.reason} (gewijzigd)` });
    }
    touched.add(k);
  }
  for (const k of touched) {
    const d = docs.get(k)!;
    out.set(k, policyYaml(d.rules, d.guardrails));
  }
  return out;
}
