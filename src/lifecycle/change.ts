import { isMap, isSeq, parseDocument, type Document, type YAMLMap } from 'yaml';
import type { Inventory, Organisation } from '../model/inventory';
import type { ZoneName } from '../model/schema';
import { stamp, stripLoaded } from '../ipv6/ledger';
import { allocate, isActive, planFromSettings, release, type LedgerChanges, type LedgerData, type NumberingPlan, type PlanKind } from '../ipv6';
import { LEDGER_REL, renderLedger, type LedgerRead } from '../ipv6/store';
import { block } from '../util/yaml';
import type { ChangeSet } from './commit';

/**
 * The lifecycle changes of an organisation as change sets: which files get which new text. Pure over the loaded
 * inventory, the files' current text and the ledger as read; the command validates the result and writes it.
 * Organisation files are edited through the `yaml` document, so an engineer's comments stay.
 */

export class LifecycleError extends Error {}

/** Reads an inventory file's current text (relative path), or null. */
export type ReadText = (rel: string) => string | null;

export interface Context {
  readonly inv: Inventory;
  readonly read: ReadText;
  readonly ledger: Extract<LedgerRead, { ok: true }>;
  readonly now: Date;
  readonly who: string;
  /** Builds the scaffold of a new connection point and CE (onboard's), for `--own-connection-point`. */
  readonly scaffold: (inv: Inventory, x: { id: string; kind: Organisation['kind']; name: string; zones: ZoneName[]; site?: string; allocated: Array<{ category: string; prefix: string }> }) => Record<string, unknown>;
}

/** The inventory-relative path of a loaded file (loc.file is shown relative to the working folder). */
export function relOf(inv: Inventory, shown: string): string {
  const dir = inv.dir.replace(/\/+$/, '');
  const i = shown.lastIndexOf(`${dir}/`);
  if (shown.startsWith(`${dir}/`)) return shown.slice(dir.length + 1);
  if (i >= 0) return shown.slice(i + dir.length + 1);
  // Fall back on the layout: the path from the inventory's own top folders.
  const m = /(?:^|\/)((?:organisations|devices|services|policy|ipv6)\/[^/]+|govroam\.yaml|veilig\.yaml|ggi\.yaml)$/.exec(shown);
  if (!m) throw new LifecycleError(`cannot place ${shown} inside the inventory ${inv.dir}`);
  return m[1];
}

function planOf(inv: Inventory): NumberingPlan {
  const p = planFromSettings(inv.settings).plan;
  if (!p) throw new LifecycleError("the numbering plan in ggi.yaml is inconsistent: run 'ggi validate'");
  return p;
}

/** Ledger edits accumulated over several pure ledger operations, rendered once. */
class LedgerEdit {
  data: LedgerData;
  readonly changes: { added: LedgerChanges['added'][number][]; addedSlots: LedgerChanges['addedSlots'][number][]; updated: Map<number, LedgerChanges['updated'][number]['entry']> } = { added: [], addedSlots: [], updated: new Map() };
  constructor(private readonly read: Extract<LedgerRead, { ok: true }>) {
    this.data = read.data;
  }
  take(r: ReturnType<typeof allocate>, what: string): void {
    if (!r.ok) throw new LifecycleError(`${what}: ${r.problem.message}`);
    this.data = r.ledger;
    this.changes.added.push(...r.changes.added);
    this.changes.addedSlots.push(...r.changes.addedSlots);
    for (const u of r.changes.updated) this.changes.updated.set(u.index, u.entry);
  }
  /** Replaces one entry (by its index in the file): a transfer to a successor. */
  update(index: number, entry: LedgerData['entries'][number]): void {
    const entries = [...this.data.entries];
    entries[index] = entry;
    this.data = { ...this.data, entries };
    this.changes.updated.set(index, entry);
  }
  get changed(): boolean {
    return this.changes.added.length > 0 || this.changes.addedSlots.length > 0 || this.changes.updated.size > 0;
  }
  render(): string {
    const changes: LedgerChanges = { added: this.changes.added, addedSlots: this.changes.addedSlots, updated: [...this.changes.updated].map(([index, entry]) => ({ index, entry })) };
    return renderLedger(this.read.text, this.read.doc, this.read.tails, this.data, changes);
  }
}

/** The /46 of every category of these zones that the organisation does not hold yet: allocated (never released). */
function allocateZones(c: Context, le: LedgerEdit, org: Organisation, zones: readonly ZoneName[]): Array<{ category: string; prefix: string; created: boolean }> {
  const plan = planOf(c.inv);
  const out: Array<{ category: string; prefix: string; created: boolean }> = [];
  for (const category of [...new Set(zones.map((z) => c.inv.settings.zones[z].ipv6Categories[0]))]) {
    const r = allocate(le.data, { organisation: org.id, kind: org.kind as PlanKind, category, purpose: `${category} (${zones.join(', ')})` }, plan, c.now, c.who);
    le.take(r, `allocating the ${category} /46 of ${org.id}`);
    if (r.ok) out.push({ category, prefix: r.entry.prefix, created: r.created });
  }
  return out;
}

function doc(text: string, rel: string): Document.Parsed {
  const d = parseDocument(text);
  if (d.errors.length || !isMap(d.contents)) throw new LifecycleError(`${rel} is not a YAML mapping: run 'ggi validate'`);
  return d;
}

function render(d: Document.Parsed): string {
  // As the inventory is written by hand and by src/util/yaml.ts: `{ a: 1 }` but `[a, b]`; zones in flow style.
  const zones = d.getIn(['connectionPoint', 'zones'], true);
  if (isSeq(zones)) zones.flow = true;
  return d.toString({ lineWidth: 0 }).replace(/\[ ([^[\]\n]*?) \]/g, '[$1]');
}

/** Sets `key` in a top-level map, placing a new key right after `after` (the first of them present). */
function setAfter(d: Document.Parsed, key: string, value: unknown, after: string[]): void {
  const map = d.contents as YAMLMap;
  if (map.has(key)) {
    map.set(key, d.createNode(value));
    return;
  }
  const pair = d.createPair(key, value);
  const idx = after.map((a) => map.items.findIndex((p) => String((p.key as { value?: unknown })?.value ?? p.key) === a)).find((i) => i >= 0);
  if (idx === undefined) map.items.push(pair as never);
  else map.items.splice(idx + 1, 0, pair as never);
}

/** Removes the devices of these ids from a file's `devices:` sequence; the key goes when it is left empty (org files). */
function dropDevices(d: Document.Parsed, ids: ReadonlySet<string>, keepEmpty: boolean): boolean {
  const seq = (d.contents as YAMLMap).get('devices', true);
  if (!isSeq(seq)) return false;
  const before = seq.items.length;
  seq.items = seq.items.filter((it) => !(isMap(it) && ids.has(String(it.get('id')))));
  if (seq.items.length === before) return false;
  if (!seq.items.length && !keepEmpty) (d.contents as YAMLMap).delete('devices');
  return true;
}

/** The new text of every devices/*.yaml file that declares one of these devices. */
function removeDevicesElsewhere(c: Context, ids: ReadonlySet<string>, orgRel: string): Record<string, string> {
  const out: Record<string, string> = {};
  const files = new Set(c.inv.devices.filter((d) => ids.has(d.id)).map((d) => relOf(c.inv, d.loc.file)));
  for (const rel of files) {
    if (rel === orgRel) continue;
    const d = doc(c.read(rel) ?? '', rel);
    if (dropDevices(d, ids, true)) out[rel] = render(d);
  }
  return out;
}

export interface Planned {
  change: ChangeSet;
  /** One line per thing done, for the output. */
  notes: string[];
  /** Organisations and devices that leave the desired state. */
  removedDevices: string[];
  addedDevices: string[];
}

function findOrg(inv: Inventory, id: string): Organisation {
  const o = inv.organisations.find((x) => x.id === id);
  if (!o) throw new LifecycleError(`${id} is not an organisation of the inventory`);
  if (o.offboarded) throw new LifecycleError(`${id} was offboarded on ${o.offboarded.at.slice(0, 10)}; it is history`);
  return o;
}

function ordered(ledger: LedgerEdit, orgRel: string, orgText: string | null, others: Record<string, string>): ChangeSet['files'] {
  // The ledger first (a prefix handed out before anything uses it), then the organisation, then what follows from it.
  return [
    ...(ledger.changed ? [{ rel: LEDGER_REL, text: ledger.render() }] : []),
    ...(orgText !== null ? [{ rel: orgRel, text: orgText }] : []),
    ...Object.entries(others)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([rel, text]) => ({ rel, text })),
  ];
}

export type MoveTarget = { servedBy: string } | { own: true; site?: string; zones?: ZoneName[] };

/**
 * Moves an organisation behind a samenwerkingsverband or to a connection point of its own. It keeps its prefixes
 * (its own, by the numbering plan: a slot per organisation, not per connection point) and gets the /46s of any zone
 * it newly reaches. Moving to where it already is changes nothing.
 */
export function planMove(c: Context, id: string, to: MoveTarget): Planned {
  const org = findOrg(c.inv, id);
  if (org.kind === 'samenwerkingsverband' || org.kind === 'leverancier') throw new LifecycleError(`${id} is a ${org.kind}: only gemeenten, provincies and waterschappen move behind a samenwerkingsverband`);
  const orgRel = relOf(c.inv, org.loc.file);
  const orgText = c.read(orgRel);
  if (orgText === null) throw new LifecycleError(`cannot read ${org.loc.file}`);
  const d = doc(orgText, orgRel);
  const le = new LedgerEdit(c.ledger);
  const notes: string[] = [];
  let removed: string[] = [];
  const added: string[] = [];
  let others: Record<string, string> = {};

  if ('servedBy' in to) {
    const sv = c.inv.organisations.find((o) => o.id === to.servedBy);
    if (sv?.kind !== 'samenwerkingsverband' || sv.offboarded) throw new LifecycleError(`--served-by ${to.servedBy}: no samenwerkingsverband with that id in the inventory`);
    if (!sv.connectionPoint) throw new LifecycleError(`--served-by ${to.servedBy}: that samenwerkingsverband has no connection point`);
    if (org.servedBy === sv.id) return { change: { what: `move ${id} --served-by ${sv.id}`, files: [] }, notes: [`${id} is already served by ${sv.id}: nothing to change`], removedDevices: [], addedDevices: [] };
    for (const a of allocateZones(c, le, org, sv.connectionPoint.zones)) if (a.created) notes.push(`allocated ${a.category} ${a.prefix} (it now reaches ${sv.connectionPoint.zones.join(', ')})`);
    const ce = org.connectionPoint?.device;
    (d.contents as YAMLMap).delete('connectionPoint');
    setAfter(d, 'servedBy', sv.id, ['province', 'name']);
    if (ce) {
      removed = [ce];
      dropDevices(d, new Set([ce]), false);
      others = removeDevicesElsewhere(c, new Set([ce]), orgRel);
      notes.push(`removed its CE ${ce} and connection point; its traffic goes through ${sv.connectionPoint.device} of ${sv.id}`);
    } else notes.push(`membership: ${org.servedBy} -> ${sv.id}`);
  } else {
    if (org.connectionPoint) {
      const cp = org.connectionPoint;
      const same = (to.site === undefined || to.site === cp.site) && (!to.zones?.length || [...to.zones].sort().join() === [...cp.zones].sort().join());
      if (same) return { change: { what: `move ${id} --own-connection-point`, files: [] }, notes: [`${id} already has its own connection point (${cp.device}): nothing to change`], removedDevices: [], addedDevices: [] };
      throw new LifecycleError(`${id} already has its own connection point at '${cp.site}' (${cp.zones.join(', ')}); change its site or zones in ${org.loc.file}`);
    }
    const was = org.servedBy ? c.inv.organisations.find((o) => o.id === org.servedBy) : undefined;
    const zones: ZoneName[] = to.zones?.length ? to.zones : was?.connectionPoint ? [...was.connectionPoint.zones] : ['overheid', 'markt'];
    const ce = `ce-${id.toLowerCase()}`;
    if (c.inv.devices.some((x) => x.id === ce)) throw new LifecycleError(`a device ${ce} exists already; remove it before giving ${id} its own connection point`);
    const allocated = allocateZones(c, le, org, zones);
    for (const a of allocated) if (a.created) notes.push(`allocated ${a.category} ${a.prefix}`);
    const scaffolded = c.scaffold(c.inv, { id, kind: org.kind, name: org.name, zones, site: to.site, allocated });
    (d.contents as YAMLMap).delete('servedBy');
    setAfter(d, 'connectionPoint', scaffolded.connectionPoint, ['province', 'name']);
    const devices = (d.contents as YAMLMap).get('devices', true);
    if (isSeq(devices)) for (const dev of scaffolded.devices as unknown[]) devices.items.push(d.createNode(dev) as never);
    else setAfter(d, 'devices', scaffolded.devices, ['connectionPoint']);
    added.push(ce);
    notes.push(`created its connection point and CE ${ce}${was ? `; it leaves ${was.id}` : ''}`);
  }
  const what = 'servedBy' in to ? `move ${id} --served-by ${to.servedBy}` : `move ${id} --own-connection-point`;
  return { change: { what, files: ordered(le, orgRel, render(d), others) }, notes, removedDevices: removed, addedDevices: added };
}

export interface OffboardOptions {
  mergedInto?: string;
  reason?: string;
}

/**
 * An organisation leaves: its prefixes go to quarantine in the ledger (never deleted); its connection point, CE,
 * segments and other devices leave the desired state (so `apply` deconfigures what the borders had for it); its
 * govroam participation ends; its file stays as the record the ledger refers to. Rules that still name it become
 * ORGANISATION_OFFBOARDED findings. With `mergedInto`, its segments go to the successor's file (renamed when a name
 * is taken) and every prefix it holds goes to the successor, the transfer recorded on the ledger entry (`transfers`:
 * from, at, by, reason), so the merged LANs keep their addresses; such a /46 stays in its first holder's slot.
 */
export function planOffboard(c: Context, id: string, opts: OffboardOptions): Planned {
  const was = c.inv.organisations.find((o) => o.id === id)?.offboarded;
  if (was) {
    if (opts.mergedInto && opts.mergedInto !== was.mergedInto) throw new LifecycleError(`${id} was offboarded on ${was.at.slice(0, 10)}${was.mergedInto ? ` and merged into ${was.mergedInto}` : ' without a successor'}, not into ${opts.mergedInto}`);
    return { change: { what: `offboard ${id}`, files: [] }, notes: [`${id} was offboarded on ${was.at.slice(0, 10)}: nothing to change`], removedDevices: [], addedDevices: [] };
  }
  const org = findOrg(c.inv, id);
  const members = c.inv.organisations.filter((o) => o.servedBy === id && !o.offboarded);
  if (members.length) throw new LifecycleError(`${id} serves ${members.map((m) => m.id).join(', ')}: move ${members.length > 1 ? 'them' : 'it'} first ('ggi move ${members[0].id} --own-connection-point' or --served-by another samenwerkingsverband)`);
  let successor: Organisation | undefined;
  if (opts.mergedInto) {
    successor = c.inv.organisations.find((o) => o.id === opts.mergedInto);
    if (!successor || successor.offboarded) throw new LifecycleError(`--merged-into ${opts.mergedInto}: not an organisation of the inventory`);
    if (successor.id === id) throw new LifecycleError('an organisation does not merge into itself');
    if (successor.kind !== org.kind) throw new LifecycleError(`--merged-into ${successor.id}: a ${org.kind} merges into a ${org.kind}, not a ${successor.kind}`);
  }
  const orgRel = relOf(c.inv, org.loc.file);
  const plan = planOf(c.inv);
  const le = new LedgerEdit(c.ledger);
  const notes: string[] = [];
  const reason = opts.reason ?? (successor ? `offboarded: merged into ${successor.id}` : 'offboarded');
  if (successor) {
    // A merger: the successor takes over every prefix in use, with the transfer recorded on the entry, so its
    // addresses (and the segments numbered from them) carry on. What was already quarantined stays with the old id.
    const transfer = { from: id, at: stamp(c.now), by: c.who, reason };
    c.ledger.data.entries.forEach((e, index) => {
      if (e.organisation !== id || !isActive(e)) return;
      const { transfers, ...rest } = stripLoaded(e);
      le.update(index, { ...rest, organisation: successor!.id, transfers: [...(transfers ?? []), transfer] });
      if (!e.parent) notes.push(`transferred ${e.prefix} (${e.category}) to ${successor!.id}`);
    });
  } else {
    for (const e of c.ledger.data.entries) {
      if (e.organisation !== id || e.status === 'quarantined' || e.parent) continue;
      const r = release(le.data, { organisation: id, prefix: e.prefix, reason }, plan, c.now, c.who);
      le.take(r, `quarantining ${e.prefix}`);
      if (r.ok && r.created) notes.push(`quarantined ${e.prefix} (${e.category}) until ${r.entry.released?.quarantineUntil}`);
    }
  }
  // Every device of the organisation leaves the desired state: its CE and anything else it runs (a RADIUS server).
  const gone = new Set(c.inv.devices.filter((x) => x.organisation === id || x.id === org.connectionPoint?.device).map((x) => x.id));
  const others = removeDevicesElsewhere(c, gone, orgRel);
  if (gone.size) notes.push(`removed from the desired state: ${[...gone].sort().join(', ')}`);

  // Its govroam participation ends with it.
  const gv = c.inv.govroam;
  if (gv?.participants.some((p) => p.organisation === id)) {
    const rel = relOf(c.inv, gv.loc.file);
    const d = doc(c.read(rel) ?? '', rel);
    const seq = (d.contents as YAMLMap).get('participants', true);
    if (isSeq(seq)) seq.items = seq.items.filter((it) => !(isMap(it) && String(it.get('organisation')) === id));
    others[rel] = render(d);
    notes.push('ended its govroam participation');
  }

  if (successor && org.segments.length) {
    const sRel = relOf(c.inv, successor.loc.file);
    const d = doc(others[sRel] ?? c.read(sRel) ?? '', sRel);
    const taken = new Set(successor.segments.map((s) => s.name));
    const vlans = new Set(successor.segments.map((s) => s.vlan).filter((v) => v !== undefined));
    let seq = (d.contents as YAMLMap).get('segments', true);
    if (!isSeq(seq)) {
      setAfter(d, 'segments', [], ['ipv4', 'connectionPoint', 'servedBy', 'name']);
      seq = (d.contents as YAMLMap).get('segments', true);
    }
    for (const s of org.segments) {
      const name = taken.has(s.name) ? `${id.toLowerCase()}-${s.name}` : s.name;
      taken.add(name);
      const { loc: _loc, ...plain } = s as typeof s & { loc?: unknown };
      // Its prefixes came along in the ledger: the segment keeps its addresses.
      const seg: Record<string, unknown> = { ...plain, name };
      if (!seg.internetRouted) delete seg.internetRouted;
      if (seg.vlan !== undefined && vlans.has(seg.vlan as number)) delete seg.vlan;
      else if (seg.vlan !== undefined) vlans.add(seg.vlan as number);
      (seq as unknown as { items: unknown[] }).items.push(d.createNode(seg));
      notes.push(`segment ${s.name} of ${id} -> ${successor.id} as ${name}${s.ipv6 ? ` (keeps ${s.ipv6})` : ''}`);
    }
    others[sRel] = render(d);
  }

  const record: Record<string, unknown> = { id: org.id, kind: org.kind, name: org.name };
  if (org.province) record.province = org.province;
  record.offboarded = { at: c.now.toISOString().replace(/\.\d{3}Z$/, 'Z'), by: c.who, reason, ...(successor ? { mergedInto: successor.id } : {}) };
  const header = `# ${org.name} (${org.id}) left GGI-Netwerk on ${c.now.toISOString().slice(0, 10)}${successor ? `, merged into ${successor.id}` : ''}. Kept as the record\n# its quarantined ledger entries refer to: no connection point, membership, segments or devices.\n`;
  const orgText = `${header}${block(record)}\n`;
  return { change: { what: `offboard ${id}${successor ? ` --merged-into ${successor.id}` : ''}`, files: ordered(le, orgRel, orgText, others) }, notes, removedDevices: [...gone].sort(), addedDevices: [] };
}
