import { unsafeChars } from './controls';

/**
 * A free-text RPSL attribute value (RFC 2622 §2; `descr:` and `remarks:` in the RIPE database): one line, printable
 * characters only. Line breaks, `#` (a comment in RPSL) and control characters become spaces; runs of space collapse.
 */
export function rpslText(s: string): string {
  return s
    .replace(unsafeChars('\\t\\n#'), ' ')
    .replace(/\s+/g, ' ')
    .trim();
}
