import { parseCommandArgs, UsageError, UserError, type Command, type ExitCode, type Io } from '../../src/cli/context';
import { commands as ipv6Commands } from '../../src/cli/commands/ipv6';
import { fakeIo } from '../helpers/tmp-inventory';

/**
 * Runs `ggi` in-process through the real main() when the whole CLI loads; when another area of the tree is mid-way
 * (its module does not load yet), through the same argument parser and error handling, so these tests exercise the
 * ipv6 commands either way.
 */
type Main = (argv: string[], io: Io) => Promise<ExitCode>;
let realMain: Main | null = null;
try {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const registry = require('../../src/cli/registry') as { commands: Map<string, Command> };
  for (const c of ipv6Commands) if (!registry.commands.has(c.spec.name)) registry.commands.set(c.spec.name, c);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  realMain = (require('../../src/cli/main') as { main: Main }).main;
} catch (e) {
  process.stderr.write(`ipv6 tests: main() does not load (${e instanceof Error ? e.message.split('\n')[0] : String(e)}); dispatching the ipv6 commands directly\n`);
}

async function direct(argv: string[], io: Io): Promise<ExitCode> {
  const cmd = ipv6Commands.find((c) => c.spec.name === argv.slice(0, 2).join(' '));
  if (!cmd) return 2;
  try {
    const { global, args } = parseCommandArgs(argv.slice(2), cmd.spec);
    return await cmd.run({ io, global, args, spec: cmd.spec });
  } catch (e) {
    if (e instanceof UserError) {
      for (const f of e.findings) io.stderr(`${f.file}:${f.line}:${f.column}: ${f.severity} ${f.code} ${f.message}\n`);
      io.stderr(`ggi: ${e.message}\n`);
      return e.exitCode;
    }
    if (e instanceof UsageError) {
      io.stderr(`ggi: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}

/** Runs `ggi` in-process; returns exit code and output. */
export async function ggi(argv: string[], env: NodeJS.ProcessEnv = { GGI_OPERATOR: 'test@example.org' }, now?: Date) {
  const f = fakeIo(env);
  const io = now ? { ...f.io, now: () => now } : f.io;
  const code = await (realMain ?? direct)(argv, io);
  return { code, stdout: f.stdout(), stderr: f.stderr() };
}
