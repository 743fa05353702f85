import * as path from 'node:path';
import { buildIntents } from '../../src/intent';
import { labSpecFromIntents } from '../../src/lab/inventory-lab';
import { socLabNodes } from '../../src/lab/soc';
import { validateSpec } from '../../src/lab/spec';
import type { Inventory } from '../../src/model/inventory';
import { loadInventory } from '../../src/model/load';

const inv: Inventory = loadInventory(path.resolve(__dirname, '..', '..', 'inventory'), { profile: 'lab' }).inventory!;

describe("the lab's SOC nodes (pure)", () => {
  test('one SOC node on the management network at the address of the collectors and log receivers', () => {
    expect(socLabNodes(inv, 'ggi')).toEqual([
      {
        id: 'soc',
        kind: 'host',
        namespace: expect.stringMatching(/^ggi-soc-[0-9a-f]{6}$/),
        mgmtAddress: '198.19.255.250',
        frr: false,
        sshd: false,
        soc: { collectors: [{ id: 'soc-flows', port: 2055, protocol: 'netflow-v9' }], logReceivers: [{ id: 'soc-logs', port: 5140, protocol: 'json-udp' }] },
        meta: { role: 'soc', organisation: null, service: null },
      },
    ]);
  });

  test('collectors at two addresses make two nodes; syslog-over-TLS receivers are not run; no veilig.yaml, no SOC', () => {
    const v = inv.veilig!;
    const two = {
      ...inv,
      veilig: {
        ...v,
        soc: {
          ...v.soc,
          collectors: [...v.soc.collectors, { id: 'soc-ipfix', address: '198.19.255.249', port: 4739, protocol: 'ipfix' as const }],
          logReceivers: [...v.soc.logReceivers, { id: 'soc-tls', address: '198.19.255.249', port: 6514, protocol: 'syslog-tls' as const }],
        },
      },
    } as Inventory;
    const nodes = socLabNodes(two, 'ggi');
    expect(nodes.map((n) => [n.id, n.mgmtAddress, n.soc!.collectors.map((c) => c.id), n.soc!.logReceivers.map((r) => r.id)])).toEqual([
      ['soc-1', '198.19.255.250', ['soc-flows'], ['soc-logs']],
      ['soc-2', '198.19.255.249', ['soc-ipfix'], []],
    ]);
    expect(socLabNodes({ ...inv, veilig: null } as Inventory, 'ggi')).toEqual([]);
  });

  test("the whole lab spec is valid: no lab-only device takes the SOC's management address", () => {
    // The govroam proxies and home servers take management addresses from the top of the pool down, past .250.
    const spec = labSpecFromIntents(inv, buildIntents(inv).intents, { stateDir: '/tmp/ggi-soc-spec' });
    expect(validateSpec(spec)).toEqual([]);
    expect(spec.nodes.filter((n) => n.mgmtAddress === '198.19.255.250').map((n) => n.id)).toEqual(['soc']);
  });
});
