/**
 * src/zones: zones, the policy model, exact packet-space analysis, reachability, differential reachability, nftables.
 *
 * Semantics (decided):
 * - An organisation's addresses in zone Z are `addressesInZone(inv, org, Z)` (src/ipv6); a service is in its `zone`.
 *   An address in no zone is not routed in GGI-Netwerk.
 * - Selectors resolve to exact address sets: `zone: Z` = the addresses that really reach Z (organisations whose own or
 *   samenwerkingsverband's connection point joins Z, plus Z's services); `organisations` = their addresses in every
 *   zone minus their govroam-visitor segments; `services` = their prefixes; `prefixes` as given; `segments` = every
 *   organisation's segments with those purposes.
 * - Rules: first match in order, default deny, over (family, src, dst, proto, dport) for IPv4 and IPv6.
 * - The end-to-end verdict (`query`, `diffPolicies`, nftables) applies the structure first: different zones are never
 *   connected, an address in no zone is not routed, a connection point that does not join the zone carries nothing.
 *   Lint and guardrails look at the rules alone.
 * - Flows GGI-Netwerk never carries (within one party, service to service: scope.ts) get the verdict not-ggi.
 * - `proto: any` in a packet (query) means an IP protocol other than tcp, udp and icmp/icmpv6; in a Change,
 *   `other` is that class and `any` means all protocols.
 */
export * from './types';
export { buildPolicy, describeSelector, formatPorts } from './model';
export { query, queryBatch, queryParsed, parsePacket, rulesVerdict, structuralDenial, PacketError, type ParsedPacket } from './query';
export { analyseRules, checkGuardrails, checkPolicy, lintPolicy, type ExamplePacket, type GuardrailViolation, type LintOptions, type RuleAnalysis } from './lint';
export { nftablesForDevice, deviceFilter, nftablesTable, flattenRules, NftInputError, type NftDeviceInput, type DeviceFilter, type FilterRule, type FilterPair, type FilterService, type FlatRule, type NftRole, type NftInterfaceKind } from './nftables';
export { describeAddresses, diffPolicies, type Change, type ChangeExample, type DiffResult } from './diff';
export { exportCapirca, type CapircaExport } from './capirca';
export { traceParsed, tracePacket, traceTopology, type Trace, type TraceHop, type TraceTopology } from './trace';
export { describeEndpoint, endpointOf, flowIsGgi, flowScope, partyOf, type Endpoint, type FlowScope } from './scope';
