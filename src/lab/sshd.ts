/**
 * sshd per lab router: its own config, host key, authorized_keys and pid file under the node's folder in the state
 * folder, listening only on the node's management address inside its namespace. Sessions therefore run inside the
 * namespace, as root, like a shell on the device. Each session gets GGI_NETNS / FRR_PATHSPACE / GGI_DEVICE and a
 * per-device HOME in its environment (sshd_config SetEnv overrides HOME) so device-side scripts find their pathspace.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import type { Runner } from './exec';
import { readPid, waitFor } from './frr';
import { makeDirectory } from '../util/directory';

export interface SshdPaths {
  readonly dir: string;
  readonly config: string;
  readonly hostKey: string;
  readonly authorizedKeys: string;
  readonly pidFile: string;
  readonly logFile: string;
}

export function sshdPaths(nodeDir: string): SshdPaths {
  const dir = path.join(nodeDir, 'ssh');
  return {
    dir,
    config: path.join(dir, 'sshd_config'),
    hostKey: path.join(dir, 'ssh_host_ed25519_key'),
    authorizedKeys: path.join(dir, 'authorized_keys'),
    pidFile: path.join(dir, 'sshd.pid'),
    logFile: path.join(dir, 'sshd.log'),
  };
}

export interface SshdConfigInput {
  readonly listen: string;
  readonly port: number;
  readonly paths: SshdPaths;
  readonly env: Readonly<Record<string, string>>;
}

/** The sshd_config text. Key-only root login, no PAM or DNS (fast logins), sftp for uploads. */
export function renderSshdConfig(c: SshdConfigInput): string {
  const env = Object.entries(c.env)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  return [
    '# written by ggi lab',
    `ListenAddress ${c.listen}:${c.port}`,
    `HostKey ${c.paths.hostKey}`,
    `PidFile ${c.paths.pidFile}`,
    `AuthorizedKeysFile ${c.paths.authorizedKeys}`,
    'PermitRootLogin prohibit-password',
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    'UseDNS no',
    // The key files live in the lab's state folder, not in a home directory.
    'StrictModes no',
    'PrintMotd no',
    'MaxStartups 64:30:128',
    'MaxSessions 32',
    ...(env ? [`SetEnv ${env}`] : []),
    'Subsystem sftp internal-sftp',
    '',
  ].join('\n');
}

/** OpenSSH's fingerprint of a public key line ('ssh-ed25519 AAAA... comment'): 'SHA256:' + unpadded base64 of sha256(blob). */
export function sshFingerprint(publicKeyLine: string): string {
  const blob = publicKeyLine.trim().split(/\s+/)[1];
  if (!blob) throw new Error(`not an SSH public key: '${publicKeyLine.slice(0, 40)}'`);
  const digest = createHash('sha256').update(Buffer.from(blob, 'base64')).digest('base64');
  return `SHA256:${digest.replace(/=+$/, '')}`;
}

/** Generates an ed25519 key pair without passphrase; returns the public key line (type and base64, no comment). */
export async function generateKey(runner: Runner, file: string, comment: string): Promise<string> {
  fs.rmSync(file, { force: true });
  fs.rmSync(`${file}.pub`, { force: true });
  await runner.run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file]);
  return publicKeyOnly(fs.readFileSync(`${file}.pub`, 'utf8'));
}

export function publicKeyOnly(line: string): string {
  return line.trim().split(/\s+/).slice(0, 2).join(' ');
}

/** True when something accepts TCP connections at host:port (from the current, i.e. root, namespace). */
export function tcpOpen(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    const done = (ok: boolean): void => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

/** Starts sshd in the namespace and waits until it answers on its address (polled from the root namespace). */
export async function startSshd(runner: Runner, netns: string, paths: SshdPaths, listen: string, port: number, readyTimeoutMs = 60_000): Promise<number> {
  // sshd insists on its privilege-separation directory.
  makeDirectory('/run/sshd', 0o755);
  await runner.run(['/usr/sbin/sshd', '-f', paths.config, '-E', paths.logFile], { netns, timeoutMs: 30_000 });
  const deadline = Date.now() + readyTimeoutMs;
  await waitFor(() => readPid(paths.pidFile) !== null, deadline, `sshd pid file ${paths.pidFile}`);
  await waitFor(() => tcpOpen(listen, port), deadline, `sshd on ${listen}:${port} in ${netns}`);
  return readPid(paths.pidFile)!;
}
