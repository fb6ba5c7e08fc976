import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CopyObjectCommand, CreateBucketCommand, DeleteObjectCommand, GetObjectCommand, HeadBucketCommand, ListBucketsCommand, ListObjectsV2Command, PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { SignatureV4 } from '@smithy/signature-v4';
import { BUCKET, failure, identityId, NodeSha256, startTestSandbox, type TestSandbox } from './helpers.js';

let sbx: TestSandbox;

beforeAll(async () => {
  sbx = await startTestSandbox();
  // Created by the admin after start: not one of the buckets the identity policy names.
  await sbx.admin.send(new CreateBucketCommand({ Bucket: 'other-bucket' }));
});
afterAll(async () => {
  await sbx.dispose();
});


const put = (client: S3Client, key: string, body = 'x', bucket = BUCKET) =>
  client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));

describe('S3 sandbox authentication', () => {
  it('rejects a wrong secret key with 403 SignatureDoesNotMatch', async () => {
    const client = sbx.client({ ...sbx.credentials.admin, secretAccessKey: 'wrong-secret' }, { maxAttempts: 1 });
    expect(await failure(put(client, 'a.txt'))).toEqual({ name: 'SignatureDoesNotMatch', status: 403 });
  });

  it('rejects an unknown access key with 403 InvalidAccessKeyId', async () => {
    const client = sbx.client({ kind: 'admin', accessKeyId: 'AKIANOTISSUEDBYSBX12', secretAccessKey: 'whatever' }, { maxAttempts: 1 });
    expect(await failure(put(client, 'a.txt'))).toEqual({ name: 'InvalidAccessKeyId', status: 403 });
  });

  it('rejects identity credentials past their expiry with ExpiredToken', async () => {
    const cred = sbx.credentials.issueForIdentity(identityId(), 50);
    await new Promise((r) => setTimeout(r, 80));
    const client = sbx.client(cred, { maxAttempts: 1 });
    expect(await failure(put(client, `${cred.identityId}/a.txt`))).toEqual({ name: 'ExpiredToken', status: 400 });
  });

  it('rejects a wrong session token with InvalidToken', async () => {
    const cred = sbx.credentials.issueForIdentity(identityId(), 60_000);
    const client = sbx.client({ ...cred, sessionToken: 'forged' }, { maxAttempts: 1 });
    expect((await failure(put(client, `${cred.identityId}/a.txt`))).name).toBe('InvalidToken');
  });

  it('rejects a request whose clock is 20 minutes off with 403 RequestTimeTooSkewed', async () => {
    const client = sbx.client(sbx.credentials.admin, { maxAttempts: 1, systemClockOffset: -20 * 60_000 });
    expect(await failure(put(client, 'skew.txt'))).toEqual({ name: 'RequestTimeTooSkewed', status: 403 });
  });

  it('serves a presigned GET URL built from the SDK signer', async () => {
    await put(sbx.admin, 'presigned/hello world.txt', 'presigned body');
    const url = new URL(sbx.server.endpoint);
    const signer = new SignatureV4({ service: 's3', region: 'us-east-1', credentials: sbx.credentials.admin, sha256: NodeSha256, uriEscapePath: false });
    const presigned = await signer.presign({
      method: 'GET', protocol: 'http:', hostname: url.hostname, port: Number(url.port),
      path: `/${BUCKET}/presigned/hello%20world.txt`, query: {},
      // As @aws-sdk/s3-request-presigner does: S3 presigned URLs never sign the payload.
      headers: { host: url.host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
    }, { expiresIn: 60 });
    const query = new URLSearchParams(presigned.query as Record<string, string>).toString().replace(/\+/g, '%20');
    const response = await fetch(`${sbx.server.endpoint}${presigned.path}?${query}`);
    expect(await response.text()).toBe('presigned body');
    expect(response.status).toBe(200);
    const tampered = await fetch(`${sbx.server.endpoint}/${BUCKET}/presigned/other.txt?${query}`);
    expect(tampered.status).toBe(403);
    expect(await tampered.text()).toContain('<Code>SignatureDoesNotMatch</Code>');
  });

  it('rejects unsigned requests with 403 AccessDenied', async () => {
    const response = await fetch(`${sbx.server.endpoint}/${BUCKET}/presigned/hello%20world.txt`);
    expect(response.status).toBe(403);
    const text = await response.text();
    expect(text).toContain('<Code>AccessDenied</Code>');
    expect(text).toContain('<RequestId>');
    expect(response.headers.get('x-amz-request-id')).toBeTruthy();
  });
});

describe('S3 sandbox per-identity policy', () => {
  const id = identityId();
  let client: S3Client;
  beforeAll(() => {
    client = sbx.client(sbx.credentials.issueForIdentity(id, 3_600_000), { maxAttempts: 1 });
  });

  it('lets an identity put, get, list and delete under <identityId>/ (colon in the path)', async () => {
    await put(client, `${id}/notes/today.txt`, 'mine');
    const got = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: `${id}/notes/today.txt` }));
    expect(await got.Body!.transformToString()).toBe('mine');
    const listed = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `${id}/` }));
    expect(listed.Contents?.map((c) => c.Key)).toEqual([`${id}/notes/today.txt`]);
    await client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: `${id}/notes/today.txt` }));
  });

  it('lets an identity upload multipart under its prefix', async () => {
    const body = Buffer.alloc(6 * 1024 * 1024, 7);
    const out = await new Upload({ client, params: { Bucket: BUCKET, Key: `${id}/big.bin`, Body: body }, partSize: 5 * 1024 * 1024 }).done();
    expect(out.ETag).toMatch(/-2"$/);
  });

  it('denies keys outside <identityId>/ with 403 AccessDenied', async () => {
    const other = identityId();
    await put(sbx.admin, `${other}/secret.txt`, 'theirs');
    expect(await failure(put(client, `${other}/mine-now.txt`))).toEqual({ name: 'AccessDenied', status: 403 });
    expect(await failure(client.send(new GetObjectCommand({ Bucket: BUCKET, Key: `${other}/secret.txt` })))).toEqual({ name: 'AccessDenied', status: 403 });
    expect(await failure(client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: `${other}/secret.txt` })))).toEqual({ name: 'AccessDenied', status: 403 });
    // Copying into its own prefix does not launder access to someone else's key.
    const copy = new CopyObjectCommand({ Bucket: BUCKET, Key: `${id}/stolen.txt`, CopySource: `${BUCKET}/${encodeURIComponent(`${other}/secret.txt`)}` });
    expect(await failure(client.send(copy))).toEqual({ name: 'AccessDenied', status: 403 });
    // A prefix that merely starts with the identity ID but is not its folder is someone else's.
    expect((await failure(put(client, `${id}-evil/x.txt`))).name).toBe('AccessDenied');
    expect((await failure(put(client, 'top-level.txt'))).name).toBe('AccessDenied');
  });

  it('denies listing without the identity prefix, ListBuckets, HeadBucket and other buckets', async () => {
    expect((await failure(client.send(new ListObjectsV2Command({ Bucket: BUCKET })))).name).toBe('AccessDenied');
    expect((await failure(client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'us-east-1:' })))).name).toBe('AccessDenied');
    expect((await failure(client.send(new ListBucketsCommand({})))).name).toBe('AccessDenied');
    expect((await failure(client.send(new HeadBucketCommand({ Bucket: BUCKET })))).status).toBe(403);
    expect((await failure(put(client, `${id}/x.txt`, 'x', 'other-bucket'))).name).toBe('AccessDenied');
  });

  it('gives the admin key full access', async () => {
    const buckets = await sbx.admin.send(new ListBucketsCommand({}));
    expect(buckets.Buckets?.map((b) => b.Name)).toEqual(['other-bucket', BUCKET]);
    const all = await sbx.admin.send(new ListObjectsV2Command({ Bucket: BUCKET }));
    expect(all.KeyCount).toBeGreaterThan(0);
  });
});
