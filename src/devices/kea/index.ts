/**
 * Platform `kea`: a Kea DHCP appliance (kea-dhcp4, kea-dhcp6 behind kea-ctrl-agent), driven only through the
 * Control Agent's HTTP API (basic authentication; the reconciler's transport adds the credentials).
 *
 * Transaction (the contract's picture, with Kea's commands):
 *   lock     no device lock: optimistic. `config-get` of both services is kept as the base (and the rollback point);
 *   stage    `config-test` of the full candidate (declared part + plumbing) per service: Kea's own check, nothing active;
 *   arm      no native commit-confirm: the rollback point is the base, returned as data for the controller to keep;
 *   activate `config-get` again (someone changed it since the read: refuse), then `config-set` per service (Kea
 *            replaces a service's configuration atomically: it runs the old one or the new one, never a mixture);
 *   verify   `status-get` (sockets ready), the declared subnets and pools in `config-get`, the lease database answering;
 *   confirm  `config-write`: the running configuration becomes the startup file;
 *   rollback `config-set` of the kept configuration per service, then `config-write`.
 */
import type { DeviceIntent } from '../../intent/types';
import {
  StepError,
  type ActualDocument,
  type ActualState,
  type Candidate,
  type CheckResult,
  type ConfirmResult,
  type Driver,
  type HttpTransport,
  type ReadSession,
  type RollbackPoint,
  type RollbackResult,
  type Session,
  type SessionContext,
  type Transport,
  type VerifyContext,
} from '../contract';
import { keaCommand, keaOk } from './api';
import { canonicalJson, isObject, keaDiff, project } from './diff';
import { keaLayoutFor } from './paths';
import { fullConfig, KEA_SERVICES, keaPlumbing, PLUMBING_KEYS, renderKeaConfig, ROOT_KEY, poolText, type Json, type JsonObject, type KeaService } from './render';

export { keaLayoutFor, KEA_DEBIAN_LAYOUT, KEA_LAB_ROOT } from './paths';
export { emptyConfig, fullConfig, keaPlumbing, renderKeaConfig, poolText, poolRange, KEA_SERVICES, type KeaLayout, type KeaService, type Json, type JsonObject } from './render';
export { keaDiff, project, canonicalJson, jsonDifferences } from './diff';
export { keaCommand, keaOk, type KeaAnswer } from './api';

export const PLATFORM = 'kea';

/** Candidate document names, one per service. */
export const DOCUMENT: Record<KeaService, string> = { dhcp4: 'kea-dhcp4', dhcp6: 'kea-dhcp6' };
/** Where a document lives, as plans show it. */
export const LOCATION: Record<KeaService, string> = { dhcp4: 'kea:/dhcp4', dhcp6: 'kea:/dhcp6' };

/** What verification looks for (Candidate.checks): every declared subnet with its pool. */
export interface KeaChecks {
  subnets: Array<{ family: 4 | 6; id: number; subnet: string; pool: string; organisation: string; segment: string }>;
}

/** Pure: the candidate of a Kea appliance. Only the id and what it serves matter. */
export function renderKeaCandidate(intent: Pick<DeviceIntent, 'id' | 'dhcp'>): Candidate {
  const subnets = intent.dhcp?.subnets ?? [];
  const declared = renderKeaConfig(intent.id, subnets);
  const checks: KeaChecks = {
    subnets: subnets.map((s) => ({ family: s.family, id: s.id, subnet: s.subnet, pool: poolText(s.family, s.pool), organisation: s.organisation, segment: s.segment })),
  };
  return {
    deviceId: intent.id,
    platform: PLATFORM,
    documents: KEA_SERVICES.map((svc) => ({ name: DOCUMENT[svc], format: 'json' as const, content: canonicalJson({ [ROOT_KEY[svc]]: declared[svc] }) })),
    secrets: [],
    checks,
  };
}

/** The declared body of a service in a candidate (the document parsed back). */
function declaredOf(candidate: Candidate, svc: KeaService): JsonObject {
  const doc = candidate.documents.find((d) => d.name === DOCUMENT[svc]);
  if (!doc) throw new StepError('stage', `the candidate of ${candidate.deviceId} has no ${DOCUMENT[svc]} document`);
  const parsed = JSON.parse(doc.content) as JsonObject;
  const body = parsed[ROOT_KEY[svc]];
  if (!isObject(body)) throw new StepError('stage', `the ${DOCUMENT[svc]} document of ${candidate.deviceId} has no ${ROOT_KEY[svc]} object`);
  return body;
}

/**
 * The running configuration of a service as a document comparable with the candidate's: projected onto the declared
 * keys; plumbing that is not what this layout needs is shown under `ggi-plumbing` (apply resets it).
 */
export function actualDocumentText(svc: KeaService, declared: JsonObject, plumbing: JsonObject, running: JsonObject): string {
  const body = running[ROOT_KEY[svc]];
  if (!isObject(body)) return canonicalJson(running);
  const projected = (project(declared, body) ?? {}) as JsonObject;
  const off: JsonObject = {};
  for (const k of PLUMBING_KEYS) {
    if (!(k in plumbing)) continue;
    const have = project(plumbing[k], body[k]);
    if (canonicalJson(have) !== canonicalJson(plumbing[k])) off[k] = body[k] ?? null;
  }
  if (Object.keys(off).length) projected['ggi-plumbing'] = off;
  return canonicalJson({ [ROOT_KEY[svc]]: projected });
}

function http(t: Transport): HttpTransport {
  if (t.kind !== 'http-api') throw new StepError('read', `the kea driver talks HTTP to the Control Agent, not ${t.kind}`);
  return t;
}

type Configs = Record<KeaService, JsonObject | null>;

class KeaReader implements ReadSession {
  readonly deviceId: string;
  protected readonly plumbing: Record<KeaService, JsonObject>;

  constructor(
    protected readonly t: HttpTransport,
    protected readonly ctx: SessionContext,
  ) {
    this.deviceId = ctx.deviceId;
    this.plumbing = keaPlumbing(keaLayoutFor(ctx.layout));
  }

  /** `config-get` of both services; null for a service that did not answer with a configuration. */
  protected async running(): Promise<Configs> {
    const out: Configs = { dhcp4: null, dhcp6: null };
    for (const svc of KEA_SERVICES) {
      const a = await keaCommand(this.t, 'config-get', svc);
      out[svc] = a.result === 0 && isObject(a.arguments) && isObject(a.arguments[ROOT_KEY[svc]]) ? (a.arguments as JsonObject) : null;
    }
    return out;
  }

  protected stateOf(configs: Configs): ActualState {
    const documents: ActualDocument[] = KEA_SERVICES.map((svc) => {
      const running = configs[svc];
      return { name: DOCUMENT[svc], location: LOCATION[svc], content: running === null ? null : actualDocumentText(svc, declaredOf(this.ctx.candidate, svc), this.plumbing[svc], running) };
    });
    return { documents, live: [], pendingRollback: false };
  }

  async read(): Promise<ActualState> {
    return this.stateOf(await this.running());
  }

  async verify(vctx: VerifyContext): Promise<CheckResult[]> {
    const checks = this.ctx.candidate.checks as KeaChecks;
    for (;;) {
      const results = await this.checkOnce(checks);
      if (results.every((r) => r.ok) || Date.now() >= vctx.deadline) return results;
      await new Promise((r) => setTimeout(r, vctx.intervalMs ?? 1000));
    }
  }

  private async checkOnce(checks: KeaChecks): Promise<CheckResult[]> {
    const out: CheckResult[] = [];
    const configs: Configs = { dhcp4: null, dhcp6: null };
    for (const svc of KEA_SERVICES) {
      const s = await keaCommand(this.t, 'status-get', svc);
      const sockets = isObject(s.arguments) && isObject(s.arguments.sockets) ? String(s.arguments.sockets.status ?? '') : '';
      // Kea 2.2 reports the state of its DHCP sockets; 'ready' means it listens on every configured interface.
      const ok = s.result === 0 && (sockets === '' || sockets === 'ready');
      out.push({ name: `${this.deviceId} kea ${svc} status`, ok, expected: 'running, sockets ready', observed: s.result === 0 ? `running, sockets ${sockets || 'n/a'}` : `result ${s.result}: ${s.text}`, ...(ok ? {} : { detail: s.text }) });
      const c = await keaCommand(this.t, 'config-get', svc);
      configs[svc] = c.result === 0 && isObject(c.arguments) ? (c.arguments as JsonObject) : null;
    }
    for (const sn of checks.subnets) {
      const svc: KeaService = sn.family === 4 ? 'dhcp4' : 'dhcp6';
      const found = runningSubnet(configs[svc], svc, sn.id);
      const pools = found?.pools ?? [];
      const ok = found !== null && found.subnet === sn.subnet && pools.length === 1 && samePoolText(pools[0], sn.pool);
      out.push({
        name: `${this.deviceId} kea ${svc} subnet ${sn.organisation}/${sn.segment}`,
        ok,
        expected: `${sn.subnet} pool ${sn.pool}`,
        observed: found ? `${found.subnet} pool ${pools.join(', ') || 'none'}` : `no subnet with id ${sn.id}`,
      });
    }
    const leases = await keaCommand(this.t, 'lease4-get-all', 'dhcp4');
    const ok = leases.result === 0 || leases.result === 3;
    out.push({ name: `${this.deviceId} kea dhcp4 lease database`, ok, expected: 'answers lease4-get-all', observed: ok ? leases.text : `result ${leases.result}: ${leases.text}` });
    return out;
  }

  async close(): Promise<void> {
    await this.t.close();
  }
}

function runningSubnet(config: JsonObject | null, svc: KeaService, id: number): { subnet: string; pools: string[] } | null {
  const body = config?.[ROOT_KEY[svc]];
  const list = isObject(body) ? body[svc === 'dhcp4' ? 'subnet4' : 'subnet6'] : null;
  if (!Array.isArray(list)) return null;
  const s = list.find((x): x is JsonObject => isObject(x) && x.id === id);
  if (!s) return null;
  const pools = Array.isArray(s.pools) ? s.pools.map((p) => (isObject(p) ? String(p.pool ?? '') : '')) : [];
  return { subnet: String(s.subnet), pools };
}

function samePoolText(a: string, b: string): boolean {
  return canonicalJson(project({ pool: b }, { pool: a })) === canonicalJson({ pool: b });
}

class KeaSession extends KeaReader implements Session {
  private base: Configs | null = null;
  private staged: Record<KeaService, JsonObject> | null = null;

  async lock(_owner: string): Promise<ActualState> {
    // Kea has no configuration lock: the base read here is checked again just before activation (optimistic).
    this.base = await this.running();
    return this.stateOf(this.base);
  }

  async unlock(): Promise<void> {
    this.base = null;
    this.staged = null;
  }

  async stage(): Promise<void> {
    const staged = {} as Record<KeaService, JsonObject>;
    for (const svc of KEA_SERVICES) staged[svc] = fullConfig(svc, declaredOf(this.ctx.candidate, svc), this.plumbing[svc]);
    for (const svc of KEA_SERVICES) await keaOk(this.t, 'validate', 'config-test', svc, staged[svc]);
    this.staged = staged;
  }

  async arm(revertInS: number): Promise<RollbackPoint> {
    if (!this.base) throw new StepError('arm', `${this.deviceId}: arm before lock`);
    const missing = KEA_SERVICES.filter((s) => this.base![s] === null);
    if (missing.length) throw new StepError('arm', `${this.deviceId}: kea ${missing.join(', ')} has no running configuration to go back to`);
    // The controller keeps this (Kea cannot revert by itself); it holds no secrets: ggi's Kea configuration has none.
    return { native: false, revertInS, data: { dhcp4: this.base.dhcp4, dhcp6: this.base.dhcp6 } };
  }

  async activate(): Promise<void> {
    if (!this.base || !this.staged) throw new StepError('activate', `${this.deviceId}: activate before lock and stage`);
    const now = await this.running();
    for (const svc of KEA_SERVICES) {
      if (canonicalJson(now[svc]) !== canonicalJson(this.base[svc])) {
        throw new StepError('activate', `${this.deviceId}: the kea ${svc} configuration changed since it was read (another apply or a hand change); nothing was changed, run again`);
      }
    }
    for (const svc of KEA_SERVICES) await keaOk(this.t, 'activate', 'config-set', svc, this.staged[svc], { timeoutMs: 60_000 });
  }

  async confirm(): Promise<ConfirmResult> {
    for (const svc of KEA_SERVICES) await keaOk(this.t, 'confirm', 'config-write', svc);
    await this.unlock();
    return { ok: true, recorded: {} };
  }

  async rollback(point: RollbackPoint): Promise<RollbackResult> {
    const data = point.data as Partial<Configs> | null;
    const problems: string[] = [];
    for (const svc of KEA_SERVICES) {
      const cfg = data?.[svc];
      if (!isObject(cfg as Json)) {
        problems.push(`no kept ${svc} configuration`);
        continue;
      }
      try {
        await keaOk(this.t, 'rollback', 'config-set', svc, cfg as JsonObject, { timeoutMs: 60_000 });
        await keaOk(this.t, 'rollback', 'config-write', svc);
      } catch (e) {
        if (!(e instanceof StepError)) throw e;
        problems.push(e.message);
      }
    }
    await this.unlock();
    return problems.length ? { restored: false, detail: problems.join('; ') } : { restored: true };
  }
}

export const kea: Driver = {
  platform: PLATFORM,
  capabilities: {
    transport: 'http-api',
    nativeCommitConfirm: false,
    validatesOnDevice: true,
    readOnly: true,
    manages: ['Kea DHCPv4 configuration', 'Kea DHCPv6 configuration'],
  },
  render: (intent) => renderKeaCandidate(intent),
  diff: (candidate, actual) => keaDiff(candidate, actual),
  open: (transport, ctx) => new KeaSession(http(transport), ctx),
  openReadOnly: (transport, ctx) => new KeaReader(http(transport), ctx),
};
