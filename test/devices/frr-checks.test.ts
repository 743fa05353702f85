import * as fs from 'node:fs';
import * as path from 'node:path';
import { missingRoutes, missingSessions } from '../../src/devices/linux-frr/index';

/**
 * The linux-frr driver's verification parses FRR's JSON. These fixtures are real FRR 8.4 output, captured from the
 * converged lab by test/reconciler/cli.test.ts (UPDATE_FRR_FIXTURES=1), with what the driver expected at the time.
 */
interface Fixture {
  captured: string;
  command: string;
  expect: string[];
  output: unknown;
}

const DIR = path.join(__dirname, 'fixtures', 'frr-8.4');
const load = (name: string): Fixture => JSON.parse(fs.readFileSync(path.join(DIR, name), 'utf8')) as Fixture;

describe('FRR 8.4 JSON (captured from the lab)', () => {
  it('are real FRR 8.4 output', () => {
    for (const f of fs.readdirSync(DIR)) expect([f, load(f).captured]).toEqual([f, expect.stringMatching(/^FRRouting 8\.4\./)]);
  });

  it('show bgp neighbors json: every expected session Established; others named with their state', () => {
    const f = load('neighbors.json');
    expect(f.expect.length).toBeGreaterThan(1);
    const out = JSON.stringify(f.output);
    expect(missingSessions(out, f.expect)).toEqual([]);
    expect(missingSessions(out, ['192.0.2.254'])).toEqual(['192.0.2.254 (not configured)']);
    // The same output with one session down: the parser reads FRR's own state name.
    const down = JSON.parse(out) as Record<string, { bgpState: string }>;
    down[f.expect[0]].bgpState = 'Active';
    expect(missingSessions(JSON.stringify(down), f.expect)).toEqual([`${f.expect[0]} (Active)`]);
  });

  for (const [file, direction] of [
    ['advertised-routes-ipv4.json', 'advertised'],
    ['advertised-routes-ipv6.json', 'advertised'],
    ['routes-ipv4.json', 'received'],
    ['routes-ipv6.json', 'received'],
  ] as const) {
    it(`${file}: every expected prefix present, and a missing one named`, () => {
      const f = load(file);
      expect(f.expect.length).toBeGreaterThan(0);
      const out = JSON.stringify(f.output);
      expect(missingRoutes(out, direction, f.expect)).toEqual([]);
      const absent = f.command.includes('ipv6') ? '2001:db8:ffff::/48' : '192.0.2.240/28';
      expect(missingRoutes(out, direction, [...f.expect, absent])).toEqual([absent]);
      // Sent and received tables are under different keys: the wrong direction finds nothing.
      expect(missingRoutes(out, direction === 'advertised' ? 'received' : 'advertised', f.expect)).toEqual(f.expect);
    });
  }
});
