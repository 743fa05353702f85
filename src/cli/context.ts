import { parseArgs as nodeParseArgs } from 'node:util';
import type { Finding } from '../model/finding';

/**
 * The shell around every command: where output goes, the environment, the clock. Commands receive it instead of
 * touching `process`, so tests can run them in-process and capture everything.
 */
export interface Io {
  stdout(text: string): void;
  stderr(text: string): void;
  readonly isTTY: boolean;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  now(): Date;
  /** Reads a line-oriented answer from the terminal (confirmations); null when stdin is not a terminal. */
  prompt?(question: string): Promise<string | null>;
}

export type ExitCode = 0 | 1 | 2 | 3 | 4;
export const EXIT = { OK: 0, INVALID: 1, USAGE: 2, DEVICE_FAILED: 3, DIFFERENCE: 4 } as const;

/** A usage error: exit 2 with the message and a pointer to --help. */
export class UsageError extends Error {}

/**
 * A user-facing failure (exit 1 unless stated): findings when it is about the inventory's content, located at the YAML
 * node; a stable `code` alone when it is about the command's arguments (an unknown organisation, a bad prefix), which
 * have no place in a file.
 */
export class UserError extends Error {
  constructor(message: string, readonly exitCode: ExitCode = 1, readonly findings: Finding[] = [], readonly code?: string) {
    super(message);
  }
}

export type FlagType = 'string' | 'boolean';
export interface FlagSpec {
  type: FlagType;
  /** May be given more than once (values collected in order). */
  multiple?: boolean;
  short?: string;
  /** Shown in --help. */
  help: string;
  /** Allowed values, checked here so every command reports them the same way. */
  choices?: readonly string[];
  default?: string;
}

export interface CommandSpec {
  /** e.g. 'ipv6 allocate' */
  name: string;
  summary: string;
  /** Positional arguments, e.g. ['ORG']; a trailing '...' takes the rest. */
  positionals?: string[];
  flags?: Record<string, FlagSpec>;
  /** Extra text for --help. */
  details?: string;
}

export interface ParsedArgs {
  positionals: string[];
  flags: Record<string, string | boolean | string[] | undefined>;
}

/** The flags every command takes (CLI.md "Running it"). */
export const GLOBAL_FLAGS: Record<string, FlagSpec> = {
  inventory: { type: 'string', help: 'inventory folder', default: 'inventory' },
  profile: { type: 'string', help: 'address profile (default, or e.g. lab)', default: 'default' },
  help: { type: 'boolean', short: 'h', help: 'show help' },
};

export interface GlobalOptions {
  inventory: string;
  profile: string;
}

export interface CommandContext {
  io: Io;
  global: GlobalOptions;
  args: ParsedArgs;
  spec: CommandSpec;
}

export interface Command {
  spec: CommandSpec;
  run(ctx: CommandContext): Promise<ExitCode>;
}

/** Parses argv strictly against a spec: unknown flags and missing positionals are usage errors. */
export function parseCommandArgs(argv: string[], spec: CommandSpec): { global: GlobalOptions; args: ParsedArgs; help: boolean } {
  const all = { ...GLOBAL_FLAGS, ...(spec.flags ?? {}) };
  const options: Record<string, { type: FlagType; multiple?: boolean; short?: string }> = {};
  for (const [k, f] of Object.entries(all)) options[k] = { type: f.type, ...(f.multiple ? { multiple: true } : {}), ...(f.short ? { short: f.short } : {}) };
  let parsed: ReturnType<typeof nodeParseArgs>;
  try {
    parsed = nodeParseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError(cleanParseError(e));
  }
  const values = parsed.values as Record<string, string | boolean | string[] | undefined>;
  const help = values.help === true;
  for (const [k, f] of Object.entries(all)) {
    const v = values[k];
    if (v === undefined && f.default !== undefined) values[k] = f.default;
    if (f.choices && v !== undefined) {
      for (const one of Array.isArray(v) ? v : [v]) {
        if (typeof one === 'string' && !f.choices.includes(one)) throw new UsageError(`--${k} must be one of ${f.choices.join(', ')} (got '${one}')`);
      }
    }
  }
  const positionals = parsed.positionals;
  const wanted = spec.positionals ?? [];
  const rest = wanted.length > 0 && wanted[wanted.length - 1].endsWith('...');
  const required = wanted.filter((w) => !w.startsWith('[')).length;
  if (!help) {
    if (positionals.length < required) throw new UsageError(`missing argument ${wanted[positionals.length]} (usage: ggi ${usageLine(spec)})`);
    if (!rest && positionals.length > wanted.length) throw new UsageError(`unexpected argument '${positionals[wanted.length]}' (usage: ggi ${usageLine(spec)})`);
  }
  return {
    global: { inventory: String(values.inventory), profile: String(values.profile) },
    args: { positionals, flags: values },
    help,
  };
}

function cleanParseError(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  // node's messages mention "To specify a positional argument starting with a '-'..."; keep the first sentence.
  return msg.split('. To specify')[0].replace(/^Unknown option/, 'unknown flag').replace(/^Option/, 'flag');
}

export function usageLine(spec: CommandSpec): string {
  const flags = Object.entries(spec.flags ?? {})
    .map(([k, f]) => (f.type === 'boolean' ? `[--${k}]` : `[--${k} ${f.choices ? f.choices.join('|') : 'VALUE'}]`))
    .join(' ');
  return [spec.name, ...(spec.positionals ?? []), flags].filter(Boolean).join(' ');
}

export function helpText(spec: CommandSpec): string {
  const lines = [`ggi ${usageLine(spec)}`, '', spec.summary, ''];
  const all = { ...(spec.flags ?? {}), ...GLOBAL_FLAGS };
  lines.push('Flags:');
  for (const [k, f] of Object.entries(all)) {
    const arg = f.type === 'boolean' ? '' : f.choices ? ` ${f.choices.join('|')}` : ' VALUE';
    lines.push(`  --${k}${arg}`.padEnd(34) + f.help + (f.default !== undefined ? ` (default ${f.default})` : ''));
  }
  if (spec.details) lines.push('', spec.details);
  return lines.join('\n') + '\n';
}

/** Reads a string flag. */
export function flagString(args: ParsedArgs, name: string): string | undefined {
  const v = args.flags[name];
  if (Array.isArray(v)) return v[v.length - 1];
  return typeof v === 'string' ? v : undefined;
}

export function flagList(args: ParsedArgs, name: string): string[] {
  const v = args.flags[name];
  if (v === undefined || v === false || v === true) return [];
  return (Array.isArray(v) ? v : [v]).flatMap((x) => x.split(',')).map((x) => x.trim()).filter(Boolean);
}

export function flagBool(args: ParsedArgs, name: string): boolean {
  return args.flags[name] === true;
}

/** Parses an integer flag, as a usage error when it is not one. */
export function flagInt(args: ParsedArgs, name: string, min = 0, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const v = flagString(args, name);
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) throw new UsageError(`--${name} must be a whole number from ${min} to ${max} (got '${v}')`);
  return Number(v);
}
