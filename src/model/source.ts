import * as path from 'node:path';
import type { Document, LineCounter, Node as YamlNode } from 'yaml';
import type { Finding, Severity } from './finding';
import { capQuoted } from '../util/excerpt';

/**
 * The `yaml` package (positional parse) is loaded on first use: a clean run never needs it, and loading it costs
 * about 40 ms of every command's start-up.
 */
let yamlModule: typeof import('yaml') | null = null;
function yamlLib(): typeof import('yaml') {
  return (yamlModule ??= require('yaml') as typeof import('yaml'));
}

/** A path into a YAML document: map keys and sequence indexes, as zod reports them. */
export type NodePath = ReadonlyArray<string | number>;

/** Where an entity was declared: the file and the path of its node. Domain modules keep it to report findings. */
export interface Loc {
  readonly file: string;
  readonly path: NodePath;
}

/**
 * One parsed YAML file with the means to turn node paths into line and column. The positional parse (the `yaml`
 * package's Document, about 30× slower than a plain parse) is made only when a position is first asked for, so a clean
 * national inventory never pays for it.
 */
export class SourceFile {
  private parsed: { doc: Document.Parsed; lines: LineCounter } | null;

  constructor(
    readonly file: string,
    readonly text: string,
    parsed?: { doc: Document.Parsed; lines: LineCounter },
  ) {
    this.parsed = parsed ?? null;
  }

  private positional(): { doc: Document.Parsed; lines: LineCounter } {
    if (!this.parsed) {
      const lines = new (yamlLib().LineCounter)();
      this.parsed = { doc: yamlLib().parseDocument(this.text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true, strict: true }), lines };
    }
    return this.parsed;
  }

  /** The 1-based line and column of the node at `p`, or of the nearest ancestor that exists. `key` points at the key instead of the value. */
  position(p: NodePath, opts: { key?: boolean } = {}): { line: number; column: number } {
    // Most findings point at an item of a top-level list, or a key of one: those are read straight off the lines.
    // Otherwise a large file (a policy with thousands of rules) is not parsed whole either: the item a path points
    // into is cut out by its lines and parsed alone, which gives the same line and column at a fraction of the cost.
    if (!this.parsed && p.length >= 2 && typeof p[0] === 'string' && typeof p[1] === 'number') {
      const quick = this.scanPosition(p[0], p[1], p.slice(2), opts);
      if (quick) return quick;
    }
    // A key of the top-level mapping, or of a block mapping under one (`connectionPoint.device`): also off the lines.
    if (!this.parsed && (p.length === 1 || p.length === 2) && typeof p[0] === 'string' && typeof p[p.length - 1] === 'string') {
      const quick = this.scanKeyPosition(p as readonly string[], opts);
      if (quick) return quick;
    }
    if (!this.parsed && this.text.length > SourceFile.sliceThreshold && p.length >= 2 && typeof p[0] === 'string' && typeof p[1] === 'number') {
      const slice = this.itemSlice(p[0], p[1]);
      if (slice) {
        const r = locateIn(slice.doc, slice.lines, [0, ...p.slice(2)], opts);
        return { line: r.line + slice.lineOffset, column: r.column };
      }
    }
    const { doc, lines } = this.positional();
    return locateIn(doc, lines, p, opts);
  }

  /** Files at least this long are located item by item (tests lower it to compare both ways on small files). */
  static sliceThreshold = 32768;

  /** The position from a parse of the whole file, never from a slice. */
  positionWhole(p: NodePath, opts: { key?: boolean } = {}): { line: number; column: number } {
    const { doc, lines } = this.positional();
    return locateIn(doc, lines, p, opts);
  }

  private itemStarts = new Map<string, { starts: number[]; end: number } | null>();
  private lineTexts: string[] | null = null;

  /**
   * The commonest places findings point at (an item, or a key of an item with a value on its own line), read straight
   * off the lines; null whenever the layout is anything but plain, and the parse decides.
   */
  private scanPosition(key: string, index: number, rest: NodePath, opts: { key?: boolean }): { line: number; column: number } | null {
    if (rest.length > 3 || (rest.length >= 1 && typeof rest[0] !== 'string')) return null;
    // Deeper only into a one-line flow mapping (`from: { prefixes: [a, b] }`): a key of it, or an item of its list.
    if (rest.length >= 2 && (typeof rest[1] !== 'string' || (rest.length === 3 && typeof rest[2] !== 'number'))) return null;
    const range = this.itemRange(key, index);
    if (!range) return null;
    const { L, from, to } = range;
    const m = /^(\s*)- ([A-Za-z_][\w-]*):( |$)/.exec(L[from]);
    if (!m) return null;
    const inner = m[1].length + 2;
    if (rest.length === 0) return { line: from + 1, column: inner + 1 };
    const want = String(rest[0]);
    for (let i = from; i < to; i++) {
      const l = i === from ? ' '.repeat(inner) + L[i].slice(inner) : L[i];
      const k = /^( *)([A-Za-z_][\w-]*):( +|$)/.exec(l);
      if (!k || k[1].length !== inner || k[2] !== want) continue;
      if (rest.length >= 2) {
        const column = flowColumn(l, k[0].length, String(rest[1]), rest[2] as number | undefined, opts);
        return column === null ? null : { line: i + 1, column };
      }
      if (opts.key) return { line: i + 1, column: inner + 1 };
      const valueAt = k[0].length;
      const v = l.slice(valueAt);
      if (!v.trim() || /^[#&!|>*]/.test(v)) return null;
      return { line: i + 1, column: valueAt + 1 };
    }
    return null;
  }

  /**
   * `[key]` or `[key, inner]` of a top-level block mapping, read off the lines; null whenever the layout is anything but
   * plain. Sound because of how YAML indents: a line at column 0 is a top-level entry (a value's continuation and a
   * block scalar's text are indented deeper than their key), and a line at the indentation of a block mapping's first
   * key is one of its keys.
   */
  private scanKeyPosition(p: readonly string[], opts: { key?: boolean }): { line: number; column: number } | null {
    this.lineTexts ??= this.text.split('\n');
    const L = this.lineTexts;
    const content = (l: string) => l.trim() !== '' && !l.trimStart().startsWith('#');
    const first = L.findIndex((l) => content(l) && !l.startsWith('%') && l.trimEnd() !== '---');
    if (first < 0 || PLAIN_KEY.exec(L[first])?.[1] !== '') return null;
    // The top-level key: the plain mapping's only line at column 0 with it (keys are unique: the file loaded).
    const head = L.findIndex((l) => l.startsWith(`${p[0]}:`) && PLAIN_KEY.exec(l)?.[2] === p[0]);
    if (head < 0) return null;
    if (p.length === 1) return valueOnLine(L[head], head, 0, opts);
    const rest = L[head].slice(p[0].length + 1).trim();
    if (rest !== '' && !rest.startsWith('#')) return null;
    let indent = -1;
    for (let i = head + 1; i < L.length; i++) {
      const l = L[i];
      if (!content(l)) continue;
      const m = PLAIN_KEY.exec(l);
      const at = l.length - l.trimStart().length;
      if (at === 0) return null;
      if (/^ *\t/.test(l)) return null;
      if (indent < 0) {
        // The value must be a block mapping of plain keys, not a sequence or anything else.
        if (!m) return null;
        indent = at;
      }
      if (at < indent) return null;
      if (at === indent && m?.[2] === p[1]) return valueOnLine(l, i, indent, opts);
      if (at === indent && !m) return null;
    }
    return null;
  }

  /** The file's lines and the line range [from, to) of item `index` under top-level `key`; null when not plain block style. */
  private itemRange(key: string, index: number): { L: readonly string[]; from: number; to: number } | null {
    this.lineTexts ??= this.text.split('\n');
    const L = this.lineTexts;
    if (!this.itemStarts.has(key)) this.itemStarts.set(key, scanItems(L, key));
    const items = this.itemStarts.get(key);
    if (!items || index >= items.starts.length) return null;
    return { L, from: items.starts[index], to: index + 1 < items.starts.length ? items.starts[index + 1] : items.end };
  }

  /** The lines of item `index` of the block sequence under top-level key `key`, parsed on their own; null when the layout is not plain block style. */
  private itemSlice(key: string, index: number): { doc: Document.Parsed; lines: LineCounter; lineOffset: number } | null {
    const range = this.itemRange(key, index);
    if (!range) return null;
    const { L, from, to } = range;
    const lines = new (yamlLib().LineCounter)();
    const doc = yamlLib().parseDocument(L.slice(from, to).join('\n'), { lineCounter: lines, prettyErrors: false });
    if (doc.errors.length || !yamlLib().isSeq(doc.contents) || doc.contents.items.length !== 1) return null;
    return { doc, lines, lineOffset: from };
  }
}

/**
 * The 1-based column of key `want` of the one-line flow mapping starting at `from` in line `l` (or of its value, or of
 * item `index` of the flow sequence that is its value); null for anything but plain words and lists on the line.
 */
function flowColumn(l: string, from: number, want: string, index: number | undefined, opts: { key?: boolean }): number | null {
  const end = l.trimEnd().length;
  if (l[from] !== '{' || l[end - 1] !== '}' || /["'#&*!|>{}]/.test(l.slice(from + 1, end - 1))) return null;
  // The pairs, split at the commas outside the lists.
  let depth = 0;
  let start = from + 1;
  const pairs: Array<[number, number]> = [];
  for (let i = from + 1; i < end - 1; i++) {
    const c = l[i];
    if (c === '[') depth++;
    else if (c === ']') depth--;
    else if (c === ',' && depth === 0) {
      pairs.push([start, i]);
      start = i + 1;
    }
    if (depth < 0 || depth > 1) return null;
  }
  if (depth !== 0) return null;
  pairs.push([start, end - 1]);
  for (const [a, b] of pairs) {
    const text = l.slice(a, b);
    const m = /^( *)([A-Za-z_][\w-]*): +/.exec(text);
    if (!m) return null;
    if (m[2] !== want) continue;
    if (index === undefined && opts.key) return a + m[1].length + 1;
    const valueAt = a + m[0].length;
    const value = l.slice(valueAt, b).trimEnd();
    if (!value || / #|: |:$|^[\],]|^[-?:]( |$)/.test(value)) return null;
    if (index === undefined) return valueAt + 1;
    if (value[0] !== '[' || value[value.length - 1] !== ']') return null;
    // The items of the list: plain words, none empty.
    let at = valueAt + 1;
    const items = value.slice(1, -1).split(',');
    for (let n = 0; n < items.length; n++) {
      const lead = items[n].length - items[n].trimStart().length;
      if (!items[n].trim() || /^[-?:]( |$)|: | #|:$/.test(items[n].trim())) return null;
      if (n === index) return at + lead + 1;
      at += items[n].length + 1;
    }
    return null;
  }
  return null;
}

/** A line `key:` or `key: value` with a plain key, at any indentation. */
const PLAIN_KEY = /^( *)([A-Za-z_][\w-]*):( +|$)/;

/** The position of the key on line `i` (indentation `indent`), or of its value when that is a plain one on the line. */
function valueOnLine(l: string, i: number, indent: number, opts: { key?: boolean }): { line: number; column: number } | null {
  const m = PLAIN_KEY.exec(l);
  if (!m || m[1].length !== indent) return null;
  if (opts.key) return { line: i + 1, column: indent + 1 };
  const v = l.slice(m[0].length);
  if (!v.trim() || /^[#&!|>*]/.test(v)) return null;
  return { line: i + 1, column: m[0].length + 1 };
}

/** Start lines (0-based) of the items of the block sequence under a top-level `key:`, and the line where it ends. */
function scanItems(L: readonly string[], key: string): { starts: number[]; end: number } | null {
  const head = L.findIndex((l) => l === `${key}:` || l.startsWith(`${key}: #`) || l === `${key}:\r`);
  if (head < 0) return null;
  const starts: number[] = [];
  let indent: string | null = null;
  let end = L.length;
  for (let i = head + 1; i < L.length; i++) {
    const l = L[i];
    if (/^\S/.test(l) && !l.startsWith('#')) {
      end = i;
      break;
    }
    if (indent === null) {
      const m = /^(\s*)- /.exec(l) ?? /^(\s*)-$/.exec(l);
      if (m) indent = m[1];
      else if (l.trim() && !l.trim().startsWith('#')) return null;
      else continue;
    }
    if (l.startsWith(`${indent}- `) || l === `${indent}-`) starts.push(i);
  }
  // Trailing comments and blank lines belong to no item; trim them from the last one.
  while (end > head + 1 && (!L[end - 1].trim() || L[end - 1].trim().startsWith('#')) && end - 1 > (starts[starts.length - 1] ?? end)) end--;
  return { starts, end };
}

/** The 1-based line and column of the node at `p` in a parsed document, or of the nearest ancestor that exists. */
function locateIn(doc: Document.Parsed, lines: LineCounter, p: NodePath, opts: { key?: boolean }): { line: number; column: number } {
  const at = (offset: number) => {
    const pos = lines.linePos(offset);
    return { line: pos.line, column: pos.col };
  };
  let node: unknown = doc.contents;
  let offset = node && (node as YamlNode).range ? (node as YamlNode).range![0] : 0;
  for (let i = 0; i < p.length; i++) {
    const seg = p[i];
    let next: unknown;
    let keyOffset: number | undefined;
    if (yamlLib().isMap(node)) {
      const pair = node.items.find((it) => yamlLib().isPair(it) && keyString(it.key) === String(seg));
      if (pair) {
        next = pair.value;
        const k = pair.key as YamlNode | null;
        keyOffset = k?.range ? k.range[0] : undefined;
        if (i === p.length - 1 && opts.key && keyOffset !== undefined) return at(keyOffset);
        if (!next && keyOffset !== undefined) return at(keyOffset);
      }
    } else if (yamlLib().isSeq(node) && typeof seg === 'number') {
      next = node.items[seg];
    }
    if (!next) break;
    node = next;
    const r = (node as YamlNode).range;
    if (r) offset = r[0];
    else if (keyOffset !== undefined) offset = keyOffset;
  }
  return at(offset);
}

function keyString(k: unknown): string {
  if (yamlLib().isScalar(k)) return String(k.value);
  return String(k);
}

/** Parses YAML text keeping positions. Syntax errors become findings (YAML_SYNTAX), never exceptions. */
export function parseYaml(file: string, text: string): { source: SourceFile; value: unknown; findings: Finding[] } {
  // Fast path: js-yaml (YAML 1.2 core schema, duplicate keys refused) for the value; positions come later, lazily.
  try {
    const jsYaml = require('js-yaml') as typeof import('js-yaml');
    const value = jsYaml.load(text, { schema: jsYaml.CORE_SCHEMA, filename: file });
    return { source: new SourceFile(file, text), value, findings: [] };
  } catch {
    // Fall through: the positional parser reports every problem with its place.
  }
  const lines = new (yamlLib().LineCounter)();
  const doc = yamlLib().parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true, strict: true });
  const source = new SourceFile(file, text, { doc, lines });
  const findings: Finding[] = [];
  for (const e of doc.errors) {
    const pos = lines.linePos(errorOffset(text, e.code, e.message, e.pos[0]));
    const code = e.code === 'DUPLICATE_KEY' ? 'YAML_DUPLICATE_KEY' : 'YAML_SYNTAX';
    findings.push({ severity: 'error', code, message: firstLine(e.message), file, line: pos.line, column: pos.col });
  }
  for (const w of doc.warnings) {
    const pos = lines.linePos(w.pos[0]);
    findings.push({ severity: 'warning', code: 'YAML_WARNING', message: firstLine(w.message), file, line: pos.line, column: pos.col });
  }
  if (findings.some((f) => f.severity === 'error')) return { source, value: undefined, findings };
  try {
    return { source, value: doc.toJS({ maxAliasCount: 1000 }), findings };
  } catch (e) {
    // The parser's guard against alias bombs ("billion laughs"): a finding at the first alias, never an exception.
    const pos = lines.linePos(firstAliasOffset(doc));
    const why = e instanceof Error ? firstLine(e.message) : String(e);
    findings.push({ severity: 'error', code: 'YAML_SYNTAX', message: `the document cannot be expanded: ${why} (aliases may expand to at most 1000 nodes)`, file, line: pos.line, column: pos.col });
    return { source, value: undefined, findings };
  }
}

/** The offset of the first alias (`*name`) in a document, or 0. */
function firstAliasOffset(doc: Document.Parsed): number {
  let offset: number | undefined;
  yamlLib().visit(doc, {
    Alias(_key, node) {
      offset = node.range?.[0];
      return offset === undefined ? undefined : yamlLib().visit.BREAK;
    },
  });
  return offset ?? 0;
}

/**
 * The yaml parser reports an unterminated quoted scalar where the file ends; the useful place is the quote that opens
 * it: the last quote before the end that stands where a scalar may start.
 */
function errorOffset(text: string, code: string, message: string, offset: number): number {
  if (code !== 'MISSING_CHAR' || !/closing ["']?quote/i.test(message)) return offset;
  const q = message.includes("'quote") ? "'" : '"';
  for (let i = Math.min(offset, text.length) - 1; i >= 0; i--) {
    if (text[i] !== q) continue;
    let j = i - 1;
    while (j >= 0 && (text[j] === ' ' || text[j] === '\t')) j--;
    if (j < 0 || ':-[,{?\n'.includes(text[j])) return i;
  }
  return offset;
}

/** The parser's message, first line only, quoting at most an excerpt of the input. */
function firstLine(s: string): string {
  return capQuoted(s.split('\n')[0].trim());
}

/** Keeps every loaded file so findings can be located lazily (locating is only paid for what is reported). */
export class SourceIndex {
  private readonly files = new Map<string, SourceFile>();

  add(s: SourceFile): void {
    this.files.set(s.file, s);
  }

  get(file: string): SourceFile | undefined {
    return this.files.get(file);
  }

  /** Builds a located finding. `sub` extends the entity's path down to the offending field. */
  finding(severity: Severity, code: string, message: string, loc: Loc, sub: NodePath = [], opts: { key?: boolean } = {}): Finding {
    const src = this.files.get(loc.file);
    const pos = src ? src.position([...loc.path, ...sub], opts) : { line: 1, column: 1 };
    return { severity, code, message, file: loc.file, line: pos.line, column: pos.column };
  }

  error(code: string, message: string, loc: Loc, sub: NodePath = [], opts: { key?: boolean } = {}): Finding {
    return this.finding('error', code, message, loc, sub, opts);
  }

  warning(code: string, message: string, loc: Loc, sub: NodePath = [], opts: { key?: boolean } = {}): Finding {
    return this.finding('warning', code, message, loc, sub, opts);
  }
}

/** The path printed in findings: relative to the current directory, with forward slashes. */
export function displayPath(abs: string, cwd: string = process.cwd()): string {
  const rel = path.relative(cwd, abs);
  return (rel === '' ? '.' : rel).split(path.sep).join('/');
}
