import { Construct } from 'constructs';
import { VpcIpam } from '@cdktf/provider-aws/lib/vpc-ipam';
import { VpcIpamPool } from '@cdktf/provider-aws/lib/vpc-ipam-pool';
import { VpcIpamPoolCidr } from '@cdktf/provider-aws/lib/vpc-ipam-pool-cidr';
import { SsmParameter } from '@cdktf/provider-aws/lib/ssm-parameter';
import { DataAwsSsmParameter } from '@cdktf/provider-aws/lib/data-aws-ssm-parameter';
import { contains, formatPrefix, overlaps, parsePrefix, type Prefix } from '../net/prefix';
import { ConstructValidationError } from './errors';
import { DEFAULT_PARAMETER_PREFIX, parameterNames } from './names';

export interface Ipv6OrganisationPoolSpec {
  readonly organisation: string;
  readonly name?: string;
  /** The numbering-plan block (ggi.yaml numberingPlan.blocks key) the prefixes come from. */
  readonly block: string;
  /** The organisation's active allocations (its /46s) from the ledger. */
  readonly prefixes: readonly string[];
}

export interface Ipv6PlanProps {
  readonly region: string;
  /** numberingPlan.blocks: block key -> IPv6 prefix. */
  readonly blocks: Readonly<Record<string, string>>;
  /** The allocation length (46): the default netmask of allocations from the block pools. */
  readonly allocationLength: number;
  readonly parameterPrefix?: string;
  /** Child pools created in this same construct (a single-stack layout); the app puts them in organisation stacks. */
  readonly organisations?: readonly Ipv6OrganisationPoolSpec[];
}

function parseV6(what: string, s: string): Prefix {
  let p: Prefix;
  try {
    p = parsePrefix(s);
  } catch (e) {
    throw new ConstructValidationError('CLOUD_IPAM_PREFIX', `${what}: '${s}' is not a prefix (${(e as Error).message})`);
  }
  if (p.family !== 6) throw new ConstructValidationError('CLOUD_IPAM_PREFIX', `${what}: '${s}' is not an IPv6 prefix`);
  return p;
}

/**
 * The IPv6 numbering plan (nummerplankader) as VPC IPAM: one IPAM, a top-level pool in the public scope per block, and
 * the ids published for organisation stacks. The space is GGI's own (BYOIP), so pools are not advertised by AWS.
 */
export class Ipv6Plan extends Construct {
  readonly ipam: VpcIpam;
  readonly blockPools: ReadonlyMap<string, VpcIpamPool>;
  readonly blockPrefixes: ReadonlyMap<string, string>;

  constructor(scope: Construct, id: string, props: Ipv6PlanProps) {
    super(scope, id);
    const prefix = props.parameterPrefix ?? DEFAULT_PARAMETER_PREFIX;
    const keys = Object.keys(props.blocks).sort();
    if (keys.length === 0) throw new ConstructValidationError('CLOUD_IPAM_BLOCKS', 'the numbering plan has no blocks');
    if (!Number.isInteger(props.allocationLength) || props.allocationLength < 1 || props.allocationLength > 128) {
      throw new ConstructValidationError('CLOUD_IPAM_LENGTH', `allocation length ${props.allocationLength} is not an IPv6 prefix length`);
    }
    // Kinds may share a block (provincie and waterschap do): one pool per distinct prefix, named by the prefix so that
    // renaming or adding a kind never replaces a pool; a parameter per kind points at it.
    const parsed = new Map<string, Prefix>();
    for (const k of keys) {
      const p = parseV6(`numbering-plan block ${k}`, props.blocks[k]);
      for (const [other, q] of parsed) {
        if (overlaps(p, q) && !(p.addr === q.addr && p.len === q.len)) {
          throw new ConstructValidationError('CLOUD_IPAM_OVERLAP', `numbering-plan blocks ${other} (${formatPrefix(q)}) and ${k} (${formatPrefix(p)}) overlap`);
        }
      }
      if (p.len > props.allocationLength) throw new ConstructValidationError('CLOUD_IPAM_LENGTH', `numbering-plan block ${k} (${formatPrefix(p)}) is smaller than one /${props.allocationLength} allocation`);
      parsed.set(k, p);
    }
    this.ipam = new VpcIpam(this, 'ipam', {
      description: 'GGI-Netwerk IPv6 numbering plan (nummerplankader)',
      operatingRegions: [{ regionName: props.region }],
      tags: { Name: 'ggi-ipam' },
    });
    new SsmParameter(this, 'param-scope', { name: parameterNames.ipamPublicScopeId(prefix), type: 'String', value: this.ipam.publicDefaultScopeId, description: 'GGI IPAM public scope' });
    const byCidr = new Map<string, VpcIpamPool>();
    const pools = new Map<string, VpcIpamPool>();
    const prefixes = new Map<string, string>();
    for (const k of keys) {
      const cidr = formatPrefix(parsed.get(k)!);
      let pool = byCidr.get(cidr);
      if (!pool) {
        const kinds = keys.filter((x) => formatPrefix(parsed.get(x)!) === cidr);
        const id = `pool-${cidr.replace(/[:/]/g, '-')}`;
        pool = new VpcIpamPool(this, id, {
          addressFamily: 'ipv6',
          ipamScopeId: this.ipam.publicDefaultScopeId,
          publicIpSource: 'byoip',
          publiclyAdvertisable: false,
          allocationDefaultNetmaskLength: props.allocationLength,
          description: `numbering-plan block ${cidr} (${kinds.join(', ')})`,
          tags: { Name: `ggi-block-${cidr}`, 'ggi:block': cidr },
        });
        new VpcIpamPoolCidr(this, `${id}-cidr`, { ipamPoolId: pool.id, cidr });
        byCidr.set(cidr, pool);
      }
      new SsmParameter(this, `param-pool-${k}`, { name: parameterNames.ipamBlockPoolId(prefix, k), type: 'String', value: pool.id, description: `GGI IPAM pool of block ${k}` });
      pools.set(k, pool);
      prefixes.set(k, cidr);
    }
    this.blockPools = pools;
    this.blockPrefixes = prefixes;
    for (const o of [...(props.organisations ?? [])].sort((a, b) => (a.organisation < b.organisation ? -1 : 1))) {
      const parent = pools.get(o.block);
      if (!parent) throw new ConstructValidationError('CLOUD_IPAM_BLOCK_UNKNOWN', `${o.organisation}: no numbering-plan block '${o.block}'`);
      new Ipv6OrganisationPool(this, `org-${o.organisation}`, { ...o, region: props.region, ipamScopeId: this.ipam.publicDefaultScopeId, parentPoolId: parent.id, blockPrefix: prefixes.get(o.block) });
    }
  }
}

export interface Ipv6OrganisationPoolProps extends Ipv6OrganisationPoolSpec {
  readonly region: string;
  readonly ipamScopeId: string;
  readonly parentPoolId: string;
  /** When given, every prefix must lie inside it. */
  readonly blockPrefix?: string;
}

/** An organisation's child pool of its block's pool, holding exactly its /46s from the ledger. */
export class Ipv6OrganisationPool extends Construct {
  readonly pool: VpcIpamPool;
  readonly cidrs: readonly string[];

  constructor(scope: Construct, id: string, props: Ipv6OrganisationPoolProps) {
    super(scope, id);
    const org = props.organisation;
    if (props.prefixes.length === 0) throw new ConstructValidationError('CLOUD_IPAM_EMPTY', `${org}: an IPAM pool needs at least one prefix from the ledger`);
    const block = props.blockPrefix !== undefined ? parseV6(`block ${props.block}`, props.blockPrefix) : null;
    const parsed: Prefix[] = [];
    for (const s of props.prefixes) {
      const p = parseV6(`${org}'s ledger prefix`, s);
      if (block && !contains(block, p)) throw new ConstructValidationError('CLOUD_IPAM_OUTSIDE_BLOCK', `${org}: ledger prefix ${s} lies outside its numbering-plan block ${props.block} (${formatPrefix(block)})`);
      const clash = parsed.find((q) => overlaps(p, q));
      if (clash) throw new ConstructValidationError('CLOUD_IPAM_OVERLAP', `${org}: ledger prefixes ${formatPrefix(clash)} and ${s} overlap`);
      parsed.push(p);
    }
    parsed.sort((a, b) => (a.addr < b.addr ? -1 : a.addr > b.addr ? 1 : a.len - b.len));
    this.cidrs = parsed.map(formatPrefix);
    this.pool = new VpcIpamPool(this, 'pool', {
      addressFamily: 'ipv6',
      ipamScopeId: props.ipamScopeId,
      sourceIpamPoolId: props.parentPoolId,
      locale: props.region,
      awsService: 'ec2',
      publicIpSource: 'byoip',
      publiclyAdvertisable: false,
      description: props.name ? `${org} ${props.name}` : org,
      tags: { Name: `ggi-${org}`, 'ggi:organisation': org, 'ggi:block': props.block },
    });
    this.cidrs.forEach((cidr) => {
      // Named by the prefix, not by position: adding a /46 never renames (and so never replaces) another.
      new VpcIpamPoolCidr(this, `cidr-${cidr.replace(/[:/]/g, '-')}`, { ipamPoolId: this.pool.id, cidr });
    });
  }
}

/** The IPAM ids an organisation stack needs, read from the hub stack's SSM parameters. */
export class IpamLookup extends Construct {
  readonly scopeId: string;
  readonly poolId: string;
  constructor(scope: Construct, id: string, props: { block: string; parameterPrefix?: string }) {
    super(scope, id);
    const prefix = props.parameterPrefix ?? DEFAULT_PARAMETER_PREFIX;
    this.scopeId = new DataAwsSsmParameter(this, 'scope', { name: parameterNames.ipamPublicScopeId(prefix) }).value;
    this.poolId = new DataAwsSsmParameter(this, 'pool', { name: parameterNames.ipamBlockPoolId(prefix, props.block) }).value;
  }
}
