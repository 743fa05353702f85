import * as fs from 'node:fs';
import * as path from 'node:path';

/** Which stacks differ between two synth outputs (for `ggi plan`: "for the cloud side, which stacks change"). */
export interface StackChanges {
  added: string[];
  removed: string[];
  changed: string[];
  unchanged: string[];
}

function stackFiles(outDir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const dir = path.join(outDir, 'stacks');
  if (!fs.existsSync(dir)) return out;
  for (const name of fs.readdirSync(dir).sort()) {
    const f = path.join(dir, name, 'cdk.tf.json');
    if (fs.existsSync(f)) out.set(name, fs.readFileSync(f));
  }
  return out;
}

/** Compares the synthesized Terraform JSON of every stack, byte for byte (synthesis is deterministic). */
export function diffSynthOutputs(beforeDir: string, afterDir: string): StackChanges {
  const a = stackFiles(beforeDir);
  const b = stackFiles(afterDir);
  const res: StackChanges = { added: [], removed: [], changed: [], unchanged: [] };
  for (const [name, bytes] of b) {
    const old = a.get(name);
    if (!old) res.added.push(name);
    else if (old.equals(bytes)) res.unchanged.push(name);
    else res.changed.push(name);
  }
  for (const name of a.keys()) if (!b.has(name)) res.removed.push(name);
  return res;
}
