/**
 * `stratus sync --once` / `status` end to end against the real sandbox S3
 * server: in-process through runCli (env passed through CliIo, AWS profile
 * files pointed at /dev/null so no real profile leaks in), plus one run of
 * the built bin in a child process.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Env } from '../../src/cli/config.js';
import { ExitCode, runCli } from '../../src/cli/runCli.js';
import type { SyncJson } from '../../src/cli/output.js';
import type { Sandbox } from '../../sandbox/startSandbox.js';
import { freePort } from '../support/ports.js';
import { startCliSandbox, type CliSandbox } from './cliSandbox.js';

const repo = resolve(import.meta.dirname, '../..');

let sandbox: Sandbox;
let scratch: string;
let admin: S3Client;
let env: Env;

let world: CliSandbox;

beforeAll(async () => {
  world = await startCliSandbox('sync');
  ({ sandbox, scratch, admin, env } = world);
});

afterAll(async () => {
  await world.dispose();
});

interface Run {
  readonly code: number;
  readonly out: string[];
  readonly err: string[];
}

async function stratus(argv: readonly string[], extraEnv: Env = {}): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { stdout: (l) => out.push(l), stderr: (l) => err.push(l), version: 'test', env: { ...env, ...extraEnv }, cwd: scratch });
  return { code, out, err };
}

/** A fresh local folder and prefix, and the flags that point `stratus sync --once` at them. */
async function place(files: Readonly<Record<string, string>> = {}): Promise<{ folder: string; prefix: string; args: (...extra: string[]) => string[] }> {
  const folder = await mkdtemp(join(scratch, 'folder-'));
  for (const [path, content] of Object.entries(files)) {
    await mkdir(join(folder, path, '..'), { recursive: true });
    await writeFile(join(folder, path), content);
  }
  const prefix = `test-${randomUUID()}/`;
  const args = (...extra: string[]): string[] => [
    'sync', '--once', '--auth', 'aws', '--endpoint', sandbox.info.s3Endpoint, '--bucket', sandbox.info.bucket,
    '--region', sandbox.info.region, '--prefix', prefix, '--folder', folder, ...extra,
  ];
  return { folder, prefix, args };
}

async function remoteKeys(prefix: string): Promise<string[]> {
  const out = await admin.send(new ListObjectsV2Command({ Bucket: sandbox.info.bucket, Prefix: prefix }));
  return (out.Contents ?? []).map((o) => (o.Key ?? '').slice(prefix.length)).sort();
}

function json(run: Run): SyncJson {
  expect(run.out).toHaveLength(1);
  return JSON.parse(run.out[0] ?? '') as SyncJson;
}


describe('stratus sync --once against the sandbox', () => {
  it('uploads a folder, reports counts as JSON, and converges on the second run', async () => {
    const { prefix, args } = await place({ 'docs/a.txt': 'alpha', 'b.txt': 'bravo' });
    const first = await stratus(args('--json'));
    expect(first.err).toEqual([]);
    expect(first.code).toBe(ExitCode.ok);
    expect(json(first)).toMatchObject({ uploaded: 2, downloaded: 0, deletedLocal: 0, deletedRemote: 0, conflicts: 0, errors: 0, moved: 0, items: [], dryRun: false });
    expect(await remoteKeys(prefix)).toEqual(['b.txt', 'docs/', 'docs/a.txt']);

    const second = await stratus(args('--json'));
    expect(second.code).toBe(ExitCode.ok);
    expect(json(second)).toMatchObject({ uploaded: 0, downloaded: 0, deletedLocal: 0, deletedRemote: 0, errors: 0 });

    const human = await stratus(args());
    expect(human.code).toBe(ExitCode.ok);
    expect(human.out).toHaveLength(1);
    expect(human.out[0]).toMatch(new RegExp(`^synced .* with s3://stratus/${prefix} at ${sandbox.info.s3Endpoint}: 0 up, 0 down, 0 conflicts, 0 errors \\(\\d+\\.\\d s\\)$`));
  });

  it('prints the plan for --dry-run and changes nothing', async () => {
    const { folder, prefix, args } = await place({ 'keep.txt': 'k' });
    expect((await stratus(args())).code).toBe(ExitCode.ok);
    await mkdir(join(folder, 'new'));
    await writeFile(join(folder, 'new/n.txt'), 'n');
    await writeFile(join(folder, 'z.txt'), 'z');
    const before = await remoteKeys(prefix);

    const dry = await stratus(args('--dry-run'));
    expect(dry.err).toEqual([]);
    expect(dry.code).toBe(ExitCode.ok);
    expect(dry.out).toEqual([
      'mkdir-remote   new',
      'upload         new/n.txt',
      'upload         z.txt',
      'dry run: would do 2 up, 0 down, 0 conflicts, 0 errors; nothing was changed',
    ]);
    expect(await remoteKeys(prefix)).toEqual(before);
    const dryJson = json(await stratus(args('--dry-run', '--json')));
    expect(dryJson).toMatchObject({ uploaded: 2, dryRun: true });
    expect(await remoteKeys(prefix)).toEqual(before);

    expect(json(await stratus(args('--json')))).toMatchObject({ uploaded: 2 });
  });

  it('stops a mass delete with exit 3 and the stop message, then goes ahead with --confirm-deletes', async () => {
    const { folder, prefix, args } = await place({ 'one.txt': '1', 'two.txt': '2', 'three.txt': '3' });
    expect((await stratus(args())).code).toBe(ExitCode.ok);
    for (const name of ['one.txt', 'two.txt', 'three.txt']) await rm(join(folder, name));

    const stopped = await stratus(args());
    expect(stopped.code).toBe(ExitCode.safetyStop);
    expect(stopped.out).toEqual([]);
    expect(stopped.err).toHaveLength(1);
    expect(stopped.err[0]).toMatch(/^stratus: The sync folder is empty, .*deleting 3 files on the server.*--confirm-deletes/);
    expect(await remoteKeys(prefix)).toEqual(['one.txt', 'three.txt', 'two.txt']);

    const stoppedJson = json(await stratus(args('--json')));
    expect(stoppedJson.stopped).toMatchObject({ code: 'local-root-empty', direction: 'remote', count: 3 });

    const dry = await stratus(args('--dry-run'));
    expect(dry.code).toBe(ExitCode.safetyStop);

    const confirmed = await stratus(args('--confirm-deletes', '--json'));
    expect(confirmed.code).toBe(ExitCode.ok);
    expect(json(confirmed)).toMatchObject({ deletedRemote: 3, errors: 0 });
    expect(await remoteKeys(prefix)).toEqual([]);
  });

  it('names a bucket that does not exist in one line, exit 2', async () => {
    const { args } = await place({ 'a.txt': 'a' });
    const run = await stratus([...args(), '--bucket', 'no-such-bucket']);
    expect(run).toEqual({
      code: ExitCode.usage,
      out: [],
      err: [`stratus: the bucket "no-such-bucket" does not exist at ${sandbox.info.s3Endpoint} (check --bucket and --region)`],
    });
  });

  it('says a closed endpoint cannot be reached, exit 2, quickly', async () => {
    const { args } = await place({ 'a.txt': 'a' });
    const endpoint = `http://127.0.0.1:${await freePort()}`;
    const started = Date.now();
    const run = await stratus([...args(), '--endpoint', endpoint]);
    expect(run).toEqual({ code: ExitCode.usage, out: [], err: [`stratus: cannot reach ${endpoint} (is the server running? check --endpoint)`] });
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('says the server rejected a wrong secret key, exit 2, no stack trace', async () => {
    const { args } = await place({ 'a.txt': 'a' });
    const run = await stratus(args(), { AWS_SECRET_ACCESS_KEY: 'not-the-secret' });
    expect(run).toEqual({
      code: ExitCode.usage,
      out: [],
      err: [`stratus: ${sandbox.info.s3Endpoint} rejected the request signature (check AWS_SECRET_ACCESS_KEY and --region)`],
    });
  });

  it('adds stack traces with --verbose, and debug logs as JSON lines on stderr', async () => {
    const wrong = await place({ 'a.txt': 'a' });
    const failing = await stratus([...wrong.args(), '--bucket', 'no-such-bucket', '--verbose']);
    expect(failing.code).toBe(ExitCode.usage);
    // The one-line message comes first among the non-log lines (JSON log lines of the scan may precede it).
    expect(failing.err.find((l) => !l.startsWith('{'))).toBe(`stratus: the bucket "no-such-bucket" does not exist at ${sandbox.info.s3Endpoint} (check --bucket and --region)`);
    expect(failing.err.some((l) => /^StratusError: .*\n\s+at /.test(l))).toBe(true);
    const { args } = await place({ 'a.txt': 'a' });
    const ok = await stratus(args('--verbose'));
    expect(ok.code).toBe(ExitCode.ok);
    const logs = ok.err.map((l) => JSON.parse(l) as { level: string; module: string; msg: string });
    expect(logs.some((l) => l.module === 'engine' && l.level === 'info' && l.msg.startsWith('1 up'))).toBe(true);
  });

  it('measures a server once per computer: a second folder\'s first run takes the record the first folder\'s run made', async () => {
    const stateDir = join(scratch, `state-${randomUUID()}`);
    const messages = (run: Run): string[] => run.err.map((l) => (JSON.parse(l) as { msg: string }).msg);
    const first = await stratus((await place({ 'a.txt': 'a' })).args('--verbose'), { STRATUS_STATE_DIR: stateDir });
    expect(first.code).toBe(ExitCode.ok);
    expect(messages(first)).toContain('measured the server\'s capabilities');
    expect(existsSync(join(stateDir, 'servers.json'))).toBe(true);
    const second = await stratus((await place({ 'b.txt': 'b' })).args('--verbose'), { STRATUS_STATE_DIR: stateDir });
    expect(second.code).toBe(ExitCode.ok);
    expect(messages(second)).toContain('using the server\'s capabilities measured for another folder on this computer');
    expect(messages(second)).not.toContain('measured the server\'s capabilities');
  });

  // A folder is bound to its location only once something was synced, so a typo in the first run is harmless.
  it('lets a corrected --bucket sync a folder whose first run named a missing bucket', async () => {
    const { args } = await place({ 'a.txt': 'a' });
    expect((await stratus([...args(), '--bucket', 'no-such-bucket'])).code).toBe(ExitCode.usage);
    const corrected = await stratus(args());
    expect(corrected.err).toEqual([]);
    expect(corrected.code).toBe(ExitCode.ok);
  });

  it('stops with exit 130 when interrupted, changing nothing', async () => {
    const { prefix, args } = await place({ 'a.txt': 'a' });
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(args(), { stdout: (l) => out.push(l), stderr: (l) => err.push(l), version: 'test', env, cwd: scratch, signal: AbortSignal.abort() });
    expect({ code, out, err }).toEqual({ code: ExitCode.interrupted, out: [], err: ['stratus: interrupted; nothing more was changed'] });
    expect(await remoteKeys(prefix)).toEqual([]);
  });

  it('refuses a folder that does not exist, exit 2', async () => {
    const { args } = await place();
    const missing = join(scratch, 'not-created');
    const run = await stratus([...args(), '--folder', missing]);
    expect(run).toEqual({ code: ExitCode.usage, out: [], err: [`stratus: the folder "${missing}" does not exist (create it first, or check the path)`] });
  });

  it('refuses a folder another Stratus is syncing, naming its pid', async () => {
    const { folder, args } = await place({ 'a.txt': 'a' });
    await mkdir(join(folder, '.stratus'), { recursive: true });
    // This test process is alive on this host, so its pid makes a lock that is not stale.
    const { hostname } = await import('node:os');
    await writeFile(join(folder, '.stratus/lock'), JSON.stringify({ version: 1, pid: process.pid, host: hostname(), startedAt: new Date().toISOString() }));
    const run = await stratus(args());
    expect(run.code).toBe(ExitCode.usage);
    expect(run.err).toHaveLength(1);
    expect(run.err[0]).toContain(`stratus: Another Stratus is already syncing ${folder} (pid ${process.pid}`);
  });

  it('shows the status of a synced folder', async () => {
    const { folder, prefix, args } = await place({ 'docs/a.txt': 'a', 'b.txt': 'b' });
    expect((await stratus(args())).code).toBe(ExitCode.ok);
    const status = await stratus(['status', '--folder', folder]);
    expect(status.code).toBe(ExitCode.ok);
    expect(status.out).toContain(`location:   s3://stratus/${prefix} at ${sandbox.info.s3Endpoint}`);
    expect(status.out).toContain('synced:     2 files, 1 folder');
    expect(status.out.find((l) => l.startsWith('last run:'))).toMatch(/: 2 up, 0 down, 0 conflicts, 0 errors$/);
    const asJson = JSON.parse((await stratus(['status', '--folder', folder, '--json'])).out[0] ?? '') as Record<string, unknown>;
    expect(asJson).toMatchObject({ folder, syncedFiles: 2, syncedFolders: 1, retries: [], location: { bucket: 'stratus', prefix } });
  });
});

describe('the stratus bin', () => {
  it('syncs a folder end to end as a child process (npx stratus)', async () => {
    const entry = join(repo, 'out/tsc/src/cli/index.js');
    if (!existsSync(entry)) throw new Error('out/tsc is missing: run "npm run build" first (npm test does).');
    const { folder, prefix, args } = await place({ 'from-bin.txt': 'bin' });
    const child = spawn(process.execPath, [join(repo, 'bin/stratus.js'), ...args('--json')], {
      cwd: scratch,
      // A clean environment: only what the CLI needs, so nothing of the developer's AWS setup takes part.
      env: { PATH: process.env['PATH'] ?? '', ...env, AWS_EC2_METADATA_DISABLED: 'true' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((done) => child.on('close', done));
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ uploaded: 1, errors: 0, dryRun: false });
    expect(await remoteKeys(prefix)).toEqual(['from-bin.txt']);
    expect((await readdir(folder)).sort()).toEqual(['.stratus', 'from-bin.txt']);
  });
});
