import { createHash } from 'node:crypto';
import type { Socket } from 'node:net';
import { TransportError, type ExecOptions, type ExecResult, type ShellTransport } from '../devices/contract';
import { readSecret, SecretError } from '../secrets';
import type { SecretRef } from '../model/schema';
import { shq, wrap64 } from '../util/shell';

export { TransportError, type ExecOptions, type ExecResult, type ShellTransport, type TransportErrorCode } from '../devices/contract';
export { shq } from '../util/shell';

export interface SshTarget {
  /** Device id, for messages. */
  id: string;
  host: string;
  port: number;
  user: string;
  /** Pinned fingerprint `SHA256:<base64>`; undefined for a device being onboarded. */
  hostKey?: string;
  /** The controller's private key (PEM / OpenSSH text). Never logged. */
  privateKey: string;
}

export interface SshOptions {
  /** Accept (and report via `Transport.hostKey`) the key of a device with no pinned key. Never overrides a pin. */
  acceptNew?: boolean;
  connectTimeoutMs?: number;
  keepaliveIntervalMs?: number;
}

/** `SHA256:<base64 without padding>` as `ssh-keygen -lf` prints it, from the raw key blob. */
export function fingerprintOfKey(blob: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(blob).digest('base64').replace(/=+$/, '');
}

/**
 * Normalises the hash ssh2 hands to `hostVerifier` with `hostHash: 'sha256'` into `SHA256:<base64>`. ssh2 1.x gives a
 * hex string; other versions give base64 or the raw key; all are accepted here.
 */
export function normaliseHostHash(key: string | Buffer): string {
  if (Buffer.isBuffer(key)) return key.length === 32 ? 'SHA256:' + key.toString('base64').replace(/=+$/, '') : fingerprintOfKey(key);
  if (/^[0-9a-f]{64}$/i.test(key)) return 'SHA256:' + Buffer.from(key, 'hex').toString('base64').replace(/=+$/, '');
  const b64 = key.replace(/^SHA256:/, '').replace(/=+$/, '');
  return 'SHA256:' + b64;
}

/** Compares fingerprints, tolerating base64 padding. */
export function sameFingerprint(a: string, b: string): boolean {
  return normaliseHostHash(a) === normaliseHostHash(b);
}

/** Decides on a presented key; pure so that the policy is tested without a server. */
export function judgeHostKey(presented: string, pinned: string | undefined, acceptNew: boolean): { ok: true } | { ok: false; code: 'HOST_KEY_UNKNOWN' | 'HOST_KEY_MISMATCH' } {
  if (pinned === undefined) return acceptNew ? { ok: true } : { ok: false, code: 'HOST_KEY_UNKNOWN' };
  return sameFingerprint(presented, pinned) ? { ok: true } : { ok: false, code: 'HOST_KEY_MISMATCH' };
}

/**
 * Reads the controller's private key from a secret reference (an environment variable, or a file only its owner may
 * read: a group- or world-readable key file is refused, as ssh does).
 */
export function loadPrivateKey(ref: SecretRef, env: NodeJS.ProcessEnv = process.env, baseDir = process.cwd()): string {
  try {
    return readSecret(ref, env, baseDir) + '\n';
  } catch (e) {
    if (e instanceof SecretError) throw new TransportError('PRIVATE_KEY', `the SSH private key: ${e.message}`);
    throw e;
  }
}

/** Opens an SSH connection with the host key checked against the pin before any authentication happens. */
export async function connectSsh(target: SshTarget, opts: SshOptions = {}): Promise<ShellTransport> {
  // node-ssh (and ssh2) are heavy; load them only when a command really talks to devices.
  const { NodeSSH } = require('node-ssh') as typeof import('node-ssh');
  const ssh = new NodeSSH();
  let seen: string | null = null;
  let refusal: TransportError | null = null;
  const where = `${target.id} (${target.host}:${target.port})`;
  try {
    await ssh.connect({
      host: target.host,
      port: target.port,
      username: target.user,
      privateKey: target.privateKey,
      readyTimeout: opts.connectTimeoutMs ?? 10000,
      keepaliveInterval: opts.keepaliveIntervalMs ?? 5000,
      keepaliveCountMax: 3,
      hostHash: 'sha256',
      hostVerifier: (key: string | Buffer) => {
        seen = normaliseHostHash(key);
        const verdict = judgeHostKey(seen, target.hostKey, opts.acceptNew === true);
        if (verdict.ok) return true;
        refusal =
          verdict.code === 'HOST_KEY_UNKNOWN'
            ? new TransportError('HOST_KEY_UNKNOWN', `${where} presented host key ${seen}, but no key is pinned for it; pin it in the inventory or run with --accept-new while onboarding`)
            : new TransportError('HOST_KEY_MISMATCH', `${where} presented host key ${seen}, but ${target.hostKey} is pinned: refusing to connect (the key changed, or someone is in between)`);
        return false;
      },
    } as Parameters<typeof ssh.connect>[0]);
  } catch (e) {
    void endSsh(ssh);
    if (refusal) throw refusal;
    throw classifyConnectError(e, where);
  }
  const hostKey = seen ?? '';
  const sudo = target.user === 'root' ? '' : 'sudo -n ';
  let lost = false;
  ssh.connection?.on('close', () => {
    lost = true;
  });
  ssh.connection?.on('error', () => {
    lost = true;
  });

  const exec = async (cmd: string, o: ExecOptions = {}): Promise<ExecResult> => {
    if (lost || !ssh.isConnected()) throw new TransportError('CONNECTION_LOST', `${where}: the connection was lost`);
    let timer: NodeJS.Timeout | undefined;
    const run = ssh.execCommand(cmd, { stdin: o.stdin, noTrim: true }).then((r) => {
      if (r.code === null) throw new TransportError('CONNECTION_LOST', `${where}: the command ended without a status (${r.signal ?? 'connection lost'})`);
      return { code: r.code, stdout: r.stdout, stderr: r.stderr };
    });
    if (!o.timeoutMs) return run.catch((e) => Promise.reject(e instanceof TransportError ? e : new TransportError('CONNECTION_LOST', `${where}: ${msg(e)}`)));
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        void endSsh(ssh);
        reject(new TransportError('TIMEOUT', `${where}: a command took longer than ${Math.round(o.timeoutMs! / 1000)} s`));
      }, o.timeoutMs);
    });
    try {
      return await Promise.race([run, timeout]);
    } catch (e) {
      throw e instanceof TransportError ? e : new TransportError('CONNECTION_LOST', `${where}: ${msg(e)}`);
    } finally {
      clearTimeout(timer);
    }
  };

  return {
    kind: 'ssh',
    hostKey,
    exec: (cmd, o) => exec(sudo + cmd, o),
    async readFile(path) {
      const r = await exec(`${sudo}sh -c ${shq(`if [ -e ${shq(path)} ]; then base64 -w0 < ${shq(path)}; else exit 3; fi`)}`);
      if (r.code === 3) return null;
      if (r.code !== 0) throw new TransportError('CONNECTION_LOST', `${where}: reading ${path} failed: ${r.stderr.trim()}`);
      return Buffer.from(r.stdout.trim(), 'base64').toString('utf8');
    },
    async writeFile(path, content, mode) {
      const tmp = `${path}.ggi-new`;
      const script = `set -e\nbase64 -d > ${shq(tmp)} <<'GGI_EOF'\n${wrap64(content)}\nGGI_EOF\nchmod ${mode.toString(8)} ${shq(tmp)}\nmv -f ${shq(tmp)} ${shq(path)}\n`;
      const r = await exec(`${sudo}sh -s`, { stdin: script });
      if (r.code !== 0) throw new TransportError('CONNECTION_LOST', `${where}: writing ${path} failed: ${r.stderr.trim()}`);
    },
    async close() {
      await endSsh(ssh);
    },
  };
}

/** How long a device gets to answer ggi's goodbye before the TCP connection is dropped. */
export const SSH_END_GRACE_MS = 2000;

/**
 * The TCP socket under an ssh2 connection. ssh2 has no public handle on it; this is the one place that reads its
 * private `_sock` (tested against the installed ssh2 in test/reconciler/plan.test.ts), so an ssh2 upgrade that
 * renames it fails one test instead of silently leaving sockets open.
 */
export function sshSocket(connection: unknown): Socket | undefined {
  const sock = (connection as { _sock?: unknown } | null | undefined)?._sock;
  return sock && typeof (sock as Socket).destroy === 'function' ? (sock as Socket) : undefined;
}

/**
 * Ends an SSH session: politely first (ssh2's end(): a disconnect message, then a TCP FIN), and when the device has
 * not closed its side within `graceMs`, the TCP connection is dropped. A device that hung or vanished mid-goodbye must
 * not keep ggi from exiting: an open socket keeps Node running until TCP gives up, many minutes later. Resolves once
 * the socket is closed. ssh2's destroy() does nothing once end() has been called: hence the socket itself.
 */
function endSsh(ssh: import('node-ssh').NodeSSH, graceMs = SSH_END_GRACE_MS): Promise<void> {
  const sock = sshSocket(ssh.connection);
  ssh.dispose();
  if (!sock || sock.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => sock.destroy(), graceMs);
    sock.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

function msg(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function classifyConnectError(e: unknown, where: string): TransportError {
  const m = msg(e);
  const code = (e as { code?: string; level?: string })?.code;
  const level = (e as { level?: string })?.level;
  if (level === 'client-authentication' || /authentication methods failed/i.test(m)) return new TransportError('AUTH_FAILED', `${where}: the device refused the controller's key`);
  if (/Timed out while waiting for handshake/i.test(m) || code === 'ETIMEDOUT') return new TransportError('UNREACHABLE', `${where}: no answer (connect timeout)`);
  if (/privateKey|private key|parse/i.test(m)) return new TransportError('PRIVATE_KEY', `${where}: the controller's private key cannot be used (${m.replace(/\n.*/s, '')})`);
  if (code === 'ECONNREFUSED') return new TransportError('UNREACHABLE', `${where}: connection refused (is sshd running?)`);
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return new TransportError('UNREACHABLE', `${where}: no route to the device`);
  return new TransportError('UNREACHABLE', `${where}: ${m}`);
}
