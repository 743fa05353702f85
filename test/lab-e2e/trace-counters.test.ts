import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../../src/cli/main';
import { readState, type NodeState } from '../../src/lab';
import { loadInventory } from '../../src/model/load';
import { buildPolicy, tracePacket, traceTopology, type Packet } from '../../src/zones';
import { parseAddress } from '../../src/net';
import { containsAddr } from '../../src/zones/addr';
import { fakeIo } from '../helpers/tmp-inventory';
import { describeLab } from '../lab/prereq';

/**
 * `policy trace` names the device whose packet filter really drops a denied flow: on the example inventory's lab,
 * after apply, real packets are sent and every router's nftables counters are read before and after. The drop is
 * counted on the traced device's traced rule (or its counted default deny) and on no other device; an allowed flow is
 * counted as accepted by the traced rule on the traced devices.
 */
describeLab('policy trace against nftables counters in the lab', () => {
  const state = fs.mkdtempSync(path.join(os.tmpdir(), 'ggi-trace-'));
  const inventory = path.resolve(__dirname, '../../inventory');
  const env = { ...process.env, GGI_OPERATOR: 'e2e' };
  afterAll(async () => {
    await main(['lab', 'down', '--state', state, '--inventory', inventory], fakeIo(env).io);
    fs.rmSync(state, { recursive: true, force: true });
  });

  const inv = loadInventory(inventory, { profile: 'lab' }).inventory!;
  const { policy } = buildPolicy(inv);
  const topo = traceTopology(inv);

  /** Packets counted per (device, rule comment) on every router that has the ggi table. */
  function counters(routers: NodeState[]): Map<string, number> {
    const out = new Map<string, number>();
    for (const n of routers) {
      let doc: { nftables: Array<{ rule?: { comment?: string; expr?: Array<{ counter?: { packets: number } }> } }> };
      try {
        doc = JSON.parse(execFileSync('ip', ['netns', 'exec', n.namespace, 'nft', '-j', 'list', 'table', 'inet', 'ggi'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
      } catch {
        continue;
      }
      for (const x of doc.nftables) {
        const c = x.rule?.expr?.find((e) => e.counter)?.counter;
        if (!x.rule?.comment || !c) continue;
        const k = `${n.id}|${x.rule.comment}`;
        out.set(k, (out.get(k) ?? 0) + c.packets);
      }
    }
    return out;
  }

  function delta(a: Map<string, number>, b: Map<string, number>): string[] {
    return [...b].filter(([k, v]) => v > (a.get(k) ?? 0)).map(([k]) => k).sort();
  }

  /** The LAN host of an organisation and its IPv4 address in the zone; a service host and its IPv4 address. */
  function hostAddr(n: NodeState, inSet?: { v4: Array<{ lo: bigint; hi: bigint }> }): string {
    const addrs = n.interfaces.flatMap((i) => i.addresses.map((a) => a.split('/')[0])).filter((a) => !a.includes(':') && !a.startsWith('198.19.'));
    const hit = addrs.find((a) => !inSet || containsAddr(inSet.v4, parseAddress(a).value));
    if (!hit) throw new Error(`no suitable address on ${n.id}`);
    return hit;
  }

  it('brings up the lab and applies the desired state', async () => {
    expect(await main(['lab', 'up', '--state', state, '--inventory', inventory], fakeIo(env).io)).toBe(0);
    const a = fakeIo(env);
    expect(await main(['apply', '--target', 'lab', '--lab-state', state, '--yes', '--inventory', inventory], a.io)).toBe(0);
  });

  const cases: Array<{ name: string; from: string; org: string; zone: 'overheid' | 'markt'; to: string; port: number; allowed: boolean }> = [
    { name: 'a deny rule at the source CE', from: 'lan-gm0865', org: 'GM0865', zone: 'overheid', to: 'svc-suwinet', port: 443, allowed: false },
    { name: 'the default deny (no rule for the port)', from: 'lan-gm0546', org: 'GM0546', zone: 'overheid', to: 'svc-digid', port: 8443, allowed: false },
    { name: 'an allowed flow, accepted on every traced device', from: 'lan-gm0546', org: 'GM0546', zone: 'overheid', to: 'svc-digid', port: 443, allowed: true },
  ];

  it.each(cases)('$name', (c) => {
    const st = readState(state)!;
    const routers = st.nodes.filter((n) => n.kind === 'router');
    const fromNode = st.nodes.find((n) => n.id === c.from)!;
    const toNode = st.nodes.find((n) => n.id === c.to)!;
    const org = policy.orgs.find((o) => o.id === c.org)!;
    const src = hostAddr(fromNode, org.zones[c.zone]);
    const dst = hostAddr(toNode);
    const packet: Packet = { src, dst, proto: 'tcp', dport: c.port };
    const t = tracePacket(policy, topo, packet);
    expect(t.allowed).toBe(c.allowed);
    const before = counters(routers);
    // A TCP connection attempt from the LAN host, bound to the traced source address (the host answers on 443 only).
    execFileSync('ip', ['netns', 'exec', fromNode.namespace, 'python3', '-c', `import socket\ns=socket.socket()\ns.settimeout(1.5)\ns.bind(('${src}',0))\ntry: s.connect(('${dst}',${c.port}))\nexcept OSError: pass`]);
    const moved = delta(before, counters(routers));
    if (c.allowed) {
      const after = counters(routers);
      const traced = t.hops.filter((h) => h.action === 'allow').map((h) => `${h.device}|${h.rule}`);
      const present = traced.filter((k) => after.has(k));
      expect(present.length).toBeGreaterThan(0);
      for (const k of present) expect(moved).toContain(k);
      expect(moved.filter((k) => k.endsWith('|ggi: default deny'))).toEqual([]);
    } else {
      const deny = t.hops.find((h) => h.action === 'deny')!;
      // The one drop counted in the whole lab is on the traced device, by the traced rule (or its default deny).
      const drops = moved.filter((k) => {
        const comment = k.split('|')[1];
        return comment === 'ggi: default deny' || policy.rules.find((r) => r.id === comment)?.action === 'deny';
      });
      expect(drops).toEqual([`${deny.device}|${deny.rule ?? 'ggi: default deny'}`]);
    }
  });
});
