/**
 * Findings and errors quote input only as a short excerpt: a file that is not what it should be (a password file
 * behind a symlink, a binary) must not come back whole in a terminal, a CI log or a SARIF upload.
 */

/** The most characters of input a message quotes. */
export const EXCERPT_CHARS = 40;

/** `text` cut to `max` characters (whole code points), with an ellipsis when cut. */
export function excerpt(text: string, max: number = EXCERPT_CHARS): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, max).join('')}…`;
}

/**
 * A message from a parser (yaml, zod) with every quoted part ('…', "…", `…`) cut to an excerpt, and the whole cut to a
 * few lines' worth: those messages embed input we do not control.
 */
export function capQuoted(message: string, max: number = EXCERPT_CHARS): string {
  const cut = message.replace(/'([^'\n]*)'|"((?:[^"\\\n]|\\.)*)"|`([^`\n]*)`/g, (all, a?: string, b?: string, c?: string) => {
    const inner = a ?? b ?? c ?? '';
    const q = all[0];
    return Array.from(inner).length > max ? `${q}${excerpt(inner, max)}${q}` : all;
  });
  return excerpt(cut, 4 * max + 80);
}
