import { commandNames, findCommand } from './registry';
import { EXIT, type ExitCode, helpText, type Io, parseCommandArgs, UsageError, UserError } from './context';
import { printJson } from './report/output';
import { formatFinding } from '../model/finding';
import { terminalOutput } from '../util/escape/terminal';

/** The process's Io: the only place that binds commands to the real terminal and clock. */
export function processIo(): Io {
  return {
    stdout: (t) => void process.stdout.write(t),
    stderr: (t) => void process.stderr.write(t),
    isTTY: Boolean(process.stdout.isTTY),
    env: process.env,
    cwd: process.cwd(),
    now: () => new Date(),
    prompt: process.stdin.isTTY ? promptLine : undefined,
  };
}

async function promptLine(question: string): Promise<string | null> {
  const rl = (await import('node:readline/promises')).createInterface({ input: process.stdin, output: process.stderr });
  try {
    return await rl.question(question);
  } finally {
    rl.close();
  }
}

function topHelp(): string {
  const names = commandNames().sort();
  const width = Math.max(...names.map((n) => n.length)) + 2;
  return [
    'ggi: the GGI-Netwerk controller',
    '',
    'Usage: ggi <command> [flags]   (every command takes --inventory DIR, --profile NAME, --help)',
    '',
    'Commands:',
    ...names.map((n) => `  ${n.padEnd(width)}${findCommand(n)!.spec.summary}`),
    '',
    'Exit codes: 0 ok, 1 invalid input or check errors, 2 usage, 3 device operation failed, 4 difference found.',
  ].join('\n') + '\n';
}

/** The commands of a group (`ipv6` → `ipv6 show`, `ipv6 allocate`, …), or none when `word` is no group. */
function groupCommands(word: string): string[] {
  return commandNames().filter((k) => k.startsWith(`${word} `));
}

function groupHelp(group: string, names: string[]): string {
  const width = Math.max(...names.map((n) => n.length)) + 2;
  return [
    `Usage: ggi ${group} <command> [flags]   (ggi ${group} <command> --help for its flags)`,
    '',
    'Commands:',
    ...names.map((n) => `  ${n.padEnd(width)}${findCommand(n)!.spec.summary}`),
  ].join('\n') + '\n';
}

/** The first argument that is neither a flag nor the value of one of the flags every command takes. */
function firstWord(args: readonly string[]): string | undefined {
  const i = firstWordIndex(args);
  return i < 0 ? undefined : args[i];
}

function firstWordIndex(args: readonly string[]): number {
  const valued = new Set(['--inventory', '--profile', '--format']);
  for (let i = 0; i < args.length; i++) {
    if (valued.has(args[i])) i++;
    else if (!args[i].startsWith('-')) return i;
  }
  return -1;
}

/** Whether argv asks for `--format json` (the last --format wins, as in the parser); read before parsing so usage errors are JSON too. */
export function wantsJson(argv: readonly string[]): boolean {
  let format: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--') break;
    if (argv[i] === '--format' && i + 1 < argv.length) format = argv[++i];
    else if (argv[i].startsWith('--format=')) format = argv[i].slice('--format='.length);
  }
  return format === 'json';
}

/**
 * Every byte a command writes passes here: control characters and escape sequences from the inventory are made
 * visible (src/util/escape/terminal.ts), in text and JSON alike; only ggi's own colours and progress lines pass, and
 * only on a terminal. It also notes whether stdout was written, so that an error is one JSON document, not a second.
 */
function guardedIo(io: Io): { io: Io; wroteStdout: () => boolean } {
  let wrote = false;
  return {
    io: {
      ...io,
      stdout: (t) => {
        if (t.length) wrote = true;
        io.stdout(terminalOutput(t, io.isTTY));
      },
      stderr: (t) => io.stderr(terminalOutput(t, io.isTTY)),
    },
    wroteStdout: () => wrote,
  };
}

/** Finds the longest command name that prefixes argv (`ipv6 allocate` before `ipv6`). */
function resolve(argv: string[]): { name: string; rest: string[] } | null {
  const names = new Set(commandNames());
  for (let n = Math.min(3, argv.length); n >= 1; n--) {
    const name = argv.slice(0, n).join(' ');
    if (names.has(name)) return { name, rest: argv.slice(n) };
  }
  return null;
}

export async function main(argv: string[], outerIo: Io = processIo()): Promise<ExitCode> {
  const json = wantsJson(argv);
  const { io, wroteStdout } = guardedIo(outerIo);
  try {
    if (argv[0] === 'help' && argv.length > 1) return await main([...argv.slice(1), '--help'], outerIo);
    if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
      io.stdout(topHelp());
      return argv.length === 0 ? EXIT.USAGE : EXIT.OK;
    }
    if (argv[0] === '--version') {
      io.stdout(`${require('../../../package.json').version}\n`);
      return EXIT.OK;
    }
    const found = resolve(argv);
    if (!found) {
      // A group, or a group inside one (`lab fault`): the deepest whose name the leading words give.
      let name = argv[0];
      let group = groupCommands(name);
      let rest = argv.slice(1);
      for (let i = firstWordIndex(rest); group.length && i >= 0; i = firstWordIndex(rest)) {
        const deeper = groupCommands(`${name} ${rest[i]}`);
        if (!deeper.length) break;
        name = `${name} ${rest[i]}`;
        group = deeper;
        rest = [...rest.slice(0, i), ...rest.slice(i + 1)];
      }
      if (group.length) {
        const sub = firstWord(rest);
        if (sub === undefined && rest.some((a) => a === '--help' || a === '-h')) {
          io.stdout(groupHelp(name, group));
          return EXIT.OK;
        }
        const depth = name.split(' ').length;
        const known = group.map((g) => g.split(' ').slice(depth).join(' ')).join(', ');
        if (sub === undefined && !json) io.stderr(groupHelp(name, group));
        throw new UsageError(sub === undefined ? `'ggi ${name}' needs a command: ${known} (see ggi ${name} --help)` : `unknown command 'ggi ${name} ${sub}' (known: ${known})`);
      }
      throw new UsageError(`unknown command '${argv[0]}' (see ggi --help)`);
    }
    const cmd = findCommand(found.name)!;
    const { global, args, help } = parseCommandArgs(found.rest, cmd.spec);
    if (help) {
      io.stdout(helpText(cmd.spec));
      return EXIT.OK;
    }
    return await cmd.run({ io, global, args, spec: cmd.spec });
  } catch (e) {
    return reportError(e, io, json && !wroteStdout());
  }
}

/**
 * The one place where a failed command is reported (CLI.md "Running it"): on stderr for people; with `--format json`
 * also as the one JSON document on stdout, unless the command already printed its document.
 */
export function reportError(e: unknown, io: Io, asJson: boolean): ExitCode {
  if (e instanceof UsageError) {
    if (asJson) printJson(io, { ok: false, error: e.message, usage: true });
    io.stderr(`ggi: ${e.message}\n`);
    return EXIT.USAGE;
  }
  if (e instanceof UserError) {
    if (asJson) printJson(io, { ok: false, error: e.message, ...(e.code ? { code: e.code } : {}), ...(e.findings.length ? { findings: e.findings } : {}) });
    else for (const f of e.findings) io.stderr(`${formatFinding(f)}\n`);
    io.stderr(e.code ? `ggi: error ${e.code} ${e.message}\n` : `ggi: ${e.message}\n`);
    return e.exitCode;
  }
  // An internal bug: say so plainly; the trace only with GGI_DEBUG=1 (CLI.md).
  const msg = e instanceof Error ? e.message : String(e);
  if (asJson) printJson(io, { ok: false, error: `internal error: ${msg}` });
  io.stderr(`ggi: internal error: ${msg}\n`);
  if (io.env.GGI_DEBUG === '1' && e instanceof Error && e.stack) io.stderr(`${e.stack}\n`);
  else io.stderr('ggi: set GGI_DEBUG=1 to see where it happened, and please report it.\n');
  return EXIT.INVALID;
}
