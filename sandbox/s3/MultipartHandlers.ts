/**
 * MultipartHandlers: the multipart upload API — CreateMultipartUpload,
 * UploadPart, UploadPartCopy, ListParts, ListMultipartUploads,
 * CompleteMultipartUpload and AbortMultipartUpload. Part bodies stream to temp
 * files like PutObject; validation of the final part list lives in MultipartStore.
 */
import { parseRange, writePrecondition } from './Conditions.js';
import { compareUtf8 } from './KeyIndex.js';
import { MAX_PART_NUMBER, type CompletedPart } from './MultipartStore.js';
import { checksumHeaders, contentTypeFrom, copyBytes, openCopySource, requireKey, systemMetadataFrom, userMetadataFrom } from './ObjectHandlers.js';
import { declaredLength, drainBody, receiveBody, receiveSmallBody } from './RequestBody.js';
import { s3Error } from './S3Error.js';
import { header, isoDate, sendEmpty, sendXml, type S3Context } from './S3Context.js';
import { childrenNamed, childText, parseXml } from './Xml.js';

const MAX_PART_SIZE = 5 * 1024 ** 3;

function owner(accessKeyId: string) {
  return { ID: accessKeyId, DisplayName: accessKeyId };
}

function requireBucket(ctx: S3Context): string {
  const bucket = ctx.bucket ?? '';
  if (!ctx.services.store.hasBucket(bucket)) throw s3Error('NoSuchBucket', undefined, { BucketName: bucket });
  return bucket;
}

function partNumberFrom(ctx: S3Context): number {
  const raw = ctx.query.get('partNumber') ?? '';
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < 1 || n > MAX_PART_NUMBER) {
    throw s3Error('InvalidArgument', 'Part number must be an integer between 1 and 10000, inclusive', { ArgumentName: 'partNumber', ArgumentValue: raw });
  }
  return n;
}

export async function createMultipartUpload(ctx: S3Context): Promise<void> {
  const key = requireKey(ctx);
  ctx.services.policy.authorize(ctx.auth.credential, 's3:PutObject', ctx.bucket, key);
  const bucket = requireBucket(ctx);
  await drainBody(ctx.req);
  const record = await ctx.services.multipart.create(bucket, {
    key,
    contentType: contentTypeFrom(ctx.req),
    userMetadata: userMetadataFrom(ctx.req),
    systemMetadata: systemMetadataFrom(ctx.req),
    initiator: ctx.auth.credential.accessKeyId,
  });
  const algorithm = header(ctx, 'x-amz-checksum-algorithm');
  sendXml(ctx, 200, 'InitiateMultipartUploadResult', { Bucket: bucket, Key: key, UploadId: record.uploadId },
    algorithm === undefined ? {} : { 'x-amz-checksum-algorithm': algorithm });
}

export async function uploadPart(ctx: S3Context): Promise<void> {
  const key = requireKey(ctx);
  ctx.services.policy.authorize(ctx.auth.credential, 's3:PutObject', ctx.bucket, key);
  const bucket = requireBucket(ctx);
  const partNumber = partNumberFrom(ctx);
  const { multipart } = ctx.services;
  const upload = multipart.get(bucket, key, ctx.query.get('uploadId') ?? '');
  if (header(ctx, 'x-amz-copy-source') !== undefined) return uploadPartCopy(ctx, upload, partNumber);
  const length = declaredLength(ctx.req, ctx.auth);
  if (length === undefined) throw s3Error('MissingContentLength');
  if (length > MAX_PART_SIZE) throw s3Error('EntityTooLarge');
  const temp = await multipart.createPartTemp(upload);
  try {
    const body = await receiveBody(ctx.req, ctx.auth, (chunk) => temp.write(chunk), { maxBytes: MAX_PART_SIZE });
    await temp.seal();
    const part = await multipart.commitPart(upload, partNumber, temp, {
      etag: `"${body.md5.toString('hex')}"`,
      size: body.size,
      checksums: body.checksums,
    });
    sendEmpty(ctx, 200, { ETag: part.etag, ...checksumHeaders(body.checksums) });
  } catch (err) {
    await temp.discard();
    throw err;
  }
}

async function uploadPartCopy(ctx: S3Context, upload: ReturnType<S3Context['services']['multipart']['get']>, partNumber: number): Promise<void> {
  const { multipart } = ctx.services;
  const source = await openCopySource(ctx);
  try {
    const rangeHeader = header(ctx, 'x-amz-copy-source-range');
    const range = rangeHeader === undefined ? undefined : parseRange(rangeHeader, source.record.size);
    if (rangeHeader !== undefined && !range) throw s3Error('InvalidArgument', 'The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy', { ArgumentName: 'x-amz-copy-source-range' });
    const start = range?.start ?? 0;
    const length = range ? range.end - range.start + 1 : source.record.size;
    await drainBody(ctx.req);
    const temp = await multipart.createPartTemp(upload);
    try {
      const md5 = await copyBytes(source.file, start, length, (chunk) => temp.write(chunk));
      await temp.seal();
      const part = await multipart.commitPart(upload, partNumber, temp, { etag: `"${md5.toString('hex')}"`, size: length, checksums: {} });
      sendXml(ctx, 200, 'CopyPartResult', { LastModified: isoDate(part.lastModified), ETag: part.etag });
    } catch (err) {
      await temp.discard();
      throw err;
    }
  } finally {
    await source.file.close().catch(() => undefined);
  }
}

export function listParts(ctx: S3Context): void {
  const key = requireKey(ctx);
  ctx.services.policy.authorize(ctx.auth.credential, 's3:ListMultipartUploadParts', ctx.bucket, key);
  const bucket = requireBucket(ctx);
  const upload = ctx.services.multipart.get(bucket, key, ctx.query.get('uploadId') ?? '');
  const maxParts = Math.min(Number(ctx.query.get('max-parts') ?? 1000) || 1000, 1000);
  const marker = Number(ctx.query.get('part-number-marker') ?? 0) || 0;
  const all = ctx.services.multipart.listParts(upload).filter((p) => p.partNumber > marker);
  const parts = all.slice(0, maxParts);
  const truncated = all.length > parts.length;
  sendXml(ctx, 200, 'ListPartsResult', {
    Bucket: bucket,
    Key: key,
    UploadId: upload.record.uploadId,
    Initiator: owner(upload.record.initiator),
    Owner: owner(upload.record.initiator),
    StorageClass: 'STANDARD',
    PartNumberMarker: marker,
    NextPartNumberMarker: parts.length > 0 ? parts[parts.length - 1]?.partNumber : undefined,
    MaxParts: maxParts,
    IsTruncated: truncated,
    Part: parts.map((p) => ({ PartNumber: p.partNumber, LastModified: isoDate(p.lastModified), ETag: p.etag, Size: p.size })),
  });
}

export function listMultipartUploads(ctx: S3Context): void {
  const prefix = ctx.query.get('prefix') ?? '';
  ctx.services.policy.authorize(ctx.auth.credential, 's3:ListBucketMultipartUploads', ctx.bucket, prefix);
  const bucket = requireBucket(ctx);
  const maxUploads = Math.min(Number(ctx.query.get('max-uploads') ?? 1000) || 1000, 1000);
  const keyMarker = ctx.query.get('key-marker') ?? '';
  const uploadIdMarker = ctx.query.get('upload-id-marker') ?? '';
  const all = ctx.services.multipart.listUploads(bucket)
    .filter((u) => u.key.startsWith(prefix))
    .sort((a, b) => compareUtf8(a.key, b.key) || a.initiated - b.initiated || (a.uploadId < b.uploadId ? -1 : 1))
    .filter((u) => {
      if (keyMarker === '') return true;
      const order = compareUtf8(u.key, keyMarker);
      // With an upload-id-marker, later uploads of the marker key are included (S3 semantics).
      return order > 0 || (order === 0 && uploadIdMarker !== '' && u.uploadId > uploadIdMarker);
    });
  const uploads = all.slice(0, maxUploads);
  const truncated = all.length > uploads.length;
  const last = uploads[uploads.length - 1];
  sendXml(ctx, 200, 'ListMultipartUploadsResult', {
    Bucket: bucket,
    KeyMarker: keyMarker,
    UploadIdMarker: uploadIdMarker,
    NextKeyMarker: truncated ? last?.key : undefined,
    NextUploadIdMarker: truncated ? last?.uploadId : undefined,
    Prefix: prefix,
    MaxUploads: maxUploads,
    IsTruncated: truncated,
    Upload: uploads.map((u) => ({
      Key: u.key,
      UploadId: u.uploadId,
      Initiator: owner(u.initiator),
      Owner: owner(u.initiator),
      StorageClass: 'STANDARD',
      Initiated: isoDate(u.initiated),
    })),
  });
}

export async function completeMultipartUpload(ctx: S3Context): Promise<void> {
  const key = requireKey(ctx);
  ctx.services.policy.authorize(ctx.auth.credential, 's3:PutObject', ctx.bucket, key);
  const bucket = requireBucket(ctx);
  const { multipart } = ctx.services;
  const upload = multipart.get(bucket, key, ctx.query.get('uploadId') ?? '');
  const precondition = writePrecondition(header(ctx, 'if-match'), header(ctx, 'if-none-match'));
  const { body } = await receiveSmallBody(ctx.req, ctx.auth);
  const root = parseXml(body.toString('utf8'));
  if (root.name !== 'CompleteMultipartUpload') throw s3Error('MalformedXML');
  const parts: CompletedPart[] = childrenNamed(root, 'Part').map((part) => {
    const number = childText(part, 'PartNumber')?.trim() ?? '';
    const etag = childText(part, 'ETag');
    if (!/^\d+$/.test(number) || etag === undefined) throw s3Error('MalformedXML');
    return { partNumber: Number(number), etag };
  });
  const record = await multipart.complete(upload, parts, precondition);
  const host = header(ctx, 'host') ?? '127.0.0.1';
  sendXml(ctx, 200, 'CompleteMultipartUploadResult', {
    Location: `http://${host}/${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`,
    Bucket: bucket,
    Key: key,
    ETag: record.etag,
  });
}

export async function abortMultipartUpload(ctx: S3Context): Promise<void> {
  const key = requireKey(ctx);
  ctx.services.policy.authorize(ctx.auth.credential, 's3:AbortMultipartUpload', ctx.bucket, key);
  const bucket = requireBucket(ctx);
  const upload = ctx.services.multipart.get(bucket, key, ctx.query.get('uploadId') ?? '');
  await ctx.services.multipart.abort(upload);
  sendEmpty(ctx, 204);
}
