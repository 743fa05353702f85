/**
 * What a POSIX-host driver (a Linux box reached over SSH: linux-frr, radius) hands the shared transaction scripts:
 * plain files, argv lists and probes, with no platform knowledge left in the scripts themselves.
 */

/** One managed file on the device. */
export interface HostFile {
  /** The candidate document this file carries (`CandidateDocument.name`). */
  name: string;
  /** Absolute path on the device. */
  path: string;
  /** Content as rendered; secret placeholders are filled in by the session before upload. */
  content: string;
  /** Octal permission bits, e.g. 0o640. */
  mode: number;
  /** Where the candidate is uploaded before validation (next to `path`, so installing it is a rename); default: the state folder. */
  candidate?: string;
  /**
   * Undoes this file's activation. A rollback runs these instead of the activation commands that name this file when
   * the file was absent or empty before (there is nothing to re-activate), so the device returns to not running it.
   */
  deactivate?: string[][];
}

/** A command that must exit 0 after activation; polled on the device (once a second) until it does or `timeoutS` passes. */
export interface CommandCheck {
  name: string;
  argv: string[];
  timeoutS?: number;
}

/**
 * A command whose output is the live state of a managed subsystem (e.g. `nft -s list ruleset`). Recorded at each
 * confirmed apply; a later difference is drift even when the files are unchanged. The one LiveProbe type of ggi.
 */
export interface LiveProbe {
  name: string;
  argv: string[];
}

export interface HostSpec {
  files: HostFile[];
  /** Run with every managed path replaced by its staged candidate; all must exit 0 before anything is activated. */
  validate: string[][];
  /** Run after the files are in place (and again by the rollback, on the restored files). */
  activate: string[][];
  checks: CommandCheck[];
  live: LiveProbe[];
}
