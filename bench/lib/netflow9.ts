/**
 * A minimal NetFlow v9 exporter (RFC 3954) for benchmarks and tests: it turns flow records into export packets that a
 * real collector (nfcapd) stores in its own file format. Devices in the lab export with softflowd; this exists so that
 * millions of records with known content can be produced quickly and fed to the same collector.
 */

export interface FlowRecord {
  family: 4 | 6;
  /** IPv4: 32-bit value; IPv6: 128-bit value. */
  src: bigint;
  dst: bigint;
  proto: number;
  srcPort: number;
  dstPort: number;
  bytes: number;
  packets: number;
}

const TEMPLATE_V4 = 256;
const TEMPLATE_V6 = 257;

// (field type, length) per RFC 3954 §8.
const COMMON: Array<[number, number]> = [
  [1, 8], // IN_BYTES
  [2, 8], // IN_PKTS
  [4, 1], // PROTOCOL
  [7, 2], // L4_SRC_PORT
  [11, 2], // L4_DST_PORT
  [22, 4], // FIRST_SWITCHED (sysUptime ms)
  [21, 4], // LAST_SWITCHED
];
const FIELDS_V4: Array<[number, number]> = [[8, 4], [12, 4], ...COMMON]; // IPV4_SRC_ADDR, IPV4_DST_ADDR
const FIELDS_V6: Array<[number, number]> = [[27, 16], [28, 16], ...COMMON]; // IPV6_SRC_ADDR, IPV6_DST_ADDR

const recordSize = (fields: Array<[number, number]>) => fields.reduce((n, [, l]) => n + l, 0);
const SIZE_V4 = recordSize(FIELDS_V4);
const SIZE_V6 = recordSize(FIELDS_V6);

function templateFlowSet(): Buffer {
  const parts: Buffer[] = [];
  for (const [id, fields] of [[TEMPLATE_V4, FIELDS_V4], [TEMPLATE_V6, FIELDS_V6]] as const) {
    const b = Buffer.alloc(4 + fields.length * 4);
    b.writeUInt16BE(id, 0);
    b.writeUInt16BE(fields.length, 2);
    fields.forEach(([t, l], i) => {
      b.writeUInt16BE(t, 4 + i * 4);
      b.writeUInt16BE(l, 6 + i * 4);
    });
    parts.push(b);
  }
  const body = Buffer.concat(parts);
  const head = Buffer.alloc(4);
  head.writeUInt16BE(0, 0); // template FlowSet id
  head.writeUInt16BE(4 + body.length, 2);
  return Buffer.concat([head, body]);
}

function writeAddr(b: Buffer, off: number, family: 4 | 6, v: bigint): void {
  if (family === 4) b.writeUInt32BE(Number(v), off);
  else {
    b.writeBigUInt64BE(v >> 64n, off);
    b.writeBigUInt64BE(v & 0xffffffffffffffffn, off + 8);
  }
}

/**
 * Encodes records as NetFlow v9 packets of at most `mtu` bytes, each led by the templates (so a collector that
 * starts late, or loses a packet, still decodes the next one). Records of one family per data FlowSet.
 */
export function encodeNetflowV9(records: readonly FlowRecord[], opts: { sourceId?: number; unixSecs?: number; mtu?: number; firstSequence?: number } = {}): Buffer[] {
  const mtu = opts.mtu ?? 1400;
  const unixSecs = opts.unixSecs ?? Math.floor(Date.now() / 1000);
  const tmpl = templateFlowSet();
  const packets: Buffer[] = [];
  let seq = opts.firstSequence ?? 0;
  let i = 0;
  while (i < records.length) {
    const family = records[i].family;
    const size = family === 4 ? SIZE_V4 : SIZE_V6;
    const room = Math.floor((mtu - 20 - tmpl.length - 4) / size);
    let n = 0;
    while (n < room && i + n < records.length && records[i + n].family === family) n++;
    const dataLen = 4 + n * size;
    const pad = (4 - (dataLen % 4)) % 4;
    const data = Buffer.alloc(dataLen + pad);
    data.writeUInt16BE(family === 4 ? TEMPLATE_V4 : TEMPLATE_V6, 0);
    data.writeUInt16BE(dataLen + pad, 2);
    for (let k = 0; k < n; k++) {
      const r = records[i + k];
      let o = 4 + k * size;
      writeAddr(data, o, family, r.src);
      o += family === 4 ? 4 : 16;
      writeAddr(data, o, family, r.dst);
      o += family === 4 ? 4 : 16;
      data.writeBigUInt64BE(BigInt(r.bytes), o);
      data.writeBigUInt64BE(BigInt(r.packets), o + 8);
      data.writeUInt8(r.proto, o + 16);
      data.writeUInt16BE(r.srcPort, o + 17);
      data.writeUInt16BE(r.dstPort, o + 19);
      data.writeUInt32BE(1000, o + 21);
      data.writeUInt32BE(2000, o + 25);
    }
    const head = Buffer.alloc(20);
    head.writeUInt16BE(9, 0);
    head.writeUInt16BE(2 + n, 2); // records in this packet: two templates and n data records
    head.writeUInt32BE(3000, 4); // sysUptime
    head.writeUInt32BE(unixSecs, 8);
    head.writeUInt32BE(seq++, 12);
    head.writeUInt32BE(opts.sourceId ?? 1, 16);
    packets.push(Buffer.concat([head, tmpl, data]));
    i += n;
  }
  return packets;
}
