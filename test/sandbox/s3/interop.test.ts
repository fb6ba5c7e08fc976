/**
 * Interoperability with real S3 tools: the aws cli (botocore: header SigV4 with
 * hashed payloads, 8 MiB multipart, ranged parallel downloads, ListObjectsV2 with
 * encoding-type=url) and rclone (aws-sdk-go: ListObjects, mtime metadata).
 * The same round trips run against Ceph RGW in the real-S3 lane, so a difference
 * between the sandbox and a real server shows up as one side failing. Each test
 * works under a fresh prefix with the backend's full-access key (aws auth mode).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { describeEachBackend, type S3Backend } from '../../support/s3Backends.js';
import { multipartEtag, pseudoRandomBytes } from './helpers.js';

const run = promisify(execFile);
const AWS = '/usr/bin/aws';
const RCLONE = '/usr/bin/rclone';
const hasAws = existsSync(AWS);
const hasRclone = existsSync(RCLONE);
if (!hasAws) console.warn(`skipped: aws cli interop tests need ${AWS} (apt-get install awscli)`);
if (!hasRclone) console.warn(`skipped: rclone interop tests need ${RCLONE} (apt-get install rclone)`);

let work: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'stratus-s3-interop-'));
  await mkdir(join(work, 'home'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** The parent's environment minus anything that could point a tool at real AWS or a user config. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!/^(AWS_|RCLONE_)/.test(name)) env[name] = value;
  }
  // AWS_CA_BUNDLE is dropped above: rclone refuses to start with it, and plain http needs none.
  return { ...env, HOME: join(work, 'home'), ...extra };
}

function awsEnv(backend: S3Backend): NodeJS.ProcessEnv {
  return cleanEnv({
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_ACCESS_KEY_ID: backend.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: backend.credentials.secretAccessKey,
    AWS_DEFAULT_REGION: backend.region,
    AWS_PAGER: '',
    AWS_EC2_METADATA_DISABLED: 'true',
  });
}

function rcloneEnv(backend: S3Backend): NodeJS.ProcessEnv {
  return cleanEnv({
    RCLONE_CONFIG_SBX_TYPE: 's3',
    RCLONE_CONFIG_SBX_PROVIDER: 'Other',
    RCLONE_CONFIG_SBX_ENDPOINT: backend.endpoint,
    RCLONE_CONFIG_SBX_REGION: backend.region,
    RCLONE_CONFIG_SBX_ACCESS_KEY_ID: backend.credentials.accessKeyId,
    RCLONE_CONFIG_SBX_SECRET_ACCESS_KEY: backend.credentials.secretAccessKey,
    RCLONE_CONFIG_SBX_FORCE_PATH_STYLE: 'true',
  });
}

const awsOn = (backend: S3Backend) => (...args: string[]) =>
  run(AWS, ['--endpoint-url', backend.endpoint, ...args], { env: awsEnv(backend), maxBuffer: 16 * 1024 * 1024 });
const rcloneOn = (backend: S3Backend) => (...args: string[]) =>
  run(RCLONE, ['--config', '/dev/null', ...args], { env: rcloneEnv(backend), maxBuffer: 16 * 1024 * 1024 });

/** Writes a small tree with awkward names; returns it as relative path → bytes. */
async function makeTree(root: string): Promise<void> {
  const files: Record<string, Buffer> = {
    'plain.txt': Buffer.from('plain\n'),
    'with space/file name.txt': Buffer.from('spaces\n'),
    'ünïcødé/日本語.txt': Buffer.from('unicode\n'),
    'sym/plus+percent%colon:.bin': pseudoRandomBytes(70_000, 5),
    'empty.txt': Buffer.alloc(0),
    'deep/a/b/c/d.bin': pseudoRandomBytes(300_000, 6),
  };
  for (let i = 0; i < 30; i++) files[`many/file-${i}.txt`] = Buffer.from(`file ${i}\n`);
  for (const [path, data] of Object.entries(files)) {
    await mkdir(join(root, path, '..'), { recursive: true });
    await writeFile(join(root, path), data);
  }
}

async function snapshot(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    out[relative(root, path)] = createHash('sha256').update(await readFile(path)).digest('hex');
  }
  return out;
}

describeEachBackend('S3 interop', (getBackend, name) => {
  describe('S3 interop with the aws cli', () => {
    it.skipIf(!hasAws)('round-trips a folder with aws s3 sync up and back down byte for byte', async () => {
      const backend = getBackend();
      const aws = awsOn(backend);
      const remote = `s3://${backend.bucket}/${backend.freshPrefix()}aws-sync/`;
      const up = join(work, `${name}-aws-up`);
      const down = join(work, `${name}-aws-down`);
      await makeTree(up);
      await aws('s3', 'sync', up, remote, '--only-show-errors');
      await aws('s3', 'sync', remote, down, '--only-show-errors');
      const before = await snapshot(up);
      expect(Object.keys(before)).toHaveLength(36);
      expect(await snapshot(down)).toEqual(before);
      // A second sync finds nothing to do: sizes and timestamps listed by the server agree.
      const again = await aws('s3', 'sync', up, remote, '--dryrun');
      expect(again.stdout.trim()).toBe('');
    });

    it.skipIf(!hasAws)('uploads 50 MiB with aws s3 cp as 8 MiB multipart with the AWS ETag, and downloads it intact', async () => {
      const backend = getBackend();
      const aws = awsOn(backend);
      const key = `${backend.freshPrefix()}aws/fifty.bin`;
      const data = pseudoRandomBytes(50 * 1024 * 1024, 9);
      const file = join(work, `${name}-fifty.bin`);
      await writeFile(file, data);
      await aws('s3', 'cp', file, `s3://${backend.bucket}/${key}`, '--only-show-errors');
      const head = await backend.admin.send(new HeadObjectCommand({ Bucket: backend.bucket, Key: key }));
      expect(head.ETag).toBe(multipartEtag(data, 8 * 1024 * 1024));
      expect(head.ETag).toMatch(/-7"$/);
      // The cli downloads large objects as parallel ranged GETs.
      await aws('s3', 'cp', `s3://${backend.bucket}/${key}`, `${file}.back`, '--only-show-errors');
      expect((await readFile(`${file}.back`)).equals(data)).toBe(true);
      await rm(file);
      await rm(`${file}.back`);
    });
  });

  describe('S3 interop with rclone', () => {
    it.skipIf(!hasRclone)('round-trips a folder with rclone sync up and back down byte for byte', async () => {
      const backend = getBackend();
      const rclone = rcloneOn(backend);
      const remote = `sbx:${backend.bucket}/${backend.freshPrefix()}rclone-sync`;
      const up = join(work, `${name}-rclone-up`);
      const down = join(work, `${name}-rclone-down`);
      await makeTree(up);
      await rclone('sync', up, remote);
      await rclone('sync', remote, down);
      expect(await snapshot(down)).toEqual(await snapshot(up));
      const check = await rclone('check', up, remote);
      expect(check.stderr).toContain('0 differences found');
    });
  });
});
