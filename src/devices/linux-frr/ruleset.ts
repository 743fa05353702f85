import type { DetectionIntent } from '../../intent/types';
import { detectionTable } from '../../veilig/detection';
import { nftablesTable, type DeviceFilter } from '../../zones/nftables';

/**
 * The ggi.nft file of a linux-frr device. ggi owns the device's whole ruleset: the file flushes every table and then
 * declares `table inet ggi` (compiled in src/zones) and, on a border, `table inet ggi_veilig` (GGI-Veilig's detection
 * rules, compiled in src/veilig), all in one `nft -f` transaction, so a table someone added or removed by hand is
 * restored by the next apply and nothing is ever half-replaced.
 */
export function renderRuleset(filter: DeviceFilter, detection?: DetectionIntent): string {
  return [
    `# ggi: nftables ruleset for ${filter.deviceId} (${filter.role}); generated from the policy, do not edit`,
    '# ggi owns the whole ruleset: any other table is removed by the next apply (and reported by ggi drift).',
    'flush ruleset',
    nftablesTable(filter),
    ...(detection?.rules.length ? ['# GGI-Veilig detection: counts and logs (NFLOG) what the rules match; the policy above decides.', detectionTable(detection.rules)] : []),
  ].join('\n');
}

/**
 * The live ruleset as drift compares it: `nft -s list ruleset` (no counter values) without the elements of dynamic
 * sets. Those are the detection rules' per-source rate meters, which traffic fills and empties; everything ggi
 * declares, static set elements included, is kept.
 */
export const LIVE_RULESET_ARGV: string[] = [
  'sh',
  '-c',
  "nft -s list ruleset | awk '/^\\t[^\\t]/{d=0} /^\\t\\tflags .*dynamic/{d=1} d && /^\\t\\telements = /{s=1} !s{print} s && /}$/{s=0}'",
];
