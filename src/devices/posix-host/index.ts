import { randomBytes } from 'node:crypto';
import type { DeviceIntent } from '../../intent/types';
import {
  StepError,
  TransportError,
  type ActualState,
  type Candidate,
  type Capabilities,
  type CheckResult,
  type DeviceLayout,
  type Driver,
  type ReadSession,
  type Session,
  type SessionContext,
  type ShellTransport,
  type Transport,
  type VerifyContext,
} from '../contract';
import { standardDiff } from '../diff';
import { fillSecrets, maskSecrets } from '../secrets';
import { activateScript, armScript, confirmScript, lockAndReadScript, parseRead, readScript, rollbackNowScript, stageScript, STATUS, unlockScript, validateScript, verifyScript, type HostRead } from './scripts';
import type { HostSpec } from './types';

export * from './types';
export { wrap64, DEFAULT_LAYOUT, STATUS, probeKey, type HostRead, type StateLayout } from './scripts';

/**
 * The shared helper of drivers for POSIX hosts reached over SSH (linux-frr, radius): a driver says what files its
 * candidate becomes on a device, how to check and activate them and what live state to watch (`HostSpec`); this
 * module runs the transaction with the scripts of ./scripts.ts: a device-side lock, staging next to the final paths,
 * an on-device revert timer in a detached session (commit-confirmed that survives the controller dying), activation,
 * checksum and command checks, confirmation, rollback.
 */
export interface PosixHostDriverSpec {
  platform: string;
  /** `transport: 'ssh'`, `nativeCommitConfirm: true`, `readOnly: true` are implied. */
  capabilities: Pick<Capabilities, 'validatesOnDevice' | 'manages'>;
  render(intent: DeviceIntent): Candidate;
  /** Pure: the files, commands and probes that put `candidate` on a device with this layout. */
  host(candidate: Candidate, layout: DeviceLayout): HostSpec;
  /**
   * Checks polled from the controller after the on-device ones pass (e.g. FRR's BGP JSON). Must poll until every check
   * holds or `ctx.deadline` passes, and must not write to the device.
   */
  verify?(t: ShellTransport, candidate: Candidate, layout: DeviceLayout, ctx: VerifyContext): Promise<CheckResult[]>;
  /** How a secret value is written into a document of this platform (default: as is). */
  quoteSecret?(document: string, value: string): string;
}

function tail(text: string, lines = 12): string {
  return text.trim().split('\n').slice(-lines).join('\n');
}

function shell(t: Transport): ShellTransport {
  if (t.kind !== 'ssh') throw new TransportError('UNREACHABLE', `this platform is managed over SSH, got a ${t.kind} transport`);
  return t;
}

export function posixHostDriver(spec: PosixHostDriverSpec): Driver {
  const capabilities: Capabilities = { transport: 'ssh', nativeCommitConfirm: true, readOnly: true, ...spec.capabilities };
  const quote = (doc: string) => (v: string) => (spec.quoteSecret ? spec.quoteSecret(doc, v) : v);

  /** The host spec with placeholders (for reading and masking) and with secrets filled in (for writing). */
  const specs = (ctx: SessionContext) => {
    const raw = spec.host(ctx.candidate, ctx.layout);
    let filled: HostSpec | null = null;
    return {
      raw,
      filled(): HostSpec {
        filled ??= { ...raw, files: raw.files.map((f) => ({ ...f, content: fillSecrets(f.content, ctx.secrets, quote(f.name)) })) };
        return filled;
      },
    };
  };

  const toActual = (ctx: SessionContext, raw: HostSpec, r: HostRead): ActualState => {
    const mask = (text: string | null, template: string | null, doc: string) => (text === null ? null : maskSecrets(text, template, ctx.secrets, quote(doc)));
    return {
      documents: raw.files.map((f) => ({ name: f.name, location: f.path, content: mask(r.files[f.path] ?? null, f.content, f.name) })),
      live: raw.live.map((p) => ({ name: p.name, now: mask(r.live[p.name] ?? '', null, p.name)!, recorded: mask(r.recordedLive[p.name] ?? null, null, p.name) })),
      pendingRollback: r.pendingRollback,
    };
  };

  const run = async (t: ShellTransport, script: string, timeoutMs?: number) => t.exec('sh -s', { stdin: script, timeoutMs });

  const verifyOn = async (t: ShellTransport, ctx: SessionContext, host: HostSpec, vctx: VerifyContext): Promise<CheckResult[]> => {
    const leftS = Math.max(1, Math.ceil((vctx.deadline - Date.now()) / 1000));
    const r = await run(t, verifyScript(host, leftS));
    const own: CheckResult = r.code === 0
      ? { name: 'files and on-device checks', ok: true, expected: 'every file as rendered, every check command exits 0', observed: 'as expected' }
      : { name: 'files and on-device checks', ok: false, expected: 'every file as rendered, every check command exits 0', observed: 'a check failed', detail: tail(r.stderr) };
    if (!own.ok || !spec.verify) return [own];
    return [own, ...(await spec.verify(t, ctx.candidate, ctx.layout, vctx))];
  };

  const readOnly = (t: ShellTransport, ctx: SessionContext): ReadSession => {
    const s = specs(ctx);
    return {
      deviceId: ctx.deviceId,
      async read() {
        const r = await run(t, readScript(s.raw, ctx.layout));
        if (r.code !== 0) throw new StepError('read', tail(r.stderr) || `reading the device exited ${r.code}`);
        return toActual(ctx, s.raw, parseRead(s.raw, r.stdout));
      },
      // Checksums compare with the filled files; without the secrets, compare with what can be known.
      verify: (vctx) => verifyOn(t, ctx, ctx.secrets.size > 0 || ctx.candidate.secrets.length === 0 ? s.filled() : { ...s.raw, files: [] }, vctx),
      close: () => t.close(),
    };
  };

  return {
    platform: spec.platform,
    capabilities,
    render: spec.render,
    diff: standardDiff,
    openReadOnly: (transport, ctx) => readOnly(shell(transport), ctx),
    open(transport, ctx): Session {
      const t = shell(transport);
      const s = specs(ctx);
      const base = readOnly(t, ctx);
      const must = async (step: StepError['step'], script: string) => {
        const r = await run(t, script);
        if (r.code !== 0) throw new StepError(step, tail(r.stderr) || `${step} exited ${r.code}`);
        return r;
      };
      return {
        ...base,
        async lock(owner) {
          const r = await run(t, lockAndReadScript(s.raw, owner, ctx.layout));
          if (r.code === STATUS.LOCKED) throw new StepError('lock', `the device is ${tail(r.stderr, 1)}`);
          if (r.code !== 0) throw new StepError('lock', tail(r.stderr));
          return toActual(ctx, s.raw, parseRead(s.raw, r.stdout));
        },
        async unlock() {
          await must('unlock', unlockScript(s.raw, ctx.layout));
        },
        async stage() {
          const filled = s.filled();
          await must('stage', stageScript(filled, ctx.layout));
          const v = await run(t, validateScript(filled, ctx.layout));
          if (v.code !== 0) throw new StepError('validate', tail(v.stderr));
        },
        async arm(revertInS) {
          await must('arm', armScript(s.filled(), randomBytes(12).toString('hex'), revertInS, ctx.layout));
          return { native: true, revertInS, data: null };
        },
        async activate() {
          const a = await run(t, activateScript(s.filled(), ctx.layout));
          if (a.code !== 0) throw new StepError('activate', tail(a.stderr));
        },
        verify: (vctx) => verifyOn(t, ctx, s.filled(), vctx),
        async confirm() {
          const c = await run(t, confirmScript(s.raw, ctx.layout));
          if (c.code === STATUS.ALREADY_ROLLED_BACK) return { ok: false, detail: tail(c.stderr) };
          if (c.code !== 0) throw new StepError('confirm', tail(c.stderr));
          const recorded: Record<string, string> = {};
          for (const line of c.stdout.split('\n')) {
            const m = /^(\S+) ([0-9a-f]{64})$/.exec(line);
            if (m) recorded[m[1]] = m[2];
          }
          return { ok: true, recorded };
        },
        async rollback() {
          const r = await run(t, rollbackNowScript(ctx.layout));
          return r.code === 0 ? { restored: true } : { restored: false, detail: tail(r.stderr, 4) };
        },
      };
    },
  };
}
