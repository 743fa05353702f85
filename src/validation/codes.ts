import { IPV6_CODES } from '../ipv6/codes';

/** One-line descriptions of finding codes, for SARIF rule metadata and `ggi validate --help`. */
const DESCRIPTIONS: Record<string, string> = {
  YAML_SYNTAX: 'The file is not valid YAML.',
  YAML_DUPLICATE_KEY: 'A mapping has the same key twice.',
  SCHEMA_UNKNOWN_KEY: 'A key that the inventory layout does not know (often a typo).',
  SCHEMA_MISSING_KEY: 'A required key is missing.',
  SCHEMA_TYPE: 'A value has the wrong type.',
  SCHEMA_INVALID_VALUE: 'A value is not one of the allowed values.',
  SCHEMA_FORMAT: 'A value does not have the required format.',
  SCHEMA_RANGE: 'A value or list is outside its allowed range or size.',
  SCHEMA_INVALID: 'A value does not match the inventory layout.',
  PREFIX_HOST_BITS: 'A prefix has host bits set.',
  INVALID_PREFIX: 'Not a valid address or prefix.',
  SECRET_IN_INVENTORY: 'A secret is written in the inventory instead of referenced.',
  DUPLICATE_ID: 'Two declarations share an id.',
  UNKNOWN_REFERENCE: 'A reference to something the inventory does not declare.',
  GGI_ONE_CONNECTION_POINT: 'Each organisation has exactly one connection point to GGI-Netwerk.',
  GGI_MARKT_UNSIGNED: 'A supplier offers in markt without signed GGI agreements.',
  ORGANISATION_OFFBOARDED: 'A policy rule or guardrail names an organisation that was offboarded (ggi offboard).',
  GEMEENTE_NOT_IN_LIST: 'A gemeente of the inventory is not on the CBS list checked against (ggi gemeenten check).',
  GEMEENTE_NAME_DIFFERS: 'A gemeente is named otherwise than on the CBS list (ggi gemeenten check).',
  DEVICE_HOST_KEY_MISSING: 'A device has no pinned SSH host key.',
  SV_MEMBER_NO_PREFIXES: 'A member of a samenwerkingsverband has no prefixes of its own.',
  SERVED_BY_NOT_SAMENWERKINGSVERBAND: 'Only a samenwerkingsverband serves other organisations.',
  CONNECTION_POINT_DEVICE: 'The device of a connection point must be a CE of that organisation.',
  SUPPLIER_IN_OVERHEID: 'Suppliers are in the markt zone only, unless admitted as a Diginetwerk Derde (diginetwerkDerde).',
  GGI_AFSPRAKEN_FUTURE: 'The GGI agreements are signed on a future date; until then the supplier counts as not signed.',
  DIGINETWERK_DERDE_ACCEPTED_BY: 'A Diginetwerk Derde is accepted by an Afnemer (a public body), not by a supplier.',
  DIGINETWERK_DERDE_FUTURE: 'The Derde is accepted from a future date; until then it offers nothing in overheid.',
  DIGINETWERK_DERDE_NOT_SUPPLIER: 'diginetwerkDerde applies to suppliers only.',
  SERVICE_ZONE: 'A service is in the wrong zone for its provider.',
  VEILIG_NOT_CONFIGURED: 'GGI-Veilig is not configured: nothing exports telemetry to the SOC.',
  VEILIG_POINT_DARK: 'A connection point or border exports no telemetry to the SOC and is not exempt.',
  VEILIG_COLLECTOR_UNREACHABLE: 'A SOC collector or log receiver is not reachable from the devices.',
  VEILIG_EXEMPTION_EXPIRED: 'A monitoring exemption has ended.',
  VEILIG_DETECTION_INCOMPLETE: 'A detection rule lacks what its kind needs.',
  IPV4_OVERLAP: 'Two holders (organisations, services, address pools) claim overlapping IPv4 addresses.',
};

export function describeCode(code: string): string {
  return DESCRIPTIONS[code] ?? (IPV6_CODES as Record<string, string>)[code] ?? code.toLowerCase().replace(/_/g, ' ');
}
