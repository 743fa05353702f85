/**
 * Kea's management commands through the Control Agent (Kea ARM, "Management API"): a POST of
 * `{ "command", "service": [ "dhcp4" ], "arguments" }` to `/`, answered with one `{ "result", "text", "arguments" }`
 * per service. result 0: success; 1: error; 2: unsupported command; 3: empty (e.g. no leases).
 */
import { StepError, TransportError, type HttpTransport } from '../contract';
import type { Json, KeaService } from './render';

export interface KeaAnswer {
  result: number;
  text: string;
  arguments?: Json;
}

/** Sends one command to one service; returns its answer (never a result code as an exception: callers decide). */
export async function keaCommand(t: HttpTransport, command: string, service: KeaService, args?: Json, timeoutMs?: number): Promise<KeaAnswer> {
  const res = await t.request({ method: 'POST', path: '/', body: { command, service: [service], ...(args === undefined ? {} : { arguments: args }) }, ...(timeoutMs ? { timeoutMs } : {}) });
  if (res.status === 401 || res.status === 403) throw new TransportError('AUTH_FAILED', `${t.endpoint}: the Kea Control Agent refused the credentials (HTTP ${res.status})`);
  const list = res.json;
  const first = Array.isArray(list) ? (list[0] as Partial<KeaAnswer> | undefined) : (list as Partial<KeaAnswer> | null);
  if (!first || typeof first.result !== 'number') {
    throw new TransportError('CONNECTION_LOST', `${t.endpoint}: '${command}' for ${service} got no Kea answer (HTTP ${res.status}): ${res.text.trim().slice(0, 200)}`);
  }
  return { result: first.result, text: String(first.text ?? ''), ...(first.arguments !== undefined ? { arguments: first.arguments } : {}) };
}

/** The same, requiring result 0 (or 3 = empty, when `emptyOk`); otherwise a StepError for `step` with Kea's own text. */
export async function keaOk(t: HttpTransport, step: StepError['step'], command: string, service: KeaService, args?: Json, opts: { emptyOk?: boolean; timeoutMs?: number } = {}): Promise<KeaAnswer> {
  const a = await keaCommand(t, command, service, args, opts.timeoutMs);
  if (a.result === 0 || (opts.emptyOk && a.result === 3)) return a;
  throw new StepError(step, `kea ${service} ${command}: ${a.text || `result ${a.result}`}`);
}
