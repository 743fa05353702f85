/** src/intent: one DeviceIntent (plain data) per device, built from the inventory and the domain modules. */
export * from './types';
export { buildIntents, type BuildIntentsOptions, type BuildIntentsResult } from './build';
export { defaultDeps, type IntentDeps, type KpsRouting } from './deps';
export { allocateTransfers, linkKey, type TransferNet } from './transfer';
export { ifName, IFNAMSIZ } from './names';
