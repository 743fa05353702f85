/**
 * `veilig.yaml` of a generated inventory: the SOC on the management network, every CE and border exporting unsampled
 * flows and dropped packets, and a few detection rules of each kind (docs/veilig.md).
 */
export function veiligYaml(opts: { socAddress: string }): string {
  return `# GGI-Veilig: monitoring of all GGI-Netwerk traffic for the shared SOC (docs/veilig.md).
# The SOC's collectors sit on the management network the devices export from. No secrets here.
soc:
  name: GGI-Veilig SOC
  collectors:
    - { id: soc-flows, address: ${opts.socAddress}, port: 2055, protocol: netflow-v9 }
  logReceivers:
    - { id: soc-logs, address: ${opts.socAddress}, port: 5140, protocol: json-udp }

# Every connection point's CE and every border exports, unsampled: usage is billed from these records.
export:
  roles: [ce, border-overheid, border-markt]
  sampling: 1
  activeTimeoutS: 60
  drops: true

# Detection rules, compiled into the borders' packet filter as rules that log with the rule's id.
detection:
  - id: bekend-kwaadaardig
    kind: destination
    prefixes: [198.51.100.250/32, 2001:db8:bad::/48]
    owner: ggi-veilig-soc
    reason: adressen uit de dreigingsinformatie die gemeenten delen
  - id: geen-telnet
    kind: service
    proto: tcp
    ports: [23]
    owner: ggi-veilig-soc
    reason: telnet is onversleuteld en hoort niet op GGI-Netwerk
  - id: scan-of-flood
    kind: rate
    perSecond: 200
    owner: ggi-veilig-soc
    reason: meer dan 200 nieuwe verbindingen per seconde van een bron is een scan of een flood

exemptions: []
`;
}
