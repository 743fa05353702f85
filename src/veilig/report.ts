/**
 * The usage report in every output format people and tools read: a text table, JSON (CLI.md's shape), CSV,
 * Markdown for a ticket or a page, and an SVG bar chart that can be read without the table. Pure.
 */
import { unsafeChars } from '../util/escape/controls';
import type { UsageReport, UsageRow } from './usage';

const UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];

/** 20971520 → '21.0 MB' (decimal units, as bandwidth is billed). */
export function humanBytes(n: number): string {
  let i = 0;
  let v = n;
  while (v >= 1000 && i < UNITS.length - 1) {
    v /= 1000;
    i++;
  }
  return i === 0 ? `${n} B` : `${v.toFixed(1)} ${UNITS[i]}`;
}

/** Control characters never reach a terminal or a document verbatim (names come from the inventory). */
function plain(s: string): string {
  return s.replace(/[\r\n\t]/g, ' ').replace(unsafeChars(), '?');
}

function label(r: UsageRow, by: UsageReport['by']): string {
  const who = r.member ? `${r.organisation} / ${r.member}` : (r.organisation ?? '');
  if (by === 'zone') return r.zone ?? '(no zone)';
  if (by === 'service') return `${r.counterpart ?? '(undeclared)'}${r.zone ? ` (${r.zone})` : ''}`;
  return `${who} → ${r.counterpart ?? '(undeclared)'}${r.zone ? ` (${r.zone})` : ''}`;
}

const columns = (by: UsageReport['by']): Array<keyof UsageRow> =>
  by === 'zone' ? ['zone'] : by === 'service' ? ['counterpart', 'zone'] : by === 'member' ? ['organisation', 'member', 'zone', 'counterpart'] : ['organisation', 'zone', 'counterpart'];

export function usageText(r: UsageReport): string {
  const cols = columns(r.by);
  const head = [...cols.map(String), 'bytes', 'packets'];
  const body = r.rows.map((row) => [...cols.map((c) => plain(String(row[c] ?? (c === 'counterpart' ? '(undeclared)' : '-')))), humanBytes(row.bytes), String(row.packets)]);
  body.push([...cols.map((_, i) => (i === 0 ? '(unattributed)' : '')), humanBytes(r.unattributed.bytes), String(r.unattributed.packets)]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i >= cols.length ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  const total = r.rows.reduce((n, x) => n + x.bytes, 0) + r.unattributed.bytes;
  return [
    line(head),
    line(widths.map((w) => '-'.repeat(w))),
    ...body.map(line),
    '',
    `${r.records} flow records, ${humanBytes(total)} in all${r.since ? `, since ${r.since}` : ''}; grouped by ${r.by}`,
    '',
  ].join('\n');
}

export function usageJson(r: UsageReport): string {
  return JSON.stringify({ since: r.since, by: r.by, records: r.records, rows: r.rows, unattributed: r.unattributed }, null, 2) + '\n';
}

function csvCell(v: string | number | null): string {
  if (v === null) return '';
  const s = String(v);
  // A leading = + - @ would be a formula to a spreadsheet (CSV injection): quote it with a leading apostrophe.
  const safe = /^[=+\-@]/.test(s) ? `'${s}` : s;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function usageCsv(r: UsageReport): string {
  const lines = ['organisation,member,zone,counterpart,bytes,packets'];
  for (const x of r.rows) lines.push([x.organisation, x.member, x.zone, x.counterpart, x.bytes, x.packets].map(csvCell).join(','));
  lines.push(['(unattributed)', null, null, null, r.unattributed.bytes, r.unattributed.packets].map(csvCell).join(','));
  return lines.join('\n') + '\n';
}

function mdCell(s: string): string {
  // Entities for HTML (a renderer may allow inline HTML), backslashes for Markdown's own syntax and table pipes.
  return plain(s)
    .replace(/[<>&]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;' })[c]!)
    .replace(/[\\`*_{}[\]()#+!|]/g, (c) => `\\${c}`);
}

export function usageMarkdown(r: UsageReport): string {
  const cols = columns(r.by);
  const lines = [
    `| ${[...cols, 'bytes', 'packets'].join(' | ')} |`,
    `|${[...cols, 'bytes', 'packets'].map((_, i) => (i >= cols.length ? ' ---: ' : ' --- ')).join('|')}|`,
  ];
  for (const x of r.rows) lines.push(`| ${[...cols.map((c) => mdCell(String(x[c] ?? (c === 'counterpart' ? '(undeclared)' : '')))), humanBytes(x.bytes), String(x.packets)].join(' | ')} |`);
  lines.push(`| ${['(unattributed)', ...cols.slice(1).map(() => ''), humanBytes(r.unattributed.bytes), String(r.unattributed.packets)].join(' | ')} |`);
  return `**Usage by ${r.by}**${r.since ? ` since ${r.since}` : ''} (${r.records} flow records)\n\n${lines.join('\n')}\n`;
}

function xml(s: string): string {
  return plain(s).replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** A horizontal bar chart: the largest rows (at most `top`), the rest summed, and unattributed traffic in grey. */
export function usageSvg(r: UsageReport, top = 25): string {
  const bars: Array<{ label: string; bytes: number; grey?: boolean }> = r.rows.slice(0, top).map((x) => ({ label: label(x, r.by), bytes: x.bytes }));
  const rest = r.rows.slice(top).reduce((n, x) => n + x.bytes, 0);
  if (rest > 0) bars.push({ label: `${r.rows.length - top} more`, bytes: rest, grey: true });
  bars.push({ label: 'unattributed', bytes: r.unattributed.bytes, grey: true });
  const max = Math.max(1, ...bars.map((b) => b.bytes));
  const labelW = Math.min(420, 8 + 7 * Math.max(...bars.map((b) => b.label.length)));
  const barW = 460;
  const rowH = 22;
  const width = labelW + barW + 110;
  const height = 40 + bars.length * rowH + 10;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<title>${xml(`GGI-Netwerk usage by ${r.by}`)}</title>`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="8" y="20" font-size="14" font-weight="bold">${xml(`Usage by ${r.by}${r.since ? ` since ${r.since}` : ''}`)}</text>`,
  ];
  bars.forEach((b, i) => {
    const y = 34 + i * rowH;
    const w = Math.max(b.bytes > 0 ? 1 : 0, Math.round((b.bytes / max) * barW));
    out.push(`<text x="${labelW - 6}" y="${y + 14}" text-anchor="end">${xml(b.label.length > 56 ? `${b.label.slice(0, 55)}…` : b.label)}</text>`);
    out.push(`<rect x="${labelW}" y="${y + 3}" width="${w}" height="${rowH - 6}" fill="${b.grey ? '#9e9e9e' : '#1f6fb2'}"/>`);
    out.push(`<text x="${labelW + w + 6}" y="${y + 14}">${xml(humanBytes(b.bytes))}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
