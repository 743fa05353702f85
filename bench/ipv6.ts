import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { generateNationalInventory, writeInventoryFiles } from '../src/generate/national';
import { loadInventory } from '../src/model/load';
import { allocate, checkIpv6, planFromSettings, type LedgerData, type PlanKind, withLedger } from '../src/ipv6';
import { fastParseLedger } from '../src/model/fastyaml';
import { ledgerPath, readLedgerFile, renderFreshLedger, updateLedger, writeFileAtomic } from '../src/ipv6/store';

/**
 * The ledger benchmark: allocate every /46 of the full-size synthetic national inventory (482 organisations x 4
 * categories) from an empty ledger in memory; measure single allocations through the locked, atomic store on the
 * full ledger (as separate `ggi ipv6 allocate` runs do); then re-validate the written ledger with checkIpv6.
 */
export async function run(): Promise<Array<{ name: string; value: number; unit: string; note?: string }>> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ggi-bench-ipv6-'));
  try {
    const files = generateNationalInventory({ seed: 1 });
    // Start from an empty ledger: every /46 is computed by ggi.
    files.set('ipv6/ledger.yaml', 'version: 1\nslots: []\nentries: []\n');
    writeInventoryFiles(dir, files);
    const loaded = loadInventory(dir);
    if (!loaded.inventory) throw new Error(`the synthetic inventory does not load: ${loaded.findings.slice(0, 3).map((f) => f.message).join('; ')}`);
    const inv = loaded.inventory;
    const plan = planFromSettings(inv.settings).plan;
    if (!plan) throw new Error('the synthetic numbering plan is inconsistent');
    const categories = plan.categories.map((c) => c.name);
    const requests = inv.organisations.flatMap((o) => categories.map((category) => ({ organisation: o.id, kind: o.kind as PlanKind, category })));
    const now = new Date('2026-11-23T12:00:00Z');
    const ms = (a: bigint, b: bigint) => Number(b - a) / 1e6;

    // In memory.
    let ledger: LedgerData = { version: 1, slots: [], entries: [] };
    const t0 = process.hrtime.bigint();
    for (const r of requests) {
      const res = allocate(ledger, r, plan, now, 'bench');
      if (!res.ok) throw new Error(res.problem.message);
      ledger = res.ledger;
    }
    const t1 = process.hrtime.bigint();
    // Idempotent re-run: every request returns what is held.
    for (const r of requests) {
      const res = allocate(ledger, r, plan, now, 'bench');
      if (!res.ok || res.created) throw new Error('re-run changed the ledger');
    }
    const t2 = process.hrtime.bigint();
    const memoryChecks = checkIpv6(withLedger(inv, ledger));
    const t3 = process.hrtime.bigint();

    // Through the store, one locked read-modify-write per allocation, as separate `ggi ipv6 allocate` runs do. Each
    // run re-reads (parses and schema-checks) the whole ledger inside the lock, so a run costs O(ledger size): the
    // figure is the last STORE_RUNS allocations onto the otherwise complete national ledger (the worst case).
    const file = ledgerPath(dir);
    const STORE_RUNS = Math.min(100, requests.length);
    const cut = requests.length - STORE_RUNS;
    let partial: LedgerData = { version: 1, slots: [], entries: [] };
    for (const r of requests.slice(0, cut)) {
      const res = allocate(partial, r, plan, now, 'bench');
      if (!res.ok) throw new Error(res.problem.message);
      partial = res.ledger;
    }
    writeFileAtomic(file, renderFreshLedger(partial));
    const s0 = process.hrtime.bigint();
    for (const r of requests.slice(cut)) {
      const res = await updateLedger(file, (d) => allocate(d, r, plan, now, 'bench'));
      if (!res.ok) throw new Error(res.problem.message);
    }
    const s1 = process.hrtime.bigint();
    const bytes = fs.statSync(file).size;
    const fastReader = fastParseLedger(fs.readFileSync(file, 'utf8')) !== null;

    // Re-validate what was written: load the inventory again (parse + schema) and run the IPv6 checks.
    const v0 = process.hrtime.bigint();
    const again = loadInventory(dir);
    const v1 = process.hrtime.bigint();
    const findings = checkIpv6(again.inventory!);
    const v2 = process.hrtime.bigint();
    const back = readLedgerFile(file);
    const sameAsMemory = back.ok && JSON.stringify(back.data.entries.map((e) => e.prefix)) === JSON.stringify(ledger.entries.map((e) => e.prefix));
    const errors = findings.filter((f) => f.severity === 'error').length + memoryChecks.filter((f) => f.severity === 'error').length;

    const n = requests.length;
    return [
      { name: `ipv6: allocate all /46s in memory (${inv.organisations.length} orgs x ${categories.length} categories)`, value: round(ms(t0, t1)), unit: 'ms', note: `${n} allocations, ${ledger.entries.length} entries (internet /46s add their assigned /48)` },
      { name: 'ipv6: idempotent re-run of every allocation in memory', value: round(ms(t1, t2)), unit: 'ms', note: `${n} requests, nothing changed` },
      { name: 'ipv6: one allocation through the store on the full national ledger (lock + re-read + atomic write)', value: round(ms(s0, s1) / STORE_RUNS), unit: 'ms', note: `mean of the last ${STORE_RUNS} of ${n} allocations; ledger ${(bytes / 1024).toFixed(0)} KiB, read by the fast subset reader: ${fastReader}; same prefixes as in memory: ${sameAsMemory}` },
      { name: 'ipv6: re-validate the written ledger: load inventory', value: round(ms(v0, v1)), unit: 'ms', note: `${again.findings.length} load findings` },
      { name: 'ipv6: re-validate the written ledger: checkIpv6', value: round(ms(v1, v2)), unit: 'ms', note: `${findings.length} findings, ${errors} errors (in-memory ledger checked in ${round(ms(t2, t3))} ms)` },
    ];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}
