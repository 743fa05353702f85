import * as path from 'node:path';
import { acceptedRisks, checkResilience } from '../../src/diginetwerk';
import { loadInventory } from '../../src/model/load';
import { validateInventory } from '../../src/validation';
import { main } from '../../src/cli/main';
import { cleanup, fakeIo, MINIMAL_SETTINGS, tmpInventory } from '../helpers/tmp-inventory';

/** Single points of failure as findings (DOMAIN.md §2.3), with a configurable severity and accepted risks. */

const NOW = new Date('2026-11-23T12:00:00Z');
const dev = (id: string, role: string, extra = '') => `  - { id: ${id}, role: ${role}, management: { address: 198.19.0.${Math.abs(hash(id)) % 250 + 2}, hostKey: 'SHA256:${'A'.repeat(43)}' }${extra} }`;
function hash(s: string): number {
  let h = 7;
  for (const c of s) h = (h * 31 + c.charCodeAt(0)) | 0;
  return h;
}
const org = (id: string, device: string, extra = '') => `id: ${id}\nkind: gemeente\nname: G${id}\nconnectionPoint:\n  site: Stadhuis\n  device: ${device}\n  zones: [overheid]\n  asn: 4200000001\n${extra}ipv4:\n  overheid: [198.51.100.${Number(id.slice(2)) * 8}/29]\n`;

function inventory(files: Record<string, string>, severity?: 'error' | 'warning') {
  const settings = severity ? `${MINIMAL_SETTINGS}resilience:\n  singlePointSeverity: ${severity}\n` : MINIMAL_SETTINGS;
  const dir = tmpInventory({ 'ggi.yaml': settings, ...files });
  const r = loadInventory(dir);
  if (!r.inventory) throw new Error(JSON.stringify(r.findings.slice(0, 3), null, 2));
  return { dir, inv: r.inventory };
}

const summary = (fs: ReturnType<typeof checkResilience>) => fs.map((f) => `${f.severity} ${f.code} ${path.basename(f.file)}:${f.line}`).sort();

describe('validate: single points of failure', () => {
  it('one border, one KPS peering and a lone CE are findings; pairs and accepted risks are not', () => {
    const { dir, inv } = inventory({
      'devices/core.yaml': ['devices:', dev('border-overheid', 'border-overheid'), dev('kps-a', 'kps-peer', ', site: DC1'), dev('ce-gm0001', 'ce', ', organisation: GM0001'), dev('ce-gm0002', 'ce', ', organisation: GM0002'), dev('ce-gm0002-b', 'ce', ', organisation: GM0002'), dev('ce-gm0003', 'ce', ', organisation: GM0003')].join('\n') + '\n',
      'organisations/gm0001.yaml': org('GM0001', 'ce-gm0001'),
      'organisations/gm0002.yaml': org('GM0002', 'ce-gm0002', '  secondDevice: ce-gm0002-b\n'),
      'organisations/gm0003.yaml': org('GM0003', 'ce-gm0003', '  acceptedRisk:\n    reason: Kleine locatie, storing raakt alleen deze gemeente\n    until: 2027-06-30\n'),
    });
    try {
      expect(summary(checkResilience(inv, NOW))).toEqual([
        'warning RESILIENCE_SINGLE_BORDER core.yaml:2',
        'warning RESILIENCE_SINGLE_CE gm0001.yaml:6',
        'warning RESILIENCE_SINGLE_KPS_PEERING core.yaml:3',
      ]);
      expect(acceptedRisks(inv, NOW)).toEqual([{ organisation: 'GM0003', device: 'ce-gm0003', reason: 'Kleine locatie, storing raakt alleen deze gemeente', until: '2027-06-30' }]);
      // After the until date the accepted risk lapses and the single CE is reported again.
      expect(summary(checkResilience(inv, new Date('2027-07-01T00:00:00Z')))).toContain('warning RESILIENCE_RISK_EXPIRED gm0003.yaml:11');
      expect(acceptedRisks(inv, new Date('2027-07-01T00:00:00Z'))).toEqual([]);
    } finally {
      cleanup(dir);
    }
  });

  it('two borders and two KPS peerings in two data centres: no finding; in one data centre: one', () => {
    const files = (siteB: string) => ({
      'devices/core.yaml': ['devices:', dev('border-overheid-a', 'border-overheid'), dev('border-overheid-b', 'border-overheid'), dev('kps-a', 'kps-peer', ', site: DC1'), dev('kps-b', 'kps-peer', `, site: ${siteB}`), dev('ce-gm0001', 'ce', ', organisation: GM0001'), dev('ce-gm0001-b', 'ce', ', organisation: GM0001')].join('\n') + '\n',
      'organisations/gm0001.yaml': org('GM0001', 'ce-gm0001', '  secondDevice: ce-gm0001-b\n'),
    });
    const two = inventory(files('DC2'));
    const one = inventory(files('DC1'));
    try {
      expect(checkResilience(two.inv, NOW)).toEqual([]);
      expect(summary(checkResilience(one.inv, NOW))).toEqual(['warning RESILIENCE_KPS_ONE_SITE core.yaml:5']);
    } finally {
      cleanup(two.dir);
      cleanup(one.dir);
    }
  });

  it('the severity comes from ggi.yaml: as errors, validate fails', () => {
    // A real gemeente code: reference errors would stop the domain checks.
    const { dir } = inventory({ 'devices/core.yaml': ['devices:', dev('border-overheid', 'border-overheid'), dev('ce-gm0014', 'ce', ', organisation: GM0014')].join('\n') + '\n', 'organisations/gm0014.yaml': org('GM0014', 'ce-gm0014') }, 'error');
    try {
      const r = validateInventory(dir, { now: NOW });
      expect(r.findings.filter((f) => f.code.startsWith('RESILIENCE_')).map((f) => `${f.severity} ${f.code}`).sort()).toEqual(['error RESILIENCE_SINGLE_BORDER', 'error RESILIENCE_SINGLE_CE']);
      expect(r.ok).toBe(false);
      expect(r.checkOf.get(r.findings.find((f) => f.code === 'RESILIENCE_SINGLE_CE')!)).toBe('resilience');
    } finally {
      cleanup(dir);
    }
  });

  it('a second CE must be another CE of the same organisation', () => {
    const { dir, inv } = inventory({
      'devices/core.yaml': ['devices:', dev('ce-gm0001', 'ce', ', organisation: GM0001'), dev('border-markt', 'border-markt'), dev('ce-gm0002', 'ce', ', organisation: GM0002')].join('\n') + '\n',
      'organisations/gm0001.yaml': org('GM0001', 'ce-gm0001', '  secondDevice: ce-gm0001\n'),
      'organisations/gm0002.yaml': org('GM0002', 'ce-gm0002', '  secondDevice: border-markt\n'),
      'organisations/gm0003.yaml': org('GM0003', 'ce-gm0002', '  secondDevice: nope\n').replace('device: ce-gm0002', 'device: ce-gm0002'),
    });
    try {
      const got = summary(checkResilience(inv, NOW)).filter((s) => s.startsWith('error'));
      expect(got).toEqual(['error RESILIENCE_CE_PAIR gm0001.yaml:9', 'error RESILIENCE_CE_PAIR gm0002.yaml:9', 'error UNKNOWN_REFERENCE gm0003.yaml:9']);
    } finally {
      cleanup(dir);
    }
  });

  it('the example inventory: every single CE carries an accepted risk with a reason', () => {
    const inv = loadInventory(path.resolve(__dirname, '../../inventory')).inventory!;
    const single = inv.organisations.filter((o) => o.connectionPoint && !o.connectionPoint.secondDevice);
    expect(single.length).toBeGreaterThan(0);
    for (const o of single) expect(o.connectionPoint!.acceptedRisk?.reason.length).toBeGreaterThanOrEqual(10);
    expect(checkResilience(inv, NOW).filter((f) => f.code === 'RESILIENCE_SINGLE_CE' || f.code === 'RESILIENCE_RISK_EXPIRED')).toEqual([]);
  });

  it('the example inventory: no single point of failure in the zones\' core, a CE pair, the single CEs as accepted risks', async () => {
    const dir = path.resolve(__dirname, '../../inventory');
    const inv = loadInventory(dir).inventory!;
    // Two borders per zone, two KPS peerings in two data centres: nothing at all from the resilience check.
    expect(checkResilience(inv, NOW)).toEqual([]);
    expect(new Set(inv.devices.filter((d) => d.role === 'kps-peer').map((d) => d.site)).size).toBe(2);
    expect(inv.organisations.filter((o) => o.connectionPoint?.secondDevice).map((o) => o.id)).toEqual(['GM0599']);
    // validate says which connection points carry a single CE as an accepted risk (no finding, a line of its own).
    const f = fakeIo();
    expect(await main(['validate', '--inventory', dir], f.io)).toBe(0);
    const line = f.stdout().split('\n').find((l) => l.startsWith('accepted risks: '))!;
    expect(line).toContain(`${acceptedRisks(inv).length} connection point(s) with a single CE`);
    expect(line).toContain('GM0546');
    expect(line).not.toContain('GM0599');
    expect(f.stdout()).not.toMatch(/RESILIENCE_/);
  });
});
