/**
 * Comparing Kea's running configuration (`config-get`) with the candidate. Kea answers with its defaults filled in
 * (dozens of keys the candidate never sets), so the actual document is first projected onto the candidate's shape:
 * objects keep only the keys the candidate declares; arrays keep every element, so an extra subnet, pool, option or
 * hook library is a difference. The candidate declares every list ggi manages (subnets, pools, options, shared
 * networks, hook libraries), so anything added to them is drift; a changed default that ggi does not set is not seen.
 * Pure.
 */
import type { Json, KeaCandidate, KeaService } from './render';

/** `actual` restricted to the keys `desired` declares (recursively); arrays keep their extra elements. */
export function project(desired: Json, actual: Json | undefined): Json | undefined {
  if (actual === undefined) return undefined;
  if (Array.isArray(desired) && Array.isArray(actual)) {
    return actual.map((a, i) => (i < desired.length ? project(desired[i], a) ?? null : a));
  }
  if (isObject(desired) && isObject(actual)) {
    const out: { [k: string]: Json } = {};
    for (const k of Object.keys(desired)) {
      const p = project(desired[k], actual[k]);
      if (p !== undefined) out[k] = p;
    }
    return out;
  }
  return actual;
}

/** Stable JSON text: keys sorted, two-space indent, one trailing newline (diffs line up across runs). */
export function canonicalJson(v: Json | undefined): string {
  return `${JSON.stringify(sortKeys(v ?? null), null, 2)}\n`;
}

function sortKeys(v: Json): Json {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (isObject(v)) {
    const out: { [k: string]: Json } = {};
    for (const k of Object.keys(v).sort()) out[k] = sortKeys(v[k]);
    return out;
  }
  return v;
}

/** The running configuration per service as read from the appliance (null: the service did not answer with one). */
export type KeaActual = Record<KeaService, Json | null>;

export interface KeaServiceDiff {
  service: KeaService;
  /** Canonical text of the projected running configuration ('' when there is none). */
  actualText: string;
  desiredText: string;
  /** JSON paths that differ, e.g. `Dhcp4.subnet4[0].pools[0].pool: "203.0.113.66-203.0.113.69" -> "203.0.113.70-…"`. */
  differences: string[];
}

export function diffKea(candidate: KeaCandidate, actual: KeaActual): KeaServiceDiff[] {
  return (['dhcp4', 'dhcp6'] as const).map((service) => {
    const desired = candidate[service] as unknown as Json;
    const running = actual[service];
    const projected = running === null ? undefined : project(desired, running);
    const differences: string[] = [];
    if (projected === undefined) differences.push(`${service}: no running configuration`);
    else walk(desired, projected, '', differences);
    return { service, actualText: projected === undefined ? '' : canonicalJson(projected), desiredText: canonicalJson(desired), differences };
  });
}

function walk(desired: Json | undefined, actual: Json | undefined, at: string, out: string[]): void {
  if (Array.isArray(desired) && Array.isArray(actual)) {
    const n = Math.max(desired.length, actual.length);
    for (let i = 0; i < n; i++) walk(desired[i], actual[i], `${at}[${i}]`, out);
    return;
  }
  if (isObject(desired) && isObject(actual)) {
    for (const k of Object.keys(desired)) walk(desired[k], actual[k], at ? `${at}.${k}` : k, out);
    return;
  }
  if (desired === undefined) out.push(`${at}: not declared, present on the device: ${short(actual)}`);
  else if (actual === undefined) out.push(`${at}: missing on the device (want ${short(desired)})`);
  else if (JSON.stringify(sortKeys(desired)) !== JSON.stringify(sortKeys(actual))) out.push(`${at}: ${short(actual)} -> ${short(desired)}`);
}

function short(v: Json | undefined): string {
  const t = JSON.stringify(v);
  return t === undefined ? 'nothing' : t.length > 80 ? `${t.slice(0, 80)}…` : t;
}

function isObject(v: Json | undefined): v is { [k: string]: Json } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
