import * as fs from 'node:fs';
import * as path from 'node:path';
import { synthesize } from '../../stacks/main';
import { gateInventory } from '../../stacks/gate';
import { activeAllocations } from '../../stacks/plan';
import { expectSameTree, readStacks, readTree, tempDir } from './fixture';
import { checkIsolation, checkTunnels, ipamCidrs } from './invariants';
import { describeWith, need } from '../helpers/prereq';

/** The repository's example national inventory through the whole cloud side. */
const EXAMPLE = path.resolve(__dirname, '..', '..', 'inventory');

describeWith(need.file(path.join(EXAMPLE, 'ggi.yaml'), `the example inventory at ${EXAMPLE}`), 'ggi synth on the example inventory', () => {
  const out = tempDir('example');
  afterAll(() => fs.rmSync(out, { recursive: true, force: true }));
  const gate = gateInventory(EXAMPLE);

  test('it passes validation, so it may be synthesized', () => {
    expect(gate.report.filter((l) => / error /.test(l))).toEqual([]);
    expect(gate.inventory).not.toBeNull();
  });

  test('one hub stack, the policy stack, and one stack per organisation with a connection point', () => {
    const inv = gate.inventory!;
    const res = synthesize(inv, path.join(out, 'a'));
    expect(res.stacks[0]).toBe('hub');
    const withCp = inv.organisations.filter((o) => o.connectionPoint?.publicAddress).map((o) => `org-${o.id}`);
    for (const s of withCp) expect(res.stacks).toContain(s);
    const stacks = readStacks(path.join(out, 'a'));
    const { violations, attachments } = checkIsolation(stacks);
    expect(violations).toEqual([]);
    expect(checkTunnels(attachments)).toEqual([]);
    const got = ipamCidrs(stacks);
    for (const o of inv.organisations) {
      const want = activeAllocations(inv, o.id);
      expect([o.id, got.get(o.id) ?? []]).toEqual([o.id, [...want].sort()]);
    }
  });

  test('is byte-identical when synthesized twice', () => {
    synthesize(gate.inventory!, path.join(out, 'b'));
    synthesize(gate.inventory!, path.join(out, 'c'));
    expectSameTree(readTree(path.join(out, 'c')), readTree(path.join(out, 'b')));
  });
});
