import type { Prefix } from './prefix';

/**
 * A prefix parsed from a record's text, kept on the record itself as a hidden property (not enumerable: spreads, JSON,
 * `Object.keys` and deep equality never see it), so that a record read once has its prefix parsed once: the ledger's
 * schema check parses every entry's prefix, and the IPv6 checks and allocation use that parse. Frozen records keep it
 * in a weak map. The text is kept too: a record whose text changed is parsed again.
 */
export interface KeptPrefix {
  readonly text: string;
  readonly p: Prefix;
  /** The text is the prefix exactly (no host bits set): strict parsing accepts it. */
  readonly exact: boolean;
}

const KEPT = Symbol('ggi.keptPrefix');
const frozen = new WeakMap<object, KeptPrefix>();

export function keepPrefix(holder: object, text: string, p: Prefix, exact: boolean): KeptPrefix {
  const kept: KeptPrefix = { text, p, exact };
  if (Object.hasOwn(holder, KEPT) ? Object.isFrozen(holder) : !Object.isExtensible(holder)) frozen.set(holder, kept);
  else if (Object.hasOwn(holder, KEPT)) (holder as { [KEPT]: KeptPrefix })[KEPT] = kept;
  else Object.defineProperty(holder, KEPT, { value: kept, enumerable: false, writable: true });
  return kept;
}

/** The prefix kept for `text` on the record, if any. */
export function keptPrefix(holder: object, text: string): KeptPrefix | undefined {
  const own = (holder as { [KEPT]?: KeptPrefix })[KEPT];
  if (own !== undefined && own.text === text) return own;
  if (Object.isExtensible(holder)) return undefined;
  const kept = frozen.get(holder);
  return kept !== undefined && kept.text === text ? kept : undefined;
}
