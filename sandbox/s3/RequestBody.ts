/**
 * RequestBody: reads an S3 request body exactly once, whatever its wire form
 * (plain, aws-chunked signed, aws-chunked with trailers), while computing every
 * digest S3 checks: MD5 (ETag, Content-MD5), SHA-256 (signed payload hash) and
 * the flexible checksums (CRC32, CRC32C, SHA1, SHA256) sent as headers or
 * trailers. Bytes go to a sink (a temp file for objects, a buffer for small XML
 * bodies), so a 512 MiB upload needs no more memory than one chunk. The caller
 * commits only after `receiveBody` resolved: every mismatch is thrown first.
 */
import { createHash, type Hash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { crc32 } from 'node:zlib';
import { decodeAwsChunked } from './AwsChunkedDecoder.js';
import { s3Error } from './S3Error.js';
import {
  STREAMING_SIGNED, STREAMING_SIGNED_TRAILER, STREAMING_UNSIGNED_TRAILER, type VerifiedRequest,
} from './SigV4Verifier.js';

export interface ReceivedBody {
  readonly size: number;
  /** Binary MD5 of the decoded body. */
  readonly md5: Buffer;
  /** Verified flexible checksums, algorithm (lower case, e.g. `crc32`) → base64 value. */
  readonly checksums: Readonly<Record<string, string>>;
}

export interface ReceiveOptions {
  /** Larger bodies fail with `tooLarge` (EntityTooLarge for objects, MalformedXML for XML). */
  readonly maxBytes: number;
  readonly tooLarge?: 'EntityTooLarge' | 'MalformedXML';
}

type Sink = (chunk: Buffer) => Promise<void> | void;

const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** Incremental checksum with S3's encoding: base64 of the big-endian digest. */
interface Checksum { update(data: Buffer): void; digestBase64(): string }

function makeChecksum(algorithm: string): Checksum | undefined {
  const uint32 = (value: number): string => {
    const out = Buffer.alloc(4);
    out.writeUInt32BE(value >>> 0);
    return out.toString('base64');
  };
  switch (algorithm) {
    case 'crc32': {
      let value = 0;
      return { update: (d) => { value = crc32(d, value); }, digestBase64: () => uint32(value) };
    }
    case 'crc32c': {
      let value = 0xffffffff;
      return {
        update: (d) => {
          for (const byte of d) value = (CRC32C_TABLE[(value ^ byte) & 0xff] ?? 0) ^ (value >>> 8);
        },
        digestBase64: () => uint32(value ^ 0xffffffff),
      };
    }
    case 'sha1':
    case 'sha256': {
      const hash = createHash(algorithm);
      return { update: (d) => { hash.update(d); }, digestBase64: () => hash.digest('base64') };
    }
    default:
      return undefined; // e.g. crc64nvme: accepted but not verified.
  }
}

const CHECKSUM_PREFIX = 'x-amz-checksum-';

/** Checksum algorithms the client announced, either as headers or as trailers. */
function announcedChecksums(req: IncomingMessage): string[] {
  const names = new Set<string>();
  for (const name of Object.keys(req.headers)) {
    if (name.startsWith(CHECKSUM_PREFIX) && name !== 'x-amz-checksum-mode' && name !== 'x-amz-checksum-type') {
      names.add(name.slice(CHECKSUM_PREFIX.length));
    }
  }
  const trailer = req.headers['x-amz-trailer'];
  for (const name of (typeof trailer === 'string' ? trailer : '').split(',')) {
    const trimmed = name.trim().toLowerCase();
    if (trimmed.startsWith(CHECKSUM_PREFIX)) names.add(trimmed.slice(CHECKSUM_PREFIX.length));
  }
  return [...names];
}

/** Iterates without destroying the request on an early exit: the server still drains it before answering. */
function raw(req: IncomingMessage): AsyncIterable<Buffer> {
  return req.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>;
}

/** The request's bytes, decoded from aws-chunked when the signature says so. */
function decodedSource(req: IncomingMessage, auth: VerifiedRequest, trailers: Map<string, string>): AsyncIterable<Buffer> {
  switch (auth.payloadHash) {
    case STREAMING_SIGNED:
      return decodeAwsChunked(raw(req), { signing: auth.chunkSigning, hasTrailer: false }, trailers);
    case STREAMING_SIGNED_TRAILER:
      return decodeAwsChunked(raw(req), { signing: auth.chunkSigning, hasTrailer: true }, trailers);
    case STREAMING_UNSIGNED_TRAILER:
      return decodeAwsChunked(raw(req), { hasTrailer: true }, trailers);
    default:
      return raw(req);
  }
}

export function isStreamingPayload(auth: VerifiedRequest): boolean {
  return auth.payloadHash.startsWith('STREAMING-');
}

/** S3 requires a length up front for uploads; aws-chunked bodies declare the decoded one. */
export function declaredLength(req: IncomingMessage, auth: VerifiedRequest): number | undefined {
  const raw = isStreamingPayload(auth) ? req.headers['x-amz-decoded-content-length'] : req.headers['content-length'];
  if (typeof raw !== 'string' || !/^\d+$/.test(raw)) return undefined;
  return Number(raw);
}

/** Streams the body into `sink`, then checks every digest the request claims. */
export async function receiveBody(
  req: IncomingMessage,
  auth: VerifiedRequest,
  sink: Sink,
  options: ReceiveOptions,
): Promise<ReceivedBody> {
  const trailers = new Map<string, string>();
  const md5 = createHash('md5');
  const sha256: Hash | undefined = /^[0-9a-f]{64}$/.test(auth.payloadHash) ? createHash('sha256') : undefined;
  const checksums = new Map<string, Checksum>();
  for (const algorithm of announcedChecksums(req)) {
    const checksum = makeChecksum(algorithm);
    if (checksum) checksums.set(algorithm, checksum);
  }
  let size = 0;
  for await (const chunk of decodedSource(req, auth, trailers)) {
    size += chunk.length;
    if (size > options.maxBytes) throw s3Error(options.tooLarge ?? 'EntityTooLarge');
    md5.update(chunk);
    sha256?.update(chunk);
    for (const checksum of checksums.values()) checksum.update(chunk);
    await sink(chunk);
  }

  if (sha256 && sha256.digest('hex') !== auth.payloadHash) throw s3Error('XAmzContentSHA256Mismatch');
  const declared = declaredLength(req, auth);
  if (isStreamingPayload(auth) && declared !== undefined && declared !== size) throw s3Error('IncompleteBody');

  const digest = md5.digest();
  const contentMd5 = req.headers['content-md5'];
  if (typeof contentMd5 === 'string') {
    const claimed = Buffer.from(contentMd5, 'base64');
    if (claimed.length !== 16 || claimed.toString('base64') !== contentMd5.trim()) throw s3Error('InvalidDigest');
    if (!claimed.equals(digest)) throw s3Error('BadDigest');
  }

  const verified: Record<string, string> = {};
  for (const [algorithm, checksum] of checksums) {
    const claimed = req.headers[`${CHECKSUM_PREFIX}${algorithm}`] ?? trailers.get(`${CHECKSUM_PREFIX}${algorithm}`);
    if (typeof claimed !== 'string') continue;
    const actual = checksum.digestBase64();
    if (claimed !== actual) {
      throw s3Error('BadDigest', `The ${algorithm.toUpperCase()} you specified did not match the calculated checksum.`);
    }
    verified[algorithm] = actual;
  }
  return { size, md5: digest, checksums: verified };
}

/** Reads a small body (XML or JSON) fully into memory, with the same checks. */
export async function receiveSmallBody(
  req: IncomingMessage,
  auth: VerifiedRequest,
  maxBytes = 4 * 1024 * 1024,
): Promise<{ body: Buffer; received: ReceivedBody }> {
  const chunks: Buffer[] = [];
  const received = await receiveBody(req, auth, (c) => { chunks.push(c); }, { maxBytes, tooLarge: 'MalformedXML' });
  return { body: Buffer.concat(chunks), received };
}

/** Consumes and discards a body we do not need, so keep-alive connections stay usable. */
export async function drainBody(req: IncomingMessage): Promise<void> {
  if (req.readableEnded) return;
  for await (const chunk of req) void chunk;
}
