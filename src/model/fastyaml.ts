/**
 * A fast reader for the plain YAML subset that ggi (and the generator) write the ledger in: a top-level mapping whose
 * values are scalars or sequences; sequence items that are one-line flow mappings or block mappings of scalars, with
 * at most one level of nested mapping (`released:`, `delegation:`). The general YAML parser needs seconds for the
 * national ledger, and the store re-reads the ledger inside its lock on every allocation.
 *
 * It returns exactly what the YAML 1.2 core schema gives, or null as soon as the text uses anything else (anchors,
 * tags, block scalars, escapes, numbers other than plain decimal integers, duplicate keys, tabs, whitespace other than
 * the space, control characters, …): the caller then uses the full parser, which also produces located findings. A
 * property test checks it against the `yaml` library.
 *
 * One pass over the text by position: no string per line, and a value that repeats the one of the same key in the
 * previous item (an organisation, a category, a parent …) is recognised in place and shared, not cut out again.
 */

export interface FastLedgerText {
  readonly value: Record<string, unknown>;
  /** For each top-level block sequence: where its last item ends and the indentation of its dashes. */
  readonly seqTails: ReadonlyMap<string, { at: number; indent: string }>;
}

/** The YAML indicator characters (a plain scalar cannot start with one here), by character code. */
const INDICATOR = new Uint8Array(128);
for (const c of '-?:,[]{}#&*!|>\'"%@`') INDICATOR[c.charCodeAt(0)] = 1;
const NULL_RE = /^(?:~|[Nn]ull|NULL)?$/;
const BOOL_RE = /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/;
const NUMERIC_RE = /^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+|[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;
const KEY_RE = /^[A-Za-z_][A-Za-z0-9_-]*$/;
/**
 * Characters a value may not hold here: controls, and every white space but the space (`String.prototype.trim` would
 * remove them where YAML keeps them, and YAML does not fold them like spaces), line and paragraph separators included.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what this refuses.
const AWKWARD_RE = /[\x00-\x1f\x7f-\x9f\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]/;

class Unsupported extends Error {}
const fail = (): never => {
  throw new Unsupported();
};

const SPACE = 32;
const HASH = 35;
const DASH = 45;
const COLON = 58;
const BRACE = 123;
const SQUOTE = 39;
const DQUOTE = 34;

/** One scalar (already cut from its line, comment removed by the caller). */
function scalar(raw: string): unknown {
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
  // Only these first characters can make a null, a boolean or a number: the expressions run for those alone.
  const c = s.charCodeAt(0);
  if (s === '' || c === 126 || c === 110 || c === 78) {
    if (NULL_RE.test(s)) fail();
  } else if (c === 116 || c === 84 || c === 102 || c === 70) {
    if (BOOL_RE.test(s)) return s.toLowerCase() === 'true';
  } else if ((c >= 48 && c <= 57) || c === 43 || c === DASH || c === 46) {
    if (NUMERIC_RE.test(s)) {
      if (!/^(0|[1-9][0-9]{0,14})$/.test(s)) fail();
      return Number(s);
    }
  }
  if ((c < 128 && INDICATOR[c] === 1) || s.includes(': ') || s.includes(' #') || s.charCodeAt(s.length - 1) === COLON) fail();
  return s;
}

/** A value on a `key: value` line: a scalar, or a one-line flow mapping of scalars. */
function inlineValue(raw: string): unknown {
  if (AWKWARD_RE.test(raw)) fail();
  const s = raw.trim();
  if (s.startsWith('{')) return flowMap(s);
  if (s === '[]') return [];
  if (s.startsWith('[')) fail();
  return scalar(s);
}

/** Splits `key: rest` of a flow mapping's pair; the key is a plain word. */
function keyValue(s: string): [string, string] {
  const colon = s.indexOf(':');
  if (colon < 0) fail();
  const key = s.slice(0, colon);
  if (!KEY_RE.test(key)) fail();
  if (colon + 1 === s.length) return [key, ''];
  if (s[colon + 1] !== ' ') fail();
  return [key, s.slice(colon + 2)];
}

function flowMap(s: string): Record<string, unknown> {
  if (AWKWARD_RE.test(s) || !s.endsWith('}')) fail();
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

/**
 * A key of the block mappings, with the value its last pair had (shared when the next pair's text is the same). Both
 * are compared where they were last seen in the text: one string with itself, whatever V8 made of the cut-out copies.
 */
interface KeySlot {
  readonly key: string;
  readonly keyAt: number;
  /** Where the text of the last value starts and its length (-1: no value to share, e.g. a mapping). */
  rawAt: number;
  rawLen: number;
  value: unknown;
  /** The item that last used this key: a second use in one item is a duplicate key. */
  item: number;
}

/**
 * The text, one significant line at a time (blank and comment lines skipped): its indentation and where its body
 * starts and ends (a trailing comment and trailing spaces cut off), as positions.
 */
class Reader {
  readonly n: number;
  done = false;
  /** Indentation (spaces), body start and end, and where the line ends including its line feed. */
  indent = 0;
  b = 0;
  e = 0;
  end = 0;
  private next = 0;
  /** The next '#', "'" and '"' at or after the current line: a line before all three needs no comment scan. */
  private hashAt = -1;
  private squoteAt = -1;
  private dquoteAt = -1;
  /** Filled by `pair`: the key and where its inline value starts (-1: nothing after the colon). */
  key = '';
  slot: KeySlot | null = null;
  vs = -1;
  private readonly slots = new Map<string, KeySlot>();
  private items = 0;

  constructor(readonly text: string) {
    this.n = text.length;
  }

  /** Moves to the next significant line (or `done`). */
  advance(): void {
    const t = this.text;
    let pos = this.next;
    while (pos < this.n) {
      let nl = t.indexOf('\n', pos);
      if (nl < 0) nl = this.n;
      let i = pos;
      while (i < nl && t.charCodeAt(i) === SPACE) i++;
      if (i === nl || t.charCodeAt(i) === HASH) {
        pos = nl + 1;
        continue;
      }
      const c = t.charCodeAt(i);
      if (c === 37 || ((c === DASH || c === 46) && (t.startsWith('---', i) || t.startsWith('...', i)))) fail();
      let e = this.special(pos, nl) ? this.stripComment(i, nl) : nl;
      while (e > i && t.charCodeAt(e - 1) === SPACE) e--;
      this.indent = i - pos;
      this.b = i;
      this.e = e;
      this.end = Math.min(nl + 1, this.n);
      this.next = nl + 1;
      return;
    }
    this.done = true;
    this.next = this.n;
  }

  /** Whether [pos, nl) holds a character that may start a comment or a quoted scalar. */
  private special(pos: number, nl: number): boolean {
    const t = this.text;
    if (this.hashAt < pos) this.hashAt = at(t.indexOf('#', pos), this.n);
    if (this.squoteAt < pos) this.squoteAt = at(t.indexOf("'", pos), this.n);
    if (this.dquoteAt < pos) this.dquoteAt = at(t.indexOf('"', pos), this.n);
    return this.hashAt < nl || this.squoteAt < nl || this.dquoteAt < nl;
  }

  /** Where a ` # comment` outside quotes starts in the body [b, nl), or nl. */
  private stripComment(b: number, nl: number): number {
    const t = this.text;
    let q = 0;
    for (let k = b; k < nl; k++) {
      const c = t.charCodeAt(k);
      if (q) {
        if (c === q) q = 0;
      } else if (c === SQUOTE || c === DQUOTE) {
        const prev = k === b ? -1 : t.charCodeAt(k - 1);
        if (prev === -1 || prev === SPACE || prev === BRACE || prev === 44) q = c;
      } else if (c === HASH && (k === b || t.charCodeAt(k - 1) === SPACE)) return k;
    }
    if (q) fail();
    return nl;
  }

  /** Whether the body is a sequence entry (`- …`). */
  isDash(): boolean {
    return this.text.charCodeAt(this.b) === DASH && this.b + 1 < this.e && this.text.charCodeAt(this.b + 1) === SPACE;
  }

  /** Reads `key:` or `key: value` starting at `from` in the current body; `expect` is the key most likely there. */
  pair(from: number, expect: KeySlot | undefined): void {
    const t = this.text;
    let slot: KeySlot | undefined;
    let colon: number;
    if (expect !== undefined && from + expect.key.length < this.e && t.charCodeAt(from + expect.key.length) === COLON && same(t, from, expect.keyAt, expect.key.length)) {
      slot = expect;
      colon = from + expect.key.length;
    } else {
      colon = t.indexOf(':', from);
      if (colon < 0 || colon >= this.e) fail();
      const key = t.slice(from, colon);
      slot = this.slots.get(key);
      if (slot === undefined) {
        // `in` an empty object: the keys that would touch Object.prototype (`__proto__`, `constructor` …) are refused.
        if (!KEY_RE.test(key) || key in {}) fail();
        // The key as V8 keeps property names (internalized): a store under a cut-out string looks it up every time.
        slot = { key: Object.keys({ [key]: 0 })[0], keyAt: from, rawAt: 0, rawLen: -1, value: undefined, item: -1 };
        this.slots.set(key, slot);
      }
    }
    this.slot = slot;
    this.key = slot.key;
    if (colon + 1 === this.e) this.vs = -1;
    else if (t.charCodeAt(colon + 1) !== SPACE) fail();
    else this.vs = colon + 2;
  }

  /** The inline value of the pair just read (`vs` >= 0); the previous item's value of the key when the text is the same. */
  value(): unknown {
    const slot = this.slot!;
    const len = this.e - this.vs;
    if (slot.rawLen === len && same(this.text, this.vs, slot.rawAt, len)) return slot.value;
    const v = inlineValue(this.text.slice(this.vs, this.e));
    if (typeof v !== 'object') {
      slot.rawAt = this.vs;
      slot.rawLen = len;
      slot.value = v;
    }
    return v;
  }

  /** A fresh item number for the duplicate-key check of `KeySlot.item`. */
  newItem(): number {
    return ++this.items;
  }
}

/** Whether the text holds the same `len` characters at `a` and `b` (a loop: `startsWith` at a position is slow). */
function same(text: string, a: number, b: number, len: number): boolean {
  // From the end: values that differ (a counter, an address) mostly differ there.
  for (let i = len - 1; i >= 0; i--) if (text.charCodeAt(a + i) !== text.charCodeAt(b + i)) return false;
  return true;
}

function at(i: number, n: number): number {
  return i < 0 ? n : i;
}

/** Builds one item from its values, in the order of its keys. */
type Shape = (vals: readonly unknown[]) => Record<string, unknown>;
const shapes = new Map<string, Shape>();

/**
 * The builder for items with these keys in this order: an object literal made for them, so that V8 allocates each item
 * once at its final size (250,000 items grown key by key made the garbage collector the slowest part). The keys are
 * plain words (KEY_RE, never `__proto__`), written as JSON strings.
 */
function shapeOf(order: readonly KeySlot[], k: number): Shape {
  const keys = order.slice(0, k).map((s) => s.key);
  const sig = keys.join(',');
  let shape = shapes.get(sig);
  if (shape) return shape;
  if (shapes.size < 64) {
    shape = new Function('v', `return { ${keys.map((key, i) => `${JSON.stringify(key)}: v[${i}]`).join(', ')} };`) as Shape;
  } else {
    shape = (v) => {
      const o: Record<string, unknown> = {};
      for (let i = 0; i < keys.length; i++) o[keys[i]] = v[i];
      return o;
    };
  }
  shapes.set(sig, shape);
  return shape;
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
  const r = new Reader(text);
  const value: Record<string, unknown> = {};
  const seqTails = new Map<string, { at: number; indent: string }>();
  // The keys of the previous block-mapping item, in order: the next item most likely has the same ones.
  let prevOrder: KeySlot[] = [];
  let order: KeySlot[] = [];
  let lastEnd = -1;

  /** One pair of a block-mapping item (the current line, its body from `from`), and a nested mapping below it. */
  const vals: unknown[] = [];
  let shape: Shape | null = null;
  const addPair = (itemNo: number, from: number, col: number, k: number): void => {
    r.pair(from, prevOrder[k]);
    const slot = r.slot!;
    if (slot.item === itemNo) fail();
    slot.item = itemNo;
    order[k] = slot;
    if (r.vs >= 0) {
      vals[k] = r.value();
      r.advance();
      return;
    }
    r.advance();
    // One nested block mapping of scalars.
    if (r.done || r.indent <= col) fail();
    const nestedCol = r.indent;
    const nested: Record<string, unknown> = {};
    while (!r.done && r.indent === nestedCol) {
      r.pair(r.b, undefined);
      const nk = r.key;
      if (nk in nested || r.vs < 0) fail();
      const raw = text.slice(r.vs, r.e);
      if (AWKWARD_RE.test(raw) || raw.trim().startsWith('{')) fail();
      nested[nk] = scalar(raw);
      lastEnd = r.end;
      r.advance();
    }
    if (!r.done && r.indent > col) fail();
    vals[k] = nested;
  };

  r.advance();
  while (!r.done) {
    if (r.indent !== 0) fail();
    r.pair(r.b, undefined);
    const key = r.key;
    if (key in value) fail();
    if (r.vs >= 0) {
      value[key] = inlineValue(text.slice(r.vs, r.e));
      r.advance();
      continue;
    }
    r.advance();
    // A block sequence below the key (dashes at column >= 0).
    if (r.done || !r.isDash()) fail();
    const dashCol = r.indent;
    const items: unknown[] = [];
    lastEnd = -1;
    while (!r.done && r.indent === dashCol && r.isDash()) {
      let cs = r.b + 2;
      while (text.charCodeAt(cs) === SPACE) cs++;
      const contentCol = r.indent + (cs - r.b);
      lastEnd = r.end;
      if (text.charCodeAt(cs) === BRACE) {
        items.push(flowMap(text.slice(cs, r.e)));
        r.advance();
        continue;
      }
      // A block mapping: its first key on the dash line, the others at the same column.
      const itemNo = r.newItem();
      let k = 0;
      addPair(itemNo, cs, contentCol, k++);
      while (!r.done && r.indent === contentCol) {
        if (r.isDash()) fail();
        lastEnd = r.end;
        addPair(itemNo, r.b, contentCol, k++);
      }
      if (!r.done && r.indent > dashCol) fail();
      let asBefore = shape !== null && k === prevOrder.length;
      for (let j = 0; asBefore && j < k; j++) asBefore = order[j] === prevOrder[j];
      if (!asBefore) shape = shapeOf(order, k);
      items.push(shape!(vals));
      const filled = order;
      order = prevOrder;
      prevOrder = filled;
      prevOrder.length = k;
    }
    if (!r.done && r.indent !== 0) fail();
    value[key] = items;
    seqTails.set(key, { at: lastEnd, indent: ' '.repeat(dashCol) });
  }
  return { value, seqTails };
}
