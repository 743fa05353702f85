import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DeviceLayout } from '../devices/contract';
import type { DeviceIntent } from '../intent/types';
import type { SecretRef } from '../model/schema';
import { writeFileAtomic } from '../util/atomic';
import { makeDirectory } from '../util/directory';

/**
 * Where and how to reach each device: from the inventory (management address, pinned key, key reference) or from a
 * named target such as the lab built by `ggi lab up`.
 */
export interface DeviceTarget {
  id: string;
  host: string;
  port: number;
  user: string;
  /** Pinned `SHA256:…`; undefined: not yet known (onboarding). */
  hostKey?: string;
  /** The controller's key; null: none configured (the device is reported, not contacted). */
  privateKey: SecretRef | null;
  /** API appliances: the password of `user` (basic authentication), read at connect time. */
  password?: SecretRef;
  /** ggi's folder on the device, and (in the lab) the pathspace that keeps its files apart from other devices'. */
  layout: DeviceLayout;
}

/** The lock TTL when nothing else is said: longer than any apply's confirm timeout. */
export const DEFAULT_LOCK_TTL_S = 900;

/** The shape of the lab target (`.ggi-state/lab/target.json`) that this module reads; written by src/lab. */
export interface LabTargetLike {
  stateDir: string;
  devices: Array<{ id: string; address: string; port: number; user: string; hostKey: string; privateKey: string; pathspace: string; stateDir?: string }>;
  /** Appliances reached through an HTTP API. */
  apis?: Array<{ id: string; address: string; port: number; user: string; passwordFile: string; pathspace: string }>;
}

/**
 * Lab devices share this machine's file system, so each keeps its files apart by pathspace (its namespace name) and
 * ggi's state in its own runtime folder (named by the lab), which `ggi lab down` removes.
 */
export function labTargets(lab: LabTargetLike): Map<string, DeviceTarget> {
  const out = new Map<string, DeviceTarget>();
  for (const d of lab.devices) {
    const stateDir = d.stateDir ?? path.join(lab.stateDir, 'device-state', d.id);
    out.set(d.id, { id: d.id, host: d.address, port: d.port, user: d.user, hostKey: d.hostKey, privateKey: { file: d.privateKey }, layout: { stateDir, lockTtlS: DEFAULT_LOCK_TTL_S, pathspace: d.pathspace } });
  }
  for (const a of lab.apis ?? []) {
    const stateDir = path.join(lab.stateDir, 'device-state', a.id);
    out.set(a.id, { id: a.id, host: a.address, port: a.port, user: a.user, privateKey: null, password: { file: a.passwordFile }, layout: { stateDir, lockTtlS: DEFAULT_LOCK_TTL_S, pathspace: a.pathspace } });
  }
  return out;
}

/**
 * The inventory's own management data. A device without a `privateKey` reference uses GGI_SSH_KEY_FILE (a key
 * file) or GGI_SSH_KEY (the key text) from the environment; a device without a pinned key uses the one recorded by
 * an earlier `apply --accept-new` in the state folder.
 */
export function inventoryTargets(intents: readonly DeviceIntent[], env: NodeJS.ProcessEnv, known: Record<string, string>): Map<string, DeviceTarget> {
  const fallback: SecretRef | null = env.GGI_SSH_KEY_FILE ? { file: env.GGI_SSH_KEY_FILE } : env.GGI_SSH_KEY ? { env: 'GGI_SSH_KEY' } : null;
  const out = new Map<string, DeviceTarget>();
  for (const i of intents) {
    const m = i.management;
    out.set(i.id, { id: i.id, host: m.address, port: m.port, user: m.user, hostKey: m.hostKey ?? known[i.id], privateKey: m.privateKey ?? fallback, ...(m.password ? { password: m.password } : {}), layout: { stateDir: '/var/lib/ggi', lockTtlS: DEFAULT_LOCK_TTL_S, pathspace: null } });
  }
  return out;
}

const KNOWN = 'known-hosts.json';

/** Host keys accepted with `--accept-new`, by device id (pin them in the inventory; until then they are used from here). */
export function readKnownHosts(stateDir: string): Record<string, string> {
  try {
    const v = JSON.parse(fs.readFileSync(path.join(stateDir, KNOWN), 'utf8')) as unknown;
    return v && typeof v === 'object' ? (v as Record<string, string>) : {};
  } catch {
    return {};
  }
}

export function recordKnownHosts(stateDir: string, add: Record<string, string>): void {
  if (Object.keys(add).length === 0) return;
  makeDirectory(stateDir);
  const all = { ...readKnownHosts(stateDir), ...add };
  const sorted: Record<string, string> = {};
  for (const k of Object.keys(all).sort()) sorted[k] = all[k];
  writeFileAtomic(path.join(stateDir, KNOWN), JSON.stringify(sorted, null, 2) + '\n', 0o644);
}
