import * as path from 'node:path';
import { loadInventory } from '../../src/model/load';
import type { Inventory } from '../../src/model/inventory';
import { buildAttributionIndex, words6 } from '../../src/veilig/attribution';
import type { FlowView } from '../../src/veilig/nfcapd';
import { usageCsv, usageJson, usageMarkdown, usageSvg, usageText } from '../../src/veilig/report';
import { attributingVisitor, OnePerFlow, PairCounts, summarise, type UsageReport } from '../../src/veilig/usage';
import { addressesInZone } from '../../src/ipv6/addresses';
import { parseAddress } from '../../src/net';

const INVENTORY = path.resolve(__dirname, '..', '..', 'inventory');
let inv: Inventory;
beforeAll(() => {
  inv = loadInventory(INVENTORY).inventory!;
});

function flow(src: string, dst: string, bytes: number, packets: number, last = Date.UTC(2026, 11, 6)): FlowView {
  const s = parseAddress(src);
  const d = parseAddress(dst);
  const v: FlowView = { family: s.family, src4: 0, dst4: 0, src6: new Uint32Array(4), dst6: new Uint32Array(4), proto: 6, srcPort: 40000, dstPort: 443, bytes, packets, first: last - 1000, last, exporter: 1 };
  if (s.family === 4) {
    v.src4 = Number(s.value);
    v.dst4 = Number(d.value);
  } else {
    v.src6 = words6(s.value);
    v.dst6 = words6(d.value);
  }
  return v;
}

/** A host address inside the organisation's zone addresses (the first prefix of that family, host 0x10). */
function hostOf(org: string, zone: 'overheid' | 'markt', family: 4 | 6): string {
  const p = addressesInZone(inv, org, zone).find((x) => x.family === family);
  if (!p) throw new Error(`${org} has no ${zone} IPv${family} prefix`);
  const { formatAddress } = require('../../src/net') as typeof import('../../src/net');
  return formatAddress(family, p.addr + 0x10n);
}

function serviceHost(name: string, family: 4 | 6): string {
  const s = inv.services.find((x) => x.name === name)!;
  const p = s.prefixes.find((x) => (family === 4 ? !x.includes(':') : x.includes(':')))!;
  return p.split('/')[0];
}

function report(flows: FlowView[], by: UsageReport['by'], sinceMs = 0): UsageReport {
  const idx = buildAttributionIndex(inv);
  const counts = new PairCounts(idx.owners.length);
  const visit = attributingVisitor(idx, counts, sinceMs);
  for (const f of flows) visit(f);
  return summarise(idx, counts, by);
}

describe('usage attribution on the example inventory', () => {
  const members = () => inv.organisations.filter((o) => o.servedBy);

  test('Leiden to the BRP, both families, is Leiden\'s overheid use of the service; return traffic counts for Leiden too', () => {
    const brp = inv.services.find((s) => s.zone === 'overheid')!.name;
    const r = report(
      [flow(hostOf('GM0546', 'overheid', 6), serviceHost(brp, 6), 20_000_000, 14_000), flow(serviceHost(brp, 6), hostOf('GM0546', 'overheid', 6), 1_000_000, 9_000)],
      'organisation',
    );
    expect(r.rows).toEqual([{ organisation: 'GM0546', member: null, zone: 'overheid', counterpart: brp, bytes: 21_000_000, packets: 23_000 }]);
    expect(r.unattributed).toEqual({ bytes: 0, packets: 0 });
    expect(r.records).toBe(2);
  });

  test('a samenwerkingsverband member is split out by --by member and summed under the samenwerkingsverband otherwise', () => {
    const m = members().find((o) => addressesInZone(inv, o.id, 'overheid').some((p) => p.family === 6))!;
    const other = members().find((o) => o.servedBy === m.servedBy && o.id !== m.id && addressesInZone(inv, o.id, 'overheid').some((p) => p.family === 6))!;
    const svc = inv.services.find((s) => s.zone === 'overheid')!.name;
    const flows = [flow(hostOf(m.id, 'overheid', 6), serviceHost(svc, 6), 5_000_000, 4000), flow(hostOf(other.id, 'overheid', 6), serviceHost(svc, 6), 1_000, 10)];
    const byMember = report(flows, 'member');
    expect(byMember.rows).toEqual([
      { organisation: m.servedBy, member: m.id, zone: 'overheid', counterpart: svc, bytes: 5_000_000, packets: 4000 },
      { organisation: m.servedBy, member: other.id, zone: 'overheid', counterpart: svc, bytes: 1_000, packets: 10 },
    ]);
    const byOrg = report(flows, 'organisation');
    expect(byOrg.rows).toEqual([{ organisation: m.servedBy, member: null, zone: 'overheid', counterpart: svc, bytes: 5_001_000, packets: 4010 }]);
  });

  test('traffic with no organisation at either end is unattributed, never dropped; an undeclared counterpart is kept as null', () => {
    const r = report([flow('198.18.0.1', '198.18.0.2', 700, 7), flow(hostOf('GM0546', 'overheid', 6), '2001:db8:ffff:ffff::1', 300, 3)], 'organisation');
    expect(r.unattributed).toEqual({ bytes: 700, packets: 7 });
    expect(r.rows).toEqual([{ organisation: 'GM0546', member: null, zone: 'overheid', counterpart: null, bytes: 300, packets: 3 }]);
    const total = r.rows.reduce((n, x) => n + x.bytes, 0) + r.unattributed.bytes;
    expect(total).toBe(1000);
  });

  test('--since drops records that ended before it', () => {
    const brp = inv.services.find((s) => s.zone === 'overheid')!.name;
    const now = Date.UTC(2026, 11, 6, 12);
    const r = report([flow(hostOf('GM0546', 'overheid', 6), serviceHost(brp, 6), 100, 1, now - 3_600_000), flow(hostOf('GM0546', 'overheid', 6), serviceHost(brp, 6), 5, 1, now)], 'zone', now - 60_000);
    expect(r.rows).toEqual([{ organisation: null, member: null, zone: 'overheid', counterpart: null, bytes: 5, packets: 1 }]);
  });
});

describe('usage report formats', () => {
  const r: UsageReport = {
    since: '24h',
    by: 'organisation',
    records: 3,
    rows: [
      { organisation: 'GM0546', member: null, zone: 'overheid', counterpart: 'diginetwerk-brp', bytes: 20_000_000, packets: 14_000 },
      { organisation: 'SV0001', member: null, zone: 'markt', counterpart: '=HYPERLINK("x")<img onerror=1>', bytes: 5_000_000, packets: 4000 },
    ],
    unattributed: { bytes: 12, packets: 1 },
  };

  test('JSON has the contract shape', () => {
    const j = JSON.parse(usageJson(r));
    expect(Object.keys(j).sort()).toEqual(['by', 'records', 'rows', 'since', 'unattributed']);
    expect(j.rows[0]).toEqual(r.rows[0]);
  });

  test('text is a table with the unattributed line and the totals', () => {
    const t = usageText(r);
    expect(t).toMatch(/^organisation\s+zone\s+counterpart\s+bytes\s+packets$/m);
    expect(t).toMatch(/^GM0546\s+overheid\s+diginetwerk-brp\s+20\.0 MB\s+14000$/m);
    expect(t).toMatch(/^\(unattributed\)\s+12 B\s+1$/m);
    expect(t).toContain('25.0 MB in all, since 24h');
  });

  test('CSV quotes formulas and commas; Markdown and SVG escape markup', () => {
    expect(usageCsv(r).split('\n')[2]).toBe(`SV0001,,markt,"'=HYPERLINK(""x"")<img onerror=1>",5000000,4000`);
    expect(usageMarkdown(r)).not.toContain('<img');
    const svg = usageSvg(r);
    expect(svg).not.toContain('<img');
    expect(svg).toContain('&lt;img onerror=1&gt;');
    // Well-formed enough for an XML parser: the devDependency fast-xml-parser validates it.
    const { XMLValidator } = require('fast-xml-parser') as typeof import('fast-xml-parser');
    expect(XMLValidator.validate(svg)).toBe(true);
    // The largest row has the longest bar.
    const widths = [...svg.matchAll(/<rect x="\d+" y="\d+" width="(\d+)"/g)].map((m) => Number(m[1]));
    expect(widths[0]).toBe(Math.max(...widths));
  });
});

describe('one flow, one count, when several devices export it', () => {
  test("a record counts only from the connection point's own CE; exporters that are no device always count", () => {
    const idx = buildAttributionIndex(inv);
    const counts = new PairCounts(idx.owners.length);
    const once = new OnePerFlow(idx, inv);
    const visit = attributingVisitor(idx, counts, 0, once);
    const ceOf = (org: string) => inv.devices.find((d) => d.id === inv.organisations.find((o) => o.id === org)!.connectionPoint!.device)!;
    const leidenCe = ceOf('GM0546');
    const border = inv.devices.find((d) => d.role === 'border-overheid')!;
    const brp = inv.services.find((s) => s.zone === 'overheid')!.name;
    once.file();
    once.exporter({ sysid: 1, address: leidenCe.management.address });
    once.exporter({ sysid: 2, address: border.management.address });
    once.exporter({ sysid: 3, address: '192.0.2.99' });
    const at = (f: FlowView, exporter: number) => ({ ...f, exporter });
    const out = flow(hostOf('GM0546', 'overheid', 6), serviceHost(brp, 6), 20_000_000, 14_000);
    const back = flow(serviceHost(brp, 6), hostOf('GM0546', 'overheid', 6), 1_000_000, 9_000);
    for (const f of [at(out, 1), at(out, 2), at(back, 2), at(back, 1)]) visit(f);
    visit(at(flow(hostOf('GM0546', 'overheid', 6), serviceHost(brp, 6), 5, 1), 3)); // a relay ggi does not know: counted
    visit(at(flow('192.0.2.1', '192.0.2.2', 7, 1), 2)); // no organisation at either end: counted as unattributed
    const r = summarise(idx, counts, 'organisation');
    expect(r.rows).toEqual([{ organisation: 'GM0546', member: null, zone: 'overheid', counterpart: brp, bytes: 21_000_005, packets: 23_001 }]);
    expect(r.unattributed).toEqual({ bytes: 7, packets: 1 });
    // Without the exporter filter both copies count: what the filter prevents.
    expect(report([at(out, 1), at(out, 2)], 'organisation').rows[0].bytes).toBe(40_000_000);
  });
});
