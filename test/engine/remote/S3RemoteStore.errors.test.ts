/**
 * How S3RemoteStore reports failures from a real (sandbox) server: access
 * outside the identity's prefix, a missing bucket, an unreachable endpoint
 * and expired credentials each become one StratusError code with the right
 * severity and a message that names the place but never the credentials.
 */
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3RemoteStore } from '../../../src/engine/remote/S3RemoteStore.js';
import { isRetryable } from '../../../src/engine/remote/s3Errors.js';
import { clientFor, identityId } from '../../sandbox/s3/helpers.js';
import { causeOf, collect, rejection, startRemoteFixture, type RemoteFixture } from './remoteFixtures.js';

let fx: RemoteFixture;

beforeAll(async () => {
  fx = await startRemoteFixture();
});
afterAll(async () => {
  await fx.dispose();
});

/** A port nothing listens on: bound once, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('S3RemoteStore errors', () => {
  it('maps AccessDenied outside the identity prefix to access-denied: fatal for a listing, item for a file', async () => {
    const elsewhere = `${identityId()}/`;
    const store = fx.store({ prefix: elsewhere });
    const listErr = await rejection(collect(store.list()));
    expect(listErr.code).toBe('remote-list-failed');
    const denied = causeOf(listErr);
    expect(denied.code).toBe('access-denied');
    expect(denied.severity).toBe('fatal');
    expect(denied.message).toContain(elsewhere);
    expect(denied.message).toContain('credentials');

    const file = await fx.writeLocal('denied.txt', Buffer.from('x'));
    const putErr = await rejection(store.upload({ key: `${elsewhere}denied.txt`, ...file }));
    expect(putErr.code).toBe('access-denied');
    expect(putErr.severity).toBe('item');
    expect(isRetryable(putErr)).toBe(false);
  });

  it('maps NoSuchBucket to no-such-bucket with a message naming the bucket', async () => {
    const store = new S3RemoteStore({ client: fx.sbx.admin, bucket: 'no-such-bucket-here', prefix: fx.prefix });
    const err = causeOf(await rejection(collect(store.list())));
    expect(err.code).toBe('no-such-bucket');
    expect(err.severity).toBe('fatal');
    expect(err.message).toBe('The bucket "no-such-bucket-here" does not exist (check the bucket name and region).');
  });

  it('maps an unreachable endpoint to network, quickly, naming the host', async () => {
    const port = await closedPort();
    const credential = fx.sbx.credentials.issueForIdentity(fx.identity, 60_000);
    const client = clientFor(`http://127.0.0.1:${port}`, credential, { maxAttempts: 1 });
    try {
      const store = new S3RemoteStore({ client, bucket: 'stratus', prefix: fx.prefix });
      const started = Date.now();
      const err = causeOf(await rejection(collect(store.list())));
      expect(Date.now() - started).toBeLessThan(5000);
      expect(err.code).toBe('network');
      expect(err.severity).toBe('soft');
      expect(err.message).toContain(`127.0.0.1:${port}`);
      expect(isRetryable(err)).toBe(true);
      const headErr = await rejection(store.head(`${fx.prefix}x.txt`));
      expect(headErr.code).toBe('network');
    } finally {
      client.destroy();
    }
  });

  it('maps expired temporary credentials to credentials-expired, and never echoes them', async () => {
    const credential = fx.sbx.credentials.issueForIdentity(fx.identity, 0);
    const client = fx.sbx.client(credential);
    const store = new S3RemoteStore({ client, bucket: 'stratus', prefix: fx.prefix });
    const err = causeOf(await rejection(collect(store.list())));
    expect(err.code).toBe('credentials-expired');
    expect(err.severity).toBe('soft');
    const file = await fx.writeLocal('expired.txt', Buffer.from('x'));
    const putErr = await rejection(store.upload({ key: `${fx.prefix}expired.txt`, ...file }));
    expect(putErr.code).toBe('credentials-expired');
    for (const message of [err.message, putErr.message]) {
      expect(message).not.toContain(credential.accessKeyId);
      expect(message).not.toContain(credential.secretAccessKey);
      expect(message).not.toContain(credential.sessionToken);
    }
  });

  it('maps injected 503 SlowDown to server-busy (soft, retryable)', async () => {
    const store = fx.store({}, { maxAttempts: 1 });
    fx.sbx.server.faults.set({ errorRate: 1, errorStatus: 503, onlyKeysMatching: 'busy\\.txt$' });
    try {
      const file = await fx.writeLocal('busy.txt', Buffer.from('x'));
      const err = await rejection(store.upload({ key: `${fx.prefix}busy.txt`, ...file }));
      expect(err.code).toBe('server-busy');
      expect(isRetryable(err)).toBe(true);
    } finally {
      fx.sbx.server.faults.clear();
    }
  });
});
