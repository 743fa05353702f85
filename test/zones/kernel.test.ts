import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadInventory } from '../../src/model/load';
import { buildPolicy, nftablesForDevice, query, type NftDeviceInput, type Packet, type PolicyModel } from '../../src/zones';
import { formatAddress as formatAddr, parseAddress as parseAddr } from '../../src/net';
import { type AddrSet, setFromCidrs, setSubtract, setUnion } from '../../src/zones/addr';
import { cleanup } from '../helpers/tmp-inventory';
import { writeInventory } from './fixture';
import { describeWith, need, unmet } from '../helpers/prereq';

/**
 * Proof on a real kernel: a CE router namespace with the compiled ruleset, a LAN host and one far-side host per zone;
 * real TCP connects, UDP echoes and pings for hundreds of sampled flows, each compared with `policy query`.
 * Addresses: the fixture seen through its `lab` profile (3fff::/20) and documentation IPv4 only.
 */

const POLICY = `rules:
  - { id: brp-hole, from: { organisations: [GM0001] }, to: { services: [brp] }, proto: tcp, ports: ["8040-8049"], action: deny, owner: netwerk, reason: hole }
  - { id: brp, from: { zone: overheid }, to: { services: [brp] }, proto: tcp, ports: [443, "8000-8080"], action: allow, owner: netwerk, reason: BRP }
  - { id: saas-deny-8443, from: { organisations: [GM0001] }, to: { services: [saas] }, proto: tcp, ports: [8443], action: deny, owner: netwerk, reason: no }
  - { id: saas, from: { zone: markt }, to: { services: [saas] }, proto: tcp, action: allow, owner: netwerk, reason: SaaS }
  - { id: dns, from: { zone: markt }, to: { services: [saas] }, proto: udp, ports: [53], action: allow, owner: netwerk, reason: dns }
  - { id: ping, from: { zone: overheid }, to: { zone: overheid }, proto: icmp, action: allow, owner: netwerk, reason: ping }
  - { id: ping6, from: { zone: overheid }, to: { services: [brp] }, proto: icmpv6, action: allow, owner: netwerk, reason: ping }
  - { id: ssh-in, from: { zone: overheid }, to: { organisations: [GM0001] }, proto: tcp, ports: [22], action: allow, owner: netwerk, reason: beheer }
  - { id: ike-in, from: { organisations: [LV0001] }, to: { organisations: [GM0001] }, proto: udp, ports: ["500-600"], action: allow, owner: netwerk, reason: vpn }
  - { id: lv-any, from: { organisations: [LV0001] }, to: { prefixes: [198.51.100.0/28] }, proto: any, action: allow, owner: netwerk, reason: any }
`;

const TCP_PORTS = [22, 23, 53, 442, 443, 444, 7999, 8000, 8039, 8040, 8049, 8050, 8080, 8081, 8443, 9000];
const UDP_PORTS = [53, 54, 499, 500, 600, 601];

// Who sits where. LAN: GM0001 (both zones, incl. its govroam visitors 192.0.2.24/29). Far overheid: BRP, SV0001,
// GM0002. Far markt: SaaS, LV0001, GM0002's markt addresses (its samenwerkingsverband does not join markt) and an
// address in no zone.
const HOSTS = {
  lan: ['192.0.2.1', '192.0.2.15', '192.0.2.25', '198.51.100.1', '198.51.100.20', '3fff:500:4::1', '3fff:500:7:ffff::1', '3fff:500:8::1', '3fff:504::1'],
  ov: ['192.0.2.129', '192.0.2.142', '192.0.2.33', '192.0.2.49', '2001:db8:100::1', '2001:db8:100:ffff::1', '3fff:500:c::1'],
  mk: ['203.0.113.65', '203.0.113.70', '203.0.113.1', '203.0.113.62', '198.51.100.33', '203.0.113.200'],
};

type HostName = 'lan' | 'ov' | 'mk';
type Hosts = Record<HostName, string[]>;
type Flow = Packet & { src: string; dst: string; from: HostName };

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function allFlows(hosts: Hosts, tcpPorts: number[], udpPorts: number[]): Flow[] {
  const out: Flow[] = [];
  const pairs: Array<[HostName, string, string]> = [];
  for (const s of hosts.lan) for (const d of [...hosts.ov, ...hosts.mk]) pairs.push(['lan', s, d]);
  for (const from of ['ov', 'mk'] as const) for (const s of hosts[from]) for (const d of hosts.lan) pairs.push([from, s, d]);
  for (const [from, src, dst] of pairs) {
    if (src.includes(':') !== dst.includes(':')) continue;
    for (const p of tcpPorts) out.push({ from, src, dst, proto: 'tcp', dport: p });
    for (const p of udpPorts) out.push({ from, src, dst, proto: 'udp', dport: p });
    out.push({ from, src, dst, proto: src.includes(':') ? 'icmpv6' : 'icmp' });
  }
  return out;
}

/** A deterministic sample: every icmp flow (there are few), then allowed and denied flows in equal parts where possible. */
function sample(policy: PolicyModel, all0: Flow[], n: number): Array<Flow & { expect: boolean }> {
  const r = rng(4);
  const all = all0.map((f) => ({ ...f, expect: query(policy, f).allowed }));
  const pick = <T>(l: T[], k: number): T[] => {
    const c = l.slice();
    for (let i = c.length - 1; i > 0; i--) {
      const j = Math.floor(r() * (i + 1));
      [c[i], c[j]] = [c[j], c[i]];
    }
    return c.slice(0, Math.max(0, k));
  };
  const icmp = pick(all.filter((f) => f.proto === 'icmp' || f.proto === 'icmpv6'), Math.floor(n / 5));
  const rest = all.filter((f) => f.proto === 'tcp' || f.proto === 'udp');
  const allowed = pick(rest.filter((f) => f.expect), Math.floor((n - icmp.length) / 2));
  const denied = pick(rest.filter((f) => !f.expect), n - icmp.length - allowed.length);
  return [...icmp, ...allowed, ...denied];
}

const id = `ggiz${process.pid % 100000}`;
const NS = { r: `${id}r`, lan: `${id}lan`, ov: `${id}ov`, mk: `${id}mk` };

function sh(args: string[], ns?: string): string {
  const argv = ns ? ['ip', 'netns', 'exec', ns, ...args] : args;
  try {
    return execFileSync(argv[0], argv.slice(1), { stdio: 'pipe', encoding: 'utf8' });
  } catch (e) {
    throw new Error(`${argv.join(' ')}: ${(e as { stderr?: string }).stderr ?? e}`);
  }
}

function teardown(servers: ChildProcess[]): void {
  for (const s of servers) if (s.pid && s.exitCode === null) s.kill('SIGKILL');
  for (const ns of Object.values(NS)) {
    try {
      execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
    } catch {
      /* not there */
    }
  }
}

/** Addresses to probe from a set: the first and last address of each of its first ranges (documentation space only). */
function probeAddresses(set: AddrSet, max: number): string[] {
  const out: string[] = [];
  for (const [f, list] of [[4, set.v4], [6, set.v6]] as const) {
    for (const r of list.slice(0, max)) {
      out.push(formatAddr(f, r.lo === 0n ? r.lo + 1n : r.lo));
      if (r.hi > r.lo + 1n) out.push(formatAddr(f, r.hi - (f === 4 ? 1n : 0n)));
    }
  }
  return out.filter((a) => LAB_SPACE.some((p) => inSet(p, a)));
}

const LAB_SPACE = ['192.0.2.0/24', '198.51.100.0/24', '203.0.113.0/24', '198.18.0.0/15', '2001:db8::/32', '3fff::/20'].map((c) => setFromCidrs([c]));
function inSet(s: AddrSet, a: string): boolean {
  const p = parseAddr(a);
  return (p.family === 4 ? s.v4 : s.v6).some((r) => r.lo <= p.value && p.value <= r.hi);
}

/** Picks a CE in both zones from the example inventory, with addresses on each side and the ports its rules name. */
function exampleSetup(policy: PolicyModel): { ce: NftDeviceInput; hosts: Hosts; tcpPorts: number[]; udpPorts: number[] } {
  const cands = policy.orgs.filter((o) => o.via === o.id && o.joins.includes('overheid') && o.joins.includes('markt'));
  // The CE whose own addresses the rules mention most (it has the richest policy).
  const score = (o: (typeof cands)[number]) => policy.rules.filter((r) => o.zones.overheid.v4.concat(o.zones.overheid.v6, o.zones.markt.v4, o.zones.markt.v6).some((x) => inSet(r.src, formatAddr(x.lo > 0xffffffffn ? 6 : 4, x.lo)))).length;
  const o = cands.sort((a, b) => score(b) - score(a) || (a.id < b.id ? -1 : 1))[0];
  if (!o) throw new Error('the example inventory has no CE that joins both zones');
  const mine = (z: 'overheid' | 'markt') => policy.orgs.filter((x) => x.via === o.id).reduce<AddrSet>((acc, x) => setUnion(acc, x.zones[z]), { v4: [], v6: [] });
  const lan = [...probeAddresses(mine('overheid'), 3), ...probeAddresses(mine('markt'), 3), ...policy.orgs.filter((x) => x.via === o.id).flatMap((x) => probeAddresses(x.visitor, 1))];
  const far = (z: 'overheid' | 'markt') => {
    const others = setSubtract(policy.zones[z].all, setUnion(mine('overheid'), mine('markt')));
    const svc = policy.services.filter((v) => v.zone === z).slice(0, 5).flatMap((v) => probeAddresses(v.set, 1));
    return [...new Set([...svc, ...probeAddresses(others, 3)])].slice(0, 18);
  };
  const ports = (p: 'tcp' | 'udp') => {
    const s = new Set<number>();
    for (const r of policy.rules) if (r.proto === p && r.ports) for (let i = 0; i < r.ports.length; i += 2) for (const x of [r.ports[i] - 1, r.ports[i], r.ports[i + 1], r.ports[i + 1] + 1]) if (x > 0 && x <= 65535) s.add(x);
    return [...s].sort((a, b) => a - b).slice(0, p === 'tcp' ? 16 : 8);
  };
  const uplinks = o.joins.map((z) => ({ name: `up-${z}`, kind: 'uplink' as const, zone: z }));
  return {
    ce: { deviceId: `ce-${o.id.toLowerCase()}`, role: 'ce', organisation: o.id, interfaces: [{ name: 'lan0', kind: 'lan' }, ...uplinks] },
    hosts: { lan: [...new Set(lan)].slice(0, 12), ov: far('overheid'), mk: far('markt') },
    tcpPorts: ports('tcp').length ? ports('tcp') : [443],
    udpPorts: ports('udp').length ? ports('udp') : [53],
  };
}

/**
 * Builds the lab (router with the compiled ruleset, a LAN host, a host per zone), probes every flow for real and
 * returns the flows whose kernel outcome differs from `policy query`, with the outcome per flow.
 */
async function proveOnKernel(
  policy: PolicyModel,
  ce: NftDeviceInput,
  hosts: Hosts,
  tcpPorts: number[],
  udpPorts: number[],
  flows: Array<Flow & { expect: boolean }>,
  servers: ChildProcess[],
  tmp: string,
): Promise<{ wrong: string[]; results: Map<Flow, boolean> }> {
  const ruleset = nftablesForDevice(policy, ce);
  // --- the lab: router + three hosts
  teardown([]);
  for (const ns of Object.values(NS)) sh(['ip', 'netns', 'add', ns]);
  const links: Array<[string, keyof typeof NS, number]> = [
    ['lan0', 'lan', 1],
    ['up-overheid', 'ov', 2],
    ['up-markt', 'mk', 3],
  ];
  for (const ns of Object.values(NS)) {
    sh(['ip', 'link', 'set', 'lo', 'up'], ns);
    sh(['sysctl', '-q', '-w', 'net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0', 'net.ipv4.conf.all.rp_filter=0', 'net.ipv4.conf.default.rp_filter=0'], ns);
  }
  sh(['sysctl', '-q', '-w', 'net.ipv4.ip_forward=1', 'net.ipv6.conf.all.forwarding=1'], NS.r);
  for (const [rname, host, n] of links) {
    sh(['ip', 'link', 'add', rname, 'netns', NS.r, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', NS[host]]);
    sh(['ip', 'addr', 'add', `198.18.${n}.1/24`, 'dev', rname], NS.r);
    sh(['ip', 'addr', 'add', `3fff:fff0:${n}::1/64`, 'dev', rname, 'nodad'], NS.r);
    sh(['ip', 'link', 'set', rname, 'up'], NS.r);
    sh(['ip', 'addr', 'add', `198.18.${n}.2/24`, 'dev', 'eth0'], NS[host]);
    sh(['ip', 'addr', 'add', `3fff:fff0:${n}::2/64`, 'dev', 'eth0', 'nodad'], NS[host]);
    sh(['ip', 'link', 'set', 'eth0', 'up'], NS[host]);
    sh(['ip', 'route', 'add', 'default', 'via', `198.18.${n}.1`], NS[host]);
    sh(['ip', '-6', 'route', 'add', 'default', 'via', `3fff:fff0:${n}::1`], NS[host]);
    for (const a of hosts[host as HostName]) {
      const v6 = a.includes(':');
      sh(['ip', 'addr', 'add', `${a}/${v6 ? 128 : 32}`, 'dev', 'eth0', ...(v6 ? ['nodad'] : [])], NS[host]);
      sh(['ip', ...(v6 ? ['-6'] : []), 'route', 'add', `${a}/${v6 ? 128 : 32}`, 'via', v6 ? `3fff:fff0:${n}::2` : `198.18.${n}.2`], NS.r);
    }
  }
  const rulesetFile = path.join(tmp, 'ce.nft');
  fs.writeFileSync(rulesetFile, ruleset);
  sh(['nft', '-f', rulesetFile], NS.r);
  expect(sh(["nft", "list", "table", "inet", "ggi"], NS.r)).toMatch(/chain forward/);

  // --- listeners on every host, once
  const serverJs = path.join(__dirname, 'kernel', 'server.js');
  await Promise.all(
    (['lan', 'ov', 'mk'] as const).map(
      (h) =>
        new Promise<void>((resolve, reject) => {
          const p = spawn('ip', ['netns', 'exec', NS[h], process.execPath, serverJs, JSON.stringify([tcpPorts, udpPorts, hosts[h]])], { stdio: ['ignore', 'pipe', 'pipe'] });
          servers.push(p);
          let err = '';
          p.stderr!.on('data', (d) => (err += d));
          p.stdout!.on('data', (d) => String(d).includes('ready') && resolve());
          p.on('exit', (c) => reject(new Error(`server in ${h} exited (${c}): ${err}`)));
        }),
    ),
  );

  // --- probes, one process per source namespace, in parallel with a bound inside each
  const probeJs = path.join(__dirname, 'kernel', 'probe.js');
  const results = new Map<Flow, boolean>();
  const probeAll = (list: Array<Flow & { expect: boolean }>, timeoutMs: number, concurrency: number) =>
    Promise.all(
      (['lan', 'ov', 'mk'] as const).filter((h) => list.some((f) => f.from === h)).map(async (h) => {
        const mine = list.filter((f) => f.from === h);
        const file = path.join(tmp, `flows-${h}.json`);
        fs.writeFileSync(file, JSON.stringify(mine.map((f) => ({ src: f.src, dst: f.dst, proto: f.proto, dport: f.dport }))));
        const out = await new Promise<string>((resolve, reject) => {
          const p = spawn('ip', ['netns', 'exec', NS[h], process.execPath, probeJs, file, String(timeoutMs), String(concurrency)], { stdio: ['ignore', 'pipe', 'pipe'] });
          let so = '';
          let se = '';
          p.stdout!.on('data', (d) => (so += d));
          p.stderr!.on('data', (d) => (se += d));
          p.on('exit', (c) => (c === 0 ? resolve(so) : reject(new Error(`probe in ${h} failed: ${se}`))));
        });
        const got = JSON.parse(out.trim().split('\n').pop()!) as boolean[];
        for (const [i, f] of mine.entries()) results.set(f, got[i]);
      }),
    );
  await probeAll(flows, 1500, 48);
  // A flow the policy allows that did not connect gets a second, slower try (a stalled prober or echo server on a
  // loaded host is no verdict); a flow that connected is never asked twice, since a retry could only hide a leak.
  const missed = flows.filter((f) => f.expect && !results.get(f));
  if (missed.length) await probeAll(missed, 5000, 8);

  const wrong = flows.filter((f) => results.get(f) !== f.expect).map((f) => `${f.proto}${f.dport !== undefined ? `/${f.dport}` : ''} ${f.src} -> ${f.dst}: kernel ${results.get(f)}, query ${f.expect} (${query(policy, f).reason})`);
  teardown(servers);
  servers.length = 0;
  return { wrong, results };
}

function checkSample(flows: Array<Flow & { expect: boolean }>, minAllowed: number, inboundAllowed = true): void {
  expect(flows.length).toBeGreaterThanOrEqual(500);
  expect(flows.filter((f) => f.expect).length).toBeGreaterThanOrEqual(minAllowed);
  // every kind of flow is in the sample: both families, tcp, udp and icmp, both verdicts, both directions
  for (const pr of ['tcp', 'udp', 'icmp', 'icmpv6']) expect(flows.filter((f) => f.proto === pr).length).toBeGreaterThan(5);
  expect(flows.some((f) => f.src.includes(':') && f.expect)).toBe(true);
  expect(flows.some((f) => f.from !== 'lan' && f.expect)).toBe(inboundAllowed);
  expect(flows.some((f) => f.from !== 'lan')).toBe(true);
}

const kernelReady = unmet(need.root(), need.command('ip', 'iproute2'), need.command('nft', 'nftables'), need.command('ping', 'iputils-ping'));

describeWith(kernelReady, 'policy on a real kernel', () => {
  const servers: ChildProcess[] = [];
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ggi-kernel-'));
  afterAll(() => {
    teardown(servers);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('a small policy: the compiled CE ruleset gives exactly the verdict of policy query on ≥ 500 sampled flows', async () => {
    const dir = writeInventory(POLICY);
    const { inventory } = loadInventory(dir, { profile: 'lab' });
    cleanup(dir);
    expect(inventory).not.toBeNull();
    const { policy, findings } = buildPolicy(inventory!);
    expect(findings).toEqual([]);
    const ce: NftDeviceInput = {
      deviceId: 'ce-gm0001',
      role: 'ce',
      organisation: 'GM0001',
      interfaces: [
        { name: 'lan0', kind: 'lan' },
        { name: 'up-overheid', kind: 'uplink', zone: 'overheid' },
        { name: 'up-markt', kind: 'uplink', zone: 'markt' },
      ],
    };
    const flows = sample(policy, allFlows(HOSTS, TCP_PORTS, UDP_PORTS), 600);
    checkSample(flows, 150);
    const { wrong, results } = await proveOnKernel(policy, ce, HOSTS, TCP_PORTS, UDP_PORTS, flows, servers, tmp);
    expect(wrong).toEqual([]);
    expect(results.size).toBe(flows.length);
  });

  it('the example inventory (lab profile): a CE of both zones agrees with policy query on ≥ 500 sampled flows', async () => {
    const { inventory, findings: lf } = loadInventory(path.resolve(__dirname, '../../inventory'), { profile: 'lab' });
    if (!inventory) throw new Error(`the example inventory does not load: ${lf.filter((f) => f.severity === 'error').map((f) => `${f.file}:${f.line} ${f.code}`).slice(0, 5).join('; ')}`);
    const { policy, findings } = buildPolicy(inventory);
    expect(findings.filter((f) => f.severity === 'error')).toEqual([]);
    const picked = exampleSetup(policy);
    const candidates = allFlows(picked.hosts, picked.tcpPorts, picked.udpPorts);
    const flows = sample(policy, candidates, 600);
    // the example policy is mostly tcp/443 towards services: every allowed candidate is in the sample
    checkSample(flows, Math.min(100, candidates.filter((f) => (f.proto === 'tcp' || f.proto === 'udp') && query(policy, f).allowed).length), false);
    const { wrong, results } = await proveOnKernel(policy, picked.ce, picked.hosts, picked.tcpPorts, picked.udpPorts, flows, servers, tmp);
    expect(wrong).toEqual([]);
    expect(results.size).toBe(flows.length);
  });
});
