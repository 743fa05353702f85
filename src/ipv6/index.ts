/** src/ipv6: the government IPv6 numbering plan, the ledger, its store, checks and exports (DOMAIN.md §1, §5, §7). */
export {
  type NumberingPlan,
  type PlanCategory,
  type PlanBlock,
  type PlanKind,
  type PlanProblem,
  PLAN_KINDS,
  planFromSettings,
  blockOf,
  kindsSharingBlock,
  category,
  internetCategory,
  slotCapacity,
  allocationCapacity,
  slotPrefix,
  categoryPrefix,
  slotFootprint,
  locate,
} from './plan';
export {
  type LedgerData,
  type LedgerProblem,
  type LedgerChanges,
  type LedgerResult,
  type AllocationRequest,
  type ReleaseRequest,
  isActive,
  inQuarantine,
  quarantineEnd,
  occupies,
  entryPrefix,
  activeEntries,
  organisationEntries,
  heldAllocation,
  slotOf,
  allocate,
  release,
  withLedger,
} from './ledger';
export { checkIpv6 } from './checks';
export { type ActivePrefix, activePrefixes, zoneOfCategory, addressesInZone } from './addresses';
export { exportRipe, exportArpa, exportCsv, utilisationReport, type UtilisationReport, type BlockReport, type OrgInfo } from './export';
export { IPV6_CODES } from './codes';
