import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { reconcileAll, type ReconcileOptions } from '../src/reconciler/apply';
import { openJournal } from '../src/reconciler/journal';
import { connectSsh } from '../src/reconciler/transport';
import { mapLimit } from '../src/util/pool';
import { hostJob } from '../test/reconciler/harness';
import { testbedMissing, testbedNftDevice, testbedUp, type Testbed } from '../test/reconciler/testbed';

/**
 * The reconciler on a lab of N routers (sshd + nftables in network namespaces; GGI_BENCH_ROUTERS, default 100):
 * - ggi full apply (every router changes: lock, stage, validate, rollback point + timer, activate, verify, confirm);
 * - ggi no-op reconcile (every router is read for real: its files, its live ruleset and the recorded one);
 * - the floor: one SSH connection per router running one read command, nothing else (ssh2 from Node, same parallelism);
 * - Ansible (`ansible-playbook`, forks 16, pipelining on) pushing the same files with the same validation and
 *   activation commands, full and no-op: reported as missing when Ansible is not installed (the bench installs nothing).
 * Target: ggi's no-op within 1.5x the floor.
 */

type Figure = { name: string; value: number; unit: string; note?: string };

const RULES = 60;
const CONCURRENCY = 16;

function seconds(ms: number): number {
  return Math.round(ms / 10) / 100;
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = process.hrtime.bigint();
  const value = await fn();
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, value };
}

function repoRoot(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
}

function which(bin: string): string | null {
  const r = spawnSync('sh', ['-c', `command -v ${bin}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

/** Writes the Ansible inventory, the per-router files and known_hosts for the testbed. */
function ansibleInputs(tb: Testbed, work: string, port: number): { inventory: string; files: string } {
  const files = path.join(work, 'files');
  fs.mkdirSync(files, { recursive: true });
  const known: string[] = [];
  const hosts: string[] = ['[routers]'];
  for (const d of tb.devices) {
    fs.writeFileSync(path.join(files, `${d.id}.nft`), testbedNftDevice(d.id, d.root, port, RULES).files[0].content);
    const pub = fs.readFileSync(path.join(d.root, 'ssh_host_ed25519_key.pub'), 'utf8').trim().split(' ').slice(0, 2).join(' ');
    known.push(`${d.address} ${pub}`);
    hosts.push(`${d.id} ansible_host=${d.address} ansible_port=${d.port} ansible_user=${d.user} nft_path=${d.root}/ggi.nft`);
  }
  fs.writeFileSync(path.join(work, 'known_hosts'), known.join('\n') + '\n');
  hosts.push(
    '',
    '[routers:vars]',
    `ansible_ssh_private_key_file=${tb.privateKeyFile}`,
    `ansible_ssh_common_args=-o UserKnownHostsFile=${path.join(work, 'known_hosts')} -o StrictHostKeyChecking=yes -o IdentitiesOnly=yes`,
  );
  const inventory = path.join(work, 'inventory.ini');
  fs.writeFileSync(inventory, hosts.join('\n') + '\n');
  return { inventory, files };
}

function runAnsible(inventory: string, files: string): { ms: number; ok: boolean; tail: string } {
  const dir = path.join(repoRoot(), 'bench', 'ansible');
  const t0 = Date.now();
  const r = spawnSync('ansible-playbook', ['-i', inventory, path.join(dir, 'playbook.yml'), '-e', `files_dir=${files}`], {
    encoding: 'utf8',
    env: { ...process.env, ANSIBLE_CONFIG: path.join(dir, 'ansible.cfg') },
    maxBuffer: 1 << 28,
  });
  return { ms: Date.now() - t0, ok: r.status === 0, tail: `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n').slice(-8).join('\n') };
}

export async function run(): Promise<Figure[]> {
  const n = Math.min(230, Math.max(1, Number(process.env.GGI_BENCH_ROUTERS ?? 100)));
  const missing = testbedMissing();
  if (missing.length) {
    console.log(`reconcile bench skipped: needs ${missing.join(', ')} (it builds ${n} routers in network namespaces)`);
    return [];
  }
  console.log(`building ${n} routers (sshd + nftables)…`);
  const tb = testbedUp({ prefix: 'ggibn', count: n, subnet: '198.19.254' });
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ggi-bench-rc-'));
  const figures: Figure[] = [];
  try {
    const byId = new Map(tb.devices.map((d) => [d.id, d]));
    const opts = (mode: 'plan' | 'apply'): ReconcileOptions => ({
      mode,
      concurrency: CONCURRENCY,
      operator: 'bench',
      confirmTimeoutS: 300,
      connect: (id) => {
        const d = byId.get(id)!;
        return connectSsh({ id, host: d.address, port: d.port, user: d.user, hostKey: d.hostKey, privateKey: tb.privateKey });
      },
      journal: openJournal(path.join(work, 'journal.jsonl')),
    });
    const desired = (port: number) => tb.devices.map((d) => hostJob(d.id, testbedNftDevice(d.id, d.root, port, RULES), { stateDir: `${d.root}/state` }));

    const full = await timed(() => reconcileAll(desired(2000), opts('apply')));
    const applied = full.value.filter((r) => r.outcome === 'applied').length;
    if (applied !== n) throw new Error(`ggi full apply: only ${applied} of ${n} routers applied: ${JSON.stringify(full.value.find((r) => r.outcome !== 'applied'))}`);
    figures.push({ name: `ggi full apply, ${n} routers`, value: seconds(full.ms), unit: 's', note: `concurrency ${CONCURRENCY}` });

    // No-op and floor alternate, three rounds each, and the medians are compared: this machine may be busy with
    // other work, and alternating keeps both measured under the same conditions.
    const floorOnce = () =>
      timed(() =>
        mapLimit(tb.devices, CONCURRENCY, async (d) => {
          const t = await connectSsh({ id: d.id, host: d.address, port: d.port, user: d.user, hostKey: d.hostKey, privateKey: tb.privateKey });
          try {
            const r = await t.exec(`cat ${d.root}/ggi.nft`);
            if (r.code !== 0) throw new Error(`floor: ${d.id}: ${r.stderr}`);
          } finally {
            await t.close();
          }
        }),
      );
    const noops: number[] = [];
    const floors: number[] = [];
    for (let round = 0; round < 3; round++) {
      const noop = await timed(() => reconcileAll(desired(2000), opts('apply')));
      const unchanged = noop.value.filter((r) => r.outcome === 'unchanged').length;
      if (unchanged !== n) throw new Error(`ggi no-op: ${n - unchanged} routers were not unchanged`);
      noops.push(noop.ms);
      floors.push((await floorOnce()).ms);
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const noop = { ms: median(noops) };
    const floor = { ms: median(floors) };
    figures.push({ name: `ggi no-op reconcile, ${n} routers`, value: seconds(noop.ms), unit: 's', note: `median of 3; reads every file, the live ruleset and the recorded one` });
    figures.push({ name: `floor: one SSH connection + one read per router, ${n} routers`, value: seconds(floor.ms), unit: 's', note: `median of 3; ssh2 from Node, ${CONCURRENCY} parallel` });
    const ratio = Math.round((noop.ms / floor.ms) * 100) / 100;
    figures.push({ name: 'ggi no-op / floor', value: ratio, unit: 'x', note: ratio <= 1.5 ? 'target ≤ 1.5x: met' : 'target ≤ 1.5x: NOT met' });

    if (!which('ansible-playbook')) {
      const hint = 'ansible-playbook is not installed; install it with `apt-get install ansible-core` (the bench installs nothing)';
      console.log(`ansible: missing: ${hint}`);
      figures.push({ name: `ansible full apply, ${n} routers`, value: Number.NaN, unit: 's', note: `missing: ${hint}` });
      figures.push({ name: `ansible no-op, ${n} routers`, value: Number.NaN, unit: 's', note: 'missing (see above)' });
    } else {
      // Same lab, a fresh version of the files so that Ansible really changes every router.
      const { inventory, files } = ansibleInputs(tb, work, 3000);
      const a1 = runAnsible(inventory, files);
      if (!a1.ok) throw new Error(`ansible full apply failed:\n${a1.tail}`);
      figures.push({ name: `ansible full apply, ${n} routers`, value: seconds(a1.ms), unit: 's', note: 'forks 16, pipelining on' });
      const a2 = runAnsible(inventory, files);
      if (!a2.ok) throw new Error(`ansible no-op failed:\n${a2.tail}`);
      figures.push({ name: `ansible no-op, ${n} routers`, value: seconds(a2.ms), unit: 's', note: 'forks 16, pipelining on' });
      figures.push({ name: 'ansible no-op / ggi no-op', value: Math.round((a2.ms / noop.ms) * 10) / 10, unit: 'x' });
    }
  } finally {
    tb.down();
    fs.rmSync(work, { recursive: true, force: true });
  }
  return figures;
}
