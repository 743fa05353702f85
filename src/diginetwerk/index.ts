/** src/diginetwerk: what GGI-Netwerk announces to and accepts from the KPS, and the Diginetwerk connection checks. */
export { type KpsRoutingPolicy, kpsRoutingPolicy, ceAnnouncements, diginetwerkUnfit, documentationAllowed, inOverheidZone } from './routing';
export { checkDiginetwerk } from './checks';
