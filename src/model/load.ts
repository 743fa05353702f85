import { z } from 'zod';
import type { Finding } from './finding';
import type { InventorySource } from './files';
import { DirectorySource, InventoryFileError } from './files';
import type { Device, Govroam, Guardrail, Inventory, LedgerEntry, LedgerSlot, Organisation, PolicyRule, Service, Veilig } from './inventory';
import {
  devicesFileSchema,
  govroamSchema,
  fastLedger,
  ledgerSchema,
  organisationSchema,
  policyFileSchema,
  servicesFileSchema,
  settingsSchema,
  type Settings,
  veiligSchema,
} from './schema';
import { type NodePath, parseYaml, SourceFile, SourceIndex } from './source';
import { applyProfile } from './profile';
import { fastParseLedger } from './fastyaml';
import { capQuoted, excerpt } from '../util/excerpt';

export interface LoadResult {
  /** Null when any file failed to parse or to match its schema: semantic checks would only repeat those errors. */
  inventory: Inventory | null;
  findings: Finding[];
}

/** The folders of the layout: an entry by one of these names that is not a plain folder is refused. */
const LAYOUT_FOLDER = /^(organisations|services|policy|devices|ipv6)$/;

const KNOWN = /^(ggi\.yaml|govroam\.yaml|veilig\.yaml|ipv6\/ledger\.yaml|(organisations|services|policy|devices)\/[^/]+\.ya?ml)$/;

/** The schema of an inventory file, by its path relative to the inventory folder; null for files outside the layout. */
export function schemaFor(rel: string): z.ZodType | null {
  if (rel === 'ggi.yaml') return settingsSchema;
  if (rel === 'govroam.yaml') return govroamSchema;
  if (rel === 'veilig.yaml') return veiligSchema;
  if (rel === 'ipv6/ledger.yaml') return ledgerSchema;
  const m = /^(organisations|services|policy|devices)\/[^/]+\.ya?ml$/.exec(rel);
  if (!m) return null;
  return { organisations: organisationSchema, services: servicesFileSchema, policy: policyFileSchema, devices: devicesFileSchema }[m[1] as 'organisations'];
}

/**
 * One file parsed and checked against its schema: `value` is the schema's output, or null when the file failed
 * (syntax or schema errors, all in `findings`). Pure; `loadInventory` runs it per file.
 */
export interface CheckedFile {
  value: unknown;
  findings: Finding[];
}

/**
 * Each schema compiled once by zod's ahead-of-time compiler (`z.compile`): a generated parser that is tried first and
 * falls back to the runtime parser, so the output and every issue on failure stay those of the schema itself
 * (test/model/compiled-schema.test.ts). A national inventory's 20,000 rules are checked in a quarter less time in a
 * fresh process, half once warm.
 */
const compiledSchemas = new WeakMap<z.ZodType, z.ZodType>();
export function compiledSchema(schema: z.ZodType): z.ZodType {
  let c = compiledSchemas.get(schema);
  if (!c) compiledSchemas.set(schema, (c = z.compile(schema)));
  return c;
}

export function checkFile(file: string, text: string, schema: z.ZodType, fastValue?: (text: string) => unknown, fastSchema?: (value: unknown) => unknown): CheckedFile & { source: SourceFile } {
  // A fast reader of a subset gives the same value as the full parser or null; positions stay lazy either way.
  const fast = fastValue?.(text);
  const parsed = fast !== null && fast !== undefined ? { source: new SourceFile(file, text), value: fast, findings: [] } : parseYaml(file, text);
  const findings = [...parsed.findings];
  if (parsed.value === undefined && parsed.findings.some((x) => x.severity === 'error')) return { source: parsed.source, value: null, findings };
  const value = parsed.value === null || parsed.value === undefined ? {} : parsed.value;
  const fastData = fastSchema?.(value);
  if (fastData !== null && fastData !== undefined) return { source: parsed.source, value: fastData, findings };
  const res = compiledSchema(schema).safeParse(value);
  if (!res.success) {
    findings.push(...zodFindings(parsed.source, value, res.error.issues));
    return { source: parsed.source, value: null, findings };
  }
  return { source: parsed.source, value: res.data, findings };
}

/** Loads an inventory folder (or a git revision of one). Pure apart from reading through `source`. */
export function loadInventory(source: InventorySource | string, opts: { profile?: string } = {}): LoadResult {
  const src = typeof source === 'string' ? new DirectorySource(source) : source;
  const sources = new SourceIndex();
  const findings: Finding[] = [];
  let schemaFailed = false;

  const files = src.list();
  const yamlFiles = files.filter((f) => /\.ya?ml$/.test(f));
  for (const f of yamlFiles) {
    if (!KNOWN.test(f)) {
      findings.push({ severity: 'warning', code: 'INVENTORY_UNKNOWN_FILE', message: `${f} is not part of the inventory layout and is ignored (see docs/inventory.md)`, file: src.display(f), line: 1, column: 1 });
    }
  }

  // A file the reading rule refuses (docs/inventory.md "Which files ggi reads") is an error at its first line.
  const refused = new Set<string>();
  function read(rel: string): string | null {
    try {
      return src.read(rel);
    } catch (e) {
      if (!(e instanceof InventoryFileError)) throw e;
      if (!refused.has(rel)) findings.push({ severity: 'error', code: e.code, message: e.message, file: src.display(rel), line: 1, column: 1 });
      refused.add(rel);
      schemaFailed = true;
      return null;
    }
  }
  // A layout folder that is a symlink or another non-folder holds nothing ggi would read: say so, never skip it.
  for (const f of files) if (LAYOUT_FOLDER.test(f)) read(f);

  function load<S extends z.ZodType>(rel: string, schema: S): { value: z.infer<S>; file: string } | null {
    const file = src.display(rel);
    const text = read(rel);
    if (text === null) return null;
    // The ledger as ggi writes it has a reader of its own: the general parser needs seconds for a large one.
    const checked = checkFile(file, text, schema, rel === 'ipv6/ledger.yaml' ? (t) => fastParseLedger(t)?.value ?? null : undefined, rel === 'ipv6/ledger.yaml' ? fastLedger : undefined);
    sources.add(checked.source);
    findings.push(...checked.findings);
    if (checked.value === null) {
      schemaFailed = true;
      return null;
    }
    return { value: checked.value as z.infer<S>, file };
  }

  const settingsRes = load('ggi.yaml', settingsSchema);
  if (!settingsRes && !refused.has('ggi.yaml') && read('ggi.yaml') === null) {
    findings.push({ severity: 'error', code: 'INVENTORY_MISSING_SETTINGS', message: `no ggi.yaml in ${src.label}: is --inventory pointing at an inventory folder?`, file: src.display('ggi.yaml'), line: 1, column: 1 });
    schemaFailed = true;
  }

  const organisations: Organisation[] = [];
  const devices: Device[] = [];
  const services: Service[] = [];
  const rules: PolicyRule[] = [];
  const guardrails: Guardrail[] = [];

  for (const rel of files.filter((f) => /^organisations\/[^/]+\.ya?ml$/.test(f))) {
    const r = load(rel, organisationSchema);
    if (!r) continue;
    organisations.push({ ...r.value, loc: { file: r.file, path: [] } });
    for (const [i, d] of (r.value.devices ?? []).entries()) devices.push({ ...d, organisation: d.organisation ?? r.value.id, loc: { file: r.file, path: ['devices', i] } });
  }
  for (const rel of files.filter((f) => /^devices\/[^/]+\.ya?ml$/.test(f))) {
    const r = load(rel, devicesFileSchema);
    if (!r) continue;
    for (const [i, d] of r.value.devices.entries()) devices.push({ ...d, loc: { file: r.file, path: ['devices', i] } });
  }
  for (const rel of files.filter((f) => /^services\/[^/]+\.ya?ml$/.test(f))) {
    const r = load(rel, servicesFileSchema);
    if (!r) continue;
    for (const [i, s] of r.value.services.entries()) services.push({ ...s, loc: { file: r.file, path: ['services', i] } });
  }
  // Files in name order, rules in file order: the order the network evaluates them in (CLI.md).
  for (const rel of files.filter((f) => /^policy\/[^/]+\.ya?ml$/.test(f)).sort()) {
    const r = load(rel, policyFileSchema);
    if (!r) continue;
    // The schema's output is this load's own fresh object: extended in place, since copying 20,000 rules costs more.
    for (const [i, x] of r.value.rules.entries()) rules.push(Object.assign(x, { order: rules.length, loc: { file: r.file, path: ['rules', i] } }));
    for (const [i, g] of r.value.guardrails.entries()) guardrails.push({ ...g, loc: { file: r.file, path: ['guardrails', i] } });
  }
  let govroam: Govroam | null = null;
  const g = load('govroam.yaml', govroamSchema);
  if (g) govroam = { ...g.value, loc: { file: g.file, path: [] } };
  let veilig: Veilig | null = null;
  const v = load('veilig.yaml', veiligSchema);
  if (v) veilig = { ...v.value, loc: { file: v.file, path: [] } };

  const ledgerFile = src.display('ipv6/ledger.yaml');
  const slots: LedgerSlot[] = [];
  const entries: LedgerEntry[] = [];
  const l = load('ipv6/ledger.yaml', ledgerSchema);
  if (l) {
    for (const [i, s] of l.value.slots.entries()) slots.push({ ...s, loc: { file: l.file, path: ['slots', i] } });
    // The schema's output is this load's own fresh objects: extended in place (a ledger may hold 250,000 entries).
    for (const [i, e] of l.value.entries.entries()) entries.push(Object.assign(e, { index: i, loc: { file: l.file, path: ['entries', i] } }));
  }

  if (schemaFailed || !settingsRes) return { inventory: null, findings };

  const settings = { ...(settingsRes.value as Settings), loc: { file: settingsRes.file, path: [] } };
  let inventory: Inventory = {
    dir: src.label,
    profile: 'default',
    settings,
    organisations,
    devices,
    services,
    rules,
    guardrails,
    govroam,
    veilig,
    ledger: { file: ledgerFile, slots, entries },
    sources,
  };
  const profile = opts.profile ?? 'default';
  if (profile !== 'default') {
    const p = applyProfile(inventory, profile);
    if ('finding' in p) return { inventory: null, findings: [...findings, p.finding] };
    inventory = p.inventory;
  }
  return { inventory, findings };
}

interface ZodIssueLike {
  code: string;
  path: PropertyKey[];
  message: string;
  keys?: string[];
  params?: Record<string, unknown>;
  expected?: string;
  values?: unknown[];
}

/** Turns zod issues into located findings with stable codes. */
export function zodFindings(source: SourceFile, value: unknown, issues: readonly ZodIssueLike[]): Finding[] {
  const out: Finding[] = [];
  for (const issue of issues) {
    const p = issue.path.filter((x): x is string | number => typeof x !== 'symbol');
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys ?? []) {
        const pos = source.position([...p, key], { key: true });
        out.push({ severity: 'error', code: 'SCHEMA_UNKNOWN_KEY', message: `unknown key '${excerpt(key)}'${where(p)}`, file: source.file, ...pos });
      }
      continue;
    }
    const actual = valueAt(value, p);
    const pos = source.position(p);
    let code = 'SCHEMA_INVALID';
    // Library messages may quote the input: only an excerpt of it (src/util/excerpt).
    let message = capQuoted(issue.message);
    const last = p[p.length - 1];
    if ((issue.code === 'invalid_type' || issue.code === 'invalid_value' || issue.code === 'invalid_union') && actual === undefined && p.length > 0) {
      code = 'SCHEMA_MISSING_KEY';
      message = `missing required key '${String(last)}'${where(p.slice(0, -1))}`;
    } else if (issue.code === 'invalid_type') {
      code = 'SCHEMA_TYPE';
      message = `'${p.length ? fieldName(p) : 'document'}' must be ${article(issue.expected ?? 'another type')}, not ${describe(actual)}`;
    } else if (issue.code === 'invalid_value') {
      code = 'SCHEMA_INVALID_VALUE';
      message = `'${fieldName(p)}' is ${quote(actual)}; allowed: ${(issue.values ?? []).map((v) => JSON.stringify(v)).join(', ')}`;
    } else if (issue.code === 'invalid_union' && (last === 'secret' || last === 'privateKey') && typeof actual === 'string') {
      code = 'SECRET_IN_INVENTORY';
      message = `'${String(last)}' holds a secret in the inventory; write { env: NAME } or { file: PATH } instead and keep the value out of git`;
    } else if (issue.code === 'custom' && issue.params && typeof issue.params.code === 'string') {
      code = issue.params.code;
    } else if (issue.code === 'custom' && /host bits/.test(issue.message)) {
      code = 'PREFIX_HOST_BITS';
    } else if (issue.code === 'custom' && /is not an? (IPv[46] )?(prefix|address)|CIDR|prefix length/i.test(issue.message)) {
      code = 'INVALID_PREFIX';
    } else if (issue.code === 'invalid_format') {
      code = 'SCHEMA_FORMAT';
      message = `${quote(actual)}: ${capQuoted(issue.message)}`;
    } else if (issue.code === 'too_small' || issue.code === 'too_big') {
      code = 'SCHEMA_RANGE';
      message = `'${fieldName(p)}': ${capQuoted(issue.message)}`;
    }
    out.push({ severity: 'error', code, message, file: source.file, ...pos });
  }
  return out;
}

/** The field a path ends at, as users write it: `zones[1]` for a list item rather than a bare `1`. */
function fieldName(p: NodePath): string {
  const last = p[p.length - 1];
  if (typeof last !== 'number') return String(last);
  const parent = p.slice(0, -1);
  return `${parent.length ? fieldName(parent) : 'item'}[${last}]`;
}

function where(p: NodePath): string {
  return p.length ? ` in ${excerpt(p.join('.'))}` : '';
}

function article(t: string): string {
  return /^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v} ${quote(v)}`;
}

/** A value as JSON, cut to an excerpt: findings never quote more than a little of the input. */
function quote(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return excerpt(s);
}

function valueAt(v: unknown, p: NodePath): unknown {
  let cur: unknown = v;
  for (const k of p) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[k];
  }
  return cur;
}
