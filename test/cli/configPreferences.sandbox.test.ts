/**
 * The config file's preferences end to end against the sandbox (issue 8,
 * "every setting also reachable from the CLI config"): a file shaped like the
 * app's settings file — app-only keys included — given to `stratus sync
 * --once` sets the mass-delete rail, the device name in conflicted-copy
 * names and the log level.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Env } from '../../src/cli/config.js';
import type { SyncJson } from '../../src/cli/output.js';
import { ExitCode, runCli } from '../../src/cli/runCli.js';
import type { Sandbox } from '../../sandbox/startSandbox.js';
import { startCliSandbox, type CliSandbox } from './cliSandbox.js';

let sandbox: Sandbox;
let scratch: string;
let admin: S3Client;
let env: Env;
let world: CliSandbox;

beforeAll(async () => {
  world = await startCliSandbox('config-prefs');
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

async function stratus(argv: readonly string[]): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { stdout: (l) => out.push(l), stderr: (l) => err.push(l), version: 'test', env, cwd: scratch });
  return { code, out, err };
}

async function remoteKeys(prefix: string): Promise<string[]> {
  const out = await admin.send(new ListObjectsV2Command({ Bucket: sandbox.info.bucket, Prefix: prefix }));
  return (out.Contents ?? []).map((o) => (o.Key ?? '').slice(prefix.length)).filter((k) => !k.startsWith('.stratus/')).sort();
}

/** A folder of `count` files, a fresh prefix, and a config file in the app settings file's shape pointing at both. */
async function place(count: number, preferences: Record<string, unknown>): Promise<{ folder: string; prefix: string; config: string }> {
  const folder = await mkdtemp(join(scratch, 'folder-'));
  for (let i = 1; i <= count; i++) await writeFile(join(folder, `f${String(i).padStart(2, '0')}.txt`), `file ${i}`);
  const prefix = `test-${randomUUID()}/`;
  const config = join(scratch, `config-${randomUUID()}.json`);
  await writeFile(config, JSON.stringify({
    version: 1, auth: 'aws', region: sandbox.info.region, bucket: sandbox.info.bucket, endpoint: sandbox.info.s3Endpoint, prefix, folder,
    // The app's own keys: the CLI accepts and ignores them.
    startAtLogin: true, notifications: true, pauseOnBattery: false, useSystemBrowser: false, allowPlaintextTokenStorage: false,
    ...preferences,
  }));
  return { folder, prefix, config };
}

describe('preferences in the config file', () => {
  it('stops after 4 local deletes of 20 files with massDelete.maxFiles 3, and names conflicted copies after deviceName', async () => {
    const { folder, prefix, config } = await place(20, { deviceName: 'ada-config-box', massDelete: { maxFiles: 3, maxRatio: 0.5 } });
    const first = await stratus(['sync', '--once', '--config', config]);
    expect(first.err).toEqual([]);
    expect(first.code).toBe(ExitCode.ok);
    expect(await remoteKeys(prefix)).toHaveLength(20);

    for (const name of ['f01.txt', 'f02.txt', 'f03.txt', 'f04.txt']) await rm(join(folder, name));
    const stopped = await stratus(['sync', '--once', '--config', config]);
    expect(stopped.code).toBe(ExitCode.safetyStop);
    expect(stopped.out).toEqual([]);
    expect(stopped.err).toEqual([
      'stratus: This run would delete 4 files on the server (of 20 synced files). Stratus stopped to ask first. ' +
        'Check the folder, then run again with --confirm-deletes to go ahead.',
    ]);
    expect(await remoteKeys(prefix)).toHaveLength(20);

    // The same settings given as flags, without the file's rail: 4 deletes are well under the default 500.
    const flags = ['--auth', 'aws', '--endpoint', sandbox.info.s3Endpoint, '--bucket', sandbox.info.bucket, '--region', sandbox.info.region, '--prefix', prefix, '--folder', folder];
    const dry = await stratus(['sync', '--once', '--dry-run', '--json', ...flags]);
    expect(dry.code).toBe(ExitCode.ok);
    expect(JSON.parse(dry.out[0] ?? '')).toMatchObject({ deletedRemote: 4, dryRun: true });

    const confirmed = await stratus(['sync', '--once', '--confirm-deletes', '--json', '--config', config]);
    expect(confirmed.code).toBe(ExitCode.ok);
    expect(JSON.parse(confirmed.out[0] ?? '')).toMatchObject({ deletedRemote: 4, errors: 0 });
    expect(await remoteKeys(prefix)).toHaveLength(16);

    // Both sides change f05.txt: the server's version keeps the name, this computer's becomes the conflicted copy.
    await writeFile(join(folder, 'f05.txt'), 'changed on this computer');
    await admin.send(new PutObjectCommand({ Bucket: sandbox.info.bucket, Key: `${prefix}f05.txt`, Body: 'changed on the server, longer' }));
    const conflicted = await stratus(['sync', '--once', '--json', '--config', config]);
    expect(conflicted.err).toEqual([]);
    expect(conflicted.code).toBe(ExitCode.ok);
    expect((JSON.parse(conflicted.out[0] ?? '') as SyncJson).conflicts).toBe(1);
    const copies = (await readdir(folder)).filter((name) => name.includes('conflicted copy'));
    expect(copies).toHaveLength(1);
    expect(copies[0]).toMatch(/^f05 \(conflicted copy ada-config-box \d{4}-\d\d-\d\d \d{6}\)\.txt$/);
    expect(await remoteKeys(prefix)).toContain(copies[0]);
  });

  it('logs JSON lines on stderr at the file\'s logLevel and above, and --verbose still means debug', async () => {
    type Line = { level: string; module: string; msg: string };
    const summary = (lines: readonly string[]): boolean =>
      lines.map((l) => JSON.parse(l) as Line).some((l) => l.module === 'engine' && l.level === 'info' && / up, /.test(l.msg));

    const info = await place(1, { logLevel: 'info' });
    const run = await stratus(['sync', '--once', '--config', info.config]);
    expect(run.code).toBe(ExitCode.ok);
    expect(summary(run.err)).toBe(true);
    expect(run.err.map((l) => (JSON.parse(l) as Line).level)).not.toContain('debug');

    const warn = await place(1, { logLevel: 'warn' });
    const quiet = await stratus(['sync', '--once', '--config', warn.config]);
    expect(quiet.code).toBe(ExitCode.ok);
    expect(quiet.err.map((l) => (JSON.parse(l) as Line).level).filter((level) => level !== 'warn' && level !== 'error')).toEqual([]);
    const verbose = await stratus(['sync', '--once', '--verbose', '--config', warn.config]);
    expect(verbose.code).toBe(ExitCode.ok);
    expect(summary(verbose.err)).toBe(true);
  });
});
