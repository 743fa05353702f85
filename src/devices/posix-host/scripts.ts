import { createHash } from 'node:crypto';
import { shq, wrap64 } from '../../util/shell';

export { wrap64 };
import type { DeviceLayout } from '../contract';
import type { HostFile, HostSpec } from './types';

/**
 * Every command a POSIX-host driver (linux-frr, radius) runs on a device for a transaction, built here as plain POSIX
 * sh scripts by pure functions (so each step is explicit, readable and tested without a device). They run as `sh -s`
 * with the script on standard input. They know nothing of any platform: the driver hands in the files, the commands
 * that validate and activate them, and the probes of live state (`HostSpec`).
 *
 * Device-side state lives in one folder (`stateDir`, default /var/lib/ggi):
 *   lock/            held by one apply at a time (mkdir is atomic); owner and since inside
 *   staging/N        the candidate of managed file N
 *   rollback/        the rollback point: N (copy) or N.absent, restore.sh, timer.sh, token, timer.pid; claim/ decides
 *                    who (the confirmation or the timer) gets to act, so exactly one does
 *   live/<probe>     each live probe's output at the last confirmed apply (drift detection)
 */
export type StateLayout = Pick<DeviceLayout, 'stateDir' | 'lockTtlS'>;

export const DEFAULT_LAYOUT: StateLayout = { stateDir: '/var/lib/ggi', lockTtlS: 900 };

/** Raw per-file and per-probe data read from the device, before the driver maps it onto documents. */
export interface HostRead {
  /** Each managed file's content by path (null: absent). */
  files: Record<string, string | null>;
  /** Each live probe's output now, by probe name. */
  live: Record<string, string>;
  /** Each live probe's output as recorded at the last confirmed apply (null: never). */
  recordedLive: Record<string, string | null>;
  pendingRollback: boolean;
}


/** Exit statuses of the scripts, distinct from the commands' own. */
export const STATUS = { LOCKED: 75, VALIDATE_FAILED: 76, ACTIVATE_FAILED: 77, VERIFY_FAILED: 78, ALREADY_ROLLED_BACK: 79 } as const;

function sorted(files: readonly HostFile[]): HostFile[] {
  return [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** Where file N's candidate is staged: the renderer's candidate path, or the state folder. */
function stagedPath(f: HostFile, i: number): string {
  return f.candidate ? shq(f.candidate) : `"$S/staging/${i}"`;
}

/** A stable file name for a live probe's recorded output. */
export function probeKey(name: string): string {
  return createHash('sha256').update(name).digest('hex').slice(0, 16);
}

function argv(cmd: readonly string[]): string {
  return cmd.map(shq).join(' ');
}

/** Reads every managed file, every live probe now and as recorded, and whether a rollback is pending: one round trip. */
export function readScript(dev: HostSpec, layout: StateLayout = DEFAULT_LAYOUT): string {
  const S = shq(layout.stateDir);
  const lines = [
    'set -u',
    `S=${S}`,
    `f() { if [ -f "$1" ]; then printf '%s %s ' "$2" "$3"; base64 -w0 < "$1"; echo; else echo "$2 $3 -"; fi; }`,
  ];
  for (const [i, f] of sorted(dev.files).entries()) lines.push(`f ${shq(f.path)} F ${i}`);
  dev.live.forEach((p, i) => {
    lines.push(`printf 'L ${i} '; { ${argv(p.argv)}; } 2>&1 | base64 -w0; echo`);
    lines.push(`f "$S/live/${probeKey(p.name)}" R ${i}`);
  });
  lines.push(`if [ -d "$S/rollback" ]; then echo 'P 0 1'; fi`);
  return lines.join('\n') + '\n';
}

/** Takes the device lock (breaking a stale one), then reads as `readScript` does. Exits LOCKED with the owner if held. */
export function lockAndReadScript(dev: HostSpec, owner: string, layout: StateLayout = DEFAULT_LAYOUT): string {
  const S = shq(layout.stateDir);
  return [
    `S=${S}`,
    'mkdir -p "$S"',
    'if ! mkdir "$S/lock" 2>/dev/null; then',
    '  since=$(cat "$S/lock/since" 2>/dev/null || echo 0); now=$(date +%s)',
    `  if [ ! -d "$S/rollback" ] && [ $((now - since)) -gt ${layout.lockTtlS} ]; then rm -rf "$S/lock"; fi`,
    '  if ! mkdir "$S/lock" 2>/dev/null; then',
    `    echo "locked by $(cat "$S/lock/owner" 2>/dev/null || echo unknown) since $(cat "$S/lock/since" 2>/dev/null || echo ?)$([ -d "$S/rollback" ] && echo ', a rollback is pending')" >&2`,
    `    exit ${STATUS.LOCKED}`,
    '  fi',
    'fi',
    `printf '%s\\n' ${shq(owner)} > "$S/lock/owner"`,
    'date +%s > "$S/lock/since"',
    readScript(dev, layout),
  ].join('\n');
}

/** Releases the lock and removes candidates (after a no-change or a failed validation, when nothing was activated). */
export function unlockScript(dev: HostSpec, layout: StateLayout = DEFAULT_LAYOUT): string {
  const cands = sorted(dev.files).filter((f) => f.candidate).map((f) => shq(f.candidate!));
  return `S=${shq(layout.stateDir)}\nrm -rf "$S/staging" "$S/lock"${cands.length ? ' ' + cands.join(' ') : ''}\n`;
}

/** Parses the output of `readScript` into the actual state. */
export function parseRead(dev: HostSpec, stdout: string): HostRead {
  const files = sorted(dev.files);
  const actual: HostRead = { files: {}, live: {}, recordedLive: {}, pendingRollback: false };
  for (const f of files) actual.files[f.path] = null;
  for (const p of dev.live) actual.recordedLive[p.name] = null;
  const decode = (b: string | undefined) => (b === undefined || b === '-' ? null : Buffer.from(b, 'base64').toString('utf8'));
  for (const line of stdout.split('\n')) {
    const [kind, idx, data] = line.split(' ');
    const i = Number(idx);
    if (kind === 'F' && files[i]) actual.files[files[i].path] = decode(data);
    else if (kind === 'L' && dev.live[i]) actual.live[dev.live[i].name] = decode(data ?? '') ?? '';
    else if (kind === 'R' && dev.live[i]) actual.recordedLive[dev.live[i].name] = decode(data);
    else if (kind === 'P') actual.pendingRollback = true;
  }
  return actual;
}

/** Uploads every candidate into staging. */
export function stageScript(dev: HostSpec, layout: StateLayout = DEFAULT_LAYOUT): string {
  const lines = ['set -e', `S=${shq(layout.stateDir)}`, 'rm -rf "$S/staging"', 'mkdir -p "$S/staging"'];
  sorted(dev.files).forEach((f, i) => {
    if (f.candidate) lines.push(`mkdir -p "$(dirname ${shq(f.candidate)})"`);
    lines.push(`base64 -d > ${stagedPath(f, i)} <<'GGI_EOF'`, wrap64(f.content), 'GGI_EOF', `chmod ${f.mode.toString(8)} ${stagedPath(f, i)}`);
  });
  return lines.join('\n') + '\n';
}

/** Replaces every managed path in a command by its staged candidate, so validation checks the candidate, not the live file. */
export function stagedArgv(dev: HostSpec, cmd: readonly string[], layout: StateLayout = DEFAULT_LAYOUT): string[] {
  const idx = new Map(sorted(dev.files).map((f, i) => [f.path, i] as const).filter(([p]) => !dev.files.find((f) => f.path === p)?.candidate));
  return cmd.map((a) => (idx.has(a) ? `${layout.stateDir}/staging/${idx.get(a)}` : a));
}

/** Runs the renderer's validation commands on the staged candidates; on failure names the command and exits VALIDATE_FAILED. */
export function validateScript(dev: HostSpec, layout: StateLayout = DEFAULT_LAYOUT): string {
  const lines = [`S=${shq(layout.stateDir)}`];
  for (const cmd of dev.validate) {
    const c = argv(stagedArgv(dev, cmd, layout));
    lines.push(`if ! ${c} >&2; then echo ${shq(`validation failed: ${argv(cmd)}`)} >&2; exit ${STATUS.VALIDATE_FAILED}; fi`);
  }
  return lines.join('\n') + '\n';
}

/** Installs every staged file atomically (temp + rename in the target folder). */
function installLines(dev: HostSpec): string[] {
  const lines: string[] = [];
  sorted(dev.files).forEach((f, i) => {
    const p = shq(f.path);
    const tmp = shq(`${f.path}.ggi-new`);
    if (f.candidate) lines.push(`mkdir -p "$(dirname ${p})"`, `mv -f ${shq(f.candidate)} ${p}`);
    else lines.push(`mkdir -p "$(dirname ${p})"`, `cp "$S/staging/${i}" ${tmp}`, `chmod ${f.mode.toString(8)} ${tmp}`, `mv -f ${tmp} ${p}`);
  });
  return lines;
}

function activateLines(dev: HostSpec, onFail: string): string[] {
  return dev.activate.map((cmd) => `if ! ${argv(cmd)} >&2; then echo ${shq(`activation failed: ${argv(cmd)}`)} >&2; ${onFail}; fi`);
}

/**
 * The restore script kept in the rollback point: puts the previous files back (or removes files that did not exist),
 * re-activates them, and releases the lock. Run by the timer or by the controller, only after claiming the rollback.
 */
export function restoreScript(dev: HostSpec, layout: StateLayout = DEFAULT_LAYOUT): string {
  const lines = [`S=${shq(layout.stateDir)}`, 'R="$S/rollback"'];
  sorted(dev.files).forEach((f, i) => {
    const p = shq(f.path);
    const tmp = shq(`${f.path}.ggi-restore`);
    lines.push(`if [ -e "$R/${i}.absent" ]; then rm -f ${p}; else cp -p "$R/${i}" ${tmp} && mv -f ${tmp} ${p}; fi`);
  });
  lines.push('status=0');
  // Each activation command that names a managed file re-activates it only when there was a previous (non-empty)
  // file; otherwise the file's deactivate commands run, so that a failed first apply leaves nothing running.
  const files = sorted(dev.files);
  for (const cmd of dev.activate) {
    const refs = files.map((f, i) => [f, i] as const).filter(([f]) => cmd.includes(f.path));
    const run = `if ! ${argv(cmd)} >&2; then echo ${shq(`activation failed: ${argv(cmd)}`)} >&2; status=1; fi`;
    if (refs.length === 0) {
      lines.push(run);
      continue;
    }
    const undo = refs.flatMap(([f]) => f.deactivate ?? []).map((c) => `if ! ${argv(c)} >&2; then echo ${shq(`deactivation failed: ${argv(c)}`)} >&2; status=1; fi`);
    lines.push(`if ${refs.map(([, i]) => `[ -s "$R/${i}" ]`).join(' && ')}; then`, `  ${run}`, 'else', ...(undo.length ? undo.map((u) => `  ${u}`) : ['  :']), 'fi');
  }
  lines.push(`echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) restored by \${1:-unknown} (activation status $status)" >> "$S/rollbacks.log"`);
  const cands = sorted(dev.files).filter((f) => f.candidate).map((f) => shq(f.candidate!));
  lines.push(`rm -rf "$R" "$S/staging" "$S/lock"${cands.length ? ' ' + cands.join(' ') : ''}`, 'exit $status');
  return lines.join('\n') + '\n';
}

/**
 * Keeps a rollback point (copies of the current files, the restore script) and arms the on-device timer: a detached
 * session (setsid, no inherited descriptors) that sleeps `confirmTimeoutS` and then restores, so it survives the SSH
 * session dropping and the controller dying. `token` ties the timer to this apply only.
 */
export function armScript(dev: HostSpec, token: string, confirmTimeoutS: number, layout: StateLayout = DEFAULT_LAYOUT): string {
  const lines = ['set -e', `S=${shq(layout.stateDir)}`, 'N="$S/rollback.new"', 'rm -rf "$N" "$S/rollback"', 'mkdir -p "$N"'];
  sorted(dev.files).forEach((f, i) => {
    const p = shq(f.path);
    lines.push(`if [ -e ${p} ]; then cp -p ${p} "$N/${i}"; else : > "$N/${i}.absent"; fi`);
  });
  lines.push(`cat > "$N/restore.sh" <<'GGI_EOF'`, restoreScript(dev, layout).trimEnd(), 'GGI_EOF');
  const timer = [
    `S=${shq(layout.stateDir)}`,
    'echo $$ > "$S/rollback/timer.pid"',
    `sleep ${confirmTimeoutS}`,
    `[ "$(cat "$S/rollback/token" 2>/dev/null)" = ${shq(token)} ] || exit 0`,
    'mkdir "$S/rollback/claim" 2>/dev/null || exit 0',
    'exec sh "$S/rollback/restore.sh" timer',
  ].join('\n');
  lines.push(`cat > "$N/timer.sh" <<'GGI_EOF'`, timer, 'GGI_EOF');
  lines.push(`printf '%s\\n' ${shq(token)} > "$N/token"`);
  lines.push('mv "$N" "$S/rollback"');
  // The timer writes its own pid (setsid may fork); wait until it has, so that a confirmation can always cancel it.
  lines.push('setsid sh "$S/rollback/timer.sh" </dev/null >/dev/null 2>&1 &');
  lines.push('i=0; while [ ! -s "$S/rollback/timer.pid" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done');
  lines.push('[ -s "$S/rollback/timer.pid" ]');
  return lines.join('\n') + '\n';
}

/** Puts the candidates in place and runs the activation commands; a failure exits ACTIVATE_FAILED (the caller restores). */
export function activateScript(dev: HostSpec, layout: StateLayout = DEFAULT_LAYOUT): string {
  return ['set -e', `S=${shq(layout.stateDir)}`, ...installLines(dev), 'set +e', ...activateLines(dev, `exit ${STATUS.ACTIVATE_FAILED}`), ''].join('\n');
}

/**
 * Verifies after activation on the device itself: every installed file has the candidate's sha256, then each command
 * check is polled (once a second) until it succeeds or its timeout passes. A driver's structured checks (e.g. FRR's
 * JSON) are polled by the driver from the controller.
 */
export function verifyScript(dev: HostSpec, defaultTimeoutS = 60): string {
  const lines: string[] = [];
  for (const f of sorted(dev.files)) {
    const want = createHash('sha256').update(f.content, 'utf8').digest('hex');
    lines.push(`if [ "$(sha256sum < ${shq(f.path)} | cut -d' ' -f1)" != ${want} ]; then echo ${shq(`checksum of ${f.path} differs from the candidate`)} >&2; exit ${STATUS.VERIFY_FAILED}; fi`);
  }
  for (const c of dev.checks) {
    const t = c.timeoutS ?? defaultTimeoutS;
    lines.push(
      `end=$(( $(date +%s) + ${t} ))`,
      `until ${argv(c.argv)} >/dev/null 2>&1; do`,
      `  if [ $(date +%s) -ge $end ]; then echo ${shq(`verification failed: ${c.name} (not true within ${t} s)`)} >&2; ${argv(c.argv)} >&2; exit ${STATUS.VERIFY_FAILED}; fi`,
      '  sleep 1',
      'done',
    );
  }
  return lines.join('\n') + '\n';
}

/**
 * Confirms: claims the rollback (if the timer already claimed it, the device has rolled back: ALREADY_ROLLED_BACK),
 * cancels the timer, records the live probes for drift detection, removes the rollback point and releases the lock.
 */
export function confirmScript(dev: HostSpec, layout: StateLayout = DEFAULT_LAYOUT): string {
  const lines = [`S=${shq(layout.stateDir)}`, `mkdir "$S/rollback/claim" 2>/dev/null || { echo 'the rollback timer fired before confirmation' >&2; exit ${STATUS.ALREADY_ROLLED_BACK}; }`];
  lines.push('pid=$(cat "$S/rollback/timer.pid" 2>/dev/null)', '[ -n "$pid" ] && kill -TERM -- "-$pid" 2>/dev/null; [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null', 'mkdir -p "$S/live"');
  for (const p of dev.live) {
    const k = probeKey(p.name);
    lines.push(`{ ${argv(p.argv)}; } > "$S/live/${k}.new" 2>&1; mv -f "$S/live/${k}.new" "$S/live/${k}"`);
    // The checksum of what is now live (e.g. the kernel's ruleset), for the journal.
    lines.push(`printf '%s %s\\n' ${shq(p.name)} "$(sha256sum < "$S/live/${k}" | cut -d' ' -f1)"`);
  }
  lines.push('rm -rf "$S/rollback" "$S/staging" "$S/lock"');
  return lines.join('\n') + '\n';
}

/** Rolls back now (verification or activation failed): claims the rollback, cancels the timer, restores. */
export function rollbackNowScript(layout: StateLayout = DEFAULT_LAYOUT): string {
  return [
    `S=${shq(layout.stateDir)}`,
    `mkdir "$S/rollback/claim" 2>/dev/null || { echo 'the rollback timer already restored the device' >&2; exit 0; }`,
    'pid=$(cat "$S/rollback/timer.pid" 2>/dev/null)',
    '[ -n "$pid" ] && kill -TERM -- "-$pid" 2>/dev/null; [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null',
    'exec sh "$S/rollback/restore.sh" controller',
    '',
  ].join('\n');
}

