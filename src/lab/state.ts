/**
 * The lab's state file (`<stateDir>/lab-state.json`): every namespace, root link, directory and process the lab makes
 * is written here BEFORE it is made, so `labDown` after a crash still finds it. Written atomically (temp + rename).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../util/atomic';
import type { FrrPaths } from './frr';
import type { FaultRecord } from './fault';
import type { LabService, LabSpec, NodeKind } from './spec';
import type { LabKeaState } from './kea';

export const STATE_FILE = 'lab-state.json';
export const STATE_VERSION = 1;

export interface InterfaceState {
  readonly name: string;
  readonly addresses: readonly string[];
  /** The node at the other end of the veth (absent for lo and mgmt0). */
  readonly peer?: { readonly node: string; readonly ifname: string };
}

export interface SshdState {
  readonly address: string;
  readonly port: number;
  /** 'ssh-ed25519 AAAA…' (type and base64 blob): pin this (node-ssh/ssh2 hostVerifier compares the blob). */
  hostKey?: string;
  /** OpenSSH fingerprint of hostKey, 'SHA256:…'. */
  hostKeySha256?: string;
  readonly config: string;
  readonly pidFile: string;
  /** HOME of SSH sessions on this device (a per-device folder, also usable for the device's own state). */
  readonly home: string;
  pid?: number;
}

export interface FrrState extends FrrPaths {
  pids?: Record<string, number>;
}

export interface NodeState {
  readonly id: string;
  readonly kind: NodeKind;
  readonly namespace: string;
  readonly meta: Readonly<Record<string, string | null>>;
  /** The node's folder in the state folder (keys, sshd files, logs). */
  readonly dir: string;
  /** Management IPv4 address (no prefix length), when the node has one. */
  readonly mgmtAddress?: string;
  readonly interfaces: InterfaceState[];
  readonly sysctls: Readonly<Record<string, string>>;
  readonly listens: LabService[];
  sshd?: SshdState;
  frr?: FrrState;
  kea?: LabKeaState;
}

export interface ProcessRecord {
  readonly pid: number;
  readonly what: string;
  readonly netns: string;
}

export type LabPhase = 'building' | 'up' | 'failed';

export interface LabState {
  readonly version: number;
  readonly name: string;
  readonly stateDir: string;
  phase: LabPhase;
  readonly startedAt: string;
  readyAt?: string;
  error?: string;
  readonly bridge: { readonly name: string; readonly address: string; readonly prefix: string };
  /** Controller key pair: the private key file and the public key line put in every node's authorized_keys. */
  controllerKey?: { readonly privateKeyFile: string; readonly publicKey: string };
  /** known_hosts with every node's mgmt address and host key (for `ssh -o UserKnownHostsFile=`). */
  knownHostsFile?: string;
  readonly namespaces: string[];
  /** Links in the root namespace (the bridge and the root ends of management veths). */
  readonly rootLinks: string[];
  /** Directories outside the state folder (FRR's /etc/frr/<ns>, /var/run/frr/<ns>). */
  readonly dirs: string[];
  /** Files and folders inside the state folder that the lab made. */
  readonly files: string[];
  readonly processes: ProcessRecord[];
  readonly nodes: NodeState[];
  /** Faults injected by `ggi lab fault` and not yet undone (absent: none). */
  faults?: FaultRecord[];
  /** The spec the running lab was built or last rewired from: what `lab up` on a running lab diffs against (rewire.ts). */
  spec?: LabSpec;
}

export function stateFilePath(stateDir: string): string {
  return path.join(stateDir, STATE_FILE);
}

export function saveState(state: LabState): void {
  const file = stateFilePath(state.stateDir);
  writeFileAtomic(file, `${JSON.stringify(state, null, 2)}\n`, 0o600);
}

/** The state in stateDir, or null when there is none. A corrupt file is an error with the path in it. */
export function readState(stateDir: string): LabState | null {
  const file = stateFilePath(stateDir);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new Error(`lab state file ${file} is not valid JSON (${(e as Error).message}); remove it and run lab down again`);
  }
  const s = parsed as Partial<LabState>;
  if (typeof s !== 'object' || s === null || s.version !== STATE_VERSION || typeof s.name !== 'string' || !Array.isArray(s.namespaces)) {
    throw new Error(`lab state file ${file} has an unknown format (expected version ${STATE_VERSION})`);
  }
  return s as LabState;
}
