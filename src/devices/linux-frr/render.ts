import type { BgpIntent, BgpNeighbor, DeviceIntent, PrefixList } from '../../intent/types';

/**
 * Platform `linux-frr` (Debian 12: FRR 8.4 for BGP, nftables 1.0 for policy): the pure renderers. DeviceIntent in,
 * configuration text and the expectations to verify out; where the files go and which commands run them is the
 * driver's (./index.ts).
 */

/** Prefixes to see on one BGP session, in one direction. */
export interface RouteExpectation {
  peer: string;
  family: 4 | 6;
  peerDevice: string;
  prefixes: string[];
}

/** What must hold once a linux-frr device runs its candidate (Candidate.checks of this platform). Plain data. */
export interface FrrExpectations {
  /** Every BGP session that must be Established. */
  sessions: Array<{ peer: string; family: 4 | 6; peerDevice: string; remoteAsn: number }>;
  /** Prefixes the device originates and must send to each peer: depends only on this device. */
  advertised: RouteExpectation[];
  /**
   * Prefixes the device passes on (learned from one peer, permitted out to another), e.g. border-overheid relaying the
   * CEs' prefixes to the KPS: present only once the other devices are configured and their sessions are up.
   */
  relayed: RouteExpectation[];
  /** Prefixes the device should accept from each peer (the exact permits of the inbound list): depends on the peer. */
  received: RouteExpectation[];
}

/** frr.conf for FRR 8.4 (integrated config). Deterministic: same intent, same bytes. */
export function renderFrrConf(intent: DeviceIntent): string {
  const bgp = intent.bgp;
  const out: string[] = [];
  out.push('! Managed by ggi: changes made here are reported by `ggi drift` and replaced by `ggi apply`.');
  // No `hostname` (vtysh shows the system's, so it would always read as a difference) and no `service
  // integrated-vtysh-config` (it belongs in vtysh.conf): the file holds only what `show running-config` echoes back.
  out.push('frr defaults traditional');
  out.push('!');
  for (const i of intent.interfaces) {
    out.push(`interface ${i.name}`);
    const what = i.peer?.device ?? i.service ?? [i.organisation, i.segment].filter(Boolean).join(' ');
    out.push(` description ${describe(i.kind, what || undefined)}`);
    out.push('exit');
  }
  out.push('!');
  if (!bgp) return `${out.join('\n')}\n`;

  for (const l of bgp.prefixLists) out.push(...renderPrefixList(l));
  out.push('!');
  if (intent.staticRoutes.length > 0) {
    for (const r of intent.staticRoutes) {
      const v6 = r.prefix.includes(':');
      out.push(`${v6 ? 'ipv6' : 'ip'} route ${r.prefix} ${r.via === 'blackhole' ? 'blackhole' : r.via}`);
    }
    out.push('!');
  }
  // One route-map per prefix list; a route-map with no matching clause denies, so the lists are the whole policy.
  for (const l of bgp.prefixLists) {
    out.push(`route-map ${routeMapName(l.name)} permit 10`);
    out.push(` match ${l.family === 4 ? 'ip' : 'ipv6'} address prefix-list ${l.name}`);
    out.push('exit');
  }
  // A standby device's outbound maps: the same list, the own ASN prepended (the neighbour prefers the active device).
  for (const [name, n] of prependMaps(bgp)) {
    out.push(`route-map ${name} permit 10`);
    out.push(` match ${n.family === 4 ? 'ip' : 'ipv6'} address prefix-list ${n.prefixListOut}`);
    out.push(` set as-path prepend ${Array.from({ length: n.prependOut ?? 0 }, () => bgp.localAsn).join(' ')}`);
    out.push('exit');
  }
  out.push('!');
  out.push(...renderRouterBgp(bgp));
  out.push('!');
  if (bgp.bfd && bgp.neighbors.length > 0) out.push(...renderBfd(bgp.bfd));
  out.push('end');
  return `${out.join('\n')}\n`;
}

function renderPrefixList(l: PrefixList): string[] {
  const kw = l.family === 4 ? 'ip' : 'ipv6';
  return l.entries.map((e) => `${kw} prefix-list ${l.name} seq ${e.seq} ${e.action} ${e.prefix}${e.le !== undefined ? ` le ${e.le}` : ''}`);
}

function renderRouterBgp(bgp: BgpIntent): string[] {
  const out: string[] = [];
  out.push(`router bgp ${bgp.localAsn}`);
  out.push(` bgp router-id ${bgp.routerId}`);
  out.push(' bgp log-neighbor-changes');
  out.push(' no bgp default ipv4-unicast');
  // `bgp ebgp-requires-policy` is FRR 8.4's default (so not written); every session has route-maps in and out anyway.
  for (const n of bgp.neighbors) {
    out.push(` neighbor ${n.address} remote-as ${n.remoteAsn}`);
    out.push(` neighbor ${n.address} description ${sanitize(n.description)}`);
    // FRR 8.4 echoes both lines for a profile (`show running-config`), so both are written.
    if (bgp.bfd) out.push(` neighbor ${n.address} bfd`, ` neighbor ${n.address} bfd profile ${bgp.bfd.profile}`);
  }
  for (const family of [4, 6] as const) {
    const ns = bgp.neighbors.filter((n) => n.family === family);
    const nets = family === 4 ? bgp.originate.ipv4 : bgp.originate.ipv6;
    if (ns.length === 0 && nets.length === 0) continue;
    out.push(' !');
    out.push(` address-family ${family === 4 ? 'ipv4' : 'ipv6'} unicast`);
    for (const p of nets) out.push(`  network ${p}`);
    for (const n of ns) out.push(...neighborAf(n, bgp.localAsn));
    out.push(' exit-address-family');
  }
  out.push('exit');
  return out;
}

/** The BFD profile, as FRR 8.4 prints it back: values equal to FRR's defaults (300 ms, multiplier 3) are left out. */
function renderBfd(b: NonNullable<BgpIntent['bfd']>): string[] {
  const out = ['bfd', ` profile ${b.profile}`];
  if (b.multiplier !== 3) out.push(`  detect-multiplier ${b.multiplier}`);
  if (b.intervalMs !== 300) out.push(`  transmit-interval ${b.intervalMs}`, `  receive-interval ${b.intervalMs}`);
  out.push(' exit', ' !', 'exit', '!');
  return out;
}

/** The outbound route-map of a neighbour: its list's, or the prepending one of a standby device (eBGP only). */
function outMapName(n: BgpNeighbor, localAsn: number): string {
  return n.prependOut && n.remoteAsn !== localAsn ? `${routeMapName(n.prefixListOut)}-PP${n.prependOut}` : routeMapName(n.prefixListOut);
}

function prependMaps(bgp: BgpIntent): Map<string, BgpNeighbor> {
  const maps = new Map<string, BgpNeighbor>();
  for (const n of bgp.neighbors) if (outMapName(n, bgp.localAsn) !== routeMapName(n.prefixListOut)) maps.set(outMapName(n, bgp.localAsn), n);
  return new Map([...maps].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function neighborAf(n: BgpNeighbor, localAsn: number): string[] {
  const out = [
    `  neighbor ${n.address} activate`,
    // iBGP (the KPS's link between its data centres): the transfer networks are not routed inside, so the peer is the next hop.
    ...(n.remoteAsn === localAsn ? [`  neighbor ${n.address} next-hop-self`] : []),
    `  neighbor ${n.address} route-map ${routeMapName(n.prefixListIn)} in`,
    `  neighbor ${n.address} route-map ${outMapName(n, localAsn)} out`,
    // FRR 8.4 counts only accepted routes towards maximum-prefix; `force` adds the routes the in-policy drops, which
    // it finds only in the Adj-RIB-In that soft-reconfiguration inbound keeps (bgp_route.c bgp_filtered_routes_count).
    // It checks the count whenever it accepts a route, so a flood of filtered routes trips the session at the peer's
    // next acceptable announcement. Only where the peer is not ggi's (the KPS): FRR counts every peer's filtered
    // Adj-RIB-In entries against the session, so on ggi's own sessions it would trip them on other peers' routes.
    ...(n.maxPrefixCountsFiltered ? [`  neighbor ${n.address} soft-reconfiguration inbound`] : []),
    `  neighbor ${n.address} maximum-prefix ${n.maxPrefixIn}${n.maxPrefixCountsFiltered ? ' force' : ''}`,
  ];
  if (n.maxPrefixOut !== undefined) out.push(`  neighbor ${n.address} maximum-prefix-out ${n.maxPrefixOut}`);
  return out;
}

export function routeMapName(prefixList: string): string {
  return `RM-${prefixList}`;
}

function describe(kind: string, what: string | undefined): string {
  return sanitize(what ? `${kind} ${what}` : kind);
}

/** FRR descriptions are free text to end of line; keep them printable and single-line. */
function sanitize(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, '?').replace(/\s+/g, ' ').trim() || '-';
}

export function withNewline(s: string): string {
  return s.endsWith('\n') ? s : `${s}\n`;
}

/** The sessions and prefixes to verify, from the intent alone. */
export function frrExpectations(intent: DeviceIntent): FrrExpectations {
  const bgp = intent.bgp;
  if (!bgp) return { sessions: [], advertised: [], relayed: [], received: [] };
  const lists = new Map(bgp.prefixLists.map((l) => [l.name, l]));
  const exactPermits = (name: string): string[] => (lists.get(name)?.entries ?? []).filter((e) => e.action === 'permit' && e.le === undefined).map((e) => e.prefix);
  const originated = new Set([...bgp.originate.ipv4, ...bgp.originate.ipv6]);
  const learnable = new Set(bgp.neighbors.flatMap((n) => exactPermits(n.prefixListIn)));
  const each = (prefixes: (n: BgpNeighbor) => string[]): RouteExpectation[] => bgp.neighbors.map((n) => ({ peer: n.address, family: n.family, peerDevice: n.peerDevice, prefixes: prefixes(n) }));
  return {
    sessions: bgp.neighbors.map((n) => ({ peer: n.address, family: n.family, peerDevice: n.peerDevice, remoteAsn: n.remoteAsn })),
    advertised: each((n) => exactPermits(n.prefixListOut).filter((p) => originated.has(p))),
    relayed: each((n) => exactPermits(n.prefixListOut).filter((p) => !originated.has(p) && learnable.has(p))),
    received: each((n) => exactPermits(n.prefixListIn)),
  };
}

/**
 * Parses `frr-reload.py --test` output into the lines that differ between the running config and the file. The
 * system hostname (always reported, since the file has none) is ignored. Both empty: FRR runs exactly the file.
 */
export function parseFrrReloadTest(stdout: string): { toDelete: string[]; toAdd: string[] } {
  const toDelete: string[] = [];
  const toAdd: string[] = [];
  let cur: string[] | null = null;
  for (const raw of stdout.split('\n')) {
    const line = raw.trimEnd();
    if (/^Lines To Delete\s*$/.test(line)) cur = toDelete;
    else if (/^Lines To Add\s*$/.test(line)) cur = toAdd;
    else if (/^=+$/.test(line) || line.trim() === '' || cur === null) continue;
    else if (/^(no )?hostname /.test(line.trim())) continue;
    else cur.push(line);
  }
  return { toDelete, toAdd };
}
