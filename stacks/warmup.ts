import { allocateTunnels, type TunnelPair } from '../src/constructs/tunnels';
import type { Zone } from '../src/constructs/names';
import { stackNameOf, type CloudPlan, type OrgPlan } from './plan';

/**
 * A made-up plan of a few organisations of every shape (a gemeente with a connection in both zones and IPv6, a
 * signed supplier in markt, a samenwerkingsverband with IPv6 only) that a synth worker builds, and throws away,
 * while it waits for the gate: so the JIT has compiled cdktf's hot paths before the real work arrives. It is no
 * inventory's data; nothing built from it is written.
 */
export function warmUpPlan(count: number): CloudPlan {
  const loc = { file: '(warm-up)', path: [] };
  const blocks = { gemeente: '2001:db8::/32', leverancier: '3fff:400::/32', samenwerkingsverband: '3fff:300::/32' };
  const shapes = Array.from({ length: count }, (_, i) => {
    const id = `${['GM', 'LV', 'SV'][i % 3]}${String(9000 + i)}`;
    return { i, id, shape: i % 3 };
  });
  const tunnels = allocateTunnels(
    '169.254.0.0/16',
    shapes.filter((s) => s.shape !== 2).map((s) => ({ organisation: s.id, zones: s.shape === 0 ? (['overheid', 'markt'] as Zone[]) : (['markt'] as Zone[]), onboardedAt: s.i })),
  );
  const organisations: OrgPlan[] = shapes.map(({ i, id, shape }) => {
    const zones: Zone[] = shape === 0 ? ['overheid', 'markt'] : ['markt'];
    const kind = shape === 0 ? 'gemeente' : shape === 1 ? 'leverancier' : 'samenwerkingsverband';
    const connection =
      shape === 2 ? null : { publicAddress: `198.51.100.${1 + (i % 250)}`, asn: 65000 + i, zones, tunnels: tunnels.get(id)! as ReadonlyMap<Zone, TunnelPair>, loc, sub: ['connectionPoint'] };
    const block = blocks[kind as keyof typeof blocks].split('::')[0];
    const ipv6 = shape === 1 ? null : { block: kind, prefixes: [`${block}:${((i + 1) << 2).toString(16)}::/46`] };
    return { id, name: `warm-up ${i}`, kind, stack: stackNameOf(id), loc, connection, supplierSigned: shape === 1 ? true : null, ipv6 };
  });
  return {
    hub: { stack: 'hub', region: 'eu-central-1', hubAsn: 64512, zones: ['overheid', 'markt'], blocks, allocationLength: 46, parameterPrefix: '/ggi', loc },
    backend: { type: 'local', path: 'terraform.{stack}.tfstate' },
    organisations,
    notes: [],
  };
}
