import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ListObjectsCommand, ListObjectsV2Command, PutObjectCommand, type ListObjectsV2CommandOutput } from '@aws-sdk/client-s3';
import { BUCKET, identityId, startTestSandbox, type TestSandbox } from './helpers.js';

let sbx: TestSandbox;
const id = identityId();
const pageKeys = Array.from({ length: 250 }, (_, i) => `${id}/page/${String(i).padStart(4, '0')}.txt`);
const oddKeys = [
  `${id}/odd/a b c.txt`,
  `${id}/odd/ünïcødé.txt`,
  `${id}/odd/plus+and%percent.txt`,
  `${id}/odd/colon:inside.txt`,
  `${id}/odd/\u{1F600} emoji.txt`,
  `${id}/odd/\uFF5E fullwidth tilde.txt`,
];

beforeAll(async () => {
  sbx = await startTestSandbox();
  const all = [...pageKeys, ...oddKeys, `${id}/tree/a/1.txt`, `${id}/tree/a/2.txt`, `${id}/tree/b/1.txt`, `${id}/tree/c.txt`, `${id}/tree/d/e/f.txt`];
  // Bounded parallelism keeps setup fast without turning this into the concurrency test.
  for (let i = 0; i < all.length; i += 25) {
    await Promise.all(all.slice(i, i + 25).map((Key) => sbx.admin.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body: Key }))));
  }
});
afterAll(async () => {
  await sbx.dispose();
});

describe('S3 sandbox listing', () => {
  it('pages through 250 keys 100 at a time with continuation tokens, in order', async () => {
    const seen: string[] = [];
    const pages: ListObjectsV2CommandOutput[] = [];
    let token: string | undefined;
    do {
      const page = await sbx.admin.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `${id}/page/`, MaxKeys: 100, ContinuationToken: token }));
      pages.push(page);
      seen.push(...(page.Contents ?? []).map((c) => c.Key!));
      token = page.NextContinuationToken;
    } while (token);
    expect(pages.map((p) => p.KeyCount)).toEqual([100, 100, 50]);
    expect(pages.map((p) => p.IsTruncated)).toEqual([true, true, false]);
    expect(seen).toEqual(pageKeys);
  });

  it('caps max-keys at 1000 and defaults to 1000', async () => {
    const out = await sbx.admin.send(new ListObjectsV2Command({ Bucket: BUCKET, MaxKeys: 5000 }));
    expect(out.MaxKeys).toBe(1000);
    expect(out.KeyCount).toBe(pageKeys.length + oddKeys.length + 5);
    expect(out.IsTruncated).toBe(false);
  });

  it('rolls keys up into CommonPrefixes with a delimiter', async () => {
    const out = await sbx.admin.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `${id}/tree/`, Delimiter: '/' }));
    expect(out.Contents?.map((c) => c.Key)).toEqual([`${id}/tree/c.txt`]);
    expect(out.CommonPrefixes?.map((p) => p.Prefix)).toEqual([`${id}/tree/a/`, `${id}/tree/b/`, `${id}/tree/d/`]);
    expect(out.KeyCount).toBe(4);
  });

  it('pages over common prefixes without repeating them', async () => {
    const first = await sbx.admin.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `${id}/tree/`, Delimiter: '/', MaxKeys: 1 }));
    expect(first.CommonPrefixes?.map((p) => p.Prefix)).toEqual([`${id}/tree/a/`]);
    const second = await sbx.admin.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `${id}/tree/`, Delimiter: '/', MaxKeys: 2, ContinuationToken: first.NextContinuationToken }));
    expect(second.CommonPrefixes?.map((p) => p.Prefix)).toEqual([`${id}/tree/b/`]);
    expect(second.Contents?.map((c) => c.Key)).toEqual([`${id}/tree/c.txt`]);
    expect(second.IsTruncated).toBe(true);
  });

  it('starts after a given key with StartAfter', async () => {
    const out = await sbx.admin.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `${id}/page/`, StartAfter: pageKeys[246] }));
    expect(out.Contents?.map((c) => c.Key)).toEqual(pageKeys.slice(247));
    expect(out.StartAfter).toBe(pageKeys[246]);
  });

  it('round-trips keys with spaces, unicode, plus, percent and colons, sorted by UTF-8 bytes', async () => {
    const out = await sbx.admin.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `${id}/odd/` }));
    const expected = [...oddKeys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    expect(out.Contents?.map((c) => c.Key)).toEqual(expected);
  });

  it('URL-encodes keys with encoding-type=url (space as +, / kept)', async () => {
    const out = await sbx.admin.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `${id}/odd/a`, EncodingType: 'url' }));
    expect(out.EncodingType).toBe('url');
    const key = out.Contents?.[0]?.Key ?? '';
    expect(key).toBe(`${encodeURIComponent(id)}/odd/a+b+c.txt`);
    expect(decodeURIComponent(key.replace(/\+/g, ' '))).toBe(`${id}/odd/a b c.txt`);
  });

  it('lists with ListObjects v1, marker and NextMarker when a delimiter is given', async () => {
    const first = await sbx.admin.send(new ListObjectsCommand({ Bucket: BUCKET, Prefix: `${id}/tree/`, Delimiter: '/', MaxKeys: 2 }));
    expect(first.CommonPrefixes?.map((p) => p.Prefix)).toEqual([`${id}/tree/a/`, `${id}/tree/b/`]);
    expect(first.IsTruncated).toBe(true);
    expect(first.NextMarker).toBe(`${id}/tree/b/`);
    const second = await sbx.admin.send(new ListObjectsCommand({ Bucket: BUCKET, Prefix: `${id}/tree/`, Delimiter: '/', Marker: first.NextMarker }));
    expect(second.Contents?.map((c) => c.Key)).toEqual([`${id}/tree/c.txt`]);
    expect(second.CommonPrefixes?.map((p) => p.Prefix)).toEqual([`${id}/tree/d/`]);
    const flat = await sbx.admin.send(new ListObjectsCommand({ Bucket: BUCKET, Prefix: `${id}/page/`, MaxKeys: 10, Marker: pageKeys[9] }));
    expect(flat.Contents?.map((c) => c.Key)).toEqual(pageKeys.slice(10, 20));
    expect(flat.NextMarker).toBeUndefined();
  });

  it('reports size, ETag and last-modified of each key', async () => {
    const out = await sbx.admin.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `${id}/tree/c.txt` }));
    const entry = out.Contents?.[0];
    expect(entry?.Size).toBe(Buffer.byteLength(`${id}/tree/c.txt`));
    expect(entry?.ETag).toMatch(/^"[0-9a-f]{32}"$/);
    expect(entry?.LastModified).toBeInstanceOf(Date);
    expect(entry?.StorageClass).toBe('STANDARD');
  });
});
