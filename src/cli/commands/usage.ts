import { type Command, EXIT } from '../context';
import { buildAttributionIndex } from '../../veilig/attribution';
import { usageCsv, usageJson, usageMarkdown, usageSvg, usageText } from '../../veilig/report';
import { attributingVisitor, OnePerFlow, PairCounts, summarise, type UsageGrouping } from '../../veilig/usage';
import { readFlowSources, SOC_FLAGS, sinceFlag, socSources } from './veilig';

export const commands: Command[] = [
  {
    spec: {
      name: 'usage report',
      summary: 'bytes and packets per organisation, zone and counterpart, from the SOC collector\'s flow records',
      flags: {
        ...SOC_FLAGS,
        flows: { type: 'string', help: 'without --target: nfcapd file, or the collector folder holding nfcapd.* files (nfdump 1.7, uncompressed)' },
        since: { type: 'string', help: 'only records that ended within this duration (e.g. 24h, 7d)' },
        by: { type: 'string', choices: ['organisation', 'zone', 'service', 'member'], default: 'organisation', help: 'how rows are grouped (member: a samenwerkingsverband split per member gemeente)' },
        format: { type: 'string', choices: ['text', 'json', 'csv', 'markdown', 'svg'], default: 'text', help: 'output format' },
      },
      details:
        'Each record is attributed by the declared prefixes (ledger, registered IPv4, services): from the side of the\n' +
        'organisation that sent it, else of the one that received it. Records with an organisation at neither end\n' +
        'are listed as unattributed, never dropped. --target lab reads the lab SOC\'s collector (records reach its files\n' +
        'within seconds: nfcapd rotates every 10 s there).',
    },
    async run(ctx) {
      const since = sinceFlag(ctx);
      const src = socSources(ctx, { logs: false });
      const idx = buildAttributionIndex(src.inventory);
      const counts = new PairCounts(idx.owners.length);
      const once = new OnePerFlow(idx, src.inventory);
      const visit = attributingVisitor(idx, counts, since.ms === null ? 0 : ctx.io.now().getTime() - since.ms, once);
      readFlowSources(ctx, src.flows, visit, () => {
        once.file();
        return once.exporter;
      });
      const report = summarise(idx, counts, String(ctx.args.flags.by) as UsageGrouping, since.text);
      const format = String(ctx.args.flags.format);
      const render = { text: usageText, json: usageJson, csv: usageCsv, markdown: usageMarkdown, svg: usageSvg }[format as 'text'];
      ctx.io.stdout(render(report));
      return EXIT.OK;
    },
  },
];
