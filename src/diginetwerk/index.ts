/** src/diginetwerk: what GGI-Netwerk announces to and accepts from the KPS, and the Diginetwerk connection checks. */
export { type KpsRoutingPolicy, kpsRoutingPolicy, ceAnnouncements, diginetwerkUnfit, documentationAllowed, inOverheidZone } from './routing';
export { checkDiginetwerk } from './checks';
export { checkResilience, acceptedRisks } from './resilience';
export { routeOrigins, exportRouteObjects, roaSuggestions, exportRoaCsv, arpaDelegations, exportArpaZone, arpaParentZone, type RouteOrigin, type RoaSuggestion, type ArpaDelegation } from './exports';
