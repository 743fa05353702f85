/**
 * govroam end to end in network namespaces, with the configuration ggi renders:
 *
 *   NAS (radclient) --UDP--> SP radsecproxy (GM0014) --RadSec--> "NLRS" radsecproxy --RadSec--> IdP radsecproxy (GM0034)
 *                                                                                        --UDP--> FreeRADIUS (GM0034)
 *
 * 192.0.2.0/24 joins the NAS to the SP; the proxies meet on a bridge in 198.51.100.0/24. The IdP's FreeRADIUS runs
 * next to its radsecproxy (same namespace and address, as on a real single RADIUS host).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../../src/cli/main';
import { fakeIo } from '../helpers/tmp-inventory';
import { ADDR, fixtureInventory, IDP_SECRET_ENV, NAS_SECRET_ENV, withCbsIds } from '../govroam/fixture';
import { makePki } from '../govroam/pki';
import { describeWith, need, unmet as unmetOf } from '../helpers/prereq';

const NS = { nas: 'ggigr-nas', sp: 'ggigr-sp', nlrs: 'ggigr-nlrs', idp: 'ggigr-idp', fed: 'ggigr-fed' } as const;
// Secrets with characters that need escaping in both radsecproxy and FreeRADIUS: a mismatch would mean no answer.
const NAS_SECRET = 'nas "s3cret" #1';
// (No backslash: FreeRADIUS's configuration cannot hold one, and ggi refuses it.)
const IDP_SECRET = `idp s3cr#t %41 'q' "d"`;
const USER = { name: 'alice', password: 'Wonder land 1' };

function unavailable(): string | null {
  if (process.platform !== 'linux') return 'Linux';
  const commands = ['ip', 'radsecproxy', 'freeradius', 'radclient', 'openssl', 'ss'].map((c) => need.command(c));
  return unmetOf(need.root('root (network namespaces)'), ...commands, need.file('/etc/freeradius/3.0/radiusd.conf', "Debian's /etc/freeradius/3.0"));
}

function sh(args: string[], opts: { input?: string; allowFail?: boolean } = {}): { status: number; out: string } {
  const r = spawnSync(args[0], args.slice(1), { encoding: 'utf8', input: opts.input, timeout: 60000 });
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  if (r.status !== 0 && !opts.allowFail) throw new Error(`${args.join(' ')} failed (${r.status}): ${out}`);
  return { status: r.status ?? -1, out };
}
const inNs = (ns: string, args: string[], opts: { input?: string; allowFail?: boolean } = {}) => sh(['ip', 'netns', 'exec', ns, ...args], opts);

function removeNamespaces(): void {
  const have = sh(['ip', 'netns', 'list'], { allowFail: true }).out;
  for (const ns of Object.values(NS)) if (new RegExp(`^${ns}( |$)`, 'm').test(have)) sh(['ip', 'netns', 'del', ns], { allowFail: true });
}

function buildNetwork(): void {
  for (const ns of Object.values(NS)) {
    sh(['ip', 'netns', 'add', ns]);
    inNs(ns, ['ip', 'link', 'set', 'lo', 'up']);
  }
  sh(['ip', 'link', 'add', 'nas0', 'netns', NS.nas, 'type', 'veth', 'peer', 'name', 'nas0', 'netns', NS.sp]);
  inNs(NS.nas, ['ip', 'addr', 'add', `${ADDR.nas}/24`, 'dev', 'nas0']);
  inNs(NS.sp, ['ip', 'addr', 'add', `${ADDR.spNasSide}/24`, 'dev', 'nas0']);
  inNs(NS.nas, ['ip', 'link', 'set', 'nas0', 'up']);
  inNs(NS.sp, ['ip', 'link', 'set', 'nas0', 'up']);
  inNs(NS.fed, ['ip', 'link', 'add', 'br0', 'type', 'bridge']);
  inNs(NS.fed, ['ip', 'link', 'set', 'br0', 'up']);
  for (const [ns, addr] of [[NS.sp, ADDR.sp], [NS.nlrs, ADDR.nlrs], [NS.idp, ADDR.idp]] as const) {
    const port = `p-${ns.slice('ggigr-'.length)}`;
    sh(['ip', 'link', 'add', 'fed0', 'netns', ns, 'type', 'veth', 'peer', 'name', port, 'netns', NS.fed]);
    inNs(NS.fed, ['ip', 'link', 'set', port, 'master', 'br0', 'up']);
    inNs(ns, ['ip', 'addr', 'add', `${addr}/24`, 'dev', 'fed0']);
    inNs(ns, ['ip', 'link', 'set', 'fed0', 'up']);
  }
}

/** Waits until something listens on proto/port in the namespace (readiness, not a timed assertion). */
async function waitListening(ns: string, proto: 'tcp' | 'udp', port: number, log: string): Promise<void> {
  for (let i = 0; i < 150; i++) {
    const out = inNs(ns, ['ss', proto === 'tcp' ? '-ltnH' : '-lunH'], { allowFail: true }).out;
    if (out.split('\n').some((l) => new RegExp(`:${port}\\s`).test(l))) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`nothing listens on ${proto}/${port} in ${ns}; log:\n${readTail(log)}`);
}

function readTail(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-40).join('\n');
  } catch {
    return '(no log)';
  }
}

const unmet = unavailable();

describeWith(unmet, 'govroam RADIUS end to end (namespaces, rendered radsecproxy and FreeRADIUS)', () => {
  const procs: ChildProcess[] = [];
  let tmp = '';
  let inventory = '';
  const logs = { sp: '', nlrs: '', idp: '', fr: '' };

  function start(ns: string, args: string[], log: string): void {
    const fd = fs.openSync(log, 'a');
    const p = spawn('ip', ['netns', 'exec', ns, ...args], { stdio: ['ignore', fd, fd] });
    fs.closeSync(fd);
    procs.push(p);
  }

  /** One radclient exchange from the NAS; returns radclient's output (it prints the reply's attributes with -x). */
  function radclient(kind: 'auth' | 'acct', attrs: string[], port: number): { status: number; out: string } {
    return inNs(NS.nas, ['radclient', '-x', '-r', '3', '-t', '4', `${ADDR.spNasSide}:${port}`, kind, NAS_SECRET], { input: `${attrs.join(',\n')}\n`, allowFail: true });
  }

  beforeAll(async () => {
    removeNamespaces();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ggi-govroam-lab-'));
    // FreeRADIUS drops to user freerad and must walk into its configuration copy.
    fs.chmodSync(tmp, 0o755);
    inventory = fixtureInventory();
    withCbsIds(inventory);
    buildNetwork();

    const pki = makePki(tmp, [ADDR.sp, ADDR.nlrs, ADDR.idp]);
    const env = { [NAS_SECRET_ENV]: NAS_SECRET, [IDP_SECRET_ENV]: IDP_SECRET, GOVROAM_NAS_SECRET_GM0003: 'unused-in-this-lab' };
    // Render with the CLI once per proxy, each with its own TLS folder (the files name the same paths on every host).
    const rendered: Record<'sp' | 'nlrs' | 'idp', string> = { sp: '', nlrs: '', idp: '' };
    for (const [who, addr] of [['sp', ADDR.sp], ['nlrs', ADDR.nlrs], ['idp', ADDR.idp]] as const) {
      const tls = path.join(tmp, `tls-${who}`);
      fs.mkdirSync(tls);
      fs.copyFileSync(pki.ca, path.join(tls, 'ca.pem'));
      fs.copyFileSync(pki.certs.get(addr)!.cert, path.join(tls, 'cert.pem'));
      fs.copyFileSync(pki.certs.get(addr)!.key, path.join(tls, 'key.pem'));
      const out = path.join(tmp, `out-${who}`);
      const io = fakeIo(env);
      const code = await main(['govroam', 'render', '--inventory', inventory, '--out', out, '--tls-dir', tls, '--log-file', path.join(tmp, `${who}.radsecproxy.log`)], io.io);
      if (code !== 0) throw new Error(`ggi govroam render failed: ${io.stderr()}`);
      // Secrets go into files only, never to the terminal.
      for (const s of [NAS_SECRET, IDP_SECRET]) if (io.stdout().includes(s) || io.stderr().includes(s)) throw new Error('a secret was printed');
      rendered[who] = out;
    }

    // FreeRADIUS: Debian's tree plus ggi's clients.conf and proxy.conf, and one test user.
    const fr = path.join(tmp, 'freeradius');
    sh(['cp', '-a', '/etc/freeradius/3.0', fr]);
    for (const f of ['clients.conf', 'proxy.conf']) fs.writeFileSync(path.join(fr, f), fs.readFileSync(path.join(rendered.idp, 'gm0034/freeradius/radius-1', f)));
    const users = path.join(fr, 'mods-config/files/authorize');
    fs.writeFileSync(users, `${USER.name} Cleartext-Password := "${USER.password}"\n\n${fs.readFileSync(users, 'utf8')}`);
    expect(sh(['freeradius', '-C', '-d', fr], { allowFail: true }).status).toBe(0);

    for (const k of Object.keys(logs) as Array<keyof typeof logs>) logs[k] = path.join(tmp, `${k}.log`);
    start(NS.idp, ['freeradius', '-X', '-d', fr], logs.fr);
    await waitListening(NS.idp, 'udp', 1812, logs.fr);
    // -f: foreground, log to stderr (LogDestination is then ignored); -d 5: every message, which the assertions read.
    start(NS.idp, ['radsecproxy', '-f', '-d', '5', '-c', path.join(rendered.idp, 'gm0034/radsecproxy.conf')], logs.idp);
    await waitListening(NS.idp, 'tcp', 2083, logs.idp);
    start(NS.nlrs, ['radsecproxy', '-f', '-d', '5', '-c', path.join(rendered.nlrs, 'nlrs/radsecproxy.conf')], logs.nlrs);
    await waitListening(NS.nlrs, 'tcp', 2083, logs.nlrs);
    start(NS.sp, ['radsecproxy', '-f', '-d', '5', '-c', path.join(rendered.sp, 'gm0014/radsecproxy.conf')], logs.sp);
    await waitListening(NS.sp, 'udp', 1812, logs.sp);
    await waitListening(NS.sp, 'udp', 1813, logs.sp);
  });

  afterAll(async () => {
    for (const p of procs) {
      if (p.exitCode !== null || p.signalCode !== null) continue;
      const gone = new Promise((r) => p.once('exit', r));
      p.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([gone, new Promise((r) => (timer = setTimeout(r, 5000)))]);
      clearTimeout(timer);
      if (p.exitCode === null && p.signalCode === null) {
        p.kill('SIGKILL');
        await gone;
      }
    }
    removeNamespaces();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    if (inventory) fs.rmSync(inventory, { recursive: true, force: true });
  });

  it('accepts a user of a known realm through SP -> NLRS -> IdP -> FreeRADIUS, with Operator-Name and a CUI request', () => {
    const r = radclient('auth', [`User-Name = "${USER.name}@idp.example"`, `User-Password = "${USER.password}"`, `NAS-IP-Address = ${ADDR.nas}`, 'Calling-Station-Id = "02-00-00-00-00-01"', 'Message-Authenticator = 0x00'], 1812);
    expect({ status: r.status, accept: /Received Access-Accept/.test(r.out), out: r.status === 0 ? '' : r.out + readTail(logs.sp) + readTail(logs.nlrs) + readTail(logs.idp) + readTail(logs.fr) }).toEqual({ status: 0, accept: true, out: '' });
    const fr = fs.readFileSync(logs.fr, 'utf8');
    // The SP stamped its Operator-Name (RFC 5580) and asked for a CUI (RFC 4372); the IdP saw both.
    expect(fr).toMatch(/Operator-Name = "1sp\.example"/);
    expect(fr).toMatch(/Chargeable-User-Identity = 0x00/);
    // Every hop saw it: the NLRS routed it to GM0034's proxy.
    expect(fs.readFileSync(logs.nlrs, 'utf8')).toMatch(/Access-Accept/);
  });

  it('rejects a wrong password (answered by the home FreeRADIUS)', () => {
    const r = radclient('auth', [`User-Name = "${USER.name}@idp.example"`, 'User-Password = "wrong"', `NAS-IP-Address = ${ADDR.nas}`, 'Message-Authenticator = 0x00'], 1812);
    expect(r.out).toMatch(/Received Access-Reject/);
  });

  it('rejects a user of an unknown realm (the NLRS knows no such realm)', () => {
    const before = fs.readFileSync(logs.fr, 'utf8').length;
    const r = radclient('auth', ['User-Name = "bob@unknown.example"', 'User-Password = "whatever"', `NAS-IP-Address = ${ADDR.nas}`, 'Message-Authenticator = 0x00'], 1812);
    expect(r.out).toMatch(/Received Access-Reject/);
    expect(r.out).toMatch(/Reply-Message = "unknown realm"/);
    // It never reached the IdP.
    expect(fs.readFileSync(logs.fr, 'utf8').slice(before)).not.toMatch(/bob@unknown\.example/);
  });

  it('answers Accounting-Requests at the SP and never sends them on to the NLRS', () => {
    const nlrsBefore = fs.readFileSync(logs.nlrs, 'utf8');
    expect(nlrsBefore).toMatch(/Access-Request/); // the NLRS log does show what it receives (control)
    for (const port of [1813, 1812]) {
      const r = radclient('acct', [`User-Name = "${USER.name}@idp.example"`, 'Acct-Status-Type = Start', `Acct-Session-Id = "ggi-${port}"`, `NAS-IP-Address = ${ADDR.nas}`, 'Calling-Station-Id = "02-00-00-00-00-01"'], port);
      expect({ port, response: /Received Accounting-Response/.test(r.out) }).toEqual({ port, response: true });
    }
    const nlrs = fs.readFileSync(logs.nlrs, 'utf8');
    expect(nlrs).not.toMatch(/Accounting/);
    expect(fs.readFileSync(logs.fr, 'utf8')).not.toMatch(/Acct-Session-Id/);
    expect(fs.readFileSync(logs.sp, 'utf8')).toMatch(/Accounting/);
  });
});
