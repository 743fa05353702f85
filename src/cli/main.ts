import { commandNames, findCommand } from './registry';
import { EXIT, type ExitCode, helpText, type Io, parseCommandArgs, UsageError, UserError } from './context';
import { formatFinding } from '../model/finding';

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

/** Finds the longest command name that prefixes argv (`ipv6 allocate` before `ipv6`). */
function resolve(argv: string[]): { name: string; rest: string[] } | null {
  const names = new Set(commandNames());
  for (let n = Math.min(3, argv.length); n >= 1; n--) {
    const name = argv.slice(0, n).join(' ');
    if (names.has(name)) return { name, rest: argv.slice(n) };
  }
  return null;
}

export async function main(argv: string[], io: Io = processIo()): Promise<ExitCode> {
  try {
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
      const group = commandNames().filter((k) => k.startsWith(`${argv[0]} `));
      if (group.length) throw new UsageError(`'ggi ${argv[0]}' needs a subcommand: ${group.map((g) => g.split(' ').slice(1).join(' ')).join(', ')}`);
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
    if (e instanceof UsageError) {
      io.stderr(`ggi: ${e.message}\n`);
      return EXIT.USAGE;
    }
    if (e instanceof UserError) {
      for (const f of e.findings) io.stderr(`${formatFinding(f)}\n`);
      io.stderr(`ggi: ${e.message}\n`);
      return e.exitCode;
    }
    // An internal bug: say so plainly; the trace only with GGI_DEBUG=1 (CLI.md).
    const msg = e instanceof Error ? e.message : String(e);
    io.stderr(`ggi: internal error: ${msg}\n`);
    if (io.env.GGI_DEBUG === '1' && e instanceof Error && e.stack) io.stderr(`${e.stack}\n`);
    else io.stderr('ggi: set GGI_DEBUG=1 to see where it happened, and please report it.\n');
    return EXIT.INVALID;
  }
}
