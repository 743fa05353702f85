import type { Loc, SourceIndex } from './source';
import type {
  DeviceDecl,
  GovroamDecl,
  GuardrailDecl,
  LedgerEntryDecl,
  LedgerSlotDecl,
  OrganisationDecl,
  RuleDecl,
  ServiceDecl,
  Settings,
  VeiligDecl,
} from './schema';

/**
 * The loaded inventory: plain, schema-checked data. Every entity keeps `loc`, the file and YAML path it was declared
 * at, so any module can report a finding at the exact node.
 */
export type Located<T> = T & { readonly loc: Loc };

export type Organisation = Located<OrganisationDecl>;
export type Device = Located<DeviceDecl>;
export type Service = Located<ServiceDecl>;
/** `order` is the rule's global position (files in name order, rules in file order): first match wins. */
export type PolicyRule = Located<RuleDecl> & { readonly order: number };
export type Guardrail = Located<GuardrailDecl>;
export type LedgerEntry = Located<LedgerEntryDecl> & { readonly index: number };
export type LedgerSlot = Located<LedgerSlotDecl>;
export type Govroam = Located<GovroamDecl>;
export type Veilig = Located<VeiligDecl>;

export interface Ledger {
  /** The ledger file as shown in findings (it may not exist yet). */
  readonly file: string;
  readonly slots: LedgerSlot[];
  readonly entries: LedgerEntry[];
}

export interface Inventory {
  /** The inventory folder as given by the user. */
  readonly dir: string;
  /** The profile the addresses are seen through (`default` or e.g. `lab`). */
  readonly profile: string;
  readonly settings: Located<Settings>;
  readonly organisations: Organisation[];
  readonly devices: Device[];
  readonly services: Service[];
  readonly rules: PolicyRule[];
  readonly guardrails: Guardrail[];
  readonly govroam: Govroam | null;
  /** `veilig.yaml` (GGI-Veilig); absent in inventories that predate it (validate warns). */
  readonly veilig?: Veilig | null;
  readonly ledger: Ledger;
  readonly sources: SourceIndex;
}

/** Indexes for lookups that checks and domain modules need often. */
export interface InventoryIndex {
  readonly orgs: ReadonlyMap<string, Organisation>;
  readonly devices: ReadonlyMap<string, Device>;
  readonly services: ReadonlyMap<string, Service>;
  /** Samenwerkingsverband id -> its member organisations. */
  readonly members: ReadonlyMap<string, Organisation[]>;
}

export function indexInventory(inv: Inventory): InventoryIndex {
  const orgs = new Map<string, Organisation>();
  for (const o of inv.organisations) if (!orgs.has(o.id)) orgs.set(o.id, o);
  const devices = new Map<string, Device>();
  for (const d of inv.devices) if (!devices.has(d.id)) devices.set(d.id, d);
  const services = new Map<string, Service>();
  for (const s of inv.services) if (!services.has(s.name)) services.set(s.name, s);
  const members = new Map<string, Organisation[]>();
  for (const o of inv.organisations) {
    if (!o.servedBy) continue;
    const list = members.get(o.servedBy) ?? [];
    list.push(o);
    members.set(o.servedBy, list);
  }
  return { orgs, devices, services, members };
}

/**
 * The organisation whose connection point carries `org`'s traffic: itself, or the samenwerkingsverband serving it.
 * Null when neither has a connection point.
 */
export function connectingOrganisation(idx: InventoryIndex, org: Organisation): Organisation | null {
  if (org.connectionPoint) return org;
  if (org.servedBy) {
    const sv = idx.orgs.get(org.servedBy);
    if (sv?.connectionPoint) return sv;
  }
  return null;
}
