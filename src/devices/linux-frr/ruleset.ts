import { nftablesTable, type DeviceFilter } from '../../zones/nftables';

/**
 * The ggi.nft file of a linux-frr device. ggi owns the device's whole ruleset: the file flushes every table and then
 * declares `table inet ggi` (compiled in src/zones), all in one `nft -f` transaction, so a table someone added by hand
 * is gone after the next apply and nothing is ever half-replaced.
 */
export function renderRuleset(filter: DeviceFilter): string {
  return [
    `# ggi: nftables ruleset for ${filter.deviceId} (${filter.role}); generated from the policy, do not edit`,
    '# ggi owns the whole ruleset: any other table is removed by the next apply (and reported by ggi drift).',
    'flush ruleset',
    nftablesTable(filter),
  ].join('\n');
}
