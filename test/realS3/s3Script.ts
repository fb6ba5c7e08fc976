/**
 * One scripted sequence of S3 requests for the differential test: SigV4
 * failures, ETag forms, conditional writes, multipart, pagination, ranges and
 * metadata. Each step returns a normalised observation — a short string of
 * what matters (status, error code, ETag form and correctness, the headers
 * the engine reads) and nothing that legitimately varies (request IDs, dates,
 * upload IDs, continuation tokens) — so two servers compare step by step.
 */
import { createHash } from 'node:crypto';
import {
  AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CopyObjectCommand, CreateMultipartUploadCommand, DeleteObjectCommand,
  GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client, UploadPartCommand,
} from '@aws-sdk/client-s3';
import type { S3Backend } from '../support/s3Backends.js';

export interface ScriptStep {
  readonly id: string;
  /** What the step sends, for the table. */
  readonly request: string;
  readonly run: (ctx: ScriptContext) => Promise<string>;
}

export interface ScriptContext {
  readonly bucket: string;
  readonly prefix: string;
  readonly client: S3Client;
  readonly endpoint: string;
  /** A client for the same server with other credentials or clock. */
  clientWith(config: { accessKeyId?: string; secretAccessKey?: string; clockOffsetMs?: number }): S3Client;
  /** Values carried between steps (ETags, upload IDs). */
  readonly state: Map<string, string>;
}

const MiB = 1024 * 1024;
const md5 = (data: Buffer | string): string => createHash('md5').update(data).digest('hex');

/** `"md5"`, `md5` (bare), `"md5-2"`, `""` (empty), `absent`, and whether it is the value S3 documents. */
export function etagForm(etag: string | undefined, expected?: string): string {
  if (etag === undefined) return 'absent';
  if (etag === '' || etag === '""') return 'empty';
  const quoted = etag.startsWith('"') && etag.endsWith('"');
  const inner = quoted ? etag.slice(1, -1) : etag;
  const kind = /^[0-9a-f]{32}$/.test(inner) ? 'md5' : /^[0-9a-f]{32}-\d+$/.test(inner) ? `md5-${inner.split('-')[1] ?? ''}` : 'other';
  const form = quoted ? `"${kind}"` : kind;
  return expected === undefined ? form : `${form}${inner === expected ? '' : '(wrong value)'}`;
}

interface ErrorLike {
  readonly name?: string;
  readonly Code?: string;
  readonly $metadata?: { readonly httpStatusCode?: number };
}

/** `<status> <code>` of a refusal; 304 and HEAD answers have no body, so no code. */
function refusal(err: unknown, withCode = true): string {
  const e = (err ?? {}) as ErrorLike;
  const status = e.$metadata?.httpStatusCode;
  if (status === undefined) throw err;
  const code = e.Code ?? e.name;
  return withCode && status !== 304 && code !== undefined ? `${status} ${code}` : `${status}`;
}

/** Runs `request`; its observation on success, the refusal on failure. */
async function observe<T extends { $metadata: { httpStatusCode?: number } }>(request: Promise<T>, describe: (out: T) => string = () => ''): Promise<string> {
  try {
    const out = await request;
    const detail = describe(out);
    return `${out.$metadata.httpStatusCode ?? '?'}${detail === '' ? '' : ` ${detail}`}`;
  } catch (err) {
    return refusal(err);
  }
}

async function exists(ctx: ScriptContext, key: string): Promise<boolean> {
  try {
    await ctx.client.send(new HeadObjectCommand({ Bucket: ctx.bucket, Key: key }));
    return true;
  } catch {
    return false;
  }
}

async function multipart(ctx: ScriptContext, key: string, parts: readonly Buffer[]): Promise<{ uploadId: string; etags: string[] }> {
  const created = await ctx.client.send(new CreateMultipartUploadCommand({ Bucket: ctx.bucket, Key: key }));
  const uploadId = created.UploadId ?? '';
  const etags: string[] = [];
  for (const [i, body] of parts.entries()) {
    const out = await ctx.client.send(new UploadPartCommand({ Bucket: ctx.bucket, Key: key, UploadId: uploadId, PartNumber: i + 1, Body: body }));
    etags.push(out.ETag ?? '');
  }
  return { uploadId, etags };
}

function completeParts(etags: readonly string[]): { Parts: { ETag: string; PartNumber: number }[] } {
  return { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) };
}

const BIG = Buffer.alloc(5 * MiB, 0x61);
const TAIL = Buffer.from('tail');
const MULTIPART_ETAG = `${md5(Buffer.concat([createHash('md5').update(BIG).digest(), createHash('md5').update(TAIL).digest()]))}-2`;
const TEXT = 'hello, differential';

export const SCRIPT: readonly ScriptStep[] = [
  // ── SigV4 ──
  {
    id: 'sigv4-bad-secret', request: 'ListObjectsV2 signed with a wrong secret key',
    run: (ctx) => observe(ctx.clientWith({ secretAccessKey: 'wrong-secret-wrong-secret-wrong-secret00' }).send(new ListObjectsV2Command({ Bucket: ctx.bucket, Prefix: ctx.prefix }))),
  },
  {
    id: 'sigv4-unknown-key', request: 'ListObjectsV2 signed with an unknown access key',
    run: (ctx) => observe(ctx.clientWith({ accessKeyId: 'AKIAUNKNOWNKEY000000' }).send(new ListObjectsV2Command({ Bucket: ctx.bucket, Prefix: ctx.prefix }))),
  },
  {
    id: 'sigv4-skewed-clock', request: 'ListObjectsV2 signed 20 min in the past (no SDK retry)',
    run: (ctx) => observe(ctx.clientWith({ clockOffsetMs: -20 * 60_000 }).send(new ListObjectsV2Command({ Bucket: ctx.bucket, Prefix: ctx.prefix }))),
  },
  {
    id: 'sigv4-anonymous', request: 'unsigned GET ?list-type=2 of the bucket',
    run: async (ctx) => {
      const response = await fetch(`${ctx.endpoint}/${ctx.bucket}?list-type=2&prefix=${encodeURIComponent(ctx.prefix)}`);
      const code = /<Code>([^<]+)<\/Code>/.exec(await response.text())?.[1];
      return `${response.status}${code === undefined ? '' : ` ${code}`}`;
    },
  },
  // ── ETag forms ──
  {
    id: 'put-etag', request: 'PutObject (small)',
    run: (ctx) => observe(ctx.client.send(new PutObjectCommand({ Bucket: ctx.bucket, Key: `${ctx.prefix}a.txt`, Body: TEXT })), (o) => {
      ctx.state.set('a', o.ETag ?? '');
      return `etag=${etagForm(o.ETag, md5(TEXT))}`;
    }),
  },
  {
    id: 'head-etag', request: 'HeadObject',
    run: (ctx) => observe(ctx.client.send(new HeadObjectCommand({ Bucket: ctx.bucket, Key: `${ctx.prefix}a.txt` })),
      (o) => `etag=${etagForm(o.ETag, md5(TEXT))} length=${o.ContentLength ?? '?'} type=${o.ContentType ?? 'none'}`),
  },
  {
    id: 'list-etag', request: 'ListObjectsV2 (ETag and size in the listing)',
    run: (ctx) => observe(ctx.client.send(new ListObjectsV2Command({ Bucket: ctx.bucket, Prefix: `${ctx.prefix}a.txt` })),
      (o) => `etag=${etagForm(o.Contents?.[0]?.ETag, md5(TEXT))} size=${o.Contents?.[0]?.Size ?? '?'}`),
  },
  // ── conditional writes ──
  {
    id: 'put-if-none-match-existing', request: 'PutObject If-None-Match: * on an existing key',
    run: (ctx) => observe(ctx.client.send(new PutObjectCommand({ Bucket: ctx.bucket, Key: `${ctx.prefix}a.txt`, Body: 'x', IfNoneMatch: '*' }))),
  },
  {
    id: 'put-if-none-match-new', request: 'PutObject If-None-Match: * on a new key',
    run: (ctx) => observe(ctx.client.send(new PutObjectCommand({ Bucket: ctx.bucket, Key: `${ctx.prefix}new.txt`, Body: 'new', IfNoneMatch: '*' }))),
  },
  {
    id: 'put-if-match-quoted', request: 'PutObject If-Match: "<current etag>" (quoted, as S3 returns it)',
    run: async (ctx) => {
      const obs = await observe(ctx.client.send(new PutObjectCommand({ Bucket: ctx.bucket, Key: `${ctx.prefix}a.txt`, Body: TEXT, IfMatch: ctx.state.get('a') })));
      return obs;
    },
  },
  {
    id: 'put-if-match-bare', request: 'PutObject If-Match: <current etag> (unquoted)',
    run: (ctx) => observe(ctx.client.send(new PutObjectCommand({ Bucket: ctx.bucket, Key: `${ctx.prefix}a.txt`, Body: TEXT, IfMatch: (ctx.state.get('a') ?? '').replace(/"/g, '') }))),
  },
  {
    id: 'put-if-match-stale', request: 'PutObject If-Match with a stale ETag',
    run: (ctx) => observe(ctx.client.send(new PutObjectCommand({ Bucket: ctx.bucket, Key: `${ctx.prefix}a.txt`, Body: 'stale', IfMatch: `"${md5('old')}"` }))),
  },
  {
    id: 'put-if-match-missing-key', request: 'PutObject If-Match on a key that does not exist',
    run: (ctx) => observe(ctx.client.send(new PutObjectCommand({ Bucket: ctx.bucket, Key: `${ctx.prefix}none.txt`, Body: 'x', IfMatch: `"${md5('old')}"` }))),
  },
  {
    id: 'put-if-match-star', request: 'PutObject If-Match: * on an existing key',
    run: (ctx) => observe(ctx.client.send(new PutObjectCommand({ Bucket: ctx.bucket, Key: `${ctx.prefix}a.txt`, Body: TEXT, IfMatch: '*' }))),
  },
  {
    id: 'put-if-match-star-missing', request: 'PutObject If-Match: * on a key that does not exist',
    run: (ctx) => observe(ctx.client.send(new PutObjectCommand({ Bucket: ctx.bucket, Key: `${ctx.prefix}none.txt`, Body: 'x', IfMatch: '*' }))),
  },
  {
    id: 'get-if-match-stale', request: 'GetObject If-Match with a stale ETag',
    run: (ctx) => observe(ctx.client.send(new GetObjectCommand({ Bucket: ctx.bucket, Key: `${ctx.prefix}a.txt`, IfMatch: `"${md5('old')}"` }))),
  },
  {
    id: 'get-if-none-match-current', request: 'GetObject If-None-Match: <current etag>',
    run: (ctx) => observe(ctx.client.send(new GetObjectCommand({ Bucket: ctx.bucket, Key: `${ctx.prefix}a.txt`, IfNoneMatch: `"${md5(TEXT)}"` }))),
  },
  {
    id: 'copy-etag', request: 'CopyObject to a new key (ETag in the CopyObjectResult)',
    run: (ctx) => observe(ctx.client.send(new CopyObjectCommand({ Bucket: ctx.bucket, Key: `${ctx.prefix}copy.txt`, CopySource: `${ctx.bucket}/${ctx.prefix}a.txt` })),
      (o) => `etag=${etagForm(o.CopyObjectResult?.ETag, md5(TEXT))}`),
  },
  {
    id: 'copy-if-none-match-existing', request: 'CopyObject If-None-Match: * onto an existing key',
    run: async (ctx) => {
      const obs = await observe(ctx.client.send(new CopyObjectCommand({ Bucket: ctx.bucket, Key: `${ctx.prefix}new.txt`, CopySource: `${ctx.bucket}/${ctx.prefix}a.txt`, IfNoneMatch: '*' })));
      const head = await ctx.client.send(new HeadObjectCommand({ Bucket: ctx.bucket, Key: `${ctx.prefix}new.txt` }));
      return `${obs} destination=${head.ContentLength === 3 ? 'kept' : 'overwritten'}`;
    },
  },
  {
    id: 'copy-source-if-match-stale', request: 'CopyObject x-amz-copy-source-if-match with a stale ETag',
    run: async (ctx) => {
      const obs = await observe(ctx.client.send(new CopyObjectCommand({ Bucket: ctx.bucket, Key: `${ctx.prefix}copy2.txt`, CopySource: `${ctx.bucket}/${ctx.prefix}a.txt`, CopySourceIfMatch: `"${md5('old')}"` })));
      return `${obs} copied=${await exists(ctx, `${ctx.prefix}copy2.txt`)}`;
    },
  },
  {
    id: 'delete-if-match-stale', request: 'DeleteObject If-Match with a stale ETag',
    run: async (ctx) => {
      await ctx.client.send(new PutObjectCommand({ Bucket: ctx.bucket, Key: `${ctx.prefix}del.txt`, Body: 'keep me' }));
      const obs = await observe(ctx.client.send(new DeleteObjectCommand({ Bucket: ctx.bucket, Key: `${ctx.prefix}del.txt`, IfMatch: `"${md5('old')}"` })));
      return `${obs} object=${(await exists(ctx, `${ctx.prefix}del.txt`)) ? 'kept' : 'deleted'}`;
    },
  },
  {
    id: 'delete-if-match-current', request: 'DeleteObject If-Match: "<current etag>"',
    run: async (ctx) => {
      await ctx.client.send(new PutObjectCommand({ Bucket: ctx.bucket, Key: `${ctx.prefix}del.txt`, Body: 'keep me' }));
      const obs = await observe(ctx.client.send(new DeleteObjectCommand({ Bucket: ctx.bucket, Key: `${ctx.prefix}del.txt`, IfMatch: `"${md5('keep me')}"` })));
      return `${obs} object=${(await exists(ctx, `${ctx.prefix}del.txt`)) ? 'kept' : 'deleted'}`;
    },
  },
  {
    id: 'delete-missing', request: 'DeleteObject of a key that does not exist',
    run: (ctx) => observe(ctx.client.send(new DeleteObjectCommand({ Bucket: ctx.bucket, Key: `${ctx.prefix}none.txt` }))),
  },
  // ── multipart ──
  {
    id: 'multipart-part-etags', request: 'UploadPart ×2 (5 MiB, 4 B)',
    run: async (ctx) => {
      const { uploadId, etags } = await multipart(ctx, `${ctx.prefix}big.bin`, [BIG, TAIL]);
      ctx.state.set('upload', uploadId);
      ctx.state.set('parts', JSON.stringify(etags));
      return `200 etags=${etagForm(etags[0], md5(BIG))},${etagForm(etags[1], md5(TAIL))}`;
    },
  },
  {
    id: 'multipart-complete-etag', request: 'CompleteMultipartUpload',
    run: (ctx) => observe(ctx.client.send(new CompleteMultipartUploadCommand({
      Bucket: ctx.bucket, Key: `${ctx.prefix}big.bin`, UploadId: ctx.state.get('upload'), MultipartUpload: completeParts(JSON.parse(ctx.state.get('parts') ?? '[]') as string[]),
    })), (o) => `etag=${etagForm(o.ETag, MULTIPART_ETAG)}`),
  },
  {
    id: 'multipart-head-etag', request: 'HeadObject after CompleteMultipartUpload',
    run: (ctx) => observe(ctx.client.send(new HeadObjectCommand({ Bucket: ctx.bucket, Key: `${ctx.prefix}big.bin` })),
      (o) => `etag=${etagForm(o.ETag, MULTIPART_ETAG)} length=${o.ContentLength ?? '?'}`),
  },
  {
    id: 'multipart-complete-if-none-match-existing', request: 'CompleteMultipartUpload If-None-Match: * onto an existing key',
    run: async (ctx) => {
      const { uploadId, etags } = await multipart(ctx, `${ctx.prefix}a.txt`, [Buffer.from('mpu')]);
      const obs = await observe(ctx.client.send(new CompleteMultipartUploadCommand({
        Bucket: ctx.bucket, Key: `${ctx.prefix}a.txt`, UploadId: uploadId, MultipartUpload: completeParts(etags), IfNoneMatch: '*',
      })));
      await ctx.client.send(new AbortMultipartUploadCommand({ Bucket: ctx.bucket, Key: `${ctx.prefix}a.txt`, UploadId: uploadId })).catch(() => undefined);
      const head = await ctx.client.send(new HeadObjectCommand({ Bucket: ctx.bucket, Key: `${ctx.prefix}a.txt` }));
      // Put the original back for the later steps, whatever happened.
      await ctx.client.send(new PutObjectCommand({ Bucket: ctx.bucket, Key: `${ctx.prefix}a.txt`, Body: TEXT }));
      return `${obs} object=${head.ContentLength === TEXT.length ? 'kept' : 'overwritten'}`;
    },
  },
  {
    id: 'multipart-complete-if-match-stale', request: 'CompleteMultipartUpload If-Match with a stale ETag',
    run: async (ctx) => {
      const { uploadId, etags } = await multipart(ctx, `${ctx.prefix}a.txt`, [Buffer.from('mpu')]);
      const obs = await observe(ctx.client.send(new CompleteMultipartUploadCommand({
        Bucket: ctx.bucket, Key: `${ctx.prefix}a.txt`, UploadId: uploadId, MultipartUpload: completeParts(etags), IfMatch: `"${md5('old')}"`,
      })));
      await ctx.client.send(new AbortMultipartUploadCommand({ Bucket: ctx.bucket, Key: `${ctx.prefix}a.txt`, UploadId: uploadId })).catch(() => undefined);
      const head = await ctx.client.send(new HeadObjectCommand({ Bucket: ctx.bucket, Key: `${ctx.prefix}a.txt` }));
      await ctx.client.send(new PutObjectCommand({ Bucket: ctx.bucket, Key: `${ctx.prefix}a.txt`, Body: TEXT }));
      return `${obs} object=${head.ContentLength === TEXT.length ? 'kept' : 'overwritten'}`;
    },
  },
  {
    id: 'multipart-part-too-small', request: 'CompleteMultipartUpload with a first part under 5 MiB',
    run: async (ctx) => {
      const { uploadId, etags } = await multipart(ctx, `${ctx.prefix}small.bin`, [Buffer.from('tiny'), TAIL]);
      const obs = await observe(ctx.client.send(new CompleteMultipartUploadCommand({ Bucket: ctx.bucket, Key: `${ctx.prefix}small.bin`, UploadId: uploadId, MultipartUpload: completeParts(etags) })));
      await ctx.client.send(new AbortMultipartUploadCommand({ Bucket: ctx.bucket, Key: `${ctx.prefix}small.bin`, UploadId: uploadId })).catch(() => undefined);
      return obs;
    },
  },
  {
    id: 'multipart-wrong-part-etag', request: 'CompleteMultipartUpload naming a part with a wrong ETag',
    run: async (ctx) => {
      const { uploadId } = await multipart(ctx, `${ctx.prefix}wrong.bin`, [TAIL]);
      const obs = await observe(ctx.client.send(new CompleteMultipartUploadCommand({
        Bucket: ctx.bucket, Key: `${ctx.prefix}wrong.bin`, UploadId: uploadId, MultipartUpload: completeParts([`"${md5('other')}"`]),
      })));
      await ctx.client.send(new AbortMultipartUploadCommand({ Bucket: ctx.bucket, Key: `${ctx.prefix}wrong.bin`, UploadId: uploadId })).catch(() => undefined);
      return obs;
    },
  },
  {
    id: 'multipart-after-abort', request: 'AbortMultipartUpload, then UploadPart to it',
    run: async (ctx) => {
      const { uploadId } = await multipart(ctx, `${ctx.prefix}aborted.bin`, []);
      const aborted = await observe(ctx.client.send(new AbortMultipartUploadCommand({ Bucket: ctx.bucket, Key: `${ctx.prefix}aborted.bin`, UploadId: uploadId })));
      const part = await observe(ctx.client.send(new UploadPartCommand({ Bucket: ctx.bucket, Key: `${ctx.prefix}aborted.bin`, UploadId: uploadId, PartNumber: 1, Body: TAIL })));
      return `abort=${aborted} part=${part}`;
    },
  },
  // ── pagination ──
  {
    id: 'list-max-keys', request: 'ListObjectsV2 max-keys=2 over 3 keys, then the continuation token',
    run: async (ctx) => {
      for (const k of ['1', '2', '3']) await ctx.client.send(new PutObjectCommand({ Bucket: ctx.bucket, Key: `${ctx.prefix}page/${k}`, Body: k }));
      const first = await ctx.client.send(new ListObjectsV2Command({ Bucket: ctx.bucket, Prefix: `${ctx.prefix}page/`, MaxKeys: 2 }));
      const token = first.NextContinuationToken;
      const second = token === undefined ? undefined : await ctx.client.send(new ListObjectsV2Command({ Bucket: ctx.bucket, Prefix: `${ctx.prefix}page/`, MaxKeys: 2, ContinuationToken: token }));
      const names = (o: typeof first | undefined): string => (o?.Contents ?? []).map((c) => (c.Key ?? '').slice(`${ctx.prefix}page/`.length)).join(',');
      return `page1=${names(first)} keyCount=${first.KeyCount ?? '?'} truncated=${String(first.IsTruncated)} token=${token === undefined ? 'absent' : 'present'} page2=${names(second)} truncated=${String(second?.IsTruncated)}`;
    },
  },
  {
    id: 'list-start-after', request: 'ListObjectsV2 start-after=<first key>',
    run: (ctx) => observe(ctx.client.send(new ListObjectsV2Command({ Bucket: ctx.bucket, Prefix: `${ctx.prefix}page/`, StartAfter: `${ctx.prefix}page/1` })),
      (o) => `keys=${(o.Contents ?? []).map((c) => (c.Key ?? '').slice(`${ctx.prefix}page/`.length)).join(',')}`),
  },
  {
    id: 'list-delimiter', request: 'ListObjectsV2 delimiter=/',
    run: (ctx) => observe(ctx.client.send(new ListObjectsV2Command({ Bucket: ctx.bucket, Prefix: ctx.prefix, Delimiter: '/' })),
      (o) => `prefixes=${(o.CommonPrefixes ?? []).map((p) => (p.Prefix ?? '').slice(ctx.prefix.length)).join(',')}`),
  },
  {
    id: 'list-url-encoding', request: 'ListObjectsV2 encoding-type=url of a key with a space, "+", "%" and a control character',
    run: async (ctx) => {
      const name = 'sp ace+%\u0001.txt';
      await ctx.client.send(new PutObjectCommand({ Bucket: ctx.bucket, Key: `${ctx.prefix}enc/${name}`, Body: 'x' }));
      // The SDK hands url-encoded keys over as they came (S3RemoteStore decodes them): compare the raw form.
      const out = await ctx.client.send(new ListObjectsV2Command({ Bucket: ctx.bucket, Prefix: `${ctx.prefix}enc/`, EncodingType: 'url' }));
      const raw = out.Contents?.[0]?.Key ?? '';
      return `200 encodingType=${out.EncodingType ?? 'none'} key=${JSON.stringify(raw.replace(/^.*?enc(\/|%2F)/i, ''))}`;
    },
  },
  // ── ranges ──
  {
    id: 'range-first-bytes', request: 'GetObject Range: bytes=0-4',
    run: (ctx) => observe(ctx.client.send(new GetObjectCommand({ Bucket: ctx.bucket, Key: `${ctx.prefix}a.txt`, Range: 'bytes=0-4' })),
      (o) => `range=${o.ContentRange ?? 'none'} length=${o.ContentLength ?? '?'}`),
  },
  {
    id: 'range-suffix', request: 'GetObject Range: bytes=-3',
    run: (ctx) => observe(ctx.client.send(new GetObjectCommand({ Bucket: ctx.bucket, Key: `${ctx.prefix}a.txt`, Range: 'bytes=-3' })),
      (o) => `range=${o.ContentRange ?? 'none'} length=${o.ContentLength ?? '?'}`),
  },
  {
    id: 'range-open-ended', request: 'GetObject Range: bytes=10-',
    run: (ctx) => observe(ctx.client.send(new GetObjectCommand({ Bucket: ctx.bucket, Key: `${ctx.prefix}a.txt`, Range: 'bytes=10-' })),
      (o) => `range=${o.ContentRange ?? 'none'} length=${o.ContentLength ?? '?'}`),
  },
  {
    id: 'range-beyond-end', request: 'GetObject Range: bytes=1000-2000 (past the end)',
    run: (ctx) => observe(ctx.client.send(new GetObjectCommand({ Bucket: ctx.bucket, Key: `${ctx.prefix}a.txt`, Range: 'bytes=1000-2000' }))),
  },
  // ── metadata ──
  {
    id: 'metadata-roundtrip', request: 'PutObject with x-amz-meta-md5chksum / mtime / Mixed-Case, then HeadObject',
    run: async (ctx) => {
      await ctx.client.send(new PutObjectCommand({ Bucket: ctx.bucket, Key: `${ctx.prefix}meta.txt`, Body: 'm', Metadata: { md5chksum: 'AAAA', mtime: '1700000000.5', 'Mixed-Case': 'Value' } }));
      return observe(ctx.client.send(new HeadObjectCommand({ Bucket: ctx.bucket, Key: `${ctx.prefix}meta.txt` })),
        (o) => `metadata=${JSON.stringify(Object.fromEntries(Object.entries(o.Metadata ?? {}).sort()))}`);
    },
  },
  {
    id: 'put-bad-content-md5', request: 'PutObject with a Content-MD5 that does not match the body',
    run: (ctx) => observe(ctx.client.send(new PutObjectCommand({ Bucket: ctx.bucket, Key: `${ctx.prefix}bad.txt`, Body: 'abc', ContentMD5: '1B2M2Y8AsgTpgAmY7PhCfg==' }))),
  },
  {
    id: 'get-missing', request: 'GetObject of a key that does not exist',
    run: (ctx) => observe(ctx.client.send(new GetObjectCommand({ Bucket: ctx.bucket, Key: `${ctx.prefix}none.txt` }))),
  },
  {
    id: 'head-missing', request: 'HeadObject of a key that does not exist',
    run: (ctx) => observe(ctx.client.send(new HeadObjectCommand({ Bucket: ctx.bucket, Key: `${ctx.prefix}none.txt` }))),
  },
];

/** A ScriptContext on `backend` under a fresh prefix, with clients that never retry (a retry would hide the first answer). */
export function scriptContext(backend: S3Backend): ScriptContext & { dispose(): void } {
  const clients: S3Client[] = [];
  const make = (config: { accessKeyId?: string; secretAccessKey?: string; clockOffsetMs?: number } = {}): S3Client => {
    const client = new S3Client({
      endpoint: backend.endpoint,
      region: backend.region,
      forcePathStyle: true,
      maxAttempts: 1,
      credentials: {
        accessKeyId: config.accessKeyId ?? backend.credentials.accessKeyId,
        secretAccessKey: config.secretAccessKey ?? backend.credentials.secretAccessKey,
      },
      ...(config.clockOffsetMs === undefined ? {} : { systemClockOffset: config.clockOffsetMs }),
    });
    clients.push(client);
    return client;
  };
  return {
    bucket: backend.bucket,
    prefix: `differential-${crypto.randomUUID()}/`,
    endpoint: backend.endpoint,
    client: make(),
    clientWith: make,
    state: new Map(),
    dispose: () => {
      for (const c of clients) c.destroy();
    },
  };
}
