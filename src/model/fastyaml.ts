/**
 * A fast reader for the plain YAML subset that ggi (and the generator) write the ledger in: a top-level mapping whose
 * values are scalars or sequences; sequence items that are one-line flow mappings or block mappings of scalars, with
 * at most one level of nested mapping (`released:`, `delegation:`). The general YAML parser needs seconds for the
 * national ledger, and the store re-reads the ledger inside its lock on every allocation.
 *
 * It returns exactly what the YAML 1.2 core schema gives, or null as soon as the text uses anything else (anchors,
 * tags, block scalars, escapes, numbers other than plain decimal integers, duplicate keys, tabs, …): the caller then
 * uses the full parser, which also produces located findings. A property test checks it against the `yaml` library.
 */

export interface FastLedgerText {
  readonly value: Record<string, unknown>;
  /** For each top-level block sequence: where its last item ends and the indentation of its dashes. */
  readonly seqTails: ReadonlyMap<string, { at: number; indent: string }>;
}

const INDICATORS = new Set(['-', '?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', "'", '"', '%', '@', '`']);
const NULL_RE = /^(?:~|[Nn]ull|NULL)?$/;
const BOOL_RE = /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/;
const NUMERIC_RE = /^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+|[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;

class Unsupported extends Error {}
const fail = (): never => {
  throw new Unsupported();
};

/**
 * Scalars already read: a ledger repeats the same few values (organisations, categories, statuses, operators, parents)
 * hundreds of thousands of times. Filled until it holds SCALAR_CACHE_SIZE values, then only read.
 */
const scalarCache = new Map<string, unknown>();
const SCALAR_CACHE_SIZE = 50_000;

/** One scalar (already cut from its line, comment removed for plain scalars by the caller). */
function scalar(raw: string): unknown {
  if (scalarCache.has(raw)) return scalarCache.get(raw);
  const v = readScalar(raw);
  if (scalarCache.size < SCALAR_CACHE_SIZE) scalarCache.set(raw, v);
  return v;
}

function readScalar(raw: string): unknown {
  const s = raw.trim();
  if (s.startsWith("'")) {
    if (!s.endsWith("'") || s.length < 2) fail();
    const inner = s.slice(1, -1);
    if (inner.replace(/''/g, '').includes("'")) fail();
    return inner.replace(/''/g, "'");
  }
  if (s.startsWith('"')) {
    if (!s.endsWith('"') || s.length < 2) fail();
    const inner = s.slice(1, -1);
    if (inner.includes('\\') || inner.includes('"')) fail();
    return inner;
  }
  if (NULL_RE.test(s)) fail();
  if (BOOL_RE.test(s)) return s.toLowerCase() === 'true';
  if (NUMERIC_RE.test(s)) {
    if (!/^(0|[1-9][0-9]{0,14})$/.test(s)) fail();
    return Number(s);
  }
  if (INDICATORS.has(s[0]) || s.includes(': ') || s.includes(' #') || s.endsWith(':') || /[\t\r]/.test(s)) fail();
  return s;
}

/** Splits `key: rest`; the key is a plain word. */
function keyValue(s: string): [string, string] {
  // As /^([A-Za-z_][A-Za-z0-9_-]*):(?: (.*))?$/ without running it per line: the keys are a handful, judged once.
  const colon = s.indexOf(':');
  if (colon < 0) fail();
  const key = s.slice(0, colon);
  if (!goodKeys.has(key)) {
    if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(key)) fail();
    if (goodKeys.size < 1000) goodKeys.add(key);
  }
  if (colon + 1 === s.length) return [key, ''];
  if (s[colon + 1] !== ' ') fail();
  const rest = s.slice(colon + 2);
  // '.' matches no line terminator: a value holding one is left to the full parser.
  if (/[\n\r\u2028\u2029]/.test(rest)) fail();
  return [key, rest];
}
const goodKeys = new Set<string>();

/** Removes a trailing ` # comment` outside quotes. */
function stripComment(s: string): string {
  if (s.indexOf('#') < 0 && s.indexOf("'") < 0 && s.indexOf('"') < 0) return s.trimEnd();
  let q: string | null = null;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (q) {
      if (c === q) q = null;
    } else if (c === "'" || c === '"') {
      if (i === 0 || s[i - 1] === ' ' || s[i - 1] === '{' || s[i - 1] === ',') q = c;
    } else if (c === '#' && (i === 0 || s[i - 1] === ' ')) return s.slice(0, i).trimEnd();
  }
  if (q) fail();
  return s.trimEnd();
}

/** A value on a `key: value` line: a scalar, or a one-line flow mapping of scalars. */
function inlineValue(raw: string): unknown {
  const s = raw.trim();
  if (s.startsWith('{')) return flowMap(s);
  if (s === '[]') return [];
  if (s.startsWith('[')) fail();
  return scalar(s);
}

function flowMap(s: string): Record<string, unknown> {
  if (!s.endsWith('}')) fail();
  const inner = s.slice(1, -1).trim();
  const out: Record<string, unknown> = {};
  if (!inner) return out;
  const parts: string[] = [];
  let q: string | null = null;
  let start = 0;
  for (let i = 0; i < inner.length; i++) {
    const c = inner[i];
    if (q) {
      if (c === q) q = null;
    } else if (c === "'" || c === '"') q = c;
    else if (c === '{' || c === '}' || c === '[' || c === ']') fail();
    else if (c === ',') {
      parts.push(inner.slice(start, i));
      start = i + 1;
    }
  }
  if (q) fail();
  parts.push(inner.slice(start));
  for (const p of parts) {
    const [k, v] = keyValue(p.trim());
    if (k in out || v.trim() === '') fail();
    const val = scalar(v);
    if (typeof val === 'string' && val.includes(',')) fail();
    out[k] = val;
  }
  return out;
}

/** Parses the ledger subset; null when the text needs the full YAML parser. */
export function fastParseLedger(text: string): FastLedgerText | null {
  try {
    return parse(text);
  } catch (e) {
    if (e instanceof Unsupported) return null;
    throw e;
  }
}

function parse(text: string): FastLedgerText {
  if (text.includes('\t') || text.includes('\r') || text.charCodeAt(0) === 0xfeff) fail();
  // Three parallel arrays, not an object per line: a large ledger has millions of them.
  const indents: number[] = [];
  const bodies: string[] = [];
  const ends: number[] = [];
  let pos = 0;
  while (pos < text.length) {
    let nl = text.indexOf('\n', pos);
    if (nl < 0) nl = text.length;
    const raw = text.slice(pos, nl);
    const body = raw.trimStart();
    if (body !== '' && !body.startsWith('#')) {
      if (body.startsWith('---') || body.startsWith('...') || body.startsWith('%')) fail();
      indents.push(raw.length - body.length);
      bodies.push(stripComment(body));
      ends.push(Math.min(nl + 1, text.length));
    }
    pos = nl + 1;
  }
  const value: Record<string, unknown> = {};
  const seqTails = new Map<string, { at: number; indent: string }>();
  let i = 0;
  while (i < bodies.length) {
    if (indents[i] !== 0) fail();
    const [key, rest] = keyValue(bodies[i]);
    if (key in value) fail();
    i++;
    if (rest.trim() !== '') {
      value[key] = inlineValue(rest);
      continue;
    }
    // A block sequence below the key (dashes at column >= 0), or nothing (null: unsupported).
    if (i >= bodies.length || !bodies[i].startsWith('- ') || (indents[i] === 0 && key === '')) fail();
    const dashCol = indents[i];
    const items: unknown[] = [];
    let lastEnd = -1;
    while (i < bodies.length && indents[i] === dashCol && bodies[i].startsWith('- ')) {
      const firstBody = bodies[i];
      const content = firstBody.slice(2).trimStart();
      const contentCol = indents[i] + (firstBody.length - content.length);
      i++;
      lastEnd = ends[i - 1];
      if (content.startsWith('{')) {
        items.push(flowMap(content));
        continue;
      }
      // A block mapping: its first key on the dash line, the others at the same column.
      const item: Record<string, unknown> = {};
      const addPair = (body: string, col: number): void => {
        const [k, v] = keyValue(body);
        if (k in item) fail();
        if (v.trim() !== '') {
          item[k] = inlineValue(v);
          return;
        }
        // One nested block mapping of scalars.
        if (i >= bodies.length || indents[i] <= col) fail();
        const nestedCol = indents[i];
        const nested: Record<string, unknown> = {};
        while (i < bodies.length && indents[i] === nestedCol) {
          const [nk, nv] = keyValue(bodies[i]);
          if (nk in nested || nv.trim() === '' || nv.trim().startsWith('{')) fail();
          nested[nk] = scalar(nv);
          lastEnd = ends[i];
          i++;
        }
        if (i < bodies.length && indents[i] > col) fail();
        item[k] = nested;
      };
      addPair(content, contentCol);
      while (i < bodies.length && indents[i] === contentCol) {
        if (bodies[i].startsWith('- ')) fail();
        const body = bodies[i];
        lastEnd = ends[i];
        i++;
        addPair(body, contentCol);
      }
      if (i < bodies.length && indents[i] > dashCol && !(indents[i] === dashCol && bodies[i].startsWith('- '))) fail();
      items.push(item);
    }
    if (i < bodies.length && indents[i] !== 0) fail();
    value[key] = items;
    seqTails.set(key, { at: lastEnd, indent: ' '.repeat(dashCol) });
  }
  return { value, seqTails };
}
