import { buildIntents } from '../../src/intent';
import { DROP_LOG_BURST, DROP_LOG_PER_SECOND } from '../../src/intent/telemetry';
import { DROP_LOG_PREFIX, NFLOG_GROUP_DETECTION, NFLOG_GROUP_DROP } from '../../src/veilig/nflog';
import { renderPmacctdConf, renderUlogdConf, type FlowExportConfig } from '../../src/veilig/telemetry';
import { baseFiles, loadFiles } from '../intent/fixture';

/**
 * The telemetry renderers (pure: the daemons themselves read these files in test/lab/telemetry.test.ts) and the
 * telemetry part of the intent: which devices export, to where, from which interfaces.
 */

const FLOWS: FlowExportConfig = {
  deviceId: 'ce-gm0001',
  collectors: [{ id: 'soc-flows', address: '198.19.255.250', port: 2055, protocol: 'netflow-v9' }],
  sampling: 1,
  activeTimeoutS: 60,
  management: '198.19.1.17',
  pidFile: '/run/ggi/telemetry/ce-gm0001/pmacctd.pid',
  logFile: '/run/ggi/telemetry/ce-gm0001/pmacctd.log',
};

describe('pmacctd.conf', () => {
  test('one NetFlow v9 probe per collector, the active timeout as maxlife, unsampled without a sampling_rate', () => {
    const text = renderPmacctdConf(FLOWS);
    // One capture of every interface, inbound only, without the device's own management traffic and loopback.
    expect(text).toContain('pcap_interface: any\npcap_direction: in\npcap_filter: not host 198.19.1.17 and not net 127.0.0.0/8 and not ip6 host ::1\n');
    expect(text).not.toContain('pcap_interfaces_map');
    expect(text).toContain('plugins: nfprobe[soc-flows]\n');
    expect(text).toContain('nfprobe_receiver[soc-flows]: 198.19.255.250:2055\n');
    expect(text).toContain('nfprobe_version[soc-flows]: 9\n');
    // Idle flows (and TCP flows after FIN or RST) are reported after 15 s, long ones every 60 s.
    expect(text).toContain('nfprobe_timeouts[soc-flows]: tcp=15:tcp.rst=15:tcp.fin=15:udp=15:icmp=15:general=15:maxlife=60:expint=10\n');
    expect(text).toContain('pidfile: /run/ggi/telemetry/ce-gm0001/pmacctd.pid\n');
    expect(text).not.toContain('sampling_rate');
    expect(text).toContain('promisc: false\n');
  });

  test('IPFIX, IPv6 collectors, sampling and a short timeout', () => {
    const text = renderPmacctdConf({
      ...FLOWS,
      sampling: 100,
      activeTimeoutS: 5,
      collectors: [...FLOWS.collectors, { id: 'soc-2', address: '2001:db8::9', port: 4739, protocol: 'ipfix' }],
    });
    expect(text).toContain('sampling_rate: 100\n');
    expect(text).toContain('plugins: nfprobe[soc-flows], nfprobe[soc-2]\n');
    expect(text).toContain('nfprobe_receiver[soc-2]: [2001:db8::9]:4739\n');
    expect(text).toContain('nfprobe_version[soc-2]: 10\n');
    expect(text).toContain('nfprobe_timeouts[soc-2]: tcp=5:tcp.rst=5:tcp.fin=5:udp=5:icmp=5:general=5:maxlife=5:expint=5\n');
  });

  test('refuses what pmacct would misread', () => {
    expect(() => renderPmacctdConf({ ...FLOWS, collectors: [] })).toThrow(/needs a collector/);
    expect(() => renderPmacctdConf({ ...FLOWS, deviceId: 'a\nplugins: print' })).toThrow(/line break/);
    expect(() => renderPmacctdConf({ ...FLOWS, collectors: [FLOWS.collectors[0], FLOWS.collectors[0]] })).toThrow(/same id/);
  });

  test('the filter takes an address only (it is BPF text in the daemon\'s configuration)', () => {
    expect(renderPmacctdConf({ ...FLOWS, management: '2001:db8::1' })).toContain('pcap_filter: not host 2001:db8::1 and');
    expect(() => renderPmacctdConf({ ...FLOWS, management: '198.19.1.17 or tcp' })).toThrow(/not an address/);
    expect(() => renderPmacctdConf({ ...FLOWS, management: 'ce-gm0001' })).toThrow(/not an address/);
  });
});

describe('ulogd.conf', () => {
  const text = renderUlogdConf({ deviceId: 'border-overheid', groups: [1, 2], receiver: { id: 'soc-logs', address: '198.19.255.250', port: 5140 }, logFile: '/run/ggi/telemetry/border-overheid/ulogd.log' });

  test('one stack per group, NFLOG to JSON, decoded and with interface names and printable addresses', () => {
    expect(text).toContain('stack=log1:NFLOG,base1:BASE,ifi1:IFINDEX,ip2str1:IP2STR,json1:JSON\n');
    expect(text).toContain('stack=log2:NFLOG,base2:BASE,ifi2:IFINDEX,ip2str2:IP2STR,json2:JSON\n');
    expect(text).toContain('[log1]\ngroup=1\n');
    expect(text).toContain('[log2]\ngroup=2\n');
    for (const p of ['inppkt_NFLOG', 'raw2packet_BASE', 'filter_IFINDEX', 'filter_IP2STR', 'output_JSON']) expect(text).toContain(`plugin="/usr/lib/x86_64-linux-gnu/ulogd/ulogd_${p}.so"\n`);
  });

  test('JSON lines over UDP to the receiver, each with the device id as dvc', () => {
    expect(text).toContain('[json1]\nmode="udp"\nhost="198.19.255.250"\nport="5140"\ndevice="border-overheid"\ntimestamp=1\n');
    expect(text).toContain('[json2]\nmode="udp"\nhost="198.19.255.250"\nport="5140"\ndevice="border-overheid"\n');
  });

  test('refuses an empty or impossible group', () => {
    const base = { deviceId: 'x', receiver: { id: 'r', address: '198.19.255.250', port: 5140 }, logFile: '/run/x.log' };
    expect(() => renderUlogdConf({ ...base, groups: [] })).toThrow(/needs a group/);
    expect(() => renderUlogdConf({ ...base, groups: [70000] })).toThrow(/out of range/);
  });
});

const VEILIG = `soc:
  name: SOC
  collectors:
    - { id: soc-flows, address: 198.19.0.250, port: 2055, protocol: netflow-v9 }
  logReceivers:
    - { id: soc-logs, address: 198.19.0.250, port: 5140, protocol: json-udp }
EXPORT
exemptions: EXEMPT
`;

function intents(opts: { exportBlock?: string; exemptions?: string; receivers?: string } = {}) {
  let text = VEILIG.replace('EXPORT', opts.exportBlock ?? 'export: { roles: [ce, border-overheid, border-markt], sampling: 1, activeTimeoutS: 60, drops: true }').replace('EXEMPT', opts.exemptions ?? '[]');
  if (opts.receivers) text = text.replace('    - { id: soc-logs, address: 198.19.0.250, port: 5140, protocol: json-udp }', opts.receivers);
  return buildIntents(loadFiles({ ...baseFiles(), 'veilig.yaml': text }));
}

describe('the telemetry part of the intent', () => {
  test('every CE and border exports; other roles do not; without veilig.yaml nothing does', () => {
    const built = intents();
    const by = new Map(built.intents.map((i) => [i.id, i]));
    const exporting = built.intents.filter((i) => i.telemetry).map((i) => i.id).sort();
    expect(exporting).toEqual(built.intents.filter((i) => ['ce', 'border-overheid', 'border-markt'].includes(i.role)).map((i) => i.id).sort());
    expect(exporting).toEqual(expect.arrayContaining(['border-markt', 'border-overheid', 'ce-gm0001', 'ce-sv0001']));
    expect(by.get('kps')!.telemetry).toBeUndefined();
    expect(by.get('rtr-lv0001')!.telemetry).toBeUndefined();
    expect(buildIntents(loadFiles(baseFiles())).intents.some((i) => i.telemetry)).toBe(false);
  });

  test('a CE captures its LAN and uplink interfaces, never management; a border its downlinks and its edge', () => {
    const by = new Map(intents().intents.map((i) => [i.id, i]));
    for (const id of ['ce-gm0001', 'border-overheid', 'border-markt']) {
      const i = by.get(id)!;
      const forwarding = i.interfaces.filter((x) => x.kind !== 'mgmt').map((x) => x.name).sort();
      expect(i.telemetry!.flows.interfaces).toEqual(forwarding);
      expect(forwarding.length).toBeGreaterThan(0);
    }
    const t = by.get('ce-gm0001')!.telemetry!;
    expect(t.flows).toMatchObject({ collectors: [{ id: 'soc-flows', address: '198.19.0.250', port: 2055, protocol: 'netflow-v9' }], sampling: 1, activeTimeoutS: 60, management: by.get('ce-gm0001')!.management.address });
    expect(t.logs).toEqual({ receivers: [{ id: 'soc-logs', address: '198.19.0.250', port: 5140 }], groups: [NFLOG_GROUP_DROP, NFLOG_GROUP_DETECTION] });
    expect(t.dropLog).toEqual({ group: NFLOG_GROUP_DROP, prefix: DROP_LOG_PREFIX, perSecond: DROP_LOG_PER_SECOND, burst: DROP_LOG_BURST });
  });

  test('exemptions by device and by organisation (its connection point), roles left out, drops off', () => {
    const exempt = intents({ exemptions: '\n  - { device: border-markt, reason: vervanging, expires: 2099-01-01 }\n  - { organisation: GM0002, reason: migratie, expires: 2099-01-01 }' });
    const by = new Map(exempt.intents.map((i) => [i.id, i]));
    expect(by.get('border-markt')!.telemetry).toBeUndefined();
    expect(by.get('ce-gm0002')!.telemetry).toBeUndefined();
    expect(by.get('ce-gm0001')!.telemetry).toBeDefined();
    const cesOnly = intents({ exportBlock: 'export: { roles: [ce], drops: false }' });
    const only = new Map(cesOnly.intents.map((i) => [i.id, i]));
    expect(only.get('border-overheid')!.telemetry).toBeUndefined();
    expect(only.get('ce-gm0001')!.telemetry!.dropLog).toBeNull();
  });

  test('a receiver the devices cannot feed is a warning, once', () => {
    const built = intents({
      receivers: '    - { id: soc-logs, address: 198.19.0.250, port: 5140, protocol: json-udp }\n    - { id: soc-tls, address: 198.19.0.251, port: 6514, protocol: syslog-tls }\n    - { id: soc-2, address: 198.19.0.252, port: 5140 }',
    });
    expect(built.findings.filter((f) => f.code.startsWith('VEILIG_')).map((f) => [f.severity, f.code])).toEqual([
      ['warning', 'VEILIG_LOG_RECEIVER_PROTOCOL'],
      ['warning', 'VEILIG_LOG_RECEIVER_EXTRA'],
    ]);
  });
});
