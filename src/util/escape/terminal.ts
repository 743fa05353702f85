/**
 * Text for a terminal (and every other line-oriented output): C0 and C1 control characters, DEL and the bidirectional
 * overrides are written as visible `\uXXXX`, so a name in the inventory can neither move the cursor, recolour or retitle
 * the terminal (ANSI/ECMA-48 escape sequences) nor reorder what is shown ("Trojan Source", CVE-2021-42574).
 * `\uXXXX` is also a JSON escape: applied to a JSON document it keeps the document valid and its values unchanged.
 */

import { unsafeChars } from './controls';

// Newline and tab stay: they are the layout of the output itself.
const UNSAFE = unsafeChars();

function visible(c: string): string {
  return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/** A value (a name, a message) on one line of terminal text: every control character visible, line breaks too. */
export function terminalText(s: string): string {
  return s.replace(/[\n\t]/g, (c) => (c === '\n' ? '\\n' : ' ')).replace(UNSAFE, visible);
}

// The only escape sequences ggi itself writes (src/cli/report/colour.ts, progress lines), allowed on a terminal.
// biome-ignore lint/suspicious/noControlCharactersInRegex: ESC and CR are exactly the sequences ggi writes itself.
const OWN = /\r\x1b\[K|\x1b\[K|\x1b\[(?:0|1|2|31|32|33|36)m/y;

/**
 * A whole output stream: every unsafe character made visible, layout (newline, CRLF, tab) kept. With `ownSequences`, the
 * colour and progress sequences ggi writes itself pass (on a terminal); anything else is escaped.
 */
export function terminalOutput(s: string, ownSequences: boolean): string {
  UNSAFE.lastIndex = 0;
  if (!UNSAFE.test(s)) return s;
  let out = '';
  let i = 0;
  while (i < s.length) {
    if (ownSequences && (s[i] === '\x1b' || s[i] === '\r')) {
      OWN.lastIndex = i;
      const m = OWN.exec(s);
      if (m) {
        out += m[0];
        i += m[0].length;
        continue;
      }
    }
    const c = s[i];
    // CRLF is a line end too (CSV, RFC 4180); a lone CR would overwrite the line, so it is shown.
    out += c === '\n' || c === '\t' || (c === '\r' && s[i + 1] === '\n') ? c : c.replace(UNSAFE, visible);
    i++;
  }
  return out;
}
