import * as fs from 'node:fs';
import * as path from 'node:path';
import type { SecretRef } from '../model/schema';

export class SecretError extends Error {}

/**
 * Reads a secret named by the inventory: from the environment, or from a file that only its owner may read
 * (a group- or world-readable secret file is refused, as ssh does for keys). Values are never logged.
 */
export function readSecret(ref: SecretRef, env: NodeJS.ProcessEnv = process.env, baseDir = process.cwd()): string {
  if ('env' in ref) {
    const v = env[ref.env];
    if (v === undefined || v === '') throw new SecretError(`the environment variable ${ref.env} is not set`);
    return v;
  }
  const file = path.resolve(baseDir, ref.file);
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch {
    throw new SecretError(`the secret file ${ref.file} does not exist`);
  }
  if ((st.mode & 0o077) !== 0) throw new SecretError(`the secret file ${ref.file} is readable by others (mode ${(st.mode & 0o777).toString(8)}); chmod 600 it`);
  return fs.readFileSync(file, 'utf8').replace(/\r?\n$/, '');
}

/** The same, as null instead of an error (for renderers that report the missing secret themselves). */
export function trySecret(ref: SecretRef, env: NodeJS.ProcessEnv = process.env, baseDir = process.cwd()): string | null {
  try {
    return readSecret(ref, env, baseDir);
  } catch {
    return null;
  }
}
