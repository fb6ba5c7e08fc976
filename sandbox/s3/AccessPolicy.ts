/**
 * AccessPolicy: what a signed-in identity may do, mirroring the IAM policy a
 * Cognito identity pool's authenticated role carries in production:
 *
 *   s3:ListBucket (+ ListBucketMultipartUploads) on the app bucket
 *       with Condition StringLike s3:prefix = "${cognito-identity.amazonaws.com:sub}/*"
 *   s3:GetObject, PutObject, DeleteObject, multipart actions
 *       on arn:aws:s3:::<bucket>/${cognito-identity.amazonaws.com:sub}/*
 *
 * Everything else (ListBuckets, HeadBucket, other buckets, keys or listings
 * outside `<identityId>/`) is AccessDenied, as IAM's implicit deny. The admin
 * key has full access, like an account root key.
 */
import type { IssuedCredential } from '../CredentialStore.js';
import { s3Error } from './S3Error.js';

export type S3Action =
  | 's3:ListAllMyBuckets'
  | 's3:CreateBucket'
  | 's3:DeleteBucket'
  | 's3:ListBucket'
  | 's3:ListBucketMultipartUploads'
  | 's3:GetBucketLocation'
  | 's3:GetBucketVersioning'
  | 's3:GetObject'
  | 's3:PutObject'
  | 's3:DeleteObject'
  | 's3:ListMultipartUploadParts'
  | 's3:AbortMultipartUpload';

/** Actions whose resource is a prefix (`s3:prefix` condition) rather than an object key. */
const PREFIX_ACTIONS: ReadonlySet<S3Action> = new Set(['s3:ListBucket', 's3:ListBucketMultipartUploads']);
const OBJECT_ACTIONS: ReadonlySet<S3Action> = new Set([
  's3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:ListMultipartUploadParts', 's3:AbortMultipartUpload',
]);

export class AccessPolicy {
  /** @param identityBuckets buckets the identity role's policy names (the app's buckets). */
  constructor(private readonly identityBuckets: ReadonlySet<string>) {}

  isAllowed(credential: IssuedCredential, action: S3Action, bucket?: string, keyOrPrefix?: string): boolean {
    if (credential.kind === 'admin') return true;
    if (bucket === undefined || !this.identityBuckets.has(bucket)) return false;
    const home = `${credential.identityId}/`;
    if (PREFIX_ACTIONS.has(action) || OBJECT_ACTIONS.has(action)) {
      return keyOrPrefix !== undefined && keyOrPrefix.startsWith(home);
    }
    return false;
  }

  /** Throws AccessDenied unless allowed. */
  authorize(credential: IssuedCredential, action: S3Action, bucket?: string, keyOrPrefix?: string): void {
    if (!this.isAllowed(credential, action, bucket, keyOrPrefix)) throw s3Error('AccessDenied');
  }
}
