import type { RadiusIntent } from '../govroam/intent';
import type { DeviceRole, Platform, SecretRef } from '../model/schema';
import type { DetectionIntent } from '../veilig/detection';
import type { DeviceFilter, NftDeviceInput } from '../zones/nftables';

export type { DeviceFilter, NftDeviceInput };
export type { DetectionIntent, DetectionRule } from '../veilig/detection';
import type { DhcpSubnet } from './dhcp';

/**
 * A DeviceIntent is the complete desired state of one router or appliance, as plain, platform-neutral data
 * (JSON-serialisable, no classes, no functions, no configuration text). Drivers (src/devices/<platform>) render it
 * into native configuration; the lab (src/lab) builds namespaces from it.
 */

export type IntentZone = 'overheid' | 'markt';

/** What an interface connects to; the policy engine keys its nftables chains on this. */
export type InterfaceKind = 'lan' | 'uplink' | 'downlink' | 'kps' | 'supplier' | 'mgmt' | 'peer';

export interface InterfacePeer {
  device: string;
  interface: string;
  /** The peer's addresses on the link, with prefix length (e.g. 198.18.0.0/31). */
  addresses: string[];
}

export interface InterfaceIntent {
  /** Linux interface name, at most 15 characters, stable for the life of the link. */
  name: string;
  kind: InterfaceKind;
  zone?: IntentZone;
  /** For LAN interfaces: the organisation whose segment this is (a samenwerkingsverband CE carries its members' LANs). */
  organisation?: string;
  /** For LAN interfaces: the segment name (absent when synthesised from zone prefixes). */
  segment?: string;
  /** For interfaces on a KPS peer or supplier router that front a service's prefixes. */
  service?: string;
  vlan?: number;
  /** Interface addresses with prefix length, IPv4 first then IPv6, e.g. ['198.18.0.1/31', '2001:db8:ffff::1/127']. */
  addresses: string[];
  /** The other end of a point-to-point link (absent for LAN and management interfaces). */
  peer?: InterfacePeer;
}

export interface PrefixListEntry {
  seq: number;
  action: 'permit' | 'deny';
  prefix: string;
  /** Match more-specifics up to this length (FRR `le`); absent: exact match. */
  le?: number;
}

export interface PrefixList {
  name: string;
  family: 4 | 6;
  entries: PrefixListEntry[];
}

export interface BgpNeighbor {
  /** The neighbor's address on the transfer network. */
  address: string;
  family: 4 | 6;
  remoteAsn: number;
  peerDevice: string;
  /** The local interface the session runs over. */
  interface: string;
  description: string;
  /** Prefix list (of this neighbor's family) applied inbound and outbound through route-maps. */
  prefixListIn: string;
  prefixListOut: string;
  /** Session is torn down when the neighbor sends more than this many prefixes. */
  maxPrefixIn: number;
  /**
   * Count what the in-filter drops towards maxPrefixIn too: for a peer ggi does not configure (the KPS), whose flood
   * of unwanted routes must trip the session even though none of them is accepted.
   */
  maxPrefixCountsFiltered?: boolean;
  /** At most this many prefixes are sent (FRR `maximum-prefix-out`); absent: no limit. */
  maxPrefixOut?: number;
  /**
   * eBGP only: the local ASN is prepended this many times to what is sent, so that the neighbour prefers the active
   * device of a redundant pair (a standby border, KPS peer or second CE); absent: not prepended.
   */
  prependOut?: number;
}

export interface BgpIntent {
  localAsn: number;
  routerId: string;
  /** Prefixes this device originates (`network` statements), per family; each has a blackhole static route. */
  originate: { ipv4: string[]; ipv6: string[] };
  neighbors: BgpNeighbor[];
  prefixLists: PrefixList[];
  /** BFD (RFC 5880) on every neighbor, with one timer profile: a dead peer or link is seen in intervalMs × multiplier. */
  bfd?: { profile: string; intervalMs: number; multiplier: number };
}

export interface StaticRoute {
  prefix: string;
  /** 'blackhole' anchors an aggregate in the RIB so BGP can originate it; otherwise a next-hop address. */
  via: 'blackhole' | string;
}

export interface ManagementIntent {
  address: string;
  port: number;
  user: string;
  /** Pinned host key (SHA256:…) from the inventory; absent until the device is onboarded. */
  hostKey?: string;
  privateKey?: SecretRef;
  /** API appliances: the basic-auth password of `user` (read by the reconciler's HTTP transport, never by drivers). */
  password?: SecretRef;
}

export interface DeviceIntent {
  id: string;
  role: DeviceRole;
  /** Which driver renders and pushes it (src/devices). */
  platform: Platform;
  /** false: observed only (planned and drift-checked read-only, never written), e.g. the KPS side or a supplier's own router. */
  managed: boolean;
  organisation?: string;
  management: ManagementIntent;
  interfaces: InterfaceIntent[];
  /** Absent for devices that do not route (radius). */
  bgp?: BgpIntent;
  /** A govroam RADIUS server (role radius): which part of govroam.yaml it runs (src/govroam/intent.ts). */
  radius?: RadiusIntent;
  staticRoutes: StaticRoute[];
  /** The device's whole packet filter (from the policy engine, src/zones); absent when it cannot be compiled. */
  filter?: DeviceFilter;
  /** Borders: GGI-Veilig's detection rules in force (src/veilig/detection.ts), logged by the packet filter. */
  detection?: DetectionIntent;
  /** DHCP appliances (platform kea): what they serve (src/intent/dhcp.ts). */
  dhcp?: { subnets: DhcpSubnet[] };
  /** GGI-Veilig: the flow export and packet logs this device sends to the SOC (src/intent/telemetry.ts); absent: none. */
  telemetry?: TelemetryIntent;
}

/** Where a device sends telemetry: an address on the management network and a UDP port. */
export interface TelemetryTarget {
  id: string;
  address: string;
  port: number;
}

/**
 * What a CE or border sends to the GGI-Veilig SOC (veilig.yaml): flow records of every packet it receives on a
 * forwarding interface, and one log line per packet its packet filter logs (dropped by the zone policy, or matched by
 * a detection rule). Plain data; the driver renders the exporters (src/veilig/telemetry.ts).
 */
export interface TelemetryIntent {
  flows: {
    collectors: Array<TelemetryTarget & { protocol: 'netflow-v9' | 'ipfix' }>;
    /** 1: every packet; n: one in n. */
    sampling: number;
    /** A long flow is reported at least this often (seconds). */
    activeTimeoutS: number;
    /**
     * The forwarding interfaces (not management): packets are captured where they enter the device, so a forwarded
     * packet is counted once, whichever pair of interfaces it crosses. None: nothing to export.
     */
    interfaces: string[];
    /** The device's own management address: traffic to and from it is the device's own, not GGI traffic it forwards. */
    management: string;
  };
  logs: {
    /** JSON lines over UDP, one per logged packet, with the device id as `dvc`; the first receiver gets them. */
    receivers: TelemetryTarget[];
    /** The packet-log groups read (drops and detections, src/veilig/nflog.ts). */
    groups: number[];
  };
  /** The zone policy's drops are logged to this group with this prefix, at most `perSecond` (burst `burst`); null: not logged. */
  dropLog: { group: number; prefix: string; perSecond: number; burst: number } | null;
}
