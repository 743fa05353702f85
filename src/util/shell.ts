/** POSIX shell quoting of one word: left bare when it holds only characters sh never interprets, else single-quoted. */
export function shq(s: string): string {
  return /^[A-Za-z0-9_/.,:=+@%-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** An argv list as one sh command line. */
export function shArgv(argv: readonly string[]): string {
  return argv.map(shq).join(' ');
}

/** base64 in 76-column lines, for here-documents. */
export function wrap64(content: string): string {
  const b = Buffer.from(content, 'utf8').toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < b.length; i += 76) lines.push(b.slice(i, i + 76));
  return lines.join('\n');
}
