import { StepError, type HttpRequest, type HttpResponse, type HttpTransport } from '../../src/devices/contract';
import {
  actualDocumentText,
  canonicalJson,
  fullConfig,
  kea,
  keaDiff,
  keaLayoutFor,
  keaPlumbing,
  poolText,
  project,
  renderKeaCandidate,
  type JsonObject,
} from '../../src/devices/kea';
import { buildDhcpIntents } from '../../src/intent/dhcp';
import { loadFiles } from '../intent/fixture';
import { keaFiles } from './kea-fixture';
import { sessionContext } from '../lab/kea-helpers';

const dhcp = buildDhcpIntents(loadFiles(keaFiles())).intents[0];
const candidate = renderKeaCandidate({ id: dhcp.id, dhcp: { subnets: dhcp.subnets } });
const layout = keaLayoutFor({ pathspace: 'ggikea-x' });

/**
 * An in-memory Kea behind a Control Agent: config-get returns what was set with some of Kea's defaults added (as the
 * real one does), config-test/config-set refuse a pool outside its subnet, config-write copies to the "file".
 */
function fakeKea(opts: { failSet?: 'dhcp6' } = {}) {
  const running: Record<string, JsonObject> = {
    dhcp4: fullConfig('dhcp4', { 'interfaces-config': { interfaces: [] }, subnet4: [] }, keaPlumbing(layout).dhcp4),
    dhcp6: fullConfig('dhcp6', { 'interfaces-config': { interfaces: [] }, subnet6: [] }, keaPlumbing(layout).dhcp6),
  };
  const file: Record<string, JsonObject> = JSON.parse(JSON.stringify(running));
  const log: string[] = [];
  const withDefaults = (c: JsonObject): JsonObject => {
    const copy = JSON.parse(JSON.stringify(c)) as JsonObject;
    const body = copy[Object.keys(copy)[0]] as JsonObject;
    body['decline-probation-period'] = 86400;
    for (const s of (body.subnet4 ?? body.subnet6 ?? []) as JsonObject[]) s['t1-percent'] = 0.5;
    return copy;
  };
  const bad = (c: JsonObject) => JSON.stringify(c).includes('203.0.113.99');
  const transport: HttpTransport = {
    kind: 'http-api',
    endpoint: 'http://198.19.0.60:8000',
    async request(r: HttpRequest): Promise<HttpResponse> {
      const b = r.body as { command: string; service: string[]; arguments?: JsonObject };
      const svc = b.service[0];
      log.push(`${b.command} ${svc}`);
      let answer: unknown;
      if (b.command === 'config-get') answer = { result: 0, arguments: withDefaults(running[svc]) };
      else if (b.command === 'config-test') answer = bad(b.arguments!) ? { result: 1, text: 'pool 203.0.113.99 is not in subnet' } : { result: 0, text: 'Configuration seems sane.' };
      else if (b.command === 'config-set') {
        if (bad(b.arguments!) || opts.failSet === svc) answer = { result: 1, text: `${svc} refused` };
        else {
          running[svc] = b.arguments!;
          answer = { result: 0, text: 'Configuration successful.' };
        }
      } else if (b.command === 'config-write') {
        file[svc] = running[svc];
        answer = { result: 0 };
      } else if (b.command === 'status-get') answer = { result: 0, arguments: { sockets: { status: 'ready' } } };
      else if (b.command === 'lease4-get-all') answer = { result: 3, text: '0 IPv4 lease(s) found.', arguments: { leases: [] } };
      else answer = { result: 2, text: 'unsupported' };
      const text = JSON.stringify([answer]);
      return { status: 200, json: JSON.parse(text), text };
    },
    async close() {},
  };
  return { transport, running, file, log };
}

describe('kea renderer and diff', () => {
  it('renders pools the way Kea prints them back: an aligned range as its prefix', () => {
    expect(poolText(4, { first: '203.0.113.66', last: '203.0.113.69' })).toBe('203.0.113.66-203.0.113.69');
    expect(poolText(4, { first: '203.0.113.66', last: '203.0.113.67' })).toBe('203.0.113.66/31');
    expect(poolText(4, { first: '203.0.113.64', last: '203.0.113.71' })).toBe('203.0.113.64/29');
    expect(poolText(6, { first: '2001:db8::1000', last: '2001:db8::1fff' })).toBe('2001:db8::1000/116');
    expect(poolText(6, { first: '2001:db8::1000', last: '2001:db8::1ffe' })).toBe('2001:db8::1000-2001:db8::1ffe');
  });

  it('renders one canonical JSON document per service, with the declared subnets, pools and router', () => {
    expect(candidate.documents.map((d) => [d.name, d.format])).toEqual([
      ['kea-dhcp4', 'json'],
      ['kea-dhcp6', 'json'],
    ]);
    const d4 = JSON.parse(candidate.documents[0].content).Dhcp4;
    expect(d4.subnet4).toEqual([
      expect.objectContaining({ subnet: '203.0.113.64/29', pools: [{ pool: '203.0.113.66-203.0.113.69' }], 'option-data': [{ name: 'routers', data: '203.0.113.65' }] }),
    ]);
    expect(d4['interfaces-config'].interfaces).toEqual([dhcp.subnets[0].interface]);
    const d6 = JSON.parse(candidate.documents[1].content).Dhcp6;
    expect(d6.subnet6[0]).toMatchObject({ subnet: '2a07:3500:2004:100::/64', pools: [{ pool: '2a07:3500:2004:100::1000/116' }] });
    // No plumbing in the candidate: that depends on where Kea runs, not on the inventory.
    expect(Object.keys(d4)).not.toContain('control-socket');
    expect(candidate.documents[0].content).toBe(canonicalJson(JSON.parse(candidate.documents[0].content)));
    expect(renderKeaCandidate({ id: dhcp.id, dhcp: { subnets: dhcp.subnets } })).toEqual(candidate);
    expect(kea.capabilities).toMatchObject({ transport: 'http-api', nativeCommitConfirm: false, validatesOnDevice: true });
  });

  it("ignores Kea's defaults, sees an extra option or a changed pool, and shows plumbing that is not the layout's", () => {
    const declared = JSON.parse(candidate.documents[0].content).Dhcp4 as JsonObject;
    const plumbing = keaPlumbing(layout).dhcp4;
    const running = fullConfig('dhcp4', declared, plumbing);
    const body = running.Dhcp4 as JsonObject;
    body['decline-probation-period'] = 86400;
    // Kea prints the range 66-69 back as written, and an aligned one as a prefix: both compare equal.
    expect(actualDocumentText('dhcp4', declared, plumbing, running)).toBe(candidate.documents[0].content);

    const tampered = JSON.parse(JSON.stringify(running)) as JsonObject;
    const tb = tampered.Dhcp4 as JsonObject;
    (tb['option-data'] as JsonObject[]).push({ name: 'domain-name-servers', data: '192.0.2.53' });
    ((tb.subnet4 as JsonObject[])[0].pools as JsonObject[])[0].pool = '203.0.113.66/31';
    tb['control-socket'] = { 'socket-type': 'unix', 'socket-name': '/tmp/elsewhere' };
    const actual = { documents: [{ name: 'kea-dhcp4', location: 'kea:/dhcp4', content: actualDocumentText('dhcp4', declared, plumbing, tampered) }, { name: 'kea-dhcp6', location: 'kea:/dhcp6', content: candidate.documents[1].content }], live: [], pendingRollback: false };
    const d = keaDiff(candidate, actual);
    expect(d.map((x) => x.path)).toEqual(['kea:/dhcp4']);
    expect(d[0].diff).toContain('~ Dhcp4.option-data[0]: remove {"data":"192.0.2.53","name":"domain-name-servers"}');
    expect(d[0].diff).toContain('~ Dhcp4.subnet4[0].pools[0].pool: "203.0.113.66/31" -> "203.0.113.66-203.0.113.69"');
    expect(d[0].diff).toContain('~ Dhcp4.ggi-plumbing: remove {"control-socket":');
    expect(project({ pool: '2001:db8::1000-2001:db8::1fff' }, { pool: '2001:db8::1000/116' })).toEqual({ pool: '2001:db8::1000-2001:db8::1fff' });
  });
});

describe('kea driver session (a fake Control Agent)', () => {
  const ctx = (c = candidate) => sessionContext(dhcp.id, 'ggikea-x', c);

  it('stages with config-test, activates with config-set per service, verifies, and confirms with config-write', async () => {
    const k = fakeKea();
    const s = kea.open(k.transport, ctx());
    const before = await s.lock('t');
    expect(kea.diff(candidate, before).map((d) => d.path)).toEqual(['kea:/dhcp4', 'kea:/dhcp6']);
    await s.stage();
    const point = await s.arm(60);
    expect(point).toMatchObject({ native: false, revertInS: 60 });
    await s.activate();
    const checks = await s.verify({ deadline: 0, excused: new Set() });
    expect(checks.filter((c) => !c.ok)).toEqual([]);
    expect(checks.map((c) => c.name)).toContain(`${dhcp.id} kea dhcp4 subnet GM0001/govroam-visitor`);
    expect(await s.confirm()).toEqual({ ok: true, recorded: {} });
    expect(k.log.filter((l) => !l.startsWith('config-get') && !l.startsWith('status-get') && !l.startsWith('lease4'))).toEqual([
      'config-test dhcp4',
      'config-test dhcp6',
      'config-set dhcp4',
      'config-set dhcp6',
      'config-write dhcp4',
      'config-write dhcp6',
    ]);
    expect(k.file.dhcp4).toEqual(k.running.dhcp4);
    expect((k.running.dhcp4.Dhcp4 as JsonObject)['control-socket']).toEqual({ 'socket-type': 'unix', 'socket-name': '/run/ggi-kea/ggikea-x/kea4-ctrl-socket' });
    expect(kea.diff(candidate, await kea.openReadOnly(k.transport, ctx()).read())).toEqual([]);
  });

  it("refuses at stage when Kea's config-test does, with Kea's text, and nothing is set", async () => {
    const k = fakeKea();
    const bad = JSON.parse(JSON.stringify(candidate));
    bad.documents[0].content = bad.documents[0].content.replace('203.0.113.69', '203.0.113.99');
    const s = kea.open(k.transport, ctx(bad));
    await s.lock('t');
    await expect(s.stage()).rejects.toThrow(new StepError('validate', 'kea dhcp4 config-test: pool 203.0.113.99 is not in subnet'));
    expect(k.log.some((l) => l.startsWith('config-set'))).toBe(false);
  });

  it('refuses to activate over a configuration changed since the lock (optimistic), changing nothing', async () => {
    const k = fakeKea();
    const s = kea.open(k.transport, ctx());
    await s.lock('t');
    await s.stage();
    await s.arm(60);
    (k.running.dhcp4.Dhcp4 as JsonObject)['valid-lifetime'] = 42;
    await expect(s.activate()).rejects.toThrow(/changed since it was read/);
    expect(k.log.some((l) => l.startsWith('config-set'))).toBe(false);
  });

  it('a refused second config-set is an activate error, and rollback sets both kept configurations again', async () => {
    const k = fakeKea({ failSet: 'dhcp6' });
    const old = JSON.parse(JSON.stringify(k.running));
    const s = kea.open(k.transport, ctx());
    await s.lock('t');
    await s.stage();
    const point = await s.arm(60);
    await expect(s.activate()).rejects.toThrow(new StepError('activate', 'kea dhcp6 config-set: dhcp6 refused'));
    expect(k.running.dhcp4).not.toEqual(old.dhcp4);
    // The fake refuses every dhcp6 config-set, so restoring dhcp6 is reported, not hidden.
    const r = await s.rollback(point);
    expect(r).toEqual({ restored: false, detail: 'kea dhcp6 config-set: dhcp6 refused' });
    expect(k.running.dhcp4).toEqual(JSON.parse(JSON.stringify((point.data as { dhcp4: JsonObject }).dhcp4)));
  });
});
