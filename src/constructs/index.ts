export { ConstructValidationError, isConstructValidationError } from './errors';
export { DEFAULT_PARAMETER_PREFIX, parameterNames, ZONES, type BackendSettings, type Zone } from './names';
export { allocateTunnels, AWS_RESERVED_TUNNEL_CIDRS, AWS_TUNNEL_RANGE, type TunnelPair, type TunnelPlan, type TunnelRequest } from './tunnels';
export { createApp, createStack, dependsOn, mergeSynthParts, synthApp, synthPart, type GgiApp, type GgiStack } from './app';
export { GgiHub, HubLookup, type GgiHubProps, type HubRefs } from './hub';
export { ConnectionPoint, type ConnectionPointProps } from './connection-point';
export { MarketSupplier, type MarketSupplierProps } from './market-supplier';
export { Ipv6Plan, Ipv6OrganisationPool, IpamLookup, type Ipv6PlanProps, type Ipv6OrganisationPoolProps } from './ipv6-plan';
export { ZonePolicy, compileZonePolicy, suricataRule, fiveTupleRule, type FlatRule, type ZonePolicyProps, type CompiledPolicy, type RuleFormat } from './zone-policy';
