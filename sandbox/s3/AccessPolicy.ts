/**
 * AccessPolicy: what a signed-in identity may do. It enforces the very
 * permissions policy the backend template gives the Cognito identity pool's
 * authenticated role (sandbox/iam/authenticatedRolePolicy.ts, generated from
 * infra/), evaluated by sandbox/iam/evaluate.ts with the caller's identity ID
 * as `${cognito-identity.amazonaws.com:sub}` and the request's `prefix` as
 * `s3:prefix`. In short:
 *
 *   s3:ListBucket, s3:ListBucketMultipartUploads on the app bucket
 *       with Condition StringLike s3:prefix = "${cognito-identity.amazonaws.com:sub}[/*]"
 *   s3:GetObject, PutObject, DeleteObject, multipart actions
 *       on arn:aws:s3:::<bucket>/${cognito-identity.amazonaws.com:sub}/*
 *
 * Everything else (ListBuckets, HeadBucket, other buckets, keys or listings
 * outside `<identityId>/`) is AccessDenied, as IAM's implicit deny. The admin
 * key has full access, like an account root key.
 */
import type { IssuedCredential } from '../CredentialStore.js';
import { AUTHENTICATED_ROLE_POLICY, BUCKET_PLACEHOLDER } from '../iam/authenticatedRolePolicy.js';
import { evaluate, type PolicyDocument, type PolicyStatement } from '../iam/evaluate.js';
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

/** Actions whose resource is the bucket and whose request carries `s3:prefix`. */
const PREFIX_ACTIONS: ReadonlySet<S3Action> = new Set(['s3:ListBucket', 's3:ListBucketMultipartUploads']);
const OBJECT_ACTIONS: ReadonlySet<S3Action> = new Set([
  's3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:ListMultipartUploadParts', 's3:AbortMultipartUpload',
]);

/** `policy` with `arn:aws:s3:::BUCKET` naming `bucket`. */
function forBucket(policy: PolicyDocument, bucket: string): PolicyDocument {
  const placeholder = `arn:aws:s3:::${BUCKET_PLACEHOLDER}`;
  const arn = (resource: string): string =>
    resource === placeholder || resource.startsWith(`${placeholder}/`) ? `arn:aws:s3:::${bucket}${resource.slice(placeholder.length)}` : resource;
  const statements: readonly PolicyStatement[] = Array.isArray(policy.Statement) ? policy.Statement : [policy.Statement as PolicyStatement];
  return {
    Version: policy.Version,
    Statement: statements.map((s) => ({ ...s, Resource: typeof s.Resource === 'string' ? arn(s.Resource) : s.Resource.map(arn) })),
  };
}

export class AccessPolicy {
  private readonly identityPolicies: readonly PolicyDocument[];

  /**
   * @param identityBuckets buckets the identity role's policy names (the app's buckets).
   * @param rolePolicy the authenticated role's policy, bucket written as `arn:aws:s3:::BUCKET`.
   *   @default the one synthesized from the backend template
   */
  constructor(identityBuckets: ReadonlySet<string>, rolePolicy: PolicyDocument = AUTHENTICATED_ROLE_POLICY) {
    this.identityPolicies = [...identityBuckets].map((bucket) => forBucket(rolePolicy, bucket));
  }

  isAllowed(credential: IssuedCredential, action: S3Action, bucket?: string, keyOrPrefix?: string): boolean {
    if (credential.kind === 'admin') return true;
    const resource = bucket === undefined ? '*'
      : OBJECT_ACTIONS.has(action) ? `arn:aws:s3:::${bucket}/${keyOrPrefix ?? ''}`
      : `arn:aws:s3:::${bucket}`;
    const decision = evaluate(this.identityPolicies, {
      action,
      resource,
      context: { 's3:prefix': PREFIX_ACTIONS.has(action) ? keyOrPrefix : undefined },
      variables: { 'cognito-identity.amazonaws.com:sub': credential.identityId },
    });
    return decision === 'Allow';
  }

  /** Throws AccessDenied unless allowed. */
  authorize(credential: IssuedCredential, action: S3Action, bucket?: string, keyOrPrefix?: string): void {
    if (!this.isAllowed(credential, action, bucket, keyOrPrefix)) throw s3Error('AccessDenied');
  }
}
