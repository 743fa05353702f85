import { Construct } from 'constructs';
import { CustomerGateway } from '@cdktf/provider-aws/lib/customer-gateway';
import { VpnConnection } from '@cdktf/provider-aws/lib/vpn-connection';
import { Ec2TransitGatewayRouteTableAssociation } from '@cdktf/provider-aws/lib/ec2-transit-gateway-route-table-association';
import { Ec2TransitGatewayRouteTablePropagation } from '@cdktf/provider-aws/lib/ec2-transit-gateway-route-table-propagation';
import { parseAddress } from '../net/address';
import { parsePrefix } from '../net/prefix';
import { ConstructValidationError } from './errors';
import type { HubRefs } from './hub';
import { ZONES, type Zone } from './names';
import { AWS_RESERVED_TUNNEL_CIDRS, AWS_TUNNEL_RANGE, type TunnelPair } from './tunnels';

export interface ConnectionPointProps {
  /** The organisation id (GM0546, SV0001, …): names and tags. */
  readonly organisation: string;
  /** The CE's public IPv4 address: the customer gateway. */
  readonly publicAddress: string;
  /** The CE's BGP ASN. */
  readonly asn: number;
  /** The zones the connection point joins: one VPN connection each. */
  readonly zones: readonly Zone[];
  /** Inside-tunnel /30s per zone (see allocateTunnels). */
  readonly tunnels: ReadonlyMap<Zone, TunnelPair>;
  readonly hub: HubRefs;
  /** The hub's own ASN; the CE must use another one. */
  readonly hubAsn?: number;
}

const MAX_ASN = 4294967294;
const MAX_ASN_16BIT_FIELD = 2147483647;

/**
 * A connection point in the cloud hub: a customer gateway for the CE and, per joined zone, one BGP VPN connection
 * whose transit gateway attachment is associated with, and propagates to, that zone's route table only.
 */
export class ConnectionPoint extends Construct {
  readonly customerGateway: CustomerGateway;
  readonly vpnConnections: ReadonlyMap<Zone, VpnConnection>;

  constructor(scope: Construct, id: string, props: ConnectionPointProps) {
    super(scope, id);
    const org = props.organisation;
    validateConnection(props);
    this.customerGateway = new CustomerGateway(this, 'cgw', {
      type: 'ipsec.1',
      ipAddress: props.publicAddress,
      // bgp_asn takes up to 2^31-1; larger 4-byte ASNs go in bgp_asn_extended.
      ...(props.asn <= MAX_ASN_16BIT_FIELD ? { bgpAsn: String(props.asn) } : { bgpAsnExtended: String(props.asn) }),
      tags: { Name: `ggi-${org}`, 'ggi:organisation': org },
    });
    const vpns = new Map<Zone, VpnConnection>();
    for (const zone of [...props.zones].sort()) {
      const t = props.tunnels.get(zone)!;
      const vpn = new VpnConnection(this, `vpn-${zone}`, {
        type: 'ipsec.1',
        customerGatewayId: this.customerGateway.id,
        transitGatewayId: props.hub.transitGatewayId,
        staticRoutesOnly: false,
        tunnel1InsideCidr: t.tunnel1,
        tunnel2InsideCidr: t.tunnel2,
        tags: { Name: `ggi-${org}-${zone}`, 'ggi:organisation': org, 'ggi:zone': zone },
      });
      const table = props.hub.routeTableId(zone);
      new Ec2TransitGatewayRouteTableAssociation(this, `assoc-${zone}`, { transitGatewayAttachmentId: vpn.transitGatewayAttachmentId, transitGatewayRouteTableId: table });
      new Ec2TransitGatewayRouteTablePropagation(this, `prop-${zone}`, { transitGatewayAttachmentId: vpn.transitGatewayAttachmentId, transitGatewayRouteTableId: table });
      vpns.set(zone, vpn);
    }
    this.vpnConnections = vpns;
  }
}

function validateConnection(props: ConnectionPointProps): void {
  const org = props.organisation;
  let addr: { family: number; value: bigint };
  try {
    addr = parseAddress(props.publicAddress);
  } catch (e) {
    throw new ConstructValidationError('CLOUD_CGW_ADDRESS', `${org}: publicAddress '${props.publicAddress}' is not an IP address (${(e as Error).message})`);
  }
  if (addr.family !== 4) {
    throw new ConstructValidationError('CLOUD_CGW_ADDRESS', `${org}: publicAddress '${props.publicAddress}' is IPv6; the hub's customer gateways take the CE's public IPv4 address`);
  }
  if (!Number.isInteger(props.asn) || props.asn < 1 || props.asn > MAX_ASN) {
    throw new ConstructValidationError('CLOUD_CGW_ASN', `${org}: ASN ${props.asn} is outside 1-${MAX_ASN}, which AWS accepts for a customer gateway`);
  }
  if (props.hubAsn !== undefined && props.asn === props.hubAsn) {
    throw new ConstructValidationError('CLOUD_CGW_ASN', `${org}: the CE's ASN ${props.asn} is the hub's own ASN; eBGP to the hub needs a different one`);
  }
  if (props.zones.length === 0 || new Set(props.zones).size !== props.zones.length || props.zones.some((z) => !ZONES.includes(z))) {
    throw new ConstructValidationError('CLOUD_CP_ZONES', `${org}: a connection point joins one or more distinct zones of ${ZONES.join(', ')} (got ${props.zones.join(', ') || 'none'})`);
  }
  const range = parsePrefix(AWS_TUNNEL_RANGE);
  const reserved = new Set<string>(AWS_RESERVED_TUNNEL_CIDRS);
  const used = new Set<string>();
  for (const zone of props.zones) {
    const t = props.tunnels.get(zone);
    if (!t) throw new ConstructValidationError('CLOUD_TUNNEL_MISSING', `${org}: no inside-tunnel addresses for zone ${zone}`);
    for (const c of [t.tunnel1, t.tunnel2]) {
      let p: ReturnType<typeof parsePrefix>;
      try {
        p = parsePrefix(c);
      } catch {
        throw new ConstructValidationError('CLOUD_TUNNEL_CIDR', `${org}: inside-tunnel CIDR '${c}' is not a prefix`);
      }
      if (p.family !== 4 || p.len !== 30 || (p.addr >> 16n) !== range.addr >> 16n) {
        throw new ConstructValidationError('CLOUD_TUNNEL_CIDR', `${org}: inside-tunnel CIDR '${c}' must be a /30 inside ${AWS_TUNNEL_RANGE}`);
      }
      if (reserved.has(c)) throw new ConstructValidationError('CLOUD_TUNNEL_CIDR', `${org}: inside-tunnel CIDR '${c}' is reserved by AWS`);
      if (used.has(c)) throw new ConstructValidationError('CLOUD_TUNNEL_CIDR', `${org}: inside-tunnel CIDR '${c}' is used twice`);
      used.add(c);
    }
  }
}
