// Independent check of what a tool left on the server: lists a prefix with the AWS SDK
// (outside any timed run) and compares keys, sizes and single-part ETags (= MD5).
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';

export function s3Client(info) {
  return new S3Client({
    endpoint: info.s3Endpoint,
    region: info.region,
    forcePathStyle: true,
    credentials: { accessKeyId: info.adminAccessKeyId, secretAccessKey: info.adminSecretAccessKey },
  });
}

/** Every object under `prefix` (folder markers ending in "/" excluded): relative key → { etag, size }. */
export async function listPrefix(client, bucket, prefix) {
  const out = new Map();
  let token;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const o of page.Contents ?? []) {
      if (o.Key.endsWith('/')) continue;
      out.set(o.Key.slice(prefix.length), { etag: (o.ETag ?? '').replaceAll('"', ''), size: o.Size });
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  return out;
}

/**
 * Compares the prefix with the expected files (relative path → MD5).
 * @returns {Promise<{ ok: boolean, detail: string }>}
 */
export async function verifyTree(client, bucket, prefix, expected) {
  const actual = await listPrefix(client, bucket, prefix);
  let missing = 0;
  let stale = 0;
  for (const [rel, md5] of expected) {
    const o = actual.get(rel);
    if (o === undefined) missing++;
    else if (o.etag !== md5) stale++;
  }
  const extra = [...actual.keys()].filter((k) => !expected.has(k)).length;
  const ok = missing === 0 && stale === 0;
  const detail = ok
    ? `${expected.size} objects match${extra > 0 ? ` (+${extra} other keys)` : ''}`
    : `${missing} missing, ${stale} with old content, ${extra} other keys`;
  return { ok, detail, extra };
}

/** Checks that one object exists with the given size. */
export async function verifyObjectSize(client, bucket, key, size) {
  const actual = await listPrefix(client, bucket, key);
  const o = actual.get('');
  if (o === undefined) return { ok: false, detail: `${key} missing` };
  if (o.size !== size) return { ok: false, detail: `${key} has ${o.size} bytes, expected ${size}` };
  return { ok: true, detail: `${size} bytes on the server` };
}
