/**
 * S3RemoteStore against servers that are not quite AWS. The sandbox behaves
 * like AWS, so each quirk measured elsewhere is played by a client middleware
 * in front of it (../shared/real-s3/README.md, Ceph RGW 16.2):
 *  - CompleteMultipartUpload answers with an empty ETag;
 *  - a quoted If-Match on a write is refused with 412 even when it matches;
 *  - If-Match on DeleteObject is not implemented (older S3-compatibles).
 * The played quirks run on Ceph RGW too (real-S3 lane), where the first two
 * are also real: the store must cope with both the real and the played one.
 */
import { PutObjectCommand, S3ServiceException, type CompleteMultipartUploadCommandOutput } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { multipartEtag, pseudoRandomBytes } from '../../sandbox/s3/helpers.js';
import { describeEachBackend } from '../../support/s3Backends.js';
import { md5, MiB, rejection, startRemoteFixture, type RemoteFixture } from './remoteFixtures.js';

function s3Error(name: string, status: number): S3ServiceException {
  return new S3ServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: status }, message: name });
}

function headerOf(request: unknown, name: string): string | undefined {
  return (request as { headers?: Record<string, string> }).headers?.[name];
}

describeEachBackend('S3RemoteStore quirks', (getBackend) => {
  let fx: RemoteFixture;

  beforeAll(async () => {
    fx = await startRemoteFixture(getBackend());
  });
  afterAll(async () => {
    await fx.dispose();
  });

  describe('S3RemoteStore with Ceph-like quirks', () => {
    it('asks with HEAD for the ETag when CompleteMultipartUpload returns an empty one', async () => {
      const client = fx.client();
      client.middlewareStack.add((next, context) => async (args) => {
        const result = await next(args);
        if (context.commandName === 'CompleteMultipartUploadCommand') (result.output as CompleteMultipartUploadCommandOutput).ETag = '';
        return result;
      }, { step: 'initialize', name: 'emptyCompleteEtag' });
      const data = pseudoRandomBytes(6 * MiB, 31);
      const store = fx.storeOn(client, { multipartThreshold: 5 * MiB, partSize: 5 * MiB });
      const { etag } = await store.upload({ key: `${fx.prefix}ceph/big.bin`, ...(await fx.writeLocal('ceph-big.bin', data)) });
      expect(etag).toBe(multipartEtag(data, 5 * MiB).replace(/"/g, ''));
    });

    it('switches to bare ETags when a matching quoted If-Match is refused, and still refuses stale ones', async () => {
      const client = fx.client();
      const seen: string[] = [];
      client.middlewareStack.add((next) => async (args) => {
        const ifMatch = headerOf(args.request, 'if-match');
        const method = (args.request as { method?: string }).method;
        if (ifMatch !== undefined && (method === 'PUT' || method === 'DELETE')) {
          seen.push(ifMatch);
          if (ifMatch.startsWith('"')) throw s3Error('PreconditionFailed', 412);
        }
        return next(args);
      }, { step: 'build', name: 'cephQuotedIfMatch' });
      const store = fx.storeOn(client);
      const key = `${fx.prefix}ceph/edit.txt`;
      const v1 = await store.upload({ key, ...(await fx.writeLocal('ceph-v1.txt', Buffer.from('one'))), ifNoneMatch: true });
      const v2 = await store.upload({ key, ...(await fx.writeLocal('ceph-v2.txt', Buffer.from('two'))), ifMatch: v1.etag });
      expect(v2.etag).toBe(md5(Buffer.from('two')));
      expect(seen).toEqual([`"${v1.etag}"`, v1.etag]);

      const stale = await rejection(store.upload({ key, ...(await fx.writeLocal('ceph-v3.txt', Buffer.from('three'))), ifMatch: v1.etag }));
      expect(stale.code).toBe('remote-changed');
      await store.delete(key, { ifMatch: v2.etag });
      expect(await store.head(key)).toBeUndefined();
      expect(seen.slice(2)).toEqual([v1.etag, v2.etag]);
    });

    it('falls back to compare-then-delete when If-Match on DeleteObject is not implemented', async () => {
      const client = fx.client();
      client.middlewareStack.add((next) => async (args) => {
        if ((args.request as { method?: string }).method === 'DELETE' && headerOf(args.request, 'if-match') !== undefined) {
          throw s3Error('NotImplemented', 501);
        }
        return next(args);
      }, { step: 'build', name: 'noConditionalDelete' });
      const store = fx.storeOn(client);
      const key = `${fx.prefix}ceph/delete.txt`;
      await fx.admin.send(new PutObjectCommand({ Bucket: fx.bucket, Key: key, Body: 'current' }));
      const stale = await rejection(store.delete(key, { ifMatch: md5(Buffer.from('older')) }));
      expect(stale.code).toBe('remote-changed');
      expect(await store.head(key)).toBeDefined();
      await store.delete(key, { ifMatch: md5(Buffer.from('current')) });
      expect(await store.head(key)).toBeUndefined();
    });
  });
});
