/**
 * The reconciler's plain-data vocabulary. A renderer's output is adapted into `DesiredDevice` by the CLI, so the
 * reconciler depends only on these shapes (and is testable with hand-written fixtures).
 */

/** One managed file as the controller wants it on the device. */
export interface DesiredFile {
  /** Absolute path on the device. */
  path: string;
  content: string;
  /** Octal permission bits, e.g. 0o644. */
  mode: number;
  /** Where the candidate is uploaded before validation (next to `path`, so installing it is a rename); default: the state folder. */
  candidate?: string;
  /**
   * Undoes this file's activation. A rollback runs these instead of the activation commands that name this file when
   * the file was absent or empty before (there is nothing to re-activate), so the device returns to not running it.
   */
  deactivate?: string[][];
}

/**
 * Something that must hold after activation, polled (once a second) until it does or `timeoutS` passes:
 * - `command` (the default): the command exits 0; polled on the device itself;
 * - `bgp-sessions`: FRR's `show bgp neighbors json` shows every listed peer Established;
 * - `bgp-routes`: FRR's `… advertised-routes json` / `… routes json` lists every expected prefix.
 * Peers on devices that failed in the same run are not waited for (their sessions cannot come up).
 */
export type VerifyCheck =
  | { kind?: 'command'; name: string; argv: string[]; timeoutS?: number }
  | { kind: 'bgp-sessions'; name: string; argv: string[]; peers: Array<{ address: string; device?: string }>; timeoutS?: number }
  | {
      kind: 'bgp-routes';
      name: string;
      argv: string[];
      direction: 'advertised' | 'received';
      prefixes: string[];
      peerDevice?: string;
      /** Prefixes learned from other devices and passed on: not required when any device failed in the same run. */
      relayed?: boolean;
      timeoutS?: number;
    };

/** A command whose output is the live state of a managed subsystem (e.g. `nft -s list table inet ggi`). */
export interface LiveProbe {
  name: string;
  argv: string[];
}

/** Everything the reconciler needs to converge one device. */
export interface DesiredDevice {
  id: string;
  files: DesiredFile[];
  /** Run with every managed path replaced by its staged candidate; all must exit 0 before anything is activated. */
  validate: string[][];
  /** Run after the files are in place (and again by the rollback, on the restored files). */
  activate: string[][];
  verify: VerifyCheck[];
  /** Recorded at confirmation; a later difference is drift even when the files are unchanged. */
  live: LiveProbe[];
}

/** What the device has: each managed file's content (null: absent), and the live probes now vs when last applied. */
export interface ActualState {
  files: Record<string, string | null>;
  /** Output of each live probe now, by probe name. */
  live: Record<string, string>;
  /** Output of each live probe as recorded at the last confirmed apply (null when never applied). */
  recordedLive: Record<string, string | null>;
  /** A rollback left armed by an earlier apply (a controller that died): its timer is still pending. */
  pendingRollback: boolean;
}

export interface FileChange {
  path: string;
  diff: string;
}

/** CLI.md's plan entry for one device. */
export interface DevicePlan {
  id: string;
  changed: boolean;
  files: FileChange[];
}

export type Outcome = 'unchanged' | 'applied' | 'rolled-back' | 'unreachable';

export interface DeviceResult extends DevicePlan {
  outcome: Outcome;
  /** Why a device was rolled back or unreachable (never contains secrets). */
  reason?: string;
  /** The step that failed, when one did. */
  step?: string;
  /**
   * Rolled back, but re-activating the previous files reported an error: the previous files are back on disk, yet
   * the running state may differ from them. Such a device needs a look by hand (the reason says what failed).
   */
  restoreFailed?: boolean;
}
