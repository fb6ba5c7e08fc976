/**
 * SigV4Verifier: checks AWS Signature Version 4 on an incoming S3 request, in
 * both forms S3 accepts — the `Authorization` header and the presigned query
 * string — against the sandbox CredentialStore. It returns who signed and how
 * the body is to be trusted (`payloadHash`), plus, for streaming uploads, the
 * context needed to verify each aws-chunked chunk signature.
 *
 * Reference: AWS "Signature Version 4 signing process" and "Authenticating
 * Requests (AWS Signature Version 4)" in the S3 API reference. Notably S3 signs
 * the URI path exactly as sent (already percent-encoded once), so the path is
 * never decoded and re-encoded here.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { CredentialStore, IssuedCredential } from '../CredentialStore.js';
import { s3Error } from './S3Error.js';

const ALGORITHM = 'AWS4-HMAC-SHA256';
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
export const STREAMING_SIGNED = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD';
export const STREAMING_SIGNED_TRAILER = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER';
export const STREAMING_UNSIGNED_TRAILER = 'STREAMING-UNSIGNED-PAYLOAD-TRAILER';
export const EMPTY_SHA256 = createHash('sha256').update('').digest('hex');
/** AWS rejects requests whose clock differs from the server's by more than this. */
const MAX_SKEW_MS = 15 * 60 * 1000;
/** Presigned URLs may live at most seven days. */
const MAX_PRESIGN_EXPIRES_S = 7 * 24 * 3600;

/** The parts of an HTTP request that SigV4 covers, exactly as received. */
export interface SignableRequest {
  readonly method: string;
  /** Path as sent on the request line, still percent-encoded, without the query. */
  readonly rawPath: string;
  /** Query string as sent, without the leading `?` (may be empty). */
  readonly rawQuery: string;
  /** Node's `req.rawHeaders`: alternating names and values, duplicates preserved. */
  readonly rawHeaders: readonly string[];
}

/** What the verifier needs to check aws-chunked chunk and trailer signatures. */
export interface ChunkSigningContext {
  readonly signingKey: Buffer;
  readonly amzDate: string;
  readonly scope: string;
  readonly seedSignature: string;
}

export interface VerifiedRequest {
  readonly credential: IssuedCredential;
  /** Hex SHA-256 the body must hash to, or one of the UNSIGNED/STREAMING markers. */
  readonly payloadHash: string;
  readonly presigned: boolean;
  readonly chunkSigning: ChunkSigningContext;
}

export interface SigV4VerifierOptions {
  readonly credentials: CredentialStore;
  readonly region: string;
  /** @default 's3' */
  readonly service?: string;
  /** @default Date.now */
  readonly now?: () => number;
}

/** RFC 3986 encoding as SigV4 defines it: everything but unreserved characters. */
export function uriEncode(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function hmac(key: Buffer | string, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

/** Splits a raw query string into decoded pairs, keeping order and duplicates. */
export function parseRawQuery(rawQuery: string): [string, string][] {
  const pairs: [string, string][] = [];
  for (const part of rawQuery.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = eq === -1 ? part : part.slice(0, eq);
    const value = eq === -1 ? '' : part.slice(eq + 1);
    pairs.push([safeDecode(name), safeDecode(value)]);
  }
  return pairs;
}

function canonicalQuery(pairs: readonly [string, string][]): string {
  return pairs
    .map(([k, v]) => [uriEncode(k), uriEncode(v)] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

/** Lower-cased header name → values in arrival order. */
function headerMap(rawHeaders: readonly string[]): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = (rawHeaders[i] ?? '').toLowerCase();
    const list = map.get(name) ?? [];
    list.push(rawHeaders[i + 1] ?? '');
    map.set(name, list);
  }
  return map;
}

/** `YYYYMMDDTHHMMSSZ` → epoch ms, or NaN. */
export function parseAmzDate(amzDate: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate);
  if (!m) return Number.NaN;
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
}

function toAmzDate(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

interface ParsedAuth {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
  amzDate: string;
  sessionToken: string | undefined;
  payloadHash: string;
  presigned: boolean;
  /** Query pairs that take part in the canonical query string. */
  queryPairs: [string, string][];
  expiresS?: number;
}

export class SigV4Verifier {
  private readonly credentials: CredentialStore;
  private readonly region: string;
  private readonly service: string;
  private readonly now: () => number;
  /** Signing keys change once a day per secret; caching avoids four HMACs per request. */
  private readonly keyCache = new Map<string, Buffer>();

  constructor(options: SigV4VerifierOptions) {
    this.credentials = options.credentials;
    this.region = options.region;
    this.service = options.service ?? 's3';
    this.now = options.now ?? Date.now;
  }

  /** Verifies the request; throws an S3Error carrying AWS's error code otherwise. */
  verify(request: SignableRequest): VerifiedRequest {
    const headers = headerMap(request.rawHeaders);
    const queryPairs = parseRawQuery(request.rawQuery);
    const auth = headers.get('authorization')?.[0];
    const parsed = auth !== undefined
      ? this.parseHeaderAuth(auth, headers, queryPairs)
      : this.parseQueryAuth(queryPairs);

    const credential = this.credentials.lookup(parsed.accessKeyId);
    if (!credential) throw s3Error('InvalidAccessKeyId', undefined, { AWSAccessKeyId: parsed.accessKeyId });
    if (credential.kind === 'identity') {
      // AWS answers a temporary key sent without its session token as an unknown key.
      if (parsed.sessionToken === undefined) {
        throw s3Error('InvalidAccessKeyId', undefined, { AWSAccessKeyId: parsed.accessKeyId });
      }
      if (!safeEqual(parsed.sessionToken, credential.sessionToken)) throw s3Error('InvalidToken');
      if (this.credentials.isExpired(credential)) throw s3Error('ExpiredToken');
    }
    if (parsed.region !== this.region) {
      throw s3Error('AuthorizationHeaderMalformed',
        `The authorization header is malformed; the region '${parsed.region}' is wrong; expecting '${this.region}'`,
        { Region: this.region });
    }
    if (parsed.service !== this.service) {
      throw s3Error('AuthorizationHeaderMalformed', `The authorization header is malformed; incorrect service "${parsed.service}". This endpoint belongs to "${this.service}".`);
    }
    const requestTime = parseAmzDate(parsed.amzDate);
    if (Number.isNaN(requestTime)) throw s3Error('AccessDenied', 'AWS authentication requires a valid Date or x-amz-date header');
    if (!parsed.amzDate.startsWith(parsed.date)) {
      throw s3Error('SignatureDoesNotMatch', `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${parsed.date}' != '${parsed.amzDate.slice(0, 8)}'`);
    }
    this.checkTime(parsed, requestTime);

    const canonicalHeaders = this.canonicalHeaders(parsed.signedHeaders, headers);
    const canonicalRequest = [
      request.method,
      request.rawPath === '' ? '/' : request.rawPath,
      canonicalQuery(parsed.queryPairs),
      canonicalHeaders,
      parsed.signedHeaders.join(';'),
      parsed.payloadHash,
    ].join('\n');
    const scope = `${parsed.date}/${parsed.region}/${parsed.service}/aws4_request`;
    const stringToSign = [ALGORITHM, parsed.amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
    const signingKey = this.signingKey(credential.secretAccessKey, parsed.date, parsed.region, parsed.service);
    const expected = createHmac('sha256', signingKey).update(stringToSign, 'utf8').digest('hex');
    if (!safeEqual(expected, parsed.signature)) {
      // AWS echoes these back so a client author can see which side disagrees; none is secret.
      throw s3Error('SignatureDoesNotMatch', undefined, {
        AWSAccessKeyId: parsed.accessKeyId,
        StringToSign: stringToSign,
        SignatureProvided: parsed.signature,
        CanonicalRequest: canonicalRequest,
      });
    }
    return {
      credential,
      payloadHash: parsed.payloadHash,
      presigned: parsed.presigned,
      chunkSigning: { signingKey, amzDate: parsed.amzDate, scope, seedSignature: parsed.signature },
    };
  }

  private checkTime(parsed: ParsedAuth, requestTime: number): void {
    const now = this.now();
    if (parsed.presigned) {
      if (requestTime - now > MAX_SKEW_MS) throw s3Error('AccessDenied', 'Request is not valid yet');
      if (now > requestTime + (parsed.expiresS ?? 0) * 1000) {
        throw s3Error('AccessDenied', 'Request has expired', {
          'X-Amz-Expires': String(parsed.expiresS ?? 0),
          Expires: new Date(requestTime + (parsed.expiresS ?? 0) * 1000).toISOString(),
          ServerTime: new Date(now).toISOString(),
        });
      }
      return;
    }
    if (Math.abs(now - requestTime) > MAX_SKEW_MS) {
      throw s3Error('RequestTimeTooSkewed', undefined, {
        RequestTime: parsed.amzDate,
        ServerTime: new Date(now).toISOString(),
        MaxAllowedSkewMilliseconds: String(MAX_SKEW_MS),
      });
    }
  }

  private parseHeaderAuth(
    auth: string,
    headers: Map<string, string[]>,
    queryPairs: [string, string][],
  ): ParsedAuth {
    if (!auth.startsWith(`${ALGORITHM} `)) {
      if (auth.startsWith('AWS ')) throw s3Error('InvalidRequest', 'The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.');
      throw s3Error('AuthorizationHeaderMalformed', 'The authorization header is malformed; the authorization header requires three components: Credential, SignedHeaders, and Signature.');
    }
    const fields = new Map<string, string>();
    for (const part of auth.slice(ALGORITHM.length + 1).split(',')) {
      const eq = part.indexOf('=');
      if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
    }
    const credential = fields.get('Credential');
    const signedHeaders = fields.get('SignedHeaders');
    const signature = fields.get('Signature');
    if (credential === undefined || signedHeaders === undefined || signature === undefined) {
      throw s3Error('AuthorizationHeaderMalformed', 'The authorization header is malformed; the authorization header requires three components: Credential, SignedHeaders, and Signature.');
    }
    const scope = parseCredential(credential, 'AuthorizationHeaderMalformed');
    const amzDate = headers.get('x-amz-date')?.[0] ?? dateHeaderToAmz(headers.get('date')?.[0]);
    const payloadHash = headers.get('x-amz-content-sha256')?.[0];
    if (payloadHash === undefined) throw s3Error('InvalidRequest', 'Missing required header for this request: x-amz-content-sha256');
    if (!isValidPayloadHash(payloadHash)) {
      throw s3Error('InvalidArgument', 'x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER or a valid sha256 value.');
    }
    return {
      ...scope,
      signedHeaders: signedHeaders.split(';'),
      signature,
      amzDate,
      sessionToken: headers.get('x-amz-security-token')?.[0],
      payloadHash,
      presigned: false,
      queryPairs,
    };
  }

  private parseQueryAuth(queryPairs: [string, string][]): ParsedAuth {
    const get = (name: string): string | undefined => queryPairs.find(([k]) => k === name)?.[1];
    const algorithm = get('X-Amz-Algorithm');
    if (algorithm === undefined) throw s3Error('AccessDenied', 'Anonymous access is not allowed on this sandbox.');
    if (algorithm !== ALGORITHM) throw s3Error('AuthorizationQueryParametersError', 'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"');
    const credential = get('X-Amz-Credential');
    const amzDate = get('X-Amz-Date');
    const expires = get('X-Amz-Expires');
    const signedHeaders = get('X-Amz-SignedHeaders');
    const signature = get('X-Amz-Signature');
    if (!credential || !amzDate || !expires || !signedHeaders || !signature) {
      throw s3Error('AuthorizationQueryParametersError', 'Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.');
    }
    const expiresS = Number(expires);
    if (!Number.isInteger(expiresS) || expiresS < 0) throw s3Error('AuthorizationQueryParametersError', 'X-Amz-Expires should be a number');
    if (expiresS > MAX_PRESIGN_EXPIRES_S) throw s3Error('AuthorizationQueryParametersError', 'X-Amz-Expires must be less than a week (in seconds) that is 604800');
    return {
      ...parseCredential(credential, 'AuthorizationQueryParametersError'),
      signedHeaders: signedHeaders.split(';'),
      signature,
      amzDate,
      sessionToken: get('X-Amz-Security-Token'),
      payloadHash: get('X-Amz-Content-Sha256') ?? UNSIGNED_PAYLOAD,
      presigned: true,
      queryPairs: queryPairs.filter(([k]) => k !== 'X-Amz-Signature'),
      expiresS,
    };
  }

  private canonicalHeaders(signed: readonly string[], headers: Map<string, string[]>): string {
    if (!signed.includes('host')) throw s3Error('AccessDenied', 'There were headers present in the request which were not signed', { HeadersNotSigned: 'host' });
    return signed
      .map((name) => {
        const values = headers.get(name) ?? [];
        // Trim and collapse runs of spaces, as the spec's "Trimall" step says.
        return `${name}:${values.map((v) => v.trim().replace(/ +/g, ' ')).join(',')}\n`;
      })
      .join('');
  }

  private signingKey(secret: string, date: string, region: string, service: string): Buffer {
    const cacheKey = `${secret}\n${date}\n${region}\n${service}`;
    let key = this.keyCache.get(cacheKey);
    if (!key) {
      key = hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), 'aws4_request');
      if (this.keyCache.size > 1000) this.keyCache.clear();
      this.keyCache.set(cacheKey, key);
    }
    return key;
  }
}

function parseCredential(credential: string, code: 'AuthorizationHeaderMalformed' | 'AuthorizationQueryParametersError') {
  const parts = credential.split('/');
  if (parts.length !== 5 || parts[4] !== 'aws4_request' || !/^\d{8}$/.test(parts[1] ?? '')) {
    throw s3Error(code, `The authorization header is malformed; the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".`);
  }
  return { accessKeyId: parts[0] ?? '', date: parts[1] ?? '', region: parts[2] ?? '', service: parts[3] ?? '' };
}

function dateHeaderToAmz(date: string | undefined): string {
  if (date === undefined) return '';
  const ms = Date.parse(date);
  return Number.isNaN(ms) ? '' : toAmzDate(ms);
}

function isValidPayloadHash(value: string): boolean {
  return /^[0-9a-f]{64}$/.test(value) || [UNSIGNED_PAYLOAD, STREAMING_SIGNED, STREAMING_SIGNED_TRAILER, STREAMING_UNSIGNED_TRAILER].includes(value);
}

function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}

/** Signature of one aws-chunked chunk, chained from the previous one (seed = header signature). */
export function chunkSignature(ctx: ChunkSigningContext, previous: string, chunkSha256Hex: string): string {
  const stringToSign = ['AWS4-HMAC-SHA256-PAYLOAD', ctx.amzDate, ctx.scope, previous, EMPTY_SHA256, chunkSha256Hex].join('\n');
  return createHmac('sha256', ctx.signingKey).update(stringToSign, 'utf8').digest('hex');
}

/** Signature over the trailing headers of a signed aws-chunked body. */
export function trailerSignature(ctx: ChunkSigningContext, previous: string, canonicalTrailers: string): string {
  const stringToSign = ['AWS4-HMAC-SHA256-TRAILER', ctx.amzDate, ctx.scope, previous, sha256Hex(canonicalTrailers)].join('\n');
  return createHmac('sha256', ctx.signingKey).update(stringToSign, 'utf8').digest('hex');
}

export function signaturesEqual(a: string, b: string): boolean {
  return safeEqual(a, b);
}
