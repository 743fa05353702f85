import { buildIntents, type DeviceIntent } from '../../src/intent';
import { renderFrrConf } from '../../src/devices/linux-frr/index';
import { BACKBONE, baseFiles, gemeente, loadFiles } from './fixture';

/**
 * Redundancy in the intents: two borders per zone, two KPS peers (one per KPS data centre) joined by the KPS's own
 * link, and a CE pair. Every CE has an uplink to every border of its zones; the standby devices prepend their ASN so
 * that both directions of a flow cross the active border while it lives (its stateful filter sees the whole flow).
 */
const BACKBONE_2 = `${BACKBONE}  - { id: border-overheid-2, role: border-overheid, routerId: 198.19.0.5, management: { address: 198.19.0.5 } }
  - { id: border-markt-2, role: border-markt, routerId: 198.19.0.6, management: { address: 198.19.0.6 } }
  - { id: kps-2, role: kps-peer, management: { address: 198.19.0.7 } }
`;

function pairFiles(): Record<string, string> {
  const files = baseFiles();
  files['devices/backbone.yaml'] = BACKBONE_2;
  files['organisations/gm0001.yaml'] = gemeente('GM0001', 1)
    .replace('  device: ce-gm0001\n', '  device: ce-gm0001\n  secondDevice: ce-gm0001-2\n')
    .concat('  - id: ce-gm0001-2\n    role: ce\n    management: { address: 198.19.0.61 }\n');
  return files;
}

describe('intents of a redundant network', () => {
  const inv = loadFiles(pairFiles());
  const { intents, findings } = buildIntents(inv);
  const m = new Map(intents.map((i) => [i.id, i]));
  const uplinks = (i: DeviceIntent) => i.interfaces.filter((x) => x.kind === 'uplink').map((x) => [x.name, x.zone, x.peer!.device]);

  it('builds without findings, both CEs of the pair terminating the one connection point', () => {
    expect(findings).toEqual([]);
    expect(m.get('ce-gm0001-2')!.organisation).toBe('GM0001');
  });

  it('gives every CE, both of a pair, an uplink to every border of each zone it joins', () => {
    const both = [
      ['up-overheid', 'overheid', 'border-overheid'],
      ['up-overheid-2', 'overheid', 'border-overheid-2'],
      ['up-markt', 'markt', 'border-markt'],
      ['up-markt-2', 'markt', 'border-markt-2'],
    ];
    expect(uplinks(m.get('ce-gm0001')!)).toEqual(both);
    expect(uplinks(m.get('ce-gm0001-2')!)).toEqual(both);
    expect(uplinks(m.get('ce-gm0002')!)).toEqual(both.slice(0, 2));
    // Every border has a session with every CE of its zone and with every KPS peer or supplier router.
    const peers = (id: string) => [...new Set(m.get(id)!.bgp!.neighbors.map((n) => n.peerDevice))].sort();
    expect(peers('border-overheid-2')).toEqual(['ce-gm0001', 'ce-gm0001-2', 'ce-gm0002', 'ce-sv0001', 'kps', 'kps-2']);
    expect(peers('border-markt-2')).toEqual(['ce-gm0001', 'ce-gm0001-2', 'rtr-lv0001']);
  });

  it('puts the second CE of a pair on the next address of each LAN', () => {
    const lan = (id: string) => m.get(id)!.interfaces.filter((x) => x.kind === 'lan').map((x) => [x.name, x.addresses]);
    expect(lan('ce-gm0001')[0]).toEqual(['l-gm0001-staff', ['192.0.2.17/29', '2a07:3500:4::1/64']]);
    expect(lan('ce-gm0001-2')[0]).toEqual(['l-gm0001-staff', ['192.0.2.18/29', '2a07:3500:4::2/64']]);
  });

  it('prepends on every eBGP session of a standby device, on none of an active one, never on iBGP', () => {
    const prepends = (id: string) => [...new Set(m.get(id)!.bgp!.neighbors.map((n) => n.prependOut ?? 0))];
    expect(prepends('border-overheid')).toEqual([0]);
    expect(prepends('border-markt')).toEqual([0]);
    expect(prepends('ce-gm0001')).toEqual([0]);
    expect(prepends('border-overheid-2')).toEqual([1]);
    expect(prepends('border-markt-2')).toEqual([1]);
    expect(prepends('ce-gm0001-2')).toEqual([1]);
    const conf = renderFrrConf(m.get('border-overheid-2')!);
    expect(conf).toContain('set as-path prepend 64500\n');
    expect(renderFrrConf(m.get('border-overheid')!)).not.toContain('prepend');
  });

  it('joins the KPS peers by iBGP with next-hop-self; the second announces the services, reached through the first', () => {
    const k2 = m.get('kps-2')!;
    const ibgp = k2.bgp!.neighbors.filter((n) => n.peerDevice === 'kps');
    expect(ibgp.map((n) => n.remoteAsn)).toEqual([k2.bgp!.localAsn, k2.bgp!.localAsn]);
    expect(ibgp.every((n) => !n.prependOut)).toBe(true);
    const conf = renderFrrConf(k2);
    for (const n of ibgp) expect(conf).toContain(`  neighbor ${n.address} next-hop-self\n`);
    // Same services as the first KPS peer, with a next hop over the KPS link instead of a blackhole.
    expect(k2.bgp!.originate).toEqual(m.get('kps')!.bgp!.originate);
    const via = ibgp.find((n) => n.family === 4)!.address;
    expect(k2.staticRoutes.filter((r) => !r.prefix.includes(':')).map((r) => r.via)).toEqual(k2.bgp!.originate.ipv4.map(() => via));
    // Only the first KPS peer fronts the services; to the second, the KPS link leads to them (kind kps).
    expect(k2.interfaces.filter((i) => i.service)).toEqual([]);
    expect(k2.interfaces.find((i) => i.peer?.device === 'kps')!.kind).toBe('kps');
    expect(m.get('kps')!.interfaces.find((i) => i.peer?.device === 'kps-2')!.kind).toBe('peer');
  });

  it('without a second KPS peer or border there is no KPS link and no prepending', () => {
    const single = buildIntents(loadFiles(baseFiles()));
    const k = single.intents.find((i) => i.id === 'kps')!;
    expect(k.interfaces.some((i) => i.kind === 'kps')).toBe(false);
    expect(k.bgp!.neighbors.every((n) => n.prependOut === undefined)).toBe(true);
  });
});
