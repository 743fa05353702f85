import { openOutputFolder } from '../src/util/output-folder';
import { type InventorySynthOptions, type InventorySynthResult, synthInventory } from './main';

/**
 * `synthInventory` into an output folder of its own (src/util/output-folder), as `ggi synth` and `cdktf synth` run
 * it: the folder is checked first (a folder holding files ggi did not write, the inventory, the repository: refused
 * with OutputFolderError, nothing touched); cdktf writes into a staging folder inside it once the gate passed; the
 * files are then moved into place one rename each, and only files the previous synth wrote are deleted.
 */
export async function synthIntoFolder(inventory: string, out: string, cwd: string, opts: InventorySynthOptions = {}): Promise<InventorySynthResult> {
  const folder = openOutputFolder(out, { command: 'synth', shown: out, cwd, inventory });
  let staged = false;
  try {
    const res = await synthInventory(inventory, () => {
      staged = true;
      return folder.stage();
    }, opts);
    if (res.ok) folder.installStaged();
    else if (staged) folder.discardStaged();
    return res;
  } catch (e) {
    if (staged) folder.discardStaged();
    throw e;
  }
}
