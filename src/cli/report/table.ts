import { terminalText } from '../../util/escape/terminal';

/** Plain-text tables: plans, reports and diffs are read before they are parsed. Cells are data: shown escaped. */
export function table(headers: string[], data: string[][], opts: { align?: Array<'left' | 'right'> } = {}): string {
  const rows = data.map((r) => r.map((c) => terminalText(c ?? '')));
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ESC starts the ANSI colour codes being removed.
  const strip = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '');
  const widths = headers.map((h, i) => Math.max(strip(h).length, ...rows.map((r) => strip(r[i] ?? '').length)));
  const pad = (s: string, i: number) => {
    const gap = ' '.repeat(Math.max(0, widths[i] - strip(s).length));
    return opts.align?.[i] === 'right' ? gap + s : s + gap;
  };
  const line = (cells: string[]) => cells.map((c, i) => pad(c ?? '', i)).join('  ').trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n') + '\n';
}
