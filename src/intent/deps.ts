import type { Finding } from '../model/finding';
import type { Inventory } from '../model/inventory';
import type { Prefix } from '../net';
import type { IntentZone, NftDeviceInput } from './types';

/**
 * What the intent builder needs from the domain modules, as an interface, so tests can substitute pieces and the
 * builder never reaches into a module's internals.
 */
export interface KpsRouting {
  announce: Prefix[];
  accept: Prefix[];
  maxPrefixIn: number;
  maxPrefixOut: number;
  allowDefaultRoute: boolean;
}

export interface IntentDeps {
  /** An organisation's own addresses in a zone (src/ipv6). */
  addressesInZone(inv: Inventory, orgId: string, zone: IntentZone): Prefix[];
  /** What a CE announces in a zone: its organisation's and its samenwerkingsverband members' addresses (src/diginetwerk). */
  ceAnnouncements(inv: Inventory, orgId: string, zone: IntentZone): Prefix[];
  /** Announce/accept towards the KPS (src/diginetwerk). */
  kpsRoutingPolicy(inv: Inventory): KpsRouting;
  /**
   * Compiles the nftables ruleset of one device; called once per device after `prepareNftables` (src/zones).
   * Returns the ruleset text.
   */
  prepareNftables(inv: Inventory): { compile: (input: NftDeviceInput) => string; findings: Finding[] };
}

/** The real domain modules. Loaded lazily so that a missing optional module shows as a finding, not a crash. */
export function defaultDeps(): IntentDeps {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ipv6 = require('../ipv6/addresses') as typeof import('../ipv6/addresses');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const digi = require('../diginetwerk') as {
    ceAnnouncements: IntentDeps['ceAnnouncements'];
    kpsRoutingPolicy: IntentDeps['kpsRoutingPolicy'];
  };
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const zones = require('../zones') as {
    buildPolicy(inv: Inventory): { policy: unknown; findings: Finding[] };
    nftablesForDevice(policy: unknown, input: NftDeviceInput): string;
  };
  return {
    addressesInZone: (inv, orgId, zone) => ipv6.addressesInZone(inv, orgId, zone),
    ceAnnouncements: (inv, orgId, zone) => digi.ceAnnouncements(inv, orgId, zone),
    kpsRoutingPolicy: (inv) => digi.kpsRoutingPolicy(inv),
    prepareNftables: (inv) => {
      const { policy, findings } = zones.buildPolicy(inv);
      return { compile: (input) => zones.nftablesForDevice(policy, input), findings };
    },
  };
}
