import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { SignatureV4 } from '@smithy/signature-v4';
import type { HttpRequest } from '@smithy/types';
import { CredentialStore } from '../../../sandbox/CredentialStore.js';
import { chunkSignature, SigV4Verifier, uriEncode, type SignableRequest } from '../../../sandbox/s3/SigV4Verifier.js';
import { S3Error } from '../../../sandbox/s3/S3Error.js';
import { NodeSha256, startTestSandbox, type TestSandbox } from './helpers.js';

const SIGNING_DATE = new Date(Date.UTC(2024, 5, 1, 12, 0, 0));
const NOW = () => SIGNING_DATE.getTime() + 1000;

function signer(accessKeyId: string, secretAccessKey: string, sessionToken?: string): SignatureV4 {
  return new SignatureV4({
    service: 's3',
    region: 'us-east-1',
    credentials: { accessKeyId, secretAccessKey, ...(sessionToken === undefined ? {} : { sessionToken }) },
    sha256: NodeSha256,
    // S3 signs the path as sent, already encoded once.
    uriEscapePath: false,
    applyChecksum: true,
  });
}

function baseRequest(path: string, query: Record<string, string> = {}): HttpRequest {
  return {
    method: 'GET',
    protocol: 'http:',
    hostname: '127.0.0.1',
    port: 9000,
    path,
    query,
    headers: { host: '127.0.0.1:9000', 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
  };
}

/** What the server would receive for a signed smithy request. */
function asReceived(req: HttpRequest): SignableRequest {
  const rawQuery = Object.entries(req.query ?? {})
    .map(([k, v]) => `${uriEncode(k)}=${uriEncode(String(v))}`)
    .join('&');
  return { method: req.method, rawPath: req.path, rawQuery, rawHeaders: Object.entries(req.headers).flat() };
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof S3Error) return err.code;
    throw err;
  }
  return 'no error';
}

describe('SigV4Verifier', () => {
  const credentials = new CredentialStore({ now: NOW });
  const verifier = new SigV4Verifier({ credentials, region: 'us-east-1', now: NOW });
  const { accessKeyId, secretAccessKey } = credentials.admin;
  const encodedPath = '/stratus/us-east-1%3A0f6c1b2a-aaaa-bbbb-cccc-1234567890ab/my%20file%2Bx.txt';

  it('accepts a header-signed request over the raw, still-encoded path (identity colon as %3A)', async () => {
    const signed = await signer(accessKeyId, secretAccessKey).sign(baseRequest(encodedPath, { 'list-type': '2', prefix: 'a b/ü' }), { signingDate: SIGNING_DATE });
    const verified = verifier.verify(asReceived(signed));
    expect(verified.credential.kind).toBe('admin');
    expect(verified.payloadHash).toBe('UNSIGNED-PAYLOAD');
  });

  it('rejects the same request when the path arrives decoded (no double decoding)', async () => {
    const signed = await signer(accessKeyId, secretAccessKey).sign(baseRequest(encodedPath), { signingDate: SIGNING_DATE });
    const received = { ...asReceived(signed), rawPath: decodeURIComponent(encodedPath) };
    expect(codeOf(() => verifier.verify(received))).toBe('SignatureDoesNotMatch');
  });

  it('rejects a wrong secret key with SignatureDoesNotMatch and an unknown key with InvalidAccessKeyId', async () => {
    const wrong = await signer(accessKeyId, `${secretAccessKey}x`).sign(baseRequest('/stratus/a'), { signingDate: SIGNING_DATE });
    expect(codeOf(() => verifier.verify(asReceived(wrong)))).toBe('SignatureDoesNotMatch');
    const unknown = await signer('AKIAUNKNOWNUNKNOWN12', secretAccessKey).sign(baseRequest('/stratus/a'), { signingDate: SIGNING_DATE });
    expect(codeOf(() => verifier.verify(asReceived(unknown)))).toBe('InvalidAccessKeyId');
  });

  it('rejects a request signed more than 15 minutes away from the server clock with RequestTimeTooSkewed', async () => {
    const old = await signer(accessKeyId, secretAccessKey).sign(baseRequest('/stratus/a'), { signingDate: new Date(NOW() - 16 * 60_000) });
    expect(codeOf(() => verifier.verify(asReceived(old)))).toBe('RequestTimeTooSkewed');
  });

  it('checks the session token and expiry of identity credentials', async () => {
    const identity = credentials.issueForIdentity('us-east-1:abc', 60_000);
    const ok = await signer(identity.accessKeyId, identity.secretAccessKey, identity.sessionToken).sign(baseRequest('/stratus/a'), { signingDate: SIGNING_DATE });
    expect(verifier.verify(asReceived(ok)).credential).toBe(identity);
    const badToken = await signer(identity.accessKeyId, identity.secretAccessKey, 'not-the-token').sign(baseRequest('/stratus/a'), { signingDate: SIGNING_DATE });
    expect(codeOf(() => verifier.verify(asReceived(badToken)))).toBe('InvalidToken');
    const noToken = await signer(identity.accessKeyId, identity.secretAccessKey).sign(baseRequest('/stratus/a'), { signingDate: SIGNING_DATE });
    expect(codeOf(() => verifier.verify(asReceived(noToken)))).toBe('InvalidAccessKeyId');
    credentials.expireAll();
    expect(codeOf(() => verifier.verify(asReceived(ok)))).toBe('ExpiredToken');
  });

  it('accepts a presigned URL until it expires', async () => {
    const presigned = await signer(accessKeyId, secretAccessKey).presign(baseRequest(encodedPath), { signingDate: SIGNING_DATE, expiresIn: 60 });
    expect(verifier.verify(asReceived(presigned)).presigned).toBe(true);
    const later = new SigV4Verifier({ credentials, region: 'us-east-1', now: () => SIGNING_DATE.getTime() + 61_000 });
    expect(codeOf(() => later.verify(asReceived(presigned)))).toBe('AccessDenied');
    const tampered = asReceived(presigned);
    expect(codeOf(() => verifier.verify({ ...tampered, rawPath: '/stratus/other' }))).toBe('SignatureDoesNotMatch');
  });

  it('reproduces the chunk signatures of the AWS documentation example (sigv4-streaming, PUT Object)', () => {
    const docCredentials = new CredentialStore({ adminAccessKeyId: 'AKIAIOSFODNN7EXAMPLE', adminSecretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' });
    const docVerifier = new SigV4Verifier({ credentials: docCredentials, region: 'us-east-1', now: () => Date.UTC(2013, 4, 24) });
    const verified = docVerifier.verify({ method: 'PUT', rawPath: '/examplebucket/chunkObject.txt', rawQuery: '', rawHeaders: AWS_EXAMPLE_HEADERS });
    const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    const first = chunkSignature(verified.chunkSigning, verified.chunkSigning.seedSignature, sha(Buffer.alloc(65536, 'a')));
    const second = chunkSignature(verified.chunkSigning, first, sha(Buffer.alloc(1024, 'a')));
    const final = chunkSignature(verified.chunkSigning, second, sha(Buffer.alloc(0)));
    expect([first, second, final]).toEqual(AWS_EXAMPLE_CHUNK_SIGNATURES);
  });
});

/** Headers of the documented example request (S3 API reference, "Example: PUT Object" under chunked upload). */
const AWS_EXAMPLE_HEADERS = [
  'Host', 's3.amazonaws.com',
  'x-amz-date', '20130524T000000Z',
  'x-amz-storage-class', 'REDUCED_REDUNDANCY',
  'Authorization', 'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9',
  'x-amz-content-sha256', 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
  'Content-Encoding', 'aws-chunked',
  'x-amz-decoded-content-length', '66560',
  'Content-Length', '66824',
];
const AWS_EXAMPLE_CHUNK_SIGNATURES = [
  'ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648',
  '0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497',
  'b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9',
];

function exampleBody(signatures: readonly string[]): Buffer {
  return Buffer.concat([
    Buffer.from(`10000;chunk-signature=${signatures[0]}\r\n`), Buffer.alloc(65536, 'a'), Buffer.from('\r\n'),
    Buffer.from(`400;chunk-signature=${signatures[1]}\r\n`), Buffer.alloc(1024, 'a'), Buffer.from('\r\n'),
    Buffer.from(`0;chunk-signature=${signatures[2]}\r\n\r\n`),
  ]);
}

function rawRequest(port: number, method: string, path: string, headers: string[], body?: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers, setHost: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('S3 server with aws-chunked signed uploads', () => {
  let sbx: TestSandbox;
  beforeAll(async () => {
    const credentials = new CredentialStore({ adminAccessKeyId: 'AKIAIOSFODNN7EXAMPLE', adminSecretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' });
    sbx = await startTestSandbox({ credentials, buckets: ['examplebucket'], now: () => Date.UTC(2013, 4, 24) });
  });
  afterAll(async () => {
    await sbx.dispose();
  });

  async function getExample(): Promise<{ status: number; body?: Buffer }> {
    // The example is dated 2013-05-24, the server's fixed clock; shift the SDK's clock to match.
    const client = sbx.client(sbx.credentials.admin, { systemClockOffset: Date.UTC(2013, 4, 24) - Date.now() });
    try {
      const out = await client.send(new GetObjectCommand({ Bucket: 'examplebucket', Key: 'chunkObject.txt' }));
      return { status: 200, body: Buffer.from(await out.Body!.transformToByteArray()) };
    } catch (err) {
      return { status: (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode ?? 0 };
    }
  }

  it('rejects a chunk whose signature does not chain with 403 SignatureDoesNotMatch and stores nothing', async () => {
    const forged = [...AWS_EXAMPLE_CHUNK_SIGNATURES];
    forged[1] = forged[1]!.replace(/^./, (c) => (c === '0' ? '1' : '0'));
    const put = await rawRequest(sbx.server.port, 'PUT', '/examplebucket/chunkObject.txt', AWS_EXAMPLE_HEADERS, exampleBody(forged));
    expect(put.status).toBe(403);
    expect(put.body).toContain('<Code>SignatureDoesNotMatch</Code>');
    expect((await getExample()).status).toBe(404);
  });

  it('stores the decoded body of the documented chunked PUT after checking every chunk signature', async () => {
    const put = await rawRequest(sbx.server.port, 'PUT', '/examplebucket/chunkObject.txt', AWS_EXAMPLE_HEADERS, exampleBody(AWS_EXAMPLE_CHUNK_SIGNATURES));
    expect(put.status).toBe(200);
    const got = await getExample();
    expect(got.status).toBe(200);
    expect(got.body?.equals(Buffer.alloc(66560, 'a'))).toBe(true);
  });
});
