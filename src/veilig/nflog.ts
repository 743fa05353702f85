/**
 * How a device's packet filter hands packets to its log daemon, and how the SOC tells the kinds apart.
 *
 * nftables `log group N prefix "…"` passes the packet to NFLOG group N; ulogd2's NFLOG input reads that group and its
 * JSON output sends one line per packet to the SOC's log receiver, with the prefix as `oob.prefix` and the device id
 * as `dvc` (ulogd's JSON `device` option). The group separates what is only counted (drops) from what the SOC acts on
 * (detections); the prefix names the rule, so an event is traced to its rule without a lookup table on the device.
 */

/** Packets the zone policy drops. */
export const NFLOG_GROUP_DROP = 1;
/** Packets that match a detection rule (veilig.yaml `detection`). */
export const NFLOG_GROUP_DETECTION = 2;

export const DROP_LOG_PREFIX = 'ggi-drop';
const DETECTION_PREFIX = 'ggi-det:';

/** nftables refuses a log prefix over 127 bytes; rule ids are kebab-case and far shorter. */
export const MAX_LOG_PREFIX = 127;

export function detectionLogPrefix(ruleId: string): string {
  const prefix = `${DETECTION_PREFIX}${ruleId}`;
  if (prefix.length > MAX_LOG_PREFIX) throw new RangeError(`detection rule id '${ruleId.slice(0, 40)}…' makes a log prefix over ${MAX_LOG_PREFIX} bytes`);
  return prefix;
}

export type LogKind = { readonly kind: 'drop' } | { readonly kind: 'detection'; readonly ruleId: string };

/** The kind of a received log line's prefix (ulogd may keep a trailing space); null for a prefix ggi did not write. */
export function parseLogPrefix(prefix: string): LogKind | null {
  const p = prefix.trim();
  if (p === DROP_LOG_PREFIX) return { kind: 'drop' };
  if (p.startsWith(DETECTION_PREFIX) && p.length > DETECTION_PREFIX.length) return { kind: 'detection', ruleId: p.slice(DETECTION_PREFIX.length) };
  return null;
}
