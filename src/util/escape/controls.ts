/**
 * The characters no output may carry raw: C0 controls except tab and newline, DEL, C1 controls (U+0080–U+009F, of
 * which U+009B is CSI on many terminals) and the bidirectional marks and overrides that reorder what is shown
 * ("Trojan Source", CVE-2021-42574). Source text for the output-specific modules next to this one.
 */
export const UNSAFE_SOURCE = '\\u0000-\\u0008\\u000b-\\u001f\\u007f-\\u009f\\u061c\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069';

/** A fresh global regex matching one unsafe character (plus `extra`, a character-class fragment). */
export function unsafeChars(extra = ''): RegExp {
  return new RegExp(`[${UNSAFE_SOURCE}${extra}]`, 'g');
}
