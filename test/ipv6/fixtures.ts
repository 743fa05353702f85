import { parse } from 'yaml';
import { settingsSchema, type Settings } from '../../src/model/schema';
import type { Inventory } from '../../src/model/inventory';
import { loadInventory } from '../../src/model/load';
import { loadGemeenten } from '../../src/model/gemeenten';
import { planFromSettings, type LedgerData, type NumberingPlan } from '../../src/ipv6';
import { MINIMAL_SETTINGS, tmpInventory } from '../helpers/tmp-inventory';

/** Shared fixtures of the ipv6 tests: the minimal plan, organisation files, an in-process CLI. */

export const SETTINGS: Settings = settingsSchema.parse(parse(MINIMAL_SETTINGS));

export function plan(settings: Settings = SETTINGS): NumberingPlan {
  const built = planFromSettings(settings);
  if (!built.plan) throw new Error(`test plan is invalid: ${JSON.stringify(built.problems)}`);
  return built.plan;
}

export const KIND_PREFIX = { gemeente: 'GM', provincie: 'PV', waterschap: 'WS', samenwerkingsverband: 'SV', leverancier: 'LV' } as const;

/** An organisation file. `extra` is appended verbatim (YAML). */
export function orgYaml(id: string, kind: keyof typeof KIND_PREFIX, extra = ''): string {
  return `id: ${id}\nkind: ${kind}\nname: Organisation ${id}\n${extra}`;
}

export function gemeenteId(n: number): string {
  return `GM${String(n).padStart(4, '0')}`;
}

/**
 * The n-th (1-based) CBS gemeentecode in force, in code order, for inventories that commands run on: they refuse an
 * inventory that does not validate, and a gemeente's id is its real code (data/gemeenten.csv).
 */
export function cbsGemeenteId(n: number): string {
  const codes = loadGemeenten().map((g) => g.code).sort();
  if (n < 1 || n > codes.length) throw new Error(`there are ${codes.length} gemeenten, not ${n}`);
  return codes[n - 1];
}

/** A temp inventory with the first `n` gemeenten (cbsGemeenteId, plus extra files): one that validates. */
export function inventoryDir(n: number, extra: Record<string, string> = {}): string {
  const files: Record<string, string> = { 'ggi.yaml': MINIMAL_SETTINGS };
  for (let i = 1; i <= n; i++) files[`organisations/${cbsGemeenteId(i).toLowerCase()}.yaml`] = orgYaml(cbsGemeenteId(i), 'gemeente');
  return tmpInventory({ ...files, ...extra });
}

export function load(dir: string): Inventory {
  const r = loadInventory(dir);
  if (!r.inventory) throw new Error(`inventory did not load: ${JSON.stringify(r.findings, null, 2)}`);
  return r.inventory;
}

export { withLedger } from '../../src/ipv6';

export const EMPTY: LedgerData = { version: 1, slots: [], entries: [] };

