/**
 * The deployed policy, round trip: the sandbox's S3 server enforces the
 * authenticated role's policy synthesized from infra/ (AccessPolicy +
 * sandbox/iam), so what Stratus does with identity credentials here is what
 * that policy lets it do on AWS. Everything the engine needs works under one's
 * own prefix (multipart uploads, conditional writes, the head marker); another
 * identity's prefix can be neither listed nor read nor written.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CopyObjectCommand, CreateMultipartUploadCommand, DeleteObjectCommand,
  DeleteObjectsCommand, GetObjectCommand, HeadObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command, ListPartsCommand,
  PutObjectCommand, UploadPartCommand, type S3Client,
} from '@aws-sdk/client-s3';
import { HeadMarker } from '../../../src/engine/watch/HeadMarker.js';
import { BUCKET, failure, identityId, multipartEtag, pseudoRandomBytes, startTestSandbox, type TestSandbox } from './helpers.js';

const DENIED = { name: 'AccessDenied', status: 403 };

let sbx: TestSandbox;
let ada: S3Client;
let grace: S3Client;
const adaId = identityId();
const graceId = identityId();

beforeAll(async () => {
  sbx = await startTestSandbox();
  // The same kind of credentials the identity pool hands out after sign-in.
  ada = sbx.client(sbx.credentials.issueForIdentity(adaId, 600_000), { maxAttempts: 1 });
  grace = sbx.client(sbx.credentials.issueForIdentity(graceId, 600_000), { maxAttempts: 1 });
  await ada.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${adaId}/private/diary.txt`, Body: 'dear diary' }));
});
afterAll(async () => {
  await sbx.dispose();
});

describe('under the role policy synthesized from the backend template', () => {
  it('lists one\'s own prefix, bare or with a folder and delimiter', async () => {
    const own = await ada.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `${adaId}/` }));
    expect(own.Contents?.map((o) => o.Key)).toContain(`${adaId}/private/diary.txt`);
    const folders = await ada.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `${adaId}/`, Delimiter: '/' }));
    expect(folders.CommonPrefixes?.map((p) => p.Prefix)).toEqual([`${adaId}/private/`]);
    const bare = await ada.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: adaId, Delimiter: '/' }));
    expect(bare.CommonPrefixes?.map((p) => p.Prefix)).toEqual([`${adaId}/`]);
  });

  it('does not let a user list another identity\'s prefix, or the bucket', async () => {
    expect(await failure(grace.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `${adaId}/` })))).toEqual(DENIED);
    expect(await failure(grace.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: adaId })))).toEqual(DENIED);
    expect(await failure(grace.send(new ListObjectsV2Command({ Bucket: BUCKET })))).toEqual(DENIED);
    expect(await failure(grace.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'us-east-1:' })))).toEqual(DENIED);
    expect(await failure(grace.send(new ListMultipartUploadsCommand({ Bucket: BUCKET, Prefix: `${adaId}/` })))).toEqual(DENIED);
  });

  it('does not let a user read, overwrite, copy or delete another identity\'s objects', async () => {
    const key = `${adaId}/private/diary.txt`;
    expect(await failure(grace.send(new GetObjectCommand({ Bucket: BUCKET, Key: key })))).toEqual(DENIED);
    // HEAD answers carry no body, so the SDK sees only the status.
    expect((await failure(grace.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key })))).status).toBe(403);
    expect(await failure(grace.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'mine now' })))).toEqual(DENIED);
    // Refused before the condition is looked at: a 412 would tell Grace the key exists.
    expect(await failure(grace.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'x', IfNoneMatch: '*' })))).toEqual(DENIED);
    expect(await failure(grace.send(new CopyObjectCommand({ Bucket: BUCKET, Key: `${graceId}/stolen.txt`, CopySource: `${BUCKET}/${encodeURIComponent(key)}` })))).toEqual(DENIED);
    expect(await failure(grace.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key })))).toEqual(DENIED);
    const batch = await grace.send(new DeleteObjectsCommand({ Bucket: BUCKET, Delete: { Objects: [{ Key: key }, { Key: `${graceId}/gone.txt` }] } }));
    expect(batch.Errors?.map((e) => [e.Key, e.Code])).toEqual([[key, 'AccessDenied']]);
    expect(batch.Deleted?.map((d) => d.Key)).toEqual([`${graceId}/gone.txt`]);
    const still = await ada.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    expect(await still.Body?.transformToString()).toBe('dear diary');
  });

  it('runs a multipart upload under one\'s own prefix: create, parts, list, complete, abort', async () => {
    const key = `${adaId}/big/video.bin`;
    const data = pseudoRandomBytes(5 * 1024 * 1024 + 123, 7);
    const partSize = 5 * 1024 * 1024;
    const { UploadId } = await ada.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: key }));
    expect(UploadId).toBeTruthy();
    const one = await ada.send(new UploadPartCommand({ Bucket: BUCKET, Key: key, UploadId, PartNumber: 1, Body: data.subarray(0, partSize) }));
    // The engine resumes an upload from ListParts, and finds abandoned ones with ListMultipartUploads under its prefix.
    const parts = await ada.send(new ListPartsCommand({ Bucket: BUCKET, Key: key, UploadId }));
    expect(parts.Parts?.map((p) => p.PartNumber)).toEqual([1]);
    const uploads = await ada.send(new ListMultipartUploadsCommand({ Bucket: BUCKET, Prefix: `${adaId}/` }));
    expect(uploads.Uploads?.map((u) => u.UploadId)).toContain(UploadId);
    // Another identity can neither see its parts nor abort it.
    expect(await failure(grace.send(new ListPartsCommand({ Bucket: BUCKET, Key: key, UploadId })))).toEqual(DENIED);
    expect(await failure(grace.send(new AbortMultipartUploadCommand({ Bucket: BUCKET, Key: key, UploadId })))).toEqual(DENIED);
    const two = await ada.send(new UploadPartCommand({ Bucket: BUCKET, Key: key, UploadId, PartNumber: 2, Body: data.subarray(partSize) }));
    const done = await ada.send(new CompleteMultipartUploadCommand({
      Bucket: BUCKET, Key: key, UploadId,
      MultipartUpload: { Parts: [{ PartNumber: 1, ETag: one.ETag }, { PartNumber: 2, ETag: two.ETag }] },
    }));
    expect(done.ETag).toBe(multipartEtag(data, partSize));
    const head = await ada.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    expect(head.ContentLength).toBe(data.length);

    const abandoned = await ada.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: `${adaId}/big/abandoned.bin` }));
    await ada.send(new AbortMultipartUploadCommand({ Bucket: BUCKET, Key: `${adaId}/big/abandoned.bin`, UploadId: abandoned.UploadId }));
    const left = await ada.send(new ListMultipartUploadsCommand({ Bucket: BUCKET, Prefix: `${adaId}/` }));
    expect(left.Uploads ?? []).toEqual([]);
    // Outside one's prefix, not even the upload can start.
    expect(await failure(ada.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: `${graceId}/big.bin` })))).toEqual(DENIED);
  });

  it('makes conditional writes (If-None-Match: *, If-Match) work, failing on the condition and not on the policy', async () => {
    const key = `${adaId}/notes/todo.md`;
    const created = await ada.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'v1', IfNoneMatch: '*' }));
    expect(await failure(ada.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'v1 again', IfNoneMatch: '*' })))).toEqual({ name: 'PreconditionFailed', status: 412 });
    const updated = await ada.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'v2', IfMatch: created.ETag }));
    expect(await failure(ada.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'v3', IfMatch: created.ETag })))).toEqual({ name: 'PreconditionFailed', status: 412 });
    await ada.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key, IfMatch: updated.ETag }));
    expect(await failure(ada.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key })))).toEqual({ name: 'NotFound', status: 404 });
  });

  it('lets the head marker announce and detect changes under one\'s own prefix', async () => {
    const laptop = new HeadMarker({ client: ada, bucket: BUCKET, prefix: `${adaId}/`, deviceName: 'ada-laptop' });
    const desktop = new HeadMarker({ client: sbx.client(sbx.credentials.issueForIdentity(adaId, 600_000)), bucket: BUCKET, prefix: `${adaId}/`, deviceName: 'ada-desktop' });
    expect(await desktop.poll()).toBe('unchanged'); // baseline: no marker yet (404)
    expect(await laptop.publish()).toBe('unchanged');
    expect(await desktop.poll()).toBe('changed');
    expect(await desktop.poll()).toBe('unchanged'); // If-None-Match: a bodiless 304
    const marker = await ada.send(new GetObjectCommand({ Bucket: BUCKET, Key: laptop.key }));
    expect(JSON.parse((await marker.Body?.transformToString()) ?? '')).toMatchObject({ version: 1, writtenBy: 'ada-laptop' });
    // Grace's marker lives under her prefix; Ada's is not hers to read.
    const snoop = new HeadMarker({ client: grace, bucket: BUCKET, prefix: `${adaId}/`, deviceName: 'grace' });
    await expect(snoop.poll()).rejects.toThrow();
  });
});
