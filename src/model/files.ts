import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { displayPath } from './source';

/**
 * Where inventory files come from: the working tree, or a git revision (read with `git show`, never touching the
 * working tree). Paths given to `read` are relative to the inventory folder, with forward slashes.
 */
export interface InventorySource {
  /** Shown to users, e.g. `inventory` or `main:inventory`. */
  readonly label: string;
  /** Every file below the inventory folder, relative, sorted. */
  list(): string[];
  /** The file's text, or null when it does not exist. */
  read(rel: string): string | null;
  /** The path printed in findings. */
  display(rel: string): string;
}

export class DirectorySource implements InventorySource {
  readonly label: string;
  constructor(private readonly dir: string) {
    this.label = displayPath(path.resolve(dir));
  }
  list(): string[] {
    const out: string[] = [];
    const walk = (rel: string): void => {
      const abs = path.join(this.dir, rel);
      let entries: fs.Dirent[];
      try {
        entries = fs.readdirSync(abs, { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries) {
        if (e.name.startsWith('.')) continue;
        const r = rel ? `${rel}/${e.name}` : e.name;
        if (e.isDirectory()) walk(r);
        else if (e.isFile()) out.push(r);
      }
    };
    walk('');
    return out.sort();
  }
  read(rel: string): string | null {
    try {
      return fs.readFileSync(path.join(this.dir, rel), 'utf8');
    } catch {
      return null;
    }
  }
  display(rel: string): string {
    return displayPath(path.resolve(this.dir, rel));
  }
}

export class GitRevisionError extends Error {}

/** An inventory folder as it is at a git revision. */
export class GitSource implements InventorySource {
  readonly label: string;
  private readonly prefix: string;
  private readonly files: string[];
  constructor(private readonly repoDir: string, private readonly rev: string, dir: string) {
    const top = git(repoDir, ['rev-parse', '--show-toplevel']).trim();
    const absDir = path.resolve(dir);
    this.prefix = path.relative(top, absDir).split(path.sep).join('/');
    this.label = `${rev}:${displayPath(absDir)}`;
    try {
      git(repoDir, ['rev-parse', '--verify', '--quiet', `${rev}^{commit}`]);
    } catch {
      throw new GitRevisionError(`git revision '${rev}' does not exist`);
    }
    const listing = git(top, ['ls-tree', '-r', '--name-only', '-z', rev, '--', this.prefix || '.']);
    const pre = this.prefix ? `${this.prefix}/` : '';
    this.files = listing
      .split('\0')
      .filter((f) => f?.startsWith(pre))
      .map((f) => f.slice(pre.length))
      .sort();
    this.repoDir = top;
  }
  list(): string[] {
    return this.files;
  }
  read(rel: string): string | null {
    if (!this.files.includes(rel)) return null;
    const p = this.prefix ? `${this.prefix}/${rel}` : rel;
    return git(this.repoDir, ['show', `${this.rev}:${p}`]);
  }
  display(rel: string): string {
    return `${this.rev}:${this.prefix ? `${this.prefix}/` : ''}${rel}`;
  }
}

function git(cwd: string, args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 30 });
}
