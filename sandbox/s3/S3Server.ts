/**
 * S3Server: the sandbox's local stand-in for Amazon S3 (path-style addressing
 * only: `http://127.0.0.1:PORT/<bucket>/<key>`). For every request it applies
 * injected faults, verifies SigV4 against the CredentialStore, routes to the
 * operation's handler and turns any failure into AWS's error XML. It also serves
 * the fault-injection admin endpoint `/__sandbox/faults`. Logs one line per
 * request through `options.log` (path only: queries can hold presigned signatures).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CredentialStore } from '../CredentialStore.js';
import { AccessPolicy } from './AccessPolicy.js';
import {
  createBucket, deleteBucket, deleteObjects, getBucketLocation, getBucketVersioning, headBucket, listBuckets,
  listObjectsV1, listObjectsV2,
} from './BucketHandlers.js';
import { FaultInjector, type FaultConfig, type FaultDecision } from './FaultInjector.js';
import {
  abortMultipartUpload, completeMultipartUpload, createMultipartUpload, listMultipartUploads, listParts, uploadPart,
} from './MultipartHandlers.js';
import { MultipartStore } from './MultipartStore.js';
import { copyObject, deleteObject, getObject, putObject } from './ObjectHandlers.js';
import { ObjectStore } from './ObjectStore.js';
import { drainBody } from './RequestBody.js';
import { S3Error, s3Error } from './S3Error.js';
import { newRequestId, sendError, type S3Context, type S3Services } from './S3Context.js';
import { parseRawQuery, SigV4Verifier } from './SigV4Verifier.js';

export type { FaultConfig } from './FaultInjector.js';
export { FaultInjector } from './FaultInjector.js';

export interface S3ServerOptions {
  /** Where buckets and objects are kept; created if missing, reused across restarts. */
  readonly dataDir: string;
  readonly credentials: CredentialStore;
  /** @default 'us-east-1' */
  readonly region?: string;
  /** Created at start; identities may use only these buckets. @default ['stratus'] */
  readonly buckets?: string[];
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** @default 0 (a free port) */
  readonly port?: number;
  /** Clock for signature time checks and timestamps. @default Date.now */
  readonly now?: () => number;
  /** One line per request; silent when omitted. */
  readonly log?: (line: string) => void;
}

/** One S3 request as the server saw it (before faults or signature checks). */
export interface RecordedRequest {
  /** The S3 operation name, e.g. 'GetObject', 'ListObjectsV2', 'PutObject'. */
  readonly operation: string;
  readonly method: string;
  readonly bucket: string | undefined;
  readonly key: string | undefined;
  /** The request body's declared length (decoded length for aws-chunked): what the client set out to send. */
  readonly bodyBytes: number;
}

/** Counts S3 requests by operation, so tests can prove what a client costs. Admin requests are not counted. */
export class RequestLog {
  private entries: RecordedRequest[] = [];

  record(request: RecordedRequest): void {
    // Bounded: a long-lived sandbox must not grow without limit.
    if (this.entries.length >= 100_000) this.entries.shift();
    this.entries.push(request);
  }

  get all(): readonly RecordedRequest[] {
    return this.entries;
  }

  /** Requests of `operation`, optionally only those whose key matches `key`. */
  count(operation?: string, key?: string | RegExp): number {
    return this.entries.filter((r) =>
      (operation === undefined || r.operation === operation) &&
      (key === undefined || (r.key !== undefined && (typeof key === 'string' ? r.key === key : key.test(r.key))))).length;
  }

  /** Request body bytes of `operation` (all when undefined) for keys matching `key`. */
  bytes(operation?: string, key?: string | RegExp): number {
    let total = 0;
    for (const r of this.entries) {
      if (operation !== undefined && r.operation !== operation) continue;
      if (key !== undefined && (r.key === undefined || (typeof key === 'string' ? r.key !== key : !key.test(r.key)))) continue;
      total += r.bodyBytes;
    }
    return total;
  }

  reset(): void {
    this.entries = [];
  }
}

/** S3's name for the operation a request asks for (only as far as the counter needs to tell them apart). */
function operationOf(method: string, bucket: string | undefined, key: string | undefined, query: ReadonlyMap<string, string>): string {
  if (bucket === undefined) return 'ListBuckets';
  if (key === undefined) {
    if (method === 'GET') return query.get('list-type') === '2' ? 'ListObjectsV2' : query.has('uploads') ? 'ListMultipartUploads' : query.size > 0 ? 'GetBucket' : 'ListObjects';
    if (method === 'POST' && query.has('delete')) return 'DeleteObjects';
    return `${method}Bucket`;
  }
  if (query.has('uploads') && method === 'POST') return 'CreateMultipartUpload';
  if (query.has('uploadId')) {
    switch (method) {
      case 'PUT': return 'UploadPart';
      case 'GET': return 'ListParts';
      case 'POST': return 'CompleteMultipartUpload';
      case 'DELETE': return 'AbortMultipartUpload';
      default: return `${method}Multipart`;
    }
  }
  switch (method) {
    case 'GET': return 'GetObject';
    case 'HEAD': return 'HeadObject';
    case 'PUT': return 'PutObject';
    case 'DELETE': return 'DeleteObject';
    default: return method;
  }
}

export interface S3Server {
  /** `http://127.0.0.1:PORT` */
  readonly endpoint: string;
  readonly port: number;
  readonly faults: FaultInjector;
  /** Every S3 request received (a copy counts as PutObject); `reset()` between measurements. */
  readonly requests: RequestLog;
  close(): Promise<void>;
}

const ADMIN_PATH = '/__sandbox/faults';
/** Bucket subresources S3 has but the sandbox does not implement: answered 501 rather than misread as a listing. */
const UNSUPPORTED_SUBRESOURCES = [
  'acl', 'policy', 'cors', 'lifecycle', 'tagging', 'website', 'logging', 'notification', 'replication', 'encryption',
  'ownershipControls', 'publicAccessBlock', 'object-lock', 'accelerate', 'requestPayment', 'versions', 'analytics',
  'metrics', 'inventory', 'intelligent-tiering', 'torrent', 'retention', 'legal-hold', 'attributes', 'restore', 'select',
] as const;

function hasUnsupported(query: ReadonlyMap<string, string>): boolean {
  return UNSUPPORTED_SUBRESOURCES.some((name) => query.has(name));
}

async function route(ctx: S3Context): Promise<void> {
  const { query } = ctx;
  const method = ctx.req.method ?? 'GET';
  if (ctx.bucket === undefined) {
    if (method === 'GET') return listBuckets(ctx);
    throw s3Error('MethodNotAllowed');
  }
  if (hasUnsupported(query)) throw s3Error('NotImplemented', 'This subresource is not implemented by the sandbox.');
  if (ctx.key === undefined) {
    switch (method) {
      case 'GET':
        if (query.has('location')) return getBucketLocation(ctx);
        if (query.has('versioning')) return getBucketVersioning(ctx);
        if (query.has('uploads')) return listMultipartUploads(ctx);
        if (query.get('list-type') === '2') return listObjectsV2(ctx);
        return listObjectsV1(ctx);
      case 'HEAD': return headBucket(ctx);
      case 'PUT': return createBucket(ctx);
      case 'DELETE': return deleteBucket(ctx);
      case 'POST':
        if (query.has('delete')) return deleteObjects(ctx);
        break;
    }
    throw s3Error('MethodNotAllowed');
  }
  switch (method) {
    case 'GET':
      if (query.has('uploadId')) return listParts(ctx);
      return getObject(ctx, false);
    case 'HEAD': return getObject(ctx, true);
    case 'PUT':
      if (query.has('uploadId') || query.has('partNumber')) return uploadPart(ctx);
      if (ctx.req.headers['x-amz-copy-source'] !== undefined) return copyObject(ctx);
      return putObject(ctx);
    case 'POST':
      if (query.has('uploads')) return createMultipartUpload(ctx);
      if (query.has('uploadId')) return completeMultipartUpload(ctx);
      break;
    case 'DELETE':
      if (query.has('uploadId')) return abortMultipartUpload(ctx);
      return deleteObject(ctx);
  }
  throw s3Error('MethodNotAllowed');
}

/** Splits `/bucket/key…` (still encoded) into its decoded parts. */
function parsePath(rawPath: string): { bucket: string | undefined; key: string | undefined } {
  if (!rawPath.startsWith('/')) throw s3Error('InvalidURI');
  const slash = rawPath.indexOf('/', 1);
  const rawBucket = slash === -1 ? rawPath.slice(1) : rawPath.slice(1, slash);
  const rawKey = slash === -1 ? '' : rawPath.slice(slash + 1);
  try {
    return {
      bucket: rawBucket === '' ? undefined : decodeURIComponent(rawBucket),
      key: rawKey === '' ? undefined : decodeURIComponent(rawKey),
    };
  } catch {
    throw s3Error('InvalidURI');
  }
}

function firstValues(rawQuery: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const [name, value] of parseRawQuery(rawQuery)) if (!map.has(name)) map.set(name, value);
  return map;
}

/** Reset fault for anything but a GetObject: take a little of the body, then drop the connection. */
async function resetConnection(req: IncomingMessage): Promise<void> {
  const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
  if (hasBody) {
    const first = req.iterator({ destroyOnReturn: false }).next();
    await Promise.race([first, sleep(1000)]);
  }
  req.socket.destroy();
}

function secretMatches(given: string | string[] | undefined, secret: string): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given);
  const b = Buffer.from(secret);
  return a.length === b.length && timingSafeEqual(a, b);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const payload = Buffer.from(JSON.stringify(body), 'utf8');
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': String(payload.length) });
  res.end(payload);
}

/** `/__sandbox/faults`: POST sets (JSON FaultConfig), DELETE clears, GET shows the active faults. */
async function handleAdmin(req: IncomingMessage, res: ServerResponse, rawPath: string, faults: FaultInjector, credentials: CredentialStore): Promise<void> {
  if (rawPath !== ADMIN_PATH) {
    await drainBody(req);
    return sendJson(res, 404, { error: 'unknown sandbox admin path' });
  }
  if (!secretMatches(req.headers['x-sandbox-admin'], credentials.admin.secretAccessKey)) {
    await drainBody(req);
    return sendJson(res, 403, { error: 'x-sandbox-admin must carry the admin secret access key' });
  }
  switch (req.method) {
    case 'GET':
      return sendJson(res, 200, faults.current);
    case 'DELETE':
      await drainBody(req);
      faults.clear();
      res.writeHead(204).end();
      return;
    case 'POST': {
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of req) {
        size += (chunk as Buffer).length;
        if (size > 64 * 1024) return sendJson(res, 413, { error: 'body too large' });
        chunks.push(chunk as Buffer);
      }
      try {
        faults.set(JSON.parse(Buffer.concat(chunks).toString('utf8')) as FaultConfig);
      } catch (err) {
        return sendJson(res, 400, { error: (err as Error).message });
      }
      return sendJson(res, 200, faults.current);
    }
    default:
      return sendJson(res, 405, { error: 'use GET, POST or DELETE' });
  }
}

export async function startS3Server(options: S3ServerOptions): Promise<S3Server> {
  const region = options.region ?? 'us-east-1';
  const now = options.now ?? Date.now;
  const bucketNames = options.buckets ?? ['stratus'];
  const { credentials, log } = options;
  await mkdir(options.dataDir, { recursive: true });
  const store = await ObjectStore.open(options.dataDir, now);
  for (const name of bucketNames) await store.createBucket(name);
  const services: S3Services = {
    store,
    multipart: await MultipartStore.open(store, now),
    policy: new AccessPolicy(new Set(bucketNames)),
    region,
    now,
  };
  const verifier = new SigV4Verifier({ credentials, region, now });
  const faults = new FaultInjector(() => credentials.expireAll());
  const requests = new RequestLog();

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const started = Date.now();
    const requestId = newRequestId();
    res.setHeader('x-amz-request-id', requestId);
    res.setHeader('x-amz-id-2', randomBytes(24).toString('base64'));
    res.setHeader('Server', 'AmazonS3');
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const rawPath = q === -1 ? url : url.slice(0, q);
    const rawQuery = q === -1 ? '' : url.slice(q + 1);
    const method = req.method ?? 'GET';
    res.on('finish', () => log?.(`${method} ${rawPath} ${res.statusCode} ${Date.now() - started}ms ${requestId}`));
    if (rawPath.startsWith('/__sandbox/')) {
      await handleAdmin(req, res, rawPath, faults, credentials);
      return;
    }
    let resource = rawPath;
    try {
      const { bucket, key } = parsePath(rawPath);
      resource = `/${bucket ?? ''}${key === undefined ? '' : `/${key}`}`;
      const declared = Number(req.headers['x-amz-decoded-content-length'] ?? req.headers['content-length'] ?? 0);
      requests.record({ operation: operationOf(method, bucket, key, firstValues(rawQuery)), method, bucket, key, bodyBytes: Number.isFinite(declared) ? declared : 0 });
      const fault: FaultDecision = faults.decide(key);
      if (fault.latencyMs > 0) await sleep(fault.latencyMs);
      if (fault.errorStatus !== undefined) throw s3Error(fault.errorStatus === 503 ? 'SlowDown' : 'InternalError');
      const isObjectGet = method === 'GET' && key !== undefined;
      if (fault.reset && !isObjectGet) {
        log?.(`${method} ${rawPath} reset by fault injection ${requestId}`);
        await resetConnection(req);
        return;
      }
      const auth = verifier.verify({ method, rawPath, rawQuery, rawHeaders: req.rawHeaders });
      await route({ req, res, requestId, bucket, key, query: firstValues(rawQuery), auth, fault, services });
    } catch (err) {
      if (res.headersSent) {
        // Failed mid-response (usually the client went away during a download): nothing left to tell it.
        res.destroy();
        return;
      }
      const s3err = err instanceof S3Error ? err : new S3Error('InternalError');
      if (!(err instanceof S3Error)) log?.(`internal error on ${method} ${rawPath}: ${(err as Error).stack ?? String(err)}`);
      // Answer only after the body is consumed, so the client is not cut off mid-upload.
      if (!req.complete && !req.destroyed) await drainBody(req).catch(() => undefined);
      if (!res.writable) return;
      sendError(res, s3err, { requestId, resource, head: method === 'HEAD' });
    }
  };

  const server = createServer({
    // Longer than typical client idle timeouts, so a reused keep-alive socket is never closed under a request.
    keepAliveTimeout: 65_000,
    headersTimeout: 60_000,
    // Large uploads over slow links must not be cut off.
    requestTimeout: 30 * 60_000,
  }, (req, res) => {
    handle(req, res).catch((err: unknown) => {
      log?.(`unhandled: ${(err as Error).stack ?? String(err)}`);
      res.destroy();
    });
  });
  server.maxConnections = 4096;
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: options.port ?? 0, host: options.host ?? '127.0.0.1', backlog: 1024 }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = options.host ?? '127.0.0.1';
  return {
    endpoint: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    faults,
    requests,
    close: () => new Promise<void>((resolve, reject) => {
      server.close((err) => (err ? reject(err) : resolve()));
      server.closeIdleConnections();
      // In-flight requests get a moment to finish; then every connection is cut.
      setTimeout(() => server.closeAllConnections(), 2000).unref();
    }),
  };
}
