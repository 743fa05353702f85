import { desiredFromRendered } from '../../src/reconciler/desired';
import { evaluateCheck, missingRoutes, missingSessions } from '../../src/reconciler/verify';
import { inventoryTargets, labTargets, readKnownHosts, recordKnownHosts } from '../../src/reconciler/targets';
import { pathspaceLayout, type RenderedDevice } from '../../src/devices';
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

  it('does not wait for peers on devices that failed in the same run', () => {
    const check = { kind: 'bgp-sessions' as const, name: 's', argv: [], peers: [{ address: '2001:db8::1', device: 'border' }, { address: '198.18.0.1', device: 'kps' }] };
    expect(evaluateCheck(check, neighbors)).toEqual(['2001:db8::1 (Active)']);
    expect(evaluateCheck(check, neighbors, new Set(['border']))).toEqual([]);
    const routes = { kind: 'bgp-routes' as const, name: 'r', argv: [], direction: 'received' as const, prefixes: ['192.0.2.0/24'], peerDevice: 'kps' };
    expect(evaluateCheck(routes, '{}')).toEqual(['192.0.2.0/24']);
    expect(evaluateCheck(routes, '{}', new Set(['kps']))).toEqual([]);
    expect(evaluateCheck({ ...routes, peerDevice: 'border', relayed: true }, '{}', new Set(['ce-9']))).toEqual([]);
    expect(evaluateCheck({ ...routes, peerDevice: 'border' }, '{}', new Set(['ce-9']))).toEqual(['192.0.2.0/24']);
  });
});

describe('desiredFromRendered', () => {
  const layout = pathspaceLayout('ggi-ce-1');
  const rendered: RenderedDevice = {
    files: [
      { name: 'ggi.nft', path: '/etc/frr/ggi-ce-1/ggi.nft', candidate: '/etc/frr/ggi-ce-1/ggi.nft.ggi-candidate', content: 'table inet ggi {}\n', mode: 0o640 },
      { name: 'frr.conf', path: '/etc/frr/ggi-ce-1/frr.conf', candidate: '/etc/frr/ggi-ce-1/frr.conf.ggi-candidate', content: 'router bgp 1\n', mode: 0o640 },
    ],
    live: [
      { name: 'nftables', argv: ['nft', '-s', 'list', 'table', 'inet', 'ggi'] },
      { name: 'frr', argv: ['vtysh', '-N', 'ggi-ce-1', '-c', 'show running-config'] },
    ],
    validate: [['nft', '-c', '-f', '/etc/frr/ggi-ce-1/ggi.nft.ggi-candidate']],
    activate: [['nft', '-f', '/etc/frr/ggi-ce-1/ggi.nft']],
    verify: {
      sessions: [{ peer: '198.18.0.0', family: 4, peerDevice: 'border-overheid', remoteAsn: 64500 }],
      sessionsCommand: ['vtysh', '-N', 'ggi-ce-1', '-c', 'show bgp neighbors json'],
      advertised: [{ peer: '198.18.0.0', family: 4, peerDevice: 'border-overheid', prefixes: ['192.0.2.0/24'], command: ['vtysh', '-c', 'adv'] }],
      relayed: [{ peer: '198.18.0.0', family: 4, peerDevice: 'border-overheid', prefixes: ['198.51.100.0/24'], command: ['vtysh', '-c', 'adv'] }],
      received: [{ peer: '198.18.0.0', family: 4, peerDevice: 'border-overheid', prefixes: [], command: ['vtysh', '-c', 'rcv'] }],
      frrDriftCommand: null,
      nftListCommand: ['nft', 'list', 'table', 'inet', 'ggi'],
      nftTable: { family: 'inet', name: 'ggi' },
    },
  };

  it('stages candidates where the renderer validates them and verifies sessions, routes and the ruleset', () => {
    const d = desiredFromRendered('ce-1', rendered, layout, 30);
    expect(d.files.map((f) => f.candidate)).toEqual(['/etc/frr/ggi-ce-1/ggi.nft.ggi-candidate', '/etc/frr/ggi-ce-1/frr.conf.ggi-candidate']);
    expect(d.verify.map((v) => v.kind)).toEqual(['command', 'bgp-sessions', 'bgp-routes', 'bgp-routes']);
    expect(d.verify.map((v) => v.kind === 'bgp-routes' && v.relayed === true)).toEqual([false, false, false, true]);
    expect(d.verify.every((v) => v.timeoutS === 30)).toBe(true);
    expect(d.live).toEqual([
      { name: 'nftables', argv: ['nft', '-s', 'list', 'table', 'inet', 'ggi'] },
      { name: 'frr', argv: ['vtysh', '-N', 'ggi-ce-1', '-c', 'show running-config'] },
    ]);
    expect(d.files[0].deactivate).toEqual([['sh', '-c', '! nft list table inet ggi >/dev/null 2>&1 || nft delete table inet ggi']]);
    // The renderer's probes are the ones recorded and compared.
    expect(desiredFromRendered('ce-1', { ...rendered, live: [{ name: 'x', argv: ['true'] }] }, layout).live).toEqual([{ name: 'x', argv: ['true'] }]);
  });
});

describe('targets', () => {
  it('maps the lab target, pinning its host keys and keeping state per device', () => {
    const t = labTargets({ devices: [{ id: 'ce-1', address: '198.18.220.11', port: 22, user: 'root', hostKey: 'SHA256:x', privateKey: '/s/key', pathspace: 'ggi-ce-1' }] });
    expect(t.get('ce-1')).toMatchObject({ host: '198.18.220.11', hostKey: 'SHA256:x', privateKey: { file: '/s/key' }, stateDir: '/var/run/frr/ggi-ce-1/ggi', render: { pathspace: 'ggi-ce-1' } });
  });

  it('uses the inventory, the key from the environment, and keys accepted while onboarding', () => {
    const intent = { id: 'ce-1', management: { address: '192.0.2.1', port: 22, user: 'ggi' } } as unknown as DeviceIntent;
    expect(inventoryTargets([intent], {}, {}).get('ce-1')).toMatchObject({ hostKey: undefined, privateKey: null, stateDir: '/var/lib/ggi' });
    expect(inventoryTargets([intent], { GGI_SSH_KEY_FILE: '/k' }, { 'ce-1': 'SHA256:y' }).get('ce-1')).toMatchObject({ hostKey: 'SHA256:y', privateKey: { file: '/k' } });
    const dir = tmpDir();
    recordKnownHosts(dir, { b: 'SHA256:b' });
    recordKnownHosts(dir, { a: 'SHA256:a' });
    expect(readKnownHosts(dir)).toEqual({ a: 'SHA256:a', b: 'SHA256:b' });
  });
});
