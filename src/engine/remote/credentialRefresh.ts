/**
 * Credentials the server stops accepting before their stated expiration — an
 * identity-pool session cut short, a role session revoked, a clock that was
 * wrong when they were cached — would otherwise fail every request until the
 * provider's own renewal window (minutes to an hour later). With this
 * middleware one ExpiredToken answer drops the cached credentials and the
 * request is sent once more, signed with fresh ones: a multipart upload
 * carries on with its next part instead of failing (issue 5).
 *
 * It sits in the initialize step, before the SDK resolves the identity and
 * serializes the request, so the second attempt is signed anew. Bodies the
 * engine sends are buffers (single PUTs, parts), which can be sent twice.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import { isExpiredCredentials } from './s3Errors.js';

/**
 * Marks a provider that caches its credentials itself (CognitoCredentials
 * does), so the S3 client uses it as it is: the SDK otherwise wraps every
 * provider in its own cache, keyed on the expiration the credentials state,
 * which `invalidate` cannot reach — an ExpiredToken answer would then be
 * followed by the same refused credentials until five minutes before their
 * stated expiration. (`memoized` is the flag the SDK's
 * normalizeCredentialProvider checks; the test of this file fails if it
 * ever stops working.)
 */
export function selfCachingProvider(provider: AwsCredentialIdentityProvider): AwsCredentialIdentityProvider {
  return Object.assign(async (...args: Parameters<AwsCredentialIdentityProvider>) => provider(...args), { memoized: true });
}

export function refreshCredentialsOnExpiry(client: S3Client, invalidate: () => void): void {
  client.middlewareStack.add((next) => async (args) => {
    try {
      return await next(args);
    } catch (err) {
      if (!isExpiredCredentials(err)) throw err;
      invalidate();
      return next(args);
    }
  }, { step: 'initialize', name: 'stratusRefreshExpiredCredentials', override: true });
}
