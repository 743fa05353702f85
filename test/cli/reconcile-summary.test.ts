import { renderSummary } from '../../src/cli/commands/reconcile';
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
