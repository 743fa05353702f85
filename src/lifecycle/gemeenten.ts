import { type Gemeente, parseGemeentenCsv, splitCsvLine } from '../model/gemeenten';
import type { Finding } from '../model/finding';
import type { Inventory } from '../model/inventory';

/**
 * Keeping data/gemeenten.csv and the inventory's gemeenten in step with the CBS list, which changes on 1 January
 * (herindelingen). Pure: text in, text and findings out; the command reads and writes the files.
 */

/** A list read for refresh: the gemeenten, or why the file is not a gemeente list. */
export type ReadList = { ok: true; gemeenten: Gemeente[] } | { ok: false; problems: string[] };

/**
 * Reads a gemeente list in one of two shapes: ggi's own (`code,name,province,year`) or the CBS download
 * ("Gemeenten alfabetisch", `;`- or `,`-separated, with the columns GemeentecodeGM, Gemeentenaam and Provincienaam).
 * The CBS file names no year, so `year` is needed for it.
 */
export function readGemeenteList(text: string, year?: number): ReadList {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/).filter((l) => l.trim() !== '');
  if (!lines.length) return { ok: false, problems: ['the file is empty'] };
  let list: Gemeente[];
  if (lines[0].trim() === 'code,name,province,year') {
    try {
      list = parseGemeentenCsv(lines.join('\n'));
    } catch (e) {
      return { ok: false, problems: [(e as Error).message.replace(/^gemeenten\.csv /, '')] };
    }
  } else {
    const sep = lines[0].includes(';') ? ';' : ',';
    const split = (l: string) => (sep === ',' ? splitCsvLine(l) : l.split(';')).map((f) => f.trim().replace(/^"(.*)"$/, '$1'));
    const header = split(lines[0]).map((h) => h.toLowerCase());
    const col = (name: string) => header.indexOf(name.toLowerCase());
    const [c, n, p] = [col('GemeentecodeGM'), col('Gemeentenaam'), col('Provincienaam')];
    if (c < 0 || n < 0 || p < 0) return { ok: false, problems: [`unknown header '${lines[0]}': expected code,name,province,year or the CBS columns GemeentecodeGM, Gemeentenaam, Provincienaam`] };
    if (year === undefined) return { ok: false, problems: ['a CBS list names no year: give --year (the year the list is in force)'] };
    const problems: string[] = [];
    list = [];
    lines.slice(1).forEach((line, i) => {
      const f = split(line);
      const g = { code: f[c] ?? '', name: f[n] ?? '', province: f[p] ?? '', year };
      if (!/^GM\d{4}$/.test(g.code) || !g.name || !g.province) problems.push(`line ${i + 2}: malformed: ${line}`);
      else list.push(g);
    });
    if (problems.length) return { ok: false, problems };
  }
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const g of list) {
    if (seen.has(g.code)) problems.push(`${g.code} is listed twice`);
    seen.add(g.code);
  }
  // The Netherlands has had between 300 and 500 gemeenten since 2010: fewer means a truncated or wrong file.
  if (list.length < 300) problems.push(`${list.length} gemeenten: a CBS list has more than 300; is the file truncated?`);
  return problems.length ? { ok: false, problems } : { ok: true, gemeenten: [...list].sort((a, b) => a.code.localeCompare(b.code)) };
}

/** A field as CSV: quoted when it holds a comma or a quote. */
function field(v: string): string {
  return /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/** data/gemeenten.csv's text for a list. */
export function renderGemeentenCsv(list: readonly Gemeente[]): string {
  return `code,name,province,year\n${list.map((g) => [g.code, g.name, g.province, String(g.year)].map(field).join(',')).join('\n')}\n`;
}

/** What a refresh changes: codes that appear, codes that disappear, and renamed gemeenten. */
export interface ListChanges {
  added: Gemeente[];
  removed: Gemeente[];
  renamed: Array<{ code: string; from: string; to: string }>;
}

export function compareLists(before: readonly Gemeente[], after: readonly Gemeente[]): ListChanges {
  const old = new Map(before.map((g) => [g.code, g]));
  const now = new Map(after.map((g) => [g.code, g]));
  return {
    added: after.filter((g) => !old.has(g.code)),
    removed: before.filter((g) => !now.has(g.code)),
    renamed: after.filter((g) => old.has(g.code) && old.get(g.code)!.name !== g.name).map((g) => ({ code: g.code, from: old.get(g.code)!.name, to: g.name })),
  };
}

/**
 * The inventory's gemeenten checked against a list: an active gemeente whose code is not on it is an error (it no
 * longer exists: offboard it, --merged-into its successor); a different name is a warning. Offboarded gemeenten are
 * history and are not checked.
 */
export function checkAgainstList(inv: Inventory, list: readonly Gemeente[]): Finding[] {
  const byCode = new Map(list.map((g) => [g.code, g]));
  const out: Finding[] = [];
  for (const o of inv.organisations) {
    if (o.kind !== 'gemeente' || o.offboarded) continue;
    const g = byCode.get(o.id);
    if (!g) out.push(inv.sources.error('GEMEENTE_NOT_IN_LIST', `${o.id} (${o.name}) is not on the CBS list of ${list[0]?.year ?? 'that year'}: it no longer exists as a gemeente; run 'ggi offboard ${o.id} --merged-into GM…' for its successor`, o.loc, ['id']));
    else if (g.name !== o.name) out.push(inv.sources.warning('GEMEENTE_NAME_DIFFERS', `${o.id} is named '${o.name}' here and '${g.name}' by the CBS list of ${g.year}`, o.loc, ['name']));
  }
  return out;
}
