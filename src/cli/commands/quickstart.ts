import * as path from 'node:path';
import { type Command, type CommandContext, EXIT, type ExitCode, flagBool, type Io } from '../context';
import { table } from '../report/table';
import { printJson } from '../report/output';

/**
 * The main job on an inventory: validate it, bring up the lab of real routers, apply the desired state to every
 * router, and verify the result with real packets: BGP sessions, what the KPS receives, and every flow between hosts
 * against the policy engine's verdict.
 */
export const commands: Command[] = [
  {
    spec: {
      name: 'quickstart',
      summary: 'validate, bring up the lab, apply, and verify sessions, KPS routes and real flows',
      flags: {
        state: { type: 'string', default: '.ggi-state/lab', help: 'lab state folder' },
        down: { type: 'boolean', help: 'remove the lab at the end' },
        format: { type: 'string', choices: ['text', 'json'], default: 'text', help: 'output format of the verification' },
      },
      details: 'Needs root on Linux (network namespaces) and the Debian packages of scripts/install.sh. Exit 0 when every check holds, 1 for an invalid inventory, 3 when a device or a check failed.',
    },
    run: quickstart,
  },
];

/** Runs another command in-process; its human output goes to stderr when this one prints JSON. */
async function sub(ctx: CommandContext, argv: string[], quiet: boolean): Promise<ExitCode> {
  const { main } = require('../main') as typeof import('../main');
  const io: Io = quiet ? { ...ctx.io, stdout: ctx.io.stderr } : ctx.io;
  return main([...argv, '--inventory', ctx.global.inventory], io);
}

async function quickstart(ctx: CommandContext): Promise<ExitCode> {
  const json = ctx.args.flags.format === 'json';
  const say = (t: string) => (json ? ctx.io.stderr(t) : ctx.io.stdout(t));
  const state = path.resolve(ctx.io.cwd, String(ctx.args.flags.state));

  say('== 1. validate the inventory\n');
  const v = await sub(ctx, ['validate'], json);
  if (v !== EXIT.OK) return v;
  say(await summary(ctx));

  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    ctx.io.stderr('ggi quickstart: the lab needs root on Linux (network namespaces); run it as root after scripts/install.sh\n');
    return EXIT.INVALID;
  }
  const lab = require('../../lab') as typeof import('../../lab');
  say('\n== 2. bring up the lab\n');
  if (lab.labStatus(state).up) say(`a lab is already up in ${path.relative(ctx.io.cwd, state)}; using it\n`);
  else {
    const u = await sub(ctx, ['lab', 'up', '--state', state], json);
    if (u !== EXIT.OK) return u;
  }

  say('\n== 3. apply the desired state to every router\n');
  const a = await sub(ctx, ['apply', '--target', 'lab', '--lab-state', state, '--yes'], json);

  say('\n== 4. verify with real packets\n');
  const report = await verify(ctx, state, (t) => say(t));
  if (json) printJson(ctx.io, { apply: a === EXIT.OK ? 'ok' : 'failed', ...report.doc });
  else ctx.io.stdout(report.text);

  if (flagBool(ctx.args, 'down')) await sub(ctx, ['lab', 'down', '--state', state], json);
  else say(`\nThe lab stays up: ggi plan --target lab, ggi drift --target lab, ggi lab status; remove it with ggi lab down.\n`);
  return a === EXIT.OK && report.ok ? EXIT.OK : EXIT.DEVICE_FAILED;
}

async function summary(ctx: CommandContext): Promise<string> {
  const { loadInventory } = require('../../model/load') as typeof import('../../model/load');
  const inv = loadInventory(path.resolve(ctx.io.cwd, ctx.global.inventory)).inventory!;
  const kinds = new Map<string, number>();
  for (const o of inv.organisations) kinds.set(o.kind, (kinds.get(o.kind) ?? 0) + 1);
  const connected = inv.organisations.filter((o) => o.connectionPoint).length;
  const rows = [
    ...[...kinds.entries()].sort().map(([k, n]) => [`organisations: ${k}`, String(n)]),
    ['connection points', String(connected)],
    ['served by a samenwerkingsverband', String(inv.organisations.filter((o) => o.servedBy).length)],
    ['services (overheid / markt)', `${inv.services.filter((s) => s.zone === 'overheid').length} / ${inv.services.filter((s) => s.zone === 'markt').length}`],
    ['devices', String(inv.devices.length)],
    ['policy rules / guardrails', `${inv.rules.length} / ${inv.guardrails.length}`],
    ['IPv6 ledger entries', String(inv.ledger.entries.length)],
    ['govroam participants', String(inv.govroam?.participants.length ?? 0)],
  ];
  return table(['inventory', 'count'], rows, { align: ['left', 'right'] });
}

interface VerifyDoc {
  ok: boolean;
  sessions: { established: number; total: number; down: Array<{ device: string; peer: string; state: string }> };
  kps: { received: string[]; unexpected: string[]; missing: string[]; defaultRoute: boolean };
  flows: { checked: number; outOfScope: number; allowedAndConnected: number; deniedAndBlocked: number; crossZoneChecked: number; mismatches: Array<Record<string, unknown>> };
}

/** Observes the lab and compares it with the inventory's intent. */
export async function verify(ctx: CommandContext, stateDir: string, progress: (t: string) => void): Promise<{ ok: boolean; doc: VerifyDoc; text: string }> {
  const lab = require('../../lab') as typeof import('../../lab');
  const verifyLab = require('../../lab/verify') as typeof import('../../lab/verify');
  const { loadInventory } = require('../../model/load') as typeof import('../../model/load');
  const zones = require('../../zones') as typeof import('../../zones');
  const { kpsRoutingPolicy } = require('../../diginetwerk') as typeof import('../../diginetwerk');
  const net = require('../../net') as typeof import('../../net');

  const runner = lab.localRunner();
  const state = lab.readState(stateDir);
  if (!state) throw new Error(`no lab state in ${stateDir}`);
  const inv = loadInventory(path.resolve(ctx.io.cwd, ctx.global.inventory), { profile: 'lab' }).inventory!;
  const { policy } = zones.buildPolicy(inv);

  // BGP sessions: wait for them to settle after apply (bounded), then report what FRR says.
  let sessions = await verifyLab.bgpSessions(runner, state);
  for (let i = 0; i < 30 && sessions.some((s) => s.state !== 'Established'); i++) {
    await new Promise((r) => setTimeout(r, 2000));
    sessions = await verifyLab.bgpSessions(runner, state);
  }
  const down = sessions.filter((s) => s.state !== 'Established');

  // The KPS peer receives exactly the announced prefixes, never a default route.
  const kpsNode = state.nodes.find((n) => n.meta.role === 'kps-peer');
  const received = kpsNode ? await verifyLab.bgpReceived(runner, kpsNode) : [];
  const canon = (s: string) => net.formatPrefix(net.parsePrefix(s, { strict: false }));
  const announced = new Set(kpsRoutingPolicy(inv).announce.map((p) => net.formatPrefix(p)));
  const got = new Set(received.map(canon));
  const unexpected = [...got].filter((p) => !announced.has(p));
  const missing = [...announced].filter((p) => !got.has(p));
  const defaultRoute = [...got].some((p) => p === '0.0.0.0/0' || p === '::/0');

  // Real flows between every pair of hosts, compared with the end-to-end verdict for the source the kernel picks.
  const probes = verifyLab.flowProbes(state);
  const tty = ctx.io.isTTY;
  const observed = await verifyLab.runProbes(runner, probes, { timeoutMs: 1000, progress: tty ? (d, t) => ctx.io.stderr(`\r\x1b[Kprobing flows ${d}/${t}`) : undefined });
  if (tty) ctx.io.stderr('\n');
  const results = verifyLab.compareFlows(probes, observed, ({ src, dst, proto, port }) => {
    const p = proto === 'icmp' ? (dst.includes(':') ? 'icmpv6' : 'icmp') : proto;
    return zones.query(policy, { src, dst, proto: p, ...(port !== null ? { dport: port } : {}) });
  });
  // Flows GGI-Netwerk never carries (within one party, service to service) are not judged: the one classification of
  // src/zones/scope.ts, which `policy query` and `policy trace` give as the verdict not-ggi.
  const crossZone = results.filter((r) => /zones never exchange/i.test(r.reason));
  const inScope = results.filter((r) => !r.src || zones.flowIsGgi(policy, r.src, r.dst));
  const outOfScope = results.length - inScope.length;
  const mismatches = inScope.filter((r) => r.expected !== r.actual);
  const doc: VerifyDoc = {
    ok: down.length === 0 && sessions.length > 0 && unexpected.length === 0 && missing.length === 0 && !defaultRoute && mismatches.length === 0,
    sessions: { established: sessions.length - down.length, total: sessions.length, down: down.map((s) => ({ device: s.device, peer: s.peer, state: s.state })) },
    kps: { received: [...got].sort(), unexpected, missing, defaultRoute },
    flows: {
      checked: inScope.length,
      outOfScope,
      allowedAndConnected: inScope.filter((r) => r.expected && r.actual).length,
      deniedAndBlocked: inScope.filter((r) => !r.expected && !r.actual).length,
      crossZoneChecked: crossZone.length,
      mismatches: mismatches.map((m) => ({ from: m.from, to: m.to, src: m.src, dst: m.dst, proto: m.proto, port: m.port, expected: m.expected ? 'allowed' : 'denied', actual: m.actual ? 'connected' : 'blocked', rule: m.rule, reason: m.reason })),
    },
  };
  progress('');
  const mark = (ok: boolean) => (ok ? 'ok' : 'FAIL');
  const rows = [
    ['BGP sessions established', `${doc.sessions.established}/${doc.sessions.total}`, mark(down.length === 0 && sessions.length > 0)],
    ['KPS receives only announced prefixes', `${got.size} received, ${unexpected.length} unexpected, ${missing.length} missing`, mark(unexpected.length === 0 && missing.length === 0)],
    ['KPS receives no default route', defaultRoute ? 'default route received' : 'none', mark(!defaultRoute)],
    ['flows checked with real packets', String(inScope.length), mark(mismatches.length === 0)],
    ['  allowed by policy, connected', String(doc.flows.allowedAndConnected), ''],
    ['  denied by policy, blocked', String(doc.flows.deniedAndBlocked), ''],
    ['  of which across zones (overheid/markt)', String(crossZone.length), mark(crossZone.every((r) => !r.actual))],
    ['  mismatches (real outcome differs from policy)', String(mismatches.length), mark(mismatches.length === 0)],
    ['  not GGI traffic (same party or both outside), not judged', String(outOfScope), ''],
  ];
  let text = table(['check', 'result', ''], rows);
  if (down.length) text += `\nsessions not established:\n${table(['device', 'peer', 'state'], down.map((s) => [s.device, s.peer, s.state]))}`;
  if (mismatches.length) {
    text += `\nflows whose real outcome differs from the policy (first 20):\n${table(['from', 'to', 'src', 'dst', 'proto', 'port', 'policy', 'real', 'reason'], mismatches.slice(0, 20).map((m) => [m.from, m.to, m.src ?? '-', m.dst, m.proto, m.port === null ? '-' : String(m.port), m.expected ? 'allow' : 'deny', m.actual ? 'connected' : 'blocked', m.reason]))}`;
  }
  text += `\n${doc.ok ? 'verified: the lab does what the inventory says' : 'NOT verified: see the failures above'}\n`;
  return { ok: doc.ok, doc, text };
}
