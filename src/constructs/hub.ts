import { Construct } from 'constructs';
import { Ec2TransitGateway } from '@cdktf/provider-aws/lib/ec2-transit-gateway';
import { Ec2TransitGatewayRouteTable } from '@cdktf/provider-aws/lib/ec2-transit-gateway-route-table';
import { SsmParameter } from '@cdktf/provider-aws/lib/ssm-parameter';
import { DataAwsSsmParameter } from '@cdktf/provider-aws/lib/data-aws-ssm-parameter';
import { ConstructValidationError } from './errors';
import { DEFAULT_PARAMETER_PREFIX, parameterNames, ZONES, type Zone } from './names';

/** What a connection needs from the hub: the transit gateway and each zone's route table. */
export interface HubRefs {
  readonly transitGatewayId: string;
  routeTableId(zone: Zone): string;
}

export interface GgiHubProps {
  /** The hub's (Amazon side) BGP ASN: 64512-65534 or 4200000000-4294967294, as AWS requires. */
  readonly amazonSideAsn: number;
  /** The zones the hub carries; each gets its own route table. Default both. */
  readonly zones?: readonly Zone[];
  readonly description?: string;
  /** Prefix of the SSM parameters that publish the hub's ids to organisation stacks. */
  readonly parameterPrefix?: string;
}

export function validAmazonSideAsn(asn: number): boolean {
  return Number.isInteger(asn) && ((asn >= 64512 && asn <= 65534) || (asn >= 4200000000 && asn <= 4294967294));
}

/**
 * The cloud hub: one transit gateway and one route table per zone. The default route table association and
 * propagation are disabled, so nothing lands in a shared table; attachments are associated and propagated explicitly
 * to their own zone's table only, and no propagation ever crosses zones (the zones never exchange routes).
 */
export class GgiHub extends Construct implements HubRefs {
  readonly transitGateway: Ec2TransitGateway;
  readonly routeTables: ReadonlyMap<Zone, Ec2TransitGatewayRouteTable>;
  readonly zones: readonly Zone[];

  constructor(scope: Construct, id: string, props: GgiHubProps) {
    super(scope, id);
    if (!validAmazonSideAsn(props.amazonSideAsn)) {
      throw new ConstructValidationError('CLOUD_HUB_ASN', `the hub ASN ${props.amazonSideAsn} is not one AWS accepts for a transit gateway (64512-65534 or 4200000000-4294967294)`);
    }
    const zones = props.zones ?? ZONES;
    if (zones.length === 0 || new Set(zones).size !== zones.length || zones.some((z) => !ZONES.includes(z))) {
      throw new ConstructValidationError('CLOUD_HUB_ZONES', `the hub's zones must be distinct names from ${ZONES.join(', ')} (got ${zones.join(', ') || 'none'})`);
    }
    this.zones = [...zones];
    const prefix = props.parameterPrefix ?? DEFAULT_PARAMETER_PREFIX;
    this.transitGateway = new Ec2TransitGateway(this, 'tgw', {
      description: props.description ?? 'GGI-Netwerk cloud hub',
      amazonSideAsn: props.amazonSideAsn,
      // Explicit association and propagation only: a default table would join the zones.
      defaultRouteTableAssociation: 'disable',
      defaultRouteTablePropagation: 'disable',
      autoAcceptSharedAttachments: 'disable',
      vpnEcmpSupport: 'enable',
      dnsSupport: 'enable',
      tags: { Name: 'ggi-hub' },
    });
    const tables = new Map<Zone, Ec2TransitGatewayRouteTable>();
    for (const zone of this.zones) {
      const rt = new Ec2TransitGatewayRouteTable(this, `rt-${zone}`, {
        transitGatewayId: this.transitGateway.id,
        tags: { Name: `ggi-${zone}`, 'ggi:zone': zone },
      });
      tables.set(zone, rt);
      new SsmParameter(this, `param-rt-${zone}`, { name: parameterNames.routeTableId(prefix, zone), type: 'String', value: rt.id, description: `GGI hub route table of zone ${zone}` });
    }
    this.routeTables = tables;
    new SsmParameter(this, 'param-tgw', { name: parameterNames.transitGatewayId(prefix), type: 'String', value: this.transitGateway.id, description: 'GGI hub transit gateway' });
  }

  get transitGatewayId(): string {
    return this.transitGateway.id;
  }

  routeTableId(zone: Zone): string {
    const rt = this.routeTables.get(zone);
    if (!rt) throw new ConstructValidationError('CLOUD_HUB_ZONE_MISSING', `the hub has no route table for zone ${zone}`);
    return rt.id;
  }
}

export interface HubLookupProps {
  readonly parameterPrefix?: string;
  readonly zones: readonly Zone[];
}

/**
 * The hub as an organisation stack sees it: read from the SSM parameters the hub stack writes. Only the zones the
 * organisation joins are looked up, so its stack names nothing it does not use.
 */
export class HubLookup extends Construct implements HubRefs {
  private readonly prefix: string;
  private readonly tgw: DataAwsSsmParameter;
  private readonly tables = new Map<Zone, DataAwsSsmParameter>();

  constructor(scope: Construct, id: string, props: HubLookupProps) {
    super(scope, id);
    this.prefix = props.parameterPrefix ?? DEFAULT_PARAMETER_PREFIX;
    this.tgw = new DataAwsSsmParameter(this, 'tgw', { name: parameterNames.transitGatewayId(this.prefix) });
    for (const zone of [...props.zones].sort()) {
      this.tables.set(zone, new DataAwsSsmParameter(this, `rt-${zone}`, { name: parameterNames.routeTableId(this.prefix, zone) }));
    }
  }

  get transitGatewayId(): string {
    return this.tgw.value;
  }

  routeTableId(zone: Zone): string {
    const p = this.tables.get(zone);
    if (!p) throw new ConstructValidationError('CLOUD_HUB_ZONE_MISSING', `the hub lookup was not asked for zone ${zone}`);
    return p.value;
  }
}
