/**
 * The lab's process edge: every command the lab runs goes through a `Runner`, so the lab logic can be driven by a fake
 * in unit tests and the real one (child_process.spawn, never a shell) on a machine.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { shArgv } from '../util/shell';

export interface RunOptions {
  /** Written to the command's stdin, then stdin is closed. */
  readonly input?: string;
  /** Runs the command inside this network namespace (through `ip netns exec`). */
  readonly netns?: string;
  /** Kills the command (SIGKILL) after this long; default 60 s. */
  readonly timeoutMs?: number;
  /** A non-zero exit code is returned instead of thrown. */
  readonly allowFail?: boolean;
  /** Extra environment variables (merged over process.env). */
  readonly env?: Readonly<Record<string, string>>;
}

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface StartOptions {
  readonly netns?: string;
  /** stdout and stderr of the background process are appended here (default: discarded). */
  readonly logFile?: string;
  readonly env?: Readonly<Record<string, string>>;
}

export interface Runner {
  run(cmd: readonly string[], opts?: RunOptions): Promise<RunResult>;
  /** Starts a long-running background process that outlives the controller; returns its pid. */
  start(cmd: readonly string[], opts?: StartOptions): Promise<number>;
}

/** A command failed (non-zero exit, timeout, or could not start); the message names the command and its stderr. */
export class CommandError extends Error {
  constructor(
    readonly cmd: readonly string[],
    readonly code: number | null,
    readonly stderr: string,
    reason: string,
  ) {
    super(`command failed (${reason}): ${formatCommand(cmd)}${stderr.trim() ? `\n${indent(stderr.trim())}` : ''}`);
    this.name = 'CommandError';
  }
}

/** Renders argv as one sh command line (for messages and for running over SSH), quoting only where needed. */
export function formatCommand(cmd: readonly string[]): string {
  return shArgv(cmd);
}

function indent(s: string): string {
  const lines = s.split('\n');
  const shown = lines.length > 20 ? [...lines.slice(0, 20), `... (${lines.length - 20} more lines)`] : lines;
  return shown.map((l) => `  ${l}`).join('\n');
}

/** Wraps argv so that it runs in `netns` (ip netns exec replaces itself with the command, so pids stay the command's). */
export function inNetns(cmd: readonly string[], netns?: string): string[] {
  return netns ? ['ip', 'netns', 'exec', netns, ...cmd] : [...cmd];
}

const DEFAULT_TIMEOUT_MS = 60_000;

/** The real runner: spawn without a shell. */
export function localRunner(): Runner {
  return {
    run(cmd, opts = {}) {
      const argv = inNetns(cmd, opts.netns);
      if (argv.length === 0) return Promise.reject(new Error('run: empty command'));
      return new Promise<RunResult>((resolve, reject) => {
        const child = spawn(argv[0], argv.slice(1), {
          stdio: ['pipe', 'pipe', 'pipe'],
          env: opts.env ? { ...process.env, ...opts.env } : process.env,
        });
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        let timedOut = false;
        const timer = setTimeout(() => {
          timedOut = true;
          child.kill('SIGKILL');
        }, opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
        child.stdout.on('data', (b: Buffer) => out.push(b));
        child.stderr.on('data', (b: Buffer) => err.push(b));
        child.on('error', (e) => {
          clearTimeout(timer);
          reject(new CommandError(argv, null, '', `could not start: ${e.message}`));
        });
        child.on('close', (code, signal) => {
          clearTimeout(timer);
          const res = { code: code ?? 128, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
          if (timedOut) return reject(new CommandError(argv, null, res.stderr, `timed out after ${opts.timeoutMs ?? DEFAULT_TIMEOUT_MS} ms`));
          if (res.code !== 0 && !opts.allowFail) {
            return reject(new CommandError(argv, res.code, res.stderr || res.stdout, signal ? `killed by ${signal}` : `exit code ${res.code}`));
          }
          resolve(res);
        });
        // A command that exits without reading stdin makes the write fail with EPIPE; the exit code tells the story.
        child.stdin.on('error', () => undefined);
        child.stdin.end(opts.input ?? '');
      });
    },

    start(cmd, opts = {}) {
      const argv = inNetns(cmd, opts.netns);
      return new Promise<number>((resolve, reject) => {
        let fd: number | 'ignore' = 'ignore';
        if (opts.logFile) fd = fs.openSync(opts.logFile, 'a');
        const child = spawn(argv[0], argv.slice(1), {
          detached: true,
          stdio: ['ignore', fd, fd],
          env: opts.env ? { ...process.env, ...opts.env } : process.env,
        });
        if (typeof fd === 'number') fs.closeSync(fd);
        child.once('error', (e) => reject(new CommandError(argv, null, '', `could not start: ${e.message}`)));
        child.once('spawn', () => {
          child.unref();
          if (child.pid === undefined) reject(new CommandError(argv, null, '', 'no pid'));
          else resolve(child.pid);
        });
      });
    },
  };
}
