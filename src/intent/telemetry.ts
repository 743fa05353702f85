import type { Finding } from '../model/finding';
import type { Device, Inventory } from '../model/inventory';
import { DROP_LOG_PREFIX, NFLOG_GROUP_DETECTION, NFLOG_GROUP_DROP } from '../veilig/nflog';
import type { InterfaceIntent, TelemetryIntent } from './types';

/**
 * The GGI-Veilig part of a device's intent (veilig.yaml, docs/veilig.md): every device whose role is in
 * `export.roles` and that no exemption names (by device, or by the organisation whose connection point it is) sends
 * flow records and packet logs to the SOC. Pure. An exemption past its end is reported by `validate` (which every
 * command runs first), so here every listed exemption counts.
 */

/**
 * Logged drops per second and burst per device: a flood of denied packets cannot turn into a flood of log lines (a
 * JSON line is about 600 bytes, so at most ~60 kB/s per device towards the SOC); the packets are dropped all the same.
 */
export const DROP_LOG_PER_SECOND = 100;
export const DROP_LOG_BURST = 200;

const FORWARDING: ReadonlySet<InterfaceIntent['kind']> = new Set(['lan', 'uplink', 'downlink', 'kps', 'supplier', 'peer']);

/** Log receivers the devices cannot feed (ulogd sends JSON over UDP; a TLS syslog receiver needs a relay). */
export function telemetryFindings(inv: Inventory): Finding[] {
  const v = inv.veilig;
  if (!v) return [];
  let fed = false;
  return v.soc.logReceivers.flatMap((r, i) => {
    const at = ['soc', 'logReceivers', i];
    if (r.protocol !== 'json-udp') return [inv.sources.warning('VEILIG_LOG_RECEIVER_PROTOCOL', `the devices send their packet logs as JSON over UDP only; log receiver '${r.id}' (${r.protocol}) gets none of them`, v.loc, [...at, 'protocol'])];
    if (fed) return [inv.sources.warning('VEILIG_LOG_RECEIVER_EXTRA', `the devices send their packet logs to the first JSON log receiver only; '${r.id}' gets none of them`, v.loc, at)];
    fed = true;
    return [];
  });
}

export function telemetryFor(inv: Inventory, d: Device, organisation: string | undefined, interfaces: readonly InterfaceIntent[]): TelemetryIntent | undefined {
  const v = inv.veilig;
  if (!v) return undefined;
  if (!(v.export.roles as readonly string[]).includes(d.role)) return undefined;
  if (v.exemptions.some((e) => e.device === d.id || (organisation !== undefined && d.role === 'ce' && e.organisation === organisation))) return undefined;
  const receivers = v.soc.logReceivers.filter((r) => r.protocol === 'json-udp').map((r) => ({ id: r.id, address: r.address, port: r.port }));
  return {
    flows: {
      collectors: v.soc.collectors.map((c) => ({ id: c.id, address: c.address, port: c.port, protocol: c.protocol })),
      sampling: v.export.sampling,
      activeTimeoutS: v.export.activeTimeoutS,
      interfaces: interfaces.filter((i) => FORWARDING.has(i.kind)).map((i) => i.name).sort(),
      management: d.management.address,
    },
    logs: { receivers, groups: [NFLOG_GROUP_DROP, NFLOG_GROUP_DETECTION] },
    dropLog: v.export.drops ? { group: NFLOG_GROUP_DROP, prefix: DROP_LOG_PREFIX, perSecond: DROP_LOG_PER_SECOND, burst: DROP_LOG_BURST } : null,
  };
}
