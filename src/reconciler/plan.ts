import { createHash } from 'node:crypto';

export function sha256(text: string | null): string | null {
  return text === null ? null : createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Per-key hashes, for the journal (before/after). Keys in order. */
export function hashes(texts: Record<string, string | null>): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const k of Object.keys(texts).sort()) out[k] = sha256(texts[k]);
  return out;
}
