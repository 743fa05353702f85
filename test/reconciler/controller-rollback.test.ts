import * as path from 'node:path';
import { StepError, TransportError, type ActualState, type Candidate, type Driver, type Session } from '../../src/devices/contract';
import { standardDiff } from '../../src/devices/diff';
import { reconcileAll, reconcileDevice, type ReconcileOptions } from '../../src/reconciler/apply';
import { openJournal, readJournal } from '../../src/reconciler/journal';
import { filePendingStore, memoryPendingStore } from '../../src/reconciler/pending';
import type { DeviceJob } from '../../src/reconciler/types';
import { tmpDir } from './helpers';

/**
 * A platform that cannot revert by itself (like an HTTP-API appliance): the reconciler keeps the rollback point,
 * rolls back when verification fails, and restores a point left by a controller that died mid-apply. The device is an
 * object in memory behind the contract, so the test is about the reconciler alone.
 */
interface Box {
  config: string;
  healthy: (config: string) => boolean;
  calls: string[];
  /** Throws (a lost connection) when the step of this name is reached. */
  dieAt?: string;
}

function apiDriver(box: Box): Driver {
  const read = (): ActualState => ({ documents: [{ name: 'config', location: 'api:/config', content: box.config }], live: [], pendingRollback: false });
  let staged: string | null = null;
  const step = (name: string) => {
    box.calls.push(name);
    if (box.dieAt === name) throw new TransportError('CONNECTION_LOST', `lost during ${name}`);
  };
  return {
    platform: 'test-api',
    capabilities: { transport: 'http-api', nativeCommitConfirm: false, validatesOnDevice: true, readOnly: true, manages: ['config'] },
    render: () => {
      throw new Error('not used');
    },
    diff: standardDiff,
    openReadOnly: (_t, ctx) => ({ deviceId: ctx.deviceId, read: async () => read(), verify: async () => [], close: async () => undefined }),
    open(_t, ctx): Session {
      return {
        deviceId: ctx.deviceId,
        read: async () => read(),
        lock: async () => {
          step('lock');
          return read();
        },
        unlock: async () => void step('unlock'),
        async stage() {
          step('stage');
          staged = ctx.candidate.documents[0].content;
          if (staged.includes('invalid')) throw new StepError('validate', 'config-test: syntax error');
        },
        async arm(revertInS) {
          step('arm');
          return { native: false, revertInS, data: { config: box.config } };
        },
        async activate() {
          step('activate');
          box.config = staged!;
        },
        async verify() {
          step('verify');
          const ok = box.healthy(box.config);
          return [{ name: 'service answers', ok, expected: 'an answer', observed: ok ? 'an answer' : 'silence' }];
        },
        async confirm() {
          step('confirm');
          return { ok: true, recorded: {} };
        },
        async rollback(point) {
          step('rollback');
          box.config = (point.data as { config: string }).config;
          return { restored: true };
        },
        close: async () => undefined,
      };
    },
  };
}

function job(driver: Driver, content: string): DeviceJob {
  const candidate: Candidate = { deviceId: 'k1', platform: driver.platform, documents: [{ name: 'config', format: 'json', content }], secrets: [], checks: null };
  return { id: 'k1', driver, candidate, layout: { stateDir: '/unused', lockTtlS: 900, pathspace: null }, managed: true };
}

describe('controller-driven rollback (a platform without commit-confirm)', () => {
  const base = (over: Partial<ReconcileOptions> = {}): ReconcileOptions => ({
    mode: 'apply',
    operator: 'tester',
    connect: async () => ({ kind: 'http-api', endpoint: 'mem', request: async () => ({ status: 200, json: null, text: '' }), close: async () => undefined }),
    pending: memoryPendingStore(),
    ...over,
  });

  it('applies, and a second run changes nothing', async () => {
    const box: Box = { config: 'v1\n', healthy: () => true, calls: [] };
    expect((await reconcileDevice(job(apiDriver(box), 'v2\n'), base())).outcome).toBe('applied');
    expect(box.config).toBe('v2\n');
    box.calls = [];
    expect((await reconcileDevice(job(apiDriver(box), 'v2\n'), base())).outcome).toBe('unchanged');
    expect(box.calls).toEqual([]);
  });

  it('refuses a candidate the device rejects before anything is active', async () => {
    const box: Box = { config: 'v1\n', healthy: () => true, calls: [] };
    const r = await reconcileDevice(job(apiDriver(box), 'invalid\n'), base());
    expect(r).toMatchObject({ outcome: 'rolled-back', step: 'validate' });
    expect(box.calls).toEqual(['lock', 'stage', 'unlock']);
    expect(box.config).toBe('v1\n');
  });

  it('restores the kept rollback point when verification fails', async () => {
    const box: Box = { config: 'v1\n', healthy: (c) => c === 'v1\n', calls: [] };
    const pending = memoryPendingStore();
    const r = await reconcileDevice(job(apiDriver(box), 'v2\n'), base({ pending }));
    expect(r).toMatchObject({ outcome: 'rolled-back', step: 'verify' });
    expect(r.reason).toContain('service answers');
    expect(box.config).toBe('v1\n');
    expect(box.calls).toEqual(['lock', 'stage', 'arm', 'activate', 'verify', 'rollback']);
    expect(pending.load('k1')).toBeNull();
  });

  it('a controller that dies after activation leaves the point on disk; the next apply restores it first', async () => {
    const dir = tmpDir();
    const box: Box = { config: 'v1\n', healthy: () => true, calls: [], dieAt: 'verify' };
    const pending = filePendingStore(path.join(dir, 'pending'));
    const r = await reconcileDevice(job(apiDriver(box), 'v2\n'), base({ pending, journal: openJournal(path.join(dir, 'j.jsonl')) }));
    expect(r.outcome).toBe('unreachable');
    expect(r.reason).toContain('the controller kept the rollback point');
    expect(box.config).toBe('v2\n');
    expect(pending.load('k1')).toEqual({ native: false, revertInS: 120, data: { config: 'v1\n' } });
    // plan says so, without touching anything
    box.dieAt = undefined;
    box.calls = [];
    const plan = await reconcileDevice(job(apiDriver(box), 'v2\n'), base({ pending, mode: 'plan' }));
    expect(plan.files.map((f) => f.path)).toEqual(['state:pending-rollback']);
    expect(box.calls).toEqual([]);
    // the next apply: back to v1 first, then v2 again through the whole transaction
    const again = await reconcileAll([job(apiDriver(box), 'v2\n')], base({ pending }));
    expect(again[0].outcome).toBe('applied');
    expect(box.calls).toEqual(['rollback', 'lock', 'stage', 'arm', 'activate', 'verify', 'confirm']);
    expect(pending.load('k1')).toBeNull();
    expect(readJournal(path.join(dir, 'j.jsonl')).map((e) => [e.outcome, e.platform])).toEqual([['unreachable', 'test-api']]);
  });
});
