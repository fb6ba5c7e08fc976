/**
 * The sandbox's IAM evaluator (sandbox/iam/evaluate.ts) on hand-written
 * policies, and AccessPolicy deciding S3 requests with the role policy
 * generated from the backend template.
 */
import { describe, expect, it } from 'vitest';
import { CredentialStore } from '../../sandbox/CredentialStore.js';
import { AUTHENTICATED_ROLE_POLICY } from '../../sandbox/iam/authenticatedRolePolicy.js';
import { evaluate, UnsupportedPolicyError, type PolicyDocument, type PolicyStatement } from '../../sandbox/iam/evaluate.js';
import { AccessPolicy, type S3Action } from '../../sandbox/s3/AccessPolicy.js';

const SUB = '${cognito-identity.amazonaws.com:sub}';
const ME = 'us-east-1:11111111-1111-4111-8111-111111111111';
const OTHER = 'us-east-1:22222222-2222-4222-8222-222222222222';

const doc = (...Statement: PolicyStatement[]): PolicyDocument => ({ Version: '2012-10-17', Statement });
const asMe = { 'cognito-identity.amazonaws.com:sub': ME };

describe('evaluate', () => {
  const readOwn = doc({ Effect: 'Allow', Action: 's3:GetObject', Resource: `arn:aws:s3:::b/${SUB}/*` });

  it('allows what a statement allows, and denies everything else implicitly', () => {
    expect(evaluate([readOwn], { action: 's3:GetObject', resource: `arn:aws:s3:::b/${ME}/a.txt`, variables: asMe })).toBe('Allow');
    expect(evaluate([readOwn], { action: 's3:PutObject', resource: `arn:aws:s3:::b/${ME}/a.txt`, variables: asMe })).toBe('ImplicitDeny');
    expect(evaluate([readOwn], { action: 's3:GetObject', resource: `arn:aws:s3:::c/${ME}/a.txt`, variables: asMe })).toBe('ImplicitDeny');
    expect(evaluate([], { action: 's3:GetObject', resource: '*' })).toBe('ImplicitDeny');
  });

  it('substitutes the identity ID into resources, so another identity\'s prefix does not match', () => {
    expect(evaluate([readOwn], { action: 's3:GetObject', resource: `arn:aws:s3:::b/${OTHER}/a.txt`, variables: asMe })).toBe('ImplicitDeny');
    // The object ARN needs the slash: `<id>/*` is not `<id>*`.
    expect(evaluate([readOwn], { action: 's3:GetObject', resource: `arn:aws:s3:::b/${ME}`, variables: asMe })).toBe('ImplicitDeny');
    expect(evaluate([readOwn], { action: 's3:GetObject', resource: `arn:aws:s3:::b/${ME}x/a.txt`, variables: asMe })).toBe('ImplicitDeny');
  });

  it('matches nothing when the request lacks the policy variable', () => {
    expect(evaluate([readOwn], { action: 's3:GetObject', resource: `arn:aws:s3:::b/${ME}/a.txt` })).toBe('ImplicitDeny');
    // Not the typo Amplify once shipped: a variable by another name is another variable.
    const typo = doc({ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/${cognito-identity.amazon.com:sub}/*' });
    expect(evaluate([typo], { action: 's3:GetObject', resource: `arn:aws:s3:::b/${ME}/a.txt`, variables: asMe })).toBe('ImplicitDeny');
  });

  it('treats a substituted value as literal text, never as a wildcard', () => {
    const sneaky = { 'cognito-identity.amazonaws.com:sub': 'us-east-1:*' };
    expect(evaluate([readOwn], { action: 's3:GetObject', resource: `arn:aws:s3:::b/${OTHER}/a.txt`, variables: sneaky })).toBe('ImplicitDeny');
    expect(evaluate([readOwn], { action: 's3:GetObject', resource: 'arn:aws:s3:::b/us-east-1:*/a.txt', variables: sneaky })).toBe('Allow');
    const escaped = doc({ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/star${*}/*' });
    expect(evaluate([escaped], { action: 's3:GetObject', resource: 'arn:aws:s3:::b/star*/x' })).toBe('Allow');
    expect(evaluate([escaped], { action: 's3:GetObject', resource: 'arn:aws:s3:::b/starry/x' })).toBe('ImplicitDeny');
  });

  it('matches action wildcards case-insensitively, resource wildcards across slashes and case-sensitively', () => {
    const p = doc({ Effect: 'Allow', Action: ['s3:Get*', 's3:List?ucket'], Resource: 'arn:aws:s3:::b/*' });
    expect(evaluate([p], { action: 's3:GetObject', resource: 'arn:aws:s3:::b/x/y/z' })).toBe('Allow');
    expect(evaluate([p], { action: 'S3:GETOBJECT', resource: 'arn:aws:s3:::b/x' })).toBe('Allow');
    expect(evaluate([p], { action: 's3:ListBucket', resource: 'arn:aws:s3:::b/x' })).toBe('Allow');
    expect(evaluate([p], { action: 's3:ListBucketMultipartUploads', resource: 'arn:aws:s3:::b/x' })).toBe('ImplicitDeny');
    expect(evaluate([p], { action: 's3:PutObject', resource: 'arn:aws:s3:::b/x' })).toBe('ImplicitDeny');
    expect(evaluate([p], { action: 's3:GetObject', resource: 'arn:aws:s3:::B/x' })).toBe('ImplicitDeny');
    const all = doc({ Effect: 'Allow', Action: '*', Resource: '*' });
    expect(evaluate([all], { action: 'kms:Decrypt', resource: 'arn:aws:kms:eu-west-1:1:key/k' })).toBe('Allow');
  });

  it('lets an explicit Deny win over any Allow, in any order and any document', () => {
    const allow = doc({ Effect: 'Allow', Action: 's3:*', Resource: '*' });
    const deny = doc({ Effect: 'Deny', Action: 's3:DeleteObject', Resource: 'arn:aws:s3:::b/*' });
    const request = { action: 's3:DeleteObject', resource: 'arn:aws:s3:::b/k' };
    expect(evaluate([allow, deny], request)).toBe('Deny');
    expect(evaluate([deny, allow], request)).toBe('Deny');
    expect(evaluate([doc(...[allow, deny].flatMap((d) => d.Statement as PolicyStatement[]))], request)).toBe('Deny');
    expect(evaluate([allow, deny], { action: 's3:GetObject', resource: 'arn:aws:s3:::b/k' })).toBe('Allow');
  });

  describe('StringLike on s3:prefix', () => {
    const list = doc({
      Effect: 'Allow', Action: 's3:ListBucket', Resource: 'arn:aws:s3:::b',
      Condition: { StringLike: { 's3:prefix': [SUB, `${SUB}/*`] } },
    });
    const listing = (prefix: string | undefined) => evaluate([list], {
      action: 's3:ListBucket', resource: 'arn:aws:s3:::b', context: { 's3:prefix': prefix }, variables: asMe,
    });

    it('allows the identity\'s own prefix, bare or below', () => {
      expect(listing(ME)).toBe('Allow');
      expect(listing(`${ME}/`)).toBe('Allow');
      expect(listing(`${ME}/docs/2026/`)).toBe('Allow');
    });

    it('refuses other prefixes, the whole bucket, and a request without a prefix', () => {
      expect(listing(`${OTHER}/`)).toBe('ImplicitDeny');
      expect(listing('')).toBe('ImplicitDeny');
      expect(listing('us-east-1:')).toBe('ImplicitDeny');
      expect(listing(`${ME}x/`)).toBe('ImplicitDeny');
      expect(listing(undefined)).toBe('ImplicitDeny');
    });
  });

  it('needs every key of a condition block and every operator to hold', () => {
    const p = doc({
      Effect: 'Allow', Action: 's3:ListBucket', Resource: '*',
      Condition: { StringLike: { 's3:prefix': 'a/*', 's3:delimiter': '/' }, StringEquals: { 'aws:username': 'ada' } },
    });
    const context = { 's3:prefix': 'a/b', 's3:delimiter': '/', 'aws:username': 'ada' };
    expect(evaluate([p], { action: 's3:ListBucket', resource: 'x', context })).toBe('Allow');
    expect(evaluate([p], { action: 's3:ListBucket', resource: 'x', context: { ...context, 's3:delimiter': undefined } })).toBe('ImplicitDeny');
    expect(evaluate([p], { action: 's3:ListBucket', resource: 'x', context: { ...context, 'aws:username': 'grace' } })).toBe('ImplicitDeny');
    // StringEquals has no wildcards.
    const literal = doc({ Effect: 'Allow', Action: 's3:ListBucket', Resource: '*', Condition: { StringEquals: { 's3:prefix': 'a/*' } } });
    expect(evaluate([literal], { action: 's3:ListBucket', resource: 'x', context: { 's3:prefix': 'a/b' } })).toBe('ImplicitDeny');
    expect(evaluate([literal], { action: 's3:ListBucket', resource: 'x', context: { 's3:prefix': 'a/*' } })).toBe('Allow');
  });

  it('denies plain HTTP with Bool aws:SecureTransport, as the bucket\'s TLS-only policy does', () => {
    const tlsOnly = doc(
      { Effect: 'Deny', Action: 's3:*', Resource: ['arn:aws:s3:::b', 'arn:aws:s3:::b/*'], Condition: { Bool: { 'aws:SecureTransport': 'false' } } },
      { Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' },
    );
    const get = (secure: boolean | undefined) => evaluate([tlsOnly], { action: 's3:GetObject', resource: 'arn:aws:s3:::b/k', context: { 'aws:SecureTransport': secure } });
    expect(get(false)).toBe('Deny');
    expect(get(true)).toBe('Allow');
    // A Bool condition on a key the request lacks is false: the Deny does not apply.
    expect(get(undefined)).toBe('Allow');
    const booleanValue = doc({ Effect: 'Deny', Action: '*', Resource: '*', Condition: { Bool: { 'aws:SecureTransport': false } } });
    expect(evaluate([booleanValue], { action: 's3:GetObject', resource: 'x', context: { 'aws:SecureTransport': false } })).toBe('Deny');
  });

  it('refuses, loudly, the parts of IAM it does not implement', () => {
    const request = { action: 's3:GetObject', resource: 'x' };
    const notAction = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', NotAction: 's3:PutObject', Resource: '*' }] } as unknown as PolicyDocument;
    expect(() => evaluate([notAction], request)).toThrow(UnsupportedPolicyError);
    const numeric = doc({ Effect: 'Allow', Action: '*', Resource: '*', Condition: { NumericLessThan: { 's3:max-keys': '10' } } });
    expect(() => evaluate([numeric], request)).toThrow(/NumericLessThan/);
    const ifExists = doc({ Effect: 'Allow', Action: '*', Resource: '*', Condition: { StringLikeIfExists: { 's3:prefix': 'a' } } });
    expect(() => evaluate([ifExists], request)).toThrow(UnsupportedPolicyError);
    const oldVersion = { Version: '2008-10-17', Statement: [] } as unknown as PolicyDocument;
    expect(() => evaluate([oldVersion], request)).toThrow(/2012-10-17/);
  });
});

describe('AccessPolicy with the role policy synthesized from the backend template', () => {
  const credentials = new CredentialStore();
  const me = credentials.issueForIdentity(ME, 60_000);
  const policy = new AccessPolicy(new Set(['stratus', 'second']));
  const allowed = (action: S3Action, bucket?: string, keyOrPrefix?: string) => policy.isAllowed(me, action, bucket, keyOrPrefix);

  it('allows every object action Stratus needs under the identity\'s prefix, in every app bucket', () => {
    for (const action of ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'] as const) {
      expect(allowed(action, 'stratus', `${ME}/docs/a.txt`), action).toBe(true);
      expect(allowed(action, 'second', `${ME}/a.txt`), action).toBe(true);
      expect(allowed(action, 'stratus', `${OTHER}/docs/a.txt`), action).toBe(false);
      expect(allowed(action, 'stratus', 'a.txt'), action).toBe(false);
      expect(allowed(action, 'elsewhere', `${ME}/a.txt`), action).toBe(false);
    }
  });

  it('allows listing and listing multipart uploads only with the identity\'s prefix', () => {
    for (const action of ['s3:ListBucket', 's3:ListBucketMultipartUploads'] as const) {
      expect(allowed(action, 'stratus', `${ME}/`), action).toBe(true);
      expect(allowed(action, 'stratus', ME), action).toBe(true);
      expect(allowed(action, 'stratus', `${OTHER}/`), action).toBe(false);
      expect(allowed(action, 'stratus', ''), action).toBe(false);
      // HeadBucket: ListBucket without s3:prefix.
      expect(allowed(action, 'stratus'), action).toBe(false);
    }
  });

  it('allows nothing at the account or bucket level', () => {
    expect(allowed('s3:ListAllMyBuckets')).toBe(false);
    for (const action of ['s3:CreateBucket', 's3:DeleteBucket', 's3:GetBucketLocation', 's3:GetBucketVersioning'] as const) {
      expect(allowed(action, 'stratus'), action).toBe(false);
    }
  });

  it('lets the admin key do anything', () => {
    expect(policy.isAllowed(credentials.admin, 's3:ListAllMyBuckets')).toBe(true);
    expect(policy.isAllowed(credentials.admin, 's3:GetObject', 'elsewhere', `${OTHER}/a.txt`)).toBe(true);
  });

  it('follows the document it is given: drop a statement and its action is refused', () => {
    const statements = AUTHENTICATED_ROLE_POLICY.Statement as PolicyStatement[];
    const withoutUploadListing = new AccessPolicy(new Set(['stratus']), doc(...statements.filter((s) => s.Sid !== 'ListOwnMultipartUploads')));
    expect(withoutUploadListing.isAllowed(me, 's3:ListBucketMultipartUploads', 'stratus', `${ME}/`)).toBe(false);
    expect(withoutUploadListing.isAllowed(me, 's3:ListBucket', 'stratus', `${ME}/`)).toBe(true);
  });
});
