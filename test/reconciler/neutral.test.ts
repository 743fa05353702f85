import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * The reconciler is platform-neutral: it talks to devices only through the driver contract, names no platform and
 * runs no platform command. This test holds that rule for src/reconciler, and shows that it catches a violation.
 */

const PLATFORM_WORDS = /\b(linux-frr|frr|vtysh|frr-reload|nft|nftables|iptables|radsecproxy|freeradius|radiusd|radius|kea|dhcp[46]?|bgp)\b/i;
/** What src/reconciler may import from src/devices: the contract and the helpers every driver shares, never a platform folder. */
const DEVICE_IMPORTS = new Set(['../devices/contract', '../devices/diff', '../devices/secrets', '../devices']);

function neutralityProblems(file: string, text: string): string[] {
  const out: string[] = [];
  text.split('\n').forEach((line, i) => {
    const m = PLATFORM_WORDS.exec(line);
    if (m) out.push(`${file}:${i + 1}: names a platform or platform command ('${m[1]}')`);
    for (const imp of line.matchAll(/(?:from|require\()\s*'([^']+)'/g)) {
      const spec = imp[1];
      if (spec.startsWith('../devices') && !DEVICE_IMPORTS.has(spec)) out.push(`${file}:${i + 1}: imports ${spec} (only the driver contract is allowed)`);
      if (spec.startsWith('../lab') || spec.startsWith('../cli') || spec.startsWith('../zones') || spec.startsWith('../govroam')) out.push(`${file}:${i + 1}: imports ${spec}`);
    }
  });
  return out;
}

describe('src/reconciler is platform-neutral', () => {
  const dir = path.resolve(__dirname, '../../src/reconciler');
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.ts'));

  it('names no platform, runs no platform command, and imports only the driver contract from src/devices', () => {
    expect(files.length).toBeGreaterThan(4);
    const problems = files.flatMap((f) => neutralityProblems(`src/reconciler/${f}`, fs.readFileSync(path.join(dir, f), 'utf8')));
    expect(problems).toEqual([]);
  });

  it('fails on a platform command, a platform name or a platform import', () => {
    expect(neutralityProblems('x.ts', "const argv = ['vtysh', '-c', 'show running-config'];")).toHaveLength(1);
    expect(neutralityProblems('x.ts', "await t.exec('nft -f /etc/ggi.nft');")).toHaveLength(1);
    expect(neutralityProblems('x.ts', "import { linuxFrr } from '../devices/linux-frr/index';")).toHaveLength(2);
    expect(neutralityProblems('x.ts', "import { posixHostDriver } from '../devices/posix-host';")).toHaveLength(1);
    expect(neutralityProblems('x.ts', "import type { Driver } from '../devices/contract';")).toEqual([]);
  });
});
