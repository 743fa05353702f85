import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../../src/cli/main';
import { buildIntents } from '../../src/intent';
import { labSpecFromIntents } from '../../src/lab/inventory-lab';
import { describeRewire, planRewire, type RewireStep } from '../../src/lab/rewire';
import type { LabSpec } from '../../src/lab/spec';
import { loadInventory } from '../../src/model/load';
import { fakeIo } from '../helpers/tmp-inventory';

/** The diff of a running lab's spec and a new one (src/lab/rewire.ts), on small specs and on the example's life. */

const base: LabSpec = {
  name: 'ggitst',
  stateDir: '/tmp/x',
  mgmt: { bridgeV4: '198.18.0.0/24' },
  nodes: [
    { id: 'r1', kind: 'router', namespace: 'ggitst-r1', mgmtAddress: '198.18.0.10' },
    { id: 'r2', kind: 'router', namespace: 'ggitst-r2', mgmtAddress: '198.18.0.11' },
    { id: 'h1', kind: 'host', namespace: 'ggitst-h1', routes: [{ dst: 'default', via: '192.0.2.1' }], meta: { organisation: 'A' } },
  ],
  links: [
    { a: { node: 'r1', ifname: 'x0', addresses: ['198.51.100.0/31'] }, b: { node: 'r2', ifname: 'x0', addresses: ['198.51.100.1/31'] } },
    { a: { node: 'r1', ifname: 'l0', addresses: ['192.0.2.1/24'] }, b: { node: 'h1', ifname: 'eth0', addresses: ['192.0.2.2/24'] } },
  ],
};
const kinds = (steps: RewireStep[]) => steps.map((s) => `${s.kind} ${'node' in s ? s.node : `${s.link.a.node}:${s.link.a.ifname}-${s.link.b.node}:${s.link.b.ifname}`}`);

describe('planRewire', () => {
  it('has nothing to do for the same spec, in any key order', () => {
    const same = JSON.parse(JSON.stringify({ ...base, nodes: base.nodes.map((n) => Object.fromEntries(Object.entries(n).reverse())) })) as LabSpec;
    expect(planRewire(base, same)).toEqual({ problems: [], steps: [], untouched: ['r1', 'r2', 'h1'] });
  });

  it('moves a host to another router: the link is replaced, both routers keep running, the host gets its routes back', () => {
    const next: LabSpec = { ...base, links: [base.links[0], { a: { node: 'r2', ifname: 'l0', addresses: ['192.0.2.1/24'] }, b: { node: 'h1', ifname: 'eth0', addresses: ['192.0.2.2/24'] } }] };
    const plan = planRewire(base, next);
    expect(kinds(plan.steps)).toEqual(['remove-link r1:l0-h1:eth0', 'add-link r2:l0-h1:eth0', 'refresh-node h1', 'refresh-node r1', 'refresh-node r2']);
    expect(plan.untouched).toEqual([]);
  });

  it('adds and removes nodes with their links; a changed node is rebuilt, a meta change only recorded', () => {
    const next: LabSpec = {
      ...base,
      nodes: [
        base.nodes[0],
        { ...base.nodes[2], meta: { organisation: 'B' } },
        { id: 'r3', kind: 'router', namespace: 'ggitst-r3', mgmtAddress: '198.18.0.12', services: [{ proto: 'tcp', port: 22 }] },
      ],
      links: [base.links[1], { a: { node: 'r1', ifname: 'x1', addresses: ['198.51.100.2/31'] }, b: { node: 'r3', ifname: 'x0', addresses: ['198.51.100.3/31'] } }],
    };
    const plan = planRewire(base, next);
    expect(kinds(plan.steps)).toEqual(['remove-node r2', 'add-node r3', 'add-link r1:x1-r3:x0', 'refresh-node r1', 'update-meta h1']);
    expect(plan.untouched).toEqual(['h1']);
    const rebuilt = planRewire(next, { ...next, nodes: next.nodes.map((n) => (n.id === 'h1' ? { ...n, routes: [] } : n)) });
    expect(kinds(rebuilt.steps)).toEqual(['remove-node h1', 'add-node h1', 'add-link r1:l0-h1:eth0', 'refresh-node r1']);
    expect(describeRewire(rebuilt)).toEqual(['rebuilt (1): h1', 'links added (1): r1:l0 - h1:eth0', 'rewired (1): r1', 'untouched: 1 node(s)']);
  });

  it('a node that bridges its links (a Kea appliance) is rebuilt when one of them changes', () => {
    const kea = { bridges: [{ name: 'br', ports: ['c0'], addresses: [] }], apiPort: 8000, apiUser: 'u' };
    const withKea: LabSpec = { ...base, nodes: [...base.nodes, { id: 'k', kind: 'host', namespace: 'ggitst-k', mgmtAddress: '198.18.0.20', kea }], links: [...base.links, { a: { node: 'r2', ifname: 'd0', addresses: [] }, b: { node: 'k', ifname: 'c0', addresses: [] } }] };
    const moved: LabSpec = { ...withKea, links: [...base.links, { a: { node: 'r1', ifname: 'd0', addresses: [] }, b: { node: 'k', ifname: 'c0', addresses: [] } }] };
    expect(kinds(planRewire(withKea, moved).steps)).toEqual(['remove-node k', 'add-node k', 'add-link r1:d0-k:c0', 'refresh-node r1']);
  });

  it('refuses another lab name, state folder or management network', () => {
    expect(planRewire(base, { ...base, mgmt: { bridgeV4: '198.18.1.0/24' } }).problems).toEqual(['the management network changed (198.18.0.0/24 -> 198.18.1.0/24)']);
    expect(planRewire(base, { ...base, name: 'ggiother', stateDir: '/tmp/y' }).problems).toHaveLength(2);
  });
});

describe('planRewire over an organisation\'s life in the example inventory', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ggi-rewire-'));
  fs.cpSync(path.resolve(__dirname, '../../inventory'), dir, { recursive: true });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const specOf = (): LabSpec => {
    const inv = loadInventory(dir, { profile: 'lab' }).inventory!;
    return labSpecFromIntents(inv, buildIntents(inv).intents, { stateDir: '/tmp/lab', name: 'ggilcy' });
  };
  async function ggi(...argv: string[]): Promise<void> {
    const f = fakeIo({ GGI_OPERATOR: 'rewire-test' });
    const code = await main([...argv, '--state', path.join(dir, '.state'), '--inventory', dir], f.io);
    expect([argv.join(' '), code, f.stderr()]).toEqual([argv.join(' '), 0, '']);
  }

  it('onboard adds a CE, its links and its LAN host; move and offboard change only what they name', async () => {
    const s0 = specOf();
    await ggi('onboard', 'GM0301', '--name', 'Zutphen');
    await ggi('onboard', 'GM0302', '--name', 'Nijkerk', '--served-by', 'SV0001');
    const s1 = specOf();
    const p1 = planRewire(s0, s1);
    const ids = (p: typeof p1, kind: RewireStep['kind']) => p.steps.filter((s) => s.kind === kind).map((s) => ('node' in s ? s.node : ''));
    expect(ids(p1, 'add-node')).toEqual(expect.arrayContaining(['ce-gm0301', 'lan-gm0301', 'lan-gm0302']));
    // Nothing leaves. The lab-only KPS peers are rebuilt: the link between the two KPS data centres carries every
    // organisation's prefixes, so their (lab-made, unmanaged) FRR configuration names the new gemeente's /46s too.
    const rebuiltIds = (p: typeof p1) => p.steps.filter((s) => s.kind === 'add-node' && s.rebuild).map((s) => ('node' in s ? s.node : ''));
    expect(p1.steps.filter((s) => s.kind === 'remove-node' && !s.rebuild)).toEqual([]);
    expect(rebuiltIds(p1).sort()).toEqual(['kps-peer', 'kps-peer-2']);
    // Every other node keeps running (at most gains a link).

    await ggi('move', 'GM0302', '--own-connection-point');
    const s2 = specOf();
    const p2 = planRewire(s1, s2);
    expect(ids(p2, 'add-node')).toEqual(expect.arrayContaining(['ce-gm0302']));
    expect(p2.steps.filter((s) => s.kind === 'add-node' && s.rebuild).map((s) => (s as { node: string }).node)).toEqual([]);
    expect(ids(p2, 'refresh-node')).toContain('lan-gm0302');

    await ggi('offboard', 'GM0301');
    const p3 = planRewire(s2, specOf());
    const fresh = (p: typeof p1, kind: 'add-node' | 'remove-node') => p.steps.filter((s) => s.kind === kind && !s.rebuild).map((s) => ('node' in s ? s.node : ''));
    expect(fresh(p3, 'remove-node').sort()).toEqual(['ce-gm0301', 'lan-gm0301']);
    expect(fresh(p3, 'add-node')).toEqual([]);
    // Its /46s leave the KPS peers' lists (quarantined prefixes are not announced).
    expect(rebuiltIds(p3).sort()).toEqual(['kps-peer', 'kps-peer-2']);
  });
});
