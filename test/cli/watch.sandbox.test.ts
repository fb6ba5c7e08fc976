/**
 * `stratus watch` end to end against the real sandbox: in-process through
 * runCli (stopped by aborting io.signal, as Ctrl-C does), and the built bin
 * as a child process stopped with SIGINT.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Env } from '../../src/cli/config.js';
import { ExitCode, runCli } from '../../src/cli/runCli.js';
import type { Sandbox } from '../../sandbox/startSandbox.js';
import { startCliSandbox, type CliSandbox } from './cliSandbox.js';
import { until } from '../support/until.js';

const repo = resolve(import.meta.dirname, '../..');

let sandbox: Sandbox;
let scratch: string;
let admin: S3Client;
let env: Env;

let world: CliSandbox;

beforeAll(async () => {
  world = await startCliSandbox('watch');
  ({ sandbox, scratch, admin, env } = world);
});

afterAll(async () => {
  await world.dispose();
});


async function place(): Promise<{ folder: string; prefix: string; args: (...extra: string[]) => string[] }> {
  const folder = await mkdtemp(join(scratch, 'folder-'));
  const prefix = `test-${randomUUID()}/`;
  const args = (...extra: string[]): string[] => [
    'watch', '--auth', 'aws', '--endpoint', sandbox.info.s3Endpoint, '--bucket', sandbox.info.bucket,
    '--region', sandbox.info.region, '--prefix', prefix, '--folder', folder,
    '--debounce-ms', '200', '--poll-ms', '200', ...extra,
  ];
  return { folder, prefix, args };
}

async function remoteKeys(prefix: string): Promise<string[]> {
  const out = await admin.send(new ListObjectsV2Command({ Bucket: sandbox.info.bucket, Prefix: prefix }));
  return (out.Contents ?? []).map((o) => (o.Key ?? '').slice(prefix.length)).filter((k) => !k.startsWith('.stratus/')).sort();
}

describe('stratus watch', () => {
  it('syncs until interrupted, printing one JSON object per event, and exits 0', async () => {
    const { folder, prefix, args } = await place();
    const out: string[] = [];
    const err: string[] = [];
    const interrupt = new AbortController();
    const done = runCli(args('--json'), { stdout: (l) => out.push(l), stderr: (l) => err.push(l), version: 'test', env, cwd: scratch, signal: interrupt.signal });
    await until(() => out.some((l) => l.includes('"event":"run"')), 10_000, 'the first run');
    await writeFile(join(folder, 'live.txt'), 'written while watching');
    await until(async () => (await remoteKeys(prefix)).includes('live.txt'), 5000, 'the upload');
    await until(() => out.filter((l) => l.includes('"event":"run"')).length >= 2, 5000, 'the run event');
    interrupt.abort();
    expect(await done).toBe(ExitCode.ok);
    expect(err).toEqual([]);
    const events = out.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(events[0]).toMatchObject({ event: 'started', folder, location: { bucket: sandbox.info.bucket, prefix } });
    expect(events).toContainEqual(expect.objectContaining({ event: 'run', reasons: ['local'], uploaded: 1, errors: 0 }));
  });

  it('takes deviceName and the massDelete rail from the config file: the change marker names the device, a 4-file delete stops', async () => {
    const { folder, prefix, args } = await place();
    for (let i = 1; i <= 20; i++) await writeFile(join(folder, `f${i}.txt`), `file ${i}`);
    const config = join(scratch, `config-${randomUUID()}.json`);
    await writeFile(config, JSON.stringify({ deviceName: 'watch-config-box', massDelete: { maxFiles: 3, maxRatio: 0.5 }, notifications: false }));
    const out: string[] = [];
    const err: string[] = [];
    const interrupt = new AbortController();
    const done = runCli(args('--json', '--config', config), { stdout: (l) => out.push(l), stderr: (l) => err.push(l), version: 'test', env, cwd: scratch, signal: interrupt.signal });
    try {
      await until(async () => (await remoteKeys(prefix)).length === 20, 10_000, 'the first run');
      let marker: { writtenBy?: string } | undefined;
      await until(async () => {
        const got = await admin.send(new GetObjectCommand({ Bucket: sandbox.info.bucket, Key: `${prefix}.stratus/head` })).catch(() => undefined);
        marker = got === undefined ? undefined : JSON.parse((await got.Body?.transformToString()) ?? '{}') as { writtenBy?: string };
        return marker !== undefined;
      }, 10_000, 'the change marker');
      expect(marker?.writtenBy).toBe('watch-config-box');
      for (let i = 1; i <= 4; i++) await rm(join(folder, `f${i}.txt`));
      await until(() => err.some((l) => l.includes('would delete 4 files on the server')), 10_000, 'the rail');
    } finally {
      interrupt.abort();
    }
    expect(await done).toBe(ExitCode.ok);
    expect(await remoteKeys(prefix)).toHaveLength(20);
  });

  it('refuses a timing that is not a sane number of milliseconds', async () => {
    const { args } = await place();
    const err: string[] = [];
    const code = await runCli(args('--poll-ms', '5'), { stdout: () => undefined, stderr: (l) => err.push(l), version: 'test', env, cwd: scratch });
    expect(code).toBe(ExitCode.usage);
    expect(err).toEqual(['stratus: --poll-ms must be a whole number of milliseconds, at least 50 (got "5")']);
  });

  it('exits with the failure when the first run cannot work at all (no such bucket)', async () => {
    const { args } = await place();
    const err: string[] = [];
    const argv = args().map((a) => (a === sandbox.info.bucket ? 'no-such-bucket-here' : a));
    const code = await runCli(argv, { stdout: () => undefined, stderr: (l) => err.push(l), version: 'test', env, cwd: scratch });
    expect(code).not.toBe(ExitCode.ok);
    expect(err.join('\n')).toContain('no-such-bucket-here');
  });

  it('runs as the built bin: a file written is uploaded, SIGINT ends it with exit 0', async () => {
    const entry = join(repo, 'out/tsc/src/cli/index.js');
    if (!existsSync(entry)) throw new Error('out/tsc is missing: run "npm run build" first (npm test does).');
    const { folder, prefix, args } = await place();
    const child = spawn(process.execPath, [join(repo, 'bin/stratus.js'), ...args()], {
      cwd: scratch,
      env: { PATH: process.env['PATH'] ?? '', ...env, AWS_EC2_METADATA_DISABLED: 'true' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const closed = new Promise<number | null>((done) => child.on('close', done));
    try {
      await until(() => /synced: /.test(stdout), 15_000, 'the first run line');
      await writeFile(join(folder, 'from-bin.txt'), 'bin');
      await until(async () => (await remoteKeys(prefix)).includes('from-bin.txt'), 5000, 'the upload');
      await until(() => /synced: 1 up/.test(stdout), 5000, 'the run line');
    } finally {
      child.kill('SIGINT');
    }
    expect(await closed).toBe(0);
    expect(stderr).toBe('');
    expect(stdout).toMatch(/^\d\d:\d\d:\d\d watching .* \(Ctrl-C to stop\)$/m);
    expect(stdout).toMatch(/^\d\d:\d\d:\d\d synced: 1 up, 0 down, 0 conflicts, 0 errors$/m);
  });
});
