import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { generateNationalInventory, mutatePolicy, writeInventoryFiles } from '../src/generate/national';
import type { Inventory } from '../src/model/inventory';
import { loadInventory } from '../src/model/load';
import { buildPolicy, diffPolicies, exportCapirca, lintPolicy, nftablesForDevice, query, tracePacket, traceTopology, type NftDeviceInput, type PolicyModel } from '../src/zones';
import { formatAddress } from '../src/net';
import { reviewPolicy } from '../src/zones/review';

/**
 * The policy engine on the full-size synthetic national inventory (20,000 rules): lint, diff of two versions that
 * differ by 50 rules, nftables for every device, and Capirca's aclgen on the exported policy beside our export.
 * Targets: lint, diff and nftables each under 3 s on 2 cores. Times are wall clock of a second (warm) run; the note
 * gives the CPU time, which is what matters when the machine is shared.
 */
type Result = { name: string; value: number; unit: string; note?: string };

function timed<T>(f: () => T): { value: T; ms: number; cpuMs: number } {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const value = f();
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const c = process.cpuUsage(c0);
  return { value, ms, cpuMs: (c.user + c.system) / 1000 };
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}

/** One NftDeviceInput per managed device, as the intent builder would give it (a simple stand-in). */
export function deviceInputs(inv: Inventory, policy: PolicyModel): NftDeviceInput[] {
  const out: NftDeviceInput[] = [];
  const ceOrgs = policy.orgs.filter((o) => o.via === o.id);
  const name = (prefix: string, id: string) => `${prefix}-${id.toLowerCase()}`.slice(0, 15);
  for (const d of inv.devices) {
    if (d.role === 'ce' && d.organisation) {
      const o = policy.orgs.find((x) => x.id === d.organisation);
      const itf: NftDeviceInput['interfaces'] = [{ name: 'lan0', kind: 'lan' }, { name: 'mgmt0', kind: 'mgmt' }];
      for (const z of o?.joins ?? []) itf.push({ name: `up-${z}`, kind: 'uplink', zone: z });
      out.push({ deviceId: d.id, role: 'ce', organisation: d.organisation, interfaces: itf });
    } else if (d.role === 'border-overheid' || d.role === 'border-markt') {
      const zone = d.role === 'border-overheid' ? 'overheid' : 'markt';
      const itf: NftDeviceInput['interfaces'] = [{ name: 'mgmt0', kind: 'mgmt' }];
      for (const o of ceOrgs) if (o.joins.includes(zone)) itf.push({ name: name('dl', o.id), kind: 'downlink', zone, organisation: o.id });
      if (zone === 'overheid') itf.push({ name: 'kps0', kind: 'kps' });
      else for (const p of new Set(policy.services.filter((s) => s.zone === 'markt').map((s) => s.provider))) itf.push({ name: name('sup', p), kind: 'supplier', organisation: p });
      out.push({ deviceId: d.id, role: d.role, interfaces: itf });
    } else if (d.role === 'supplier-router' || d.role === 'kps-peer' || d.role === 'radius') {
      const itf: NftDeviceInput['interfaces'] = [{ name: 'lan0', kind: 'lan' }, { name: 'mgmt0', kind: 'mgmt' }];
      if (d.role !== 'radius') itf.push({ name: 'up0', kind: d.role === 'kps-peer' ? 'peer' : 'uplink', zone: d.role === 'kps-peer' ? 'overheid' : 'markt' });
      out.push({ deviceId: d.id, role: d.role, ...(d.organisation ? { organisation: d.organisation } : {}), interfaces: itf });
    }
  }
  return out;
}

export async function run(): Promise<Result[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ggi-bench-policy-'));
  try {
    const files = generateNationalInventory({ seed: 1 });
    const baseDir = path.join(dir, 'base');
    const headDir = path.join(dir, 'head');
    writeInventoryFiles(baseDir, files);
    writeInventoryFiles(headDir, mutatePolicy(files, 7, 50));
    const base = loadInventory(baseDir).inventory;
    const head = loadInventory(headDir).inventory;
    if (!base || !head) throw new Error('the synthetic inventory does not load');
    const now = new Date('2026-11-23T12:00:00Z');
    const results: Result[] = [];

    // build + lint (what `ggi policy lint` and the policy part of `ggi validate` do after loading)
    buildPolicy(base);
    const build = timed(() => buildPolicy(base));
    const basePolicy = build.value.policy;
    lintPolicy(buildPolicy(base).policy, base.sources, now);
    const lint = timed(() => lintPolicy(basePolicy, base.sources, now));
    const counts = new Map<string, number>();
    for (const f of lint.value) counts.set(f.code, (counts.get(f.code) ?? 0) + 1);
    results.push({ name: 'policy: resolve selectors (buildPolicy)', value: round(build.ms), unit: 'ms', note: `${base.rules.length} rules, cpu ${round(build.cpuMs)} ms` });
    results.push({
      name: 'policy: lint (shadowed/redundant/conflict/guardrails, exact)',
      value: round(lint.ms),
      unit: 'ms',
      note: `cpu ${round(lint.cpuMs)} ms; ${[...counts].map(([k, v]) => `${k} ${v}`).join(', ') || 'no findings'}`,
    });
    const both = timed(() => lintPolicy(buildPolicy(base).policy, base.sources, now));
    results.push({ name: 'policy: build + lint', value: round(both.ms), unit: 'ms', note: `cpu ${round(both.cpuMs)} ms; target < 3000 ms` });

    // diff of two versions that differ by 50 rules (both already loaded; building both is included)
    diffPolicies(basePolicy, buildPolicy(head).policy);
    const diff = timed(() => diffPolicies(buildPolicy(base).policy, buildPolicy(head).policy));
    results.push({
      name: 'policy: diff, 50 rules changed (build both + end-to-end diff)',
      value: round(diff.ms),
      unit: 'ms',
      note: `cpu ${round(diff.cpuMs)} ms; ${diff.value.opened.length} opened, ${diff.value.closed.length} closed regions; target < 3000 ms`,
    });

    // the reviewer's checks alone (dead selectors, never-matching, over-broad, risky), part of the lint above
    const rev = timed(() => reviewPolicy(basePolicy, base.sources));
    results.push({ name: "policy: the reviewer's checks (part of lint)", value: round(rev.ms), unit: 'ms', note: `cpu ${round(rev.cpuMs)} ms; ${rev.value.length} findings` });

    // trace and query of 10,000 packets drawn from the rules' own addresses
    const topo = traceTopology(base);
    const packets = basePolicy.rules.slice(0, 10000).flatMap((r) => {
      const f = r.src.v6.length && r.dst.v6.length ? 6 : 4;
      const s = f === 6 ? r.src.v6 : r.src.v4;
      const d = f === 6 ? r.dst.v6 : r.dst.v4;
      if (!s.length || !d.length) return [];
      return [{ src: formatAddress(f, s[0].lo), dst: formatAddress(f, d[0].lo), proto: 'tcp' as const, dport: r.ports ? r.ports[0] : 443 }];
    });
    const tr = timed(() => packets.map((p) => tracePacket(basePolicy, topo, p)));
    const qu = timed(() => packets.map((p) => query(basePolicy, p)));
    results.push({ name: `policy: trace ${packets.length} packets`, value: round(tr.ms), unit: 'ms', note: `cpu ${round(tr.cpuMs)} ms; query of the same: ${round(qu.ms)} ms` });

    // nftables for every device
    const inputs = deviceInputs(base, basePolicy);
    const fresh = buildPolicy(base).policy;
    const nft = timed(() => inputs.map((i) => nftablesForDevice(fresh, i)));
    const bytes = nft.value.reduce((n, t) => n + t.length, 0);
    const roles = new Map<string, number>();
    for (const i of inputs) roles.set(i.role, (roles.get(i.role) ?? 0) + 1);
    results.push({
      name: 'policy: nftables for all devices (cold index)',
      value: round(nft.ms),
      unit: 'ms',
      note: `cpu ${round(nft.cpuMs)} ms; ${inputs.length} devices (${[...roles].map(([k, v]) => `${v} ${k}`).join(', ')}), ${(bytes / 2 ** 20).toFixed(1)} MiB; target < 3000 ms`,
    });

    // Capirca: our export, then Debian's aclgen on it
    const exp = timed(() => exportCapirca(basePolicy));
    results.push({ name: 'policy: export capirca (ours)', value: round(exp.ms), unit: 'ms', note: `${exp.value.terms} terms` });
    const capDir = path.join(dir, 'capirca');
    for (const [rel, text] of exp.value.files) {
      fs.mkdirSync(path.dirname(path.join(capDir, rel)), { recursive: true });
      fs.writeFileSync(path.join(capDir, rel), text);
    }
    if (fs.existsSync('/usr/bin/aclgen')) {
      fs.mkdirSync(path.join(capDir, 'out'));
      const t0 = process.hrtime.bigint();
      const r = spawnSync('/usr/bin/aclgen', ['--base_directory', path.join(capDir, 'policies'), '--definitions_directory', path.join(capDir, 'def'), '--output_directory', path.join(capDir, 'out'), '--max_renderers', '2'], {
        encoding: 'utf8',
        env: { ...process.env, PATH: '/usr/bin:/bin' },
        maxBuffer: 1 << 28,
      });
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      results.push({ name: 'capirca aclgen (juniper) on the exported policy', value: round(ms), unit: 'ms', note: r.status === 0 ? 'Debian python3-capirca, exit 0' : `exit ${r.status}: ${(r.stderr || '').split('\n').filter(Boolean).slice(-1)[0] ?? ''}` });
    } else {
      results.push({ name: 'capirca aclgen (juniper) on the exported policy', value: -1, unit: 'ms', note: '/usr/bin/aclgen not installed' });
    }
    return results;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
