import { type Command, type CommandContext, type ExitCode, flagBool, flagList, flagString, UsageError } from '../context';
import type { ZoneName } from '../../model/schema';
import { planMove } from '../../lifecycle/change';
import { LIFECYCLE_FLAGS, runLifecycle } from '../lifecycle';

export const commands: Command[] = [
  {
    spec: {
      name: 'move',
      summary: 'move an organisation behind a samenwerkingsverband (--served-by SV) or to a connection point of its own',
      positionals: ['ORG'],
      flags: {
        'served-by': { type: 'string', help: 'the samenwerkingsverband whose connection point will carry its traffic' },
        'own-connection-point': { type: 'boolean', help: 'give it a connection point and CE of its own (it leaves its samenwerkingsverband)' },
        site: { type: 'string', help: 'with --own-connection-point: the site of the connection point' },
        zones: { type: 'string', help: 'with --own-connection-point: the zones it joins (default: those it reached so far)' },
        ...LIFECYCLE_FLAGS,
      },
      details:
        'It keeps its own prefixes (the numbering plan gives every organisation its own slot) and gets a /46 for any zone it newly reaches. Behind a samenwerkingsverband its CE and connection point are removed; with a connection point of its own a CE is scaffolded (management address and ASN as onboard gives them). ' +
        'Shows the devices, stacks and flows (policy diff of before and after) that change. Runs only on an inventory that validates, writes only what validates, under the ledger lock; re-running it changes nothing.',
    },
    run: move,
  },
];

async function move(ctx: CommandContext): Promise<ExitCode> {
  const id = ctx.args.positionals[0].toUpperCase();
  const servedBy = flagString(ctx.args, 'served-by')?.toUpperCase();
  const own = flagBool(ctx.args, 'own-connection-point');
  if (Boolean(servedBy) === own) throw new UsageError('give exactly one of --served-by SV and --own-connection-point');
  const zones = flagList(ctx.args, 'zones');
  for (const z of zones) if (z !== 'overheid' && z !== 'markt') throw new UsageError(`--zones: unknown zone '${z}' (overheid, markt)`);
  const site = flagString(ctx.args, 'site');
  if (servedBy && (site !== undefined || zones.length)) throw new UsageError('--site and --zones describe a connection point of its own; a member served by a samenwerkingsverband has none');
  return runLifecycle(ctx, (c) => planMove(c, id, servedBy ? { servedBy } : { own: true, site, zones: zones as ZoneName[] }), { organisation: id, dryRun: flagBool(ctx.args, 'dry-run') });
}
