import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, LocalBackend, Manifest, S3Backend, TerraformBackend, TerraformStack, type TerraformRemoteState } from 'cdktf';
import { Construct } from 'constructs';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { ConstructValidationError } from './errors';
import type { BackendSettings } from './names';
import { makeDirectory } from '../util/directory';

/**
 * The app and stack plumbing (cdktf's App, TerraformStack, providers and backends), kept here so that `stacks/`
 * names no cdktf API: switching to CDK Terrain (cdktn) changes this folder only (docs/cdktn.md).
 */

export type GgiApp = App;
export type GgiStack = TerraformStack;


export function createApp(outDir: string): GgiApp {
  makeDirectory(outDir);
  // No stack traces in the output: they hold absolute paths of this checkout and would break determinism.
  return new App({ outdir: outDir, stackTraces: false });
}

/**
 * ggi's stacks never reference each other through cdktf (docs/cdktn.md: organisation stacks read the hub's ids from
 * SSM parameters). cdktf's `prepareStack` resolves every element of every stack once more before synthesis, only to
 * find such cross-stack references; ggi skips that pass (about a tenth of synthesis at national scale) and keeps only
 * its other duty, the default backend. With GGI_SYNTH_VERIFY=1 (the tests set it) cdktf's own pass runs instead and
 * any cross-stack reference a construct makes is refused, so a change that introduces one fails the tests.
 */
class GgiTerraformStack extends TerraformStack {
  override prepareStack(): void {
    if (process.env.GGI_SYNTH_VERIFY !== '1') {
      this.ensureBackendExists();
      return;
    }
    const before = this.node.findAll().length;
    super.prepareStack();
    if (this.node.findAll().length !== before) {
      throw new Error(`stack ${this.node.id} references another stack through cdktf; ggi stacks share ids through SSM parameters only (docs/cdktn.md)`);
    }
  }
}

/** A stack with the AWS provider and an explicit backend. */
export function createStack(app: GgiApp, name: string, opts: { region: string; backend: BackendSettings }): GgiStack {
  const stack = new GgiTerraformStack(app, name);
  new AwsProvider(stack, 'aws', { region: opts.region, defaultTags: [{ tags: { 'ggi:managed-by': 'ggi', 'ggi:stack': name } }] });
  backendFor(stack, opts.backend, name);
  return stack;
}

/**
 * A stand-in for a stack that another part of a parallel synth builds and writes: only its name, for the manifest's
 * `dependencies` of the stacks that depend on it. It hangs under a root of its own, not under `app`, so it is never
 * synthesized: it costs nothing and writes nothing.
 */
export function stackStandIn(name: string): GgiStack {
  return new TerraformStack(new StandInRoot(), name);
}

/** A root construct, as cdktf's App is one (no scope, empty id), but no app: a stack under it has its bare name as path. */
class StandInRoot extends Construct {
  constructor() {
    super(undefined as unknown as Construct, '');
  }
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
export function withoutTokenStackTraces<T>(f: () => T): T {
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

/** The manifest entries of a part's stacks (what cdktf records per stack in manifest.json), by stack name. */
export type PartManifest = { version: string; stacks: Record<string, unknown> };

/**
 * A folder where the parts of a parallel synth write their stacks: `stacks/` is shared by all parts (each stack is
 * written by one part), and each thread has a folder of its own (`partDir`) whose `stacks` is a link to it, so cdktf
 * writes a part's stacks straight into the shared folder while each app keeps its own manifest.json. A fresh output
 * then takes the whole shared folder with one rename.
 */
export function createPartsRoot(outDir: string, threads: number): { root: string; partDirs: string[] } {
  makeDirectory(outDir);
  const root = fs.mkdtempSync(path.join(outDir, '.ggi-parts-'));
  const shared = path.join(root, 'stacks');
  fs.mkdirSync(shared);
  const partDirs = Array.from({ length: threads }, (_, k) => {
    const dir = path.join(root, `t${k}`);
    fs.mkdirSync(dir);
    // A junction on Windows (no privilege needed); the type is ignored elsewhere.
    fs.symlinkSync(shared, path.join(dir, 'stacks'), 'junction');
    return dir;
  });
  return { root, partDirs };
}

/**
 * Joins the parts of a parallel synth (written under `root` by createPartsRoot's part folders) into one output, as if
 * one app had been synthesized: the stacks are moved in, and manifest.json is written by cdktf's own Manifest from the
 * parts' manifest entries, so the bytes equal a single-app synth.
 */
export function mergeSynthParts(outDir: string, root: string, manifests: readonly PartManifest[], order: readonly string[]): void {
  const entries = new Map<string, unknown>();
  let version: string | undefined;
  for (const m of manifests) {
    version = m.version;
    for (const [name, entry] of Object.entries(m.stacks)) if (!entries.has(name)) entries.set(name, entry);
  }
  const stacks: Record<string, unknown> = {};
  for (const name of order) {
    if (!entries.has(name)) throw new Error(`parallel synth: no part wrote stack ${name}`);
    stacks[name] = entries.get(name);
  }
  const shared = path.join(root, 'stacks');
  const target = path.join(outDir, 'stacks');
  if (!fs.existsSync(target)) {
    fs.renameSync(shared, target);
  } else {
    for (const name of order) moveStack(path.join(shared, name), path.join(target, name));
    removeStaleStacks(outDir, order);
  }
  // cdktf's public Manifest writes the file as a single-app synth does (its serializer, sorted keys). The entries are
  // plain data, as cdktf's manifest.json holds them (a JSON round trip drops what JSON has no room for); a version
  // left undefined (no part) is left out of the file, as before.
  const manifest = new Manifest(version as string, outDir, false);
  Object.assign(manifest.stacks, JSON.parse(JSON.stringify(stacks)));
  manifest.writeToFile();
}

/**
 * Moves a stack folder written by a part into the output. A folder already there (an earlier synth) keeps what else
 * it holds and gets the new files in place, as a single-app synth overwrites them: removing hundreds of old folders
 * would cost more than the synth's writes.
 */
function moveStack(from: string, to: string): void {
  try {
    fs.renameSync(from, to);
    return;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR') {
      // A file where the stack's folder belongs.
      fs.rmSync(to, { force: true });
      fs.renameSync(from, to);
      return;
    }
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw e;
  }
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    const dest = path.join(to, entry.name);
    if (entry.isDirectory()) fs.rmSync(dest, { recursive: true, force: true });
    fs.renameSync(path.join(from, entry.name), dest);
  }
}

/**
 * Builds and writes one part of a parallel synth into `dir` (a part folder of createPartsRoot: no stale-stack
 * cleanup); returns what `build` returned and the manifest entries of the part's stacks.
 */
export function synthPart<T>(dir: string, build: (app: GgiApp) => T): { result: T; manifest: PartManifest } {
  return withoutTokenStackTraces(() => {
    const app = createApp(dir);
    const result = build(app);
    app.synth();
    const m = app.manifest.buildManifest();
    return { result, manifest: { version: m.version, stacks: { ...m.stacks } } };
  });
}
