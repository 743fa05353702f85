/** src/zones: zones, the policy model, exact packet-space analysis, reachability, differential reachability, nftables. */
export * from './types';
export { buildPolicy, describeSelector, formatPorts } from './model';
export { query, queryBatch, queryParsed, parsePacket, rulesVerdict, structuralDenial, PacketError, type ParsedPacket } from './query';
export { analyseRules, checkGuardrails, checkPolicy, lintPolicy, type ExamplePacket, type GuardrailViolation, type RuleAnalysis } from './lint';
export { nftablesForDevice, flattenRules, NftInputError, type NftDeviceInput, type FlatRule, type NftRole, type NftInterfaceKind } from './nftables';
export { diffPolicies, type Change, type ChangeExample, type DiffResult } from './diff';
export { exportCapirca, type CapircaExport } from './capirca';
