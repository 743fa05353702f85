import * as path from 'node:path';
import { type Command, type CommandContext, EXIT, type ExitCode, flagInt, flagString, UserError } from '../context';
import { FORMAT_FLAG, printJson } from '../report/output';
import type { JournalLine } from '../../reconciler/journal';

/**
 * `ggi journal`: the journal of the state folder, oldest first: every device change `apply` attempted and every
 * lifecycle step (onboard, move, offboard) that wrote the inventory. It holds digests, never a file's text or a secret.
 */
export const commands: Command[] = [
  {
    spec: {
      name: 'journal',
      summary: 'show the journal: device changes of apply and lifecycle steps (onboard, move, offboard), oldest first',
      flags: {
        state: { type: 'string', help: 'state folder whose journal.jsonl is read', default: '.ggi-state' },
        organisation: { type: 'string', help: 'only the lifecycle steps of this organisation' },
        last: { type: 'string', help: 'only the last N entries' },
        format: FORMAT_FLAG,
      },
      details: 'Each line is one entry of STATE/journal.jsonl (append-only, one write per entry): who, when and what. `apply` entries name the device and the outcome; lifecycle entries name the command, the inventory files it wrote (sha256 before and after) and the devices it added or removed.',
    },
    run: journal,
  },
];

/** One entry as a line of text. Pure. */
export function journalText(l: JournalLine): string {
  if ('kind' in l && l.kind === 'lifecycle') {
    const files = Object.keys(l.after);
    const devices = [...l.devices.added.map((d) => `+${d}`), ...l.devices.removed.map((d) => `-${d}`)];
    return `${l.at}  ${l.operator}  ${l.command}: wrote ${files.join(', ')}${devices.length ? `; devices ${devices.join(' ')}` : ''}`;
  }
  const e = l as Exclude<JournalLine, { kind: 'lifecycle' }>;
  const files = e.files.length ? `, ${e.files.length} file${e.files.length > 1 ? 's' : ''} changed` : '';
  return `${e.at}  ${e.operator}  apply ${e.device}${e.platform ? ` (${e.platform})` : ''}: ${e.outcome}${e.step ? ` at ${e.step}` : ''}${files}${e.reason ? ` (${e.reason})` : ''}`;
}

async function journal(ctx: CommandContext): Promise<ExitCode> {
  const { readJournalLines } = require('../../reconciler/journal') as typeof import('../../reconciler/journal');
  const file = path.join(path.resolve(ctx.io.cwd, String(ctx.args.flags.state)), 'journal.jsonl');
  let lines: JournalLine[];
  try {
    lines = readJournalLines(file);
  } catch (e) {
    throw new UserError(`${file} is not a journal of ggi: ${(e as Error).message}`);
  }
  const org = flagString(ctx.args, 'organisation')?.toUpperCase();
  if (org) lines = lines.filter((l) => 'kind' in l && l.kind === 'lifecycle' && l.organisation === org);
  const last = flagInt(ctx.args, 'last', 1);
  if (last !== undefined) lines = lines.slice(-last);
  if (ctx.args.flags.format === 'json') printJson(ctx.io, { file, entries: lines });
  else if (!lines.length) ctx.io.stdout(`no entries in ${path.relative(ctx.io.cwd, file) || file}\n`);
  else ctx.io.stdout(lines.map((l) => `${journalText(l)}\n`).join(''));
  return EXIT.OK;
}
