import { ceAnnouncements, kpsRoutingPolicy } from '../diginetwerk';
import { addressesInZone } from '../ipv6/addresses';
import type { Finding } from '../model/finding';
import { buildPolicy } from '../zones/model';
import { deviceFilter, type DeviceFilter } from '../zones/nftables';
import type { Inventory } from '../model/inventory';
import type { Prefix } from '../net';
import type { IntentZone, NftDeviceInput } from './types';

/** What border-overheid announces to and accepts from the KPS (src/diginetwerk `kpsRoutingPolicy`). */
export interface KpsRouting {
  announce: Prefix[];
  accept: Prefix[];
  maxPrefixIn: number;
  maxPrefixOut: number;
  allowDefaultRoute: boolean;
}

/**
 * What the intent builder needs from the domain modules, as an interface, so tests can substitute pieces (e.g. a
 * failing policy engine) without touching the modules.
 */
export interface IntentDeps {
  /** An organisation's own addresses in a zone (src/ipv6). */
  addressesInZone(inv: Inventory, orgId: string, zone: IntentZone): Prefix[];
  /** What a CE announces in a zone: its organisation's and its samenwerkingsverband members' addresses (src/diginetwerk). */
  ceAnnouncements(inv: Inventory, orgId: string, zone: IntentZone): Prefix[];
  /** Announce/accept towards the KPS (src/diginetwerk). */
  kpsRoutingPolicy(inv: Inventory): KpsRouting;
  /**
   * Compiles the packet filter of one device (platform-neutral data; drivers render it); called once per device after
   * `prepareFilters` (src/zones).
   */
  prepareFilters(inv: Inventory): { compile: (input: NftDeviceInput) => DeviceFilter; findings: Finding[] };
}

/** The real domain modules. */
export function defaultDeps(): IntentDeps {
  return {
    addressesInZone: (inv, orgId, zone) => addressesInZone(inv, orgId, zone),
    ceAnnouncements: (inv, orgId, zone) => ceAnnouncements(inv, orgId, zone),
    kpsRoutingPolicy: (inv) => kpsRoutingPolicy(inv),
    prepareFilters: (inv) => {
      const { policy, findings } = buildPolicy(inv);
      return { compile: (input) => deviceFilter(policy, input), findings };
    },
  };
}
