import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CompleteMultipartUploadCommand, CreateMultipartUploadCommand, GetObjectCommand, HeadObjectCommand,
  ListObjectsV2Command, PutObjectCommand, UploadPartCommand,
} from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { Agent } from 'node:http';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CredentialStore } from '../../../sandbox/CredentialStore.js';
import { startS3Server } from '../../../sandbox/s3/S3Server.js';
import { BUCKET, clientFor, md5Hex, multipartEtag, pseudoRandomBytes, startTestSandbox, type TestSandbox } from './helpers.js';

const MiB = 1024 * 1024;

describe('S3 sandbox durability', () => {
  let dataDir: string;
  const credentials = new CredentialStore();

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'stratus-s3-restart-'));
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('keeps objects, metadata and pending multipart uploads across a restart on the same dataDir', async () => {
    const first = await startS3Server({ dataDir, credentials });
    const c1 = clientFor(first.endpoint, credentials.admin);
    const keys = ['keep/a.txt', 'keep/ü b.txt', 'keep/us-east-1:x/y.txt'];
    for (const Key of keys) await c1.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body: `body of ${Key}`, ContentType: 'text/plain', Metadata: { k: 'v' } }));
    await c1.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'keep/a.txt', Body: 'overwritten' }));
    const part = pseudoRandomBytes(5 * MiB, 3);
    const { UploadId } = await c1.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: 'keep/mp.bin' }));
    const p1 = await c1.send(new UploadPartCommand({ Bucket: BUCKET, Key: 'keep/mp.bin', UploadId, PartNumber: 1, Body: part }));
    c1.destroy();
    await first.close();

    // A crash mid-write leaves a temp file behind; start-up must sweep it, not list it.
    const shards = await readdir(join(dataDir, 'buckets', BUCKET, 'objects'));
    await writeFile(join(dataDir, 'buckets', BUCKET, 'objects', shards[0]!, '.tmp-crashed'), 'partial');

    const second = await startS3Server({ dataDir, credentials });
    const c2 = clientFor(second.endpoint, credentials.admin);
    try {
      const listed = await c2.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'keep/' }));
      expect(listed.Contents?.map((c) => c.Key)).toEqual(['keep/a.txt', 'keep/us-east-1:x/y.txt', 'keep/ü b.txt']);
      const a = await c2.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'keep/a.txt' }));
      expect(await a.Body!.transformToString()).toBe('overwritten');
      expect(a.ETag).toBe(`"${md5Hex(Buffer.from('overwritten'))}"`);
      const head = await c2.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'keep/ü b.txt' }));
      expect(head.Metadata).toEqual({ k: 'v' });
      expect(head.ContentType).toBe('text/plain');
      const done = await c2.send(new CompleteMultipartUploadCommand({
        Bucket: BUCKET, Key: 'keep/mp.bin', UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: p1.ETag }] },
      }));
      expect(done.ETag).toBe(multipartEtag(part, 5 * MiB));
      const files = (await Promise.all(shards.map((s) => readdir(join(dataDir, 'buckets', BUCKET, 'objects', s)).catch(() => [])))).flat();
      expect(files.filter((f) => f.startsWith('.tmp-'))).toEqual([]);
    } finally {
      c2.destroy();
      await second.close();
    }
  });
});

describe('S3 sandbox under concurrency', () => {
  let sbx: TestSandbox;
  beforeAll(async () => {
    sbx = await startTestSandbox();
  });
  afterAll(async () => {
    await sbx.dispose();
  });

  it('accepts 250 concurrent 4 KiB PutObject requests without an error', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 250 });
    const client = sbx.client(sbx.credentials.admin, { maxAttempts: 1, requestHandler: new NodeHttpHandler({ httpAgent: agent }) });
    const bodies = Array.from({ length: 250 }, (_, i) => pseudoRandomBytes(4096, i + 1));
    const results = await Promise.allSettled(bodies.map((Body, i) =>
      client.send(new PutObjectCommand({ Bucket: BUCKET, Key: `concurrent/${String(i).padStart(3, '0')}.bin`, Body }))));
    const failures = results.filter((r) => r.status === 'rejected');
    expect(failures).toEqual([]);
    results.forEach((r, i) => {
      if (r.status === 'fulfilled') expect(r.value.ETag).toBe(`"${md5Hex(bodies[i]!)}"`);
    });
    const listed = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'concurrent/' }));
    expect(listed.KeyCount).toBe(250);
    agent.destroy();
  });

  it('serialises concurrent conditional creates of one key: exactly one wins', async () => {
    const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) =>
      sbx.admin.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'race/only-once.txt', Body: `writer ${i}`, IfNoneMatch: '*' }))));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) {
      if (r.status === 'rejected') expect((r.reason as { $metadata: { httpStatusCode: number } }).$metadata.httpStatusCode).toBe(412);
    }
  });
});
