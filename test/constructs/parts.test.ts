import * as path from 'node:path';
import { synthesize } from '../../stacks/main';
import { chunkOrganisations } from '../../stacks/parts';
import { createStack, synthApp } from '../../src/constructs/app';
import { GgiHub } from '../../src/constructs/hub';
import { ConnectionPoint } from '../../src/constructs/connection-point';
import { allocateTunnels } from '../../src/constructs/tunnels';
import type { FlatRule } from '../../src/constructs/zone-policy';
import { BASE_ORGS, expectSameTree, load, readTree, tempDirs, writeInventory } from './fixture';

const temp = tempDirs();

describe('chunks of organisation stacks (parallel synth)', () => {
  test.each([
    [0, 2],
    [5, 2],
    [482, 2],
    [482, 4],
    [1000, 3],
  ])('%i organisations over %i threads: every one exactly once, in order, in shrinking chunks', (count, threads) => {
    const chunks = chunkOrganisations(count, threads);
    expect(chunks.flat()).toEqual(Array.from({ length: count }, (_, i) => i));
    for (let i = 1; i < chunks.length; i++) expect(chunks[i].length).toBeLessThanOrEqual(chunks[i - 1].length);
    expect(chunks.every((c) => c.length > 0)).toBe(true);
    expect(chunkOrganisations(count, threads)).toEqual(chunks);
  });
});

describe("cdktf's cross-stack pass, which ggi skips", () => {
  const RULES: FlatRule[] = [{ ruleId: 'r1', action: 'pass', proto: 'tcp', src: ['2001:db8::/32'], dst: ['3fff:100::/32'], dports: '443' }];
  const saved = process.env.GGI_SYNTH_VERIFY;
  afterEach(() => {
    if (saved === undefined) delete process.env.GGI_SYNTH_VERIFY;
    else process.env.GGI_SYNTH_VERIFY = saved;
  });

  test('would add nothing to any stack: the output is the same with it (GGI_SYNTH_VERIFY=1)', () => {
    const inv = load(writeInventory(path.join(temp('verify-inv'), 'inventory'), BASE_ORGS));
    delete process.env.GGI_SYNTH_VERIFY;
    const a = temp('verify-off');
    synthesize(inv, a, { policyRules: RULES });
    process.env.GGI_SYNTH_VERIFY = '1';
    const b = temp('verify-on');
    synthesize(inv, b, { policyRules: RULES });
    expectSameTree(readTree(b), readTree(a));
  });

  test('with GGI_SYNTH_VERIFY=1, a construct that references another stack is refused', () => {
    process.env.GGI_SYNTH_VERIFY = '1';
    const opts = { region: 'eu-central-1', backend: { type: 'local' as const, path: 'terraform.{stack}.tfstate' } };
    const tunnels = allocateTunnels('169.254.0.0/16', [{ organisation: 'GM0546', zones: ['overheid'], onboardedAt: 0 }]).get('GM0546')!;
    expect(() =>
      synthApp(temp('cross'), (app) => {
        const hubStack = createStack(app, 'hub', opts);
        const hub = new GgiHub(hubStack, 'hub', { amazonSideAsn: 64512 });
        const org = createStack(app, 'org-GM0546', opts);
        // The hub construct itself, not its SSM lookup: a cdktf cross-stack reference.
        new ConnectionPoint(org, 'connection', { organisation: 'GM0546', publicAddress: '203.0.113.10', asn: 65001, zones: ['overheid'], tunnels, hub, hubAsn: 64512 });
        return { stacks: ['hub', 'org-GM0546'] };
      }),
    ).toThrow(/references another stack through cdktf/);
  });
});
