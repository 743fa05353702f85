/**
 * The YAML writer of ggi: every inventory file it writes (generated inventories, onboarded organisations, ledger
 * entries) is written here, block style for structure and flow style for short leaves, so the output reads like a
 * hand-written inventory. Every value written here is re-read by the real loader in tests. (Edits that must keep an
 * existing file's comments go through the `yaml` library's document, src/ipv6/store.ts.)
 */

export type Scalar = string | number | boolean;
export type Flow = Scalar | Flow[] | { [k: string]: Flow | undefined };

const RESERVED = /^(true|false|null|yes|no|on|off|y|n|~)$/i;

/**
 * A scalar as YAML: plain when that is unambiguous, else double-quoted (JSON strings are valid YAML). Inside flow
 * collections fewer characters are safe (`,` `[` `]` `{` `}` end a plain scalar there).
 */
export function scalar(v: Scalar, inFlow = true): string {
  if (typeof v !== 'string') return String(v);
  const safe = inFlow ? /^[A-Za-z0-9][A-Za-z0-9 ._/()@+:-]*$/ : /^[A-Za-z0-9(][^\n"'#`]*$/;
  const plain =
    safe.test(v) &&
    !/ #/.test(v) &&
    !/:(\s|$)/.test(v) &&
    !/\s$/.test(v) &&
    !RESERVED.test(v) &&
    !/^[-+]?(\d[\d_]*)?(\.\d*)?([eE][-+]?\d+)?$/.test(v) &&
    !/^0[xo]/.test(v);
  return plain ? v : JSON.stringify(v);
}

/** A leaf value in flow style: `{ a: 1, b: [x, y] }`. */
export function flow(v: Flow): string {
  if (Array.isArray(v)) return `[${v.map(flow).join(', ')}]`;
  if (typeof v === 'object') {
    const parts = Object.entries(v)
      .filter(([, x]) => x !== undefined)
      .map(([k, x]) => `${k}: ${flow(x as Flow)}`);
    return parts.length ? `{ ${parts.join(', ')} }` : '{}';
  }
  return scalar(v);
}

/**
 * A mapping in block style, one key per line; nested plain objects become nested blocks unless listed in `flowKeys`
 * (or are arrays of scalars, which are always flow). Arrays of objects become `- ` items.
 */
export function block(obj: Record<string, unknown>, indent = 0, flowKeys: ReadonlySet<string> = new Set()): string {
  const pad = ' '.repeat(indent);
  const out: string[] = [];
  for (const [k, v] of Object.entries(obj)) {
    if (v === undefined) continue;
    if (Array.isArray(v) && v.some((x) => x !== null && typeof x === 'object' && !Array.isArray(x)) && !flowKeys.has(k)) {
      if (v.length === 0) {
        out.push(`${pad}${k}: []`);
        continue;
      }
      out.push(`${pad}${k}:`);
      for (const item of v) out.push(listItem(item as Record<string, unknown>, indent + 2, flowKeys));
    } else if (v !== null && typeof v === 'object' && !Array.isArray(v) && !flowKeys.has(k)) {
      out.push(`${pad}${k}:`);
      out.push(block(v as Record<string, unknown>, indent + 2, flowKeys));
    } else if (v === null || typeof v !== 'object') {
      out.push(`${pad}${k}: ${scalar(v as Scalar, false)}`);
    } else {
      out.push(`${pad}${k}: ${flow(v as Flow)}`);
    }
  }
  return out.join('\n');
}

/** One `- ` item of a list of mappings, its first key on the dash line. */
export function listItem(obj: Record<string, unknown>, indent: number, flowKeys: ReadonlySet<string> = new Set()): string {
  const text = block(obj, indent + 2, flowKeys);
  const pad = ' '.repeat(indent + 2);
  return `${' '.repeat(indent)}- ${text.slice(pad.length)}`;
}

/** A comment block (each line prefixed with `# `). */
export function comment(text: string, indent = 0): string {
  const pad = ' '.repeat(indent);
  return text
    .split('\n')
    .map((l) => (l ? `${pad}# ${l}` : `${pad}#`))
    .join('\n');
}
