import { createHash } from 'node:crypto';
import { allocationPrefix, sub, type LayoutParams } from './layout';
import { block, comment, flow, listItem, type Flow } from '../util/yaml';
import { makeDirectory } from '../util/directory';

/**
 * The shared model behind every generated inventory (the example in inventory/ and the full-size national one): a
 * list of organisations with their plan inputs, from which the organisation files, the IPv6 ledger, the devices and the
 * addresses of segments are derived consistently. Pure: text in, text out.
 */

export type Zone = 'overheid' | 'markt';
export type Kind = 'gemeente' | 'samenwerkingsverband' | 'provincie' | 'waterschap' | 'leverancier';

export interface OrgInput {
  id: string;
  kind: Kind;
  name: string;
  province?: string;
  servedBy?: string;
  connection?: { site: string; zones: Zone[]; asn: number; publicAddress: string; bandwidthMbps?: number; secondDevice?: string; acceptedRisk?: { reason: string; until?: string; by?: string } };
  /** Authoritative nameservers (the NS records of its ip6.arpa delegations). */
  dns?: { nameservers: string[] };
  ipv4?: { overheid?: string[]; markt?: string[] };
  /** Position in its numbering-plan block; absent: the organisation has no IPv6 allocation yet. */
  slot?: number;
  /** Categories that get a /46. */
  categories?: string[];
  /** A staff /64 in the diginetwerk /46 (needs that category). */
  staffSegment?: boolean;
  /** A management /64 in the diginetwerk /46 (access points and WLAN controllers live here; govroam NAS clients). */
  managementSegment?: boolean;
  /**
   * A govroam visitor /64 in the first (internet-routed) /48 of the internet /46, plus optional IPv4; `dhcp`: served by
   * a DHCP appliance (the /64 is then allocated in the ledger, as DHCPv6 needs).
   */
  visitor?: { ipv4?: string; dhcp?: { server: string; ipv4Pool?: { first: string; last: string } } };
  ggiAfspraken?: { signed: boolean; date?: string };
  /** `logius`: the /46s were issued by Logius and imported; `ggi`: computed by ggi. */
  source?: 'logius' | 'ggi';
  contact?: string;
  /** Free-text comment written at the top of the file. */
  note?: string;
}

export interface Plan {
  readonly layouts: Record<Kind, LayoutParams>;
  readonly categoryCodes: Record<string, number>;
  readonly internetCategory: string;
}

export interface OrgComputed extends OrgInput {
  /** category -> /46 */
  readonly alloc: ReadonlyMap<string, string>;
  readonly segments: Array<Record<string, unknown>>;
}

/** The govroam visitor /64: in the first (internet-routed) /48 of the internet /46. */
function visitorV6(inet: string): string {
  return sub(sub(inet, 48, 0), 64, 0x100);
}

/** Computes each organisation's /46s and segments under the plan. */
export function computeOrgs(plan: Plan, orgs: readonly OrgInput[]): OrgComputed[] {
  return orgs.map((o) => {
    const alloc = new Map<string, string>();
    if (o.slot !== undefined) {
      const cats = [...(o.categories ?? [])].sort((a, b) => plan.categoryCodes[a] - plan.categoryCodes[b]);
      for (const c of cats) {
        const code = plan.categoryCodes[c];
        if (code === undefined) throw new Error(`unknown category ${c}`);
        alloc.set(c, allocationPrefix(plan.layouts[o.kind], o.slot, code));
      }
    }
    const segments: Array<Record<string, unknown>> = [];
    const dig = alloc.get('diginetwerk');
    if (o.staffSegment && dig) segments.push({ name: 'kantoor', purpose: 'staff', ipv6: sub(dig, 64, 0x10), vlan: 10 });
    if (o.managementSegment && dig) segments.push({ name: 'beheer', purpose: 'management', ipv6: sub(dig, 64, 0xf0), vlan: 99 });
    const inet = alloc.get(plan.internetCategory);
    if (o.visitor && inet) {
      segments.push({ name: 'govroam-visitor', purpose: 'govroam-visitor', ipv6: visitorV6(inet), ipv4: o.visitor.ipv4, vlan: 300, internetRouted: true, dhcp: o.visitor.dhcp });
    }
    return { ...o, alloc, segments };
  });
}

export function organisationYaml(o: OrgComputed): string {
  const doc: Record<string, unknown> = {
    id: o.id,
    kind: o.kind,
    name: o.name,
    province: o.province,
    servedBy: o.servedBy,
    connectionPoint: o.connection
      ? { site: o.connection.site, device: ceId(o.id), zones: o.connection.zones, asn: o.connection.asn, publicAddress: o.connection.publicAddress, bandwidthMbps: o.connection.bandwidthMbps, secondDevice: o.connection.secondDevice, acceptedRisk: o.connection.acceptedRisk }
      : undefined,
    ipv4: o.ipv4 && (o.ipv4.overheid?.length || o.ipv4.markt?.length) ? { overheid: o.ipv4.overheid?.length ? o.ipv4.overheid : undefined, markt: o.ipv4.markt?.length ? o.ipv4.markt : undefined } : undefined,
    segments: o.segments.length ? o.segments : undefined,
    ggiAfspraken: o.ggiAfspraken,
    contact: o.contact,
    dns: o.dns,
  };
  const head = o.note ? `${comment(o.note)}\n` : '';
  return `${head}${block(doc, 0, new Set(['ggiAfspraken']))}\n`;
}

/** Where a connected organisation is: its connection point and its IPv4 blocks. */
export interface ConnectionAt {
  site: string;
  ipv4?: OrgInput['ipv4'];
  publicAddress: string;
  bandwidthMbps: number;
}

/** A samenwerkingsverband: one connection point, in overheid and markt, for the gemeenten it serves. */
export function samenwerkingsverbandInput(sv: { id: string; name: string }, slot: number, at: ConnectionAt, note?: string): OrgInput {
  const zones: Zone[] = ['overheid', 'markt'];
  return {
    id: sv.id,
    kind: 'samenwerkingsverband',
    name: sv.name,
    slot,
    categories: ['diginetwerk', 'besloten'],
    staffSegment: true,
    ipv4: at.ipv4,
    connection: { site: at.site, zones, asn: organisationAsn(sv.id), publicAddress: at.publicAddress, bandwidthMbps: at.bandwidthMbps },
    ...(note !== undefined ? { note } : {}),
  };
}

/** A supplier that signed the GGI-Afspraken on `date`: a connection point in markt only. */
export function signedSupplierInput(s: { id: string; name: string }, slot: number, at: ConnectionAt, date: string | undefined): OrgInput {
  return {
    id: s.id,
    kind: 'leverancier',
    name: s.name,
    slot,
    categories: ['besloten'],
    ipv4: at.ipv4,
    connection: { site: at.site, zones: ['markt'], asn: organisationAsn(s.id), publicAddress: at.publicAddress, bandwidthMbps: at.bandwidthMbps },
    ggiAfspraken: { signed: true, date },
  };
}

/** An organisation's CE ASN, readable from its id (RFC 6996 private 4-byte range): GM0546 -> 4200000546, SV0001 -> 4200010001. */
export function organisationAsn(id: string): number {
  const base: Record<string, number> = { GM: 4200000000, SV: 4200010000, PV: 4200020000, LV: 4200030000, WS: 4200040000 };
  return base[id.slice(0, 2)] + Number(id.slice(2));
}

/** A supplier router's own ASN (it peers eBGP with border-markt): 4200200000 + the LV number. */
export function supplierRouterAsn(id: string): number {
  return 4200200000 + Number(id.slice(2));
}

export function ceId(orgId: string): string {
  return `ce-${orgId.toLowerCase()}`;
}

/** A well-formed placeholder host-key fingerprint (SHA256 + 43 base64 characters), stable per device id. */
export function placeholderHostKey(deviceId: string, salt = 'ggi-example'): string {
  return `SHA256:${createHash('sha256').update(`${salt}:${deviceId}`).digest('base64').replace(/=+$/, '')}`;
}

export interface LedgerOptions {
  /** Timestamp of Logius-imported entries and the start for ggi-computed ones (one hour apart, in org order). */
  readonly logiusAt: string;
  readonly ggiStart: string;
  readonly by: string;
}

/** `ipv6/ledger.yaml`: slots in block order, then one /46 per (organisation, category) and the internet /48s. */
export function ledgerYaml(plan: Plan, orgs: readonly OrgComputed[], opts: LedgerOptions, header = ''): string {
  // The block key is the kind: ggi.yaml names one block per kind (provincie and waterschap may share a prefix).
  const slots = orgs.filter((o) => o.slot !== undefined).map((o) => ({ organisation: o.id, block: o.kind, slot: o.slot as number }));
  const lines: string[] = [];
  if (header) lines.push(comment(header));
  lines.push('version: 1');
  lines.push('slots:');
  for (const s of slots) lines.push(`  - ${flow(s as unknown as Flow)}`);
  lines.push('entries:');
  const start = Date.parse(opts.ggiStart);
  let n = 0;
  for (const o of orgs) {
    if (!o.alloc.size) continue;
    const source = o.source ?? 'ggi';
    const at = source === 'logius' ? opts.logiusAt : new Date(start + n++ * 3600_000).toISOString().replace('.000Z', 'Z');
    const by = source === 'logius' ? 'logius-import' : opts.by;
    for (const [cat, prefix] of o.alloc) {
      lines.push(listItem({ prefix, organisation: o.id, category: cat, status: 'allocated', purpose: `${purposeOf(cat)} van ${o.name}`, source, by, at }, 2));
      if (cat === plan.internetCategory) {
        lines.push(
          listItem({ prefix: sub(prefix, 48, 0), organisation: o.id, category: cat, status: 'assigned', purpose: `internet-routed /48 van ${o.name} (eerste /48, N2 regel 4)`, source, parent: prefix, internetRouted: true, by, at }, 2),
        );
        // A visitor segment served by DHCPv6 hands out addresses of its own /64 allocation.
        if (o.visitor?.dhcp) lines.push(listItem({ prefix: visitorV6(prefix), organisation: o.id, category: cat, status: 'allocated', purpose: `govroam-bezoekers (DHCPv6) van ${o.name}`, source, parent: sub(prefix, 48, 0), by, at }, 2));
      }
    }
  }
  return `${lines.join('\n')}\n`;
}

function purposeOf(cat: string): string {
  switch (cat) {
    case 'internet':
      return 'internetadressen';
    case 'diginetwerk':
      return 'Diginetwerk-adressen (zone overheid)';
    case 'besloten':
      return 'besloten adressen (zone markt)';
    default:
      return `categorie ${cat}`;
  }
}

export interface DeviceInput {
  id: string;
  role: 'ce' | 'border-overheid' | 'border-markt' | 'kps-peer' | 'supplier-router' | 'radius' | 'dhcp';
  /** Default linux-frr. */
  platform?: 'linux-frr' | 'radius' | 'kea';
  organisation?: string;
  routerId?: string;
  asn?: number;
  /** `port`, `password`: an appliance's API (platform kea). */
  management: { address: string; port?: number; user?: string; hostKey?: string; password?: { env: string } };
  site?: string;
}

export function devicesYaml(devices: readonly DeviceInput[], header = ''): string {
  const lines: string[] = [];
  if (header) lines.push(comment(header));
  lines.push(devices.length ? 'devices:' : 'devices: []');
  for (const d of devices) {
    const m = d.management;
    lines.push(listItem({ id: d.id, role: d.role, platform: d.platform ?? 'linux-frr', organisation: d.organisation, routerId: d.routerId, asn: d.asn, management: { address: m.address, port: m.port, user: m.user ?? 'ggi', hostKey: m.hostKey, password: m.password }, site: d.site }, 2));
  }
  return `${lines.join('\n')}\n`;
}

export interface ServiceInput {
  name: string;
  zone: Zone;
  provider: string;
  description?: string;
  prefixes: string[];
  listens: Array<{ proto: 'tcp' | 'udp'; ports: Array<number | string> }>;
  digikoppeling?: boolean;
}

export function servicesYaml(services: readonly ServiceInput[], header = ''): string {
  const lines: string[] = [];
  if (header) lines.push(comment(header));
  lines.push(services.length ? 'services:' : 'services: []');
  for (const s of services) {
    lines.push(listItem({ name: s.name, zone: s.zone, provider: s.provider, description: s.description, prefixes: s.prefixes, listens: s.listens, digikoppeling: s.digikoppeling }, 2, new Set(['listens'])));
  }
  return `${lines.join('\n')}\n`;
}

export type Selector = { zone: Zone } | { organisations: string[] } | { services: string[] } | { prefixes: string[] } | { segments: string[] };

export interface RuleInput {
  id: string;
  from: Selector;
  to: Selector;
  proto: 'tcp' | 'udp' | 'icmp' | 'icmpv6' | 'any';
  ports?: Array<number | string>;
  action: 'allow' | 'deny';
  owner: string;
  reason: string;
  expires?: string;
}

export interface GuardrailInput {
  id: string;
  never: { from: Selector; to: Selector };
  reason: string;
}

/**
 * A policy file. `labels` names prefixes (e.g. 'Leiden, diginetwerk'): a prefixes selector is then written as a block
 * list with the label as a comment after each prefix, so a reviewer sees whose addresses a rule names.
 */
export function policyYaml(rules: readonly RuleInput[], guardrails: readonly GuardrailInput[] = [], header = '', labels?: ReadonlyMap<string, string>): string {
  const lines: string[] = [];
  if (header) lines.push(comment(header));
  if (guardrails.length) {
    lines.push('guardrails:');
    for (const g of guardrails) lines.push(listItem({ id: g.id, never: { from: g.never.from, to: g.never.to }, reason: g.reason }, 2, new Set(['from', 'to'])));
  }
  if (rules.length || !guardrails.length) {
    lines.push(rules.length ? 'rules:' : 'rules: []');
    for (const r of rules) {
      const text = listItem({ id: r.id, from: r.from, to: r.to, proto: r.proto, ports: r.ports, action: r.action, owner: r.owner, reason: r.reason, expires: r.expires }, 2, new Set(['from', 'to']));
      lines.push(labels ? labelPrefixes(text, r, labels) : text);
    }
  }
  return `${lines.join('\n')}\n`;
}

function labelPrefixes(text: string, r: RuleInput, labels: ReadonlyMap<string, string>): string {
  let out = text;
  for (const side of ['from', 'to'] as const) {
    const sel = r[side];
    if (!('prefixes' in sel) || !sel.prefixes.every((p) => labels.has(p))) continue;
    const flowLine = `    ${side}: ${flow(sel as unknown as Flow)}`;
    const blockText = [`    ${side}:`, '      prefixes:', ...sel.prefixes.map((p) => `        - ${p} # ${labels.get(p)}`)].join('\n');
    out = out.replace(flowLine, blockText);
  }
  return out;
}

/** Writes the map of relative path -> text into a folder (creating sub-folders). The only I/O of the generators. */
export function writeFiles(dir: string, files: ReadonlyMap<string, string>): void {
  // Required lazily so the pure builders stay importable without touching the file system.
  const fs = require('node:fs') as typeof import('node:fs');
  const path = require('node:path') as typeof import('node:path');
  for (const [rel, text] of files) {
    const full = path.join(dir, rel);
    makeDirectory(path.dirname(full));
    fs.writeFileSync(full, text);
  }
}
