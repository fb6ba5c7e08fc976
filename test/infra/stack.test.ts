/**
 * The backend template (infra/), synthesized offline: every resource and
 * property issue 9 asks for, least privilege, and the literal IAM policy
 * variable. Expected values are written out here, never imported from the
 * stack's code, so a typo there (Amplify once shipped
 * `${cognito-identity.amazon.com:sub}` and its tests asserted it) fails here.
 */
import { describe, expect, it } from 'vitest';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { createBackendApp } from '../../infra/lib/backendApp.js';

/** Written out by hand on purpose: see the header. */
const SUB = '${cognito-identity.amazonaws.com:sub}';

function synth(context: Record<string, unknown> = {}): { template: Template; json: Record<string, unknown>; text: string } {
  const { stack } = createBackendApp({ context: { domainPrefix: 'acme-stratus', ...context } });
  const template = Template.fromStack(stack);
  const json = template.toJSON() as Record<string, unknown>;
  return { template, json, text: JSON.stringify(json) };
}

type Resource = { Type: string; Properties: Record<string, unknown> };

function resourcesOf(json: Record<string, unknown>, type: string): [string, Resource][] {
  return Object.entries(json['Resources'] as Record<string, Resource>).filter(([, r]) => r.Type === type);
}

function only(json: Record<string, unknown>, type: string): [string, Resource] {
  const found = resourcesOf(json, type);
  expect(found, type).toHaveLength(1);
  return found[0] as [string, Resource];
}

/** Resolves the intrinsics used for ARNs to text, with the bucket called `bucket` (independent of infra/lib/sandboxPolicy.ts). */
function arnText(value: unknown, bucketId: string): string {
  if (typeof value === 'string') return value;
  const v = value as Record<string, unknown>;
  if (Array.isArray(v['Fn::GetAtt']) && v['Fn::GetAtt'][0] === bucketId && v['Fn::GetAtt'][1] === 'Arn') return 'arn:aws:s3:::bucket';
  if (v['Ref'] === bucketId) return 'bucket';
  if (v['Ref'] === 'AWS::Partition') return 'aws';
  if (Array.isArray(v['Fn::Join'])) {
    const [sep, parts] = v['Fn::Join'] as [string, unknown[]];
    return parts.map((p) => arnText(p, bucketId)).join(sep);
  }
  return JSON.stringify(value);
}

interface Statement { Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown; Principal?: unknown; Sid?: string }

/** Every statement of every IAM document in the template: role trust and permissions, managed/inline policies, bucket policies. */
function allStatements(json: Record<string, unknown>): { where: string; statement: Statement }[] {
  const out: { where: string; statement: Statement }[] = [];
  const add = (where: string, doc: unknown): void => {
    const statements = (doc as { Statement: Statement | Statement[] }).Statement;
    for (const statement of Array.isArray(statements) ? statements : [statements]) out.push({ where, statement });
  };
  for (const [id, r] of Object.entries(json['Resources'] as Record<string, Resource>)) {
    if (r.Type === 'AWS::IAM::Role') {
      add(`${id} trust`, r.Properties['AssumeRolePolicyDocument']);
      for (const p of (r.Properties['Policies'] as { PolicyDocument: unknown }[] | undefined) ?? []) add(id, p.PolicyDocument);
    }
    if (r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy' || r.Type === 'AWS::S3::BucketPolicy') add(id, r.Properties['PolicyDocument']);
    if (r.Type === 'AWS::KMS::Key') add(`${id} key policy`, r.Properties['KeyPolicy']);
  }
  return out;
}

const asList = (v: string | string[]): string[] => (Array.isArray(v) ? v : [v]);

describe('the backend template', () => {
  const { template, json, text } = synth();
  const [bucketId] = only(json, 'AWS::S3::Bucket');
  const [userPoolId] = only(json, 'AWS::Cognito::UserPool');
  const [clientId] = only(json, 'AWS::Cognito::UserPoolClient');
  const [identityPoolId] = only(json, 'AWS::Cognito::IdentityPool');
  const [roleId, role] = only(json, 'AWS::IAM::Role');

  it('creates exactly the resources Stratus needs and nothing else', () => {
    const types = Object.values(json['Resources'] as Record<string, Resource>).map((r) => r.Type).sort();
    expect(types).toEqual([
      'AWS::Cognito::IdentityPool',
      'AWS::Cognito::IdentityPoolRoleAttachment',
      'AWS::Cognito::UserPool',
      'AWS::Cognito::UserPoolClient',
      'AWS::Cognito::UserPoolDomain',
      'AWS::IAM::Role',
      'AWS::S3::Bucket',
      'AWS::S3::BucketPolicy',
    ]);
    // No Lambda-backed custom resources, no bootstrap version check: deployable with plain CloudFormation too.
    expect(json['Parameters']).toBeUndefined();
    expect(json['Rules']).toBeUndefined();
  });

  it('gives the user pool a hosted UI domain with the chosen prefix, and only admins create users', () => {
    template.hasResourceProperties('AWS::Cognito::UserPoolDomain', { Domain: 'acme-stratus', UserPoolId: { Ref: userPoolId } });
    template.hasResourceProperties('AWS::Cognito::UserPool', { AdminCreateUserConfig: { AllowAdminCreateUserOnly: true } });
  });

  it('has a public app client with the authorization code grant only, the loopback callback and the three scopes', () => {
    const [, client] = only(json, 'AWS::Cognito::UserPoolClient');
    expect(client.Properties).toMatchObject({
      UserPoolId: { Ref: userPoolId },
      GenerateSecret: false,
      AllowedOAuthFlowsUserPoolClient: true,
      AllowedOAuthFlows: ['code'],
      CallbackURLs: ['http://localhost:53682/callback'],
      LogoutURLs: ['http://localhost:53682/logout'],
      SupportedIdentityProviders: ['COGNITO'],
      // Sign-in happens on the hosted UI; the client itself may only refresh.
      ExplicitAuthFlows: ['ALLOW_REFRESH_TOKEN_AUTH'],
      EnableTokenRevocation: true,
      PreventUserExistenceErrors: 'ENABLED',
    });
    expect([...(client.Properties['AllowedOAuthScopes'] as string[])].sort()).toEqual(['email', 'openid', 'profile']);
    expect(client.Properties['AllowedOAuthFlows']).not.toContain('implicit');
    expect(client.Properties['AllowedOAuthFlows']).not.toContain('client_credentials');
  });

  it('sets token lifetimes, defaulting to one hour and 30 days', () => {
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      IdTokenValidity: 60, AccessTokenValidity: 60, RefreshTokenValidity: 43200,
      TokenValidityUnits: { IdToken: 'minutes', AccessToken: 'minutes', RefreshToken: 'minutes' },
    });
  });

  it('links an identity pool to the app client: enhanced flow only, no unauthenticated identities', () => {
    template.hasResourceProperties('AWS::Cognito::IdentityPool', {
      AllowUnauthenticatedIdentities: false,
      AllowClassicFlow: false,
      CognitoIdentityProviders: [{
        ClientId: { Ref: clientId },
        ProviderName: { 'Fn::GetAtt': [userPoolId, 'ProviderName'] },
        ServerSideTokenCheck: true,
      }],
    });
    const [, attachment] = only(json, 'AWS::Cognito::IdentityPoolRoleAttachment');
    expect(attachment.Properties).toEqual({
      IdentityPoolId: { Ref: identityPoolId },
      Roles: { authenticated: { 'Fn::GetAtt': [roleId, 'Arn'] } },
    });
  });

  it('lets only this identity pool\'s signed-in identities assume the authenticated role', () => {
    expect(role.Properties['AssumeRolePolicyDocument']).toEqual({
      Version: '2012-10-17',
      Statement: [{
        Effect: 'Allow',
        Principal: { Federated: 'cognito-identity.amazonaws.com' },
        Action: 'sts:AssumeRoleWithWebIdentity',
        Condition: {
          StringEquals: { 'cognito-identity.amazonaws.com:aud': { Ref: identityPoolId } },
          'ForAnyValue:StringLike': { 'cognito-identity.amazonaws.com:amr': 'authenticated' },
        },
      }],
    });
    expect(role.Properties['ManagedPolicyArns']).toBeUndefined();
  });

  it('confines the authenticated role to the caller\'s own prefix', () => {
    const policies = role.Properties['Policies'] as { PolicyDocument: { Statement: Statement[] } }[];
    expect(policies).toHaveLength(1);
    const statements = (policies[0]?.PolicyDocument.Statement ?? []).map((s) => ({ ...s, Resource: arnText(s.Resource, bucketId) }));
    const ownPrefix = { StringLike: { 's3:prefix': ['${cognito-identity.amazonaws.com:sub}', '${cognito-identity.amazonaws.com:sub}/*'] } };
    expect(statements).toEqual([
      { Sid: 'ListOwnPrefix', Effect: 'Allow', Action: 's3:ListBucket', Resource: 'arn:aws:s3:::bucket', Condition: ownPrefix },
      { Sid: 'ListOwnMultipartUploads', Effect: 'Allow', Action: 's3:ListBucketMultipartUploads', Resource: 'arn:aws:s3:::bucket', Condition: ownPrefix },
      {
        Sid: 'ReadWriteOwnObjects',
        Effect: 'Allow',
        Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
        Resource: 'arn:aws:s3:::bucket/${cognito-identity.amazonaws.com:sub}/*',
      },
    ]);
  });

  it('writes the policy variable as ${cognito-identity.amazonaws.com:sub}, literally', () => {
    // Counted in the raw template text: two s3:prefix values in each of two statements, and the object ARN.
    expect(text.split(`"${SUB}"`).length - 1).toBe(2);
    expect(text.split(`"${SUB}/*"`).length - 1).toBe(2);
    expect(text.split(`"/${SUB}/*"`).length - 1).toBe(1);
    expect(text).not.toMatch(/cognito-identity\.amazon\.com/);
    expect(text.match(/\$\{[^}]*\}/g)?.every((v) => v === SUB)).toBe(true);
  });

  it('blocks public access, denies plain HTTP, encrypts with SSE-S3, aborts stale multipart uploads, and has no CORS', () => {
    const [, bucket] = only(json, 'AWS::S3::Bucket');
    expect(bucket.Properties).toMatchObject({
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      LifecycleConfiguration: { Rules: [{ Status: 'Enabled', AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 } }] },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
    });
    expect(bucket.Properties['CorsConfiguration']).toBeUndefined();
    expect(bucket.Properties['VersioningConfiguration']).toBeUndefined();
    template.hasResource('AWS::S3::Bucket', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });

    const [, bucketPolicy] = only(json, 'AWS::S3::BucketPolicy');
    expect(bucketPolicy.Properties['Bucket']).toEqual({ Ref: bucketId });
    const statements = (bucketPolicy.Properties['PolicyDocument'] as { Statement: Statement[] }).Statement;
    expect(statements).toHaveLength(1);
    const tls = statements[0] as Statement;
    expect({ ...tls, Resource: (tls.Resource as unknown[]).map((r) => arnText(r, bucketId)).sort() }).toEqual({
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: 's3:*',
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      Resource: ['arn:aws:s3:::bucket', 'arn:aws:s3:::bucket/*'],
    });
  });

  it('outputs what the Stratus policy and config files need', () => {
    const outputs = json['Outputs'] as Record<string, { Value: unknown }>;
    expect(Object.keys(outputs).sort()).toEqual(['AppClientId', 'BucketName', 'HostedUiDomainUrl', 'IdentityPoolId', 'RedirectPort', 'Region', 'UserPoolId']);
    expect(outputs['Region']?.Value).toEqual({ Ref: 'AWS::Region' });
    expect(outputs['UserPoolId']?.Value).toEqual({ Ref: userPoolId });
    expect(outputs['AppClientId']?.Value).toEqual({ Ref: clientId });
    expect(outputs['IdentityPoolId']?.Value).toEqual({ Ref: identityPoolId });
    expect(outputs['BucketName']?.Value).toEqual({ Ref: bucketId });
    expect(outputs['RedirectPort']?.Value).toBe('53682');
    expect(JSON.stringify(outputs['HostedUiDomainUrl']?.Value)).toMatch(/"https:\/\/",\{"Ref":"UserPoolHostedUi[0-9A-F]+"\},"\.auth\.",\{"Ref":"AWS::Region"\},"\.amazoncognito\.com"/);
  });
});

describe('least privilege, whatever the options', () => {
  for (const context of [{}, { encryption: 'SSE-KMS', versioned: 'true' }]) {
    it(`grants no s3:*, no wildcard action and no bucket-wide object access (${JSON.stringify(context)})`, () => {
      const { json } = synth(context);
      const [bucketId] = only(json, 'AWS::S3::Bucket');
      const allows = allStatements(json).filter(({ statement }) => statement.Effect === 'Allow');
      expect(allows.length).toBeGreaterThan(0);
      for (const { where, statement } of allows) {
        // A KMS key policy's account-root statement is the standard one: it defers to IAM, it grants nobody anything by itself.
        if (where.endsWith('key policy')) continue;
        for (const action of asList(statement.Action)) {
          expect(action, where).not.toBe('*');
          expect(action, where).not.toBe('s3:*');
          expect(action, where).not.toMatch(/[*?]/);
        }
        // A trust policy has no Resource (its Principal and Condition are checked above).
        const resources = (statement.Resource === undefined ? [] : Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource]).map((r) => arnText(r, bucketId));
        for (const resource of resources) {
          expect(resource, where).not.toBe('*');
          expect(resource, where).not.toBe('arn:aws:s3:::bucket/*');
          if (resource.startsWith('arn:aws:s3:::bucket/')) expect(resource, where).toBe('arn:aws:s3:::bucket/${cognito-identity.amazonaws.com:sub}/*');
        }
        if (resources.includes('arn:aws:s3:::bucket')) {
          // Bucket-level grants exist only for listing, and only with the prefix condition.
          expect(asList(statement.Action).every((a) => a === 's3:ListBucket' || a === 's3:ListBucketMultipartUploads'), where).toBe(true);
          expect(statement.Condition, where).toEqual({ StringLike: { 's3:prefix': ['${cognito-identity.amazonaws.com:sub}', '${cognito-identity.amazonaws.com:sub}/*'] } });
        }
      }
    });
  }
});

describe('options', () => {
  it('registers the callback and sign-out URLs on the chosen port and sets the token lifetimes', () => {
    const { template, json } = synth({ redirectPort: '49152', idTokenMinutes: 15, accessTokenMinutes: '10', refreshTokenDays: 90 });
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      CallbackURLs: ['http://localhost:49152/callback'],
      LogoutURLs: ['http://localhost:49152/logout'],
      IdTokenValidity: 15,
      AccessTokenValidity: 10,
      RefreshTokenValidity: 90 * 24 * 60,
    });
    expect((json['Outputs'] as Record<string, { Value: unknown }>)['RedirectPort']?.Value).toBe('49152');
  });

  it('encrypts with a rotated customer managed KMS key and lets the role use it only through S3', () => {
    const { template, json } = synth({ encryption: 'SSE-KMS' });
    const [keyId] = only(json, 'AWS::KMS::Key');
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [{
        BucketKeyEnabled: true,
        ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': [keyId, 'Arn'] } },
      }] },
    });
    template.hasResourceProperties('AWS::IAM::Role', {
      Policies: [{ PolicyDocument: { Statement: Match.arrayWith([{
        Sid: 'UseBucketKeyThroughS3',
        Effect: 'Allow',
        Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
        Resource: { 'Fn::GetAtt': [keyId, 'Arn'] },
        Condition: { StringEquals: { 'kms:ViaService': { 'Fn::Join': ['', ['s3.', { Ref: 'AWS::Region' }, '.amazonaws.com']] } } },
      }]) } }],
    });
  });

  it('keeps versions when asked', () => {
    synth({ versioned: 'true' }).template.hasResourceProperties('AWS::S3::Bucket', { VersioningConfiguration: { Status: 'Enabled' } });
    synth({ versioned: false }).template.hasResourceProperties('AWS::S3::Bucket', { VersioningConfiguration: Match.absent() });
  });

  it('refuses values Cognito or S3 would refuse at deploy time', () => {
    expect(() => synth({ redirectPort: 80 })).toThrow(/redirectPort must be an integer from 1024 to 65535/);
    expect(() => synth({ idTokenMinutes: 2 })).toThrow(/idTokenMinutes/);
    expect(() => synth({ refreshTokenDays: 4000 })).toThrow(/refreshTokenDays/);
    expect(() => synth({ encryption: 'AES' })).toThrow(/SSE-S3 or SSE-KMS/);
    expect(() => synth({ versioned: 'yes' })).toThrow(/versioned must be true or false/);
    expect(() => synth({ domainPrefix: 'Acme_Stratus' })).toThrow(/domainPrefix/);
  });
});
