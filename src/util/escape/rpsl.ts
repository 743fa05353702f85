/**
 * A free-text RPSL attribute value (RFC 2622 §2; `descr:` and `remarks:` in the RIPE database): one line, printable
 * characters only. Line breaks, `#` (a comment in RPSL) and control characters become spaces; runs of space collapse.
 */
export function rpslText(s: string): string {
  return s
    .replace(/[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069#]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}
