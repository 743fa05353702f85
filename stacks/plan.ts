import type { Finding } from '../src/model/finding';
import type { Inventory, Organisation } from '../src/model/inventory';
import type { Loc, NodePath } from '../src/model/source';
import { parsePrefix } from '../src/net/prefix';
import { ConstructValidationError } from '../src/constructs/errors';
import { DEFAULT_PARAMETER_PREFIX, type BackendSettings, type Zone } from '../src/constructs/names';
import { allocateTunnels, type TunnelPair } from '../src/constructs/tunnels';
import { activeDetectionRules, hubDetectionAlerts, type HubAlert } from '../src/veilig/detection';

/**
 * What the cloud side holds, derived from the inventory (pure; no cdktf). The app turns this into stacks; tests and
 * `ggi synth --format json` can read it directly.
 */

export type { BackendSettings };

export interface HubPlan {
  readonly stack: 'hub';
  readonly region: string;
  readonly hubAsn: number;
  readonly zones: readonly Zone[];
  readonly blocks: Readonly<Record<string, string>>;
  readonly allocationLength: number;
  readonly parameterPrefix: string;
  readonly loc: Loc;
  /** GGI-Veilig's detection rules in force, as alert rules for the zone policy's rule group (src/veilig/detection.ts). */
  readonly detection: readonly HubAlert[];
}

export interface ConnectionPlan {
  readonly publicAddress: string;
  readonly asn: number;
  readonly zones: readonly Zone[];
  readonly tunnels: ReadonlyMap<Zone, TunnelPair>;
  readonly loc: Loc;
  readonly sub: NodePath;
}

export interface OrgPlan {
  readonly id: string;
  readonly name: string;
  readonly kind: Organisation['kind'];
  readonly stack: string;
  readonly loc: Loc;
  /** Set when the organisation attaches to the hub (its connection point has a public address). */
  readonly connection: ConnectionPlan | null;
  /** Suppliers only: whether the GGI agreements are signed. */
  readonly supplierSigned: boolean | null;
  /** Its active allocations from the ledger (not quarantined, not sub-allocations), and their block. */
  readonly ipv6: { readonly block: string; readonly prefixes: readonly string[] } | null;
}

export interface CloudPlan {
  readonly hub: HubPlan;
  readonly backend: BackendSettings;
  readonly organisations: readonly OrgPlan[];
  /** Warnings about what is left out of the cloud side and why. */
  readonly notes: Finding[];
}

export function stackNameOf(orgId: string): string {
  return `org-${orgId}`;
}

/** The organisation's active top-level allocations: its /46s (sub-allocations live inside them). */
export function activeAllocations(inv: Inventory, orgId: string): string[] {
  return inv.ledger.entries
    .filter((e) => e.organisation === orgId && e.status !== 'quarantined' && !e.parent)
    .map((e) => e.prefix)
    .sort(comparePrefixText);
}

function comparePrefixText(a: string, b: string): number {
  const p = parsePrefix(a);
  const q = parsePrefix(b);
  return p.family - q.family || (p.addr < q.addr ? -1 : p.addr > q.addr ? 1 : p.len - q.len);
}

function onboardedAt(inv: Inventory, orgId: string): number {
  let min = Number.POSITIVE_INFINITY;
  for (const e of inv.ledger.entries) {
    if (e.organisation !== orgId) continue;
    const t = Date.parse(e.at);
    if (!Number.isNaN(t) && t < min) min = t;
  }
  return min;
}

/** `now`: the day against which detection rules expire. */
export function planCloud(inv: Inventory, now: Date = new Date()): CloudPlan {
  const s = inv.settings;
  const cloud = s.cloud;
  if (!cloud) {
    throw new ConstructValidationError('CLOUD_NOT_CONFIGURED', 'ggi.yaml has no cloud section: add `cloud: { region, hubAsn }` to synthesize the cloud hub', s.loc, []);
  }
  const hub: HubPlan = {
    stack: 'hub',
    region: cloud.region,
    hubAsn: cloud.hubAsn,
    zones: ['overheid', 'markt'],
    blocks: { ...s.numberingPlan.blocks },
    allocationLength: s.numberingPlan.allocationLength,
    parameterPrefix: DEFAULT_PARAMETER_PREFIX,
    loc: s.loc,
    detection: hubDetectionAlerts(activeDetectionRules(inv.veilig, now)),
  };
  const notes: Finding[] = [];
  const orgs = [...inv.organisations].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

  // Which organisations attach to the hub, and their tunnels (allocated over the whole inventory at once).
  const attaching = orgs.filter((o) => o.connectionPoint?.publicAddress);
  for (const o of orgs) {
    if (o.connectionPoint && !o.connectionPoint.publicAddress) {
      notes.push(inv.sources.warning('CLOUD_NO_PUBLIC_ADDRESS', `${o.id}: its connection point has no publicAddress, so it is not attached to the cloud hub`, o.loc, ['connectionPoint'], { key: true }));
    }
  }
  let tunnels: ReturnType<typeof allocateTunnels>;
  try {
    tunnels = allocateTunnels(
      cloud.tunnelInsidePool,
      attaching.map((o) => ({
        organisation: o.id,
        // A supplier attaches in markt only; MarketSupplier refuses anything else, so ask only for what it may have.
        zones: o.kind === 'leverancier' ? (['markt'] as Zone[]) : [...new Set(o.connectionPoint!.zones)],
        onboardedAt: onboardedAt(inv, o.id),
      })),
    );
  } catch (e) {
    if (e instanceof ConstructValidationError && !e.loc) throw new ConstructValidationError(e.code, e.message, s.loc, ['cloud', 'tunnelInsidePool']);
    throw e;
  }

  const planned: OrgPlan[] = [];
  for (const o of orgs) {
    const cp = o.connectionPoint;
    const connection: ConnectionPlan | null =
      cp?.publicAddress
        ? {
            publicAddress: cp.publicAddress,
            asn: cp.asn,
            zones: [...cp.zones],
            tunnels: tunnels.get(o.id)!,
            loc: o.loc,
            sub: ['connectionPoint'],
          }
        : null;
    const prefixes = activeAllocations(inv, o.id);
    const isSupplier = o.kind === 'leverancier';
    if (!connection && !isSupplier && prefixes.length === 0) continue;
    planned.push({
      id: o.id,
      name: o.name,
      kind: o.kind,
      stack: stackNameOf(o.id),
      loc: o.loc,
      connection,
      supplierSigned: isSupplier ? o.ggiAfspraken?.signed === true : null,
      ipv6: prefixes.length ? { block: o.kind, prefixes } : null,
    });
  }
  return { hub, backend: cloud.backend as BackendSettings, organisations: planned, notes };
}
