import { describeDriver, driverInfo } from '../../src/cli/commands/reconcile';
import { driverFor } from '../../src/devices';
import { labTargetFromState } from '../../src/lab/inventory-lab';
import type { LabState } from '../../src/lab/state';
import { dhcpLeaseProvider, govroamEapProvider, type VerifyEnv } from '../../src/lab/verify';
import { labTargets } from '../../src/reconciler/targets';

/**
 * The lab target reaches API appliances (Kea's Control Agent) as well as SSH devices: the reconciler gets their
 * address, port, user and password file, and no SSH key; the verify providers of DHCP and govroam do nothing in a lab
 * without appliances or national proxies.
 */
const state = {
  version: 1,
  name: 'ggi',
  stateDir: '/tmp/ggi-lab-x',
  controllerKey: { privateKeyFile: '/tmp/ggi-lab-x/controller_ed25519', publicKey: 'ssh-ed25519 AAAA' },
  nodes: [
    { id: 'radius-gm0001', kind: 'router', namespace: 'ggi-radius-gm0001-abcdef', meta: { role: 'radius' }, sshd: { address: '198.19.3.1', port: 22, hostKey: 'ssh-ed25519 AAAAC3', hostKeySha256: `SHA256:${'B'.repeat(43)}` } },
    {
      id: 'dhcp-gm0001',
      kind: 'host',
      namespace: 'ggi-dhcp-gm0001-123456',
      meta: { role: 'dhcp' },
      kea: { address: '198.19.4.1', port: 8000, user: 'ggi', passwordFile: '/run/ggi-kea/ggi-dhcp-gm0001-123456/api-password', dir: '/run/ggi-kea/ggi-dhcp-gm0001-123456' },
    },
  ],
} as unknown as LabState;

describe('the lab target of API appliances', () => {
  it('lists each Kea appliance with its API endpoint and password file', () => {
    const t = labTargetFromState(state, { inventory: '/inv', profile: 'lab' });
    expect(t.devices.map((d) => d.id)).toEqual(['radius-gm0001']);
    expect(t.apis).toEqual([
      { id: 'dhcp-gm0001', role: 'dhcp', address: '198.19.4.1', port: 8000, user: 'ggi', passwordFile: '/run/ggi-kea/ggi-dhcp-gm0001-123456/api-password', namespace: 'ggi-dhcp-gm0001-123456', pathspace: 'ggi-dhcp-gm0001-123456' },
    ]);
  });

  it('becomes a device target with a password and no SSH key, kept apart by its namespace', () => {
    const targets = labTargets(labTargetFromState(state, { inventory: '/inv', profile: 'lab' }));
    expect(targets.get('dhcp-gm0001')).toMatchObject({
      host: '198.19.4.1',
      port: 8000,
      user: 'ggi',
      privateKey: null,
      password: { file: '/run/ggi-kea/ggi-dhcp-gm0001-123456/api-password' },
      layout: { pathspace: 'ggi-dhcp-gm0001-123456' },
    });
    expect(targets.get('radius-gm0001')!.password).toBeUndefined();
  });
});

describe('verify providers of appliances and govroam', () => {
  const env = (nodes: unknown[]): VerifyEnv =>
    ({
      runner: { run: async () => ({ code: 0, stdout: '', stderr: '' }) },
      state: { ...state, nodes },
      inventory: {},
      progress: () => undefined,
      connectApi: () => {
        throw new Error('no appliance expected');
      },
    }) as unknown as VerifyEnv;

  it('checks nothing where the lab has no appliance and no national proxy', async () => {
    expect(await dhcpLeaseProvider.checks(env([]))).toEqual([]);
    expect(await govroamEapProvider.checks(env([]))).toEqual([]);
  });

  it('opens the API of every appliance the lab runs', async () => {
    await expect(dhcpLeaseProvider.checks(env(state.nodes))).rejects.toThrow('no appliance expected');
  });
});

describe('plan shows what each registered driver can do', () => {
  const line = (platform: string) => {
    const driver = driverFor(platform)!;
    return describeDriver(driverInfo({ id: 'x', driver, candidate: { deviceId: 'x', platform, documents: [], secrets: [], checks: null }, layout: { stateDir: '/x', lockTtlS: 900, pathspace: null }, managed: true }));
  };

  it('registers radius and kea next to linux-frr, each with its transport and who rolls back', () => {
    expect(line('linux-frr')).toBe("linux-frr over ssh; validated on the device; rollback by the device's own timer");
    expect(line('radius')).toBe("radius over ssh; validated on the device; rollback by the device's own timer");
    expect(line('kea')).toBe('kea over http-api; validated on the device; the device cannot revert by itself: the controller does the rollback');
  });
});
