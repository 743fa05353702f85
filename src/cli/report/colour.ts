/** ANSI colour only on a terminal and when NO_COLOR is unset (https://no-color.org). */
export function palette(enabled: boolean) {
  const wrap = (code: string) => (s: string) => (enabled ? `\x1b[${code}m${s}\x1b[0m` : s);
  return { red: wrap('31'), yellow: wrap('33'), green: wrap('32'), bold: wrap('1'), dim: wrap('2'), cyan: wrap('36') };
}

export function colourEnabled(io: { isTTY: boolean; env: NodeJS.ProcessEnv }): boolean {
  return io.isTTY && !io.env.NO_COLOR && io.env.TERM !== 'dumb';
}
