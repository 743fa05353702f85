/**
 * Comparing Kea's running configuration (`config-get`) with the candidate. Kea answers with its defaults filled in
 * (dozens of keys the candidate never sets), so the running document is first projected onto the candidate's shape:
 * objects keep only the keys the candidate declares; arrays keep every element, so an extra subnet, pool, option,
 * reservation or shared network is a difference. The candidate declares every list ggi manages, so anything added to
 * them by hand is drift; a changed default that ggi does not set is not seen (see docs/kea.md). Pure.
 */
import type { ActualState, Candidate, DocumentDiff } from '../contract';
import { poolRange, type Json, type JsonObject } from './render';

/** `actual` restricted to the keys `desired` declares (recursively); arrays keep their extra elements. */
export function project(desired: Json, actual: Json | undefined): Json | undefined {
  if (actual === undefined) return undefined;
  if (Array.isArray(desired) && Array.isArray(actual)) {
    return actual.map((a, i) => (i < desired.length ? (project(desired[i], a) ?? null) : a));
  }
  if (isObject(desired) && isObject(actual)) {
    const out: JsonObject = {};
    for (const k of Object.keys(desired)) {
      let p = project(desired[k], actual[k]);
      // Kea may print a pool range as a prefix (or the other way round): the same addresses are the same pool.
      if (k === 'pool' && typeof p === 'string' && typeof desired[k] === 'string' && samePool(desired[k] as string, p)) p = desired[k];
      if (p !== undefined) out[k] = p;
    }
    return out;
  }
  return actual;
}

function samePool(a: string, b: string): boolean {
  const x = poolRange(a);
  const y = poolRange(b);
  return x !== null && y !== null && x[0] === y[0] && x[1] === y[1];
}

/** Stable JSON text: keys sorted, two-space indent, one trailing newline (so diffs line up across runs). */
export function canonicalJson(v: Json | undefined): string {
  return `${JSON.stringify(sortKeys(v ?? null), null, 2)}\n`;
}

function sortKeys(v: Json): Json {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (isObject(v)) {
    const out: JsonObject = {};
    for (const k of Object.keys(v).sort()) out[k] = sortKeys(v[k]);
    return out;
  }
  return v;
}

/**
 * The differences between two documents as lines a person can read, from what the device has to what apply makes:
 * `Dhcp4.subnet4[0].pools[0].pool: "203.0.113.66-203.0.113.69" -> "203.0.113.66-203.0.113.68"`.
 */
export function jsonDifferences(actual: Json | undefined, desired: Json | undefined, at = ''): string[] {
  const out: string[] = [];
  if (Array.isArray(desired) && Array.isArray(actual)) {
    for (let i = 0; i < Math.max(desired.length, actual.length); i++) out.push(...jsonDifferences(actual[i], desired[i], `${at}[${i}]`));
    return out;
  }
  if (isObject(desired) && isObject(actual)) {
    const keys = [...new Set([...Object.keys(actual), ...Object.keys(desired)])].sort();
    for (const k of keys) out.push(...jsonDifferences(actual[k], desired[k], at ? `${at}.${k}` : k));
    return out;
  }
  if (desired === undefined && actual === undefined) return out;
  if (desired === undefined) out.push(`${at}: remove ${short(actual)}`);
  else if (actual === undefined) out.push(`${at}: add ${short(desired)}`);
  else if (JSON.stringify(sortKeys(desired)) !== JSON.stringify(sortKeys(actual))) out.push(`${at}: ${short(actual)} -> ${short(desired)}`);
  return out;
}

/**
 * `Driver.diff` for Kea: each candidate document against the device's, as a short header and one line per changed
 * JSON path (a document is one JSON value, so paths say more than a line diff of pretty-printed JSON would).
 */
export function keaDiff(candidate: Candidate, actual: ActualState): DocumentDiff[] {
  const out: DocumentDiff[] = [];
  for (const d of candidate.documents) {
    const a = actual.documents.find((x) => x.name === d.name);
    const location = a?.location ?? d.name;
    if (a && a.content === d.content) continue;
    if (!a || a.content === null) {
      out.push({ path: location, diff: `--- ${location} (no running configuration)\n+++ ${location} (candidate)\n+ the whole ${d.name} configuration\n` });
      continue;
    }
    const lines = jsonDifferences(parse(a.content), parse(d.content));
    out.push({ path: location, diff: `--- ${location} (running)\n+++ ${location} (candidate)\n${(lines.length ? lines : ['(formatting only)']).map((l) => `~ ${l}`).join('\n')}\n` });
  }
  for (const a of actual.documents) {
    if (!candidate.documents.some((d) => d.name === a.name) && a.content !== null) out.push({ path: a.location, diff: `--- ${a.location} (running)\n+++ ${a.location} (not declared)\n- remove\n` });
  }
  if (actual.pendingRollback) out.push({ path: 'state:pending-rollback', diff: 'an earlier apply was never confirmed: its rollback point is restored first\n' });
  return out.sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
}

function parse(text: string): Json | undefined {
  try {
    return JSON.parse(text) as Json;
  } catch {
    return text;
  }
}

function short(v: Json | undefined): string {
  const t = JSON.stringify(v);
  return t === undefined ? 'nothing' : t.length > 100 ? `${t.slice(0, 100)}…` : t;
}

export function isObject(v: Json | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
