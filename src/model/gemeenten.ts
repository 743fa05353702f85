import * as fs from 'node:fs';
import * as path from 'node:path';

/** One line of data/gemeenten.csv: a gemeente in force, with its CBS code and name and its province. */
export interface Gemeente {
  /** CBS gemeentecode with prefix, e.g. GM0546; also the organisation id in the inventory. */
  readonly code: string;
  readonly name: string;
  readonly province: string;
  readonly year: number;
}

/** Splits one CSV line (RFC 4180 quoting: "a, b" and "" for a quote inside a quoted field). */
export function splitCsvLine(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  if (quoted) throw new Error(`unterminated quote in CSV line: ${line}`);
  out.push(cur);
  return out;
}

/** Parses the text of gemeenten.csv (header `code,name,province,year`). Throws on a malformed line: the file is ours. */
export function parseGemeentenCsv(text: string): Gemeente[] {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const header = splitCsvLine(lines[0] ?? '');
  if (header.join(',') !== 'code,name,province,year') throw new Error(`gemeenten.csv: unexpected header '${lines[0]}'`);
  return lines.slice(1).map((line, i) => {
    const f = splitCsvLine(line);
    if (f.length !== 4 || !/^GM\d{4}$/.test(f[0]) || !f[1] || !f[2] || !/^\d{4}$/.test(f[3])) throw new Error(`gemeenten.csv line ${i + 2}: malformed: ${line}`);
    return { code: f[0], name: f[1], province: f[2], year: Number(f[3]) };
  });
}

/** The folder holding gemeenten.csv, from the source tree (src/model) or the build (dist/src/model). */
export function dataDir(): string {
  const candidates = [path.resolve(__dirname, '../../data'), path.resolve(__dirname, '../../../data')];
  for (const c of candidates) if (fs.existsSync(path.join(c, 'gemeenten.csv'))) return c;
  throw new Error(`data/gemeenten.csv not found (looked in ${candidates.join(', ')})`);
}

let cache: Gemeente[] | null = null;

/** All gemeenten of data/gemeenten.csv, sorted by code as in the file. */
export function loadGemeenten(file?: string): Gemeente[] {
  if (file) return parseGemeentenCsv(fs.readFileSync(file, 'utf8'));
  if (!cache) cache = parseGemeentenCsv(fs.readFileSync(path.join(dataDir(), 'gemeenten.csv'), 'utf8'));
  return cache;
}

let codes: ReadonlySet<string> | null = null;

/** The CBS codes of data/gemeenten.csv: the only ids a gemeente may have. */
export function gemeenteCodes(): ReadonlySet<string> {
  if (!codes) codes = new Set(loadGemeenten().map((g) => g.code));
  return codes;
}
