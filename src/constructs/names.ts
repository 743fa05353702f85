/**
 * Names shared between the hub stack and the organisation stacks (pure; no cdktf). Organisation stacks find the hub
 * through SSM parameters written by the hub stack, looked up by these names, instead of cdktf cross-stack outputs:
 * that way adding an organisation never adds an output (or anything else) to the hub stack.
 */
export const DEFAULT_PARAMETER_PREFIX = '/ggi';

export const ZONES = ['overheid', 'markt'] as const;
export type Zone = (typeof ZONES)[number];

export const parameterNames = {
  transitGatewayId: (prefix: string) => `${prefix}/hub/transit-gateway-id`,
  routeTableId: (prefix: string, zone: Zone) => `${prefix}/hub/route-table/${zone}`,
  ipamPublicScopeId: (prefix: string) => `${prefix}/ipam/public-scope-id`,
  ipamBlockPoolId: (prefix: string, block: string) => `${prefix}/ipam/pool/${block}`,
};

/** Identifiers as Terraform and AWS accept them in names: letters, digits, hyphens. */
export function safeName(s: string): string {
  return s.replace(/[^A-Za-z0-9-]+/g, '-').replace(/^-+|-+$/g, '');
}

/** ggi.yaml `cloud.backend`: where each stack keeps its Terraform state. */
export type BackendSettings =
  | { type: 'local'; path: string }
  | { type: 's3'; bucket: string; keyPrefix: string; region: string; dynamodbTable?: string }
  | { type: 'pg'; connStrEnv: string; schemaName: string };
