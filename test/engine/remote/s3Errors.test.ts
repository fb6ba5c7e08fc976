/**
 * The S3 error mapping on its own: SDK-shaped errors (as the AWS SDK builds
 * them from error XML or from a body-less HEAD answer) and Node socket errors
 * become the StratusError codes the engine branches on.
 */
import { S3ServiceException } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { StratusError } from '../../../src/core/StratusError.js';
import { isRetryable, retryAfterMs, toStratusError, type RemoteErrorContext } from '../../../src/engine/remote/s3Errors.js';

const PUT: RemoteErrorContext = { operation: 'upload', bucket: 'stratus', prefix: 'us-east-1:abc/', key: 'us-east-1:abc/a.txt', endpoint: 's3.example.com' };
const LIST: RemoteErrorContext = { operation: 'list', bucket: 'stratus', prefix: 'us-east-1:abc/', endpoint: 's3.example.com' };

function s3(name: string, status: number, headers: Record<string, string> = {}): S3ServiceException {
  const err = new S3ServiceException({
    name,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status },
    message: `${name} happened; X-Amz-Signature=deadbeef`,
  });
  // The SDK attaches the raw response the same way after deserializing an error.
  Object.defineProperty(err, '$response', { value: { statusCode: status, headers, body: undefined } });
  return err;
}

function sys(code: string, message = code): Error {
  return Object.assign(new Error(message), { code });
}

describe('toStratusError', () => {
  it.each([
    ['AccessDenied', 403, PUT, 'access-denied', 'item'],
    ['AccessDenied', 403, LIST, 'access-denied', 'fatal'],
    ['Forbidden', 403, PUT, 'access-denied', 'item'],
    ['NoSuchBucket', 404, LIST, 'no-such-bucket', 'fatal'],
    ['ExpiredToken', 400, PUT, 'credentials-expired', 'soft'],
    ['InvalidToken', 400, PUT, 'credentials-expired', 'soft'],
    ['SlowDown', 503, PUT, 'server-busy', 'soft'],
    ['InternalError', 500, PUT, 'server-busy', 'soft'],
    ['PreconditionFailed', 412, PUT, 'remote-changed', 'item'],
    ['NoSuchKey', 404, PUT, 'remote-missing', 'item'],
    ['NotFound', 404, PUT, 'remote-missing', 'item'],
    ['BadDigest', 400, PUT, 'upload-corrupt', 'soft'],
    ['SignatureDoesNotMatch', 403, PUT, 'credentials-invalid', 'fatal'],
    ['InvalidObjectState', 403, PUT, 'object-archived', 'item'],
  ] as const)('maps %s (%i) during %o to %s', (name, status, context, code, severity) => {
    const err = toStratusError(s3(name, status), context);
    expect(err).toBeInstanceOf(StratusError);
    expect(err.code).toBe(code);
    expect(err.severity).toBe(severity);
    expect(err.cause).toBeInstanceOf(S3ServiceException);
  });

  it.each(['ECONNREFUSED', 'ENOTFOUND', 'ECONNRESET', 'ETIMEDOUT'])('maps the socket error %s to network', (code) => {
    const err = toStratusError(sys(code), PUT);
    expect(err.code).toBe('network');
    expect(err.message).toBe('Can\'t reach the storage server at s3.example.com; Stratus retries when the connection is back.');
  });

  it('recognises "socket hang up", a connect AggregateError and a wrapped cause as network errors', () => {
    expect(toStratusError(new Error('socket hang up'), PUT).code).toBe('network');
    expect(toStratusError(new AggregateError([sys('ECONNREFUSED'), sys('ECONNREFUSED')]), PUT).code).toBe('network');
    expect(toStratusError(new Error('request failed', { cause: sys('ECONNRESET') }), PUT).code).toBe('network');
    expect(toStratusError(Object.assign(new Error('timed out'), { name: 'TimeoutError' }), PUT).code).toBe('network');
  });

  it('names the bucket and prefix when access is denied, and says the credentials may not cover them', () => {
    const err = toStratusError(s3('AccessDenied', 403), LIST);
    expect(err.message).toContain('"us-east-1:abc/" in bucket "stratus"');
    expect(err.message).toContain('credentials');
  });

  it('passes a StratusError through and maps an abort to aborted', () => {
    const own = new StratusError('remote-changed', 'x');
    expect(toStratusError(own, PUT)).toBe(own);
    expect(toStratusError(Object.assign(new Error('The operation was aborted'), { name: 'AbortError' }), PUT).code).toBe('aborted');
  });

  it('keeps presigned signatures out of messages for unknown errors', () => {
    const err = toStratusError(new Error('weird failure at https://x/?X-Amz-Signature=abcdef123'), PUT);
    expect(err.code).toBe('remote-error');
    expect(err.message).not.toContain('abcdef123');
  });
});

describe('isRetryable', () => {
  it.each([
    ['network', true], ['server-busy', true], ['credentials-expired', true], ['file-changed-during-upload', true],
    ['download-corrupt', true], ['access-denied', false], ['no-such-bucket', false], ['remote-changed', false],
    ['remote-missing', false], ['aborted', false], ['credentials-invalid', false],
  ] as const)('says %s is retryable: %s', (code, expected) => {
    expect(isRetryable(new StratusError(code, 'x', { severity: 'item' }))).toBe(expected);
  });

  it('does not retry 401/403 blindly but retries 503 SlowDown given raw SDK errors', () => {
    expect(isRetryable(s3('AccessDenied', 403))).toBe(false);
    expect(isRetryable(s3('Unauthorized', 401))).toBe(false);
    expect(isRetryable(s3('SlowDown', 503))).toBe(true);
  });
});

describe('retryAfterMs', () => {
  it('honours Retry-After, and backs off at least a second on SlowDown', () => {
    expect(retryAfterMs(s3('SlowDown', 503, { 'retry-after': '7' }))).toBe(7000);
    expect(retryAfterMs(toStratusError(s3('SlowDown', 503), PUT))).toBe(1000);
    expect(retryAfterMs(s3('NoSuchKey', 404))).toBeUndefined();
  });
});
