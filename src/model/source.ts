import * as path from 'node:path';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node as YamlNode } from 'yaml';
import { CORE_SCHEMA, load as fastLoad } from 'js-yaml';
import type { Finding, Severity } from './finding';

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

  private get doc(): Document.Parsed {
    return this.positional().doc;
  }

  private get lines(): LineCounter {
    return this.positional().lines;
  }

  private positional(): { doc: Document.Parsed; lines: LineCounter } {
    if (!this.parsed) {
      const lines = new LineCounter();
      this.parsed = { doc: parseDocument(this.text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true, strict: true }), lines };
    }
    return this.parsed;
  }

  /** The 1-based line and column of the node at `p`, or of the nearest ancestor that exists. `key` points at the key instead of the value. */
  position(p: NodePath, opts: { key?: boolean } = {}): { line: number; column: number } {
    let node: unknown = this.doc.contents;
    let offset = node && (node as YamlNode).range ? (node as YamlNode).range![0] : 0;
    for (let i = 0; i < p.length; i++) {
      const seg = p[i];
      let next: unknown;
      let keyOffset: number | undefined;
      if (isMap(node)) {
        const pair = node.items.find((it) => isPair(it) && keyString(it.key) === String(seg));
        if (pair) {
          next = pair.value;
          const k = pair.key as YamlNode | null;
          keyOffset = k && k.range ? k.range[0] : undefined;
          if (i === p.length - 1 && opts.key && keyOffset !== undefined) return this.at(keyOffset);
          if (!next && keyOffset !== undefined) return this.at(keyOffset);
        }
      } else if (isSeq(node) && typeof seg === 'number') {
        next = node.items[seg];
      }
      if (!next) break;
      node = next;
      const r = (node as YamlNode).range;
      if (r) offset = r[0];
      else if (keyOffset !== undefined) offset = keyOffset;
    }
    return this.at(offset);
  }

  private at(offset: number): { line: number; column: number } {
    const pos = this.lines.linePos(offset);
    return { line: pos.line, column: pos.col };
  }
}

function keyString(k: unknown): string {
  if (isScalar(k)) return String(k.value);
  return String(k);
}

/** Parses YAML text keeping positions. Syntax errors become findings (YAML_SYNTAX), never exceptions. */
export function parseYaml(file: string, text: string): { source: SourceFile; value: unknown; findings: Finding[] } {
  // Fast path: js-yaml (YAML 1.2 core schema, duplicate keys refused) for the value; positions come later, lazily.
  try {
    const value = fastLoad(text, { schema: CORE_SCHEMA, filename: file });
    return { source: new SourceFile(file, text), value, findings: [] };
  } catch {
    // Fall through: the positional parser reports every problem with its place.
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true, strict: true });
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
  return { source, value: doc.toJS({ maxAliasCount: 1000 }), findings };
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

function firstLine(s: string): string {
  return s.split('\n')[0].trim();
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
