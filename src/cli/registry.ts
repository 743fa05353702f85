import type { Command } from './context';

/**
 * Every command, by its full name. Each command file exports `commands: Command[]`; this list is the only place that
 * knows them all. Command files keep heavy imports (cdktf, node-ssh) inside `run`, so loading them all stays cheap.
 */
const modules: Array<() => { commands: Command[] }> = [
  () => require('./commands/validate'),
  () => require('./commands/ipv6'),
  () => require('./commands/policy'),
  () => require('./commands/synth'),
  () => require('./commands/lab'),
  () => require('./commands/reconcile'),
  () => require('./commands/govroam'),
  () => require('./commands/graph'),
  () => require('./commands/generate'),
  () => require('./commands/onboard'),
  () => require('./commands/quickstart'),
];

export const commands = new Map<string, Command>();
for (const load of modules) for (const c of load().commands) commands.set(c.spec.name, c);
