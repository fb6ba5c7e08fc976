/**
 * s3Errors: turns whatever the AWS SDK (or Node's socket layer beneath it)
 * throws into one StratusError with a stable code, a severity and a message a
 * person can act on; and decides which of those are worth retrying.
 *
 * Codes emitted: access-denied, no-such-bucket, credentials-expired,
 * credentials-invalid, clock-skew, network, server-busy, remote-changed,
 * remote-missing, upload-corrupt, file-too-large, key-too-long,
 * object-archived, aborted, remote-error.
 *
 * Messages name the bucket, prefix or key and the server's host, never
 * credentials, signatures or presigned URLs (the SDK's own messages are not
 * copied in, except through the logger's redaction for unknown errors).
 */
import { isStratusError, StratusError, type Severity } from '../../core/StratusError.js';
import { redactText } from '../logger.js';

export type RemoteOperation = 'list' | 'head' | 'upload' | 'download' | 'copy' | 'delete' | 'folder-marker' | 'probe';

export interface RemoteErrorContext {
  readonly operation: RemoteOperation;
  readonly bucket: string;
  /** The user's prefix (ends with '/'). */
  readonly prefix?: string;
  /** The full key the request was about, when there is one. */
  readonly key?: string;
  /** Host (and port) of the S3 endpoint, for "can't reach" messages. */
  readonly endpoint?: string;
}

/** Node/undici error codes that mean the request never got a complete answer from the server. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENETUNREACH', 'EHOSTUNREACH',
  'ENETDOWN', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT',
]);
const NETWORK_NAMES = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException']);
const NETWORK_MESSAGES = /socket hang up|^aborted$|network socket disconnected|read ECONNRESET|other side closed/i;
const EXPIRED_NAMES = new Set(['ExpiredToken', 'ExpiredTokenException', 'InvalidToken', 'TokenRefreshRequired']);
const BUSY_NAMES = new Set(['SlowDown', 'ConditionalRequestConflict', 'ServiceUnavailable', 'InternalError', 'Throttling', 'ThrottlingException', 'RequestLimitExceeded', 'TooManyRequests']);

interface SdkLikeError {
  readonly name?: unknown;
  readonly code?: unknown;
  readonly Code?: unknown;
  readonly message?: unknown;
  readonly cause?: unknown;
  readonly errors?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: number };
  readonly $response?: { readonly headers?: Readonly<Record<string, string | undefined>> };
}

function asRecord(err: unknown): SdkLikeError {
  return typeof err === 'object' && err !== null ? (err as SdkLikeError) : {};
}

/** The server no longer accepts the credentials the request was signed with (expired early, revoked, cut short). */
export function isExpiredCredentials(err: unknown): boolean {
  const name = s3ErrorName(err);
  return name !== undefined && EXPIRED_NAMES.has(name);
}

/** The S3 error code (`NoSuchKey`, `SlowDown`…), or the SDK's name for body-less answers (`NotFound`). */
export function s3ErrorName(err: unknown): string | undefined {
  const e = asRecord(err);
  if (typeof e.Code === 'string') return e.Code;
  return typeof e.name === 'string' ? e.name : undefined;
}

/** HTTP status of the S3 answer, when there was one. */
export function httpStatus(err: unknown): number | undefined {
  const status = asRecord(err).$metadata?.httpStatusCode;
  return typeof status === 'number' ? status : undefined;
}

export function isPreconditionFailed(err: unknown): boolean {
  return httpStatus(err) === 412 || s3ErrorName(err) === 'PreconditionFailed';
}

export function isNotFound(err: unknown): boolean {
  const name = s3ErrorName(err);
  if (name === 'NoSuchBucket') return false;
  return name === 'NoSuchKey' || name === 'NotFound' || httpStatus(err) === 404;
}

/** The server does not implement a header we sent (e.g. If-Match on DeleteObject on older S3-compatibles). */
export function isNotImplemented(err: unknown): boolean {
  return httpStatus(err) === 501 || s3ErrorName(err) === 'NotImplemented';
}

function isAbort(err: unknown): boolean {
  const name = asRecord(err).name;
  return name === 'AbortError' || asRecord(err).code === 'ABORT_ERR';
}

/** Walks `cause` and AggregateError `errors` (Node's happy-eyeballs connect) looking for a socket-level failure. */
function networkFailure(err: unknown, depth = 0): boolean {
  if (depth > 5 || typeof err !== 'object' || err === null) return false;
  const e = asRecord(err);
  if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) return true;
  if (typeof e.name === 'string' && NETWORK_NAMES.has(e.name)) return true;
  if (typeof e.message === 'string' && NETWORK_MESSAGES.test(e.message) && httpStatus(err) === undefined) return true;
  if (Array.isArray(e.errors) && e.errors.some((inner) => networkFailure(inner, depth + 1))) return true;
  return networkFailure(e.cause, depth + 1);
}

function describeTarget(context: RemoteErrorContext): string {
  if (context.key !== undefined) return `"${context.key}" in bucket "${context.bucket}"`;
  if (context.prefix !== undefined) return `"${context.prefix}" in bucket "${context.bucket}"`;
  return `bucket "${context.bucket}"`;
}

function make(code: string, message: string, severity: Severity, cause: unknown): StratusError {
  return new StratusError(code, message, { severity, cause });
}

/**
 * Maps any failure of an S3 request to a StratusError. An error that already
 * is a StratusError passes through unchanged.
 */
export function toStratusError(err: unknown, context: RemoteErrorContext): StratusError {
  if (isStratusError(err)) return err;
  const name = s3ErrorName(err);
  const status = httpStatus(err);
  const target = describeTarget(context);
  const item = context.key ?? context.prefix ?? context.bucket;

  if (isAbort(err)) return make('aborted', `Stopped before finishing ${context.operation} of ${target}.`, 'soft', err);
  if (name === 'NoSuchBucket') {
    return make('no-such-bucket', `The bucket "${context.bucket}" does not exist (check the bucket name and region).`, 'fatal', err);
  }
  if (name !== undefined && EXPIRED_NAMES.has(name)) {
    return make('credentials-expired', 'The storage credentials have expired; Stratus refreshes them and tries again.', 'soft', err);
  }
  if (name === 'InvalidAccessKeyId') {
    // Temporary keys vanish when they expire or the issuer restarts: a refresh is the first thing to try.
    return make('credentials-expired', 'The storage server no longer knows these credentials; Stratus signs in again and tries again.', 'soft', err);
  }
  if (name === 'SignatureDoesNotMatch') {
    return make('credentials-invalid', `The storage server at ${context.endpoint ?? 'the configured endpoint'} rejected the request signature; check the secret key and the region setting.`, 'fatal', err);
  }
  if (name === 'RequestTimeTooSkewed') {
    return make('clock-skew', 'This computer\'s clock differs too much from the storage server\'s; set the clock automatically and Stratus will retry.', 'soft', err);
  }
  // AWS answers 403 for archived objects too: check the specific code before the generic 403.
  if (name === 'InvalidObjectState') {
    return make('object-archived', `"${item}" is in an archive storage class; restore it on the server before Stratus can download it.`, 'item', err);
  }
  if (name === 'AccessDenied' || name === 'Forbidden' || name === 'AllAccessDisabled' || status === 403 || status === 401) {
    return make(
      'access-denied',
      `Access to ${target} was denied: the credentials Stratus uses may not cover this bucket or prefix. Sign in again, or ask whoever manages the bucket to grant access.`,
      context.operation === 'list' ? 'fatal' : 'item',
      err,
    );
  }
  if (isPreconditionFailed(err)) {
    return make('remote-changed', `"${item}" changed on the server since Stratus last looked at it; nothing was overwritten.`, 'item', err);
  }
  if (isNotFound(err)) {
    return make('remote-missing', `"${item}" no longer exists on the server.`, 'item', err);
  }
  if (name === 'BadDigest' || name === 'InvalidDigest' || name === 'XAmzContentSHA256Mismatch' || name === 'IncompleteBody') {
    return make('upload-corrupt', `The server received different bytes for "${item}" than Stratus sent; it will upload the file again.`, 'soft', err);
  }
  if (name === 'EntityTooLarge') {
    return make('file-too-large', `"${item}" is larger than the storage server accepts.`, 'item', err);
  }
  if (name === 'KeyTooLongError') {
    return make('key-too-long', `The name "${item}" is too long for S3 (at most 1,024 bytes including its folders); shorten it.`, 'item', err);
  }
  if ((name !== undefined && BUSY_NAMES.has(name)) || status === 500 || status === 502 || status === 503 || status === 504 || status === 429) {
    return make('server-busy', `The storage server is busy or had an internal error (${name ?? `HTTP ${status}`}); Stratus tries ${target} again after a pause.`, 'soft', err);
  }
  if (networkFailure(err)) {
    return make('network', `Can't reach the storage server at ${context.endpoint ?? 'the configured endpoint'}; Stratus retries when the connection is back.`, 'soft', err);
  }
  const detail = name ?? (err instanceof Error ? redactText(err.message) : 'unknown error');
  return make('remote-error', `The storage server refused ${context.operation} of ${target} (${detail}${status === undefined ? '' : `, HTTP ${status}`}).`, 'item', err);
}

/**
 * Whether the same request may succeed if tried again later (by the engine's
 * retry queue, with exponential backoff and jitter).
 */
export function isRetryable(err: unknown): boolean {
  const e = isStratusError(err) ? err : toStratusError(err, { operation: 'head', bucket: '' });
  switch (e.code) {
    case 'network': return true; // The server was unreachable or the connection dropped: the same request can succeed later.
    case 'server-busy': return true; // 500/503 SlowDown: retried, but only after retryAfterMs() — hammering makes S3 throttle harder.
    case 'credentials-expired': return true; // Retried only after the engine refreshed the credentials; the old ones get the same answer.
    case 'clock-skew': return true; // The SDK corrects its clock offset from the server's Date header on the next attempt.
    case 'upload-corrupt': return true; // The bytes were damaged in transit (or the file changed): a fresh upload reads them again.
    case 'download-corrupt': return true; // A fresh GET usually gets the right bytes; the retry counter stops an endless loop.
    case 'file-changed-during-upload': return true; // The file is still being written: upload the new content once it settles.
    case 'access-denied': return false; // 401/403 are not retried blindly: the same credentials get the same answer.
    case 'credentials-invalid': return false; // A wrong secret does not fix itself; the user must change the settings.
    case 'no-such-bucket': return false; // A missing bucket needs a configuration change, not patience.
    case 'remote-changed': return false; // 412 is a conflict for the planner to resolve, not a transient failure.
    case 'remote-missing': return false; // The object is gone; the next listing tells the planner.
    case 'aborted': return false; // The user or shutdown asked us to stop.
    default: return e.severity === 'soft'; // Anything else: soft errors are transient by definition, item and fatal are not.
  }
}

/**
 * The least time to wait before retrying `err`: the server's Retry-After when
 * it sent one, 1 s for throttling (S3 asks clients to back off on SlowDown).
 * Undefined when the caller's normal backoff applies.
 */
export function retryAfterMs(err: unknown): number | undefined {
  const cause = isStratusError(err) ? err.cause : err;
  const header = asRecord(cause).$response?.headers?.['retry-after'];
  if (header !== undefined) {
    const seconds = Number(header);
    if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
    const date = Date.parse(header);
    if (!Number.isNaN(date)) return Math.max(0, date - Date.now());
  }
  const code = isStratusError(err) ? err.code : toStratusError(err, { operation: 'head', bucket: '' }).code;
  return code === 'server-busy' ? 1000 : undefined;
}
