/**
 * GGI-Veilig coverage: is every connection point and every border seen at the SOC? From what the SOC received (flow
 * records per exporter address, log lines per device) and the inventory, one row per declared point: flow records,
 * dropped-packet logs, detection events, when each was last seen, and whether the point is dark (no flow record in
 * the window) or exempt (veilig.yaml `exemptions`). Pure; the files are read by the command (src/cli/commands/veilig.ts).
 *
 * Who sent what: a flow record belongs to the device whose management address its exporter sent from (the devices
 * export over the management network, src/veilig/checks.ts); a log line names its device in `dvc` (ulogd2's JSON
 * output `device=` option) and its kind in `oob.prefix` (src/veilig/nflog.ts).
 */
import type { Inventory } from '../model/inventory';
import type { FlowView } from './nfcapd';
import { parseLogPrefix } from './nflog';

const BORDER_ROLES: ReadonlySet<string> = new Set(['border-overheid', 'border-markt']);

/** What arrived from one exporter address (flows) or one device (logs). */
export interface FlowTally {
  records: number;
  /** Milliseconds since the epoch of the latest flow end; 0 when none. */
  last: number;
}

export interface LogTally {
  drops: number;
  lastDrop: number;
  detections: number;
  lastDetection: number;
  /** Detection events per rule id. */
  rules: Record<string, number>;
}

/** Everything the SOC received in the window, keyed as it arrived. */
export interface SocObservations {
  /** By the exporter's source address (as nfcapd recorded it). */
  readonly flows: ReadonlyMap<string, FlowTally>;
  /** By `dvc`, the device id the device's log daemon puts in every line. */
  readonly logs: ReadonlyMap<string, LogTally>;
  /** Log lines that are not ggi's (no JSON, no device, no ggi prefix, no time): counted, never attributed. */
  readonly ignoredLines: number;
}

export type PointKind = 'connection-point' | 'border';

export interface CoveragePoint {
  /** The point's (first) device: a connection point's CE, or the border router. */
  readonly id: string;
  readonly kind: PointKind;
  /** The organisation of a connection point; null for a border. */
  readonly organisation: string | null;
  readonly role: string;
  /** Every device of the point (a CE pair has two); the point is seen when any of them is. */
  readonly devices: ReadonlyArray<{ id: string; address: string; flows: number; lastFlow: string | null }>;
  readonly flows: number;
  readonly drops: number;
  readonly detections: number;
  readonly rules: Readonly<Record<string, number>>;
  readonly lastFlow: string | null;
  readonly lastDrop: string | null;
  readonly lastDetection: string | null;
  /** The latest of the three. */
  readonly lastSeen: string | null;
  /** No flow record in the window and not exempt. */
  readonly dark: boolean;
  /** A valid exemption (veilig.yaml): shown, never dark. */
  readonly exempt: { reason: string; expires: string } | null;
}

export interface CoverageReport {
  readonly ok: boolean;
  readonly since: string | null;
  readonly points: CoveragePoint[];
  /** Exporter addresses that sent flows but are no point's device (a device ggi does not know, or a wrong source). */
  readonly unknownExporters: Array<{ address: string; flows: number }>;
  /** Devices that sent log lines but are no point's device. */
  readonly unknownDevices: Array<{ device: string; lines: number }>;
  readonly ignoredLines: number;
}

const iso = (ms: number): string | null => (ms > 0 ? new Date(ms).toISOString() : null);

/** Accumulates flow records per exporter address; hand `exporter` and `visit` to readFlowFile for each file. */
export class FlowCounter {
  readonly byAddress = new Map<string, FlowTally>();
  private sysids = new Map<number, string>();

  /** @param sinceMs only records that ended at or after this time (0: all). */
  constructor(private readonly sinceMs = 0) {}

  /** Starts a file: nfcapd's exporter ids are per file. */
  file(): void {
    this.sysids = new Map();
  }

  readonly exporter = (e: { sysid: number; address: string }): void => {
    this.sysids.set(e.sysid, e.address);
  };

  readonly visit = (f: FlowView): void => {
    if (f.last < this.sinceMs) return;
    const address = this.sysids.get(f.exporter) ?? `exporter-${f.exporter}`;
    const t = this.byAddress.get(address);
    if (t) {
      t.records++;
      if (f.last > t.last) t.last = f.last;
    } else this.byAddress.set(address, { records: 1, last: f.last });
  };
}

/**
 * The time of a ulogd2 JSON line: `timestamp` (local time with a numeric offset, e.g. 2026-12-06T16:10:00.123456+0100)
 * or else `oob.time.sec`/`oob.time.usec`. NaN when it has neither.
 */
export function logLineTime(o: Record<string, unknown>): number {
  const ts = o.timestamp;
  if (typeof ts === 'string') {
    const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:?\d\d)$/.exec(ts);
    if (m) {
      const zone = m[3] === 'Z' ? 'Z' : `${m[3].slice(0, 3)}:${m[3].slice(-2)}`;
      const ms = Date.parse(`${m[1]}${zone}`);
      if (!Number.isNaN(ms)) return ms + (m[2] ? Math.floor(Number(`0.${m[2]}`) * 1000) : 0);
    }
  }
  const sec = o['oob.time.sec'];
  if (typeof sec === 'number' && sec > 0) {
    const usec = o['oob.time.usec'];
    return sec * 1000 + (typeof usec === 'number' ? Math.floor(usec / 1000) : 0);
  }
  return Number.NaN;
}

/** Tallies ulogd2 JSON lines (one object per line) per device: drops and detections in the window. */
export function tallyLogLines(text: string, sinceMs: number, into: Map<string, LogTally> = new Map()): { logs: Map<string, LogTally>; ignored: number } {
  let ignored = 0;
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let o: unknown;
    try {
      o = JSON.parse(line);
    } catch {
      ignored++;
      continue;
    }
    if (typeof o !== 'object' || o === null || Array.isArray(o)) {
      ignored++;
      continue;
    }
    const rec = o as Record<string, unknown>;
    const dvc = rec.dvc;
    const prefix = rec['oob.prefix'];
    const kind = typeof prefix === 'string' ? parseLogPrefix(prefix) : null;
    const at = logLineTime(rec);
    if (typeof dvc !== 'string' || !dvc || !kind || Number.isNaN(at)) {
      ignored++;
      continue;
    }
    if (at < sinceMs) continue;
    let t = into.get(dvc);
    if (!t) {
      t = { drops: 0, lastDrop: 0, detections: 0, lastDetection: 0, rules: {} };
      into.set(dvc, t);
    }
    if (kind.kind === 'drop') {
      t.drops++;
      t.lastDrop = Math.max(t.lastDrop, at);
    } else {
      t.detections++;
      t.lastDetection = Math.max(t.lastDetection, at);
      t.rules[kind.ruleId] = (t.rules[kind.ruleId] ?? 0) + 1;
    }
  }
  return { logs: into, ignored };
}

interface DeclaredPoint {
  id: string;
  kind: PointKind;
  organisation: string | null;
  role: string;
  devices: string[];
}

/** Every declared point: each organisation's connection point (its CE or CE pair) and each border router. */
export function declaredPoints(inv: Inventory): DeclaredPoint[] {
  const roles = new Map(inv.devices.map((d) => [d.id, d.role]));
  const out: DeclaredPoint[] = [];
  for (const o of [...inv.organisations].sort((a, b) => cmp(a.id, b.id))) {
    const cp = o.connectionPoint;
    if (!cp) continue;
    out.push({ id: cp.device, kind: 'connection-point', organisation: o.id, role: roles.get(cp.device) ?? 'ce', devices: [cp.device, ...(cp.secondDevice ? [cp.secondDevice] : [])] });
  }
  const seen = new Set<string>();
  for (const d of [...inv.devices].sort((a, b) => cmp(a.id, b.id))) {
    if (!BORDER_ROLES.has(d.role) || seen.has(d.id)) continue;
    seen.add(d.id);
    out.push({ id: d.id, kind: 'border', organisation: null, role: d.role, devices: [d.id] });
  }
  return out;
}

/** The coverage of every declared point. `now` decides which exemptions still hold. */
export function coverage(inv: Inventory, seen: SocObservations, opts: { since: string | null; now: Date }): CoverageReport {
  const today = opts.now.toISOString().slice(0, 10);
  const address = new Map(inv.devices.map((d) => [d.id, d.management.address]));
  const exemptions = (inv.veilig?.exemptions ?? []).filter((e) => e.expires >= today);
  const usedAddresses = new Set<string>();
  const usedDevices = new Set<string>();
  const points: CoveragePoint[] = declaredPoints(inv).map((p) => {
    const devices = p.devices.map((id) => {
      const a = address.get(id) ?? '';
      usedAddresses.add(a);
      usedDevices.add(id);
      const f = seen.flows.get(a);
      return { id, address: a, flows: f?.records ?? 0, lastFlow: iso(f?.last ?? 0) };
    });
    let flows = 0;
    let lastFlow = 0;
    let drops = 0;
    let lastDrop = 0;
    let detections = 0;
    let lastDetection = 0;
    const rules: Record<string, number> = {};
    for (const id of p.devices) {
      const f = seen.flows.get(address.get(id) ?? '');
      if (f) {
        flows += f.records;
        lastFlow = Math.max(lastFlow, f.last);
      }
      const l = seen.logs.get(id);
      if (l) {
        drops += l.drops;
        lastDrop = Math.max(lastDrop, l.lastDrop);
        detections += l.detections;
        lastDetection = Math.max(lastDetection, l.lastDetection);
        for (const [r, n] of Object.entries(l.rules)) rules[r] = (rules[r] ?? 0) + n;
      }
    }
    const ex = exemptions.find((e) => (e.device !== undefined && p.devices.includes(e.device)) || (e.organisation !== undefined && e.organisation === p.organisation));
    const exempt = ex ? { reason: ex.reason, expires: ex.expires } : null;
    return {
      id: p.id,
      kind: p.kind,
      organisation: p.organisation,
      role: p.role,
      devices,
      flows,
      drops,
      detections,
      rules: Object.fromEntries(Object.entries(rules).sort(([a], [b]) => cmp(a, b))),
      lastFlow: iso(lastFlow),
      lastDrop: iso(lastDrop),
      lastDetection: iso(lastDetection),
      lastSeen: iso(Math.max(lastFlow, lastDrop, lastDetection)),
      dark: flows === 0 && !exempt,
      exempt,
    };
  });
  const unknownExporters = [...seen.flows]
    .filter(([a]) => !usedAddresses.has(a))
    .map(([a, t]) => ({ address: a, flows: t.records }))
    .sort((x, y) => cmp(x.address, y.address));
  const unknownDevices = [...seen.logs]
    .filter(([d]) => !usedDevices.has(d))
    .map(([d, t]) => ({ device: d, lines: t.drops + t.detections }))
    .sort((x, y) => cmp(x.device, y.device));
  return { ok: points.every((p) => !p.dark), since: opts.since, points, unknownExporters, unknownDevices, ignoredLines: seen.ignoredLines };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
