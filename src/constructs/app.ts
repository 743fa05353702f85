import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, LocalBackend, S3Backend, TerraformBackend, TerraformStack, type TerraformRemoteState } from 'cdktf';
import type { Construct } from 'constructs';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { ConstructValidationError } from './errors';
import type { BackendSettings } from './names';

/**
 * The app and stack plumbing (cdktf's App, TerraformStack, providers and backends), kept here so that `stacks/`
 * names no cdktf API: switching to CDK Terrain (cdktn) changes this folder only (docs/cdktn.md).
 */

export type GgiApp = App;
export type GgiStack = TerraformStack;


export function createApp(outDir: string): GgiApp {
  fs.mkdirSync(outDir, { recursive: true });
  // No stack traces in the output: they hold absolute paths of this checkout and would break determinism.
  return new App({ outdir: outDir, stackTraces: false });
}

/** A stack with the AWS provider and an explicit backend. */
export function createStack(app: GgiApp, name: string, opts: { region: string; backend: BackendSettings }): GgiStack {
  const stack = new TerraformStack(app, name);
  new AwsProvider(stack, 'aws', { region: opts.region, defaultTags: [{ tags: { 'ggi:managed-by': 'ggi', 'ggi:stack': name } }] });
  backendFor(stack, opts.backend, name);
  return stack;
}

/** Records that `stack` needs `on` deployed first (manifest only: no outputs, nothing in `on` changes). */
export function dependsOn(stack: GgiStack, on: GgiStack): void {
  stack.addDependency(on);
}

/**
 * Builds and writes the app. A stack removed from the inventory must not linger in the output: only stale stack
 * folders are removed, and only after every construct accepted its input; the others are overwritten in place
 * (removing and recreating hundreds of folders costs more than synthesizing them).
 */
export function synthApp<T>(outDir: string, build: (app: GgiApp) => { stacks: string[] } & T): { stacks: string[] } & T {
  return withoutTokenStackTraces(() => {
    const app = createApp(outDir);
    const result = build(app);
    removeStaleStacks(outDir, result.stacks);
    app.synth();
    return result;
  });
}

function removeStaleStacks(outDir: string, keep: readonly string[]): void {
  const dir = path.join(outDir, 'stacks');
  if (!fs.existsSync(dir)) return;
  const wanted = new Set(keep);
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (!wanted.has(e.name)) fs.rmSync(path.join(dir, e.name), { recursive: true, force: true });
  }
}

/**
 * cdktf records a full, unlimited stack trace for every token it creates (each `.id` or `.value` reference), only to
 * print it if that token later fails to resolve. Collecting and formatting those traces is about a third of synthesis
 * time at national scale, so while ggi builds its stacks `Error.captureStackTrace` records nothing (errors created
 * with `new Error` keep their stacks). ggi's own refusals are ConstructValidationErrors that carry their location in
 * the inventory instead.
 */
function withoutTokenStackTraces<T>(f: () => T): T {
  const capture = Error.captureStackTrace;
  Error.captureStackTrace = () => undefined;
  try {
    return f();
  } finally {
    Error.captureStackTrace = capture;
  }
}

/**
 * The Terraform backend, always explicit: cdktf's default local backend writes an absolute path taken from the
 * working directory, which would make the output differ between checkouts.
 */
function backendFor(stack: TerraformStack, b: BackendSettings, name: string): void {
  switch (b.type) {
    case 'local': {
      const p = b.path.replace(/\{stack\}/g, name);
      // Terraform runs in <out>/stacks/<name>; a relative path is taken from the folder holding <out> (the repository).
      new LocalBackend(stack, { path: path.posix.isAbsolute(p) ? p : path.posix.join('../../..', p) });
      return;
    }
    case 's3':
      new S3Backend(stack, { bucket: b.bucket, key: `${b.keyPrefix}${name}.tfstate`, region: b.region, encrypt: true, ...(b.dynamodbTable ? { dynamodbTable: b.dynamodbTable } : {}) });
      return;
    case 'pg':
      new PgEnvBackend(stack, `${b.schemaName}_${name}`.replace(/[^A-Za-z0-9_]/g, '_').toLowerCase());
      return;
  }
}

/**
 * The pg backend without `conn_str`: the connection string holds a password, so it is never written into the
 * output. Terraform reads it from PG_CONN_STR (ggi.yaml `cloud.backend.connStrEnv` names the variable to export as
 * PG_CONN_STR). Each stack gets its own schema: stacks sharing one would share a state.
 */
class PgEnvBackend extends TerraformBackend {
  constructor(scope: Construct, private readonly schemaName: string) {
    super(scope, 'backend', 'pg');
  }
  protected override synthesizeAttributes(): Record<string, unknown> {
    return { schema_name: this.schemaName };
  }
  protected override synthesizeHclAttributes(): Record<string, unknown> {
    return { schema_name: this.schemaName };
  }
  getRemoteStateDataSource(): TerraformRemoteState {
    throw new ConstructValidationError('CLOUD_BACKEND_REMOTE_STATE', 'ggi stacks do not read each other through remote state');
  }
}

/**
 * Joins apps synthesized in parallel (each into its own part folder under `outDir`) into one output, as if one app
 * had been synthesized: the stack folders are moved in, and manifest.json is written the way cdktf writes it (sorted
 * keys, cdktf's own serializer), so the bytes equal a single-app synth.
 */
export function mergeSynthParts(outDir: string, parts: ReadonlyArray<{ dir: string; stacks: readonly string[] }>, order: readonly string[]): void {
  const stringify = require(require.resolve('json-stable-stringify', { paths: [path.dirname(require.resolve('cdktf'))] })) as (v: unknown, o: { space: number }) => string;
  const target = path.join(outDir, 'stacks');
  fs.mkdirSync(target, { recursive: true });
  const entries = new Map<string, unknown>();
  let version: unknown;
  for (const part of parts) {
    const manifest = JSON.parse(fs.readFileSync(path.join(part.dir, 'manifest.json'), 'utf8')) as { version: unknown; stacks: Record<string, unknown> };
    version = manifest.version;
    for (const name of part.stacks) {
      if (entries.has(name)) continue;
      entries.set(name, manifest.stacks[name]);
      fs.rmSync(path.join(target, name), { recursive: true, force: true });
      fs.renameSync(path.join(part.dir, 'stacks', name), path.join(target, name));
    }
  }
  const stacks: Record<string, unknown> = {};
  for (const name of order) stacks[name] = entries.get(name);
  removeStaleStacks(outDir, order);
  fs.writeFileSync(path.join(outDir, 'manifest.json'), stringify({ version, stacks }, { space: 2 }));
}

/** Builds and writes one part of a parallel synth into `dir` (no stale-stack cleanup: the part folder is fresh). */
export function synthPart<T>(dir: string, build: (app: GgiApp) => T): T {
  return withoutTokenStackTraces(() => {
    const app = createApp(dir);
    const result = build(app);
    app.synth();
    return result;
  });
}
