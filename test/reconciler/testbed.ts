import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { renderSshdConfig, sshdPaths } from '../../src/lab/sshd';
import { makeDirectory } from '../../src/util/directory';
import type { HostSpec } from '../../src/devices/posix-host';

/**
 * A minimal SSH testbed for the reconciler's tests and benchmarks (needs root on Linux): N network namespaces on one
 * bridge, each with its own sshd (own host key, root login with the controller's key only) and nftables. Each
 * "device" keeps its managed files and ggi state under its own folder, so that devices sharing this machine's file
 * system do not share files. Names start with the given prefix (which must start with `ggi`) so cleanup finds them.
 */
export interface TestbedDevice {
  id: string;
  namespace: string;
  address: string;
  port: number;
  user: string;
  /** `SHA256:…` of its host key. */
  hostKey: string;
  /** The device's own folder: managed files and ggi state live below it. */
  root: string;
}

export interface Testbed {
  dir: string;
  prefix: string;
  devices: TestbedDevice[];
  privateKeyFile: string;
  privateKey: string;
  stopSshd(id: string): void;
  startSshd(id: string): void;
  /** Replaces a device's host key (and restarts its sshd): a changed key. */
  rotateHostKey(id: string): string;
  /** Runs a command inside a device's namespace (from the root side, not over SSH). */
  inDevice(id: string, argv: string[]): string;
  down(): void;
}

export interface TestbedOptions {
  /** Name prefix, `ggi…`, at most 6 characters (interface names stay under 16). */
  prefix: string;
  count: number;
  /** The first three octets of a /24 inside 198.18.0.0/15 used for management. */
  subnet: string;
}

function sh(argv: string[], input?: string): string {
  return execFileSync(argv[0], argv.slice(1), { encoding: 'utf8', input, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
}

/** Prerequisites of the testbed; the missing ones by name (empty: all present). */
export function testbedMissing(): string[] {
  const missing: string[] = [];
  if (process.platform !== 'linux') return ['Linux'];
  if (typeof process.getuid === 'function' && process.getuid() !== 0) missing.push('root');
  for (const bin of ['/usr/sbin/sshd', 'ip', 'nft', 'ssh-keygen', 'setsid']) {
    try {
      execFileSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' });
    } catch {
      missing.push(bin);
    }
  }
  return missing;
}

function fingerprint(pubFile: string): string {
  return sh(['ssh-keygen', '-lf', pubFile]).split(' ')[1];
}

/** Removes every namespace and link with this prefix (also after a crash). */
export function testbedCleanup(prefix: string): void {
  if (!/^ggi[a-z0-9]{0,5}$/.test(prefix)) throw new Error(`testbed prefix must be ggi + up to 5 characters (got ${prefix})`);
  let names: string[] = [];
  try {
    names = sh(['ip', 'netns', 'list']).split('\n').map((l) => l.split(' ')[0]).filter((n) => n.startsWith(prefix));
  } catch {
    names = [];
  }
  for (const ns of names) {
    // Kill whatever runs in the namespace (sshd, rollback timers) before removing it.
    try {
      const pids = sh(['ip', 'netns', 'pids', ns]).split('\n').filter(Boolean);
      for (const pid of pids) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          // already gone
        }
      }
    } catch {
      // namespace vanished meanwhile
    }
    try {
      sh(['ip', 'netns', 'del', ns]);
    } catch {
      // already gone
    }
  }
  // A deleted namespace lives on while another mount namespace still holds its bind mount; remove our root-side
  // links explicitly so that its veths (and the bridge) go now.
  let links: string[] = [];
  try {
    links = sh(['ip', '-o', 'link', 'show']).split('\n').map((l) => (l.split(': ')[1] ?? '').split('@')[0]).filter((n) => n.startsWith(prefix));
  } catch {
    links = [];
  }
  for (const l of links) {
    try {
      sh(['ip', 'link', 'del', l]);
    } catch {
      // already gone
    }
  }
}

export function testbedUp(opts: TestbedOptions): Testbed {
  const { prefix, count, subnet } = opts;
  testbedCleanup(prefix);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
  makeDirectory('/run/sshd');
  const keyFile = path.join(dir, 'controller_ed25519');
  sh(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', 'ggi-controller', '-f', keyFile]);
  fs.chmodSync(keyFile, 0o600);
  const pub = fs.readFileSync(`${keyFile}.pub`, 'utf8');
  const passwd = path.join(dir, 'passwd');
  fs.writeFileSync(passwd, fs.readFileSync('/etc/passwd', 'utf8').replace(/^(root:[^\n]*:)[^:\n]*$/m, '$1/bin/sh'));
  const bridge = `${prefix}br`;
  sh(['ip', 'link', 'add', bridge, 'type', 'bridge']);
  sh(['ip', 'addr', 'add', `${subnet}.1/24`, 'dev', bridge]);
  sh(['ip', 'link', 'set', bridge, 'up']);
  const devices: TestbedDevice[] = [];
  const sshdConfig = new Map<string, string>();
  const start = (id: string) => {
    const d = devices.find((x) => x.id === id)!;
    // Sessions run root's login shell; a copy of /etc/passwd with /bin/sh as that shell, bind-mounted in this sshd's
    // own mount namespace (ip netns exec makes one), keeps the host's ~/.bashrc out of every session.
    // Its mount namespace is made private and drops /run/netns, so that it neither receives nor pins other
    // namespaces' mounts (otherwise every later `ip netns add` propagates into every sshd: quadratic, and slow).
    sh(['ip', 'netns', 'exec', d.namespace, 'sh', '-c', `mount --make-rprivate / && { umount -R -l /run/netns 2>/dev/null; true; } && mount --bind ${passwd} /etc/passwd && exec /usr/sbin/sshd -f ${sshdConfig.get(id)!}`]);
  };
  const stop = (id: string) => {
    const d = devices.find((x) => x.id === id)!;
    const pidFile = sshdPaths(d.root).pidFile;
    if (!fs.existsSync(pidFile)) return;
    const pid = Number(fs.readFileSync(pidFile, 'utf8').trim());
    try {
      process.kill(pid, 'SIGTERM');
      // Wait until it is gone, so that a restart can bind the port again.
      // (A zombie counts as gone: nothing may reap it soon in a container.)
      sh(['sh', '-c', `i=0; while kill -0 ${pid} 2>/dev/null && [ "$(cut -d' ' -f3 /proc/${pid}/stat 2>/dev/null)" != Z ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done`]);
    } catch {
      // not running
    }
    fs.rmSync(pidFile, { force: true });
  };
  for (let i = 0; i < count; i++) {
    const id = `r${i}`;
    const ns = `${prefix}${i}`;
    const root = path.join(dir, id);
    makeDirectory(root);
    const address = `${subnet}.${10 + i}`;
    sh(['ip', 'netns', 'add', ns]);
    sh(['ip', 'link', 'add', `${ns}h`, 'type', 'veth', 'peer', 'name', 'mgmt0', 'netns', ns]);
    sh(['ip', 'link', 'set', `${ns}h`, 'master', bridge, 'up']);
    sh(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
    sh(['ip', '-n', ns, 'addr', 'add', `${address}/24`, 'dev', 'mgmt0']);
    sh(['ip', '-n', ns, 'link', 'set', 'mgmt0', 'up']);
    // The lab's sshd configuration (src/lab/sshd.ts), so that tests exercise what the lab runs.
    const paths = sshdPaths(root);
    makeDirectory(paths.dir);
    sh(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-f', paths.hostKey]);
    fs.writeFileSync(paths.authorizedKeys, pub, { mode: 0o600 });
    const cfg = paths.config;
    fs.writeFileSync(cfg, renderSshdConfig({ listen: address, port: 22, paths, env: {} }));
    sshdConfig.set(id, cfg);
    devices.push({ id, namespace: ns, address, port: 22, user: 'root', hostKey: fingerprint(`${paths.hostKey}.pub`), root });
    start(id);
  }
  return {
    dir,
    prefix,
    devices,
    privateKeyFile: keyFile,
    privateKey: fs.readFileSync(keyFile, 'utf8'),
    stopSshd: stop,
    startSshd: start,
    rotateHostKey(id) {
      const d = devices.find((x) => x.id === id)!;
      const hostKey = sshdPaths(d.root).hostKey;
      fs.rmSync(hostKey, { force: true });
      fs.rmSync(`${hostKey}.pub`, { force: true });
      sh(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-f', hostKey]);
      stop(id);
      start(id);
      return fingerprint(`${hostKey}.pub`);
    },
    inDevice(id, argv) {
      const d = devices.find((x) => x.id === id)!;
      return sh(['ip', 'netns', 'exec', d.namespace, ...argv]);
    },
    down() {
      // SIGKILL every process in the namespaces (sshd, sessions, rollback timers) without waiting for each.
      for (const d of devices) {
        try {
          process.kill(Number(fs.readFileSync(sshdPaths(d.root).pidFile, 'utf8').trim()), 'SIGKILL');
        } catch {
          // not running
        }
      }
      testbedCleanup(prefix);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * An nftables ruleset for `table inet ggi` (replaced atomically by `nft -f`): `rules` accept rules on ports from
 * `port` on, so that versions differ visibly and the file has a realistic size.
 */
export function testbedRuleset(port: number, rules = 1): string {
  const lines = ['table inet ggi {}', 'flush table inet ggi', 'table inet ggi {', '  chain input {', '    type filter hook input priority 0; policy accept;'];
  for (let i = 0; i < rules; i++) lines.push(`    tcp dport ${port + i} counter accept`);
  lines.push('  }', '}');
  return lines.join('\n') + '\n';
}

/** A testbed device managed the way linux-frr manages nftables: candidate next to the file, nft -c, nft -f, live listing. */
export function testbedNftDevice(_id: string, root: string, port: number, rules = 1): HostSpec {
  const file = `${root}/ggi.nft`;
  const candidate = `${file}.ggi-candidate`;
  return {
    files: [{ name: 'ggi.nft', path: file, candidate, content: testbedRuleset(port, rules), mode: 0o640 }],
    validate: [['nft', '-c', '-f', candidate]],
    activate: [['nft', '-f', file]],
    checks: [{ name: 'ruleset loaded', argv: ['nft', 'list', 'table', 'inet', 'ggi'], timeoutS: 5 }],
    live: [{ name: 'nftables', argv: ['nft', '-s', 'list', 'table', 'inet', 'ggi'] }],
  };
}
