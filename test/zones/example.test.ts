import * as path from 'node:path';
import { loadInventory } from '../../src/model/load';
import { buildPolicy, diffPolicies, lintPolicy, nftablesForDevice, query } from '../../src/zones';

/** The example national inventory that ships in inventory/: its policy builds, lints without errors, diffs to nothing against itself. */
describe('the example inventory', () => {
  const { inventory, findings } = loadInventory(path.resolve(__dirname, '../../inventory'));
  it('loads', () => expect(findings.filter((f) => f.severity === 'error')).toEqual([]));
  const inv = inventory!;
  const built = inventory ? buildPolicy(inv) : null;

  it('builds its policy without findings and lints without errors', () => {
    expect(built!.findings).toEqual([]);
    const lint = lintPolicy(built!.policy, inv.sources, new Date('2026-11-23T12:00:00Z'));
    expect(lint.filter((f) => f.severity === 'error')).toEqual([]);
  });

  it('diffs to nothing against itself', () => {
    const again = buildPolicy(loadInventory(path.resolve(__dirname, '../../inventory')).inventory!).policy;
    expect(diffPolicies(built!.policy, again)).toMatchObject({ opened: [], closed: [] });
  });

  it('answers queries for its own rules', () => {
    const p = built!.policy;
    const brp = p.services.find((s) => s.name === 'diginetwerk-brp');
    const org = p.orgs.find((o) => o.via === o.id && o.joins.includes('overheid') && o.zones.overheid.v4.length);
    expect(brp).toBeDefined();
    expect(org).toBeDefined();
    const hex = (v: bigint) => [24n, 16n, 8n, 0n].map((s) => String((v >> s) & 255n)).join('.');
    const v = query(p, { src: hex(org!.zones.overheid.v4[0].lo), dst: hex(brp!.set.v4[0].lo), proto: 'tcp', dport: 443 });
    expect(v).toMatchObject({ allowed: true, rule: 'brp-bevraging' });
  });

  it('compiles a ruleset for every CE', () => {
    const p = built!.policy;
    for (const d of inv.devices.filter((x) => x.role === 'ce')) {
      const o = p.orgs.find((x) => x.id === d.organisation);
      const text = nftablesForDevice(p, { deviceId: d.id, role: 'ce', organisation: d.organisation, interfaces: [{ name: 'lan0', kind: 'lan' }, ...(o?.joins ?? []).map((z) => ({ name: `up-${z}`, kind: 'uplink' as const, zone: z }))] });
      expect(text).toMatch(/^table inet ggi$/m);
    }
  });
});
