/** The lab's pure parts: spec validation, naming, sshd config and fingerprints, bounded parallelism. No root needed. */
import { bridgeAddress, mapLimit, mgmtHostIfname, namespaceFor, renderSshdConfig, resolveNode, sshFingerprint, validateSpec, type LabSpec } from '../../src/lab';

function base(): LabSpec {
  return {
    name: 'ggi',
    stateDir: '/tmp/x',
    mgmt: { bridgeV4: '198.18.0.0/24' },
    nodes: [
      { id: 'ce-GM0363', kind: 'router', namespace: namespaceFor('ggi', 'ce-GM0363'), mgmtAddress: '198.18.0.10' },
      { id: 'lan', kind: 'host', namespace: namespaceFor('ggi', 'lan'), services: [{ proto: 'tcp', port: 443 }], routes: [{ dst: 'default', via: '192.0.2.1' }] },
    ],
    links: [{ a: { node: 'ce-GM0363', ifname: 'lan0', addresses: ['192.0.2.1/24', '3fff:1::1/64'] }, b: { node: 'lan', ifname: 'eth0', addresses: ['192.0.2.10/24', '3fff:1::10/64'] } }],
  };
}

describe('validateSpec', () => {
  test('a correct spec has no problems', () => {
    expect(validateSpec(base())).toEqual([]);
  });

  test('names each problem', () => {
    const s = base();
    const bad: LabSpec = {
      ...s,
      name: 'lab',
      stateDir: '/tmp/my lab',
      mgmt: { bridgeV4: '10.0.0.0/24' },
      nodes: [
        { ...s.nodes[0], mgmtAddress: undefined },
        { ...s.nodes[1], namespace: 'other', services: [{ proto: 'tcp', port: 0 }], routes: [{ dst: '2001:db8::/32', via: '192.0.2.1' }] },
      ],
      links: [{ a: { node: 'ce-GM0363', ifname: 'an-interface-name-too-long', addresses: ['10.1.1.1/24'] }, b: { node: 'ghost', ifname: 'eth0', addresses: [] } }],
    };
    const problems = validateSpec(bad).join('\n');
    expect(problems).toContain("lab name 'lab' must start with 'ggi'");
    expect(problems).toContain("stateDir '/tmp/my lab' may hold only");
    expect(problems).toContain("mgmt.bridgeV4 '10.0.0.0/24'");
    expect(problems).toContain("node 'ce-GM0363': sshd needs a mgmtAddress");
    expect(problems).toContain("node 'lan': namespace 'other'");
    expect(problems).toContain('service port 0');
    expect(problems).toContain('mixes IPv4 and IPv6');
    expect(problems).toContain("interface name 'an-interface-name-too-long'");
    expect(problems).toContain('10.1.1.1/24 is outside the lab ranges');
    expect(problems).toContain("unknown node 'ghost'");
  });

  test('refuses duplicate addresses, interfaces and management addresses, and the bridge address', () => {
    const s = base();
    const dup: LabSpec = {
      ...s,
      nodes: [s.nodes[0], { ...s.nodes[1], kind: 'router', mgmtAddress: '198.18.0.1' }],
      links: [...s.links, { a: { node: 'ce-GM0363', ifname: 'lan0', addresses: ['192.0.2.10/24'] }, b: { node: 'lan', ifname: 'eth1', addresses: [] } }],
    };
    const problems = validateSpec(dup).join('\n');
    expect(problems).toContain('interface lan0 already exists');
    expect(problems).toContain('address 192.0.2.10/24 is also used');
    expect(problems).toContain("mgmtAddress 198.18.0.1 must be a host address of 198.18.0.0/24 other than the bridge's");
  });
});

describe('names', () => {
  test('namespaces are short, safe, stable and distinct', () => {
    const a = namespaceFor('ggi', 'border-overheid/Amsterdam Zuid');
    expect(a).toMatch(/^ggi-[a-z0-9-]+-[0-9a-f]{6}$/);
    expect(a.length).toBeLessThanOrEqual(32);
    expect(namespaceFor('ggi', 'border-overheid/Amsterdam Zuid')).toBe(a);
    expect(namespaceFor('ggi', 'border-overheid/Amsterdam Noord')).not.toBe(a);
  });

  test('root-side management links fit the 15-character limit for every lab name length', () => {
    for (const name of ['ggi', 'ggilab12']) {
      const l = mgmtHostIfname(name, `${name}-x-123456`);
      expect(l.length).toBe(15);
      expect(l.startsWith(`${name}-`)).toBe(true);
    }
  });

  test('the bridge gets the first host address', () => {
    expect(bridgeAddress('198.18.4.0/22')).toBe('198.18.4.1/22');
  });

  test('routers forward and every node has DAD off', () => {
    const s = base();
    expect(resolveNode(s, s.nodes[0]).sysctls).toMatchObject({ 'net.ipv4.ip_forward': '1', 'net.ipv6.conf.all.forwarding': '1', 'net.ipv6.conf.default.accept_dad': '0' });
    expect(resolveNode(s, s.nodes[1]).sysctls['net.ipv4.ip_forward']).toBeUndefined();
    expect(resolveNode(s, s.nodes[0])).toMatchObject({ frr: true, sshd: true, mgmtCidr: '198.18.0.10/24' });
    expect(resolveNode(s, s.nodes[1])).toMatchObject({ frr: false, sshd: false });
  });
});

describe('sshd', () => {
  test('fingerprint equals ssh-keygen -l -E sha256 of the same key', () => {
    // Vector made with: ssh-keygen -t ed25519 -C vec; ssh-keygen -l -E sha256 -f vec.pub
    expect(sshFingerprint('ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICyRUTVgsqPie+3eaM53NYghwbt7HPRDWcoB+UrzFnuN vec')).toBe('SHA256:v58dJiTb1nCH5zglCKmusaIOVqlT6xI8L2j/gMJfS9w');
    expect(() => sshFingerprint('garbage')).toThrow('not an SSH public key');
  });

  test('the config listens only on the management address, keys only, with the device environment', () => {
    const text = renderSshdConfig({
      listen: '198.18.0.10',
      port: 22,
      paths: { dir: '/s', config: '/s/c', hostKey: '/s/hk', authorizedKeys: '/s/ak', pidFile: '/s/pid', logFile: '/s/log' },
      env: { HOME: '/s/home', FRR_PATHSPACE: 'ggi-x' },
    });
    expect(text).toContain('ListenAddress 198.18.0.10:22\n');
    expect(text).toContain('PasswordAuthentication no\n');
    expect(text).toContain('AuthorizedKeysFile /s/ak\n');
    expect(text).toContain('SetEnv HOME=/s/home FRR_PATHSPACE=ggi-x\n');
  });
});

describe('mapLimit', () => {
  test('keeps at most `limit` tasks in flight and returns results in order', async () => {
    let inFlight = 0;
    let peak = 0;
    const out = await mapLimit([5, 1, 4, 2, 3, 0, 6], 3, async (x) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, x));
      inFlight--;
      return x * 10;
    });
    expect(out).toEqual([50, 10, 40, 20, 30, 0, 60]);
    expect(peak).toBe(3);
  });

  test('rejects with the first error', async () => {
    await expect(mapLimit([1, 2, 3], 2, async (x) => (x === 2 ? Promise.reject(new Error('two')) : x))).rejects.toThrow('two');
  });
});
