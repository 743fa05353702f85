/**
 * govroam in the lab: the devices and networks that make a federation on this machine, and the proof with real EAP.
 *
 * - Devices: every participant's RADIUS server (the inventory's `radius` devices, radsecproxy), the two national
 *   proxies (NLRS) and each IdP's FreeRADIUS home server (lab-only devices). All start empty: the lab makes the
 *   namespace, sshd and the device's folder (for a home server a copy of Debian's FreeRADIUS tree, and the test
 *   accounts as the IdP's user store); their configuration arrives through the `radius` driver (`ggi apply`).
 * - Networks: a federation bridge (namespace `<lab>-gvfed`) joining every RADIUS device on its govroam address, and
 *   per service provider an access point host (`ap-<org>`) on the access-point network (the first `nas` prefix),
 *   from which `eapol_test` plays the access point of the visitor network.
 * - Secrets: the inventory's RADIUS secrets, a RadSec PKI and the test accounts are generated for each lab, kept in
 *   `<lab state>/govroam/` (owner-only) and exist nowhere else.
 */
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { labRadiusRoot } from '../devices/radius/session';
import { FREERADIUS_DIR } from '../devices/radius/render';
import type { CheckResult } from '../devices/contract';
import { AUTH_LOG } from '../govroam/freeradius';
import { homeServers, labRadiusIntents, proxyIntentFor, radsecTlsRefs, type RadiusIntent } from '../govroam/intent';
import { govroamPlan, type GovroamPlan } from '../govroam/topology';
import type { DeviceIntent } from '../intent/types';
import type { Inventory } from '../model/inventory';
import type { SecretRef } from '../model/schema';
import { contains, formatAddress, parseAddress, parsePrefix, prefixLast } from '../net';
import { writeFileAtomic } from '../util/atomic';
import { makeDirectory } from '../util/directory';
import type { Runner } from './exec';
import { socAddresses } from './soc';
import { namespaceFor, type LabLink, type LabNode } from './spec';
import type { LabState } from './state';

export const GOVROAM_DIR = 'govroam';
const SECRETS_FILE = 'secrets.json';
const ACCOUNTS_FILE = 'accounts.json';
export const FED_IFNAME = 'gv0';
export const AP_IFNAME = 'ap0';

/** A RADIUS device of the lab (inventory or lab-only) with its intent part. */
export interface LabRadiusDevice {
  id: string;
  radius: RadiusIntent;
  /** Lab-only devices (NLRS, home servers) are added as nodes; inventory devices already are. */
  labOnly: boolean;
}

/** Every RADIUS device the lab runs for the inventory. */
export function labRadiusDevices(inv: Inventory, intents: readonly Pick<DeviceIntent, 'id' | 'role'>[]): LabRadiusDevice[] {
  const out: LabRadiusDevice[] = [];
  for (const d of intents) {
    if (d.role !== 'radius') continue;
    const r = proxyIntentFor(inv, d.id);
    if (r) out.push({ id: d.id, radius: r, labOnly: false });
  }
  for (const x of labRadiusIntents(inv)) out.push({ ...x, labOnly: true });
  return out;
}

/** The access point of a service provider: its host id, the proxy device it talks to, the two ends' addresses. */
export interface LabAccessPoint {
  organisation: string;
  slug: string;
  id: string;
  device: string;
  /** The proxy's address on the access-point network (what eapol_test sends to), and the access point's own. */
  proxySide: string;
  apSide: string;
  len: number;
  realm: string;
  nasSecret: SecretRef;
}

/**
 * The access points' network is the first `nas` prefix (often the organisation's beheer segment, which the lab also
 * gives its CE and LAN host): the proxy and the access point take the highest free addresses of it, so nothing in
 * the lab has the same address twice. `used`: addresses already in the lab (without prefix length).
 */
export function labAccessPoints(inv: Inventory, plan: GovroamPlan, used: ReadonlySet<string> = new Set()): LabAccessPoint[] {
  const out: LabAccessPoint[] = [];
  for (const p of plan.participants) {
    const decl = inv.govroam!.participants.find((x) => x.organisation === p.organisation)!;
    if (!p.isSp || !decl.device || p.nas.length === 0 || !p.nas[0].secret) continue;
    const px = parsePrefix(p.nas[0].host, { strict: false });
    const free: string[] = [];
    for (let v = prefixLast(px) - 1n; v > px.addr && free.length < 2; v--) {
      const a = formatAddress(px.family, v);
      if (!used.has(a)) free.push(a);
    }
    if (free.length < 2) continue;
    out.push({ organisation: p.organisation, slug: p.slug, id: `ap-${p.slug}`, device: decl.device, proxySide: free[0], apSide: free[1], len: px.len, realm: p.realms[0], nasSecret: p.nas[0].secret });
  }
  return out;
}

/** Every address the lab gives the devices of these intents and the hosts behind them (router side + 1). */
function labAddresses(intents: readonly DeviceIntent[]): Set<string> {
  const out = new Set<string>();
  for (const d of intents) {
    for (const i of d.interfaces) {
      for (const c of [...i.addresses, ...(i.peer?.addresses ?? [])]) {
        const a = parseAddress(c.split('/')[0]);
        out.add(formatAddress(a.family, a.value));
        out.add(formatAddress(a.family, a.value + 1n));
      }
    }
  }
  return out;
}

/** Management addresses for lab-only devices: from the top of the pool down, skipping the ones in use. */
function freeMgmt(pool: string, used: ReadonlySet<string>, count: number): string[] {
  const p = parsePrefix(pool, { strict: false });
  const out: string[] = [];
  const size = 1n << BigInt(32 - p.len);
  for (let v = p.addr + size - 2n; v > p.addr + 1n && out.length < count; v--) {
    const a = formatAddress(4, v);
    if (!used.has(a) && (v & 255n) !== 0n && (v & 255n) !== 255n) out.push(a);
  }
  return out;
}

/** The nodes and links the lab adds for govroam: lab-only RADIUS devices (sshd, no FRR) and access point hosts. */
export function govroamLabNodes(inv: Inventory, intents: readonly DeviceIntent[], labName: string, mgmtPool: string): { nodes: LabNode[]; links: LabLink[] } {
  const plan = govroamPlan(inv);
  if (!plan) return { nodes: [], links: [] };
  // The SOC's collectors (src/lab/soc.ts) sit on management addresses too.
  const used = new Set([...intents.map((i) => i.management.address), ...socAddresses(inv)]);
  const extra = labRadiusDevices(inv, intents).filter((d) => d.labOnly);
  const mgmt = freeMgmt(mgmtPool, used, extra.length);
  const nodes: LabNode[] = extra.map((d, i) => ({
    id: d.id,
    kind: 'router',
    namespace: namespaceFor(labName, d.id),
    mgmtAddress: mgmt[i],
    frr: false,
    sshd: true,
    meta: { role: 'radius', platform: 'radius', organisation: null, service: null, govroam: d.radius.kind },
  }));
  const links: LabLink[] = [];
  const ids = new Set(intents.map((i) => i.id));
  for (const ap of labAccessPoints(inv, plan, labAddresses(intents))) {
    if (!ids.has(ap.device)) continue;
    nodes.push({ id: ap.id, kind: 'host', namespace: namespaceFor(labName, ap.id), meta: { organisation: ap.organisation, service: null, govroam: 'access-point' } });
    links.push({ a: { node: ap.device, ifname: AP_IFNAME, addresses: [`${ap.proxySide}/${ap.len}`] }, b: { node: ap.id, ifname: 'eth0', addresses: [`${ap.apSide}/${ap.len}`] } });
  }
  return { nodes, links };
}

// ---- provisioning (after labUp) ------------------------------------------------------------------------------------

export interface GovroamLabSecrets {
  /** Environment-style secrets by name (the inventory's `env` references, RadSec material): what `ggi apply --target lab` resolves. */
  env: Record<string, string>;
}

export interface TestAccount {
  organisation: string;
  realm: string;
  user: string;
  password: string;
}

export function govroamLabDir(labStateDir: string): string {
  return path.join(labStateDir, GOVROAM_DIR);
}

/** The lab's generated secrets (null when the lab has no govroam). */
export function readGovroamLabSecrets(labStateDir: string): GovroamLabSecrets | null {
  try {
    return JSON.parse(fs.readFileSync(path.join(govroamLabDir(labStateDir), SECRETS_FILE), 'utf8')) as GovroamLabSecrets;
  } catch {
    return null;
  }
}

export function readTestAccounts(labStateDir: string): TestAccount[] {
  try {
    return JSON.parse(fs.readFileSync(path.join(govroamLabDir(labStateDir), ACCOUNTS_FILE), 'utf8')) as TestAccount[];
  } catch {
    return [];
  }
}

/** The inventory's secret references that the lab must provide values for (RADIUS/UDP shared secrets). */
function envRefs(plan: GovroamPlan): string[] {
  const refs = new Set<string>();
  const add = (r: SecretRef | undefined) => {
    if (r && 'env' in r) refs.add(r.env);
  };
  for (const n of plan.nlrs) add(n.secret);
  for (const p of plan.participants) for (const x of [...p.nas, ...p.homeServers]) add(x.secret);
  return [...refs].sort();
}

/** Printable random secrets and passwords (with characters radsecproxy and FreeRADIUS must escape). */
function randomSecret(): string {
  return `${randomBytes(12).toString('base64url')} "#%`;
}

/** A test account's password: no quotes or '%' (wpa_supplicant's configuration has no escapes, FreeRADIUS's users file expands '%'). */
function randomPassword(): string {
  return `${randomBytes(12).toString('base64url')} #!`;
}

/** A RadSec CA and one certificate per device, for its govroam address (CN and subjectAltName IP, as radsecproxy checks). */
function makePki(dir: string, devices: ReadonlyArray<{ id: string; address: string }>): { ca: string; certs: Map<string, { cert: string; key: string }> } {
  const run = (args: string[]) => {
    const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`openssl ${args[0]} failed: ${r.stderr}`);
  };
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  run(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '30', '-subj', '/CN=ggi lab govroam CA']);
  const certs = new Map<string, { cert: string; key: string }>();
  for (const d of devices) {
    const base = d.id.replace(/[^A-Za-z0-9-]/g, '_');
    run(['req', ...ec, '-keyout', `${base}.key`, '-out', `${base}.csr`, '-subj', `/CN=${d.address}`]);
    fs.writeFileSync(path.join(dir, `${base}.ext`), `subjectAltName=IP:${d.address}\nextendedKeyUsage=serverAuth,clientAuth\n`);
    run(['x509', '-req', '-in', `${base}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${base}.pem`, '-days', '30', '-extfile', `${base}.ext`]);
    certs.set(d.id, { cert: fs.readFileSync(path.join(dir, `${base}.pem`), 'utf8'), key: fs.readFileSync(path.join(dir, `${base}.key`), 'utf8') });
  }
  return { ca: fs.readFileSync(path.join(dir, 'ca.pem'), 'utf8'), certs };
}

function envValue(ref: SecretRef, env: Record<string, string>): string | undefined {
  return 'env' in ref ? env[ref.env] : undefined;
}

/**
 * Makes the lab's govroam: the federation bridge, each device's folder (Debian's FreeRADIUS tree for home servers,
 * made to run as a per-device instance), the test accounts in each IdP's user store, and the secrets. Idempotent for
 * the secrets (kept when present). Returns the devices it prepared.
 */
export async function provisionGovroamLab(state: LabState, inv: Inventory, intents: readonly DeviceIntent[], runner: Runner): Promise<LabRadiusDevice[]> {
  const plan = govroamPlan(inv);
  if (!plan) return [];
  const devices = labRadiusDevices(inv, intents).filter((d) => state.nodes.some((n) => n.id === d.id));
  const dir = govroamLabDir(state.stateDir);
  makeDirectory(dir, 0o700);
  if (!state.files.includes(dir)) state.files.push(dir);

  // Secrets and test accounts, generated once per lab.
  let secrets = readGovroamLabSecrets(state.stateDir);
  let accounts = readTestAccounts(state.stateDir);
  if (!secrets) {
    const env: Record<string, string> = {};
    for (const name of envRefs(plan)) env[name] = randomSecret();
    const pkiDir = path.join(dir, 'pki');
    makeDirectory(pkiDir, 0o700);
    const radsec = devices.filter((d) => d.radius.kind !== 'home' && d.radius.address);
    const pki = makePki(pkiDir, radsec.map((d) => ({ id: d.id, address: d.radius.address! })));
    fs.rmSync(pkiDir, { recursive: true, force: true });
    for (const d of radsec) {
      const refs = radsecTlsRefs(d.id);
      env[(refs.ca as { env: string }).env] = pki.ca;
      env[(refs.cert as { env: string }).env] = pki.certs.get(d.id)!.cert;
      env[(refs.key as { env: string }).env] = pki.certs.get(d.id)!.key;
    }
    secrets = { env };
    writeFileAtomic(path.join(dir, SECRETS_FILE), `${JSON.stringify(secrets, null, 2)}\n`, 0o600);
    accounts = homeServers(plan).map(({ participant }) => ({ organisation: participant.organisation, realm: participant.realms[0], user: `test-${randomBytes(3).toString('hex')}@${participant.realms[0]}`, password: randomPassword() }));
    writeFileAtomic(path.join(dir, ACCOUNTS_FILE), `${JSON.stringify(accounts, null, 2)}\n`, 0o600);
  }

  // The federation: one bridge in its own namespace, every RADIUS device on it with its govroam address.
  const fedNs = `${state.name}-gvfed`;
  const members = devices.filter((d) => d.radius.address).map((d) => ({ d, ns: state.nodes.find((n) => n.id === d.id)!.namespace, addr: d.radius.address! }));
  if (!fs.existsSync(`/run/netns/${fedNs}`)) {
    if (!state.namespaces.includes(fedNs)) state.namespaces.push(fedNs);
    await runner.run(['ip', 'netns', 'add', fedNs]);
    await runner.run(['ip', '-n', fedNs, '-batch', '-'], { input: 'link add br0 type bridge\nlink set br0 up\nlink set lo up\n' });
    const root: string[] = [];
    for (const [i, m] of members.entries()) root.push(`link add ${FED_IFNAME} netns ${m.ns} type veth peer name gvp${i} netns ${fedNs}`);
    await runner.run(['ip', '-batch', '-'], { input: `${root.join('\n')}\n` });
    await runner.run(['ip', '-n', fedNs, '-batch', '-'], { input: members.map((_, i) => `link set gvp${i} master br0\nlink set gvp${i} up`).join('\n') + '\n' });
    for (const m of members) {
      const fam = parseAddress(m.addr).family;
      const lines = [`address add ${m.addr}/${fam === 4 ? 32 : 128} dev ${FED_IFNAME}${fam === 6 ? ' nodad' : ''}`, `link set ${FED_IFNAME} up`];
      for (const o of members) if (o !== m && parseAddress(o.addr).family === fam) lines.push(`route add ${o.addr} dev ${FED_IFNAME} src ${m.addr}`);
      await runner.run(['ip', '-n', m.ns, '-batch', '-'], { input: `${lines.join('\n')}\n` });
    }
  }

  // Each device's folder; home servers get Debian's FreeRADIUS tree as a per-device instance and the test accounts.
  for (const d of devices) {
    const node = state.nodes.find((n) => n.id === d.id)!;
    const root = labRadiusRoot(node.namespace);
    const frrRun = path.dirname(root);
    if (!state.dirs.includes(frrRun)) state.dirs.push(frrRun);
    makeDirectory(root, 0o700);
    if (d.radius.kind !== 'home') continue;
    const fr = path.join(root, FREERADIUS_DIR);
    if (!fs.existsSync(fr)) {
      fs.mkdirSync(path.dirname(fr), { recursive: true });
      await runner.run(['cp', '-a', '/etc/freeradius/3.0', fr]);
      const conf = path.join(fr, 'radiusd.conf');
      // One machine, many servers: each keeps its logs and pid file in its own folder, and runs as root (the folder
      // is root's; on a real host the Debian package's user and places apply).
      const text = fs
        .readFileSync(conf, 'utf8')
        .replace(/^logdir = .*$/m, `logdir = ${root}/var/log/freeradius`)
        .replace(/^run_dir = .*$/m, `run_dir = ${root}/run/freeradius`)
        .replace(/^(\s*)(user|group) = freerad$/gm, '$1#$2 = freerad');
      fs.writeFileSync(conf, text);
      makeDirectory(path.join(root, 'var/log/freeradius'), 0o700);
    }
    const mine = accounts.filter((a) => a.organisation === d.radius.plan.participants.find((p) => p.slug === d.radius.name)?.organisation);
    const users = path.join(fr, 'mods-config/files/authorize');
    const original = fs.readFileSync('/etc/freeradius/3.0/mods-config/files/authorize', 'utf8');
    const lines = mine.map((a) => `"${a.user}" Cleartext-Password := "${a.password}"\n`);
    fs.writeFileSync(users, `# Test accounts of this lab (generated; ggi lab down removes them).\n${lines.join('')}\n${original}`, { mode: 0o600 });
  }
  return devices;
}

// ---- checks (for `ggi verify` and the lab tests) ----------------------------------------------------------------------

export interface EapOutcome {
  code: number;
  accept: boolean;
  reject: boolean;
  /** eapol_test's output with the shared secret and the password masked. */
  output: string;
}

/** One EAP authentication from an access point host, as the access point of that SP's visitor network. */
export async function eapolTest(runner: Runner, apNamespace: string, ap: Pick<LabAccessPoint, 'proxySide'>, nasSecret: string, method: 'ttls-pap' | 'peap-mschapv2', user: string, password: string, tmpDir: string): Promise<EapOutcome> {
  const realm = user.includes('@') ? user.slice(user.indexOf('@') + 1) : '';
  const conf = [
    'network={',
    '\tkey_mgmt=WPA-EAP',
    `\teap=${method === 'ttls-pap' ? 'TTLS' : 'PEAP'}`,
    `\tidentity="${user}"`,
    `\tanonymous_identity="anonymous@${realm}"`,
    `\tpassword="${password}"`,
    method === 'ttls-pap' ? '\tphase2="auth=PAP"' : '\tphase2="auth=MSCHAPV2"',
    ...(method === 'peap-mschapv2' ? ['\tphase1="peapver=0"'] : []),
    '}',
    '',
  ].join('\n');
  const file = path.join(tmpDir, `eapol-${randomBytes(4).toString('hex')}.conf`);
  writeFileAtomic(file, conf, 0o600);
  try {
    // An EAP exchange is 6 to 9 round trips through three proxies over TLS; on a loaded host one of them can be
    // late, so a try without any answer (neither Accept nor Reject) is made once more before it counts.
    let outcome: EapOutcome | undefined;
    for (let attempt = 0; attempt < 2 && !(outcome?.accept || outcome?.reject); attempt++) {
      const r = await runner.run(['eapol_test', '-c', file, '-a', ap.proxySide, '-s', nasSecret, '-t', '20', '-M', '02:00:00:00:00:01'], { netns: apNamespace, allowFail: true, timeoutMs: 40_000 });
      const out = r.stdout.split(nasSecret).join('<secret>').split(password).join('<password>');
      outcome = { code: r.code, accept: /code=2 \(Access-Accept\)/.test(out) && /^SUCCESS$/m.test(out), reject: /code=3 \(Access-Reject\)/.test(out), output: out };
    }
    return outcome!;
  } finally {
    fs.rmSync(file, { force: true });
  }
}

function tailOf(text: string, n = 4): string {
  return text.trim().split('\n').slice(-n).join(' | ');
}

/**
 * The govroam EAP proof as checks (`{ name, ok, expected, observed, detail }`): a user of B authenticates at A's
 * access point through the NLRS with EAP-TTLS/PAP and PEAP/MSCHAPv2; a wrong password is rejected; an unknown realm is
 * rejected by the NLRS; B's home server logged Operator-Name `1<A's realm>` and a Chargeable-User-Identity;
 * accounting is answered at A and never reaches the NLRS. A is the first service provider with an access point, B the
 * first other participant with a home server and a test account.
 */
export async function govroamEapChecks(state: LabState, inv: Inventory, runner: Runner): Promise<CheckResult[]> {
  const plan = govroamPlan(inv);
  const secrets = readGovroamLabSecrets(state.stateDir);
  const accounts = readTestAccounts(state.stateDir);
  if (!plan || !secrets) return [{ name: 'govroam lab', ok: false, expected: 'a lab with govroam', observed: 'no govroam in this lab', detail: `no ${GOVROAM_DIR}/${SECRETS_FILE} in ${state.stateDir}` }];
  // The access point's addresses as the lab made them (its link to the proxy).
  const aps = labAccessPoints(inv, plan).flatMap((ap) => {
    const side = state.nodes.find((n) => n.id === ap.device)?.interfaces.find((i) => i.name === AP_IFNAME)?.addresses[0];
    return state.nodes.some((n) => n.id === ap.id) && side ? [{ ...ap, proxySide: side.split('/')[0] }] : [];
  });
  const a = aps[0];
  const b = a ? accounts.find((x) => x.organisation !== a.organisation) : undefined;
  if (!a || !b) return [{ name: 'govroam lab', ok: false, expected: 'an SP access point and a test account of another IdP', observed: 'none', detail: 'the inventory has no pair of participants to test with' }];
  const apNs = state.nodes.find((n) => n.id === a.id)!.namespace;
  const nasSecret = envValue(a.nasSecret, secrets.env) ?? '';
  const tmp = govroamLabDir(state.stateDir);
  const home = labRadiusDevices(inv, []).find((d) => d.radius.kind === 'home' && plan.participants.find((p) => p.slug === d.radius.name)?.organisation === b.organisation)!;
  const homeNode = state.nodes.find((n) => n.id === home.id)!;
  const authLog = path.join(labRadiusRoot(homeNode.namespace), 'var/log/freeradius', AUTH_LOG);
  const logSize = () => (fs.existsSync(authLog) ? fs.statSync(authLog).size : 0);
  const results: CheckResult[] = [];
  const via = `${b.organisation} user at ${a.organisation}'s access point`;

  const before = logSize();
  for (const method of ['ttls-pap', 'peap-mschapv2'] as const) {
    const r = await eapolTest(runner, apNs, a, nasSecret, method, b.user, b.password, tmp);
    results.push({ name: `govroam ${method === 'ttls-pap' ? 'EAP-TTLS/PAP' : 'PEAP/MSCHAPv2'}: ${via}`, ok: r.accept, expected: 'Access-Accept', observed: r.accept ? 'Access-Accept' : r.reject ? 'Access-Reject' : 'no answer', ...(r.accept ? {} : { detail: tailOf(r.output) }) });
  }
  const wrong = await eapolTest(runner, apNs, a, nasSecret, 'ttls-pap', b.user, `${b.password}-wrong`, tmp);
  results.push({ name: `govroam wrong password: ${via}`, ok: wrong.reject && !wrong.accept, expected: 'Access-Reject', observed: wrong.accept ? 'Access-Accept' : wrong.reject ? 'Access-Reject' : 'no answer', ...(wrong.reject ? {} : { detail: tailOf(wrong.output) }) });
  const unknownUser = `nobody@unknown-realm.invalid`;
  const unknown = await eapolTest(runner, apNs, a, nasSecret, 'ttls-pap', unknownUser, 'x', tmp);
  // The Reject must come from a national proxy (its log names the realm as unknown), not from a timeout.
  const byNlrs = /Access-Reject for user anonymous@unknown-realm\.invalid .*from _self_ \(unknown realm\)/.test(nlrsLogText(state, inv));
  results.push({
    name: `govroam unknown realm at ${a.organisation}'s access point`,
    ok: unknown.reject && byNlrs,
    expected: 'Access-Reject from the NLRS',
    observed: `${unknown.reject ? 'Access-Reject' : unknown.accept ? 'Access-Accept' : 'no answer (silence)'}${byNlrs ? ' from the NLRS' : ', not logged by an NLRS'}`,
    ...(unknown.reject ? {} : { detail: tailOf(unknown.output) }),
  });

  const logged = fs.existsSync(authLog) ? fs.readFileSync(authLog, 'utf8').slice(before) : '';
  const accepted = logged.split('\n').filter((l) => l.includes('Access-Accept') && l.includes(`inner="${b.user}"`));
  const op = `1${a.realm}`;
  const withOp = accepted.filter((l) => l.includes(`operator="${op}"`));
  // FreeRADIUS logs the CUI (type octets) as hex: 0x followed by the hex of the 40-character SHA-1 text.
  const cui = withOp.map((l) => /cui="0x((?:[0-9a-f]{2}){40})"/.exec(l)?.[1]).find((x) => x);
  results.push({ name: `govroam ${b.organisation}'s home server logs Operator-Name of ${a.organisation}`, ok: withOp.length > 0, expected: `Operator-Name "${op}"`, observed: withOp.length ? `"${op}" on ${withOp.length} Access-Accept line(s)` : accepted.length ? 'Access-Accept lines without it' : 'no Access-Accept logged' });
  results.push({ name: `govroam ${b.organisation}'s home server returns a Chargeable-User-Identity`, ok: cui !== undefined, expected: 'a CUI (RFC 4372) on the Access-Accept', observed: cui ? `CUI ${Buffer.from(cui, 'hex').toString('latin1').slice(0, 8)}…` : `none (${/cui="[^"]*"/.exec(withOp[0] ?? '')?.[0] ?? 'no line'})` });

  // Accounting: answered by A's proxy, never seen by a national proxy (their log records every message they get).
  const session = `ggi-acct-${randomBytes(4).toString('hex')}`;
  // Three tries of 5 s: a loaded host (CI runs every lab back to back) can hold one datagram past a short limit, and
  // a retransmission carries the same identifier, so the proxy answers it as the same request.
  const acct = await runner.run(['radclient', '-r', '3', '-t', '5', `${a.proxySide.includes(':') ? `[${a.proxySide}]` : a.proxySide}:1813`, 'acct', nasSecret], {
    netns: apNs,
    allowFail: true,
    input: `User-Name = "${b.user}"\nAcct-Status-Type = Start\nAcct-Session-Id = "${session}"\nCalling-Station-Id = "02-00-00-00-00-01"\n`,
    timeoutMs: 30_000,
  });
  const nlrsText = nlrsLogText(state, inv);
  const answered = acct.code === 0;
  const forwarded = /Accounting-Request/.test(nlrsText) || nlrsText.includes(session);
  results.push({ name: `govroam accounting stays at ${a.organisation}`, ok: answered && !forwarded, expected: 'Accounting-Response from the SP proxy; nothing at the NLRS', observed: `${answered ? 'answered' : 'not answered'}; ${forwarded ? 'seen at the NLRS' : 'not at the NLRS'}`, ...(answered ? {} : { detail: tailOf(`${acct.stdout}\n${acct.stderr}`.split(nasSecret).join('<secret>')) }) });
  return results;
}

/** Everything the lab's national proxies logged (they log every message they get). */
function nlrsLogText(state: LabState, inv: Inventory): string {
  return labRadiusDevices(inv, [])
    .filter((d) => d.radius.kind === 'nlrs')
    .map((d) => state.nodes.find((n) => n.id === d.id))
    .filter((n): n is NonNullable<typeof n> => n !== undefined)
    .map((n) => path.join(labRadiusRoot(n.namespace), 'var/log/radsecproxy/radsecproxy.log'))
    .map((f) => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : ''))
    .join('\n');
}

/** Where a lab IP lies: inside a prefix (for tests of the access point addressing). */
export function inPrefix(address: string, prefix: string): boolean {
  const a = parseAddress(address);
  return contains(parsePrefix(prefix, { strict: false }), { family: a.family, addr: a.value, len: a.family === 4 ? 32 : 128 });
}

/**
 * Intents for the lab-only RADIUS devices (NLRS, home servers), so that `ggi plan|apply|drift --target lab` treats them
 * like inventory devices: platform `radius`, reached through the lab target (management comes from there).
 */
export function labOnlyRadiusIntents(inv: Inventory, intents: readonly DeviceIntent[]): DeviceIntent[] {
  return labRadiusDevices(inv, intents)
    .filter((d) => d.labOnly)
    .map(
      (d) =>
        ({
          id: d.id,
          role: 'radius',
          platform: 'radius',
          managed: true,
          management: { address: '', port: 22, user: 'root' },
          interfaces: [],
          staticRoutes: [],
          radius: d.radius,
        }) satisfies DeviceIntent,
    );
}
