/**
 * GENERATED from the backend template (infra/lib/StratusBackendStack.ts) by
 * `npx tsc -b && node infra/scripts/write-sandbox-policy.js`. Do not edit:
 * test/infra/sandboxPolicy.test.ts fails when this file is stale.
 *
 * The permissions policy of the identity pool's authenticated role, exactly as
 * synthesized, with the bucket's ARN written as `arn:aws:s3:::BUCKET`. The sandbox's
 * S3 server enforces it (sandbox/s3/AccessPolicy.ts) for identity credentials.
 */
import type { PolicyDocument } from './evaluate.js';

/** Stands for the bucket's name in the resources below. */
export const BUCKET_PLACEHOLDER = 'BUCKET';

export const AUTHENTICATED_ROLE_POLICY: PolicyDocument = {
  "Version": "2012-10-17",
  "Statement": [
    {
      "Action": "s3:ListBucket",
      "Condition": {
        "StringLike": {
          "s3:prefix": [
            "${cognito-identity.amazonaws.com:sub}",
            "${cognito-identity.amazonaws.com:sub}/*"
          ]
        }
      },
      "Effect": "Allow",
      "Resource": "arn:aws:s3:::BUCKET",
      "Sid": "ListOwnPrefix"
    },
    {
      "Action": "s3:ListBucketMultipartUploads",
      "Condition": {
        "StringLike": {
          "s3:prefix": [
            "${cognito-identity.amazonaws.com:sub}",
            "${cognito-identity.amazonaws.com:sub}/*"
          ]
        }
      },
      "Effect": "Allow",
      "Resource": "arn:aws:s3:::BUCKET",
      "Sid": "ListOwnMultipartUploads"
    },
    {
      "Action": [
        "s3:GetObject",
        "s3:PutObject",
        "s3:DeleteObject",
        "s3:AbortMultipartUpload",
        "s3:ListMultipartUploadParts"
      ],
      "Effect": "Allow",
      "Resource": "arn:aws:s3:::BUCKET/${cognito-identity.amazonaws.com:sub}/*",
      "Sid": "ReadWriteOwnObjects"
    }
  ]
};
