import * as path from 'node:path';
import { generateNationalInventory, writeInventoryFiles } from '../../src/generate/national';
import { loadInventory } from '../../src/model/load';
import type { Inventory } from '../../src/model/inventory';
import { buildPolicy, query, tracePacket, traceTopology, type Packet, type PolicyModel } from '../../src/zones';
import { formatAddress } from '../../src/net';
import type { Family, Range } from '../../src/zones/addr';
import { cleanup } from '../helpers/tmp-inventory';
import * as fs from 'node:fs';
import * as os from 'node:os';

/** xorshift32: the packets are random but the same on every run. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 32;
  };
}

/** Random packets: mostly addresses of declared organisations and services (so most reach the rules), some of nobody. */
function randomPackets(policy: PolicyModel, n: number, seed: number): Packet[] {
  const rand = rng(seed);
  const pools: Record<Family, Range[]> = { 4: [], 6: [] };
  for (const o of policy.orgs) for (const z of ['overheid', 'markt'] as const) {
    pools[4].push(...o.zones[z].v4);
    pools[6].push(...o.zones[z].v6);
  }
  for (const v of policy.services) {
    pools[4].push(...v.set.v4);
    pools[6].push(...v.set.v6);
  }
  const addr = (f: Family): string => {
    const pool = pools[f];
    if (!pool.length || rand() < 0.05) return formatAddress(f, BigInt(Math.floor(rand() * 2 ** 32)) << (f === 6 ? 96n : 0n));
    const r = pool[Math.floor(rand() * pool.length)];
    const size = r.hi - r.lo + 1n;
    const off = size > 2n ** 40n ? BigInt(Math.floor(rand() * 256)) : BigInt(Math.floor(rand() * Number(size)));
    return formatAddress(f, r.lo + off);
  };
  const ports = [22, 53, 80, 123, 389, 443, 445, 3389, 8080, 8443];
  const pickIn = (l: Range[]): bigint => {
    const r = l[Math.floor(rand() * l.length)];
    const size = r.hi - r.lo + 1n;
    return r.lo + (size > 2n ** 40n ? BigInt(Math.floor(rand() * 256)) : BigInt(Math.floor(rand() * Number(size))));
  };
  const out: Packet[] = [];
  for (let i = 0; i < n; i++) {
    // A third of the packets come from a random rule's own addresses and ports, so rules decide many of them.
    const r = policy.rules.length && rand() < 0.33 ? policy.rules[Math.floor(rand() * policy.rules.length)] : undefined;
    const rf: Family | undefined = r ? ([4, 6] as Family[]).find((x) => (x === 4 ? r.src.v4 : r.src.v6).length && (x === 4 ? r.dst.v4 : r.dst.v6).length) : undefined;
    if (r && rf && (r.proto === 'tcp' || r.proto === 'udp')) {
      const pick = (s: { v4: Range[]; v6: Range[] }) => formatAddress(rf, pickIn(rf === 4 ? s.v4 : s.v6));
      out.push({ src: pick(r.src), dst: pick(r.dst), proto: r.proto, dport: r.ports ? r.ports[0] : 443 });
      continue;
    }
    const f: Family = rand() < 0.5 ? 4 : 6;
    const x = rand();
    const proto = x < 0.6 ? 'tcp' : x < 0.8 ? 'udp' : x < 0.9 ? (f === 4 ? 'icmp' : 'icmpv6') : 'any';
    const dport = proto === 'tcp' || proto === 'udp' ? (rand() < 0.8 ? ports[Math.floor(rand() * ports.length)] : Math.floor(rand() * 65536)) : undefined;
    out.push({ src: addr(f), dst: addr(f), proto, ...(dport !== undefined ? { dport } : {}) });
  }
  return out;
}

function agree(inv: Inventory, n: number, seed: number): Record<string, number> {
  const { policy } = buildPolicy(inv);
  const topo = traceTopology(inv);
  const seen: Record<string, number> = {};
  for (const p of randomPackets(policy, n, seed)) {
    const q = query(policy, p);
    const t = tracePacket(policy, topo, p);
    if (t.allowed !== q.allowed || t.verdict !== q.verdict) throw new Error(`trace says ${t.verdict} (${t.reason}), query ${q.verdict} (${q.reason}) for ${JSON.stringify(p)}`);
    // The hops tell the same story: an allowed packet reaches its end through allowing filters, with query's rule; a
    // denied one stops at its one deny, which names query's rule.
    const denies = t.hops.filter((h) => h.action === 'deny');
    if (t.allowed) {
      if (denies.length || !t.hops.some((h) => h.rule === q.rule) || t.hops.some((h) => h.action === 'allow' && h.rule !== q.rule)) throw new Error(`allowed trace with bad hops ${JSON.stringify(t)} for ${JSON.stringify(p)}`);
    } else if (t.verdict === 'denied') {
      if (denies.length !== 1 || t.hops[t.hops.length - 1] !== denies[0]) throw new Error(`denied trace must end at its one deny: ${JSON.stringify(t)}`);
      if (q.rule && denies[0].rule !== q.rule) throw new Error(`trace denies by ${denies[0].rule}, query by ${q.rule} for ${JSON.stringify(p)}`);
    }
    seen[t.verdict] = (seen[t.verdict] ?? 0) + 1;
  }
  return seen;
}

describe('policy trace agrees with policy query (property, 10,000 random packets)', () => {
  it('on the example inventory', () => {
    const { inventory } = loadInventory(path.resolve(__dirname, '../../inventory'));
    const seen = agree(inventory!, 10000, 17);
    // The sample reaches every kind of verdict, so the agreement is not vacuous.
    for (const v of ['allowed', 'denied', 'no-route', 'not-ggi']) expect(seen[v] ?? 0).toBeGreaterThan(20);
  });

  it('on the example inventory through the lab profile', () => {
    const { inventory } = loadInventory(path.resolve(__dirname, '../../inventory'), { profile: 'lab' });
    agree(inventory!, 3000, 5);
  });

  it('on the national inventory', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ggi-trace-national-'));
    try {
      writeInventoryFiles(dir, generateNationalInventory({ seed: 1 }));
      const { inventory } = loadInventory(dir);
      const seen = agree(inventory!, 10000, 23);
      for (const v of ['allowed', 'denied', 'no-route', 'not-ggi']) expect(seen[v] ?? 0).toBeGreaterThan(20);
    } finally {
      cleanup(dir);
    }
  }, 240000);
});
