import { Construct } from 'constructs';
import { ConnectionPoint } from './connection-point';
import { ConstructValidationError } from './errors';
import type { HubRefs } from './hub';
import type { Zone } from './names';
import type { TunnelPair } from './tunnels';

export interface MarketSupplierProps {
  /** The supplier's id (LV…). */
  readonly organisation: string;
  /** Whether the supplier has signed the GGI agreements (GGI-Afspraken): nothing is offered in markt before that. */
  readonly ggiAfsprakenSigned: boolean;
  /** The zones the supplier's connection point declares: markt only. */
  readonly zones: readonly Zone[];
  readonly publicAddress: string;
  readonly asn: number;
  readonly tunnels: ReadonlyMap<Zone, TunnelPair>;
  readonly hub: HubRefs;
  readonly hubAsn?: number;
}

/**
 * A supplier admitted to the markt zone: its attachment joins the markt table and nothing else. Refused for a supplier
 * that has not signed the GGI agreements, and for one that asks for any other zone.
 */
export class MarketSupplier extends Construct {
  readonly connection: ConnectionPoint;

  constructor(scope: Construct, id: string, props: MarketSupplierProps) {
    super(scope, id);
    if (!props.ggiAfsprakenSigned) {
      throw new ConstructValidationError('CLOUD_SUPPLIER_UNSIGNED', `supplier ${props.organisation} has not signed the GGI agreements (ggiAfspraken.signed is not true): it cannot be attached to the markt zone`);
    }
    const other = props.zones.filter((z) => z !== 'markt');
    if (other.length > 0) {
      throw new ConstructValidationError('CLOUD_SUPPLIER_ZONE', `supplier ${props.organisation} asks for zone ${other.join(', ')}; suppliers attach to markt only`);
    }
    this.connection = new ConnectionPoint(this, 'attachment', {
      organisation: props.organisation,
      publicAddress: props.publicAddress,
      asn: props.asn,
      zones: ['markt'],
      tunnels: props.tunnels,
      hub: props.hub,
      hubAsn: props.hubAsn,
    });
  }
}
