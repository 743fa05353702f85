/**
 * Reads flow records from nfdump 1.7 files (what nfcapd writes: layout version 2, V3 records), without going
 * through `nfdump`'s text output, which costs more than the attribution itself. Only the fields usage and coverage
 * need are decoded; every other element and record type is skipped by its size.
 *
 * Layout (nfdump src/lib/nffileV2.h and nfxV3.h, little-endian as written on x86 and arm64):
 *   file header (40 bytes): magic 0xA50C, version 2, nfdversion, created, compression, encryption, appendixBlocks,
 *     unused, offAppendix (u64), BlockSize, NumBlocks
 *   data blocks (12-byte header: NumRecords, size, type, flags) up to offAppendix
 *   V3 record (type 11): type, size, numElements, engineType, engineID, exporterID, flags, nfversion (12 bytes),
 *     then elements (type u16, length u16): 1 generic flow, 2 IPv4 addresses, 3 IPv6 addresses, …
 *   exporter info record (type 7, include/exporter.h): type, size, version (u32), ip (16 bytes: IPv4 in bytes 8..11
 *     on little-endian hosts, IPv6 as two host-order u64 halves), sa_family (u16), sysid (u16), id (u32). nfcapd
 *     writes one into every file before the first flow of that exporter; a V3 record's exporterID is its sysid.
 */
import * as fs from 'node:fs';
import { formatAddress } from '../net';

const MAGIC = 0xa50c;
const LAYOUT_VERSION_2 = 2;
const HEADER_SIZE = 40;
const BLOCK_HEADER_SIZE = 12;
const DATA_BLOCK_TYPE_3 = 3;
const V3_RECORD = 11;
const EX_GENERIC_FLOW = 1;
const EX_IPV4_FLOW = 2;
const EX_IPV6_FLOW = 3;
const EXPORTER_INFO_RECORD = 7;
const EXPORTER_INFO_SIZE = 32;
const AF_INET = 2;
const AF_INET6 = 10;
/** nfdump writes blocks of at most a few MiB; anything larger is a damaged or foreign file. */
const MAX_BLOCK_SIZE = 64 * 2 ** 20;
const COMPRESSION = ['none', 'LZO', 'BZ2', 'LZ4', 'ZSTD'];

export class FlowFileError extends Error {}

/**
 * One flow record, decoded into a reused object (a reader yields millions; allocating one object each is most of
 * the cost). Copy what you keep. IPv6 addresses are four 32-bit words, most significant first.
 */
export interface FlowView {
  family: 4 | 6;
  /** IPv4 source and destination as unsigned 32-bit numbers. */
  src4: number;
  dst4: number;
  src6: Uint32Array;
  dst6: Uint32Array;
  proto: number;
  srcPort: number;
  dstPort: number;
  bytes: number;
  packets: number;
  /** Milliseconds since the epoch. */
  first: number;
  last: number;
  /** The collector's id of the exporter (one per exporting device and source id). */
  exporter: number;
}

/** Who sent the records: one exporter info record of a file (nfcapd's sysid ↔ the exporter's source address). */
export interface ExporterInfo {
  /** nfcapd's id of the exporter within this file: FlowView.exporter of its records. */
  readonly sysid: number;
  /** The source address the exporter's packets came from (a device's management address). */
  readonly address: string;
  /** NetFlow version (9, 10 for IPFIX, 5). */
  readonly version: number;
  /** Source id / observation domain the exporter put in its packets. */
  readonly id: number;
}

export type ExporterVisitor = (e: ExporterInfo) => void;

export interface ReadStats {
  records: number;
  /** V3 records without addresses (e.g. NSEL events) or of other families. */
  skipped: number;
}

function u64(b: Buffer, off: number): number {
  return b.readUInt32LE(off) + b.readUInt32LE(off + 4) * 0x1_0000_0000;
}

function newView(): FlowView {
  return { family: 4, src4: 0, dst4: 0, src6: new Uint32Array(4), dst6: new Uint32Array(4), proto: 0, srcPort: 0, dstPort: 0, bytes: 0, packets: 0, first: 0, last: 0, exporter: 0 };
}

/** 16- and 32-bit views of a block buffer: records and elements are 4-byte aligned, so fields are read as array elements. */
interface Views {
  readonly buf: Buffer;
  readonly u16: Uint16Array;
  readonly u32: Uint32Array;
}

function viewsOf(b: Buffer): Views {
  if (b.byteOffset % 4 !== 0) throw new FlowFileError('internal: unaligned flow buffer');
  return { buf: b, u16: new Uint16Array(b.buffer, b.byteOffset, b.length >> 1), u32: new Uint32Array(b.buffer, b.byteOffset, b.length >> 2) };
}

/**
 * Decodes the records of one data block (bytes `start`..`end` of `b`, `start` 4-byte aligned), calling `visit` with
 * the reused view. Pure over the buffer. Assumes a little-endian host, as nfdump's own files do.
 */
export function decodeBlock(
  b: Buffer | Views,
  start: number,
  end: number,
  visit: (f: FlowView) => void,
  stats: ReadStats,
  v: FlowView = newView(),
  onExporter?: ExporterVisitor,
): void {
  const { buf, u16, u32 } = 'u32' in b ? b : viewsOf(b);
  let p = start;
  while (p + 12 <= end) {
    const type = u16[p >> 1];
    const size = u16[(p >> 1) + 1];
    if (size < 4 || size % 4 !== 0 || p + size > end) throw new FlowFileError(`damaged record at byte ${p} (size ${size})`);
    if (type === V3_RECORD) {
      const n = u16[(p >> 1) + 2];
      v.exporter = u16[(p >> 1) + 4];
      let q = p + 12;
      let hasAddr = false;
      let hasFlow = false;
      for (let i = 0; i < n && q + 4 <= p + size; i++) {
        const et = u16[q >> 1];
        const el = u16[(q >> 1) + 1];
        if (el < 4 || el % 4 !== 0 || q + el > p + size) throw new FlowFileError(`damaged element at byte ${q} (length ${el})`);
        const d = (q + 4) >> 2;
        if (et === EX_GENERIC_FLOW && el >= 4 + 48) {
          v.first = u32[d] + u32[d + 1] * 0x1_0000_0000;
          v.last = u32[d + 2] + u32[d + 3] * 0x1_0000_0000;
          v.packets = u32[d + 6] + u32[d + 7] * 0x1_0000_0000;
          v.bytes = u32[d + 8] + u32[d + 9] * 0x1_0000_0000;
          v.srcPort = u16[(d + 10) << 1];
          v.dstPort = u16[((d + 10) << 1) + 1];
          v.proto = buf[(d + 11) << 2];
          hasFlow = true;
        } else if (et === EX_IPV4_FLOW && el >= 4 + 8) {
          v.family = 4;
          v.src4 = u32[d];
          v.dst4 = u32[d + 1];
          hasAddr = true;
        } else if (et === EX_IPV6_FLOW && el >= 4 + 32) {
          // Each address is two host-order u64 halves, the high half first.
          v.family = 6;
          v.src6[0] = u32[d + 1];
          v.src6[1] = u32[d];
          v.src6[2] = u32[d + 3];
          v.src6[3] = u32[d + 2];
          v.dst6[0] = u32[d + 5];
          v.dst6[1] = u32[d + 4];
          v.dst6[2] = u32[d + 7];
          v.dst6[3] = u32[d + 6];
          hasAddr = true;
        }
        q += el;
      }
      if (hasAddr && hasFlow) {
        stats.records++;
        visit(v);
      } else stats.skipped++;
    } else if (type === EXPORTER_INFO_RECORD && onExporter && size >= EXPORTER_INFO_SIZE) {
      onExporter(exporterInfo(buf, p));
    }
    p += size;
  }
}

function exporterInfo(buf: Buffer, p: number): ExporterInfo {
  const family = buf.readUInt16LE(p + 24);
  let address: string;
  if (family === AF_INET6) {
    const words: string[] = [];
    // Two host-order u64 halves, the high half first: each half's bytes reversed give the address in network order.
    for (const half of [p + 8, p + 16]) for (let i = 7; i >= 1; i -= 2) words.push(((buf[half + i] << 8) | buf[half + i - 1]).toString(16));
    address = formatIpv6(words);
  } else if (family === AF_INET) {
    const a = buf.readUInt32LE(p + 16);
    address = `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
  } else address = `family-${family}`;
  return { sysid: buf.readUInt16LE(p + 26), address, version: buf.readUInt32LE(p + 4), id: buf.readUInt32LE(p + 28) };
}

function formatIpv6(words: readonly string[]): string {
  return formatAddress(6, BigInt(`0x${words.map((w) => w.padStart(4, '0')).join('')}`));
}

/**
 * Streams every flow record of one nfdump file through `visit`. Refuses what it cannot read exactly: another magic or
 * layout, compressed or encrypted files (run nfcapd without -z/-y/-j), damaged blocks. Reads block by block, so
 * memory stays at one block whatever the file's size.
 */
export function readFlowFile(file: string, visit: (f: FlowView) => void, stats: ReadStats = { records: 0, skipped: 0 }, onExporter?: ExporterVisitor): ReadStats {
  const st = fs.lstatSync(file);
  if (!st.isFile()) throw new FlowFileError(`${file}: not a regular file`);
  const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  try {
    const head = Buffer.alloc(HEADER_SIZE);
    if (fs.readSync(fd, head, 0, HEADER_SIZE, 0) !== HEADER_SIZE) throw new FlowFileError(`${file}: too short for an nfdump file`);
    if (head.readUInt16LE(0) !== MAGIC) throw new FlowFileError(`${file}: not an nfdump file (magic ${head.readUInt16LE(0).toString(16)})`);
    if (head.readUInt16LE(2) !== LAYOUT_VERSION_2) throw new FlowFileError(`${file}: nfdump layout version ${head.readUInt16LE(2)}; only version 2 (nfdump 1.7) is read`);
    const compression = head[16];
    if (compression !== 0) throw new FlowFileError(`${file}: ${COMPRESSION[compression] ?? `method ${compression}`}-compressed; run nfcapd without compression (-z/-y/-j) for the files ggi reads`);
    if (head[17] !== 0) throw new FlowFileError(`${file}: encrypted nfdump files are not supported`);
    const appendix = u64(head, 24);
    const end = appendix > 0 && appendix <= st.size ? appendix : st.size;
    let views = viewsOf(Buffer.alloc(1 << 20));
    const bh = Buffer.alloc(BLOCK_HEADER_SIZE);
    const view = newView();
    let pos = HEADER_SIZE;
    while (pos + BLOCK_HEADER_SIZE <= end) {
      if (fs.readSync(fd, bh, 0, BLOCK_HEADER_SIZE, pos) !== BLOCK_HEADER_SIZE) break;
      const size = bh.readUInt32LE(4);
      const type = bh.readUInt16LE(8);
      if (size > MAX_BLOCK_SIZE || pos + BLOCK_HEADER_SIZE + size > end) throw new FlowFileError(`${file}: damaged block at byte ${pos} (size ${size})`);
      pos += BLOCK_HEADER_SIZE;
      if (type === DATA_BLOCK_TYPE_3) {
        if (views.buf.length < size) views = viewsOf(Buffer.alloc(Math.max(size, views.buf.length * 2)));
        if (fs.readSync(fd, views.buf, 0, size, pos) !== size) throw new FlowFileError(`${file}: truncated block at byte ${pos}`);
        decodeBlock(views, 0, size, visit, stats, view, onExporter);
      }
      pos += size;
    }
    return stats;
  } finally {
    fs.closeSync(fd);
  }
}

/** nfcapd's files in a folder (nfcapd.YYYYMMDDhhmm, also in its -S sub-folders), oldest first; `current` files skipped. */
export function flowFiles(dirOrFile: string): string[] {
  const st = fs.lstatSync(dirOrFile);
  if (st.isFile()) return [dirOrFile];
  if (!st.isDirectory()) throw new FlowFileError(`${dirOrFile}: neither a regular file nor a folder`);
  const out: string[] = [];
  const walk = (dir: string, depth: number) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = `${dir}/${e.name}`;
      if (e.isDirectory() && depth < 4) walk(p, depth + 1);
      else if (e.isFile() && /^nfcapd\.\d{12,14}$/.test(e.name)) out.push(p);
    }
  };
  walk(dirOrFile, 0);
  return out;
}
