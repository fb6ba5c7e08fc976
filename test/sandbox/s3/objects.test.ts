import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CopyObjectCommand, DeleteObjectCommand, DeleteObjectsCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { crc32 } from 'node:zlib';
import { BUCKET, md5Hex, startTestSandbox, type TestSandbox } from './helpers.js';

let sbx: TestSandbox;

function crc32Base64(data: Buffer): string {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(crc32(data));
  return out.toString('base64');
}

beforeAll(async () => {
  sbx = await startTestSandbox();
});
afterAll(async () => {
  await sbx.dispose();
});

async function put(key: string, body: string | Buffer | Readable, extra: Record<string, unknown> = {}) {
  return sbx.admin.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body, ...extra }));
}

async function getText(key: string, extra: Record<string, unknown> = {}) {
  const out = await sbx.admin.send(new GetObjectCommand({ Bucket: BUCKET, Key: key, ...extra }));
  return { out, text: await out.Body!.transformToString() };
}

async function s3ErrorOf(promise: Promise<unknown>): Promise<S3ServiceException> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof S3ServiceException) return err;
    throw err;
  }
  throw new Error('expected the request to fail');
}

describe('S3 sandbox objects', () => {
  it('stores an object and returns the quoted MD5 ETag, type and user metadata', async () => {
    const body = 'hello sandbox';
    const put1 = await put('docs/hello.txt', body, { ContentType: 'text/plain', Metadata: { mtime: '1700000000', author: 'ada' } });
    expect(put1.ETag).toBe(`"${md5Hex(Buffer.from(body))}"`);
    const { out, text } = await getText('docs/hello.txt');
    expect(text).toBe(body);
    expect(out.ETag).toBe(put1.ETag);
    expect(out.ContentType).toBe('text/plain');
    expect(out.ContentLength).toBe(body.length);
    expect(out.Metadata).toEqual({ mtime: '1700000000', author: 'ada' });
    expect(out.LastModified).toBeInstanceOf(Date);
  });

  it('round-trips keys with spaces, unicode, plus, percent and colons exactly', async () => {
    const keys = ['a b/c d.txt', 'ünïcødé/日本語 ファイル.txt', 'plus+sign.txt', '100% done.txt', 'us-east-1:abc/x:y.txt', 'emoji 😀.txt', 'q?and#hash&amp=.txt'];
    for (const key of keys) {
      await put(key, `content of ${key}`);
      const { text } = await getText(key);
      expect(text).toBe(`content of ${key}`);
      const head = await sbx.admin.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
      expect(head.ContentLength).toBe(Buffer.byteLength(`content of ${key}`));
    }
  });

  it('answers a missing key with 404 NoSuchKey', async () => {
    const err = await s3ErrorOf(getText('does/not/exist'));
    expect(err.name).toBe('NoSuchKey');
    expect(err.$metadata.httpStatusCode).toBe(404);
    expect(err.$response?.headers['x-amz-request-id']).toBeTruthy();
  });

  it('serves byte ranges a-b, a- and -n with 206 and Content-Range', async () => {
    await put('range.txt', '0123456789');
    const a = await getText('range.txt', { Range: 'bytes=2-5' });
    expect(a.text).toBe('2345');
    expect(a.out.ContentRange).toBe('bytes 2-5/10');
    expect(a.out.$metadata.httpStatusCode).toBe(206);
    expect((await getText('range.txt', { Range: 'bytes=7-' })).text).toBe('789');
    expect((await getText('range.txt', { Range: 'bytes=-3' })).text).toBe('789');
    expect((await getText('range.txt', { Range: 'bytes=8-100' })).text).toBe('89');
    const err = await s3ErrorOf(getText('range.txt', { Range: 'bytes=10-12' }));
    expect(err.name).toBe('InvalidRange');
    expect(err.$metadata.httpStatusCode).toBe(416);
  });

  it('evaluates conditional reads: If-Match → 412, If-None-Match → 304, If-Modified-Since → 304', async () => {
    const { ETag } = await put('cond-read.txt', 'v1');
    expect((await getText('cond-read.txt', { IfMatch: ETag })).text).toBe('v1');
    const stale = await s3ErrorOf(getText('cond-read.txt', { IfMatch: '"0123456789abcdef0123456789abcdef"' }));
    expect(stale.$metadata.httpStatusCode).toBe(412);
    const notModified = await s3ErrorOf(sbx.admin.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'cond-read.txt', IfNoneMatch: ETag })));
    expect(notModified.$metadata.httpStatusCode).toBe(304);
    const since = await s3ErrorOf(sbx.admin.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'cond-read.txt', IfModifiedSince: new Date(Date.now() + 60_000) })));
    expect(since.$metadata.httpStatusCode).toBe(304);
  });

  it('refuses If-None-Match: * on an existing key with 412 PreconditionFailed', async () => {
    await put('cond-write.txt', 'first', { IfNoneMatch: '*' });
    const err = await s3ErrorOf(put('cond-write.txt', 'second', { IfNoneMatch: '*' }));
    expect(err.$metadata.httpStatusCode).toBe(412);
    expect(err.name).toBe('PreconditionFailed');
    expect((await getText('cond-write.txt')).text).toBe('first');
  });

  it('writes with If-Match only when the ETag is current', async () => {
    const v1 = await put('cas.txt', 'v1');
    const v2 = await put('cas.txt', 'v2', { IfMatch: v1.ETag });
    expect(v2.$metadata.httpStatusCode).toBe(200);
    const stale = await s3ErrorOf(put('cas.txt', 'v3', { IfMatch: v1.ETag }));
    expect(stale.$metadata.httpStatusCode).toBe(412);
    expect((await getText('cas.txt')).text).toBe('v2');
    const missing = await s3ErrorOf(put('cas-missing.txt', 'x', { IfMatch: v1.ETag }));
    expect(missing.$metadata.httpStatusCode).toBe(404);
    expect(missing.name).toBe('NoSuchKey');
  });

  it('rejects a body whose Content-MD5 does not match with 400 BadDigest', async () => {
    const wrong = createHash('md5').update('something else').digest('base64');
    const err = await s3ErrorOf(put('bad-digest.txt', 'actual body', { ContentMD5: wrong }));
    expect(err.name).toBe('BadDigest');
    expect(err.$metadata.httpStatusCode).toBe(400);
    expect((await s3ErrorOf(getText('bad-digest.txt'))).name).toBe('NoSuchKey');
    const right = createHash('md5').update('actual body').digest('base64');
    await put('bad-digest.txt', 'actual body', { ContentMD5: right });
  });

  it('copies an object, keeping metadata with COPY and replacing it with REPLACE', async () => {
    await put('copy/src file.txt', 'copy me', { ContentType: 'text/x-src', Metadata: { origin: 'src' } });
    const copied = await sbx.admin.send(new CopyObjectCommand({ Bucket: BUCKET, Key: 'copy/dst one.txt', CopySource: `${BUCKET}/${encodeURIComponent('copy/src file.txt')}` }));
    expect(copied.CopyObjectResult?.ETag).toBe(`"${md5Hex(Buffer.from('copy me'))}"`);
    const one = await getText('copy/dst one.txt');
    expect(one.text).toBe('copy me');
    expect(one.out.Metadata).toEqual({ origin: 'src' });
    expect(one.out.ContentType).toBe('text/x-src');
    await sbx.admin.send(new CopyObjectCommand({
      Bucket: BUCKET, Key: 'copy/dst two.txt', CopySource: `${BUCKET}/${encodeURIComponent('copy/src file.txt')}`,
      MetadataDirective: 'REPLACE', Metadata: { origin: 'replaced' }, ContentType: 'text/plain',
    }));
    const two = await getText('copy/dst two.txt');
    expect(two.out.Metadata).toEqual({ origin: 'replaced' });
    expect(two.out.ContentType).toBe('text/plain');
  });

  it('deletes with 204 whether or not the key exists', async () => {
    await put('del/one.txt', '1');
    const a = await sbx.admin.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'del/one.txt' }));
    expect(a.$metadata.httpStatusCode).toBe(204);
    const b = await sbx.admin.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'del/one.txt' }));
    expect(b.$metadata.httpStatusCode).toBe(204);
    expect((await s3ErrorOf(getText('del/one.txt'))).name).toBe('NoSuchKey');
  });

  it('deletes many keys with DeleteObjects, reporting each, and nothing in Quiet mode', async () => {
    for (const k of ['bulk/a', 'bulk/b c', 'bulk/ü']) await put(k, k);
    const out = await sbx.admin.send(new DeleteObjectsCommand({
      Bucket: BUCKET,
      Delete: { Objects: [{ Key: 'bulk/a' }, { Key: 'bulk/b c' }, { Key: 'bulk/never-existed' }] },
    }));
    expect(out.Deleted?.map((d) => d.Key).sort()).toEqual(['bulk/a', 'bulk/b c', 'bulk/never-existed']);
    expect(out.Errors ?? []).toEqual([]);
    const quiet = await sbx.admin.send(new DeleteObjectsCommand({ Bucket: BUCKET, Delete: { Objects: [{ Key: 'bulk/ü' }], Quiet: true } }));
    expect(quiet.Deleted ?? []).toEqual([]);
    expect((await s3ErrorOf(getText('bulk/ü'))).name).toBe('NoSuchKey');
  });

  it('decodes aws-chunked bodies with trailing checksums (SDK streaming uploads)', async () => {
    const data = Buffer.concat(Array.from({ length: 40 }, (_, i) => Buffer.alloc(32 * 1024, i)));
    const out = await put('stream/chunked.bin', Readable.from([data.subarray(0, 500_000), data.subarray(500_000)]), { ContentLength: data.length });
    expect(out.ETag).toBe(`"${md5Hex(data)}"`);
    expect(out.ChecksumCRC32).toBe(crc32Base64(data));
    const got = await sbx.admin.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'stream/chunked.bin' }));
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(data)).toBe(true);
  });

  it('rejects a body whose x-amz-checksum-crc32 does not match with 400 BadDigest', async () => {
    const err = await s3ErrorOf(put('bad-crc.txt', 'actual body', { ChecksumCRC32: crc32Base64(Buffer.from('other body')) }));
    expect(err.name).toBe('BadDigest');
    expect((await s3ErrorOf(getText('bad-crc.txt'))).name).toBe('NoSuchKey');
  });

  it('rejects keys longer than 1024 bytes with KeyTooLongError', async () => {
    const err = await s3ErrorOf(put('k'.repeat(1025), 'x'));
    expect(err.name).toBe('KeyTooLongError');
    await put('k'.repeat(1024), 'x');
  });

  it('stores an empty object', async () => {
    const out = await put('empty.txt', Buffer.alloc(0));
    expect(out.ETag).toBe('"d41d8cd98f00b204e9800998ecf8427e"');
    expect((await getText('empty.txt')).text).toBe('');
  });
});
