import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { linuxFrr, renderRuleset } from '../../src/devices/linux-frr/index';
import { LIVE_RULESET_ARGV } from '../../src/devices/linux-frr/ruleset';
import { buildIntents, type DeviceIntent } from '../../src/intent';
import { loadInventory } from '../../src/model/load';
import { detectionLogPrefix } from '../../src/veilig/nflog';
import { describeWith, need, unmet } from '../helpers/prereq';

/**
 * Detection in the borders' desired state: the example inventory's borders carry the rules in force, their ggi.nft
 * appends `table inet ggi_veilig` after the policy table in the same flushed transaction, nft accepts the whole file,
 * and the live probe drift compares is blind to the rate meters' traffic but not to a deleted table.
 */

const NOW = new Date('2026-12-06T12:00:00Z');
const inv = loadInventory('inventory').inventory!;
const intents = buildIntents(inv, { now: NOW }).intents;
const borders = intents.filter((i) => i.role === 'border-overheid' || i.role === 'border-markt');
const rulesetOf = (i: DeviceIntent) => linuxFrr.render(i).documents.find((d) => d.name === 'ggi.nft')!.content;

describe('detection in the intent and the ruleset', () => {
  test('every border, and only the borders, carries the example rules', () => {
    expect(borders.map((b) => b.id).sort()).toEqual(['border-markt', 'border-markt-2', 'border-overheid', 'border-overheid-2']);
    for (const b of borders) expect(b.detection?.rules.map((r) => r.id)).toEqual(['bekend-kwaadaardig', 'geen-telnet', 'scan-of-flood']);
    for (const i of intents) if (!borders.includes(i)) expect(i.detection).toBeUndefined();
  });

  test('an expired rule leaves the borders on the day after its expiry', () => {
    const v = inv.veilig!;
    const edited = { ...inv, veilig: { ...v, detection: v.detection.map((r) => (r.id === 'geen-telnet' ? { ...r, expires: '2026-12-06' } : r)) } };
    const on = (d: string) => buildIntents(edited, { now: new Date(`${d}T12:00:00Z`) }).intents.find((i) => i.id === 'border-markt')!.detection!.rules.map((r) => r.id);
    expect(on('2026-12-06')).toContain('geen-telnet');
    expect(on('2026-12-07')).toEqual(['bekend-kwaadaardig', 'scan-of-flood']);
  });

  test('the detection table follows the policy table inside the one flushed transaction', () => {
    for (const b of borders) {
      const text = rulesetOf(b);
      expect(text.indexOf('flush ruleset')).toBeLessThan(text.indexOf('table inet ggi {'));
      expect(text.indexOf('table inet ggi {')).toBeLessThan(text.indexOf('table inet ggi_veilig {'));
      expect(text.match(/^flush ruleset$/gm)).toHaveLength(1);
      for (const r of b.detection!.rules) expect(text).toContain(`prefix "${detectionLogPrefix(r.id)}"`);
    }
    const ce = intents.find((i) => i.role === 'ce')!;
    expect(rulesetOf(ce)).not.toContain('ggi_veilig');
    expect(renderRuleset(borders[0].filter!)).not.toContain('ggi_veilig');
  });
});

const sh = (ns: string, cmd: string, input?: string) => spawnSync('ip', ['netns', 'exec', ns, 'sh', '-c', cmd], { encoding: 'utf8', input });

describeWith(unmet(need.root('root (network namespaces)'), need.command('nft', 'nftables'), need.command('ip', 'iproute2')), 'the borders\' whole ruleset on a real kernel', () => {
  const ns = `ggi-det-${process.pid}`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ggi-det-border-'));
  beforeAll(() => {
    expect(spawnSync('ip', ['netns', 'add', ns]).status).toBe(0);
  });
  afterAll(() => {
    spawnSync('ip', ['netns', 'del', ns]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('nft -c -f accepts the whole rendered ruleset of each border', () => {
    for (const b of borders) {
      const f = path.join(dir, `${b.id}.nft`);
      fs.writeFileSync(f, rulesetOf(b));
      const r = sh(ns, `nft -c -f ${f}`);
      expect(`${b.id}: ${r.stderr}`).toBe(`${b.id}: `);
      expect(r.status).toBe(0);
    }
  });

  test('the live probe ignores what traffic puts in the rate meters, and sees a deleted detection table', () => {
    const f = path.join(dir, 'border.nft');
    fs.writeFileSync(f, rulesetOf(borders[0]));
    expect(sh(ns, `nft -f ${f}`).status).toBe(0);
    const probe = LIVE_RULESET_ARGV[2];
    const before = sh(ns, probe).stdout;
    expect(before).toContain('table inet ggi_veilig {');
    expect(before).toContain('elements = { 198.51.100.250 }');
    // What a burst of new connections leaves in the meters: many sources, listed over several lines.
    const sources = Array.from({ length: 40 }, (_, i) => `192.0.2.${i + 1} limit rate over 200/second`).join(', ');
    expect(sh(ns, `nft add element inet ggi_veilig det-scan-of-flood_src4 '{ ${sources} }'`).status).toBe(0);
    expect(sh(ns, `nft add element inet ggi_veilig det-scan-of-flood_src6 '{ 2001:db8::1 limit rate over 200/second }'`).status).toBe(0);
    expect(sh(ns, 'nft -s list ruleset').stdout).toContain('192.0.2.40');
    expect(sh(ns, probe).stdout).toBe(before);
    // A hand-made change is still seen: a deleted detection table, a static element added.
    expect(sh(ns, 'nft add element inet ggi_veilig det-bekend-kwaadaardig_dst4 "{ 203.0.113.1 }"').status).toBe(0);
    expect(sh(ns, probe).stdout).not.toBe(before);
    expect(sh(ns, 'nft delete table inet ggi_veilig').status).toBe(0);
    const after = sh(ns, probe).stdout;
    expect(after).not.toContain('ggi_veilig');
    expect(after).toContain('table inet ggi {');
  });
});
