import * as fs from 'node:fs';
import * as path from 'node:path';
import { type Command, type CommandContext, EXIT, type ExitCode, flagInt, flagString, UsageError, UserError } from '../context';
import { FORMAT_FLAG, printJson } from '../report/output';
import { formatFinding } from '../../model/finding';
import { dataDir, type Gemeente, loadGemeenten } from '../../model/gemeenten';
import { checkAgainstList, compareLists, readGemeenteList, renderGemeentenCsv } from '../../lifecycle/gemeenten';
import { loadLifecycleInventory } from '../lifecycle-gate';
import { writeFileAtomic } from '../../util/atomic';

/** `ggi gemeenten check|refresh`: the inventory's gemeenten against the CBS list, and a newer list into data/. */

function readList(ctx: CommandContext, file: string): Gemeente[] {
  let text: string;
  try {
    text = fs.readFileSync(path.resolve(ctx.io.cwd, file), 'utf8');
  } catch (e) {
    throw new UserError(`cannot read ${file}: ${(e as Error).message}`);
  }
  const r = readGemeenteList(text, flagInt(ctx.args, 'year', 1900, 2999));
  if (!r.ok) throw new UserError(`${file} is not a gemeente list: ${r.problems.slice(0, 5).join('; ')}${r.problems.length > 5 ? ` (+${r.problems.length - 5} more)` : ''}; nothing was written`);
  return r.gemeenten;
}

async function check(ctx: CommandContext): Promise<ExitCode> {
  const file = flagString(ctx.args, 'list');
  const list = file ? readList(ctx, file) : loadGemeenten();
  const { inventory } = loadLifecycleInventory(ctx);
  const findings = checkAgainstList(inventory, list);
  const gone = findings.filter((f) => f.severity === 'error').length;
  if (ctx.args.flags.format === 'json') printJson(ctx.io, { ok: gone === 0, list: file ?? 'data/gemeenten.csv', findings });
  else {
    for (const f of findings) ctx.io.stdout(`${formatFinding(f)}\n`);
    const active = inventory.organisations.filter((o) => o.kind === 'gemeente' && !o.offboarded).length;
    ctx.io.stdout(`${active} gemeenten in the inventory, ${list.length} on the list (${list[0]?.year}): ${gone ? `${gone} no longer exist` : 'all exist'}\n`);
  }
  return gone ? EXIT.INVALID : EXIT.OK;
}

async function refresh(ctx: CommandContext): Promise<ExitCode> {
  const from = flagString(ctx.args, 'from');
  if (!from) throw new UsageError('gemeenten refresh needs --from FILE (the newer CBS list)');
  const next = readList(ctx, from);
  const target = flagString(ctx.args, 'to') ? path.resolve(ctx.io.cwd, flagString(ctx.args, 'to')!) : path.join(dataDir(), 'gemeenten.csv');
  const before = fs.existsSync(target) ? loadGemeenten(target) : [];
  // The inventory must stay valid: a gemeente that the new list drops is offboarded (merged into its successor) first.
  const { inventory } = loadLifecycleInventory(ctx);
  const gone = checkAgainstList(inventory, next).filter((f) => f.severity === 'error');
  if (gone.length) throw new UserError(`the new list drops ${gone.length} gemeente${gone.length > 1 ? 'n' : ''} that the inventory still has; offboard ${gone.length > 1 ? 'them' : 'it'} first ('ggi offboard GM… --merged-into GM…'); nothing was written`, EXIT.INVALID, gone);
  const changes = compareLists(before, next);
  const text = renderGemeentenCsv(next);
  const unchanged = fs.existsSync(target) && fs.readFileSync(target, 'utf8') === text;
  if (!unchanged) writeFileAtomic(target, text);
  if (ctx.args.flags.format === 'json') printJson(ctx.io, { file: target, changed: !unchanged, count: next.length, ...changes });
  else {
    for (const g of changes.added) ctx.io.stdout(`added    ${g.code} ${g.name} (${g.province})\n`);
    for (const g of changes.removed) ctx.io.stdout(`removed  ${g.code} ${g.name} (${g.province})\n`);
    for (const r of changes.renamed) ctx.io.stdout(`renamed  ${r.code} '${r.from}' -> '${r.to}'\n`);
    ctx.io.stdout(`${unchanged ? 'kept' : 'wrote'} ${displayTarget(ctx.io.cwd, target)}: ${next.length} gemeenten (${next[0]?.year})\n`);
  }
  return EXIT.OK;
}

export const commands: Command[] = [
  {
    spec: {
      name: 'gemeenten check',
      summary: 'report gemeenten of the inventory that are not on the CBS list (data/gemeenten.csv or --list FILE)',
      flags: {
        list: { type: 'string', help: 'a CBS list to check against (default: data/gemeenten.csv)' },
        year: { type: 'string', help: 'the year a CBS download is in force (it names none)' },
        format: FORMAT_FLAG,
      },
      details: 'Exit 1 when a gemeente of the inventory no longer exists on the list (offboard it --merged-into its successor); a different name is a warning. Offboarded gemeenten are history and are not checked.',
    },
    run: check,
  },
  {
    spec: {
      name: 'gemeenten refresh',
      summary: 'replace data/gemeenten.csv by a newer CBS list, checked and written atomically',
      flags: {
        from: { type: 'string', help: "the newer list: ggi's code,name,province,year or the CBS download (GemeentecodeGM;Gemeentenaam;…;Provincienaam)" },
        year: { type: 'string', help: 'the year a CBS download is in force (it names none)' },
        to: { type: 'string', help: 'the file to write (default: data/gemeenten.csv of this installation)' },
        format: FORMAT_FLAG,
      },
      details: 'Refuses (exit 1, nothing written) a file that is not a gemeente list (header, GM codes, duplicates, fewer than 300 gemeenten), and a list that drops a gemeente the inventory still has: offboard it first. Re-running it changes nothing.',
    },
    run: refresh,
  },
];


function displayTarget(cwd: string, file: string): string {
  const rel = path.relative(cwd, file);
  return rel.startsWith('..') ? file : rel;
}
