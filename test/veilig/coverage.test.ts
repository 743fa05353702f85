import * as path from 'node:path';
import fc from 'fast-check';
import { loadInventory } from '../../src/model/load';
import type { Inventory } from '../../src/model/inventory';
import { coverage, declaredPoints, FlowCounter, logLineTime, tallyLogLines, type FlowTally, type LogTally } from '../../src/veilig/coverage';
import type { FlowView } from '../../src/veilig/nfcapd';
import { detectionLogPrefix, DROP_LOG_PREFIX } from '../../src/veilig/nflog';

const EXAMPLE = path.resolve(__dirname, '..', '..', 'inventory');
const NOW = new Date('2026-12-06T12:00:00Z');
const inv: Inventory = (() => {
  const l = loadInventory(EXAMPLE, { profile: 'lab' });
  if (!l.inventory) throw new Error('example inventory does not load');
  return l.inventory;
})();
const byId = new Map(inv.devices.map((d) => [d.id, d]));
const ces = inv.organisations.filter((o) => o.connectionPoint).map((o) => ({ org: o.id, device: o.connectionPoint!.device }));
const borders = inv.devices.filter((d) => d.role === 'border-overheid' || d.role === 'border-markt');

function observed(flows: Record<string, FlowTally>, logs: Record<string, LogTally> = {}) {
  return { flows: new Map(Object.entries(flows)), logs: new Map(Object.entries(logs)), ignoredLines: 0 };
}
const mgmt = (id: string) => byId.get(id)!.management.address;
const T = Date.parse('2026-12-06T11:59:00Z');

describe('veilig coverage (pure)', () => {
  test('the example has connection points and borders to cover', () => {
    expect(ces.length).toBeGreaterThan(3);
    expect(borders.length).toBeGreaterThanOrEqual(2);
    expect(declaredPoints(inv)).toHaveLength(ces.length + borders.length);
  });

  test('a point is seen by the flows its devices export from their management address; the rest are dark', () => {
    const [a, b] = ces;
    const r = coverage(inv, observed({ [mgmt(a.device)]: { records: 7, last: T }, [mgmt(borders[0].id)]: { records: 2, last: T - 1000 }, '198.19.9.9': { records: 3, last: T } }), { since: '15m', now: NOW });
    const pa = r.points.find((p) => p.organisation === a.org)!;
    expect(pa).toMatchObject({ id: a.device, kind: 'connection-point', flows: 7, dark: false, lastFlow: new Date(T).toISOString(), lastSeen: new Date(T).toISOString() });
    expect(r.points.find((p) => p.organisation === b.org)).toMatchObject({ flows: 0, dark: true, lastSeen: null });
    expect(r.points.find((p) => p.id === borders[0].id)).toMatchObject({ kind: 'border', organisation: null, flows: 2, dark: false });
    expect(r.ok).toBe(false);
    expect(r.unknownExporters).toEqual([{ address: '198.19.9.9', flows: 3 }]);
  });

  test('logs count by device: drops, detections per rule, last seen of each', () => {
    const border = borders[0].id;
    const lines = [
      JSON.stringify({ timestamp: '2026-12-06T12:58:00.250000+0100', dvc: border, 'oob.prefix': DROP_LOG_PREFIX, src_ip: '192.0.2.1' }),
      JSON.stringify({ timestamp: '2026-12-06T11:58:30+0000', dvc: border, 'oob.prefix': `${detectionLogPrefix('geen-telnet')} `, dest_port: 23 }),
      JSON.stringify({ 'oob.time.sec': Date.parse('2026-12-06T11:58:40Z') / 1000, dvc: border, 'oob.prefix': detectionLogPrefix('geen-telnet') }),
      JSON.stringify({ timestamp: '2026-12-06T10:00:00+0000', dvc: border, 'oob.prefix': DROP_LOG_PREFIX }), // before the window
      JSON.stringify({ timestamp: '2026-12-06T11:58:00+0000', dvc: border, 'oob.prefix': 'someone-else' }),
      JSON.stringify({ timestamp: '2026-12-06T11:58:00+0000', 'oob.prefix': DROP_LOG_PREFIX }),
      JSON.stringify({ dvc: border, 'oob.prefix': DROP_LOG_PREFIX }),
      'not json',
      '',
    ].join('\n');
    const since = NOW.getTime() - 15 * 60_000;
    const t = tallyLogLines(lines, since);
    expect(t.ignored).toBe(4);
    expect(t.logs.get(border)).toEqual({ drops: 1, lastDrop: Date.parse('2026-12-06T11:58:00.250Z'), detections: 2, lastDetection: Date.parse('2026-12-06T11:58:40Z'), rules: { 'geen-telnet': 2 } });
    const r = coverage(inv, { flows: new Map(), logs: t.logs, ignoredLines: t.ignored }, { since: '15m', now: NOW });
    const p = r.points.find((x) => x.id === border)!;
    expect(p).toMatchObject({ drops: 1, detections: 2, rules: { 'geen-telnet': 2 }, lastSeen: '2026-12-06T11:58:40.000Z', dark: true });
    expect(r.ignoredLines).toBe(4);
  });

  test('ulogd timestamps: numeric offsets, microseconds, or oob.time', () => {
    expect(logLineTime({ timestamp: '2026-12-06T13:00:00.500000+0100' })).toBe(Date.parse('2026-12-06T12:00:00.500Z'));
    expect(logLineTime({ timestamp: '2026-12-06T12:00:00-0230' })).toBe(Date.parse('2026-12-06T14:30:00Z'));
    expect(logLineTime({ 'oob.time.sec': 1_800_000_000, 'oob.time.usec': 250_000 })).toBe(1_800_000_000_250);
    expect(logLineTime({ timestamp: 'yesterday' })).toBeNaN();
  });

  test('an exempt point is shown as exempt, never dark; an ended exemption does not count', () => {
    const [a, b] = ces;
    const withEx = {
      ...inv,
      veilig: { ...inv.veilig!, exemptions: [{ organisation: a.org, reason: 'nieuwe aansluiting', expires: '2027-01-31' }, { device: b.device, reason: 'oud', expires: '2026-01-01' }] },
    } as Inventory;
    const r = coverage(withEx, observed({}), { since: null, now: NOW });
    expect(r.points.find((p) => p.organisation === a.org)).toMatchObject({ dark: false, exempt: { reason: 'nieuwe aansluiting', expires: '2027-01-31' } });
    expect(r.points.find((p) => p.organisation === b.org)).toMatchObject({ dark: true, exempt: null });
  });

  test('FlowCounter maps exporter ids per file and keeps only records in the window', () => {
    const c = new FlowCounter(1000);
    const v = (exporter: number, last: number) => ({ exporter, last }) as FlowView;
    c.file();
    c.exporter({ sysid: 1, address: '198.19.0.10' });
    c.visit(v(1, 2000));
    c.visit(v(1, 500)); // ended before the window
    c.file();
    c.exporter({ sysid: 1, address: '198.19.0.11' }); // the same id means another exporter in another file
    c.visit(v(1, 3000));
    c.visit(v(2, 3000)); // no exporter record: kept, never attributed to a device
    expect(Object.fromEntries(c.byAddress)).toEqual({ '198.19.0.10': { records: 1, last: 2000 }, '198.19.0.11': { records: 1, last: 3000 }, 'exporter-2': { records: 1, last: 3000 } });
  });

  test('property: every declared point appears exactly once, dark exactly when it has no flows and no exemption, and no record is lost', () => {
    const deviceIds = [...new Set([...ces.map((c) => c.device), ...borders.map((b) => b.id)])];
    fc.assert(
      fc.property(
        fc.subarray(inv.organisations),
        fc.subarray(inv.devices),
        fc.dictionary(fc.constantFrom(...deviceIds.map(mgmt), '198.19.200.1'), fc.record({ records: fc.integer({ min: 1, max: 1000 }), last: fc.integer({ min: 1, max: 2e12 }) })),
        fc.subarray(deviceIds),
        (orgs, devices, flows, exemptDevices) => {
          const sub = { ...inv, organisations: orgs, devices, veilig: { ...inv.veilig!, exemptions: exemptDevices.map((d) => ({ device: d, reason: 'r', expires: '2099-01-01' })) } } as Inventory;
          const r = coverage(sub, observed(flows), { since: null, now: NOW });
          const keys = r.points.map((p) => `${p.kind}:${p.organisation ?? p.id}`);
          expect(new Set(keys).size).toBe(keys.length);
          const expected = [
            ...orgs.filter((o) => o.connectionPoint).map((o) => `connection-point:${o.id}`),
            ...[...new Set(devices.filter((d) => d.role === 'border-overheid' || d.role === 'border-markt').map((d) => d.id))].map((d) => `border:${d}`),
          ];
          expect(keys.sort()).toEqual(expected.sort());
          for (const p of r.points) expect(p.dark).toBe(p.flows === 0 && !p.devices.some((d) => exemptDevices.includes(d.id)));
          expect(r.ok).toBe(r.points.every((p) => !p.dark));
          // Each exporter's records are counted at the points of its device, or listed as unknown.
          const counted = new Set(r.points.flatMap((p) => p.devices.map((d) => d.address)));
          for (const [a, t] of Object.entries(flows)) {
            if (!counted.has(a)) expect(r.unknownExporters).toContainEqual({ address: a, flows: t.records });
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
