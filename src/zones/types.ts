import type { Loc } from '../model/source';
import type { SelectorDecl } from '../model/schema';
import type { AddrSet } from './addr';

export type ZoneName = 'overheid' | 'markt';
export const ZONES: readonly ZoneName[] = ['overheid', 'markt'];

export type DeclProto = 'tcp' | 'udp' | 'icmp' | 'icmpv6' | 'any';
/** The protocol of one packet: `other` is any IP protocol besides tcp, udp and icmp/icmpv6 (e.g. GRE, ESP). */
export type PacketProto = 'tcp' | 'udp' | 'icmp' | 'icmpv6' | 'other';

/** Sorted, disjoint, non-adjacent inclusive port intervals, flat: [lo0, hi0, lo1, hi1, …]. */
export type PortSet = number[];

export interface RuleModel {
  readonly id: string;
  /** Evaluation position: first match wins. */
  readonly order: number;
  readonly action: 'allow' | 'deny';
  readonly proto: DeclProto;
  /** Null: every port (or a protocol without ports). */
  readonly ports: PortSet | null;
  readonly src: AddrSet;
  readonly dst: AddrSet;
  readonly from: SelectorDecl;
  readonly to: SelectorDecl;
  readonly owner: string;
  readonly reason: string;
  readonly expires?: string;
  readonly loc: Loc;
}

export interface GuardrailModel {
  readonly id: string;
  readonly src: AddrSet;
  readonly dst: AddrSet;
  readonly proto: DeclProto;
  readonly ports: PortSet | null;
  readonly from: SelectorDecl;
  readonly to: SelectorDecl;
  readonly reason: string;
  readonly loc: Loc;
}

export interface ZoneModel {
  readonly name: ZoneName;
  /** Every address that belongs to the zone. */
  readonly all: AddrSet;
  /** The addresses that really reach the zone: services, and organisations whose connection point joins it. */
  readonly live: AddrSet;
}

export interface OrgModel {
  readonly id: string;
  /** The organisation whose connection point carries this one's traffic (itself or its samenwerkingsverband). */
  readonly via: string | null;
  /** The zones that connection point joins. */
  readonly joins: readonly ZoneName[];
  readonly zones: Readonly<Record<ZoneName, AddrSet>>;
  /** govroam-visitor segments. */
  readonly visitor: AddrSet;
}

export interface ServiceModel {
  readonly name: string;
  readonly zone: ZoneName;
  readonly provider: string;
  readonly set: AddrSet;
}

/** The policy with every selector resolved to an exact address set. Plain data. */
export interface PolicyModel {
  readonly rules: readonly RuleModel[];
  readonly guardrails: readonly GuardrailModel[];
  readonly zones: Readonly<Record<ZoneName, ZoneModel>>;
  readonly orgs: readonly OrgModel[];
  readonly services: readonly ServiceModel[];
}

export interface Packet {
  src: string;
  dst: string;
  proto: PacketProto | 'any';
  dport?: number;
}

/**
 * allowed; denied (by a rule, the default deny, or because the zones never exchange traffic); no-route (an address in
 * no zone, or a connection point that does not join the zone); not-ggi (a flow GGI-Netwerk never carries, scope.ts).
 */
export type VerdictKind = 'allowed' | 'denied' | 'no-route' | 'not-ggi';

export interface Verdict {
  allowed: boolean;
  verdict: VerdictKind;
  rule: string | null;
  reason: string;
}
