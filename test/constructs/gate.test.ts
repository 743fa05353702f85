import * as fs from 'node:fs';
import * as path from 'node:path';
import { gateInventoryForSynth } from '../../stacks/gate';
import { hubPolicyRules, hubPolicyRulesOf } from '../../stacks/policy';
import { validateInventory } from '../../src/validation';
import { generateNationalInventory, writeInventoryFiles } from '../../src/generate/national';
import { BASE_ORGS, tempDir, writeInventory } from './fixture';

/**
 * The synth gate runs the checks itself so that it builds the policy once (the synth flattens the gate's model). It
 * must find exactly what validateInventory finds without the warning-only analyses, on valid and invalid inventories.
 */

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});
function inventory(tag: string, policy?: string, edit?: (dir: string) => void): string {
  const root = tempDir(tag);
  dirs.push(root);
  const dir = writeInventory(path.join(root, 'inventory'), BASE_ORGS);
  if (policy !== undefined) {
    fs.mkdirSync(path.join(dir, 'policy'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'policy', '10-rules.yaml'), policy);
  }
  edit?.(dir);
  return dir;
}

const NOW = new Date('2026-06-01T00:00:00Z');

const POLICY = `rules:
  - { id: leiden-to-voorschoten, from: { organisations: [GM0546] }, to: { organisations: [GM0626] }, proto: tcp, ports: [443], action: allow, owner: test, reason: test }
  - { id: leverancier-to-leiden, from: { organisations: [LV0001] }, to: { organisations: [GM0546] }, proto: tcp, ports: [8443], action: allow, owner: test, reason: test }
`;

const CASES: Array<[string, () => string]> = [
  ['a valid inventory without a policy', () => inventory('gate-plain')],
  ['a valid inventory with a policy', () => inventory('gate-policy', POLICY)],
  ['an expired rule (a policy check error)', () => inventory('gate-expired', `${POLICY}  - { id: old-rule, from: { organisations: [GM0546] }, to: { organisations: [SV0001] }, proto: udp, ports: [53], action: allow, owner: test, reason: test, expires: "2025-01-01" }\n`)],
  ['a guardrail violated', () => inventory('gate-guardrail', `${POLICY}guardrails:\n  - { id: no-markt-to-overheid, never: { from: { zone: markt }, to: { zone: overheid } }, reason: test }\n`)],
  ['a rule naming an unknown service (a reference error)', () => inventory('gate-ref', `${POLICY}  - { id: broken, from: { organisations: [GM0546] }, to: { services: [no-such-service] }, proto: tcp, ports: [443], action: allow, owner: test, reason: test }\n`)],
  ['a schema error', () => inventory('gate-schema', POLICY, (d) => fs.appendFileSync(path.join(d, 'organisations', 'GM0546.yaml'), 'bogus: 1\n'))],
  [
    'the national inventory (smaller policy)',
    () => {
      const root = tempDir('gate-national');
      dirs.push(root);
      writeInventoryFiles(path.join(root, 'inventory'), generateNationalInventory({ seed: 1, rules: 1500 }));
      return path.join(root, 'inventory');
    },
  ],
];

describe('the synth gate finds what validateInventory finds (warning-only analyses left out)', () => {
  test.each(CASES)('%s', async (_name, make) => {
    const dir = make();
    const gate = gateInventoryForSynth(dir, { now: NOW });
    const want = validateInventory(dir, { now: NOW, warnings: false });
    expect(gate.findings).toEqual(want.findings);
    expect(gate.inventory !== null).toBe(want.ok);
    if (gate.inventory) {
      // The synth flattens the gate's policy model: the same rules as building the policy afresh.
      expect(gate.policy).not.toBeNull();
      expect(hubPolicyRulesOf(gate.policy!)).toEqual(hubPolicyRules(gate.inventory));
    } else {
      expect(gate.policy).toBeNull();
    }
  });

  test('the cases cover a pass and refusals by schema, references and the policy check', async () => {
    const codes = new Set<string>();
    let passed = 0;
    for (const [, make] of CASES.slice(0, 6)) {
      const gate = gateInventoryForSynth(make(), { now: NOW });
      if (gate.inventory) passed++;
      for (const f of gate.findings) if (f.severity === 'error') codes.add(f.code);
    }
    expect(passed).toBeGreaterThanOrEqual(2);
    expect([...codes]).toEqual(expect.arrayContaining(['POLICY_EXPIRED', 'GUARDRAIL_VIOLATION', 'SCHEMA_UNKNOWN_KEY']));
    expect([...codes].some((c) => c.endsWith('UNKNOWN_REFERENCE'))).toBe(true);
  });
});
