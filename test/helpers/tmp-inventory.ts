import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** Writes files into a fresh temporary folder and returns its path (removed by `cleanup`). */
export function tmpInventory(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ggi-inv-'));
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  }
  return dir;
}

export function cleanup(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

/** A minimal valid ggi.yaml, as YAML text. */
export const MINIMAL_SETTINGS = `network:
  name: GGI-Netwerk
  backboneAsn: 64500
zones:
  overheid:
    ipv6Categories: [diginetwerk]
  markt:
    ipv6Categories: [besloten]
numberingPlan:
  blocks:
    gemeente: 2a07:3500::/33
    provincie: 2a07:3501::/33
    waterschap: 2a07:3501::/33
    samenwerkingsverband: 2a07:3502::/33
    leverancier: 2a07:3503::/33
  layout: { organisationBits: 11, categoryBits: 2 }
  categories:
    - { name: internet, code: 0, internet: true }
    - { name: diginetwerk, code: 1 }
    - { name: besloten, code: 2 }
    - { name: reserve, code: 3 }
  ripe: { adminC: GGI1-RIPE, techC: GGI1-RIPE, mntBy: GGI-MNT }
diginetwerk:
  koppelnetAsn: 64500
  kpsAsn: 64501
  documentationAddresses: true
transfer:
  ipv4: 198.18.0.0/16
  ipv6: 2001:db8:ffff::/48
profiles:
  lab:
    remap:
      - { from: 2a07:3500::/30, to: 3fff:500::/30 }
`;

let scratch: string | null = null;

/**
 * The working folder of CLI runs in tests: a temporary folder of this test process, never the repository, so that a
 * command's default folders (`.ggi-state`, the journal) land there. Removed when the process exits.
 */
export function scratchCwd(): string {
  if (scratch === null) {
    // Jest ends its workers without always running 'exit' handlers: the folders of processes that are gone are
    // removed by the next one (the pid in the name says whose it is).
    for (const name of fs.readdirSync(os.tmpdir())) {
      const owner = /^ggi-test-cwd-(\d+)-/.exec(name)?.[1];
      if (owner && !fs.existsSync(`/proc/${owner}`)) fs.rmSync(path.join(os.tmpdir(), name), { recursive: true, force: true });
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `ggi-test-cwd-${process.pid}-`));
    scratch = dir;
    process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  }
  return scratch;
}

/** Captures a CLI run in-process (in `scratchCwd()`: pass absolute paths). */
export function fakeIo(env: NodeJS.ProcessEnv = {}) {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: { stdout: (t: string) => void out.push(t), stderr: (t: string) => void err.push(t), isTTY: false, env: { ...env }, cwd: scratchCwd(), now: () => new Date('2026-11-23T12:00:00Z') },
    stdout: () => out.join(''),
    stderr: () => err.join(''),
  };
}
