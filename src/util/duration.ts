/** Durations as people type them on a command line: '90s', '15m', '24h', '7d', '2w' (one unit, a whole number). */
const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** Milliseconds, or null when the text is not a duration. At most ten years, so that `now - d` stays a real date. */
export function parseDuration(text: string): number | null {
  const m = /^(\d{1,6})([smhdw])$/.exec(text.trim());
  if (!m) return null;
  const ms = Number(m[1]) * UNIT_MS[m[2]];
  return ms > 0 && ms <= 10 * 365 * 86_400_000 ? ms : null;
}
