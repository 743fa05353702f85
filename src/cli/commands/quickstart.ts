import * as path from 'node:path';
import { type Command, type CommandContext, EXIT, type ExitCode, flagBool, type Io, UserError } from '../context';
import { table } from '../report/table';
import { printJson } from '../report/output';

/**
 * The main job on an inventory: validate it, bring up the lab of real routers, apply the desired state to every
 * router, and verify the result with real packets: BGP sessions, what the KPS receives, and every flow between hosts
 * against the policy engine's verdict.
 */
export const commands: Command[] = [
  {
    spec: {
      name: 'quickstart',
      summary: 'validate, bring up the lab, apply, and verify sessions, KPS routes and real flows',
      flags: {
        state: { type: 'string', default: '.ggi-state/lab', help: 'lab state folder' },
        down: { type: 'boolean', help: 'remove the lab at the end' },
        format: { type: 'string', choices: ['text', 'json'], default: 'text', help: 'output format of the verification' },
      },
      details: 'Needs root on Linux (network namespaces) and the Debian packages of scripts/install.sh. Exit 0 when every check holds, 1 for an invalid inventory, 3 when apply failed or a device cannot be reached, 4 when a check of ggi verify fails.',
    },
    run: quickstart,
  },
];

/** Runs another command in-process; its human output goes to stderr when this one prints JSON. */
async function sub(ctx: CommandContext, argv: string[], quiet: boolean): Promise<ExitCode> {
  const { main } = require('../main') as typeof import('../main');
  const io: Io = quiet ? { ...ctx.io, stdout: ctx.io.stderr } : ctx.io;
  return main([...argv, '--inventory', ctx.global.inventory], io);
}

async function quickstart(ctx: CommandContext): Promise<ExitCode> {
  const json = ctx.args.flags.format === 'json';
  const say = (t: string) => (json ? ctx.io.stderr(t) : ctx.io.stdout(t));
  const state = path.resolve(ctx.io.cwd, String(ctx.args.flags.state));

  say('== 1. validate the inventory (for the lab: it pins its own host keys)\n');
  const valid = await sub(ctx, ['validate', '--target', 'lab'], json);
  // A step that fails ends the run: the error (already on stderr) is the one JSON document (CLI.md).
  if (valid !== EXIT.OK) throw new UserError("the inventory does not validate (see 'ggi validate --target lab' above)", valid);
  say(await summary(ctx));

  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new UserError('the lab needs root on Linux (network namespaces); run it as root after scripts/install.sh', EXIT.INVALID);
  }
  const lab = require('../../lab') as typeof import('../../lab');
  say('\n== 2. bring up the lab\n');
  if (lab.labStatus(state).up) say(`a lab is already up in ${path.relative(ctx.io.cwd, state)}; using it\n`);
  else {
    const u = await sub(ctx, ['lab', 'up', '--state', state], json);
    if (u !== EXIT.OK) throw new UserError('the lab could not be brought up (see above)', u);
  }

  say('\n== 3. apply the desired state to every router\n');
  const a = await sub(ctx, ['apply', '--target', 'lab', '--lab-state', state, '--yes'], json);

  say('\n== 4. verify with real packets (ggi verify --target lab)\n');
  const v = require('./verify') as typeof import('./verify');
  const report = await v.runVerify({ ...ctx, args: { positionals: [], flags: { target: 'lab', 'lab-state': state, wait: '60' } } }, ctx.io);
  if (json) printJson(ctx.io, { apply: a === EXIT.OK ? 'ok' : 'failed', ...v.verifyDocument(report) });
  else ctx.io.stdout(v.verifyText(report));

  if (flagBool(ctx.args, 'down')) await sub(ctx, ['lab', 'down', '--state', state], json);
  else say(`\nThe lab stays up: ggi plan --target lab, ggi drift --target lab, ggi lab status; remove it with ggi lab down.\n`);
  return a === EXIT.OK ? v.verifyExitCode(report) : EXIT.DEVICE_FAILED;
}

async function summary(ctx: CommandContext): Promise<string> {
  const { loadInventory } = require('../../model/load') as typeof import('../../model/load');
  const inv = loadInventory(path.resolve(ctx.io.cwd, ctx.global.inventory)).inventory!;
  const kinds = new Map<string, number>();
  for (const o of inv.organisations) kinds.set(o.kind, (kinds.get(o.kind) ?? 0) + 1);
  const connected = inv.organisations.filter((o) => o.connectionPoint).length;
  const rows = [
    ...[...kinds.entries()].sort().map(([k, n]) => [`organisations: ${k}`, String(n)]),
    ['connection points', String(connected)],
    ['served by a samenwerkingsverband', String(inv.organisations.filter((o) => o.servedBy).length)],
    ['services (overheid / markt)', `${inv.services.filter((s) => s.zone === 'overheid').length} / ${inv.services.filter((s) => s.zone === 'markt').length}`],
    ['devices', String(inv.devices.length)],
    ['policy rules / guardrails', `${inv.rules.length} / ${inv.guardrails.length}`],
    ['IPv6 ledger entries', String(inv.ledger.entries.length)],
    ['govroam participants', String(inv.govroam?.participants.length ?? 0)],
  ];
  return table(['inventory', 'count'], rows, { align: ['left', 'right'] });
}
