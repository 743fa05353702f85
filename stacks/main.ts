import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, LocalBackend, S3Backend, TerraformBackend, TerraformStack, type TerraformRemoteState } from 'cdktf';
import type { Construct } from 'constructs';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import type { Inventory } from '../src/model/inventory';
import type { Finding } from '../src/model/finding';
import { ConstructValidationError, isConstructValidationError } from '../src/constructs/errors';
import { GgiHub, HubLookup } from '../src/constructs/hub';
import { ConnectionPoint } from '../src/constructs/connection-point';
import { MarketSupplier } from '../src/constructs/market-supplier';
import { IpamLookup, Ipv6OrganisationPool, Ipv6Plan } from '../src/constructs/ipv6-plan';
import { ZonePolicy, type FlatRule } from '../src/constructs/zone-policy';
import { planCloud, type BackendSettings, type CloudPlan, type OrgPlan } from './plan';
import { hubPolicyRules } from './policy';

/**
 * The cdktf app: one `hub` stack (transit gateway, zone route tables, IPAM plan, zone policy) and one stack per
 * organisation that attaches to the hub, is a supplier, or holds IPv6 allocations. Organisation stacks find the hub
 * through SSM parameters by name (see docs/cdktn.md), so adding an organisation adds one stack and changes no other.
 */

export interface SynthOptions {
  /** The flattened policy for the hub's rule group; by default computed from the inventory by the policy engine. */
  readonly policyRules?: readonly FlatRule[] | null;
}

export interface SynthResult {
  /** Stack names, hub first. */
  stacks: string[];
  /** Warnings about what was left out (e.g. a connection point without a public address). */
  notes: Finding[];
}

/**
 * Synthesizes the cloud side of a validated inventory into `outDir` (as `cdktf synth` does). Throws
 * ConstructValidationError (with the inventory location when known) for input the constructs refuse.
 */
export function synthesize(inv: Inventory, outDir: string, opts: SynthOptions = {}): SynthResult {
  const plan = planCloud(inv);
  const rules = opts.policyRules !== undefined ? opts.policyRules : hubPolicyRules(inv);
  // Start from an empty folder: a stack removed from the inventory must not linger in the output.
  fs.rmSync(path.join(outDir, 'stacks'), { recursive: true, force: true });
  fs.mkdirSync(outDir, { recursive: true });
  return withoutTokenStackTraces(() => {
    const app = new App({ outdir: outDir, stackTraces: false });
    const stacks = buildStacks(app, plan, rules ?? null);
    app.synth();
    return { stacks, notes: plan.notes };
  });
}

/**
 * cdktf records a full, unlimited stack trace for every token it creates (each `.id` or `.value` reference), only to
 * print it if that token later fails to resolve. Formatting those traces is about a third of synthesis time at
 * national scale, so while ggi builds its stacks the traces are left unformatted (empty). ggi's own errors are
 * ConstructValidationErrors that carry their location in the inventory instead.
 */
function withoutTokenStackTraces<T>(f: () => T): T {
  const previous = Error.prepareStackTrace;
  Error.prepareStackTrace = () => '';
  try {
    return f();
  } finally {
    Error.prepareStackTrace = previous;
  }
}

/** Adds every stack of the plan to `app`; returns their names. */
export function buildStacks(app: App, plan: CloudPlan, rules: readonly FlatRule[] | null): string[] {
  const names: string[] = [];
  const hubStack = new TerraformStack(app, plan.hub.stack);
  configureStack(hubStack, plan, plan.hub.stack);
  located(plan.hub.loc, ['cloud'], () => {
    new GgiHub(hubStack, 'hub', { amazonSideAsn: plan.hub.hubAsn, zones: plan.hub.zones, parameterPrefix: plan.hub.parameterPrefix });
  });
  located(plan.hub.loc, ['numberingPlan'], () => {
    new Ipv6Plan(hubStack, 'ipv6', { region: plan.hub.region, blocks: plan.hub.blocks, allocationLength: plan.hub.allocationLength, parameterPrefix: plan.hub.parameterPrefix });
  });
  if (rules) new ZonePolicy(hubStack, 'policy', { name: 'ggi-zone-policy', rules });
  names.push(plan.hub.stack);

  for (const org of plan.organisations) {
    const stack = new TerraformStack(app, org.stack);
    configureStack(stack, plan, org.stack);
    buildOrganisation(stack, plan, org);
    stack.addDependency(hubStack);
    names.push(org.stack);
  }
  return names;
}

function buildOrganisation(stack: TerraformStack, plan: CloudPlan, org: OrgPlan): void {
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

function configureStack(stack: TerraformStack, plan: CloudPlan, name: string): void {
  new AwsProvider(stack, 'aws', { region: plan.hub.region, defaultTags: [{ tags: { 'ggi:managed-by': 'ggi', 'ggi:stack': name } }] });
  backendFor(stack, plan.backend, name);
}

/**
 * The Terraform backend, always explicit: cdktf's default local backend writes an absolute path taken from the
 * working directory, which would make the output differ between checkouts.
 */
function backendFor(stack: TerraformStack, b: BackendSettings, name: string): void {
  switch (b.type) {
    case 'local': {
      const p = b.path.replace(/\{stack\}/g, name);
      // Terraform runs in <out>/stacks/<name>; a relative path is taken from the folder holding <out> (the repository).
      new LocalBackend(stack, { path: path.posix.isAbsolute(p) ? p : path.posix.join('../../..', p) });
      return;
    }
    case 's3':
      new S3Backend(stack, { bucket: b.bucket, key: `${b.keyPrefix}${name}.tfstate`, region: b.region, encrypt: true, ...(b.dynamodbTable ? { dynamodbTable: b.dynamodbTable } : {}) });
      return;
    case 'pg':
      new PgEnvBackend(stack, `${b.schemaName}_${name}`.replace(/[^A-Za-z0-9_]/g, '_').toLowerCase());
      return;
  }
}

/**
 * The pg backend without `conn_str`: the connection string holds a password, so it is never written into the
 * output. Terraform reads it from PG_CONN_STR (ggi.yaml `cloud.backend.connStrEnv` names the variable to export as
 * PG_CONN_STR). Each stack gets its own schema: stacks sharing one would share a state.
 */
class PgEnvBackend extends TerraformBackend {
  constructor(scope: Construct, private readonly schemaName: string) {
    super(scope, 'backend', 'pg');
  }
  protected override synthesizeAttributes(): Record<string, unknown> {
    return { schema_name: this.schemaName };
  }
  protected override synthesizeHclAttributes(): Record<string, unknown> {
    return { schema_name: this.schemaName };
  }
  getRemoteStateDataSource(): TerraformRemoteState {
    throw new ConstructValidationError('CLOUD_BACKEND_REMOTE_STATE', 'ggi stacks do not read each other through remote state');
  }
}

/** Runs a construct's creation and attaches the inventory location to a validation error that has none. */
function located(loc: Inventory['settings']['loc'], sub: ReadonlyArray<string | number>, f: () => void): void {
  try {
    f();
  } catch (e) {
    if (isConstructValidationError(e) && !e.loc) throw new ConstructValidationError(e.code, e.message, loc, sub);
    throw e;
  }
}

/** The entry point that cdktf.json runs (`cdktf synth`): the inventory folder from GGI_INVENTORY, default inventory/. */
export function runFromCdktf(env: NodeJS.ProcessEnv = process.env): number {
  // Lazy: the gate loads every check module; only the cdktf entry point needs it here.
  const { gateInventory } = require('./gate') as typeof import('./gate');
  const dir = env.GGI_INVENTORY ?? 'inventory';
  const gate = gateInventory(dir, { profile: env.GGI_PROFILE });
  for (const f of gate.report) process.stderr.write(`${f}\n`);
  if (!gate.inventory) return 1;
  try {
    const res = synthesize(gate.inventory, env.CDKTF_OUTDIR ?? 'cdktf.out');
    for (const n of res.notes) process.stderr.write(`${n.file}:${n.line}:${n.column}: ${n.severity} ${n.code} ${n.message}\n`);
    return 0;
  } catch (e) {
    if (!isConstructValidationError(e)) throw e;
    const f = gate.inventory.sources.error(e.code, e.message, e.loc ?? gate.inventory.settings.loc, e.loc ? e.sub : []);
    process.stderr.write(`${f.file}:${f.line}:${f.column}: ${f.severity} ${f.code} ${f.message}\n`);
    return 1;
  }
}

if (require.main === module) process.exitCode = runFromCdktf();
