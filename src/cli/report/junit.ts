import { xmlEscape } from './xml';

/** A JUnit test case: failures make it fail; CI systems show one line per case. */
export interface JunitCase {
  classname: string;
  name: string;
  failures: Array<{ type: string; message: string; detail?: string }>;
  systemOut?: string;
}

export interface JunitSuite {
  name: string;
  cases: JunitCase[];
}

/** Renders JUnit XML (the de-facto schema Jenkins, GitLab and GitHub reporters read). */
export function junitXml(suites: JunitSuite[], name = 'ggi'): string {
  const total = suites.reduce((n, s) => n + s.cases.length, 0);
  const failed = suites.reduce((n, s) => n + s.cases.filter((c) => c.failures.length).length, 0);
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>', `<testsuites name="${xmlEscape(name)}" tests="${total}" failures="${failed}" errors="0">`];
  for (const s of suites) {
    const sf = s.cases.filter((c) => c.failures.length).length;
    out.push(`  <testsuite name="${xmlEscape(s.name)}" tests="${s.cases.length}" failures="${sf}" errors="0" skipped="0">`);
    for (const c of s.cases) {
      const open = `    <testcase classname="${xmlEscape(c.classname)}" name="${xmlEscape(c.name)}"`;
      if (!c.failures.length && !c.systemOut) {
        out.push(`${open}/>`);
        continue;
      }
      out.push(`${open}>`);
      for (const f of c.failures) out.push(`      <failure type="${xmlEscape(f.type)}" message="${xmlEscape(f.message)}">${xmlEscape(f.detail ?? f.message)}</failure>`);
      if (c.systemOut) out.push(`      <system-out>${xmlEscape(c.systemOut)}</system-out>`);
      out.push('    </testcase>');
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return out.join('\n') + '\n';
}
