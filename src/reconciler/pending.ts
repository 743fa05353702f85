import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RollbackPoint } from '../devices/contract';
import { writeFileAtomic } from '../util/atomic';
import { makeDirectory } from '../util/directory';

/**
 * Rollback points the controller keeps for devices that cannot revert by themselves (`nativeCommitConfirm: false`).
 * A point is written before activation and removed at confirmation or rollback; one left behind means a controller
 * died mid-apply, and the next apply restores it before doing anything else to that device. Owner-only: a point may
 * hold secrets.
 */
export interface PendingStore {
  save(deviceId: string, point: RollbackPoint): void;
  load(deviceId: string): RollbackPoint | null;
  clear(deviceId: string): void;
}

export function filePendingStore(dir: string): PendingStore {
  const file = (id: string) => path.join(dir, `${encodeURIComponent(id)}.json`);
  return {
    save(id, point) {
      makeDirectory(dir);
      fs.chmodSync(dir, 0o700);
      writeFileAtomic(file(id), JSON.stringify(point) + '\n', 0o600);
    },
    load(id) {
      try {
        return JSON.parse(fs.readFileSync(file(id), 'utf8')) as RollbackPoint;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw e;
      }
    },
    clear(id) {
      fs.rmSync(file(id), { force: true });
    },
  };
}

/** A store in memory (tests, and runs without a state folder). */
export function memoryPendingStore(): PendingStore {
  const m = new Map<string, RollbackPoint>();
  return { save: (id, p) => void m.set(id, p), load: (id) => m.get(id) ?? null, clear: (id) => void m.delete(id) };
}
