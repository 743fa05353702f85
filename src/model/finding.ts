import { terminalText } from '../util/escape/terminal';

/** A problem found in the inventory, located at the YAML node that causes it (CLI.md "Findings"). */
export type Severity = 'error' | 'warning';

export interface Finding {
  severity: Severity;
  /** Stable UPPER_SNAKE identifier, e.g. IPV6_OVERLAP. */
  code: string;
  message: string;
  /** Relative to the current directory. */
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
}

export function hasErrors(findings: readonly Finding[]): boolean {
  return findings.some((f) => f.severity === 'error');
}

export function compareFindings(a: Finding, b: Finding): number {
  return a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.column - b.column || (a.code < b.code ? -1 : a.code > b.code ? 1 : 0);
}

/** Formats a finding the way compilers do, so editors and CI logs link to it. */
export function formatFinding(f: Finding): string {
  return terminalText(`${f.file}:${f.line}:${f.column}: ${f.severity} ${f.code} ${f.message}`);
}
