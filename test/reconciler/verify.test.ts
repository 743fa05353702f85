import { frrCheckList, frrLocations, missingRoutes, missingSessions, pollFrrChecks, type FrrExpectations } from '../../src/devices/linux-frr/index';
import type { ShellTransport } from '../../src/devices';
import { inventoryTargets, labTargets, readKnownHosts, recordKnownHosts } from '../../src/reconciler/targets';
import type { DeviceIntent } from '../../src/intent';
import { tmpDir } from './helpers';

describe('verification of FRR JSON', () => {
  const neighbors = JSON.stringify({
    '198.18.0.1': { remoteAs: 64500, bgpState: 'Established' },
    '2001:db8::1': { remoteAs: 64500, bgpState: 'Active' },
  });

  it('names the sessions that are not Established, or not configured at all', () => {
    expect(missingSessions(neighbors, ['198.18.0.1'])).toEqual([]);
    expect(missingSessions(neighbors, ['198.18.0.1', '2001:DB8::1', '198.18.0.9'])).toEqual(['2001:DB8::1 (Active)', '198.18.0.9 (not configured)']);
    expect(missingSessions('not json', ['198.18.0.1'])).toEqual(['198.18.0.1 (not configured)']);
  });

  it('names the prefixes not sent or not received', () => {
    const adv = JSON.stringify({ bgpTableVersion: 3, advertisedRoutes: { '3fff:500:4::/46': {}, '192.0.2.0/24': {} } });
    const rcv = JSON.stringify({ routes: { '198.51.100.0/24': [{}] } });
    expect(missingRoutes(adv, 'advertised', ['3fff:500:4::/46', '192.0.2.0/24'])).toEqual([]);
    expect(missingRoutes(adv, 'advertised', ['203.0.113.0/24'])).toEqual(['203.0.113.0/24']);
    expect(missingRoutes(rcv, 'received', ['198.51.100.0/24'])).toEqual([]);
    expect(missingRoutes('{}', 'received', ['198.51.100.0/24'])).toEqual(['198.51.100.0/24']);
  });

  const exp: FrrExpectations = {
    sessions: [
      { peer: '2001:db8::1', family: 6, peerDevice: 'border', remoteAsn: 64500 },
      { peer: '198.18.0.1', family: 4, peerDevice: 'kps', remoteAsn: 64500 },
    ],
    advertised: [],
    relayed: [{ peer: '198.18.0.1', family: 4, peerDevice: 'border', prefixes: ['198.51.100.0/24'] }],
    received: [{ peer: '198.18.0.1', family: 4, peerDevice: 'kps', prefixes: ['192.0.2.0/24'] }],
  };
  const paths = frrLocations({ pathspace: 'ggi-ce-1' });

  it('does not wait for peers on devices that failed in the same run', () => {
    const names = (excused: string[]) => frrCheckList(exp, paths, new Set(excused)).map((c) => c.name);
    expect(names([])).toEqual(['BGP sessions established', 'prefixes relayed to border (198.18.0.1)', 'prefixes received from kps (198.18.0.1)']);
    // A failed peer is not waited for; relayed prefixes are excused by a failure anywhere.
    expect(names(['kps'])).toEqual(['BGP sessions established']);
    expect(names(['ce-9'])).toEqual(['BGP sessions established', 'prefixes received from kps (198.18.0.1)']);
    const sessions = frrCheckList(exp, paths, new Set(['border']))[0];
    expect(sessions.argv).toEqual(['vtysh', '-N', 'ggi-ce-1', '-c', 'show bgp neighbors json']);
    expect(sessions.missing(neighbors)).toEqual([]);
    expect(frrCheckList(exp, paths, new Set())[0].missing(neighbors)).toEqual(['2001:db8::1 (Active)']);
  });

  it('polls the device until the checks hold or the deadline passes, and names what is missing', async () => {
    let calls = 0;
    const t = {
      kind: 'ssh',
      hostKey: 'test',
      exec: async (cmd: string) => {
        calls++;
        if (cmd.includes('neighbors json')) return { code: 0, stdout: calls > 2 ? JSON.stringify({ '198.18.0.1': { bgpState: 'Established' } }) : neighbors.replace('Established', 'Connect'), stderr: '' };
        return { code: 0, stdout: '{}', stderr: '' };
      },
    } as unknown as ShellTransport;
    const only4: FrrExpectations = { ...exp, sessions: [exp.sessions[1]], relayed: [] };
    const res = await pollFrrChecks(t, only4, paths, { deadline: Date.now() + 5000, excused: new Set(), intervalMs: 10 });
    expect(res[0]).toMatchObject({ name: 'BGP sessions established', ok: true });
    expect(res[1]).toMatchObject({ ok: false, observed: 'missing 192.0.2.0/24' });
  });
});

describe('targets', () => {
  it('maps the lab target, pinning its host keys and keeping state per device', () => {
    const t = labTargets({ stateDir: '/lab', devices: [{ id: 'ce-1', address: '198.18.220.11', port: 22, user: 'root', hostKey: 'SHA256:x', privateKey: '/s/key', pathspace: 'ggi-ce-1', stateDir: '/run/x/ggi' }] });
    expect(t.get('ce-1')).toMatchObject({ host: '198.18.220.11', hostKey: 'SHA256:x', privateKey: { file: '/s/key' }, layout: { stateDir: '/run/x/ggi', pathspace: 'ggi-ce-1' } });
  });

  it('uses the inventory, the key from the environment, and keys accepted while onboarding', () => {
    const intent = { id: 'ce-1', management: { address: '192.0.2.1', port: 22, user: 'ggi' } } as unknown as DeviceIntent;
    expect(inventoryTargets([intent], {}, {}).get('ce-1')).toMatchObject({ hostKey: undefined, privateKey: null, layout: { stateDir: '/var/lib/ggi', pathspace: null } });
    expect(inventoryTargets([intent], { GGI_SSH_KEY_FILE: '/k' }, { 'ce-1': 'SHA256:y' }).get('ce-1')).toMatchObject({ hostKey: 'SHA256:y', privateKey: { file: '/k' } });
    const dir = tmpDir();
    recordKnownHosts(dir, { b: 'SHA256:b' });
    recordKnownHosts(dir, { a: 'SHA256:a' });
    expect(readKnownHosts(dir)).toEqual({ a: 'SHA256:a', b: 'SHA256:b' });
  });
});
