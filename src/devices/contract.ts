/**
 * The driver contract: the one seam between the platform-neutral reconciler (src/reconciler) and the platforms
 * (src/devices/<platform>/). Modelled on NAPALM's NetworkDriver (load_replace_candidate, compare_config,
 * commit_config(revert_in), confirm_commit, rollback; each driver says what it supports) and on Nornir's connection
 * plugins (the transport is opened by the runner and handed to the driver).
 *
 * One transaction per device, the same for every platform:
 *
 *   read ─▶ diff ─▶ (nothing differs: done)
 *        └▶ lock ─▶ read again ─▶ diff ─▶ stage (upload + check on the device) ─▶ arm (rollback point, revert timer)
 *           ─▶ activate ═══ fleet barrier ═══▶ verify ─▶ confirm          (any failure after arm: rollback)
 *
 * The reconciler runs the first line for every device of the fleet (bounded parallelism), then verifies and confirms
 * them all: a BGP session has two ends, so both must be active before either can be verified. Devices that failed
 * in the first phase are passed to `verify` as `excused`, so that their peers do not wait for sessions that cannot
 * come up.
 *
 * Rules for drivers:
 * - `render` and `diff` are pure (no I/O, no clock, no randomness): same input, same bytes. They run in `plan` and in
 *   tests without a device.
 * - The driver owns the whole managed subsystem of a device, not only what ggi wrote: `read` returns the running state
 *   in full (the whole nftables ruleset, the whole FRR configuration, the whole Kea configuration), so that anything
 *   present that the candidate does not declare shows in `diff` as drift and is removed by the next apply.
 * - Platform commands (nft, vtysh, radsecproxy, Kea commands …) appear only under src/devices.
 * - Secret values never appear in a Candidate, an ActualState, a diff, a CheckResult, an error message or the journal
 *   (see `SecretUse`).
 * - Connection trouble is thrown as `TransportError`; a step the device refused is thrown as `StepError`. Everything
 *   else is a bug.
 */
import type { DeviceIntent } from '../intent/types';
import type { SecretRef } from '../model/schema';

// ─── Platforms and capabilities ────────────────────────────────────────────────────────────────────────────────────

/**
 * A platform name as written in the inventory (`platform:` of a device). Adding a platform is one folder under
 * src/devices plus one value in the device schema (src/model/schema) and one line in the registry (src/devices/index.ts).
 */
export type PlatformName = string;

/** How the reconciler reaches the device; it opens the matching `Transport` and hands it to the driver. */
export type TransportKind = 'ssh' | 'http-api';

/** What a driver can do; `plan` prints these per device. */
export interface Capabilities {
  transport: TransportKind;
  /**
   * The device arms its own revert timer at `arm` and restores the rollback point by itself when no `confirm` comes
   * (commit-confirmed that survives the controller dying or the connection dropping). When false, the platform
   * cannot revert by itself: `arm` returns the rollback point as data, the reconciler keeps it (in its state folder,
   * owner-only, until confirmed) and calls `rollback` itself; a controller killed mid-apply restores it on its next
   * run, before anything else is done to that device. `plan` says "rollback: by the controller" for such devices.
   */
  nativeCommitConfirm: boolean;
  /** `stage` checks the candidate on the device itself (`nft -c`, `vtysh --dryrun`, `radsecproxy -p`, Kea `config-test`). */
  validatesOnDevice: boolean;
  /** `openReadOnly` works: the device can be observed (`managed: false`) without being written to. */
  readOnly: boolean;
  /** Short words for the plan, e.g. ['nftables ruleset', 'FRR configuration'] or ['Kea DHCPv4 configuration']. */
  manages: string[];
}

// ─── Candidate (render) ───────────────────────────────────────────────────────────────────────────────────────────

/**
 * A secret that a document needs: named in the candidate, its value read only at apply time (from the environment or
 * an owner-only file, src/secrets `readSecret`) by the reconciler, and handed to `stage` in `SecretValues`.
 * In document content the secret stands as `secretPlaceholder(id)`; the driver puts the value in while staging (with
 * whatever quoting its format needs). The journal records `sha256(value)` under `id`, never the value.
 */
export interface SecretUse {
  /** Stable and unique within the device, e.g. 'radius/nlrs1.govroam.nl'. Appears in plans and the journal. */
  id: string;
  ref: SecretRef;
}

/** Secret values by `SecretUse.id`, resolved by the reconciler at apply time. A missing id: not available (plan). */
export type SecretValues = ReadonlyMap<string, string>;

/** The placeholder that stands for a secret in Candidate and ActualState content (ASCII, never valid config). */
export function secretPlaceholder(id: string): string {
  return `@@ggi-secret:${id}@@`;
}

/**
 * What `read` puts where the device holds a secret whose value differs from the one resolved for this run, so that a
 * diff shows "this secret changes", never what it is.
 */
export function secretChangedPlaceholder(id: string): string {
  return `@@ggi-secret:${id}:differs@@`;
}

/** One unit of configuration the device gets: a file (linux-frr, radius) or an API document (kea). */
export interface CandidateDocument {
  /** Stable logical name, unique within the device: 'frr.conf', 'ggi.nft', 'radsecproxy.conf', 'kea-dhcp4'. */
  name: string;
  /** 'text': platform-native text, ends with a newline. 'json': canonical JSON (2-space indent, keys in a fixed order, newline). */
  format: 'text' | 'json';
  content: string;
  /** Ids of the secrets whose placeholders occur in `content` (each also listed in `Candidate.secrets`). */
  secrets?: string[];
}

/** The platform-native desired state of one device: the output of `render`. Plain, JSON-serialisable data. */
export interface Candidate {
  deviceId: string;
  platform: PlatformName;
  /** In a fixed order (by name). */
  documents: CandidateDocument[];
  secrets: SecretUse[];
  /**
   * Driver-private, JSON-serialisable data that `stage`/`verify` need and that is not configuration text (e.g. the
   * BGP sessions and prefixes to expect, Status-Server targets, the DHCP pool to lease from). Opaque to the reconciler.
   */
  checks: unknown;
}

// ─── Actual state (read) and diff ─────────────────────────────────────────────────────────────────────────────────

/** A document as the device has it. */
export interface ActualDocument {
  name: string;
  /** Where it lives, as shown in plans: an absolute path, or e.g. 'kea:/dhcp4' for an API document. */
  location: string;
  /** null: absent on the device. Secrets replaced by placeholders (see `secretChangedPlaceholder`). */
  content: string | null;
}

/**
 * A view of running state beyond the documents (e.g. `nft -s list ruleset`, FRR's `show running-config`): what it is
 * now, and what it was when ggi last confirmed an apply (null: never). A difference is drift even when every document
 * is unchanged: someone changed the running state by hand (a table added with `nft add table`, an FRR stanza typed
 * into vtysh).
 */
export interface LiveView {
  name: string;
  now: string;
  recorded: string | null;
}

export interface ActualState {
  /** One entry per candidate document name (null content when absent), plus any document the device has that ggi would remove. */
  documents: ActualDocument[];
  live: LiveView[];
  /** An earlier apply was never confirmed and its revert (device timer or controller-kept point) is still pending. */
  pendingRollback: boolean;
}

/** One difference, as `plan`, `drift` and the journal show it (CLI.md: `files: [{ path, diff }]`). */
export interface DocumentDiff {
  /** `ActualDocument.location`, `live:<view name>`, or `state:pending-rollback`. */
  path: string;
  /** A unified diff from what the device has to what apply will make it (src/reconciler/diff.ts `unifiedDiff`), or a one-line note. */
  diff: string;
}

// ─── Verification ─────────────────────────────────────────────────────────────────────────────────────────────────

/** One health check, the shape `ggi verify --format json` prints. */
export interface CheckResult {
  /** E.g. 'bgp session 198.18.0.1 (border-overheid)', 'status-server nlrs1', 'dhcp4 config hash'. */
  name: string;
  ok: boolean;
  expected: string;
  observed: string;
  /** Why it failed or what was seen, for people; never a secret. */
  detail?: string;
}

export interface VerifyContext {
  /** Poll until every check holds or this moment (ms since the epoch) passes; a deadline in the past: one pass. */
  deadline: number;
  /** Devices that failed in this run: checks that need them (their sessions, the prefixes they send) are excused. */
  excused: ReadonlySet<string>;
  /** Milliseconds between polls (default 1000). */
  intervalMs?: number;
}

// ─── Transaction steps ────────────────────────────────────────────────────────────────────────────────────────────

/**
 * Where ggi keeps its own state on a device, and where a lab device's files go. One type for every platform: drivers
 * derive their file locations from it.
 */
export interface DeviceLayout {
  /** ggi's folder on the device (lock, staging, rollback point, recorded live views), e.g. /var/lib/ggi. */
  stateDir: string;
  /** A lock older than this, with no rollback pending, is from a dead controller and may be broken. */
  lockTtlS: number;
  /**
   * Lab devices share one machine: null on a real device; in the lab, the device's namespace name, under which the
   * driver keeps its files apart (FRR pathspace `-N`, /etc/frr/<pathspace>/, …).
   */
  pathspace: string | null;
}

/**
 * What `arm` kept so the device can go back. `native`: the device holds it and has a timer running; `data` is then
 * informational. Otherwise `data` is everything `rollback` needs (JSON-serialisable; it may hold secrets, so the
 * reconciler stores it owner-only and deletes it at confirm).
 */
export interface RollbackPoint {
  native: boolean;
  /** Seconds after `arm` at which a native timer restores by itself. */
  revertInS: number;
  data: unknown;
}

export type ConfirmResult =
  /** Confirmed: the change stays. `recorded`: sha256 of each live view as recorded now (for the journal). */
  | { ok: true; recorded: Record<string, string> }
  /** Too late: the native timer fired first and the device is back at the rollback point. */
  | { ok: false; detail: string };

export interface RollbackResult {
  /** The previous configuration is active again. False: it is back in place but re-activating it reported an error. */
  restored: boolean;
  detail?: string;
}

/** A connection that only observes: used for `managed: false` devices, and for `plan` and `drift` on any device. */
export interface ReadSession {
  readonly deviceId: string;
  /** Reads the whole managed state (documents, live views, pending rollback) in as few round trips as the platform allows. */
  read(): Promise<ActualState>;
  /** The platform's health checks against the candidate, without changing anything (`ggi verify`, observed devices). */
  verify(ctx: VerifyContext): Promise<CheckResult[]>;
  close(): Promise<void>;
}

/** A connection that may write: one device's transaction. Methods are called in the order of the picture above. */
export interface Session extends ReadSession {
  /**
   * Takes the device's exclusive lock for `owner` (operator and pid) and reads again under it. Throws StepError with
   * step 'lock' when another apply holds it. Platforms without a lock implement it as optimistic concurrency (check
   * at `activate` that the configuration is still the one read here).
   */
  lock(owner: string): Promise<ActualState>;
  /** Releases the lock and discards anything staged (no change was made, or staging/validation failed). */
  unlock(): Promise<void>;
  /**
   * Uploads the session's candidate (`SessionContext.candidate`, secrets filled in from `SessionContext.secrets`)
   * without activating it, and checks it on the device when `validatesOnDevice`. Throws StepError('validate', …) with
   * the device's own message when the check fails: nothing is then active, and the reconciler calls `unlock`.
   */
  stage(): Promise<void>;
  /**
   * Keeps the rollback point (the configuration active now) and, with `nativeCommitConfirm`, arms the on-device timer
   * that restores it after `revertInS` seconds unless confirmed. Must succeed before `activate`.
   */
  arm(revertInS: number): Promise<RollbackPoint>;
  /** Makes the staged candidate active, atomically per document. Throws StepError('activate', …); the reconciler rolls back. */
  activate(): Promise<void>;
  /** Cancels the timer (if native), records the live views for drift detection, discards the rollback point, unlocks. */
  confirm(): Promise<ConfirmResult>;
  /**
   * Restores `point` now and re-activates it, then unlocks. Safe after the native timer already fired (then a no-op
   * with `restored: true`). Also called by a later run with a point kept from a controller that died mid-apply.
   */
  rollback(point: RollbackPoint): Promise<RollbackResult>;
}

/** Everything a driver gets when a session is opened. */
export interface SessionContext {
  deviceId: string;
  layout: DeviceLayout;
  /** The candidate this run works towards: `read` uses it to know which documents, views and secrets to look at. */
  candidate: Candidate;
  /** Resolved secrets (may be empty in plan and drift): `read` uses them only to mask values (`secretPlaceholder`). */
  secrets: SecretValues;
}

/** One platform. Stateless: every device-specific thing goes through the session. */
export interface Driver {
  readonly platform: PlatformName;
  readonly capabilities: Capabilities;
  /** Pure: the platform-native candidate for one device. Throws only on an intent it cannot render (a bug upstream). */
  render(intent: DeviceIntent): Candidate;
  /** Pure: what apply would change, document by document (and per live view, and a pending rollback). [] means in sync. */
  diff(candidate: Candidate, actual: ActualState): DocumentDiff[];
  /** A writable session over an open transport of kind `capabilities.transport`. */
  open(transport: Transport, ctx: SessionContext): Session;
  /** A read-only session: never writes to the device, not even ggi's state folder. Present when `capabilities.readOnly`. */
  openReadOnly(transport: Transport, ctx: SessionContext): ReadSession;
}

// ─── Errors ───────────────────────────────────────────────────────────────────────────────────────────────────────

/** A step the device refused (validation failed, activation failed, lock held). The message is the device's own, without secrets. */
export class StepError extends Error {
  constructor(
    readonly step: 'read' | 'lock' | 'stage' | 'validate' | 'arm' | 'activate' | 'verify' | 'confirm' | 'rollback' | 'unlock',
    message: string,
  ) {
    super(message);
    this.name = 'StepError';
  }
}

export type TransportErrorCode = 'HOST_KEY_UNKNOWN' | 'HOST_KEY_MISMATCH' | 'UNREACHABLE' | 'AUTH_FAILED' | 'TIMEOUT' | 'PRIVATE_KEY' | 'CONNECTION_LOST';

/** A failure talking to a device, with a stable code and a message fit for users (no secrets, no stack). */
export class TransportError extends Error {
  constructor(
    readonly code: TransportErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'TransportError';
  }
}

// ─── Transports (opened by the reconciler, used by drivers) ───────────────────────────────────────────────────────

/** The result of one command on a device. */
export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface ExecOptions {
  /** Fed to the command's standard input (scripts go here, not on the command line, so size is no issue). */
  stdin?: string;
  /** Gives up (and closes the connection) after this long: TransportError 'TIMEOUT'. */
  timeoutMs?: number;
}

/** A POSIX shell on the device (SSH with a pinned host key: src/reconciler/transport.ts `connectSsh`). */
export interface ShellTransport {
  readonly kind: 'ssh';
  /** The device's host key fingerprint as seen on this connection (`SHA256:…`). */
  readonly hostKey: string;
  /** Runs `cmd` with sh (as root: the transport adds `sudo -n` for other users). */
  exec(cmd: string, opts?: ExecOptions): Promise<ExecResult>;
  /** A file's content, or null when it does not exist. */
  readFile(path: string): Promise<string | null>;
  /** Writes atomically (temporary file and rename) with `mode`. */
  writeFile(path: string, content: string, mode: number): Promise<void>;
  close(): Promise<void>;
}

export interface HttpRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Path and query, relative to the endpoint, e.g. '/' for Kea's Control Agent. */
  path: string;
  /** Sent as JSON (Content-Type: application/json). */
  body?: unknown;
  timeoutMs?: number;
}

export interface HttpResponse {
  status: number;
  /** The body parsed as JSON, or null when it is not JSON. */
  json: unknown;
  text: string;
}

/**
 * An HTTP API on the device (Kea's Control Agent), opened by the reconciler (src/reconciler/http-transport.ts). Credentials (basic auth or a token) are read from the environment
 * or an owner-only file by the reconciler and added by the transport; drivers never see them.
 */
export interface HttpTransport {
  readonly kind: 'http-api';
  /** For messages, e.g. 'http://192.0.2.10:8000'; never carries credentials. */
  readonly endpoint: string;
  /** Throws TransportError on connection trouble; any HTTP status is returned, not thrown. */
  request(req: HttpRequest): Promise<HttpResponse>;
  close(): Promise<void>;
}

export type Transport = ShellTransport | HttpTransport;
