/** src/zones: zones, the policy model, exact packet-space analysis, reachability, differential reachability, nftables. */
export * from './types';
export { buildPolicy, describeSelector, formatPorts } from './model';
export { query, queryBatch, queryParsed, parsePacket, rulesVerdict, structuralDenial, PacketError, type ParsedPacket } from './query';
export { analyseRules, checkGuardrails, checkPolicy, lintPolicy, type ExamplePacket, type GuardrailViolation, type RuleAnalysis } from './lint';
