import { unsafeChars } from './controls';

/**
 * Mermaid flowchart text. Labels are rendered as HTML by Mermaid, so markup in a name must arrive as text: every
 * character that Mermaid or HTML gives a meaning (`<`, `>`, `&`, quotes, `#`, backtick, `|`, brackets) is written as
 * Mermaid's entity code `#NNN;` (https://mermaid.js.org/syntax/flowchart.html#entity-codes-to-escape-characters);
 * control characters are dropped. ggi's own line break inside a label (`\n`) becomes `<br/>`.
 */
export function mermaidLabel(s: string): string {
  return s
    .replace(unsafeChars('\\t'), '')
    .split('\n')
    .map((line) => line.replace(/[#"'<>&`|[\](){}\\]/g, (c) => `#${c.charCodeAt(0)};`))
    .join('<br/>');
}

/** A Mermaid node id: letters, digits and underscore only. */
export function mermaidId(s: string): string {
  return s.replace(/[^A-Za-z0-9_]/g, '_');
}
