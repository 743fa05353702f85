import { describeDriver, renderPlanText, renderSummary, type DriverInfo } from '../../src/cli/commands/reconcile';
import type { DeviceResult } from '../../src/reconciler/types';

const device = (id: string, outcome: DeviceResult['outcome'], extra: Partial<DeviceResult> = {}): DeviceResult => ({ id, changed: outcome !== 'unchanged', files: [], outcome, ...extra });

describe('the apply summary', () => {
  it('counts each outcome and shows the first line of each reason', () => {
    const text = renderSummary([
      device('ce-a', 'applied'),
      device('ce-b', 'unchanged'),
      device('ce-c', 'rolled-back', { step: 'verify', reason: 'verify failed: BGP down\nmore' }),
      device('ce-d', 'unreachable', { reason: 'connection refused' }),
    ]);
    expect(text).toContain('ce-c    rolled-back  0      verify failed: BGP down\n');
    expect(text).not.toContain('more');
    expect(text.trimEnd().split('\n').pop()).toBe('4 devices: 1 applied, 1 unchanged, 1 rolled back, 1 unreachable');
  });

  it('says so when a rolled-back device could not re-activate its previous files', () => {
    const text = renderSummary([
      device('ce-a', 'rolled-back', { restoreFailed: true, reason: 'activate failed: x; re-activating the previous files reported: y' }),
      device('ce-b', 'rolled-back', { reason: 'verify failed: z' }),
    ]);
    expect(text.trimEnd().split('\n').pop()).toBe(
      '2 devices: 0 applied, 0 unchanged, 2 rolled back (1 of them could not re-activate the previous files: check those by hand), 0 unreachable',
    );
  });
});

describe('the plan names each device\'s driver', () => {
  const frr: DriverInfo = { platform: 'linux-frr', transport: 'ssh', rollback: 'device', validatesOnDevice: true, readOnly: true, manages: ['nftables ruleset'], managed: true };
  const api: DriverInfo = { platform: 'kea', transport: 'http-api', rollback: 'controller', validatesOnDevice: true, readOnly: true, manages: ['Kea configuration'], managed: true };

  it('says who rolls back: the device, or the controller where the platform cannot', () => {
    expect(describeDriver(frr)).toBe("linux-frr over ssh; validated on the device; rollback by the device's own timer");
    expect(describeDriver(api)).toBe('kea over http-api; validated on the device; the device cannot revert by itself: the controller does the rollback');
    expect(describeDriver({ ...frr, managed: false })).toBe('linux-frr over ssh; observed only (managed: false), never written');
  });

  it('shows observed devices apart from the ones apply changes', () => {
    const text = renderPlanText(
      [
        { id: 'a', changed: true, files: [{ path: '/x', diff: '--- a/x\n+++ b/x\n' }], outcome: 'unchanged' },
        { id: 'kps', changed: true, files: [{ path: '/y', diff: '--- a/y\n+++ b/y\n' }], outcome: 'observed' },
        { id: 'k', changed: false, files: [], outcome: 'unchanged' },
      ],
      new Map([
        ['a', frr],
        ['kps', { ...frr, managed: false }],
        ['k', api],
      ]),
    );
    expect(text).toContain("a: 1 change (linux-frr over ssh; validated on the device; rollback by the device's own timer)\n");
    expect(text).toContain('kps: 1 difference (linux-frr over ssh; observed only (managed: false), never written)\n');
    expect(text).toContain('k: unchanged (kea over http-api;');
    expect(text.trimEnd().split('\n').pop()).toBe('3 devices: 1 to change, 1 unchanged, 1 observed (never written), 0 unreachable');
  });
});
