import type { Command } from './context';

/**
 * Every command, by its full name, and the file that defines it. Only the file of the command being run is loaded
 * (a command's imports, zod and the check modules among them, are most of start-up); help loads them all. Each
 * command file exports `commands: Command[]`; test/cli/registry.test.ts checks that the names here match them.
 */
export const COMMAND_FILES: ReadonlyArray<{ names: readonly string[]; load: () => { commands: Command[] } }> = [
  { names: ['validate'], load: () => require('./commands/validate') },
  { names: ['ipv6 show', 'ipv6 allocate', 'ipv6 release', 'ipv6 report', 'ipv6 export'], load: () => require('./commands/ipv6') },
  { names: ['policy query', 'policy trace', 'policy lint', 'policy diff', 'policy export'], load: () => require('./commands/policy') },
  { names: ['synth'], load: () => require('./commands/synth') },
  { names: ['lab up', 'lab down', 'lab status', 'lab fault link', 'lab fault device', 'lab fault netem', 'lab fault clear'], load: () => require('./commands/lab') },
  { names: ['plan', 'apply', 'drift'], load: () => require('./commands/reconcile') },
  { names: ['govroam check', 'govroam render'], load: () => require('./commands/govroam') },
  { names: ['graph'], load: () => require('./commands/graph') },
  { names: ['generate national', 'generate example'], load: () => require('./commands/generate') },
  { names: ['onboard'], load: () => require('./commands/onboard') },
  { names: ['quickstart'], load: () => require('./commands/quickstart') },
  { names: ['verify'], load: () => require('./commands/verify') },
  { names: ['usage report'], load: () => require('./commands/usage') },
  { names: ['veilig coverage'], load: () => require('./commands/veilig') },
  { names: ['gemeenten check', 'gemeenten refresh'], load: () => require('./commands/gemeenten') },
  { names: ['move'], load: () => require('./commands/move') },
  { names: ['offboard'], load: () => require('./commands/offboard') },
  { names: ['journal'], load: () => require('./commands/journal') },
];

/** Every command name, without loading any command. */
export function commandNames(): string[] {
  return COMMAND_FILES.flatMap((f) => f.names);
}

/** The command of that name (loading only its file), or undefined. */
export function findCommand(name: string): Command | undefined {
  const entry = COMMAND_FILES.find((f) => f.names.includes(name));
  return entry?.load().commands.find((c) => c.spec.name === name);
}
