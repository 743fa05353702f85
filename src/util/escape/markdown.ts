import { unsafeChars } from './controls';

/**
 * Text inside a Markdown table cell (GitHub Flavored Markdown, as in pull-request comments): markup characters are
 * backslash-escaped (GFM spec 2.4, "backslash escapes"), `<` `>` `&` become HTML entities so no tag reaches the page,
 * line breaks become spaces and control characters are dropped.
 */
export function markdownText(s: string): string {
  return s
    .replace(/[\r\n\t]+/g, ' ')
    .replace(unsafeChars(), '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/[\\`*_{}[\]()#+!|~]/g, (c) => `\\${c}`);
}

/**
 * A Markdown code span for text that may itself hold backticks (CommonMark 6.1: a longer fence around it). In a table
 * cell a pipe still ends the cell, even inside a code span (GFM 4.10), so it is escaped there too.
 */
export function markdownCode(s: string): string {
  const clean = s.replace(/[\r\n\t]/g, ' ').replace(unsafeChars(), '');
  const longest = Math.max(0, ...(clean.match(/`+/g) ?? []).map((r) => r.length));
  const fence = '`'.repeat(longest + 1);
  const pad = clean.startsWith('`') || clean.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${clean}${pad}${fence}`.replace(/\|/g, '\\|');
}
