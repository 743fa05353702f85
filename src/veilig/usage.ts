/**
 * Usage per organisation from flow records: each record's two ends are looked up in the attribution index, counted
 * per (source owner, destination owner) pair, and the pairs are turned into rows from the organisation's side.
 * A record is counted once: from its source's side when the source is an organisation, else from its destination's;
 * a record with an organisation at neither end is unattributed, reported and never dropped. Pure but for the
 * record source, which is a function.
 */
import { type AttributionIndex, lookup4, lookup6, type Owner } from './attribution';
import type { Inventory } from '../model/inventory';
import type { FlowView } from './nfcapd';

export type UsageGrouping = 'organisation' | 'zone' | 'service' | 'member';

export interface UsageRow {
  organisation: string | null;
  member: string | null;
  zone: string | null;
  /** The other end: a service name, a supplier or another organisation's id; null when not declared anywhere. */
  counterpart: string | null;
  bytes: number;
  packets: number;
}

export interface UsageReport {
  since: string | null;
  by: UsageGrouping;
  rows: UsageRow[];
  unattributed: { bytes: number; packets: number };
  records: number;
}

/** Byte and packet counts per (source owner, destination owner); owner -1 (undeclared) is slot 0. */
export class PairCounts {
  private readonly n: number;
  private readonly dense: Float64Array | null;
  private readonly sparse: Map<number, [number, number]> | null;
  records = 0;

  constructor(owners: number) {
    this.n = owners + 1;
    // A dense table while it stays small (the national inventory has ~2,000 owners: 64 MB at most); a map beyond.
    this.dense = this.n * this.n <= 4_000_000 ? new Float64Array(this.n * this.n * 2) : null;
    this.sparse = this.dense ? null : new Map();
  }

  add(src: number, dst: number, bytes: number, packets: number): void {
    const k = (src + 1) * this.n + (dst + 1);
    this.records++;
    if (this.dense) {
      this.dense[2 * k] += bytes;
      this.dense[2 * k + 1] += packets;
    } else {
      const e = this.sparse!.get(k);
      if (e) {
        e[0] += bytes;
        e[1] += packets;
      } else this.sparse!.set(k, [bytes, packets]);
    }
  }

  /** Every non-empty pair as [src, dst, bytes, packets] with owners as indexes (-1: undeclared). */
  *pairs(): Generator<[number, number, number, number]> {
    if (this.dense) {
      for (let k = 0; k < this.n * this.n; k++) {
        const b = this.dense[2 * k];
        const p = this.dense[2 * k + 1];
        if (b || p) yield [Math.floor(k / this.n) - 1, (k % this.n) - 1, b, p];
      }
    } else {
      for (const [k, [b, p]] of this.sparse!) yield [Math.floor(k / this.n) - 1, (k % this.n) - 1, b, p];
    }
  }
}

/**
 * One flow, one count, when several devices export it: a gemeente's traffic to a KPS service crosses its CE and a
 * border, and both report it. A record attributed to an organisation counts only when its own connection point's CE
 * (or its samenwerkingsverband's) exported it; the other devices' copies are skipped. Records from exporters that are
 * no known device (another collector's relay, an unknown source address) always count, so nothing is dropped unseen.
 */
export class OnePerFlow {
  /** The device address of each exporter id of the current file; undefined for exporters that are no device. */
  private bySysid: Array<string | undefined> = [];
  /** Whether any exporter of the current file is a device: when none is, every record counts (the fast path). */
  private anyDevice = false;
  /** Per owner index: the exporter addresses its records count from (null: any). */
  private readonly at: Array<ReadonlySet<string> | null>;
  private readonly known: ReadonlySet<string>;

  constructor(idx: AttributionIndex, inv: Pick<Inventory, 'organisations' | 'devices'>) {
    const address = new Map(inv.devices.map((d) => [d.id, d.management.address]));
    this.known = new Set(address.values());
    const byOrg = new Map<string, Set<string>>();
    for (const o of inv.organisations) {
      const cp = o.connectionPoint;
      if (!cp) continue;
      byOrg.set(o.id, new Set([cp.device, ...(cp.secondDevice ? [cp.secondDevice] : [])].map((d) => address.get(d) ?? '')));
    }
    this.at = idx.owners.map((o) => (o.kind === 'organisation' && o.organisation ? (byOrg.get(o.organisation) ?? null) : null));
  }

  /** Starts a file: nfcapd's exporter ids are per file. */
  file(): void {
    this.bySysid = [];
    this.anyDevice = false;
  }

  readonly exporter = (e: { sysid: number; address: string }): void => {
    const device = this.known.has(e.address);
    this.bySysid[e.sysid] = device ? e.address : undefined;
    if (device) this.anyDevice = true;
  };

  /** Whether a record with these owners (indexes, -1: undeclared) counts from the exporter that sent it. */
  keep(exporter: number, src: number, dst: number, owners: AttributionIndex['owners']): boolean {
    if (!this.anyDevice) return true;
    const addr = this.bySysid[exporter];
    if (addr === undefined) return true;
    const self = src >= 0 && owners[src].kind === 'organisation' ? src : dst >= 0 && owners[dst].kind === 'organisation' ? dst : -1;
    if (self < 0) return true;
    const at = this.at[self];
    return !at || at.has(addr);
  }
}

/**
 * A visitor for `readFlowFile` that attributes each record (optionally only those that ended at or after `sinceMs`,
 * and with `once`, each flow once however many devices exported it).
 */
export function attributingVisitor(idx: AttributionIndex, counts: PairCounts, sinceMs = 0, once?: OnePerFlow): (f: FlowView) => void {
  const { v4, v6, owners } = idx;
  return (f) => {
    if (f.last < sinceMs) return;
    const s = f.family === 4 ? lookup4(v4, f.src4) : lookup6(v6, f.src6);
    const d = f.family === 4 ? lookup4(v4, f.dst4) : lookup6(v6, f.dst6);
    if (once && !once.keep(f.exporter, s, d, owners)) return;
    counts.add(s, d, f.bytes, f.packets);
  };
}

function keyOf(by: UsageGrouping, r: UsageRow): UsageRow {
  switch (by) {
    case 'organisation':
      return { ...r, member: null };
    case 'member':
      return r;
    case 'zone':
      return { ...r, organisation: null, member: null, counterpart: null };
    case 'service':
      return { ...r, organisation: null, member: null };
  }
}

/** Turns counted pairs into report rows, grouped as asked, largest first (ties by name, so output is stable). */
export function summarise(idx: AttributionIndex, counts: PairCounts, by: UsageGrouping, since: string | null = null): UsageReport {
  const owner = (i: number): Owner | null => (i >= 0 ? idx.owners[i] : null);
  const groups = new Map<string, UsageRow>();
  const unattributed = { bytes: 0, packets: 0 };
  for (const pair of counts.pairs()) {
    const bytes = pair[2];
    const packets = pair[3];
    const so = owner(pair[0]);
    const dOwner = owner(pair[1]);
    const [self, other] = so?.kind === 'organisation' ? [so, dOwner] : dOwner?.kind === 'organisation' ? [dOwner, so] : [null, null];
    if (!self) {
      unattributed.bytes += bytes;
      unattributed.packets += packets;
      continue;
    }
    const row = keyOf(by, {
      organisation: self.organisation,
      member: self.member,
      zone: self.zone ?? other?.zone ?? null,
      counterpart: other?.id ?? null,
      bytes: 0,
      packets: 0,
    });
    const key = `${row.organisation ?? ''}\0${row.member ?? ''}\0${row.zone ?? ''}\0${row.counterpart ?? ''}`;
    const g = groups.get(key);
    if (g) {
      g.bytes += bytes;
      g.packets += packets;
    } else groups.set(key, { ...row, bytes, packets });
  }
  // Stable order: largest first, then by name (the group key, computed once per row).
  // (Indexing, not destructuring: destructuring an array goes through the iterator protocol, per comparison.)
  const entries = [...groups.entries()];
  entries.sort((x, y) => y[1].bytes - x[1].bytes || (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
  const rows = entries.map((e) => e[1]);
  return { since, by, rows, unattributed, records: counts.records };
}
