/**
 * GGI-Veilig telemetry on a device (docs/veilig.md "Telemetry on the devices"): the configuration of the two Debian
 * daemons every CE and border runs for the SOC. Pure renderers: plain data in, configuration text out; where the files
 * go and how the daemons are started is the device driver's.
 *
 * - Flows: pmacct's pmacctd with its nfprobe plugin (NetFlow v9 / IPFIX). One capture on all interfaces (`any`), in
 *   the inbound direction only (`pcap_direction: in`): a forwarded packet enters the device exactly once, so it is
 *   counted once whichever two interfaces it crosses; the device's own management traffic and loopback are filtered
 *   out. One capture, not one per interface: measured in the lab, pmacctd 1.7.7 with a `pcap_interfaces_map` of a CE's
 *   nine interfaces never saw a LAN interface's packets while an uplink carried BFD, so a gemeente's traffic was
 *   missing from the SOC. pmacctd asks libpcap for a 1 s buffer timeout, so a packet reaches the flow cache within a
 *   second. (softflowd 1.1.0 asks for none, which libpcap 1.10 on Linux turns into "deliver when a 256 KiB ring block
 *   is full": on a quiet link its flows never leave the device.)
 * - Packet logs: ulogd2 reads the packet-log groups (src/veilig/nflog.ts) and sends one JSON line per packet over UDP
 *   to the SOC's log receiver, with the device id as `dvc` (ulogd 2.0.8's JSON output: `mode`, `host`, `port`,
 *   `device`).
 */

/** A UDP target on the management network. */
export interface TelemetryEndpoint {
  id: string;
  address: string;
  port: number;
}

export interface FlowExportConfig {
  deviceId: string;
  collectors: Array<TelemetryEndpoint & { protocol: 'netflow-v9' | 'ipfix' }>;
  /** 1: every packet; n: one packet in n. */
  sampling: number;
  activeTimeoutS: number;
  /** The device's own management address, whose traffic is left out (it is not traffic the device forwards). */
  management: string;
  /** The pid file and the daemon's own log. */
  pidFile: string;
  logFile: string;
}

/** NetFlow's customary inactive timeout: a flow idle this long is over. */
const IDLE_TIMEOUT_S = 15;

/** A plugin instance name pmacct accepts: letters, digits, '-' and '_'. */
function instance(id: string): string {
  return id.replace(/[^A-Za-z0-9_-]/g, '_');
}

function line(text: string): string {
  if (/[\r\n]/.test(text)) throw new RangeError(`a configuration value holds a line break: ${JSON.stringify(text.slice(0, 40))}`);
  return text;
}

function target(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/**
 * pmacctd.conf. A flow is reported once it has been idle for min(15, activeTimeoutS) seconds (every protocol's idle
 * timeout, a TCP flow's after FIN or RST too), and a long one after `activeTimeoutS` (nfprobe's `maxlife`: a flow's
 * duration, not its age), checked every min(10, activeTimeoutS) seconds (`expint`). pmacct's own idle timeouts are
 * softflowd's (an hour for TCP, five minutes after a FIN): measured in the lab, a 20 MB transfer that ended reached the
 * SOC only five minutes later, too late for coverage and usage figures.
 */
export function renderPmacctdConf(c: FlowExportConfig): string {
  if (c.collectors.length === 0) throw new RangeError(`${c.deviceId}: flow export needs a collector`);
  const names = c.collectors.map((x) => instance(x.id));
  if (new Set(names).size !== names.length) throw new RangeError(`${c.deviceId}: two collectors have the same id`);
  const expint = Math.min(10, c.activeTimeoutS);
  const idle = Math.min(IDLE_TIMEOUT_S, c.activeTimeoutS);
  const timeouts = [...['tcp', 'tcp.rst', 'tcp.fin', 'udp', 'icmp', 'general'].map((k) => `${k}=${idle}`), `maxlife=${c.activeTimeoutS}`, `expint=${expint}`].join(':');
  const out = [
    `! ggi: flow export of ${line(c.deviceId)} to the GGI-Veilig SOC; generated from veilig.yaml, do not edit`,
    'daemonize: true',
    `pidfile: ${line(c.pidFile)}`,
    `logfile: ${line(c.logFile)}`,
    '! Every forwarding interface, inbound only: each forwarded packet is counted once.',
    '! Every interface, inbound only: each forwarded packet is counted once, where it enters the device.',
    'pcap_interface: any',
    'pcap_direction: in',
    `pcap_filter: ${ownTrafficFilter(c.deviceId, c.management)}`,
    'promisc: false',
  ];
  if (c.sampling > 1) out.push(`sampling_rate: ${c.sampling}`);
  out.push(`plugins: ${names.map((n) => `nfprobe[${n}]`).join(', ')}`);
  c.collectors.forEach((x, i) => {
    const n = names[i];
    out.push(
      `nfprobe_receiver[${n}]: ${target(x.address, x.port)}`,
      `nfprobe_version[${n}]: ${x.protocol === 'ipfix' ? 10 : 9}`,
      `nfprobe_timeouts[${n}]: ${timeouts}`,
    );
  });
  return `${out.join('\n')}\n`;
}

/** A BPF filter that leaves out the device's own traffic: its management address and loopback. */
function ownTrafficFilter(deviceId: string, management: string): string {
  if (!/^[0-9a-fA-F.:]+$/.test(management) || !/[.:]/.test(management)) throw new RangeError(`${deviceId}: '${management}' is not an address`);
  return `not host ${management} and not net 127.0.0.0/8 and not ip6 host ::1`;
}

export interface PacketLogConfig {
  deviceId: string;
  /** The packet-log groups to read. */
  groups: number[];
  /** JSON lines go to the first receiver (ulogd binds a group once, so one output per group). */
  receiver: TelemetryEndpoint;
  logFile: string;
  /** Debian's plugin folder. */
  pluginDir?: string;
}

const PLUGIN_DIR = '/usr/lib/x86_64-linux-gnu/ulogd';
const PLUGINS = ['inppkt_NFLOG', 'raw2packet_BASE', 'filter_IFINDEX', 'filter_IP2STR', 'output_JSON'];

/**
 * ulogd.conf (ulogd 2.0.8): one stack per group, NFLOG → BASE (decode) → IFINDEX (interface names) → IP2STR
 * (printable addresses) → JSON, each line sent as one UDP datagram to the receiver with `dvc` = the device id.
 */
export function renderUlogdConf(c: PacketLogConfig): string {
  if (c.groups.length === 0) throw new RangeError(`${c.deviceId}: packet logging needs a group`);
  const dir = c.pluginDir ?? PLUGIN_DIR;
  const out = [
    `# ggi: packet logs of ${line(c.deviceId)} to the GGI-Veilig SOC; generated from veilig.yaml, do not edit`,
    '[global]',
    `logfile="${line(c.logFile)}"`,
    'loglevel=5',
    ...PLUGINS.map((p) => `plugin="${dir}/ulogd_${p}.so"`),
    ...c.groups.map((g) => `stack=log${g}:NFLOG,base${g}:BASE,ifi${g}:IFINDEX,ip2str${g}:IP2STR,json${g}:JSON`),
  ];
  for (const g of c.groups) {
    if (!Number.isInteger(g) || g < 0 || g > 65535) throw new RangeError(`${c.deviceId}: packet-log group ${g} is out of range`);
    out.push('', `[log${g}]`, `group=${g}`);
  }
  for (const g of c.groups) {
    out.push('', `[json${g}]`, 'mode="udp"', `host="${line(c.receiver.address)}"`, `port="${c.receiver.port}"`, `device="${line(c.deviceId)}"`, 'timestamp=1');
  }
  return `${out.join('\n')}\n`;
}
