import * as fs from 'node:fs';
import { type Command, EXIT, flagString, UsageError, UserError } from '../context';
import { loadForCommand } from '../load';
import { parseDuration } from '../../util/duration';
import { buildAttributionIndex } from '../../veilig/attribution';
import { FlowFileError, flowFiles, readFlowFile } from '../../veilig/nfcapd';
import { usageCsv, usageJson, usageMarkdown, usageSvg, usageText } from '../../veilig/report';
import { attributingVisitor, PairCounts, summarise, type UsageGrouping } from '../../veilig/usage';

export const commands: Command[] = [
  {
    spec: {
      name: 'usage report',
      summary: 'bytes and packets per organisation, zone and counterpart, from the SOC collector\'s flow records',
      flags: {
        flows: { type: 'string', help: 'nfcapd file, or the collector folder holding nfcapd.* files (nfdump 1.7, uncompressed)' },
        since: { type: 'string', help: 'only records that ended within this duration (e.g. 24h, 7d)' },
        by: { type: 'string', choices: ['organisation', 'zone', 'service', 'member'], default: 'organisation', help: 'how rows are grouped (member: a samenwerkingsverband split per member gemeente)' },
        format: { type: 'string', choices: ['text', 'json', 'csv', 'markdown', 'svg'], default: 'text', help: 'output format' },
      },
      details:
        'Each record is attributed by the declared prefixes (ledger, registered IPv4, services): from the side of the\n' +
        'organisation that sent it, else of the one that received it. Records with an organisation at neither end\n' +
        'are listed as unattributed, never dropped. Run with --profile lab on the lab\'s collector.',
    },
    async run(ctx) {
      const flows = flagString(ctx.args, 'flows');
      if (!flows) throw new UsageError('--flows is required: the nfcapd file or collector folder to read');
      const sinceText = flagString(ctx.args, 'since');
      const sinceMs = sinceText === undefined ? null : parseDuration(sinceText);
      if (sinceText !== undefined && sinceMs === null) throw new UsageError(`--since must be a duration such as 90s, 15m, 24h or 7d (got '${sinceText}')`);
      if (!fs.existsSync(flows)) throw new UserError(`${flows}: no such file or folder`);
      const { inventory } = loadForCommand(ctx);
      const idx = buildAttributionIndex(inventory);
      const counts = new PairCounts(idx.owners.length);
      const visit = attributingVisitor(idx, counts, sinceMs === null ? 0 : ctx.io.now().getTime() - sinceMs);
      let files: string[];
      try {
        files = flowFiles(flows);
        files.forEach((f, i) => {
          if (ctx.io.isTTY && files.length > 1) ctx.io.stderr(`\rreading ${i + 1}/${files.length} ${f}`);
          readFlowFile(f, visit);
        });
        if (ctx.io.isTTY && files.length > 1) ctx.io.stderr('\n');
      } catch (e) {
        if (e instanceof FlowFileError || (e as NodeJS.ErrnoException).code) throw new UserError(e instanceof Error ? e.message : String(e));
        throw e;
      }
      const report = summarise(idx, counts, String(ctx.args.flags.by) as UsageGrouping, sinceText ?? null);
      const format = String(ctx.args.flags.format);
      const render = { text: usageText, json: usageJson, csv: usageCsv, markdown: usageMarkdown, svg: usageSvg }[format as 'text'];
      ctx.io.stdout(render(report));
      return EXIT.OK;
    },
  },
];
