/** src/lab: the lab primitives (namespaces, links, sshd, FRR, listeners, probes) driven by a plain-data LabSpec. */
export { localRunner, CommandError, formatCommand, inNetns, type Runner, type RunOptions, type RunResult, type StartOptions } from './exec';
export {
  validateSpec,
  resolveNode,
  namespaceFor,
  mgmtHostIfname,
  bridgeName,
  bridgeAddress,
  MGMT_IFNAME,
  LAB_RANGES,
  type LabSpec,
  type LabNode,
  type LabLink,
  type LabEndpoint,
  type LabMgmt,
  type LabRoute,
  type LabService,
  type NodeKind,
  type ResolvedNode,
} from './spec';
export { frrPaths, frrCommands, FRR_DAEMONS, type FrrPaths, type FrrCommands } from './frr';
export { sshFingerprint, renderSshdConfig } from './sshd';
export {
  labUp,
  labDown,
  labStatus,
  labStatusDocument,
  execInNode,
  sshArgv,
  findNode,
  missingListeners,
  mapLimit,
  LabError,
  type LabUpOptions,
  type LabProgress,
  type ProgressFn,
  type LabDownReport,
  type LabTarget,
  type LabStatus,
  type LabStatusDocument,
} from './lab';
export { readState, stateFilePath, STATE_FILE, type LabState, type NodeState, type SshdState, type FrrState, type InterfaceState, type ProcessRecord, type LabPhase } from './state';
export { probeTcp, probeUdp, probeIcmp } from './probe';
