import type { Inventory } from '../src/model/inventory';
import { ConstructValidationError, isConstructValidationError } from '../src/constructs/errors';
import { GgiHub, HubLookup } from '../src/constructs/hub';
import { ConnectionPoint } from '../src/constructs/connection-point';
import { MarketSupplier } from '../src/constructs/market-supplier';
import { IpamLookup, Ipv6OrganisationPool, Ipv6Plan } from '../src/constructs/ipv6-plan';
import { ZonePolicy, type FlatRule } from '../src/constructs/zone-policy';
import { createStack, dependsOn, stackStandIn, type GgiApp, type GgiStack } from '../src/constructs/app';
import type { CloudPlan, OrgPlan } from './plan';

/**
 * Turns a cloud plan into stacks: one `hub` stack (transit gateway, zone route tables, IPAM plan), one `policy` stack
 * (the zone policy rule groups), and one stack per organisation that attaches to the hub, is a supplier, or holds IPv6
 * allocations. Organisation stacks find the hub through SSM parameters by name (see docs/cdktn.md), so adding an
 * organisation adds one stack and changes no other. This folder names no cdktf API; src/constructs holds all of it.
 */

/** Up to this many flat rules the policy is written as structured 5-tuple rules, above it as Suricata strings. */
export const FIVE_TUPLE_MAX_RULES = 1000;

/** The stack of the zone policy's Network Firewall rule groups. */
export const POLICY_STACK = 'policy';

/** Which stacks one (parallel) part builds. */
export interface StackSelection {
  /**
   * Whether this part builds and writes the hub (default true). A part without it names the hub only as the stack its
   * organisation stacks depend on (a stand-in, not synthesized): another part writes the hub.
   */
  readonly hub?: boolean;
  readonly policy: boolean;
  /** Indexes into plan.organisations; null for all. */
  readonly organisations: ReadonlySet<number> | null;
}

/** The names of every stack of a plan, in output order: hub, policy (when there are rules), organisations by id. */
export function stackOrder(plan: CloudPlan, rules: readonly FlatRule[] | null): string[] {
  return [plan.hub.stack, ...(rules && rules.length > 0 ? [POLICY_STACK] : []), ...plan.organisations.map((o) => o.stack)];
}

/** Adds the plan's stacks to `app`; returns the names of those it writes (hub, policy, then organisations by id). */
export function buildStacks(app: GgiApp, plan: CloudPlan, rules: readonly FlatRule[] | null, select: StackSelection = { policy: true, organisations: null }): string[] {
  const names: string[] = [];
  const stackOpts = { region: plan.hub.region, backend: plan.backend };
  let hubStack: GgiStack;
  if (select.hub === false) {
    hubStack = stackStandIn(plan.hub.stack);
  } else {
    const hub = (hubStack = createStack(app, plan.hub.stack, stackOpts));
    inStack(plan.hub.stack, () => {
      located(plan.hub.loc, ['cloud'], () => {
        new GgiHub(hub, 'hub', { amazonSideAsn: plan.hub.hubAsn, zones: plan.hub.zones, parameterPrefix: plan.hub.parameterPrefix });
      });
      located(plan.hub.loc, ['numberingPlan'], () => {
        new Ipv6Plan(hub, 'ipv6', { region: plan.hub.region, blocks: plan.hub.blocks, allocationLength: plan.hub.allocationLength, parameterPrefix: plan.hub.parameterPrefix });
      });
    });
    names.push(plan.hub.stack);
  }
  if (select.policy && rules && rules.length > 0) {
    // Its own stack: rules that select a whole zone list every member's prefixes, so onboarding a gemeente may
    // change the rule group; keeping it apart leaves the hub's transit gateway, tables and IPAM untouched.
    const policyStack = createStack(app, POLICY_STACK, stackOpts);
    // Structured 5-tuple blocks while the policy is small; beyond that the same rules as Suricata strings, which cdktf
    // synthesizes in well under a second where 25,000 structured rules take it tens of seconds (docs/cdktn.md).
    const format = rules.length <= FIVE_TUPLE_MAX_RULES ? 'five-tuple' : 'suricata';
    inStack(POLICY_STACK, () => located(plan.hub.loc, [], () => new ZonePolicy(policyStack, 'policy', { name: 'ggi-zone-policy', rules, format, detection: plan.hub.detection })));
    names.push(POLICY_STACK);
  }

  for (const [i, org] of plan.organisations.entries()) {
    if (select.organisations && !select.organisations.has(i)) continue;
    const stack = createStack(app, org.stack, stackOpts);
    inStack(org.stack, () => buildOrganisation(stack, plan, org));
    dependsOn(stack, hubStack);
    names.push(org.stack);
  }
  return names;
}

function buildOrganisation(stack: GgiStack, plan: CloudPlan, org: OrgPlan): void {
  const prefix = plan.hub.parameterPrefix;
  const c = org.connection;
  if (org.kind === 'leverancier' && c) {
    located(org.loc, org.supplierSigned ? c.sub : ['ggiAfspraken'], () => {
      new MarketSupplier(stack, 'supplier', {
        organisation: org.id,
        ggiAfsprakenSigned: org.supplierSigned === true,
        zones: c.zones,
        publicAddress: c.publicAddress,
        asn: c.asn,
        tunnels: c.tunnels,
        hub: new HubLookup(stack, 'hub', { parameterPrefix: prefix, zones: ['markt'] }),
        hubAsn: plan.hub.hubAsn,
      });
    });
  } else if (c) {
    located(org.loc, c.sub, () => {
      new ConnectionPoint(stack, 'connection', {
        organisation: org.id,
        publicAddress: c.publicAddress,
        asn: c.asn,
        zones: c.zones,
        tunnels: c.tunnels,
        hub: new HubLookup(stack, 'hub', { parameterPrefix: prefix, zones: c.zones }),
        hubAsn: plan.hub.hubAsn,
      });
    });
  }
  if (org.ipv6) {
    const v6 = org.ipv6;
    located(org.loc, [], () => {
      if (!(v6.block in plan.hub.blocks)) throw new ConstructValidationError('CLOUD_IPAM_BLOCK_UNKNOWN', `${org.id}: no numbering-plan block for kind ${v6.block}`);
      const ipam = new IpamLookup(stack, 'ipam', { block: v6.block, parameterPrefix: prefix });
      new Ipv6OrganisationPool(stack, 'ipv6', {
        organisation: org.id,
        name: org.name,
        block: v6.block,
        prefixes: v6.prefixes,
        region: plan.hub.region,
        ipamScopeId: ipam.scopeId,
        parentPoolId: ipam.poolId,
        blockPrefix: plan.hub.blocks[v6.block],
      });
    });
  }
}

/** Marks a refusal with the stack it happened in. */
function inStack(name: string, f: () => void): void {
  try {
    f();
  } catch (e) {
    if (isConstructValidationError(e) && e.stackName === undefined) e.stackName = name;
    throw e;
  }
}

/** Runs a construct's creation and attaches the inventory location to a validation error that has none. */
export function located(loc: Inventory['settings']['loc'], sub: ReadonlyArray<string | number>, f: () => void): void {
  try {
    f();
  } catch (e) {
    if (isConstructValidationError(e) && !e.loc) {
      const located = new ConstructValidationError(e.code, e.message, loc, sub);
      located.stackName = e.stackName;
      throw located;
    }
    throw e;
  }
}

