import * as path from 'node:path';
import { type Command, type CommandContext, EXIT, flagList, flagString, UsageError, UserError } from '../context';
import { loadValidForCommand } from '../gate';
import { finishInterrupted, STATE_FLAG, withJournal } from '../lifecycle-gate';
import { commitChange } from '../../lifecycle/commit';
import { lifecycleJournal } from '../../reconciler/journal';
import { allocate, planFromSettings, type PlanKind } from '../../ipv6';
import { LEDGER_REL, ledgerLockPath, ledgerPath, LockError, readLedgerFile, renderLedger, withLock } from '../../ipv6/store';
import type { LedgerChanges } from '../../ipv6/ledger';
import { admittedDerde, afsprakenSigned } from '../../model/checks';
import { OverlaySource } from '../../validation/overlay';
import { validateInventory } from '../../validation';
import { formatAddress, formatPrefix, parsePrefix, prefixFirst, prefixLast, subnet } from '../../net';
import type { Inventory, Organisation } from '../../model/inventory';
import type { OrgKind, ZoneName } from '../../model/schema';
import { ORG_ID } from '../../model/schema';
import { block } from '../../util/yaml';
import { operatorName } from '../../util/operator';
import { loadGemeenten } from '../../model/gemeenten';
import { FORMAT_FLAG, printJson } from '../report/output';

const KIND_BY_PREFIX: Record<string, OrgKind> = { GM: 'gemeente', SV: 'samenwerkingsverband', PV: 'provincie', WS: 'waterschap', LV: 'leverancier' };
const ASN_BASE: Record<OrgKind, number> = { gemeente: 4200000000, samenwerkingsverband: 4200100000, provincie: 4200300000, waterschap: 4200400000, leverancier: 4200200000 };

export const commands: Command[] = [
  {
    spec: {
      name: 'onboard',
      summary: 'scaffold an organisation, its connection point and CE (or its samenwerkingsverband membership) and allocate its IPv6',
      positionals: ['ORG'],
      flags: {
        name: { type: 'string', help: 'the organisation name (for a gemeente: its CBS name)' },
        'served-by': { type: 'string', help: 'samenwerkingsverband whose connection point carries its traffic' },
        zones: { type: 'string', help: 'zones the connection point joins (default overheid,markt; suppliers: markt)' },
        site: { type: 'string', help: 'the site of the connection point' },
        'host-key': { type: 'string', help: "the CE's SSH host key fingerprint (SHA256:…), read off the device" },
        signed: { type: 'string', help: 'suppliers: the date (YYYY-MM-DD) the GGI-Afspraken were signed; without it a supplier gets no connection point' },
        state: STATE_FLAG,
        format: FORMAT_FLAG,
      },
      details:
        'Re-running it changes nothing: an existing organisation file is kept, and allocations already held are returned. Flags that contradict an existing file are refused (exit 1) before anything is allocated; change an onboarded organisation in its file. ' +
        'Runs only on an inventory that validates, and writes only what validates. Everything it hands out (prefixes, the management address, the ASN) is chosen holding the ledger lock, from the inventory as it is then, so parallel runs never hand out the same value. ' +
        'A supplier that has not signed the GGI-Afspraken (no --signed date, or one in the future) is scaffolded without a connection point: it reaches no zone until it signs.',
    },
    run: onboard,
  },
];

async function onboard(ctx: CommandContext): Promise<0 | 1> {
  // One lock for reading the inventory, allocating and writing: a parallel onboard reads what this one wrote.
  const file = ledgerPath(path.resolve(ctx.io.cwd, ctx.global.inventory));
  try {
    return await withLock(ledgerLockPath(file), () => {
      // A move or offboard that was interrupted is finished first: it was decided before this onboarding.
      finishInterrupted(ctx);
      return onboardLocked(ctx, file);
    });
  } catch (e) {
    if (e instanceof LockError) throw new UserError(e.message);
    throw e;
  }
}

async function onboardLocked(ctx: CommandContext, file: string): Promise<0 | 1> {
  const id = ctx.args.positionals[0].toUpperCase();
  if (!ORG_ID.test(id)) throw new UsageError(`'${id}' is not an organisation id (GM+4 digits, SV+4, PV+2, WS+4 or LV+4)`);
  const kind = KIND_BY_PREFIX[id.slice(0, 2)];
  const name = flagString(ctx.args, 'name');
  const servedBy = flagString(ctx.args, 'served-by')?.toUpperCase();
  const { inventory: inv } = loadValidForCommand(ctx);
  if (ctx.global.profile !== 'default') throw new UsageError('onboard writes the inventory, so it works on the default profile only');
  const existing = inv.organisations.find((o) => o.id === id);
  const notes: string[] = [];

  if (!existing && !name) throw new UsageError('--name is required for a new organisation');
  if (kind === 'gemeente' && !existing) {
    const cbs = loadGemeenten().find((g) => g.code === id);
    if (!cbs) throw new UserError(`${id} is not a CBS gemeentecode of a current gemeente (data/gemeenten.csv); ids are never invented`);
    if (cbs.name !== name) notes.push(`note: CBS names ${id} '${cbs.name}'; you gave '${name}'`);
  }
  let sv: Organisation | undefined;
  if (servedBy) {
    sv = inv.organisations.find((o) => o.id === servedBy);
    if (sv?.kind !== 'samenwerkingsverband') throw new UserError(`--served-by ${servedBy}: no samenwerkingsverband with that id in the inventory`);
    if (!sv.connectionPoint) throw new UserError(`--served-by ${servedBy}: that samenwerkingsverband has no connection point`);
    if (kind === 'leverancier') throw new UsageError('a supplier is not served by a samenwerkingsverband');
  }
  if (ctx.args.flags.zones !== undefined && !flagList(ctx.args, 'zones').length) throw new UsageError("--zones names at least one zone (overheid, markt); leave it out for the default");
  const zonesFlag = flagList(ctx.args, 'zones');
  for (const z of zonesFlag) if (z !== 'overheid' && z !== 'markt') throw new UsageError(`--zones: unknown zone '${z}' (overheid, markt)`);
  const hostKey = flagString(ctx.args, 'host-key');
  if (hostKey && !/^SHA256:[A-Za-z0-9+/]{43}=?$/.test(hostKey)) throw new UsageError('--host-key is a fingerprint SHA256:<43 base64 characters>, as ssh-keygen -lf prints it');
  const site = flagString(ctx.args, 'site');
  const signedOn = flagString(ctx.args, 'signed');
  if (signedOn !== undefined) {
    if (kind !== 'leverancier') throw new UsageError('--signed records the GGI-Afspraken of a supplier (LV…)');
    if (!/^\d{4}-\d{2}-\d{2}$/.test(signedOn) || new Date(`${signedOn}T00:00:00Z`).toISOString().slice(0, 10) !== signedOn) throw new UsageError(`--signed is a date YYYY-MM-DD, not '${signedOn}'`);
  }
  // An unsigned supplier (or one signing in the future) offers nothing in markt: it gets no connection point yet.
  const unsignedSupplier = kind === 'leverancier' && !afsprakenSigned({ ggiAfspraken: signedOn ? { signed: true, date: signedOn } : undefined }, ctx.io.now());
  if (unsignedSupplier && !existing && (site !== undefined || zonesFlag.length || hostKey)) {
    throw new UserError(`${id} has not signed the GGI-Afspraken${signedOn ? ` by today (--signed ${signedOn} is in the future)` : ' (no --signed date)'}, so it gets no connection point: leave out --site, --zones and --host-key, or give the date it signed`);
  }
  if (servedBy && (site !== undefined || zonesFlag.length || hostKey)) {
    throw new UsageError('--site, --zones and --host-key describe a connection point of its own; a member served by a samenwerkingsverband has none (it joins the zones of that connection point)');
  }
  if (existing) {
    // A re-run changes nothing, so flags that say otherwise than the file are refused before anything is allocated.
    const conflicts = contradictions(inv, existing, { name, servedBy, zones: zonesFlag as ZoneName[], site, hostKey });
    if (conflicts.length) {
      throw new UserError(
        `${id} is already onboarded (${existing.loc.file}), and the file says otherwise: ${conflicts.join('; ')}. Nothing was changed: to move it behind or away from a samenwerkingsverband run 'ggi move'; otherwise edit the file by hand and run 'ggi validate', or leave out those flags`,
        EXIT.INVALID,
      );
    }
    if (existing.servedBy) sv = inv.organisations.find((o) => o.id === existing.servedBy);
  }
  // An existing organisation keeps the zones its file gives it (none without a connection point of its own or a
  // samenwerkingsverband's); a new one gets the flags' (or the defaults).
  const attached = existing ? Boolean(existing.connectionPoint || existing.servedBy) : !unsignedSupplier;
  const defaults: ZoneName[] = zonesFlag.length ? (zonesFlag as ZoneName[]) : kind === 'leverancier' ? ['markt'] : ['overheid', 'markt'];
  const zones: ZoneName[] = sv?.connectionPoint ? [...sv.connectionPoint.zones] : existing?.connectionPoint ? [...existing.connectionPoint.zones] : attached ? defaults : [];
  // A supplier joins overheid only as a recorded Diginetwerk Derde, which a file written by hand says (DOMAIN.md §2.2).
  if (kind === 'leverancier' && zones.includes('overheid') && !(existing && admittedDerde(existing, ctx.io.now()))) throw new UsageError('suppliers join the markt zone only (or overheid as a recorded Diginetwerk Derde: diginetwerkDerde in its file)');

  // 1. IPv6: one /46 per category of every zone the organisation reaches (idempotent, locked, atomic).
  const plan = planFromSettings(inv.settings).plan;
  if (!plan) throw new UserError("the numbering plan in ggi.yaml is inconsistent: run 'ggi validate'");
  const categories = [...new Set(zones.map((z) => inv.settings.zones[z].ipv6Categories[0]))];
  const orgKind = (existing?.kind ?? kind) as PlanKind;
  const allocated: Array<{ category: string; prefix: string; created: boolean }> = [];
  const who = operatorName(ctx.io.env, ctx.io.cwd);
  // Computed first, written only once the result validates: one ledger change for every category.
  const before = readLedgerFile(file);
  if (!before.ok) throw new UserError(`the ledger is not valid; fix it first`, EXIT.INVALID, before.findings);
  let ledger = before.data;
  const changes: LedgerChanges = { added: [], addedSlots: [], updated: [] };
  for (const category of categories) {
    const r = allocate(ledger, { organisation: id, kind: orgKind, category, purpose: `${category} (onboarding)` }, plan, ctx.io.now(), who);
    if (!r.ok) throw new UserError(`allocating the ${category} /46 of ${id} failed: ${r.problem.message}`, EXIT.INVALID);
    ledger = r.ledger;
    changes.added.push(...r.changes.added);
    changes.addedSlots.push(...r.changes.addedSlots);
    allocated.push({ category, prefix: r.entry.prefix, created: r.created });
  }

  // 2. The organisation file, only when it does not exist yet.
  const orgFile = path.join(ctx.global.inventory, 'organisations', `${id.toLowerCase()}.yaml`);
  const orgText = existing ? null : `# Onboarded by ggi onboard on ${ctx.io.now().toISOString().slice(0, 10)} (${who}).\n${block(scaffold(inv, { id, kind, name: name!, servedBy, zones, site, hostKey, signedOn, allocated }))}\n`;
  // What is written must validate: the inventory with the new ledger and file, checked before either is written.
  const ledgerText = changes.added.length || changes.addedSlots.length ? renderLedger(before.text, before.doc, before.tails, ledger, changes) : null;
  if (orgText !== null || ledgerText !== null) {
    const overlay = new OverlaySource(path.resolve(ctx.io.cwd, ctx.global.inventory), { ...(ledgerText !== null ? { [LEDGER_REL]: ledgerText } : {}), ...(orgText !== null ? { [`organisations/${id.toLowerCase()}.yaml`]: orgText } : {}) });
    const after = validateInventory(overlay, { now: ctx.io.now(), warnings: false, pinsRequired: false });
    // The one error it may leave is the documented next step: the new CE's host key, read off the device once it runs.
    const newCe = `ce-${id.toLowerCase()}`;
    const errors = after.findings.filter((f) => f.severity === 'error' && !(f.code === 'DEVICE_HOST_KEY_MISSING' && !hostKey && f.message.startsWith(`CE device '${newCe}'`)));
    if (errors.length) throw new UserError(`onboarding ${id} would leave an inventory that does not validate; nothing was written`, EXIT.INVALID, errors);
  }
  // The CE that carries its traffic: the samenwerkingsverband's, its own as in its file, or the one just scaffolded.
  const ce = sv?.connectionPoint?.device ?? existing?.connectionPoint?.device ?? `ce-${id.toLowerCase()}`;
  // The ledger and the file as one change (a crash between them is finished by the next run), journaled like apply.
  const orgRel = `organisations/${id.toLowerCase()}.yaml`;
  const files = [...(ledgerText !== null ? [{ rel: LEDGER_REL, text: ledgerText }] : []), ...(orgText !== null ? [{ rel: orgRel, text: orgText }] : [])];
  const what = `onboard ${id}${servedBy ? ` --served-by ${servedBy}` : ''}`;
  const change = withJournal(ctx, path.dirname(path.dirname(file)), { what, files }, {
    organisation: id,
    notes: allocated.filter((a) => a.created).map((a) => `allocated ${a.category} ${a.prefix}`),
    added: orgText !== null && attached && !sv ? [ce] : [],
    removed: [],
  });
  const wrote = commitChange(path.dirname(path.dirname(file)), change, lifecycleJournal).includes(orgRel);

  const unpinned = !sv && (existing ? !inv.devices.find((d) => d.id === ce)?.management.hostKey : !hostKey);
  if (!attached && !existing) notes.push(`note: ${id} has not signed the GGI-Afspraken, so it has no connection point and reaches no zone: nothing to allocate or apply. Once it signs, record ggiAfspraken (signed: true, date) and its connection point in ${orgFile}`);
  else if (!attached) notes.push(`note: ${id} has no connection point and is not served by a samenwerkingsverband, so it reaches no zone: nothing to allocate or apply. Give it one in ${existing!.loc.file} first`);
  const steps = !attached ? ['ggi validate'] : [
    "ggi validate",
    ...(unpinned ? [`pin the CE's host key: set management.hostKey of ${ce} in ${existing ? existing.loc.file : orgFile} (ssh-keygen -lf on the device's /etc/ssh/ssh_host_ed25519_key.pub)`] : []),
    `ggi plan --device ${ce}`,
    `ggi apply --device ${ce}`,
  ];
  // The lab makes every device (and pins its key) from the inventory; `lab up` on a lab that is up adds the new ones.
  const labSteps = !attached ? [] : ['ggi validate --target lab', 'ggi lab up', 'ggi apply --target lab', 'ggi verify --target lab'];
  if (ctx.args.flags.format === 'json') {
    printJson(ctx.io, { organisation: id, file: orgFile, created: wrote, prefixes: allocated, nextSteps: steps, labSteps });
  } else {
    ctx.io.stdout(`${wrote ? 'created' : 'kept'} ${orgFile}\n`);
    for (const a of allocated) ctx.io.stdout(`${a.created ? 'allocated' : 'holds    '} ${a.category.padEnd(12)} ${a.prefix}\n`);
    for (const n of notes) ctx.io.stdout(`${n}\n`);
    ctx.io.stdout(`next steps:\n${steps.map((s, i) => `  ${i + 1}. ${s}`).join('\n')}\n`);
    if (labSteps.length) ctx.io.stdout(`or first in the lab:\n${labSteps.map((s, i) => `  ${i + 1}. ${s}`).join('\n')}\n`);
  }
  return EXIT.OK;
}

/** Where the flags given to a re-run contradict the organisation's file (empty: they agree, or were not given). */
function contradictions(inv: Inventory, org: Organisation, flags: { name?: string; servedBy?: string; zones: ZoneName[]; site?: string; hostKey?: string }): string[] {
  const out: string[] = [];
  const cp = org.connectionPoint;
  if (flags.name !== undefined && flags.name !== org.name) out.push(`--name '${flags.name}', but it is named '${org.name}'`);
  if (flags.servedBy !== undefined && flags.servedBy !== org.servedBy) out.push(`--served-by ${flags.servedBy}, but ${org.servedBy ? `it is served by ${org.servedBy}` : cp ? 'it has its own connection point' : 'its file names no samenwerkingsverband'}`);
  if (flags.zones.length) {
    const given = [...new Set(flags.zones)].sort().join(',');
    if (!cp) out.push(`--zones ${given}, but it has no connection point of its own`);
    else if (given !== [...cp.zones].sort().join(',')) out.push(`--zones ${given}, but its connection point joins ${[...cp.zones].sort().join(',')}`);
  }
  if (flags.site !== undefined) {
    if (!cp) out.push(`--site '${flags.site}', but it has no connection point of its own`);
    else if (flags.site !== cp.site) out.push(`--site '${flags.site}', but its connection point is at '${cp.site}'`);
  }
  if (flags.hostKey !== undefined) {
    const pinned = cp ? inv.devices.find((d) => d.id === cp.device)?.management.hostKey : undefined;
    if (!cp) out.push('--host-key, but it has no CE of its own');
    else if (flags.hostKey !== pinned) out.push(`--host-key ${flags.hostKey}, but ${cp.device} ${pinned ? `pins ${pinned}` : 'pins no host key'}`);
  }
  return out;
}

interface ScaffoldInput {
  id: string;
  kind: OrgKind;
  name: string;
  servedBy?: string;
  zones: ZoneName[];
  site?: string;
  hostKey?: string;
  signedOn?: string;
  allocated: Array<{ category: string; prefix: string }>;
}

/** The organisation document: plain data, so the YAML stays the format engineers edit by hand afterwards. */
export function scaffold(inv: Inventory, x: ScaffoldInput): Record<string, unknown> {
  const digits = Number(x.id.slice(2));
  const staff = x.allocated.map((a, i) => ({
    name: x.allocated.length > 1 ? `kantoor-${a.category}` : 'kantoor',
    purpose: 'staff',
    ipv6: formatPrefix(subnet(parsePrefix(a.prefix), 64, 16n + BigInt(i))),
    vlan: 10 + i,
  }));
  const doc: Record<string, unknown> = { id: x.id, kind: x.kind, name: x.name };
  if (x.servedBy) doc.servedBy = x.servedBy;
  else if (x.zones.length) {
    const device = `ce-${x.id.toLowerCase()}`;
    const asn = nextAsn(inv, x.kind, digits);
    doc.connectionPoint = { site: x.site ?? `${x.name}`, device, zones: x.zones, asn };
    doc.devices = [
      {
        id: device,
        role: 'ce',
        organisation: x.id,
        asn,
        management: { address: nextManagementAddress(inv), user: 'ggi', ...(x.hostKey ? { hostKey: x.hostKey } : {}) },
      },
    ];
  }
  if (x.kind === 'leverancier') doc.ggiAfspraken = x.signedOn ? { signed: true, date: x.signedOn } : { signed: false };
  doc.segments = staff;
  return doc;
}

/**
 * The CE's ASN: the kind's private range plus the organisation's number (RFC 6996), or the next one up when another
 * device or connection point already has it (taken by hand).
 */
function nextAsn(inv: Inventory, kind: OrgKind, digits: number): number {
  const used = new Set<number>([...inv.devices.flatMap((d) => (d.asn === undefined ? [] : [d.asn])), ...inv.organisations.flatMap((o) => (o.connectionPoint ? [o.connectionPoint.asn] : []))]);
  for (let a = ASN_BASE[kind] + digits; a < ASN_BASE[kind] + 100000; a++) if (!used.has(a)) return a;
  throw new UserError(`no free ASN left for a ${kind} in ${ASN_BASE[kind]}-${ASN_BASE[kind] + 99999}`);
}

/** The lowest free management address in transfer.managementIpv4, skipping its first host (the lab's bridge). */
function nextManagementAddress(inv: Inventory): string {
  const pool = inv.settings.transfer.managementIpv4;
  if (!pool) throw new UserError('ggi.yaml has no transfer.managementIpv4 to take a management address from');
  const p = parsePrefix(pool);
  const used = new Set(inv.devices.map((d) => d.management.address));
  for (let v = prefixFirst(p) + 2n; v < prefixLast(p); v++) {
    const a = formatAddress(4, v);
    if (!used.has(a)) return a;
  }
  throw new UserError(`no free management address left in ${pool}`);
}


