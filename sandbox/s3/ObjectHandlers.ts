/**
 * ObjectHandlers: single-object operations — GetObject/HeadObject (ranges,
 * conditional reads, response-* overrides), PutObject (streamed to a temp file,
 * Content-MD5 and checksum verification, conditional writes), CopyObject
 * (COPY/REPLACE metadata directive) and DeleteObject. Each checks AccessPolicy
 * before touching the store.
 */
import { createHash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { checkReadConditions, parseRange, writePrecondition, type ByteRange } from './Conditions.js';
import type { ObjectRecord, ObjectStore } from './ObjectStore.js';
import { declaredLength, receiveBody } from './RequestBody.js';
import { s3Error } from './S3Error.js';
import { header, httpDate, isoDate, sendEmpty, sendXml, type S3Context } from './S3Context.js';

/** S3's single-request upload limit. */
export const MAX_PUT_SIZE = 5 * 1024 ** 3;
const SYSTEM_METADATA = ['cache-control', 'content-disposition', 'content-encoding', 'content-language', 'expires'] as const;
const META_PREFIX = 'x-amz-meta-';

export function userMetadataFrom(req: IncomingMessage): Record<string, string> {
  const meta: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (name.startsWith(META_PREFIX) && value !== undefined) {
      meta[name.slice(META_PREFIX.length)] = Array.isArray(value) ? value.join(',') : value;
    }
  }
  return meta;
}

export function systemMetadataFrom(req: IncomingMessage): Record<string, string> {
  const meta: Record<string, string> = {};
  for (const name of SYSTEM_METADATA) {
    let value = header({ req }, name);
    // aws-chunked is a transfer detail of this request, not a property of the object.
    if (name === 'content-encoding' && value !== undefined) {
      value = value.split(',').map((v) => v.trim()).filter((v) => v !== '' && v !== 'aws-chunked').join(',');
    }
    if (value !== undefined && value !== '') meta[name] = value;
  }
  return meta;
}

export function contentTypeFrom(req: IncomingMessage): string {
  return header({ req }, 'content-type') ?? 'binary/octet-stream';
}

/** Validates an object key: non-empty, at most 1024 UTF-8 bytes. */
export function requireKey(ctx: S3Context): string {
  const key = ctx.key;
  if (key === undefined || key === '') throw s3Error('InvalidArgument', 'A key must be specified');
  if (Buffer.byteLength(key, 'utf8') > 1024) throw s3Error('KeyTooLongError');
  return key;
}

export function objectHeaders(record: ObjectRecord): Record<string, string> {
  const headers: Record<string, string> = {
    ETag: record.etag,
    'Last-Modified': httpDate(record.lastModified),
    'Content-Type': record.contentType,
    'Accept-Ranges': 'bytes',
  };
  for (const [name, value] of Object.entries(record.systemMetadata)) headers[name] = value;
  for (const [name, value] of Object.entries(record.userMetadata)) headers[`${META_PREFIX}${name}`] = value;
  return headers;
}

function readConditions(ctx: S3Context, prefix = '') {
  return {
    ifMatch: header(ctx, `${prefix}if-match`),
    ifNoneMatch: header(ctx, `${prefix}if-none-match`),
    ifModifiedSince: header(ctx, `${prefix}if-modified-since`),
    ifUnmodifiedSince: header(ctx, `${prefix}if-unmodified-since`),
  };
}

/**
 * Opens the current data file of a key. An overwrite may unlink the file between
 * the index lookup and the open; the retry then sees the newer record.
 */
export async function openObject(store: ObjectStore, bucket: string, key: string): Promise<{ record: ObjectRecord; file: FileHandle }> {
  for (let attempt = 0; ; attempt++) {
    const record = store.get(bucket, key);
    if (!record) throw s3Error('NoSuchKey', undefined, { Key: key });
    try {
      return { record, file: await open(store.dataPath(bucket, record), 'r') };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || attempt >= 3) throw err;
    }
  }
}

/** Bytes per file read when sending an object's body. */
const GET_READ_BYTES = 1024 * 1024;

const RESPONSE_OVERRIDES: Record<string, string> = {
  'response-content-type': 'Content-Type',
  'response-content-language': 'Content-Language',
  'response-expires': 'Expires',
  'response-cache-control': 'Cache-Control',
  'response-content-disposition': 'Content-Disposition',
  'response-content-encoding': 'Content-Encoding',
};

export async function getObject(ctx: S3Context, head: boolean): Promise<void> {
  const { store, policy } = ctx.services;
  const bucket = ctx.bucket ?? '';
  const key = requireKey(ctx);
  policy.authorize(ctx.auth.credential, 's3:GetObject', bucket, key);
  if (ctx.query.has('partNumber')) throw s3Error('NotImplemented', 'GetObject by partNumber is not implemented by the sandbox.');
  const { record, file } = await openObject(store, bucket, key);
  try {
    checkReadConditions(readConditions(ctx), record);
    const range: ByteRange | undefined = parseRange(header(ctx, 'range'), record.size);
    const headers = objectHeaders(record);
    for (const [param, name] of Object.entries(RESPONSE_OVERRIDES)) {
      const value = ctx.query.get(param);
      if (value !== undefined) headers[name] = value;
    }
    const start = range?.start ?? 0;
    const length = range ? range.end - range.start + 1 : record.size;
    headers['Content-Length'] = String(length);
    if (range) headers['Content-Range'] = `bytes ${range.start}-${range.end}/${record.size}`;
    ctx.res.writeHead(range ? 206 : 200, headers);
    if (head || length === 0) {
      ctx.res.end();
      return;
    }
    // A reset fault sends half the promised bytes, then kills the connection.
    const sendBytes = ctx.fault.reset ? Math.floor(length / 2) : length;
    if (sendBytes > 0) {
      // 1 MiB reads instead of the stream default of 64 KiB: a 512 MiB GET cost the sandbox ≈ 2.4 s of CPU
      // in 8,192 reads and socket writes (and the GCs of their buffers), on cores it shares with the client.
      const stream = file.createReadStream({ start, end: start + sendBytes - 1, autoClose: false, highWaterMark: GET_READ_BYTES });
      await pipeline(stream, ctx.res, { end: !ctx.fault.reset });
    }
    if (ctx.fault.reset) ctx.res.socket?.destroy();
  } finally {
    await file.close().catch(() => undefined);
  }
}

export async function putObject(ctx: S3Context): Promise<void> {
  const { store, policy } = ctx.services;
  const bucket = ctx.bucket ?? '';
  const key = requireKey(ctx);
  policy.authorize(ctx.auth.credential, 's3:PutObject', bucket, key);
  const precondition = writePrecondition(header(ctx, 'if-match'), header(ctx, 'if-none-match'));
  precondition(store.get(bucket, key)); // Fail before the body when the answer is already known.
  const length = declaredLength(ctx.req, ctx.auth);
  if (length === undefined) throw s3Error('MissingContentLength');
  if (length > MAX_PUT_SIZE) throw s3Error('EntityTooLarge', undefined, { ProposedSize: String(length), MaxSizeAllowed: String(MAX_PUT_SIZE) });
  const temp = await store.createTemp(bucket, key);
  try {
    const body = await receiveBody(ctx.req, ctx.auth, (chunk) => temp.write(chunk), { maxBytes: MAX_PUT_SIZE });
    await temp.seal();
    const record = await store.commit(bucket, key, temp, {
      size: body.size,
      etag: `"${body.md5.toString('hex')}"`,
      contentType: contentTypeFrom(ctx.req),
      userMetadata: userMetadataFrom(ctx.req),
      systemMetadata: systemMetadataFrom(ctx.req),
      checksums: body.checksums,
    }, precondition);
    sendEmpty(ctx, 200, { ETag: record.etag, ...checksumHeaders(body.checksums) });
  } catch (err) {
    await temp.discard();
    throw err;
  }
}

export function checksumHeaders(checksums: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(checksums).map(([algorithm, value]) => [`x-amz-checksum-${algorithm}`, value]));
}

/** Parses `x-amz-copy-source` (`[/]bucket/key[?versionId=…]`, URL-encoded). */
export function parseCopySource(ctx: S3Context): { bucket: string; key: string } {
  const raw = header(ctx, 'x-amz-copy-source') ?? '';
  const withoutVersion = raw.split('?versionId=')[0] ?? '';
  let decoded: string;
  try {
    decoded = decodeURIComponent(withoutVersion.replace(/^\//, ''));
  } catch {
    throw s3Error('InvalidArgument', 'Invalid copy source encoding', { ArgumentName: 'x-amz-copy-source' });
  }
  const slash = decoded.indexOf('/');
  if (slash <= 0 || slash === decoded.length - 1) {
    throw s3Error('InvalidArgument', 'Copy Source must mention the source bucket and key: sourcebucket/sourcekey', { ArgumentName: 'x-amz-copy-source' });
  }
  return { bucket: decoded.slice(0, slash), key: decoded.slice(slash + 1) };
}

/**
 * Opens the copy source after the policy and `x-amz-copy-source-if-*` checks
 * (which answer 412 for every failed condition, including the "not modified" ones).
 */
export async function openCopySource(ctx: S3Context): Promise<{ bucket: string; key: string; record: ObjectRecord; file: FileHandle }> {
  const source = parseCopySource(ctx);
  ctx.services.policy.authorize(ctx.auth.credential, 's3:GetObject', source.bucket, source.key);
  const { record, file } = await openObject(ctx.services.store, source.bucket, source.key);
  try {
    checkReadConditions(readConditions(ctx, 'x-amz-copy-source-'), record, true);
  } catch (err) {
    await file.close();
    throw err;
  }
  return { ...source, record, file };
}

/** Copies `length` bytes from `file` at `start` into `write`, returning their MD5. */
export async function copyBytes(file: FileHandle, start: number, length: number, write: (chunk: Buffer) => Promise<void>): Promise<Buffer> {
  const md5 = createHash('md5');
  if (length > 0) {
    for await (const chunk of file.createReadStream({ start, end: start + length - 1, autoClose: false, highWaterMark: 1024 * 1024 })) {
      md5.update(chunk as Buffer);
      await write(chunk as Buffer);
    }
  }
  return md5.digest();
}

export async function copyObject(ctx: S3Context): Promise<void> {
  const { store, policy } = ctx.services;
  const bucket = ctx.bucket ?? '';
  const key = requireKey(ctx);
  policy.authorize(ctx.auth.credential, 's3:PutObject', bucket, key);
  const directive = header(ctx, 'x-amz-metadata-directive') ?? 'COPY';
  if (directive !== 'COPY' && directive !== 'REPLACE') {
    throw s3Error('InvalidArgument', 'Unknown metadata directive.', { ArgumentName: 'x-amz-metadata-directive', ArgumentValue: directive });
  }
  const precondition = writePrecondition(header(ctx, 'if-match'), header(ctx, 'if-none-match'));
  if (!store.hasBucket(bucket)) throw s3Error('NoSuchBucket', undefined, { BucketName: bucket });
  const source = await openCopySource(ctx);
  const temp = await store.createTemp(bucket, key).catch(async (err: unknown) => {
    await source.file.close();
    throw err;
  });
  try {
    if (source.bucket === bucket && source.key === key && directive === 'COPY') {
      throw s3Error('InvalidRequest', 'This copy request is illegal because it is trying to copy an object to itself without changing the object\'s metadata, storage class, website redirect location or encryption attributes.');
    }
    const md5 = await copyBytes(source.file, 0, source.record.size, (chunk) => temp.write(chunk));
    await temp.seal();
    const replace = directive === 'REPLACE';
    const record = await store.commit(bucket, key, temp, {
      size: source.record.size,
      etag: `"${md5.toString('hex')}"`,
      contentType: replace ? contentTypeFrom(ctx.req) : source.record.contentType,
      userMetadata: replace ? userMetadataFrom(ctx.req) : source.record.userMetadata,
      systemMetadata: replace ? systemMetadataFrom(ctx.req) : source.record.systemMetadata,
      checksums: {},
    }, precondition);
    sendXml(ctx, 200, 'CopyObjectResult', { LastModified: isoDate(record.lastModified), ETag: record.etag });
  } catch (err) {
    await temp.discard();
    throw err;
  } finally {
    await source.file.close().catch(() => undefined);
  }
}

export async function deleteObject(ctx: S3Context): Promise<void> {
  const { store, policy } = ctx.services;
  const bucket = ctx.bucket ?? '';
  const key = requireKey(ctx);
  policy.authorize(ctx.auth.credential, 's3:DeleteObject', bucket, key);
  const ifMatch = header(ctx, 'if-match');
  await store.remove(bucket, key, ifMatch === undefined ? undefined : writePrecondition(ifMatch, undefined));
  sendEmpty(ctx, 204); // S3 answers 204 whether or not the key existed.
}
