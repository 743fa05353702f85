import { randomBytes } from 'node:crypto';
import { unifiedDiff } from '../../util/diff';
import { activateScript, armScript, confirmScript, lockAndReadScript, parseRead, readScript, rollbackNowScript, stageScript, STATUS, unlockScript, validateScript } from '../posix-host/scripts';
import { shq } from '../../util/shell';
import type { HostFile, HostSpec } from '../posix-host/types';
import { secretChangedPlaceholder, secretPlaceholder, StepError, type ActualState, type Candidate, type CheckResult, type ConfirmResult, type DeviceLayout, type DocumentDiff, type ReadSession, type RollbackPoint, type RollbackResult, type SecretValues, type Session, type SessionContext, type ShellTransport, type VerifyContext } from '../contract';
import { deriveSecrets, encodeSecret, FREERADIUS_DIR, HEALTH_SECRET, RADSECPROXY_CONF, RADSECPROXY_LOG, ROOT_PLACEHOLDER, TLS_DIR, type RadiusChecks, type RadiusDocument } from './render';

/**
 * The radius platform on a POSIX host over SSH: the documents are files, checked on the device with the daemons' own
 * tools (`radsecproxy -p`, `freeradius -XC`) before anything is active, activated by restarting the daemon, verified
 * with Status-Server (RFC 5997) sent from the device itself (radclient), and kept under the same commit-confirmed
 * scripts as the other POSIX platforms: a rollback point and a detached on-device timer that restores it unless
 * confirmed (src/devices/posix-host/scripts.ts).
 *
 * On a real host the daemons are systemd units and the files sit at their Debian places. A lab device (layout
 * pathspace set) shares this machine's file system, so its files live under a folder of its own
 * (`labRadiusRoot`), its daemons run from there, and Debian's FreeRADIUS tree is copied there when the lab is built.
 */

/** The device root: '' on a real host; in the lab a folder per device that `ggi lab down` removes with the namespace. */
export function radiusRoot(layout: Pick<DeviceLayout, 'pathspace'>): string {
  return layout.pathspace ? labRadiusRoot(layout.pathspace) : '';
}

export function labRadiusRoot(pathspace: string): string {
  if (!/^[A-Za-z0-9_-]{1,32}$/.test(pathspace)) throw new Error(`'${pathspace}' is not a valid lab device name`);
  return `/var/run/frr/${pathspace}/radius`;
}

function pathOf(root: string, rel: string): string {
  return `${root}/${rel}`;
}

const STOP = 'p=$1; if [ -s "$p" ]; then k=$(cat "$p"); kill "$k" 2>/dev/null; i=0; while kill -0 "$k" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done; fi; rm -f "$p"';

/** The commands that check, start and stop the daemon, for a real host (systemd) or a lab device (its own pid file). */
function daemonCommands(checks: RadiusChecks, root: string): { validate: string[][]; activate: string[][]; deactivate: string[][] } {
  const file = (rel: string) => pathOf(root, rel);
  const lab = root !== '';
  if (checks.daemon === 'radsecproxy') {
    const conf = file(RADSECPROXY_CONF);
    const tls = file(TLS_DIR);
    // radsecproxy -p loads the TLS files too: check a copy whose TLS paths point at the staged files.
    const validate = [
      [
        'sh',
        '-c',
        'T=$(mktemp -d) || exit 1; trap \'rm -rf "$T"\' EXIT; cp "$2" "$T/ca.pem" && cp "$3" "$T/cert.pem" && cp "$4" "$T/key.pem" || exit 1; ' +
          'sed "s#$5/#$T/#g" "$1" > "$T/radsecproxy.conf"; mkdir -p "$(dirname "$6")"; radsecproxy -p -c "$T/radsecproxy.conf"',
        'ggi-check',
        conf,
        `${tls}/ca.pem`,
        `${tls}/cert.pem`,
        `${tls}/key.pem`,
        tls,
        file(RADSECPROXY_LOG),
      ],
    ];
    const pid = `${root}/run/radsecproxy.pid`;
    return lab
      ? {
          validate,
          activate: [['sh', '-c', `${STOP}; mkdir -p "$(dirname "$p")" "$(dirname "$3")"; radsecproxy -c "$2" -i "$p"`, 'ggi-activate', pid, conf, file(RADSECPROXY_LOG)]],
          deactivate: [['sh', '-c', STOP, 'ggi-stop', pid]],
        }
      : { validate, activate: [['sh', '-c', 'systemctl restart radsecproxy', 'ggi-activate', conf]], deactivate: [['systemctl', 'stop', 'radsecproxy']] };
  }
  const dir = file(FREERADIUS_DIR);
  const docs = checks.documents.filter((d) => d.rel.startsWith(`${FREERADIUS_DIR}/`));
  // freeradius -XC checks a whole tree: a copy of the device's with the staged files in place.
  const validate = [
    [
      'sh',
      '-c',
      'T=$(mktemp -d) || exit 1; trap \'rm -rf "$T"\' EXIT; cp -a "$1/." "$T/" || exit 1; shift; ' +
        'while [ $# -gt 1 ]; do mkdir -p "$(dirname "$T/$2")"; rm -f "$T/$2"; cp "$1" "$T/$2" || exit 1; shift 2; done; ' +
        'out=$(freeradius -XC -d "$T" 2>&1) || { printf \'%s\\n\' "$out" | grep -v -i secret | tail -15 >&2; exit 1; }',
      'ggi-check',
      dir,
      ...docs.flatMap((d) => [file(d.rel), d.rel.slice(FREERADIUS_DIR.length + 1)]),
    ],
  ];
  const clients = file(`${FREERADIUS_DIR}/clients.conf`);
  const pid = `${root}/run/freeradius/freeradius.pid`;
  return lab
    ? {
        validate,
        activate: [['sh', '-c', `${STOP}; mkdir -p "$(dirname "$p")" "$3/var/log/freeradius"; freeradius -d "$(dirname "$2")"`, 'ggi-activate', pid, clients, root]],
        deactivate: [['sh', '-c', STOP, 'ggi-stop', pid]],
      }
    : { validate, activate: [['sh', '-c', 'systemctl restart freeradius', 'ggi-activate', clients]], deactivate: [['systemctl', 'stop', 'freeradius']] };
}

/** Every secret value the documents need: the resolved ones plus those derived from them (when their source is known). */
export function allValues(checks: RadiusChecks, secrets: SecretValues): Map<string, string> {
  const out = new Map(secrets);
  const source = secrets.get(checks.derivedFrom);
  if (source !== undefined) for (const [k, v] of deriveSecrets(source)) out.set(k, v);
  return out;
}

/** Puts the secret values and the device root into a document. Throws StepError('stage') naming a missing or unusable secret. */
export function fill(doc: RadiusDocument, content: string, values: ReadonlyMap<string, string>, root: string): string {
  return content.split(ROOT_PLACEHOLDER).join(root).replace(/@@ggi-secret:([^@]+?)@@/g, (_, id: string) => {
    const v = values.get(id);
    if (v === undefined) throw new StepError('stage', `the secret ${id} of ${doc.name} is not available (set it in the environment or an owner-only file, as the inventory names it)`);
    const e = encodeSecret(doc.syntax, id, v);
    if ('error' in e) throw new StepError('stage', `${doc.name}: ${e.error}`);
    return e.text;
  });
}

const PLACEHOLDER = /@@ggi-secret:([^@]+?)@@/;
const OPENER = /\{\s*$/;
const SECRETISH = /^(\s*(?:secret|ggi_cui_key)\b\s*=?\s*)(.+)$/;
const PATHLINE = /^(\s*(?:CACertificateFile|CertificateFile|CertificateKeyFile)\s+|LogDestination\s+file:\/\/)(\S+)$/;

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * What the device has, in the candidate's terms: the device root back to its placeholder, and every secret replaced by
 * its placeholder (or by "differs" when the value on the device is not the one resolved for this run). No secret value
 * ever leaves this function. Pure.
 */
export function maskActual(doc: RadiusDocument, candidate: string, actual: string, values: ReadonlyMap<string, string>, root: string): string {
  if (doc.syntax === 'raw') {
    const m = PLACEHOLDER.exec(candidate);
    const id = m ? m[1] : 'unknown';
    const v = values.get(id);
    return v === undefined || v === actual ? candidate : `${secretChangedPlaceholder(id)}\n`;
  }
  // Templates: per block opener, each candidate line holding a placeholder becomes a pattern capturing the value.
  const templates = new Map<string, Array<{ re: RegExp; id: string; line: string }>>();
  let ctx = '';
  for (const line of candidate.split('\n')) {
    if (OPENER.test(line)) ctx = line.trim();
    const m = PLACEHOLDER.exec(line);
    if (!m) continue;
    const [before, after] = [line.slice(0, m.index), line.slice(m.index + m[0].length)];
    const list = templates.get(ctx) ?? [];
    list.push({ re: new RegExp(`^${escapeRe(before)}(.*)${escapeRe(after)}$`), id: m[1], line });
    templates.set(ctx, list);
  }
  ctx = '';
  const out: string[] = [];
  for (const line of actual.split('\n')) {
    if (OPENER.test(line)) ctx = line.trim();
    const p = PATHLINE.exec(line);
    if (p && root !== '' && p[2].startsWith(`${root}/`)) {
      out.push(`${p[1]}${ROOT_PLACEHOLDER}${p[2].slice(root.length)}`);
      continue;
    }
    if (p && root === '' && p[2].startsWith('/')) {
      out.push(`${p[1]}${ROOT_PLACEHOLDER}${p[2]}`);
      continue;
    }
    const t = (templates.get(ctx) ?? []).find((x) => x.re.test(line));
    if (t) {
      const got = t.re.exec(line)![1];
      const v = values.get(t.id);
      const enc = v === undefined ? undefined : encodeSecret(doc.syntax, t.id, v);
      const same = enc === undefined || ('text' in enc && enc.text === got);
      out.push(same ? t.line : t.line.replace(secretPlaceholder(t.id), secretChangedPlaceholder(t.id)));
      continue;
    }
    const s = SECRETISH.exec(line);
    out.push(s ? `${s[1]}${secretChangedPlaceholder('unknown')}` : line);
  }
  return out.join('\n');
}

/** Pure: the changes apply would make, per document, with secrets as placeholders. */
export function diffRadius(candidate: Candidate, actual: ActualState): DocumentDiff[] {
  const out: DocumentDiff[] = [];
  for (const doc of candidate.documents) {
    const have = actual.documents.find((d) => d.name === doc.name);
    const before = have?.content ?? null;
    if (before !== doc.content) out.push({ path: have?.location ?? doc.name, diff: unifiedDiff(have?.location ?? doc.name, before, doc.content) });
  }
  if (actual.pendingRollback) out.push({ path: 'state:pending-rollback', diff: 'an earlier apply was never confirmed: the device restores its previous files when its rollback timer fires\n' });
  return out;
}

interface Prepared {
  checks: RadiusChecks;
  root: string;
  /** Paths only (content filled at stage): enough for reading, locking and unlocking. */
  shape: HostSpec;
  cmds: ReturnType<typeof daemonCommands>;
}

function prepare(ctx: SessionContext): Prepared {
  const checks = ctx.candidate.checks as RadiusChecks;
  const root = radiusRoot(ctx.layout);
  const cmds = daemonCommands(checks, root);
  const files: HostFile[] = checks.documents.map((d) => ({
    name: d.name,
    path: pathOf(root, d.rel),
    content: '',
    mode: d.mode,
    ...(d.rel === RADSECPROXY_CONF || d.rel === `${FREERADIUS_DIR}/clients.conf` ? { deactivate: cmds.deactivate } : {}),
  }));
  return { checks, root, cmds, shape: { files, validate: cmds.validate, activate: cmds.activate, checks: [], live: [] } };
}

function tail(text: string, lines = 12): string {
  return text.trim().split('\n').slice(-lines).join('\n');
}

/** Status-Server (RFC 5997) to the daemon's loopback listener, from the device itself; the health secret is read from its file. */
export function statusServerCommand(checks: RadiusChecks, root: string): string {
  return `printf 'Message-Authenticator = 0x00\\n' | radclient -r 1 -t 2 -S ${shq(pathOf(root, HEALTH_SECRET))} 127.0.0.1:${checks.healthPort} status 2>&1`;
}

class RadiusReadSession implements ReadSession {
  readonly deviceId: string;
  protected readonly p: Prepared;
  protected readonly values: Map<string, string>;
  constructor(
    protected readonly t: ShellTransport,
    protected readonly ctx: SessionContext,
  ) {
    this.deviceId = ctx.deviceId;
    this.p = prepare(ctx);
    this.values = allValues(this.p.checks, ctx.secrets);
  }

  protected toActual(stdout: string): ActualState {
    const raw = parseRead(this.p.shape, stdout);
    const documents = this.p.checks.documents.map((d, i) => {
      const location = this.p.shape.files[i].path;
      const have = raw.files[location] ?? null;
      const cand = this.ctx.candidate.documents.find((c) => c.name === d.name)?.content ?? '';
      return { name: d.name, location, content: have === null ? null : maskActual(d, cand, have, this.values, this.p.root) };
    });
    return { documents, live: [], pendingRollback: raw.pendingRollback };
  }

  async read(): Promise<ActualState> {
    const r = await this.t.exec('sh -s', { stdin: readScript(this.p.shape, this.ctx.layout) });
    if (r.code !== 0) throw new StepError('read', tail(r.stderr) || `read exited ${r.code}`);
    return this.toActual(r.stdout);
  }

  async verify(v: VerifyContext): Promise<CheckResult[]> {
    const name = `status-server ${this.p.checks.daemon} on ${this.deviceId} (127.0.0.1:${this.p.checks.healthPort})`;
    for (;;) {
      const r = await this.t.exec(statusServerCommand(this.p.checks, this.p.root));
      const ok = r.code === 0 && /Received Access-Accept/.test(r.stdout + r.stderr);
      if (ok || Date.now() >= v.deadline) {
        return [{ name, ok, expected: 'Access-Accept to Status-Server (RFC 5997)', observed: ok ? 'Access-Accept' : 'no answer', ...(ok ? {} : { detail: `${this.p.checks.daemon} does not answer Status-Server: ${tail(r.stdout + r.stderr, 2)}` }) }];
      }
      await new Promise((res) => setTimeout(res, v.intervalMs ?? 1000));
    }
  }

  async close(): Promise<void> {
    await this.t.close();
  }
}

class RadiusSession extends RadiusReadSession implements Session {
  private desired: HostSpec | null = null;

  async lock(owner: string): Promise<ActualState> {
    const r = await this.t.exec('sh -s', { stdin: lockAndReadScript(this.p.shape, owner, this.ctx.layout) });
    if (r.code === STATUS.LOCKED) throw new StepError('lock', `the device is ${tail(r.stderr, 1)}`);
    if (r.code !== 0) throw new StepError('lock', tail(r.stderr));
    return this.toActual(r.stdout);
  }

  async unlock(): Promise<void> {
    const r = await this.t.exec('sh -s', { stdin: unlockScript(this.desired ?? this.p.shape, this.ctx.layout) });
    if (r.code !== 0) throw new StepError('unlock', tail(r.stderr));
  }

  async stage(): Promise<void> {
    const files = this.p.shape.files.map((f, i) => {
      const doc = this.p.checks.documents[i];
      const cand = this.ctx.candidate.documents.find((c) => c.name === doc.name);
      return { ...f, content: fill(doc, cand?.content ?? '', this.values, this.p.root) };
    });
    this.desired = { ...this.p.shape, files };
    const s = await this.t.exec('sh -s', { stdin: stageScript(this.desired, this.ctx.layout) });
    if (s.code !== 0) throw new StepError('stage', tail(s.stderr));
    const v = await this.t.exec('sh -s', { stdin: validateScript(this.desired, this.ctx.layout) });
    if (v.code !== 0) throw new StepError('validate', `the device's own check refused the candidate: ${tail(v.stderr)}`);
  }

  async arm(revertInS: number): Promise<RollbackPoint> {
    const d = this.staged('arm');
    const r = await this.t.exec('sh -s', { stdin: armScript(d, randomBytes(12).toString('hex'), revertInS, this.ctx.layout) });
    if (r.code !== 0) throw new StepError('arm', tail(r.stderr));
    return { native: true, revertInS, data: null };
  }

  async activate(): Promise<void> {
    const r = await this.t.exec('sh -s', { stdin: activateScript(this.staged('activate'), this.ctx.layout) });
    if (r.code !== 0) throw new StepError('activate', tail(r.stderr));
  }

  async confirm(): Promise<ConfirmResult> {
    const r = await this.t.exec('sh -s', { stdin: confirmScript(this.staged('confirm'), this.ctx.layout) });
    if (r.code === STATUS.ALREADY_ROLLED_BACK) return { ok: false, detail: 'the rollback timer fired before confirmation: the device is back at its previous configuration' };
    if (r.code !== 0) throw new StepError('confirm', tail(r.stderr));
    return { ok: true, recorded: {} };
  }

  async rollback(_point: RollbackPoint): Promise<RollbackResult> {
    const r = await this.t.exec('sh -s', { stdin: rollbackNowScript(this.ctx.layout) });
    return r.code === 0 ? { restored: true } : { restored: false, detail: tail(r.stderr, 4) };
  }

  private staged(step: 'arm' | 'activate' | 'confirm'): HostSpec {
    // The rollback script (kept at arm) re-runs the activation commands, which name the files, not their content.
    if (!this.desired) throw new StepError(step, `${step} before stage`);
    return this.desired;
  }
}

export function openRadius(t: ShellTransport, ctx: SessionContext): Session {
  return new RadiusSession(t, ctx);
}

export function openRadiusReadOnly(t: ShellTransport, ctx: SessionContext): ReadSession {
  return new RadiusReadSession(t, ctx);
}
