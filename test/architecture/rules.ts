import * as path from 'node:path';

/**
 * The import rules of docs/design.md ("Module boundaries"), as data and one pure checker. A file is named by its path
 * from the repository root ('src/zones/engine.ts'); its module is its folder under src/ ('src/zones'), or 'stacks' or
 * 'bench'.
 */

/** Which modules each module may import (besides itself). src/net and src/util are foundations: anyone may use them. */
export const MAY_IMPORT: Readonly<Record<string, readonly string[]>> = {
  'src/net': [],
  'src/util': [],
  'src/model': [],
  'src/secrets': ['src/model'],
  'src/ipv6': ['src/model'],
  'src/zones': ['src/model', 'src/ipv6'],
  'src/diginetwerk': ['src/model', 'src/ipv6', 'src/zones'],
  'src/govroam': ['src/model'],
  'src/veilig': ['src/model', 'src/ipv6', 'src/zones'],
  'src/graph': ['src/model'],
  'src/generate': ['src/model', 'src/ipv6'],
  'src/validation': ['src/model', 'src/ipv6', 'src/zones', 'src/diginetwerk', 'src/govroam', 'src/veilig', 'src/intent'],
  'src/intent': ['src/model', 'src/ipv6', 'src/zones', 'src/diginetwerk', 'src/govroam', 'src/veilig'],
  // A driver renders from the intent with the domain renderers (nftables in src/zones, RADIUS in src/govroam).
  'src/devices': ['src/intent', 'src/model', 'src/ipv6', 'src/zones', 'src/diginetwerk', 'src/govroam', 'src/veilig'],
  // Of src/devices, only the contract (CONTRACT below): the reconciler knows no platform.
  'src/reconciler': ['src/intent', 'src/devices', 'src/model', 'src/secrets'],
  'src/constructs': ['src/model', 'src/ipv6', 'src/zones'],
  'stacks': ['src/constructs', 'src/model', 'src/ipv6', 'src/zones', 'src/validation'],
  // The lab builds real devices: it renders their configuration with the drivers.
  'src/lab': ['src/model', 'src/intent', 'src/devices', 'src/govroam'],
  'src/lifecycle': ['src/model', 'src/ipv6', 'src/zones', 'src/intent'],
  'src/cli': ['*'],
  'bench': ['*'],
};

const FOUNDATIONS = ['src/net', 'src/util'];
/** What src/reconciler may import of src/devices: the driver contract and the contract's platform-neutral text diff. */
export const CONTRACT = ['src/devices/contract', 'src/devices/diff'];
/** Libraries that are cdktf: only src/constructs and stacks/ may import them (a switch to its fork is one folder). */
const CDKTF = /^(cdktf|constructs|@cdktf\/.*|cdktn|@cdktn\/.*)$/;
const CDKTF_HOMES = ['src/constructs', 'stacks'];
/** Platform names, as words: they belong under src/devices (and src/lab, which builds real devices). */
export const PLATFORM_WORDS = /(?<![\w-])(linux-frr|frr|vtysh|nft|nftables|radsecproxy|freeradius|kea)(?![\w-])/i;
const PLATFORM_HOMES = ['src/devices', 'src/lab'];

export interface Violation {
  file: string;
  rule: 'import' | 'cli' | 'cdktf' | 'platform';
  detail: string;
}

/** The module a repository path belongs to, or null outside src/, stacks/ and bench/. */
export function moduleOf(file: string): string | null {
  const parts = file.split('/');
  // 'src/net' (a folder, imported through its index) is the module src/net; 'src/index.ts' is the package's entry.
  if (parts[0] === 'src') return parts.length > 2 || MAY_IMPORT[`src/${parts[1]}`] ? `src/${parts[1]}` : 'src';
  if (parts[0] === 'stacks' || parts[0] === 'bench') return parts[0];
  return null;
}

/** The module specifiers of a TypeScript file: static imports and exports, require(), import(). */
export function importsOf(text: string): string[] {
  const out: string[] = [];
  const re = /(?:\bfrom\s*|\brequire\(\s*|\bimport\(\s*|^\s*import\s+)(['"])([^'"]+)\1/gm;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) out.push(m[2]);
  return out;
}

/** The text without comments (strings kept), so that an explanation naming a tool is not a platform dependency. */
export function codeOf(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    if (text.startsWith('//', i)) {
      const j = text.indexOf('\n', i);
      i = j < 0 ? text.length : j;
    } else if (text.startsWith('/*', i)) {
      const j = text.indexOf('*/', i + 2);
      const end = j < 0 ? text.length : j + 2;
      out += text.slice(i, end).replace(/[^\n]/g, '');
      i = end;
    } else if (text[i] === "'" || text[i] === '"' || text[i] === '`') {
      let j = i + 1;
      while (j < text.length && text[j] !== text[i]) j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
    } else {
      out += text[i++];
    }
  }
  return out;
}

/** Every rule that `file` (a repository path) with contents `text` breaks. */
export function checkFile(file: string, text: string): Violation[] {
  const from = moduleOf(file);
  if (from === null) return [];
  const out: Violation[] = [];
  const allowed = MAY_IMPORT[from];
  for (const spec of importsOf(text)) {
    if (!spec.startsWith('.')) {
      if (CDKTF.test(spec) && !CDKTF_HOMES.includes(from)) out.push({ file, rule: 'cdktf', detail: `imports ${spec}` });
      continue;
    }
    const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), spec));
    const to = moduleOf(target);
    if (to === null || to === from) continue;
    if (to === 'src/cli') {
      out.push({ file, rule: 'cli', detail: `imports ${target}` });
      continue;
    }
    if (allowed === undefined) {
      out.push({ file, rule: 'import', detail: `${from} is not in the module table` });
      continue;
    }
    if (FOUNDATIONS.includes(to) || allowed.includes('*')) continue;
    if (!allowed.includes(to)) out.push({ file, rule: 'import', detail: `${from} may not import ${to} (${target})` });
    else if (from === 'src/reconciler' && to === 'src/devices' && !CONTRACT.includes(target.replace(/\.ts$/, ''))) {
      out.push({ file, rule: 'import', detail: `src/reconciler may import only the driver contract of src/devices, not ${target}` });
    }
  }
  if (!PLATFORM_HOMES.includes(from) && from !== 'bench') {
    const lines = codeOf(text).split('\n');
    for (let i = 0; i < lines.length; i++) {
      const m = PLATFORM_WORDS.exec(lines[i]);
      if (m) out.push({ file, rule: 'platform', detail: `line ${i + 1} names ${m[1]}` });
    }
  }
  return out;
}
