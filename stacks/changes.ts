import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Inventory } from '../src/model/inventory';
import { diffSynthOutputs, type StackChanges } from './diff';
import { synthesizeParallel } from './main';

/**
 * For `ggi plan`: which cloud stacks the inventory would change, against the last synthesized output (`ggi synth`
 * writes it; it is what the Terraform runs were made from). Null when there is no baseline to compare with.
 */
export async function cloudChanges(inv: Inventory, baselineDir: string): Promise<StackChanges | null> {
  if (!fs.existsSync(path.join(baselineDir, 'manifest.json'))) return null;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ggi-plan-synth-'));
  try {
    await synthesizeParallel(inv, tmp);
    return diffSynthOutputs(baselineDir, tmp);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
