/**
 * Test helpers for the sandbox S3 server: start a server on a free port in a
 * fresh temp directory, and build real AWS SDK clients pointed at it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import type { SourceData } from '@smithy/types';
import { S3Client, S3ServiceException, type S3ClientConfig } from '@aws-sdk/client-s3';
import { CredentialStore, type IssuedCredential } from '../../../sandbox/CredentialStore.js';
import { startS3Server, type S3Server, type S3ServerOptions } from '../../../sandbox/s3/S3Server.js';

export const REGION = 'us-east-1';
export const BUCKET = 'stratus';

export interface TestSandbox {
  server: S3Server;
  credentials: CredentialStore;
  dataDir: string;
  /** Client signed with the admin key. */
  admin: S3Client;
  client(credential: IssuedCredential, extra?: Partial<S3ClientConfig>): S3Client;
  /** Stops the server and removes its data directory. */
  dispose(): Promise<void>;
}

export function clientFor(endpoint: string, credential: IssuedCredential, extra: Partial<S3ClientConfig> = {}): S3Client {
  return new S3Client({
    endpoint,
    region: REGION,
    forcePathStyle: true,
    credentials: {
      accessKeyId: credential.accessKeyId,
      secretAccessKey: credential.secretAccessKey,
      ...(credential.kind === 'identity' ? { sessionToken: credential.sessionToken } : {}),
    },
    ...extra,
  });
}

export async function startTestSandbox(options: Partial<S3ServerOptions> = {}): Promise<TestSandbox> {
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'stratus-s3-')));
  const credentials = options.credentials ?? new CredentialStore();
  const server = await startS3Server({ ...options, dataDir, credentials });
  const clients: S3Client[] = [];
  const client = (credential: IssuedCredential, extra?: Partial<S3ClientConfig>): S3Client => {
    const c = clientFor(server.endpoint, credential, extra);
    clients.push(c);
    return c;
  };
  return {
    server,
    credentials,
    dataDir,
    admin: client(credentials.admin),
    client,
    async dispose() {
      for (const c of clients) c.destroy();
      await server.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** A Cognito-shaped identity ID (`<region>:<uuid>`); the colon is what makes paths interesting. */
export function identityId(): string {
  return `${REGION}:${crypto.randomUUID()}`;
}

export function md5Hex(data: Buffer): string {
  return createHash('md5').update(data).digest('hex');
}

/** AWS's multipart ETag, computed independently: MD5 of the concatenated binary part MD5s, plus "-N". */
export function multipartEtag(data: Buffer, partSize: number): string {
  const digests: Buffer[] = [];
  for (let offset = 0; offset < data.length; offset += partSize) {
    digests.push(createHash('md5').update(data.subarray(offset, offset + partSize)).digest());
  }
  return `"${createHash('md5').update(Buffer.concat(digests)).digest('hex')}-${digests.length}"`;
}

/** Deterministic pseudo-random bytes (so failures replay), fast enough for tens of MiB. */
export function pseudoRandomBytes(size: number, seed = 1): Buffer {
  const out = Buffer.alloc(size);
  let state = seed >>> 0 || 1;
  for (let i = 0; i + 4 <= size; i += 4) {
    state ^= state << 13; state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5; state >>>= 0;
    out.writeUInt32LE(state, i);
  }
  for (let i = size - (size % 4); i < size; i++) out[i] = i & 0xff;
  return out;
}

function toBinary(data: SourceData): string | Buffer {
  if (typeof data === 'string') return data;
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
}

/** The hash constructor @smithy/signature-v4 expects, backed by node:crypto (for signing test requests). */
export class NodeSha256 {
  private readonly hash: Hash | Hmac;
  constructor(secret?: SourceData) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', toBinary(secret));
  }
  update(data: SourceData): void {
    this.hash.update(toBinary(data));
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.hash.digest()));
  }
  reset(): void {}
}

/** Awaits a request that must fail with an S3 error; returns its name and HTTP status. */
export async function failure(promise: Promise<unknown>): Promise<{ name: string; status: number | undefined }> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof S3ServiceException) return { name: err.name, status: err.$metadata.httpStatusCode };
    throw err;
  }
  throw new Error('expected the request to fail');
}
