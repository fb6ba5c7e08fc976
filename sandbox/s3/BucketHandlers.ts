/**
 * BucketHandlers: service- and bucket-level operations — ListBuckets,
 * CreateBucket, HeadBucket, DeleteBucket, GetBucketLocation,
 * GetBucketVersioning, ListObjects (v1) and ListObjectsV2 (pagination,
 * delimiter roll-up, start-after, encoding-type=url) and DeleteObjects.
 * Listings read only the in-memory index.
 */
import { writePrecondition } from './Conditions.js';
import { s3Error } from './S3Error.js';
import { isoDate, header, sendEmpty, sendXml, type S3Context } from './S3Context.js';
import { receiveSmallBody } from './RequestBody.js';
import { childrenNamed, childText, parseXml, xmlText, type XmlObject } from './Xml.js';
import type { ObjectRecord } from './ObjectStore.js';

const OWNER = { ID: 'sandbox-owner', DisplayName: 'sandbox' };

function bucketName(ctx: S3Context): string {
  return ctx.bucket ?? '';
}

function requireBucket(ctx: S3Context): string {
  const bucket = bucketName(ctx);
  if (!ctx.services.store.hasBucket(bucket)) throw s3Error('NoSuchBucket', undefined, { BucketName: bucket });
  return bucket;
}

export function listBuckets(ctx: S3Context): void {
  ctx.services.policy.authorize(ctx.auth.credential, 's3:ListAllMyBuckets');
  sendXml(ctx, 200, 'ListAllMyBucketsResult', {
    Owner: OWNER,
    Buckets: {
      Bucket: ctx.services.store.listBuckets().map((b) => ({ Name: b.name, CreationDate: isoDate(b.createdAt) })),
    },
  });
}

export async function createBucket(ctx: S3Context): Promise<void> {
  ctx.services.policy.authorize(ctx.auth.credential, 's3:CreateBucket', bucketName(ctx));
  const { body } = await receiveSmallBody(ctx.req, ctx.auth);
  if (body.length > 0) {
    const constraint = childText(parseXml(body.toString('utf8')), 'LocationConstraint');
    // AWS refuses a location other than the endpoint's own region.
    if (constraint !== undefined && constraint !== '' && constraint !== ctx.services.region) {
      throw s3Error('InvalidArgument', 'The specified location-constraint is not valid', { ArgumentName: 'LocationConstraint', ArgumentValue: constraint });
    }
  }
  const created = await ctx.services.store.createBucket(bucketName(ctx));
  // us-east-1 answers 200 to a repeated create by the owner, other regions 409.
  if (!created && ctx.services.region !== 'us-east-1') throw s3Error('BucketAlreadyOwnedByYou', undefined, { BucketName: bucketName(ctx) });
  sendEmpty(ctx, 200, { Location: `/${bucketName(ctx)}` });
}

export function headBucket(ctx: S3Context): void {
  ctx.services.policy.authorize(ctx.auth.credential, 's3:ListBucket', bucketName(ctx));
  requireBucket(ctx);
  sendEmpty(ctx, 200, { 'x-amz-bucket-region': ctx.services.region });
}

export async function deleteBucket(ctx: S3Context): Promise<void> {
  ctx.services.policy.authorize(ctx.auth.credential, 's3:DeleteBucket', bucketName(ctx));
  const bucket = requireBucket(ctx);
  await ctx.services.store.deleteBucket(bucket, ctx.services.multipart.hasUploads(bucket));
  sendEmpty(ctx, 204);
}

export function getBucketLocation(ctx: S3Context): void {
  ctx.services.policy.authorize(ctx.auth.credential, 's3:GetBucketLocation', bucketName(ctx));
  requireBucket(ctx);
  // us-east-1 is reported as an empty LocationConstraint, as AWS does.
  const region = ctx.services.region === 'us-east-1' ? '' : ctx.services.region;
  const payload = Buffer.from(xmlText('LocationConstraint', region), 'utf8');
  ctx.res.writeHead(200, { 'Content-Type': 'application/xml', 'Content-Length': String(payload.length) });
  ctx.res.end(payload);
}

export function getBucketVersioning(ctx: S3Context): void {
  ctx.services.policy.authorize(ctx.auth.credential, 's3:GetBucketVersioning', bucketName(ctx));
  requireBucket(ctx);
  sendXml(ctx, 200, 'VersioningConfiguration', {});
}

/**
 * S3's encoding-type=url: percent-encode like a query string, space as `+`,
 * `/` kept. Clients decode it with unquote_plus / QueryUnescape.
 */
export function urlEncodeKey(text: string): string {
  return encodeURIComponent(text)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%2F/g, '/')
    .replace(/%20/g, '+');
}

function maxKeysFrom(ctx: S3Context, name: string): number {
  const raw = ctx.query.get(name);
  if (raw === undefined) return 1000;
  if (!/^-?\d+$/.test(raw) || Number(raw) < 0) throw s3Error('InvalidArgument', `Provided ${name} not an integer or within integer range`, { ArgumentName: name, ArgumentValue: raw });
  return Math.min(Number(raw), 1000);
}

function encodingFrom(ctx: S3Context): ((s: string) => string) {
  const encoding = ctx.query.get('encoding-type');
  if (encoding === undefined) return (s) => s;
  if (encoding !== 'url') throw s3Error('InvalidArgument', 'Invalid Encoding Method specified in Request', { ArgumentName: 'encoding-type', ArgumentValue: encoding });
  return urlEncodeKey;
}

function contentsOf(records: readonly ObjectRecord[], encode: (s: string) => string, withOwner: boolean): XmlObject[] {
  return records.map((r) => ({
    Key: encode(r.key),
    LastModified: isoDate(r.lastModified),
    ETag: r.etag,
    Size: r.size,
    ...(withOwner ? { Owner: OWNER } : {}),
    StorageClass: 'STANDARD',
  }));
}

export function listObjectsV2(ctx: S3Context): void {
  const prefix = ctx.query.get('prefix') ?? '';
  ctx.services.policy.authorize(ctx.auth.credential, 's3:ListBucket', bucketName(ctx), prefix);
  const bucket = requireBucket(ctx);
  const delimiter = ctx.query.get('delimiter') || undefined;
  const maxKeys = maxKeysFrom(ctx, 'max-keys');
  const encode = encodingFrom(ctx);
  const token = ctx.query.get('continuation-token');
  const startAfter = ctx.query.get('start-after');
  let after = startAfter || undefined;
  if (token !== undefined) after = decodeToken(token);
  const page = ctx.services.store.list(bucket, { prefix, delimiter, after, maxKeys });
  sendXml(ctx, 200, 'ListBucketResult', {
    Name: bucket,
    Prefix: encode(prefix),
    Delimiter: delimiter === undefined ? undefined : encode(delimiter),
    MaxKeys: maxKeys,
    EncodingType: ctx.query.get('encoding-type'),
    KeyCount: page.contents.length + page.commonPrefixes.length,
    IsTruncated: page.isTruncated,
    ContinuationToken: token,
    NextContinuationToken: page.isTruncated && page.last !== undefined ? encodeToken(page.last) : undefined,
    StartAfter: startAfter === undefined ? undefined : encode(startAfter),
    Contents: contentsOf(page.contents, encode, ctx.query.get('fetch-owner') === 'true'),
    CommonPrefixes: page.commonPrefixes.map((p) => ({ Prefix: encode(p) })),
  });
}

export function listObjectsV1(ctx: S3Context): void {
  const prefix = ctx.query.get('prefix') ?? '';
  ctx.services.policy.authorize(ctx.auth.credential, 's3:ListBucket', bucketName(ctx), prefix);
  const bucket = requireBucket(ctx);
  const delimiter = ctx.query.get('delimiter') || undefined;
  const maxKeys = maxKeysFrom(ctx, 'max-keys');
  const encode = encodingFrom(ctx);
  const marker = ctx.query.get('marker') ?? '';
  const page = ctx.services.store.list(bucket, { prefix, delimiter, after: marker || undefined, maxKeys });
  sendXml(ctx, 200, 'ListBucketResult', {
    Name: bucket,
    Prefix: encode(prefix),
    Marker: encode(marker),
    // AWS sends NextMarker only with a delimiter; without one clients continue from the last key.
    NextMarker: page.isTruncated && delimiter !== undefined && page.last !== undefined ? encode(page.last) : undefined,
    MaxKeys: maxKeys,
    Delimiter: delimiter === undefined ? undefined : encode(delimiter),
    IsTruncated: page.isTruncated,
    EncodingType: ctx.query.get('encoding-type'),
    Contents: contentsOf(page.contents, encode, true),
    CommonPrefixes: page.commonPrefixes.map((p) => ({ Prefix: encode(p) })),
  });
}

/** Continuation tokens are opaque to clients; ours carry the last returned entry. */
function encodeToken(last: string): string {
  return Buffer.from(JSON.stringify({ v: 1, after: last }), 'utf8').toString('base64');
}

function decodeToken(token: string): string {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as { v?: number; after?: unknown };
    if (parsed.v === 1 && typeof parsed.after === 'string') return parsed.after;
  } catch {
    // fall through
  }
  throw s3Error('InvalidArgument', 'The continuation token provided is incorrect', { ArgumentName: 'continuation-token' });
}

export async function deleteObjects(ctx: S3Context): Promise<void> {
  const { store, policy } = ctx.services;
  const bucket = requireBucket(ctx);
  const hasIntegrity = header(ctx, 'content-md5') !== undefined
    || Object.keys(ctx.req.headers).some((h) => /^x-amz-checksum-(crc32|crc32c|crc64nvme|sha1|sha256)$/.test(h))
    || (header(ctx, 'x-amz-trailer') ?? '').includes('x-amz-checksum-');
  if (!hasIntegrity) throw s3Error('InvalidRequest', 'Missing required header for this request: Content-MD5 or x-amz-checksum-*');
  const { body } = await receiveSmallBody(ctx.req, ctx.auth);
  const root = parseXml(body.toString('utf8'));
  if (root.name !== 'Delete') throw s3Error('MalformedXML');
  const quiet = childText(root, 'Quiet')?.trim() === 'true';
  const objects = childrenNamed(root, 'Object');
  if (objects.length === 0 || objects.length > 1000) throw s3Error('MalformedXML');
  const deleted: XmlObject[] = [];
  const errors: XmlObject[] = [];
  for (const object of objects) {
    const key = childText(object, 'Key');
    if (key === undefined) throw s3Error('MalformedXML');
    const etag = childText(object, 'ETag');
    if (!policy.isAllowed(ctx.auth.credential, 's3:DeleteObject', bucket, key)) {
      errors.push({ Key: key, Code: 'AccessDenied', Message: 'Access Denied' });
      continue;
    }
    try {
      await store.remove(bucket, key, etag === undefined ? undefined : writePrecondition(etag, undefined));
      if (!quiet) deleted.push({ Key: key });
    } catch (err) {
      const e = err as { code?: string; message?: string };
      errors.push({ Key: key, Code: e.code ?? 'InternalError', Message: e.message ?? 'error' });
    }
  }
  sendXml(ctx, 200, 'DeleteResult', { Deleted: deleted, Error: errors });
}
