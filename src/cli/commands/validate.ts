import { type Command, EXIT } from '../context';
import { CHECKS, validateInventory, type ValidationResult } from '../../validation';
import { formatFinding, type Finding } from '../../model/finding';
import { junitXml, type JunitSuite } from '../report/junit';
import { sarifLog } from '../report/sarif';
import { colourEnabled, palette } from '../report/colour';
import { describeCode } from '../../validation/codes';
import { printJson } from '../report/output';
import { acceptedRisks } from '../../diginetwerk/resilience';

export const commands: Command[] = [
  {
    spec: {
      name: 'validate',
      summary: 'load and check the whole inventory (schema, references, IPv6 plan, policy, Diginetwerk, govroam)',
      flags: {
        format: { type: 'string', choices: ['text', 'json', 'junit', 'sarif'], default: 'text', help: 'output format' },
        target: { type: 'string', choices: ['lab'], help: "validate for that target: under 'lab' the lab's own host keys count as pinned" },
      },
      details: 'Exit 0 when there is no error finding (warnings allowed), 1 otherwise. A CE without a pinned host key is an error, except with --target lab (the lab makes and records its devices\' keys; the inventory never holds a lab key).',
    },
    async run(ctx) {
      const format = String(ctx.args.flags.format);
      // One thread: measured here, checking a share of the files on a worker thread made validate slower, not faster
      // (two allocation-heavy threads on this machine's two vCPUs each run about 45% slower; docs/BENCHMARKS.md).
      const result = validateInventory(ctx.global.inventory, { profile: ctx.global.profile, now: ctx.io.now(), pinsRequired: ctx.args.flags.target !== 'lab' });
      if (format === 'json') printJson(ctx.io, jsonReport(result));
      else if (format === 'junit') ctx.io.stdout(junitReport(result));
      else if (format === 'sarif') printJson(ctx.io, sarifReport(result));
      else ctx.io.stdout(textReport(result, colourEnabled(ctx.io), ctx.io.now()));
      return result.ok ? EXIT.OK : EXIT.INVALID;
    },
  },
];

function summary(r: ValidationResult) {
  const inv = r.inventory;
  return { organisations: inv?.organisations.length ?? 0, devices: inv?.devices.length ?? 0, rules: inv?.rules.length ?? 0 };
}

export function jsonReport(r: ValidationResult) {
  return { ok: r.ok, findings: r.findings, summary: summary(r) };
}

function textReport(r: ValidationResult, colour: boolean, now: Date): string {
  const c = palette(colour);
  const lines: string[] = [];
  let lastFile = '';
  for (const f of r.findings) {
    if (f.file !== lastFile) {
      if (lastFile) lines.push('');
      lines.push(c.bold(f.file));
      lastFile = f.file;
    }
    const sev = f.severity === 'error' ? c.red('error') : c.yellow('warning');
    lines.push(`  ${formatFinding(f).replace(` ${f.severity} `, ` ${sev} `)}`);
  }
  const errors = r.findings.filter((f) => f.severity === 'error').length;
  const warnings = r.findings.length - errors;
  const s = summary(r);
  if (lines.length) lines.push('');
  // A single CE taken on knowingly is no finding, but it is said: which connection points, and where the reason is.
  const risks = r.inventory ? acceptedRisks(r.inventory, now) : [];
  if (risks.length) {
    const until = risks.map((x) => x.until ?? '(no end)').sort()[0];
    lines.push(`accepted risks: ${risks.length} connection point(s) with a single CE (${risks.map((x) => x.organisation).join(', ')}); each reason is its connectionPoint.acceptedRisk, the first lapses on ${until}`);
  }
  const verdict = r.ok ? c.green('valid') : c.red('invalid');
  lines.push(`${verdict}: ${errors} error(s), ${warnings} warning(s); ${s.organisations} organisations, ${s.devices} devices, ${s.rules} policy rules`);
  return lines.join('\n') + '\n';
}

/** One testcase per check per file: CI shows which check failed on which file. */
function junitReport(r: ValidationResult): string {
  const files = new Set<string>();
  if (r.inventory) {
    for (const o of r.inventory.organisations) files.add(o.loc.file);
    for (const x of [...r.inventory.rules, ...r.inventory.services, ...r.inventory.devices, ...r.inventory.guardrails]) files.add(x.loc.file);
    files.add(r.inventory.settings.loc.file);
    if (r.inventory.govroam) files.add(r.inventory.govroam.loc.file);
    if (r.inventory.ledger.entries.length) files.add(r.inventory.ledger.file);
  }
  for (const f of r.findings) files.add(f.file);
  const groups = ['yaml', 'schema', ...CHECKS.map((c) => c.name)];
  const suites: JunitSuite[] = groups.map((g) => ({
    name: `ggi validate: ${g}`,
    cases: [...files].sort().map((file) => {
      const fs = r.findings.filter((f) => f.file === file && r.checkOf.get(f) === g);
      return {
        classname: `ggi.validate.${g}`,
        name: file,
        failures: fs.filter((f) => f.severity === 'error').map((f) => ({ type: f.code, message: `${f.file}:${f.line}:${f.column}: ${f.message}` })),
        systemOut: fs.filter((f) => f.severity === 'warning').map(formatFinding).join('\n') || undefined,
      };
    }),
  }));
  return junitXml(suites, 'ggi validate');
}

export function sarifReport(r: ValidationResult): object {
  const codes = [...new Set(r.findings.map((f) => f.code))].sort();
  return sarifLog(
    r.findings.map((f: Finding) => ({ ruleId: f.code, level: f.severity, message: f.message, file: f.file, line: f.line, column: f.column, fingerprint: `${f.code}:${f.file}:${f.message}` })),
    codes.map((code) => ({ id: code, description: describeCode(code) })),
  );
}
