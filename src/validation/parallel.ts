import type { InventorySource } from '../model/files';
import type { CheckOptions, ValidationResult } from './index';

/**
 * `validateInventory` with the files parsed and schema-checked on two threads when the inventory is large: the same
 * result, sooner. The imperative shell around the pure core (threads, file reads); `ggi validate` and the synth gate
 * use it. Kept apart from ./index, and loading it lazily, so the worker thread starts before this thread spends its
 * own start-up loading zod and the check modules.
 */
export async function validateInventoryParallel(source: InventorySource | string, opts: { profile?: string; now?: Date } & CheckOptions = {}): Promise<ValidationResult> {
  const { checkFilesInParallel } = require('../model/parallel') as typeof import('../model/parallel');
  const prepared = await checkFilesInParallel(source);
  const { validateInventory } = require('./index') as typeof import('./index');
  return validateInventory(source, { ...opts, prepared });
}
