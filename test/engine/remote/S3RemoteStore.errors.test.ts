/**
 * How S3RemoteStore reports failures from a real server (the sandbox, and Ceph
 * RGW in the real-S3 lane): access outside the identity's prefix, a missing
 * bucket, an unreachable endpoint and expired credentials each become one
 * StratusError code with the right severity and a message that names the
 * place but never the credentials. Per-prefix access, expiring credentials and
 * injected faults exist only on the sandbox (Ceph has one full-access key).
 */
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3RemoteStore } from '../../../src/engine/remote/S3RemoteStore.js';
import { isRetryable } from '../../../src/engine/remote/s3Errors.js';
import { describeEachBackend, sandboxOnly } from '../../support/s3Backends.js';
import { causeOf, collect, rejection, startRemoteFixture, type RemoteFixture } from './remoteFixtures.js';

/** A port nothing listens on: bound once, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describeEachBackend('S3RemoteStore errors', (getBackend, name) => {
  let fx: RemoteFixture;

  beforeAll(async () => {
    fx = await startRemoteFixture(getBackend());
  });
  afterAll(async () => {
    await fx.dispose();
  });

  describe('S3RemoteStore errors', () => {
    // Ceph's one key may write anywhere in the bucket: only the sandbox scopes credentials to a prefix.
    it.skipIf(sandboxOnly(name, 'per-prefix credentials (AccessDenied outside the prefix) need the sandbox\'s policy'))('maps AccessDenied outside the identity prefix to access-denied: fatal for a listing, item for a file', async () => {
      const elsewhere = fx.backend.freshPrefix();
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
      const store = new S3RemoteStore({ client: fx.admin, bucket: 'no-such-bucket-here', prefix: fx.prefix });
      const err = causeOf(await rejection(collect(store.list())));
      expect(err.code).toBe('no-such-bucket');
      expect(err.severity).toBe('fatal');
      expect(err.message).toBe('The bucket "no-such-bucket-here" does not exist (check the bucket name and region).');
    });

    it('maps an unreachable endpoint to network, quickly, naming the host', async () => {
      const port = await closedPort();
      const { backend } = fx;
      const client = new S3Client({
        endpoint: `http://127.0.0.1:${port}`,
        region: backend.region,
        forcePathStyle: true,
        credentials: backend.credentialsFor(fx.prefix),
        maxAttempts: 1,
      });
      try {
        const store = new S3RemoteStore({ client, bucket: fx.bucket, prefix: fx.prefix });
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

    // Ceph has no STS here: temporary credentials (and their expiry) exist only on the sandbox.
    it.skipIf(sandboxOnly(name, 'expiring temporary credentials need the sandbox\'s credential store'))('maps expired temporary credentials to credentials-expired, and never echoes them', async () => {
      const sbx = fx.backend.sandbox;
      if (sbx === undefined) throw new Error('sandbox only');
      const credential = sbx.credentials.issueForIdentity(fx.prefix.slice(0, -1), 0);
      const client = sbx.client(credential);
      const store = new S3RemoteStore({ client, bucket: fx.bucket, prefix: fx.prefix });
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

    // Needs the sandbox's fault injector to answer 503.
    it.skipIf(sandboxOnly(name, 'an injected 503 needs the fault injector'))('maps injected 503 SlowDown to server-busy (soft, retryable)', async () => {
      const store = fx.store({}, { maxAttempts: 1 });
      fx.backend.faults?.set({ errorRate: 1, errorStatus: 503, onlyKeysMatching: 'busy\\.txt$' });
      try {
        const file = await fx.writeLocal('busy.txt', Buffer.from('x'));
        const err = await rejection(store.upload({ key: `${fx.prefix}busy.txt`, ...file }));
        expect(err.code).toBe('server-busy');
        expect(isRetryable(err)).toBe(true);
      } finally {
        fx.backend.faults?.clear();
      }
    });
  });
});
