/**
 * leanPut: one PutObject of a small file sent straight over node:http(s),
 * signed with the SDK's own SigV4 signer (@smithy/signature-v4), without the
 * AWS SDK's middleware stack (issue 4, scenario (a): a first upload of 2,000
 * files of 4 KiB was CPU-bound in the client — 5.7 s of user CPU against
 * rclone's 1.9 s — and ≈ 2.3 s of it was the SDK's per-request pipeline:
 * schema serialisation, endpoint rules, retry bookkeeping, user-agent and
 * logging middleware, flexible checksums).
 *
 * Why our own request and not the SDK's: the SDK offers no lighter path for a
 * request it has already made thousands of times. What is ours is only the
 * happy path of one well-known request; everything else stays the SDK's:
 *  - the request on the wire is what the SDK sends for the same PutObject
 *    (path-style URL with each key segment encoded as the SDK encodes it,
 *    Content-Length, Content-MD5, x-amz-meta-*, If-Match / If-None-Match,
 *    the SigV4 signed payload hash), signed with the client's credentials
 *    provider (refresh-aware) and its clock-skew correction;
 *  - it goes over the same keep-alive agents as the SDK (proxy, trusted CAs);
 *  - any answer but a 2xx, and any failure but an abort, returns `undefined`:
 *    the caller sends the same PutObject through the SDK, whose retries,
 *    clock-skew handling and error mapping (s3Errors.ts) then decide. A first
 *    attempt that did land looks to that second send exactly like one of the
 *    SDK's own retries (WriteGuard already handles both). After
 *    LEAN_GIVE_UP_AFTER such fallbacks in a row that the SDK got through, the
 *    client stops trying the lean path (its server refuses it).
 * Only path-style custom endpoints (the sandbox, Ceph RGW, MinIO…) take this
 * path; AWS's virtual-hosted endpoints (FIPS, dual-stack, accelerate, dotted
 * bucket names) stay with the SDK's endpoint rules.
 */
import { createHash, createHmac, createSecretKey, type Hash, type Hmac, type KeyObject } from 'node:crypto';
import type { Agent as HttpAgent, IncomingMessage } from 'node:http';
import type { Agent as HttpsAgent } from 'node:https';
import type { S3Client } from '@aws-sdk/client-s3';
import { SignatureV4 } from '@smithy/signature-v4';
import type { Checksum, SourceData } from '@smithy/types';
import { nodeHttp, nodeHttps } from '../net/nodeHttp.js';

export interface LeanPutAgents {
  readonly httpAgent: HttpAgent;
  readonly httpsAgent: HttpsAgent;
}

export interface LeanPutRequest {
  readonly key: string;
  readonly body: Buffer;
  /** Base64 MD5 of the body. */
  readonly contentMd5: string;
  readonly metadata: Readonly<Record<string, string>>;
  /** The If-Match header value as the server honours it. */
  readonly ifMatch?: string;
  readonly ifNoneMatch?: boolean;
  /** Query parameters (an UploadPart's `partNumber` and `uploadId`); signed like the SDK signs them. */
  readonly query?: Readonly<Record<string, string>>;
  /**
   * Sign `UNSIGNED-PAYLOAD` instead of the body's SHA-256. Only with a Content-MD5: the signature
   * covers that header and the server refuses a body that does not match it (BadDigest), so the
   * body stays bound to the signature without anyone hashing it with SHA-256 (see resumableUpload.ts).
   */
  readonly unsignedPayload?: boolean;
  readonly signal?: AbortSignal;
}

/** node:crypto's SHA-256 / HMAC-SHA-256 in the shape the signer takes (@smithy/types Checksum). */
class Sha256 implements Checksum {
  private hash: Hash | Hmac;
  constructor(private readonly secret?: SourceData) {
    this.hash = this.fresh();
  }

  private fresh(): Hash | Hmac {
    const secret = this.secret;
    if (secret === undefined) return createHash('sha256');
    if (typeof secret === 'string') return createHmac('sha256', secret);
    // The signer reuses one signing key (a cached Uint8Array) for every request of the day: importing it
    // once as a KeyObject spares node:crypto a key import per signature (≈ 0.15 s per 2,000 uploads, profiled).
    let key = signingKeys.get(secret);
    if (key === undefined) {
      key = createSecretKey(toBytes(secret) as Uint8Array);
      signingKeys.set(secret, key);
    }
    return createHmac('sha256', key);
  }

  update(data: Uint8Array): void {
    this.hash.update(data);
  }

  digest(): Promise<Uint8Array> {
    return Promise.resolve(this.hash.digest());
  }

  reset(): void {
    this.hash = this.fresh();
  }
}

const signingKeys = new WeakMap<object, KeyObject>();

function toBytes(data: SourceData): Uint8Array | string {
  if (typeof data === 'string') return data;
  return data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * The SDK's key-segment encoding (encodeURIComponent, plus !'()*), so both paths name the same object;
 * also SigV4's encoding of a query name or value (RFC 3986 unreserved kept), so the sent query is the signed one.
 */
function encodeSegment(segment: string): string {
  if (/^[\w.~-]+$/.test(segment)) return segment;
  return encodeURIComponent(segment).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Where requests go: scheme, host, port and the bucket's path, once per client. */
export interface LeanTarget {
  readonly https: boolean;
  readonly hostname: string;
  readonly port?: number;
  /** `/<basePath>/<bucket>` without a trailing slash. */
  readonly bucketPath: string;
  readonly region: string;
}

/** Time allowed without any socket activity before the lean attempt gives up (the SDK path then tries). */
const IDLE_TIMEOUT_MS = 30_000;
/**
 * The body goes out in one write, and Node refreshes a socket's idle timer when a write starts and
 * when it completes, not while the kernel drains it: an 8 MiB part on a slow uplink would otherwise
 * look idle after 30 s. The timeout grows by the time the body takes at this rate (16 KiB/s: 8 MiB
 * ≈ 8.5 min more) before the attempt is given up.
 */
const SLOWEST_BYTES_PER_MS = 16;

/**
 * Lean attempts that failed where the SDK then got the same request through, with no lean success
 * in between, after which the lean path is given up for this client: a server that refuses its
 * requests (another signing expectation, a proxy that rewrites them) would otherwise be sent every
 * request twice — for an 8 MiB part, 8 MiB more on the wire each time.
 */
export const LEAN_GIVE_UP_AFTER = 3;

/** The fallbacks the SDK got through since the last lean success (leanPut.ts, leanGet.ts). */
export class LeanFallbacks {
  private count = 0;

  /** True once LEAN_GIVE_UP_AFTER fallbacks in a row worked: the lean path is given up. */
  get givenUp(): boolean {
    return this.count >= LEAN_GIVE_UP_AFTER;
  }

  worked(): void {
    this.count += 1;
  }

  succeeded(): void {
    this.count = 0;
  }
}

export class LeanPut {
  private target: Promise<LeanTarget | undefined> | undefined;
  private signer: SignatureV4 | undefined;
  private readonly fallbacks = new LeanFallbacks();

  /** @param agents the client's own agents; leanGet.ts checks the http one for a proxy. */
  constructor(private readonly client: S3Client, private readonly bucket: string, readonly agents: LeanPutAgents) {}

  /** Whether requests can go this way (a path-style custom endpoint, not given up); false: the SDK sends everything. */
  async available(): Promise<boolean> {
    return !this.givenUp && (await this.resolveTarget()) !== undefined;
  }

  /** True once the lean path was given up (see LEAN_GIVE_UP_AFTER). */
  get givenUp(): boolean {
    return this.fallbacks.givenUp;
  }

  /** The caller's report: a request the lean path did not carry went through the SDK. */
  fallbackWorked(): void {
    this.fallbacks.worked();
  }

  /** Undefined when this client's endpoint is not a path-style custom one (the SDK then sends everything). */
  resolveTarget(): Promise<LeanTarget | undefined> {
    this.target ??= (async () => {
      const config = this.client.config;
      if (config.forcePathStyle !== true) return undefined;
      const endpoint = await config.endpoint?.();
      if (endpoint === undefined || endpoint.query !== undefined && Object.keys(endpoint.query).length > 0) return undefined;
      const https = endpoint.protocol === 'https:';
      if (!https && endpoint.protocol !== 'http:') return undefined;
      const base = endpoint.path === '/' || endpoint.path === '' ? '' : endpoint.path.replace(/\/$/, '');
      return {
        https,
        hostname: endpoint.hostname,
        ...(endpoint.port === undefined ? {} : { port: endpoint.port }),
        bucketPath: `${base}/${encodeSegment(this.bucket)}`,
        region: await config.region(),
      };
    })().catch(() => undefined);
    return this.target;
  }

  /**
   * Sends the PutObject (or, with `query`, an UploadPart). Resolves with the unquoted ETag ('' when the server
   * sent none) on a 2xx; with undefined when the caller should send it through
   * the SDK instead. Rejects only on abort.
   */
  async put(request: LeanPutRequest): Promise<string | undefined> {
    const target = this.givenUp ? undefined : await this.resolveTarget();
    if (target === undefined) return undefined;
    try {
      const headers: Record<string, string> = {
        'content-length': String(request.body.length),
        'content-md5': request.contentMd5,
        'x-amz-content-sha256': request.unsignedPayload === true ? 'UNSIGNED-PAYLOAD' : createHash('sha256').update(request.body).digest('hex'),
        'user-agent': 'stratus',
      };
      for (const [name, value] of Object.entries(request.metadata)) headers[`x-amz-meta-${name.toLowerCase()}`] = value;
      if (request.ifMatch !== undefined) headers['if-match'] = request.ifMatch;
      if (request.ifNoneMatch === true) headers['if-none-match'] = '*';
      const { path, signedHeaders } = await this.sign(target, 'PUT', request.key, headers, request.query, request.body);
      const etag = await this.send(target, path, signedHeaders, request.body, request.signal);
      if (etag !== undefined) this.fallbacks.succeeded();
      return etag;
    } catch (err) {
      if (request.signal?.aborted === true) throw err;
      return undefined;
    }
  }

  /**
   * A request for `key` signed the way the SDK signs it (credentials provider, clock-skew
   * correction): the path with its query to send, and the headers with `host` and the signature.
   */
  async sign(
    target: LeanTarget, method: string, key: string, headers: Record<string, string>, query: Readonly<Record<string, string>> = {}, body?: Buffer,
  ): Promise<{ readonly path: string; readonly signedHeaders: Record<string, string> }> {
    const path = `${target.bucketPath}/${key.split('/').map(encodeSegment).join('/')}`;
    const search = Object.entries(query).map(([name, value]) => `${encodeSegment(name)}=${encodeSegment(value)}`).join('&');
    this.signer ??= new SignatureV4({ credentials: this.client.config.credentials, region: target.region, service: 's3', sha256: Sha256, uriEscapePath: false });
    const offset = this.client.config.systemClockOffset ?? 0;
    const signed = await this.signer.sign(
      {
        method, protocol: target.https ? 'https:' : 'http:', hostname: target.hostname, ...(target.port === undefined ? {} : { port: target.port }), path, query: { ...query },
        headers: { host: target.port === undefined ? target.hostname : `${target.hostname}:${target.port}`, ...headers },
        ...(body === undefined ? {} : { body }),
      },
      { signingDate: new Date(Date.now() + offset) },
    );
    return { path: search === '' ? path : `${path}?${search}`, signedHeaders: signed.headers };
  }

  private send(target: LeanTarget, path: string, headers: Record<string, string>, body: Buffer, signal: AbortSignal | undefined): Promise<string | undefined> {
    return new Promise((resolve, reject) => {
      const http = target.https ? nodeHttps : nodeHttp;
      const req = http.request({
        method: 'PUT',
        hostname: target.hostname,
        ...(target.port === undefined ? {} : { port: target.port }),
        path,
        headers,
        agent: target.https ? this.agents.httpsAgent : this.agents.httpAgent,
        ...(signal === undefined ? {} : { signal }),
      }, (res: IncomingMessage) => {
        const status = res.statusCode ?? 0;
        const etag = res.headers.etag;
        // Drained either way, so the socket goes back to the pool.
        res.resume();
        res.on('end', () => resolve(status >= 200 && status < 300 ? (etag ?? '').replace(/^"|"$/g, '') : undefined));
        res.on('error', (err) => (signal?.aborted === true ? reject(err) : resolve(undefined)));
      });
      req.setTimeout(IDLE_TIMEOUT_MS + Math.ceil(body.length / SLOWEST_BYTES_PER_MS), () => req.destroy(new Error('no answer from the server')));
      req.on('error', (err) => (signal?.aborted === true ? reject(err) : resolve(undefined)));
      req.end(body);
    });
  }
}
