import { unsafeChars } from './controls';

/**
 * Escapes text for XML attribute values and content (JUnit, SVG): drops the characters XML 1.0 forbids and the other
 * unsafe ones (C1 controls, bidi overrides: src/util/escape/controls.ts), then escapes markup.
 */
export function xmlEscape(s: string): string {
  return (
    s
      // biome-ignore lint/suspicious/noControlCharactersInRegex: the XML 1.0 Char production (W3C XML 1.0, section 2.2) names these.
      .replace(/[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '')
    .replace(unsafeChars(), '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
  );
}
