import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CreateMultipartUploadCommand, GetObjectCommand,
  HeadObjectCommand, ListMultipartUploadsCommand, ListPartsCommand, PutObjectCommand,
  UploadPartCommand, UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { Readable } from 'node:stream';
import { BUCKET, failure, md5Hex, multipartEtag, pseudoRandomBytes, startTestSandbox, type TestSandbox } from './helpers.js';

const MiB = 1024 * 1024;
let sbx: TestSandbox;

beforeAll(async () => {
  sbx = await startTestSandbox();
});
afterAll(async () => {
  await sbx.dispose();
});


describe('S3 sandbox multipart uploads', () => {
  it('assembles a 12 MiB lib-storage Upload with 5 MiB parts and the AWS multipart ETag', async () => {
    const data = pseudoRandomBytes(12 * MiB, 42);
    await new Upload({
      client: sbx.admin,
      params: { Bucket: BUCKET, Key: 'mp/twelve.bin', Body: Readable.from([data.subarray(0, 7 * MiB), data.subarray(7 * MiB)]), ContentType: 'application/x-test', Metadata: { origin: 'upload' } },
      partSize: 5 * MiB,
      queueSize: 3,
    }).done();
    const head = await sbx.admin.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'mp/twelve.bin' }));
    expect(head.ETag).toBe(multipartEtag(data, 5 * MiB));
    expect(head.ETag).toMatch(/-3"$/);
    expect(head.ContentLength).toBe(data.length);
    expect(head.ContentType).toBe('application/x-test');
    expect(head.Metadata).toEqual({ origin: 'upload' });
    const got = await sbx.admin.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'mp/twelve.bin' }));
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(data)).toBe(true);
  });

  it('rejects a non-last part smaller than 5 MiB with 400 EntityTooSmall', async () => {
    const { UploadId } = await sbx.admin.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: 'mp/small.bin' }));
    const p1 = await sbx.admin.send(new UploadPartCommand({ Bucket: BUCKET, Key: 'mp/small.bin', UploadId, PartNumber: 1, Body: Buffer.alloc(MiB, 1) }));
    const p2 = await sbx.admin.send(new UploadPartCommand({ Bucket: BUCKET, Key: 'mp/small.bin', UploadId, PartNumber: 2, Body: Buffer.alloc(10, 2) }));
    expect(p1.ETag).toBe(`"${md5Hex(Buffer.alloc(MiB, 1))}"`);
    const err = await failure(sbx.admin.send(new CompleteMultipartUploadCommand({
      Bucket: BUCKET, Key: 'mp/small.bin', UploadId,
      MultipartUpload: { Parts: [{ PartNumber: 1, ETag: p1.ETag }, { PartNumber: 2, ETag: p2.ETag }] },
    })));
    expect(err).toEqual({ name: 'EntityTooSmall', status: 400 });
    await sbx.admin.send(new AbortMultipartUploadCommand({ Bucket: BUCKET, Key: 'mp/small.bin', UploadId }));
  });

  it('accepts a single small part (the last part may be any size)', async () => {
    const { UploadId } = await sbx.admin.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: 'mp/one.bin' }));
    const p1 = await sbx.admin.send(new UploadPartCommand({ Bucket: BUCKET, Key: 'mp/one.bin', UploadId, PartNumber: 1, Body: Buffer.from('tiny') }));
    const done = await sbx.admin.send(new CompleteMultipartUploadCommand({
      Bucket: BUCKET, Key: 'mp/one.bin', UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: p1.ETag }] },
    }));
    expect(done.ETag).toBe(multipartEtag(Buffer.from('tiny'), 5 * MiB));
  });

  it('rejects parts out of order with InvalidPartOrder and an unknown ETag with InvalidPart', async () => {
    const { UploadId } = await sbx.admin.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: 'mp/order.bin' }));
    const body = Buffer.alloc(5 * MiB, 3);
    const p1 = await sbx.admin.send(new UploadPartCommand({ Bucket: BUCKET, Key: 'mp/order.bin', UploadId, PartNumber: 1, Body: body }));
    const p2 = await sbx.admin.send(new UploadPartCommand({ Bucket: BUCKET, Key: 'mp/order.bin', UploadId, PartNumber: 2, Body: body }));
    const complete = (Parts: { PartNumber: number; ETag: string | undefined }[]) =>
      sbx.admin.send(new CompleteMultipartUploadCommand({ Bucket: BUCKET, Key: 'mp/order.bin', UploadId, MultipartUpload: { Parts } }));
    expect((await failure(complete([{ PartNumber: 2, ETag: p2.ETag }, { PartNumber: 1, ETag: p1.ETag }]))).name).toBe('InvalidPartOrder');
    expect((await failure(complete([{ PartNumber: 1, ETag: '"00000000000000000000000000000000"' }]))).name).toBe('InvalidPart');
    expect((await failure(complete([{ PartNumber: 3, ETag: p1.ETag }]))).name).toBe('InvalidPart');
    const parts = await sbx.admin.send(new ListPartsCommand({ Bucket: BUCKET, Key: 'mp/order.bin', UploadId }));
    expect(parts.Parts?.map((p) => [p.PartNumber, p.Size, p.ETag])).toEqual([[1, 5 * MiB, p1.ETag], [2, 5 * MiB, p2.ETag]]);
    const uploads = await sbx.admin.send(new ListMultipartUploadsCommand({ Bucket: BUCKET, Prefix: 'mp/order' }));
    expect(uploads.Uploads?.map((u) => u.UploadId)).toEqual([UploadId]);
    await sbx.admin.send(new AbortMultipartUploadCommand({ Bucket: BUCKET, Key: 'mp/order.bin', UploadId }));
    expect((await failure(sbx.admin.send(new ListPartsCommand({ Bucket: BUCKET, Key: 'mp/order.bin', UploadId })))).name).toBe('NoSuchUpload');
  });

  it('honours If-None-Match: * on CompleteMultipartUpload', async () => {
    await sbx.admin.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'mp/exists.bin', Body: 'old' }));
    const { UploadId } = await sbx.admin.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: 'mp/exists.bin' }));
    const p1 = await sbx.admin.send(new UploadPartCommand({ Bucket: BUCKET, Key: 'mp/exists.bin', UploadId, PartNumber: 1, Body: 'new' }));
    const err = await failure(sbx.admin.send(new CompleteMultipartUploadCommand({
      Bucket: BUCKET, Key: 'mp/exists.bin', UploadId, IfNoneMatch: '*', MultipartUpload: { Parts: [{ PartNumber: 1, ETag: p1.ETag }] },
    })));
    expect(err.status).toBe(412);
  });

  it('copies a byte range into a part with UploadPartCopy', async () => {
    const source = pseudoRandomBytes(6 * MiB, 7);
    await sbx.admin.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'mp/source.bin', Body: source }));
    const { UploadId } = await sbx.admin.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: 'mp/copied.bin' }));
    const part = await sbx.admin.send(new UploadPartCopyCommand({
      Bucket: BUCKET, Key: 'mp/copied.bin', UploadId, PartNumber: 1, CopySource: `${BUCKET}/mp/source.bin`, CopySourceRange: 'bytes=1024-2047',
    }));
    expect(part.CopyPartResult?.ETag).toBe(`"${md5Hex(source.subarray(1024, 2048))}"`);
    await sbx.admin.send(new CompleteMultipartUploadCommand({
      Bucket: BUCKET, Key: 'mp/copied.bin', UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.CopyPartResult?.ETag }] },
    }));
    const got = await sbx.admin.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'mp/copied.bin' }));
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(source.subarray(1024, 2048))).toBe(true);
  });
});
