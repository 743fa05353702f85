import * as fs from 'node:fs';
import { type Command, type CommandContext, EXIT, flagString, UsageError, UserError } from '../context';
import { loadForCommand } from '../load';
import { readRunningLab } from '../running-lab';
import { FORMAT_FLAG, printJson } from '../report/output';
import { table } from '../report/table';
import type { Inventory } from '../../model/inventory';
import { parseDuration } from '../../util/duration';
import { coverage, FlowCounter, tallyLogLines, type CoverageReport, type LogTally } from '../../veilig/coverage';
import { FlowFileError, flowFiles, readFlowFile, type ExporterVisitor, type FlowView } from '../../veilig/nfcapd';

/**
 * `ggi veilig coverage` (CLI.md), and where the SOC's files are for it and for `ggi usage report`: the lab SOC's
 * collector folders and log files under `--target lab` (src/lab/soc.ts), or the folders and files given.
 */

export const SOC_FLAGS = {
  target: { type: 'string' as const, help: "read the SOC of this network: 'lab' (the lab's SOC, built by ggi lab up; the default without --flows)" },
  'lab-state': { type: 'string' as const, default: '.ggi-state/lab', help: 'lab state folder (with --target lab)' },
};

export interface SocSources {
  /** nfcapd files or collector folders. */
  readonly flows: string[];
  /** JSON-lines files of the log receiver. */
  readonly logs: string[];
  readonly inventory: Inventory;
}

/** The SOC's files and the inventory as that network sees it (the lab's profile under --target lab). */
export function socSources(ctx: CommandContext, opts: { logs: boolean }): SocSources {
  const flowsFlag = flagString(ctx.args, 'flows');
  const logsFlag = opts.logs ? flagString(ctx.args, 'logs') : undefined;
  // Without a target or files, the lab's SOC, as `ggi verify` checks the lab by default.
  const target = flagString(ctx.args, 'target') ?? (flowsFlag || logsFlag ? undefined : 'lab');
  if (target === undefined) {
    if (!flowsFlag) throw new UsageError(`--flows is required with --logs: the nfcapd file or collector folder to read (or --target lab)`);
    for (const p of [flowsFlag, ...(logsFlag ? [logsFlag] : [])]) if (!fs.existsSync(p)) throw new UserError(`${p}: no such file or folder`);
    return { flows: [flowsFlag], logs: logsFlag ? [logsFlag] : [], inventory: loadForCommand(ctx).inventory };
  }
  if (target !== 'lab') throw new UsageError(`unknown target '${target}' (known: lab)`);
  if (flowsFlag || logsFlag) throw new UsageError('--flows and --logs name files outside a target: give them, or --target lab, not both');
  const soc = require('../../lab/soc') as typeof import('../../lab/soc');
  const { labTarget, state } = readRunningLab(ctx, "run 'ggi lab up' first");
  const files = soc.socFiles(state);
  if (files.flowDirs.length === 0) throw new UserError(`the lab in ${String(ctx.args.flags['lab-state'])} has no SOC collector (veilig.yaml soc.collectors when it was built)`, EXIT.DEVICE_FAILED);
  // The lab sees the inventory through the profile it was built with: management addresses as the devices have them.
  const profile = ctx.global.profile === 'default' ? labTarget.profile : ctx.global.profile;
  return { flows: files.flowDirs, logs: files.logFiles, inventory: loadForCommand({ ...ctx, global: { ...ctx.global, profile } }).inventory };
}

/** Every nfcapd file of the sources, oldest first per source; files and read errors are the user's to fix. */
export function readFlowSources(ctx: CommandContext, sources: readonly string[], visit: (f: FlowView) => void, perFile?: () => ExporterVisitor | undefined): number {
  let count = 0;
  try {
    const files = sources.flatMap((s) => flowFiles(s));
    files.forEach((f, i) => {
      if (ctx.io.isTTY && files.length > 1) ctx.io.stderr(`\rreading ${i + 1}/${files.length} ${f}`);
      readFlowFile(f, visit, undefined, perFile?.());
    });
    if (ctx.io.isTTY && files.length > 1) ctx.io.stderr('\n');
    count = files.length;
  } catch (e) {
    if (e instanceof FlowFileError || (e as NodeJS.ErrnoException).code) throw new UserError(e instanceof Error ? e.message : String(e));
    throw e;
  }
  return count;
}

export function sinceFlag(ctx: CommandContext, fallback?: string): { text: string | null; ms: number | null } {
  const text = flagString(ctx.args, 'since') ?? fallback ?? null;
  if (text === null) return { text: null, ms: null };
  const ms = parseDuration(text);
  if (ms === null) throw new UsageError(`--since must be a duration such as 90s, 15m, 24h or 7d (got '${text}')`);
  return { text, ms };
}

const DEFAULT_WINDOW = '15m';

function when(iso: string | null, now: Date): string {
  if (!iso) return '-';
  const s = Math.max(0, Math.round((now.getTime() - Date.parse(iso)) / 1000));
  return s < 120 ? `${s}s ago` : s < 7200 ? `${Math.round(s / 60)}m ago` : iso.slice(0, 16).replace('T', ' ');
}

export function coverageText(r: CoverageReport, now: Date): string {
  const rows = r.points.map((p) => [
    p.id,
    p.kind === 'border' ? 'border' : 'connection point',
    p.organisation ?? '-',
    String(p.flows),
    String(p.drops),
    String(p.detections),
    when(p.lastFlow, now),
    when(p.lastSeen, now),
    p.exempt ? `exempt until ${p.exempt.expires}` : p.dark ? 'DARK' : 'seen',
  ]);
  let text = table(['point', 'kind', 'organisation', 'flows', 'drops', 'detections', 'last flow', 'last seen', 'status'], rows, {
    align: ['left', 'left', 'left', 'right', 'right', 'right'],
  });
  const dark = r.points.filter((p) => p.dark);
  const exempt = r.points.filter((p) => p.exempt);
  for (const p of r.points.filter((x) => Object.keys(x.rules).length)) text += `\n${p.id}: detections ${Object.entries(p.rules).map(([k, n]) => `${k} ${n}`).join(', ')}`;
  for (const p of exempt) text += `\n${p.id}: exempt until ${p.exempt!.expires}: ${p.exempt!.reason}`;
  for (const u of r.unknownExporters) text += `\nflows from ${u.address}, which is no connection point's or border's management address: ${u.flows} records`;
  for (const u of r.unknownDevices) text += `\nlogs from '${u.device}', which is no connection point or border: ${u.lines} lines`;
  if (r.ignoredLines) text += `\n${r.ignoredLines} log lines were not ggi's (no JSON, no dvc, no ggi prefix or no time)`;
  if (text.endsWith('\n')) text = text.slice(0, -1);
  const seen = r.points.length - dark.length - exempt.length;
  text += `\n\n${seen} of ${r.points.length} points seen at the SOC${r.since ? ` in the last ${r.since}` : ''}`;
  text += exempt.length ? `, ${exempt.length} exempt` : '';
  text += dark.length ? `; DARK: ${dark.map((p) => (p.organisation ? `${p.id} (${p.organisation})` : p.id)).join(', ')}\n` : '; none dark\n';
  return text;
}

export const commands: Command[] = [
  {
    spec: {
      name: 'veilig coverage',
      summary: 'per connection point and border: flows, dropped-packet logs and detections received at the SOC; dark points',
      flags: {
        ...SOC_FLAGS,
        flows: { type: 'string', help: 'without --target: the collector folder (or one nfcapd file) of the SOC (nfdump 1.7, uncompressed)' },
        logs: { type: 'string', help: "without --target: the log receiver's file, ulogd2 JSON lines" },
        since: { type: 'string', help: `the window: records that ended within it count (default ${DEFAULT_WINDOW})` },
        format: FORMAT_FLAG,
      },
      details:
        'A flow record belongs to the device whose management address exported it; a log line to the device in its\n' +
        "'dvc' field, with its kind in 'oob.prefix' (ggi-drop, ggi-det:<rule>). A point with no flow record in the\n" +
        'window is dark, unless veilig.yaml exempts it. Exit 0 when no point is dark, 4 when one is.',
    },
    async run(ctx) {
      const since = sinceFlag(ctx, DEFAULT_WINDOW);
      const src = socSources(ctx, { logs: true });
      if (!src.inventory.veilig) throw new UserError(`${ctx.global.inventory} has no veilig.yaml: no connection point is declared to export to a SOC`);
      const now = ctx.io.now();
      const sinceMs = since.ms === null ? 0 : now.getTime() - since.ms;
      const counter = new FlowCounter(sinceMs);
      readFlowSources(ctx, src.flows, counter.visit, () => {
        counter.file();
        return counter.exporter;
      });
      const logs = new Map<string, LogTally>();
      let ignored = 0;
      for (const f of src.logs) {
        let text: string;
        try {
          text = fs.readFileSync(f, 'utf8');
        } catch (e) {
          throw new UserError(`${f}: ${(e as Error).message}`);
        }
        ignored += tallyLogLines(text, sinceMs, logs).ignored;
      }
      const report = coverage(src.inventory, { flows: counter.byAddress, logs, ignoredLines: ignored }, { since: since.text, now });
      if (ctx.args.flags.format === 'json') printJson(ctx.io, report);
      else ctx.io.stdout(coverageText(report, now));
      return report.ok ? EXIT.OK : EXIT.DIFFERENCE;
    },
  },
];
