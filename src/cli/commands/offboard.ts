import { type Command, type CommandContext, type ExitCode, flagBool, flagString } from '../context';
import { planOffboard } from '../../lifecycle/change';
import { LIFECYCLE_FLAGS, runLifecycle } from '../lifecycle';

export const commands: Command[] = [
  {
    spec: {
      name: 'offboard',
      summary: 'an organisation leaves: prefixes to quarantine, CE and devices out of the desired state, file kept as the record',
      positionals: ['ORG'],
      flags: {
        'merged-into': { type: 'string', help: 'the organisation it merged into (herindeling): its segments go there' },
        reason: { type: 'string', help: 'the reason kept in the ledger and the record (default: offboarded[: merged into ORG])' },
        ...LIFECYCLE_FLAGS,
      },
      details:
        'Its prefixes are quarantined in the ledger (never deleted), its connection point, CE, segments, other devices and govroam participation leave the desired state, so `apply` deconfigures what the borders had for it. Its file stays, marked offboarded, as the record the ledger refers to. ' +
        'Policy rules and guardrails that still name it are reported as ORGANISATION_OFFBOARDED findings to resolve. A samenwerkingsverband that still serves members is refused. Runs only on an inventory that validates, under the ledger lock; re-running it changes nothing.',
    },
    run: offboard,
  },
];

async function offboard(ctx: CommandContext): Promise<ExitCode> {
  const id = ctx.args.positionals[0].toUpperCase();
  const mergedInto = flagString(ctx.args, 'merged-into')?.toUpperCase();
  return runLifecycle(ctx, (c) => planOffboard(c, id, { mergedInto, reason: flagString(ctx.args, 'reason') }), { organisation: id, dryRun: flagBool(ctx.args, 'dry-run'), tolerated: ['ORGANISATION_OFFBOARDED'] });
}
