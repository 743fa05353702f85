import { unsafeChars } from './controls';

/**
 * Graphviz DOT: a double-quoted ID (https://graphviz.org/doc/info/lang.html). Backslash is escaped first, so a name
 * cannot start a label escape (`\N`, `\G`, `\l`); quotes cannot end the string; control characters are dropped
 * (Graphviz has no escape for them). `\n` is the one line break ggi itself puts into labels.
 */
export function dotString(s: string): string {
  const body = s
    .replace(unsafeChars('\\t'), '')
    .replace(/\\/g, '\\\\')
    .replace(/"/g, '\\"')
    .replace(/\n/g, '\\n');
  return `"${body}"`;
}
