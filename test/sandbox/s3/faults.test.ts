import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3ServiceException, type S3Client } from '@aws-sdk/client-s3';
import { FaultInjector } from '../../../sandbox/s3/FaultInjector.js';
import { BUCKET, identityId, pseudoRandomBytes, startTestSandbox, type TestSandbox } from './helpers.js';

let sbx: TestSandbox;
let once: S3Client;

beforeAll(async () => {
  sbx = await startTestSandbox();
  once = sbx.client(sbx.credentials.admin, { maxAttempts: 1 });
  await sbx.admin.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'faults/big.bin', Body: pseudoRandomBytes(2 * 1024 * 1024) }));
  await sbx.admin.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'faults/small.txt', Body: 'small' }));
});
afterEach(() => {
  sbx.server.faults.clear();
});
afterAll(async () => {
  await sbx.dispose();
});

async function outcome(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'ok';
  } catch (err) {
    if (err instanceof S3ServiceException) return `${err.$metadata.httpStatusCode} ${err.name}`;
    return 'network error';
  }
}

function adminPost(body: unknown, secret = sbx.credentials.admin.secretAccessKey): Promise<Response> {
  return fetch(`${sbx.server.endpoint}/__sandbox/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-sandbox-admin': secret },
    body: JSON.stringify(body),
  });
}

describe('S3 sandbox fault injection', () => {
  it('answers every request with 503 SlowDown at errorRate 1', async () => {
    sbx.server.faults.set({ errorRate: 1, errorStatus: 503 });
    expect(await outcome(once.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'faults/small.txt' })))).toBe('503 SlowDown');
    expect(await outcome(once.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'faults/new.txt', Body: 'x' })))).toBe('503 SlowDown');
  });

  it('answers 500 InternalError when errorStatus is 500', async () => {
    sbx.server.faults.set({ errorRate: 1, errorStatus: 500 });
    expect(await outcome(once.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'faults/new.txt', Body: 'x' })))).toBe('500 InternalError');
  });

  it('lets the SDK retry through intermittent faults (seeded, so the sequence replays)', async () => {
    sbx.server.faults.set({ errorRate: 0.5, seed: 1234 });
    const retrying = sbx.client(sbx.credentials.admin, { maxAttempts: 10, retryMode: 'standard' });
    for (let i = 0; i < 5; i++) {
      expect(await outcome(retrying.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'faults/small.txt' })))).toBe('ok');
    }
  });

  it('delays requests by latencyMs', async () => {
    sbx.server.faults.set({ latencyMs: 300 });
    const started = Date.now();
    expect(await outcome(once.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'faults/small.txt' })))).toBe('ok');
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  it('resets the connection mid-body at resetRate 1, for downloads and uploads', async () => {
    sbx.server.faults.set({ resetRate: 1 });
    expect(await outcome((async () => {
      const out = await once.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'faults/big.bin' }));
      await out.Body!.transformToByteArray();
    })())).toBe('network error');
    expect(await outcome(once.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'faults/upload.bin', Body: pseudoRandomBytes(1024 * 1024) })))).toBe('network error');
    sbx.server.faults.clear();
    expect(await outcome(once.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'faults/upload.bin' })))).toBe('404 NotFound');
  });

  it('limits faults to keys matching onlyKeysMatching', async () => {
    sbx.server.faults.set({ errorRate: 1, onlyKeysMatching: '^faults/big' });
    // HEAD answers carry no error body, so the SDK sees only the status.
    expect(await outcome(once.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'faults/big.bin' })))).toMatch(/^503 /);
    expect(await outcome(once.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'faults/small.txt' })))).toBe('ok');
  });

  it('is configurable over POST /__sandbox/faults only with the admin secret, and cleared by DELETE', async () => {
    expect((await adminPost({ errorRate: 1 }, 'not-the-secret')).status).toBe(403);
    expect(await outcome(once.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'faults/small.txt' })))).toBe('ok');
    const set = await adminPost({ errorRate: 1, errorStatus: 503 });
    expect(set.status).toBe(200);
    expect(await set.json()).toEqual({ errorRate: 1, errorStatus: 503 });
    expect(await outcome(once.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'faults/small.txt' })))).toBe('503 SlowDown');
    const cleared = await fetch(`${sbx.server.endpoint}/__sandbox/faults`, { method: 'DELETE', headers: { 'x-sandbox-admin': sbx.credentials.admin.secretAccessKey } });
    expect(cleared.status).toBe(204);
    expect(await outcome(once.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'faults/small.txt' })))).toBe('ok');
    expect((await adminPost({ errorRate: 7 })).status).toBe(400);
  });

  it('expires every identity credential on expireCredentials', async () => {
    const cred = sbx.credentials.issueForIdentity(identityId(), 3_600_000);
    const client = sbx.client(cred, { maxAttempts: 1 });
    const put = () => client.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${cred.identityId}/f.txt`, Body: 'x' }));
    expect(await outcome(put())).toBe('ok');
    expect((await adminPost({ expireCredentials: true })).status).toBe(200);
    expect(await outcome(put())).toBe('400 ExpiredToken');
    expect(await outcome(once.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'faults/small.txt' })))).toBe('ok');
  });
});

describe('FaultInjector', () => {
  it('draws the same fault sequence for the same seed', () => {
    const draw = () => {
      const injector = new FaultInjector(() => undefined);
      injector.set({ errorRate: 0.3, resetRate: 0.2, seed: 99 });
      return Array.from({ length: 50 }, () => injector.decide('k'));
    };
    const a = draw();
    expect(draw()).toEqual(a);
    expect(a.some((d) => d.errorStatus === 503)).toBe(true);
    expect(a.some((d) => d.errorStatus === undefined)).toBe(true);
  });

  it('rejects invalid settings', () => {
    const injector = new FaultInjector(() => undefined);
    expect(() => injector.set({ errorRate: 2 })).toThrow(/errorRate/);
    expect(() => injector.set({ onlyKeysMatching: '(' })).toThrow();
  });
});
