import * as path from 'node:path';
import { buildIntents } from '../../src/intent';
import { govroamLabNodes, inPrefix, labAccessPoints, labRadiusDevices } from '../../src/lab/govroam';
import { labSpecFromIntents } from '../../src/lab/inventory-lab';
import { validateSpec } from '../../src/lab/spec';
import { govroamPlan } from '../../src/govroam/topology';
import { loadInventory } from '../../src/model/load';

const inv = loadInventory(path.resolve(__dirname, '../../inventory'), { profile: 'lab' }).inventory!;
const intents = buildIntents(inv).intents;

describe('the govroam lab plan (pure)', () => {
  test('every participant proxy, both NLRS and every RADIUS/UDP home server are RADIUS devices of the lab', () => {
    const devices = labRadiusDevices(inv, intents);
    expect(devices.filter((d) => d.radius.kind === 'proxy').map((d) => d.id).sort()).toEqual(intents.filter((i) => i.role === 'radius').map((i) => i.id).sort());
    expect(devices.filter((d) => d.radius.kind === 'nlrs').map((d) => [d.id, d.radius.address])).toEqual([
      ['nlrs-1', '192.0.2.250'],
      ['nlrs-2', '192.0.2.251'],
    ]);
    // GM0546 and GM0153 reach their home servers over RadSec: no FreeRADIUS of theirs is configured.
    expect(devices.filter((d) => d.radius.kind === 'home').map((d) => d.radius.name).sort()).toEqual(['gm0014', 'gm0344', 'gm0363', 'gm0865']);
    // Inventory devices carry the same part in their intent.
    expect(intents.find((i) => i.id === 'radius-gm0363')!.radius).toEqual(devices.find((d) => d.id === 'radius-gm0363')!.radius);
  });

  test('lab-only devices get free management addresses; each SP an access point inside its first nas prefix', () => {
    const { nodes, links } = govroamLabNodes(inv, intents, 'ggi', inv.settings.transfer.managementIpv4!);
    const used = new Set(intents.map((i) => i.management.address));
    const mgmt = nodes.filter((n) => n.mgmtAddress).map((n) => n.mgmtAddress!);
    expect(mgmt.length).toBe(6);
    expect(new Set(mgmt).size).toBe(6);
    expect(mgmt.filter((a) => used.has(a) || !inPrefix(a, inv.settings.transfer.managementIpv4!))).toEqual([]);
    const aps = labAccessPoints(inv, govroamPlan(inv)!);
    expect(aps.length).toBe(6);
    for (const ap of aps) {
      const p = govroamPlan(inv)!.participants.find((x) => x.slug === ap.slug)!;
      const link = links.find((l) => l.b.node === ap.id)!;
      expect(link.a.node).toBe(ap.device);
      const [proxySide, apSide] = [link.a.addresses[0], link.b.addresses[0]].map((c) => c.split('/')[0]);
      expect([inPrefix(apSide, p.nas[0].host), inPrefix(proxySide, p.nas[0].host), apSide !== proxySide]).toEqual([true, true, true]);
    }
  });

  test('the whole lab spec with govroam is valid', () => {
    expect(validateSpec(labSpecFromIntents(inv, intents, { stateDir: '/tmp/ggi-lab-x', name: 'ggi' }))).toEqual([]);
  });
});
