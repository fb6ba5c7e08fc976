/**
 * Interoperability with real S3 tools: the aws cli (botocore: header SigV4 with
 * hashed payloads, 8 MiB multipart, ranged parallel downloads, ListObjectsV2 with
 * encoding-type=url) and rclone (aws-sdk-go: ListObjects, mtime metadata).
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
import { BUCKET, multipartEtag, pseudoRandomBytes, REGION, startTestSandbox, type TestSandbox } from './helpers.js';

const run = promisify(execFile);
const AWS = '/usr/bin/aws';
const RCLONE = '/usr/bin/rclone';
const hasAws = existsSync(AWS);
const hasRclone = existsSync(RCLONE);
if (!hasAws) console.warn(`skipped: aws cli interop tests need ${AWS} (apt-get install awscli)`);
if (!hasRclone) console.warn(`skipped: rclone interop tests need ${RCLONE} (apt-get install rclone)`);

let sbx: TestSandbox;
let work: string;

beforeAll(async () => {
  sbx = await startTestSandbox();
  work = await mkdtemp(join(tmpdir(), 'stratus-s3-interop-'));
  await mkdir(join(work, 'home'));
});
afterAll(async () => {
  await sbx.dispose();
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

function awsEnv(): NodeJS.ProcessEnv {
  return cleanEnv({
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_ACCESS_KEY_ID: sbx.credentials.admin.accessKeyId,
    AWS_SECRET_ACCESS_KEY: sbx.credentials.admin.secretAccessKey,
    AWS_DEFAULT_REGION: REGION,
    AWS_PAGER: '',
    AWS_EC2_METADATA_DISABLED: 'true',
  });
}

function rcloneEnv(): NodeJS.ProcessEnv {
  return cleanEnv({
    RCLONE_CONFIG_SBX_TYPE: 's3',
    RCLONE_CONFIG_SBX_PROVIDER: 'Other',
    RCLONE_CONFIG_SBX_ENDPOINT: sbx.server.endpoint,
    RCLONE_CONFIG_SBX_ACCESS_KEY_ID: sbx.credentials.admin.accessKeyId,
    RCLONE_CONFIG_SBX_SECRET_ACCESS_KEY: sbx.credentials.admin.secretAccessKey,
    RCLONE_CONFIG_SBX_FORCE_PATH_STYLE: 'true',
  });
}

const aws = (...args: string[]) => run(AWS, ['--endpoint-url', sbx.server.endpoint, ...args], { env: awsEnv(), maxBuffer: 16 * 1024 * 1024 });
const rclone = (...args: string[]) => run(RCLONE, ['--config', '/dev/null', ...args], { env: rcloneEnv(), maxBuffer: 16 * 1024 * 1024 });

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

describe('S3 sandbox interop with the aws cli', () => {
  it.skipIf(!hasAws)('round-trips a folder with aws s3 sync up and back down byte for byte', async () => {
    const up = join(work, 'aws-up');
    const down = join(work, 'aws-down');
    await makeTree(up);
    await aws('s3', 'sync', up, `s3://${BUCKET}/aws-sync/`, '--only-show-errors');
    await aws('s3', 'sync', `s3://${BUCKET}/aws-sync/`, down, '--only-show-errors');
    const before = await snapshot(up);
    expect(Object.keys(before)).toHaveLength(36);
    expect(await snapshot(down)).toEqual(before);
    // A second sync finds nothing to do: sizes and timestamps listed by the server agree.
    const again = await aws('s3', 'sync', up, `s3://${BUCKET}/aws-sync/`, '--dryrun');
    expect(again.stdout.trim()).toBe('');
  });

  it.skipIf(!hasAws)('uploads 50 MiB with aws s3 cp as 8 MiB multipart with the AWS ETag, and downloads it intact', async () => {
    const data = pseudoRandomBytes(50 * 1024 * 1024, 9);
    const file = join(work, 'fifty.bin');
    await writeFile(file, data);
    await aws('s3', 'cp', file, `s3://${BUCKET}/aws/fifty.bin`, '--only-show-errors');
    const head = await sbx.admin.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'aws/fifty.bin' }));
    expect(head.ETag).toBe(multipartEtag(data, 8 * 1024 * 1024));
    expect(head.ETag).toMatch(/-7"$/);
    // The cli downloads large objects as parallel ranged GETs.
    await aws('s3', 'cp', `s3://${BUCKET}/aws/fifty.bin`, `${file}.back`, '--only-show-errors');
    expect((await readFile(`${file}.back`)).equals(data)).toBe(true);
    await rm(file);
    await rm(`${file}.back`);
  });
});

describe('S3 sandbox interop with rclone', () => {
  it.skipIf(!hasRclone)('round-trips a folder with rclone sync up and back down byte for byte', async () => {
    const up = join(work, 'rclone-up');
    const down = join(work, 'rclone-down');
    await makeTree(up);
    await rclone('sync', up, `sbx:${BUCKET}/rclone-sync`);
    await rclone('sync', `sbx:${BUCKET}/rclone-sync`, down);
    expect(await snapshot(down)).toEqual(await snapshot(up));
    const check = await rclone('check', up, `sbx:${BUCKET}/rclone-sync`);
    expect(check.stderr).toContain('0 differences found');
  });
});
