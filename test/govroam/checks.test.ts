import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkGovroam } from '../../src/govroam';
import type { Finding } from '../../src/model/finding';
import { loadInventory } from '../../src/model/load';
import { cleanup } from '../helpers/tmp-inventory';
import { fixtureInventory, GOVROAM, GUARDRAILS, type FixtureOptions } from './fixture';

const dirs: string[] = [];
afterAll(() => dirs.forEach(cleanup));

/** Loads the fixture with changes and returns the govroam findings plus the text of each file (for line numbers). */
function check(opts: FixtureOptions = {}): { findings: Finding[]; dir: string } {
  const dir = fixtureInventory(opts);
  dirs.push(dir);
  const { inventory, findings } = loadInventory(dir);
  if (!inventory) throw new Error(`fixture does not load: ${JSON.stringify(findings)}`);
  return { findings: checkGovroam(inventory), dir };
}

/** 1-based line of the first line of `file` in `dir` containing `needle` (after line `after`, if given). */
function lineOf(dir: string, file: string, needle: string, after = 0): number {
  const lines = fs.readFileSync(path.join(dir, file), 'utf8').split('\n');
  const i = lines.findIndex((l, n) => n >= after && l.includes(needle));
  if (i < 0) throw new Error(`'${needle}' not in ${file}`);
  return i + 1;
}

/** The findings of one code, as [severity, file basename, line]. */
function located(findings: Finding[], code: string): Array<[string, string, number]> {
  return findings.filter((f) => f.code === code).map((f) => [f.severity, path.basename(f.file), f.line]);
}

/** govroam.yaml with one participant's text changed. */
function edit(from: string, to: string): string {
  if (!GOVROAM.includes(from)) throw new Error(`fixture has no '${from}'`);
  return GOVROAM.replace(from, to);
}

describe('the fixture federation', () => {
  it('has no govroam errors or warnings', () => {
    expect(check().findings).toEqual([]);
  });
});

describe('rule 16 GOVROAM_SSID', () => {
  it('accepts govroam with WPA2- or WPA3-Enterprise', () => {
    const { findings } = check({ govroam: edit('security: wpa2-enterprise', 'security: wpa3-enterprise') });
    expect(located(findings, 'GOVROAM_SSID')).toEqual([]);
  });
  it('flags another SSID at the ssid line', () => {
    const { findings, dir } = check({ govroam: edit('ssid: govroam', 'ssid: Gemeente-Gast') });
    expect(located(findings, 'GOVROAM_SSID')).toEqual([['error', 'govroam.yaml', lineOf(dir, 'govroam.yaml', 'ssid: Gemeente-Gast')]]);
  });
  it('flags PSK and open networks at the security line', () => {
    for (const sec of ['wpa2-psk', 'open']) {
      const { findings, dir } = check({ govroam: edit('security: wpa2-enterprise', `security: ${sec}`) });
      expect(located(findings, 'GOVROAM_SSID')).toEqual([['error', 'govroam.yaml', lineOf(dir, 'govroam.yaml', `security: ${sec}`)]]);
    }
  });
  it('does not apply to an IdP-only participant (it broadcasts nothing)', () => {
    const { findings } = check({ govroam: edit('    roles: [idp]\n', '    roles: [idp]\n    ssid: intern\n') });
    expect(located(findings, 'GOVROAM_SSID')).toEqual([]);
  });
});

describe('rule 17 GOVROAM_VISITOR_ISOLATION', () => {
  it('accepts a visitor segment of its own, guarded from both zones', () => {
    expect(located(check().findings, 'GOVROAM_VISITOR_ISOLATION')).toEqual([]);
  });
  it('flags a service provider without a visitor segment at its roles', () => {
    const { findings, dir } = check({ govroam: edit('    visitorSegment: govroam-visitor\n', '') });
    expect(located(findings, 'GOVROAM_VISITOR_ISOLATION')).toEqual([['error', 'govroam.yaml', lineOf(dir, 'govroam.yaml', 'roles: [sp]')]]);
  });
  it('flags a visitor segment that is a staff segment', () => {
    const { findings, dir } = check({
      govroam: edit('visitorSegment: govroam-visitor', 'visitorSegment: beheer'),
    });
    expect(located(findings, 'GOVROAM_VISITOR_ISOLATION')).toEqual([['error', 'govroam.yaml', lineOf(dir, 'govroam.yaml', 'visitorSegment: beheer')]]);
  });
  it('flags a visitor segment that shares addresses with another segment', () => {
    const { findings, dir } = check({
      files: {
        'organisations/gm0001.yaml': `id: GM0001
kind: gemeente
name: Gemeente Een
segments:
  - { name: beheer, purpose: management, ipv4: 192.0.2.0/24 }
  - { name: govroam-visitor, purpose: govroam-visitor, ipv4: 192.0.2.128/25 }
`,
      },
    });
    const f = findings.filter((x) => x.code === 'GOVROAM_VISITOR_ISOLATION');
    expect(located(findings, 'GOVROAM_VISITOR_ISOLATION')).toEqual([['error', 'govroam.yaml', lineOf(dir, 'govroam.yaml', 'visitorSegment: govroam-visitor')]]);
    expect(f[0].message).toMatch(/overlaps segment 'beheer'/);
  });
  it('flags a missing guardrail for each zone', () => {
    const { findings, dir } = check({ policy: GUARDRAILS.split('  - id: govroam-visitors-not-markt')[0] });
    expect(located(findings, 'GOVROAM_VISITOR_ISOLATION')).toEqual([['error', 'govroam.yaml', lineOf(dir, 'govroam.yaml', 'participants:')]]);
    expect(findings.find((f) => f.code === 'GOVROAM_VISITOR_ISOLATION')!.message).toMatch(/markt zone/);
  });
  it('flags a rule that lets visitors into a zone, at the rule', () => {
    const { findings, dir } = check({
      policy: `${GUARDRAILS}rules:
  - id: gasten-naar-brp
    from: { segments: [govroam-visitor] }
    to: { zone: overheid }
    proto: tcp
    ports: [443]
    action: allow
    owner: netwerkbeheer
    reason: a mistake
`,
    });
    expect(located(findings, 'GOVROAM_VISITOR_ISOLATION')).toEqual([['error', 'guardrails.yaml', lineOf(dir, 'policy/guardrails.yaml', 'to: { zone: overheid }', 8)]]);
  });
});

describe('rule 18 GOVROAM_LOG_RETENTION', () => {
  it('accepts 180 days and more', () => {
    expect(located(check().findings, 'GOVROAM_LOG_RETENTION')).toEqual([]);
  });
  it('flags fewer days at the logRetentionDays line', () => {
    const { findings, dir } = check({ govroam: edit('logRetentionDays: 365', 'logRetentionDays: 179') });
    expect(located(findings, 'GOVROAM_LOG_RETENTION')).toEqual([['error', 'govroam.yaml', lineOf(dir, 'govroam.yaml', 'logRetentionDays: 179')]]);
  });
});

describe('rule 18: the federation minimum', () => {
  it('warns when the configured minimum is below the eduroam baseline', () => {
    const { findings, dir } = check({ govroam: edit('minimumLogRetentionDays: 180', 'minimumLogRetentionDays: 90') });
    expect(located(findings, 'GOVROAM_LOG_RETENTION')).toEqual([['warning', 'govroam.yaml', lineOf(dir, 'govroam.yaml', 'minimumLogRetentionDays: 90')]]);
  });
});

describe('rule 19 GOVROAM_ACCOUNTING_FORWARD', () => {
  it('is quiet when accounting stays local (explicitly or by default)', () => {
    const { findings } = check({ govroam: edit('    logRetentionDays: 365\n', '    logRetentionDays: 365\n    forwardAccounting: false\n') });
    expect(located(findings, 'GOVROAM_ACCOUNTING_FORWARD')).toEqual([]);
  });
  it('warns at forwardAccounting: true', () => {
    const { findings, dir } = check({ govroam: edit('    logRetentionDays: 365\n', '    logRetentionDays: 365\n    forwardAccounting: true\n') });
    expect(located(findings, 'GOVROAM_ACCOUNTING_FORWARD')).toEqual([['warning', 'govroam.yaml', lineOf(dir, 'govroam.yaml', 'forwardAccounting: true')]]);
  });
});

describe('rule 20 GOVROAM_REALM', () => {
  it('accepts DNS-name realms and a proper NAPTR', () => {
    expect(located(check().findings, 'GOVROAM_REALM')).toEqual([]);
  });
  it('flags a realm that is not a DNS name, at the realm', () => {
    const { findings, dir } = check({ govroam: edit('realms: [sp.example]', 'realms:\n      - sp.example\n      - "gemeente een"') });
    expect(located(findings, 'GOVROAM_REALM')).toEqual([['error', 'govroam.yaml', lineOf(dir, 'govroam.yaml', '"gemeente een"')]]);
  });
  it('flags a realm claimed by two organisations', () => {
    const { findings, dir } = check({ govroam: edit('realms: [both.example, staff.both.example]', 'realms:\n      - both.example\n      - IDP.example') });
    expect(located(findings, 'GOVROAM_REALM')).toEqual([['error', 'govroam.yaml', lineOf(dir, 'govroam.yaml', '- IDP.example')]]);
  });
  it('flags a NAPTR with the wrong flag, a regexp or a non-SRV replacement, each at its key', () => {
    const { findings, dir } = check({
      govroam: edit('naptr: { flags: S, service: x-govroam:radius.tls, regexp: "", replacement: _radsec._tcp.idp.example }', 'naptr:\n      flags: U\n      service: x-govroam:radius.tls\n      regexp: "!^.*$!radius.idp.example!"\n      replacement: radius.idp.example'),
    });
    expect(located(findings, 'GOVROAM_REALM')).toEqual([
      ['error', 'govroam.yaml', lineOf(dir, 'govroam.yaml', 'flags: U')],
      ['error', 'govroam.yaml', lineOf(dir, 'govroam.yaml', 'regexp: "!')],
      ['error', 'govroam.yaml', lineOf(dir, 'govroam.yaml', 'replacement: radius.idp.example')],
    ]);
  });
});

describe('other govroam findings', () => {
  it('flags RADIUS/UDP without a secret reference', () => {
    const { findings, dir } = check({ govroam: edit(`transport: udp, secret: { env: GGI_TEST_IDP_RADIUS_SECRET } }\n    logRetentionDays: 365`, 'transport: udp }\n    logRetentionDays: 365') });
    expect(located(findings, 'GOVROAM_SECRET_MISSING')).toEqual([['error', 'govroam.yaml', lineOf(dir, 'govroam.yaml', 'name: radius-1, address: 198.51.100.3')]]);
  });
  it('warns when a participant names no proxy address or device, or an SP lists no access points', () => {
    const { findings, dir } = check({ govroam: edit('    proxyAddress: 198.51.100.3\n', '') });
    expect(located(findings, 'GOVROAM_PROXY_UNKNOWN')).toEqual([['warning', 'govroam.yaml', lineOf(dir, 'govroam.yaml', 'organisation: GM0002')]]);
    const noNas = check({ govroam: edit('    nas:\n      - { name: aps, prefix: 192.0.2.0/24, secret: { env: GOVROAM_NAS_SECRET_GM0001 } }\n', '') });
    expect(located(noNas.findings, 'GOVROAM_NAS_UNKNOWN')).toEqual([['warning', 'govroam.yaml', lineOf(noNas.dir, 'govroam.yaml', 'roles: [sp]')]]);
  });
  it('flags a home server that would take a port radsecproxy listens on, on the same host', () => {
    expect(located(check().findings, 'GOVROAM_PORT_CONFLICT')).toEqual([]);
    const { findings, dir } = check({ govroam: edit('address: 198.51.100.4, port: 11812,', 'address: 198.51.100.4, port: 1813,') });
    expect(located(findings, 'GOVROAM_PORT_CONFLICT')).toEqual([['error', 'govroam.yaml', lineOf(dir, 'govroam.yaml', 'address: 198.51.100.4, port: 1813')]]);
  });

  it('finds nothing when there is no govroam.yaml', () => {
    const dir = fixtureInventory();
    dirs.push(dir);
    fs.rmSync(path.join(dir, 'govroam.yaml'));
    const { inventory } = loadInventory(dir);
    expect(checkGovroam(inventory!)).toEqual([]);
  });
});
