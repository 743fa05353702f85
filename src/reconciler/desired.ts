import { vtysh, type DeviceLayout as RenderLayout, type RenderedDevice } from '../devices';
import { shq } from './transport';
import type { DesiredDevice, LiveProbe, VerifyCheck } from './types';

/**
 * How a rollback undoes a file that did not exist before (a first apply): the ggi nftables table is deleted; FRR is
 * reloaded with an empty configuration (by the renderer's own reload command, on a temporary file).
 */
function deactivation(name: string, path: string, r: RenderedDevice): string[][] | undefined {
  if (name === 'ggi.nft') {
    const { family, name: table } = r.verify.nftTable;
    return [['sh', '-c', `! nft list table ${family} ${table} >/dev/null 2>&1 || nft delete table ${family} ${table}`]];
  }
  if (name === 'frr.conf') {
    const reload = r.activate.find((c) => c.includes(path));
    if (!reload) return undefined;
    const empty = `${path}.ggi-empty`;
    const cmd = reload.map((a) => shq(a === path ? empty : a)).join(' ');
    return [['sh', '-c', `printf 'frr defaults traditional\\n' > ${shq(empty)} && ${cmd}; s=$?; rm -f ${shq(empty)}; exit $s`]];
  }
  return undefined;
}

/**
 * Adapts a renderer's output (src/devices) into what the reconciler converges. Pure.
 * - candidates go next to their final path (the renderer's validate commands read them there);
 * - verification: the ruleset must be loaded, every expected BGP session Established, every expected prefix sent and
 *   received (FRR JSON, polled by the controller), plus the installed files' checksums (always, in verifyScript);
 * - live probes (the renderer's, or by default the kernel's `table inet ggi` as a stateless listing and FRR's running
 *   configuration), so that a hand edit of either is drift even when the files are untouched;
 * - relayed prefixes (learned from other devices) are verified too, but excused when any device failed in the run.
 */
export function desiredFromRendered(id: string, r: RenderedDevice, layout: RenderLayout, verifyTimeoutS?: number): DesiredDevice {
  const t = verifyTimeoutS === undefined ? {} : { timeoutS: verifyTimeoutS };
  const verify: VerifyCheck[] = [];
  const live: LiveProbe[] = [];
  const names = new Set(r.files.map((f) => f.name));
  if (names.has('ggi.nft')) {
    const { family, name } = r.verify.nftTable;
    verify.push({ kind: 'command', name: `nftables table ${family} ${name} is loaded`, argv: r.verify.nftListCommand, ...t });
    if (!r.live) live.push({ name: 'nftables', argv: ['nft', '-s', 'list', 'table', family, name] });
  }
  if (names.has('frr.conf')) {
    if (!r.live) live.push({ name: 'frr', argv: vtysh(layout, '-c', 'show running-config') });
    if (r.verify.sessionsCommand && r.verify.sessions.length > 0) {
      verify.push({ kind: 'bgp-sessions', name: 'BGP sessions established', argv: r.verify.sessionsCommand, peers: r.verify.sessions.map((s) => ({ address: s.peer, device: s.peerDevice })), ...t });
    }
    for (const a of r.verify.advertised) {
      if (a.prefixes.length) verify.push({ kind: 'bgp-routes', name: `prefixes sent to ${a.peerDevice} (${a.peer})`, argv: a.command, direction: 'advertised', prefixes: a.prefixes, peerDevice: a.peerDevice, ...t });
    }
    for (const a of r.verify.relayed ?? []) {
      if (a.prefixes.length) verify.push({ kind: 'bgp-routes', name: `prefixes relayed to ${a.peerDevice} (${a.peer})`, argv: a.command, direction: 'advertised', prefixes: a.prefixes, peerDevice: a.peerDevice, relayed: true, ...t });
    }
    for (const a of r.verify.received) {
      if (a.prefixes.length) verify.push({ kind: 'bgp-routes', name: `prefixes received from ${a.peerDevice} (${a.peer})`, argv: a.command, direction: 'received', prefixes: a.prefixes, peerDevice: a.peerDevice, ...t });
    }
  }
  return {
    id,
    files: r.files.map((f) => ({ path: f.path, content: f.content, mode: f.mode, candidate: f.candidate, deactivate: deactivation(f.name, f.path, r) })),
    validate: r.validate,
    activate: r.activate,
    verify,
    // The renderer's own probes when it gives them (stable listings of the ruleset and FRR's running config).
    live: r.live ? r.live.map((p) => ({ name: p.name, argv: p.argv })) : live,
  };
}
