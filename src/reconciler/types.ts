import type { Candidate, DeviceLayout, DocumentDiff, Driver } from '../devices/contract';

/**
 * The reconciler's plain-data vocabulary. It knows devices only through the driver contract (src/devices/contract.ts):
 * a job is a driver, the candidate it rendered, and where the device keeps ggi's state.
 */

/** One device to converge (or, when not managed, to observe). */
export interface DeviceJob {
  id: string;
  driver: Driver;
  candidate: Candidate;
  layout: DeviceLayout;
  /** false: observed only (`managed: false`): read and compared, never written. */
  managed: boolean;
}

/** One difference (CLI.md's `files` entry of a plan). */
export type FileChange = DocumentDiff;

/** CLI.md's plan entry for one device. */
export interface DevicePlan {
  id: string;
  changed: boolean;
  files: FileChange[];
}

/** `observed`: a `managed: false` device, compared read-only and never written. */
export type Outcome = 'unchanged' | 'applied' | 'rolled-back' | 'unreachable' | 'observed';

export interface DeviceResult extends DevicePlan {
  outcome: Outcome;
  /** Why a device was rolled back, unreachable or observed (never contains secrets). */
  reason?: string;
  /** The step that failed, when one did. */
  step?: string;
  /**
   * Rolled back, but re-activating the previous configuration reported an error: the previous configuration is back
   * in place, yet the running state may differ from it. Such a device needs a look by hand (the reason says what failed).
   */
  restoreFailed?: boolean;
}
