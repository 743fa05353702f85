import { allocate, checkIpv6, type LedgerData } from '../../src/ipv6';
import type { Finding } from '../../src/model/finding';
import { cleanup, MINIMAL_SETTINGS, tmpInventory } from '../helpers/tmp-inventory';
import { EMPTY, gemeenteId, load, orgYaml, plan, withLedger } from './fixtures';

const dirs: string[] = [];
afterAll(() => dirs.forEach(cleanup));

function inv(files: Record<string, string>) {
  const dir = tmpInventory({ 'ggi.yaml': MINIMAL_SETTINGS, ...files });
  dirs.push(dir);
  return load(dir);
}

const entry = (prefix: string, organisation: string, category: string, more = '') =>
  `  - prefix: ${prefix}\n    organisation: ${organisation}\n    category: ${category}\n    status: allocated\n    by: t\n    at: 2026-01-01T00:00:00Z\n${more}`;

const codes = (fs: Finding[]) => fs.map((f) => `${f.severity === 'error' ? 'E' : 'W'} ${f.code}`).sort();

describe('checkIpv6', () => {
  const orgs = {
    'organisations/gm0001.yaml': orgYaml('GM0001', 'gemeente'),
    'organisations/gm0002.yaml': orgYaml('GM0002', 'gemeente'),
    'organisations/sv0001.yaml': orgYaml('SV0001', 'samenwerkingsverband'),
  };

  it('finds nothing wrong in what allocate produces', () => {
    const base = inv(orgs);
    let l: LedgerData = EMPTY;
    const P = plan();
    for (const [o, kind] of [['GM0001', 'gemeente'], ['GM0002', 'gemeente'], ['SV0001', 'samenwerkingsverband']] as const) {
      for (const c of ['internet', 'diginetwerk', 'besloten']) {
        const r = allocate(l, { organisation: o, kind, category: c }, P, new Date('2026-01-01T00:00:00Z'), 't');
        if (!r.ok) throw new Error(r.problem.message);
        l = r.ledger;
      }
    }
    expect(checkIpv6(withLedger(base, l))).toEqual([]);
  });

  it('reports wrong block, not a /46, layout misalignment, overlap and a second /46 per category, at the entry', () => {
    const ledger = [
      'entries:',
      entry('2a07:3502:4::/46', 'GM0001', 'diginetwerk'), // entry 0: wrong block (the samenwerkingsverband block)
      entry('2a07:3500:10::/44', 'GM0002', 'diginetwerk'), // entry 1: /44 without justification
      entry('2a07:3500:14::/46', 'GM0001', 'besloten'), // entry 2: overlaps entry 1; code position 1 = diginetwerk, not besloten
      entry('2a07:3500:24::/46', 'GM0002', 'diginetwerk'), // entry 3: a second diginetwerk /46 of GM0002
      entry('2a07:3500:40::/44', 'GM0001', 'besloten', '    justification: need for 5000 VLANs (N2 rule 7)\n'), // entry 4: justified /44, GM0001's second besloten
    ].join('\n');
    const i = inv({ ...orgs, 'ipv6/ledger.yaml': ledger });
    const f = checkIpv6(i);
    expect(codes(f)).toEqual(['E IPV6_MULTIPLE_PER_CATEGORY', 'E IPV6_NOT_46', 'E IPV6_OVERLAP', 'E IPV6_WRONG_BLOCK', 'W IPV6_MISALIGNED']);
    const at = (code: string) => f.find((x) => x.code === code)!;
    expect(at('IPV6_WRONG_BLOCK')).toMatchObject({ line: 2, column: 13 });
    expect(at('IPV6_NOT_46').line).toBe(9); // entry k starts on line 2 + 7k
    expect(at('IPV6_OVERLAP').line).toBe(16);
    expect(at('IPV6_OVERLAP').message).toMatch(/overlaps 2a07:3500:10::\/44 \(GM0002/);
    expect(at('IPV6_MULTIPLE_PER_CATEGORY').line).toBe(23);
    expect(at('IPV6_MISALIGNED').message).toMatch(/code 1, but 'besloten' has code 2/);
    expect(f.every((x) => x.file.endsWith('ipv6/ledger.yaml'))).toBe(true);
  });

  it('makes layout misalignment an error once the layout is confirmed', () => {
    const confirmed = MINIMAL_SETTINGS.replace('layout: { organisationBits: 11, categoryBits: 2 }', 'layout: { organisationBits: 11, categoryBits: 2, status: confirmed }');
    const dir = tmpInventory({ 'ggi.yaml': confirmed, ...orgs, 'ipv6/ledger.yaml': `entries:\n${entry('2a07:3500:8::/46', 'GM0001', 'diginetwerk')}` });
    dirs.push(dir);
    expect(codes(checkIpv6(load(dir)))).toEqual(['E IPV6_MISALIGNED']);
  });

  it('checks status, default assignment, delegation registration, categories and organisations', () => {
    const ledger = [
      'entries:',
      entry('2a07:3500::/46', 'GM0001', 'internet').replace('status: allocated', 'status: assigned'), // the /46 assigned
      entry('2a07:3500:1::/48', 'GM0001', 'internet', '    parent: 2a07:3500::/46\n    internetRouted: true\n').replace('status: allocated', 'status: assigned'), // not the first /48
      entry('2a07:3500:4::/46', 'GM0001', 'diginetwerk', '    internetRouted: true\n'), // diginetwerk on the internet
      entry('2a07:3500:8::/46', 'GM0001', 'besloten', '    delegation: { provider: LV0001 }\n'), // unregistered delegation
      entry('2a07:3500:c::/46', 'GM0001', 'intranet'), // unknown category
      entry('2a07:3500:1c::/46', 'GM0009', 'diginetwerk'), // unknown organisation
    ].join('\n');
    const f = checkIpv6(inv({ ...orgs, 'ipv6/ledger.yaml': ledger }));
    expect(codes(f)).toEqual([
      'E IPV6_CATEGORY_LEAK',
      'E IPV6_DELEGATION_UNREGISTERED',
      'E IPV6_STATUS',
      'E IPV6_UNKNOWN_CATEGORY',
      'E IPV6_UNKNOWN_ORGANISATION',
      'W IPV6_DEFAULT_ASSIGNED',
    ]);
    expect(f.find((x) => x.code === 'IPV6_STATUS')!.message).toMatch(/ALLOCATED-BY-LIR/);
  });

  it('flags re-issue during quarantine but not after it', () => {
    const released = '    released: { at: 2026-01-01T00:00:00Z, by: t, reason: gone, quarantineUntil: 2026-07-01 }\n';
    const q = entry('2a07:3500:4::/46', 'GM0001', 'diginetwerk', released).replace('status: allocated', 'status: quarantined');
    const during = entry('2a07:3500:4::/48', 'GM0002', 'diginetwerk').replace('2026-01-01T00:00:00Z', '2026-03-01T00:00:00Z');
    const after = entry('2a07:3500:5::/48', 'GM0002', 'diginetwerk').replace('2026-01-01T00:00:00Z', '2026-08-01T00:00:00Z');
    const f = checkIpv6(inv({ ...orgs, 'ipv6/ledger.yaml': ['entries:', q, during, after].join('\n') }));
    const overlaps = f.filter((x) => x.code === 'IPV6_OVERLAP');
    expect(overlaps).toHaveLength(1);
    expect(overlaps[0].message).toMatch(/quarantined until 2026-07-01/);
  });

  it('checks segments: /64, inside the organisation prefixes, internet routing only from assigned internet space', () => {
    const ledger = ['entries:', entry('2a07:3500::/46', 'GM0001', 'internet'), entry('2a07:3500::/48', 'GM0001', 'internet', '    parent: 2a07:3500::/46\n    internetRouted: true\n').replace('status: allocated', 'status: assigned'), entry('2a07:3500:4::/46', 'GM0001', 'diginetwerk')].join('\n');
    const org = orgYaml(
      'GM0001',
      'gemeente',
      [
        'segments:',
        '  - { name: web, ipv6: "2a07:3500::/64", purpose: servers, internetRouted: true }',
        '  - { name: staff, ipv6: "2a07:3500:4::/56", purpose: staff }',
        '  - { name: leak, ipv6: "2a07:3500:4:1::/64", purpose: servers, internetRouted: true }',
        '  - { name: stray, ipv6: "2a07:3500:1::/64", purpose: servers, internetRouted: true }',
        '  - { name: elsewhere, ipv6: "2001:db8::/64", purpose: other }',
      ].join('\n') + '\n',
    );
    const f = checkIpv6(inv({ ...orgs, 'organisations/gm0001.yaml': org, 'ipv6/ledger.yaml': ledger }));
    expect(f.map((x) => `${x.code}@${x.line}`).sort()).toEqual(['IPV6_ANNOUNCED_UNASSIGNED@8', 'IPV6_CATEGORY_LEAK@7', 'IPV6_SEGMENT_OUTSIDE@9', 'IPV6_SUBNET_NOT_64@6']);
  });

  it('checks slots and the zone categories in ggi.yaml', () => {
    const settings = MINIMAL_SETTINGS.replace('ipv6Categories: [besloten]', 'ipv6Categories: [besloten, internet, nope]');
    const ledger = 'slots:\n  - { organisation: GM0001, block: gemeente, slot: 3 }\n  - { organisation: GM0002, block: gemeente, slot: 3 }\n  - { organisation: SV0001, block: gemeente, slot: 4 }\n  - { organisation: GM0001, block: gemeente, slot: 5000 }\n';
    const dir = tmpInventory({ 'ggi.yaml': settings, ...orgs, 'ipv6/ledger.yaml': ledger });
    dirs.push(dir);
    const f = checkIpv6(load(dir));
    expect(codes(f)).toEqual(['E IPV6_CATEGORY_LEAK', 'E IPV6_OVERLAP', 'E IPV6_SLOT', 'E IPV6_SLOT', 'E IPV6_UNKNOWN_CATEGORY', 'E IPV6_WRONG_BLOCK']);
  });

  it('validates the national-size ledger (482 organisations x 4 categories) by sort and sweep', () => {
    const files: Record<string, string> = {};
    for (let n = 1; n <= 482; n++) files[`organisations/${gemeenteId(n).toLowerCase()}.yaml`] = orgYaml(gemeenteId(n), 'gemeente');
    const base = inv(files);
    let l: LedgerData = EMPTY;
    const P = plan();
    for (let n = 1; n <= 482; n++) {
      for (const c of ['internet', 'diginetwerk', 'besloten', 'reserve']) {
        const r = allocate(l, { organisation: gemeenteId(n), kind: 'gemeente', category: c }, P, new Date('2026-01-01T00:00:00Z'), 't');
        if (!r.ok) throw new Error(r.problem.message);
        l = r.ledger;
      }
    }
    expect(l.entries).toHaveLength(482 * 5);
    expect(checkIpv6(withLedger(base, l))).toEqual([]);
    // One planted duplicate is found.
    const dup: LedgerData = { ...l, entries: [...l.entries, { ...l.entries[7], organisation: gemeenteId(3) }] };
    expect(codes(checkIpv6(withLedger(base, dup)))).toContain('E IPV6_OVERLAP');
  });
});
