/**
 * StratusBackendStack: everything Stratus needs in one AWS account, least
 * privilege (issue 9, "Backend template"):
 *
 *   user pool ── hosted UI domain (`<domainPrefix>.auth.<region>.amazoncognito.com`)
 *      └─ public app client: authorization code + PKCE only, `openid email profile`,
 *         callback `http://localhost:<redirectPort>/callback`, sign-out `…/logout`
 *   identity pool (enhanced flow only, no unauthenticated identities) ── authenticated role
 *      └─ per-identity policy: `s3://<bucket>/${cognito-identity.amazonaws.com:sub}/` and nothing else
 *   bucket: Block Public Access, TLS only, SSE-S3 or SSE-KMS, optional versioning,
 *           incomplete multipart uploads aborted after 7 days, no CORS
 *
 * Emits CloudFormation outputs (see OUTPUT_KEYS) that infra/scripts/outputs-to-config.js
 * turns into a Stratus policy file and a Stratus config file. The authenticated
 * role's policy is also what the sandbox's S3 server enforces
 * (sandbox/iam/authenticatedRolePolicy.ts, generated from this stack).
 *
 * Options are synth-time values (CDK context, `cdk deploy -c name=value`), not
 * CloudFormation parameters: CDK validates them (token lifetimes, bucket rules)
 * and the template stays free of conditions.
 */
import { Aws, CfnOutput, DefaultStackSynthesizer, Duration, RemovalPolicy, Stack, type IStackSynthesizer, type StackProps } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';

/**
 * The IAM policy variable that names the caller's Cognito identity ID
 * (`<region>:<guid>`, not the user pool `sub`). Written out once here; the tests
 * check the synthesized JSON against their own literal, not against this constant.
 */
const IDENTITY_ID = '${cognito-identity.amazonaws.com:sub}';

export type BucketEncryptionChoice = 'SSE-S3' | 'SSE-KMS';

export interface StratusBackendOptions {
  /** Hosted UI domain prefix: `https://<prefix>.auth.<region>.amazoncognito.com`. Globally unique per region. */
  readonly domainPrefix: string;
  /** Loopback port of the app's sign-in callback. @default 53682 */
  readonly redirectPort?: number;
  /** ID and access token lifetime in minutes, 5–1440. @default 60 */
  readonly idTokenMinutes?: number;
  readonly accessTokenMinutes?: number;
  /** Refresh token lifetime in days, 1–3650 (how long a device stays signed in). @default 30 */
  readonly refreshTokenDays?: number;
  /** Default bucket encryption. SSE-KMS creates a customer managed key with rotation. @default 'SSE-S3' */
  readonly encryption?: BucketEncryptionChoice;
  /** Keep old versions of overwritten and deleted files. @default false */
  readonly versioned?: boolean;
  /** A fixed bucket name; CloudFormation picks a unique one when omitted. */
  readonly bucketName?: string;
}

export interface StratusBackendStackProps extends StackProps {
  readonly backend: StratusBackendOptions;
}

/** The CloudFormation output keys, as `cdk deploy --outputs-file` writes them. */
export const OUTPUT_KEYS = {
  region: 'Region',
  userPoolId: 'UserPoolId',
  appClientId: 'AppClientId',
  hostedUiDomain: 'HostedUiDomainUrl',
  identityPoolId: 'IdentityPoolId',
  bucket: 'BucketName',
  redirectPort: 'RedirectPort',
} as const;

export const DEFAULT_REDIRECT_PORT = 53682;

function checkInteger(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) throw new Error(`${name} must be an integer from ${min} to ${max}, got ${value}`);
  return value;
}

export class StratusBackendStack extends Stack {
  readonly bucket: s3.Bucket;
  readonly userPool: cognito.UserPool;
  readonly appClient: cognito.UserPoolClient;
  readonly identityPool: cognito.CfnIdentityPool;
  readonly authenticatedRole: iam.Role;

  constructor(scope: Construct, id: string, props: StratusBackendStackProps) {
    // No BootstrapVersion parameter: the synthesized template also deploys without the CDK
    // (`aws cloudformation deploy`); `cdk deploy` still uses the bootstrap roles.
    // (The cast: aws-cdk-lib's own types disagree under exactOptionalPropertyTypes.)
    const synthesizer = new DefaultStackSynthesizer({ generateBootstrapVersionRule: false }) as unknown as IStackSynthesizer;
    super(scope, id, { synthesizer, ...props });
    const o = props.backend;
    const redirectPort = checkInteger('redirectPort', o.redirectPort ?? DEFAULT_REDIRECT_PORT, 1024, 65535);
    const encryption = o.encryption ?? 'SSE-S3';
    if (encryption !== 'SSE-S3' && encryption !== 'SSE-KMS') throw new Error(`encryption must be SSE-S3 or SSE-KMS, got ${String(encryption)}`);

    // --- The bucket -------------------------------------------------------------
    const key = encryption === 'SSE-KMS'
      ? new kms.Key(this, 'BucketKey', { enableKeyRotation: true, description: 'Stratus bucket default encryption', removalPolicy: RemovalPolicy.RETAIN })
      : undefined;
    this.bucket = new s3.Bucket(this, 'Bucket', {
      ...(o.bucketName === undefined ? {} : { bucketName: o.bucketName }),
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      // Denies every request over plain HTTP (aws:SecureTransport false), to anyone.
      enforceSSL: true,
      ...(key === undefined
        ? { encryption: s3.BucketEncryption.S3_MANAGED }
        // The bucket key cuts KMS requests (and their cost) to one per bucket-key period.
        : { encryption: s3.BucketEncryption.KMS, encryptionKey: key, bucketKeyEnabled: true }),
      versioned: o.versioned === true,
      lifecycleRules: [
        // Uploads a crashed or vanished device left behind; the app cleans its own, this catches the rest.
        { id: 'AbortIncompleteMultipartUploads', enabled: true, abortIncompleteMultipartUploadAfter: Duration.days(7) },
      ],
      // No `cors`: Stratus is a desktop app, no browser origin ever reads the bucket.
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // --- Sign-in: user pool, hosted UI, public app client -------------------------
    this.userPool = new cognito.UserPool(this, 'UserPool', {
      // Admins add people; self sign-up can be switched on in the console later.
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      autoVerify: { email: true },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const domain = this.userPool.addDomain('HostedUi', { cognitoDomain: { domainPrefix: o.domainPrefix } });
    // Cognito matches callback URLs exactly, port included, and allows plain http only for localhost.
    const callbackUrl = `http://localhost:${redirectPort}/callback`;
    const logoutUrl = `http://localhost:${redirectPort}/logout`;
    this.appClient = this.userPool.addClient('DesktopClient', {
      // A desktop app cannot keep a secret: public client, PKCE (RFC 7636) instead.
      generateSecret: false,
      // No password, SRP or custom flows from the client: sign-in happens on the hosted UI only;
      // only ALLOW_REFRESH_TOKEN_AUTH remains.
      authFlows: { userSrp: false },
      oAuth: {
        flows: { authorizationCodeGrant: true, implicitCodeGrant: false, clientCredentials: false },
        scopes: [cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL, cognito.OAuthScope.PROFILE],
        callbackUrls: [callbackUrl],
        logoutUrls: [logoutUrl],
      },
      supportedIdentityProviders: [cognito.UserPoolClientIdentityProvider.COGNITO],
      idTokenValidity: Duration.minutes(checkInteger('idTokenMinutes', o.idTokenMinutes ?? 60, 5, 1440)),
      accessTokenValidity: Duration.minutes(checkInteger('accessTokenMinutes', o.accessTokenMinutes ?? 60, 5, 1440)),
      refreshTokenValidity: Duration.days(checkInteger('refreshTokenDays', o.refreshTokenDays ?? 30, 1, 3650)),
      // `stratus logout` revokes the refresh token (/oauth2/revoke).
      enableTokenRevocation: true,
      preventUserExistenceErrors: true,
    });

    // --- AWS credentials: identity pool and its authenticated role ----------------
    this.identityPool = new cognito.CfnIdentityPool(this, 'IdentityPool', {
      allowUnauthenticatedIdentities: false,
      // Enhanced flow only (GetId + GetCredentialsForIdentity); the classic flow lets clients pick roles.
      allowClassicFlow: false,
      cognitoIdentityProviders: [{
        clientId: this.appClient.userPoolClientId,
        providerName: this.userPool.userPoolProviderName,
        // Tokens of signed-out (globally revoked) users are refused.
        serverSideTokenCheck: true,
      }],
    });

    this.authenticatedRole = new iam.Role(this, 'AuthenticatedRole', {
      description: 'Stratus users signed in through the identity pool: their own prefix of the bucket only',
      maxSessionDuration: Duration.hours(1),
      // Only this identity pool, and only its signed-in identities, may assume it.
      assumedBy: new iam.FederatedPrincipal('cognito-identity.amazonaws.com', {
        StringEquals: { 'cognito-identity.amazonaws.com:aud': this.identityPool.ref },
        'ForAnyValue:StringLike': { 'cognito-identity.amazonaws.com:amr': 'authenticated' },
      }, 'sts:AssumeRoleWithWebIdentity'),
      inlinePolicies: { StratusOwnPrefix: this.perIdentityPolicy(key) },
    });
    new cognito.CfnIdentityPoolRoleAttachment(this, 'IdentityPoolRoles', {
      identityPoolId: this.identityPool.ref,
      roles: { authenticated: this.authenticatedRole.roleArn },
    });

    // --- Outputs (cdk deploy --outputs-file cdk-outputs.json) ----------------------
    const output = (id: string, value: string, description: string): CfnOutput => new CfnOutput(this, id, { value, description });
    output(OUTPUT_KEYS.region, Aws.REGION, 'Region of the user pool, identity pool and bucket (CognitoRegion)');
    output(OUTPUT_KEYS.userPoolId, this.userPool.userPoolId, 'User pool ID (CognitoUserPoolId)');
    output(OUTPUT_KEYS.appClientId, this.appClient.userPoolClientId, 'Public app client ID (CognitoAppClientId)');
    output(OUTPUT_KEYS.hostedUiDomain, domain.baseUrl(), 'Hosted UI base URL (CognitoHostedUiDomain)');
    output(OUTPUT_KEYS.identityPoolId, this.identityPool.ref, 'Identity pool ID (CognitoIdentityPoolId)');
    output(OUTPUT_KEYS.bucket, this.bucket.bucketName, 'Bucket holding every user\'s <identityId>/ prefix (Bucket)');
    output(OUTPUT_KEYS.redirectPort, String(redirectPort), 'Loopback port registered in the app client\'s callback URL (CognitoRedirectPort)');
  }

  /**
   * The authenticated role's permissions: list, read, write and delete under
   * `<identityId>/` only. `s3:GetObject` is also what conditional writes
   * (If-Match / If-None-Match) need; ListBucketMultipartUploads lets the app
   * find and abort uploads a crashed device abandoned under its own prefix.
   */
  private perIdentityPolicy(key: kms.IKey | undefined): iam.PolicyDocument {
    const ownPrefix = { StringLike: { 's3:prefix': [IDENTITY_ID, `${IDENTITY_ID}/*`] } };
    const statements = [
      new iam.PolicyStatement({
        sid: 'ListOwnPrefix',
        actions: ['s3:ListBucket'],
        resources: [this.bucket.bucketArn],
        conditions: ownPrefix,
      }),
      new iam.PolicyStatement({
        sid: 'ListOwnMultipartUploads',
        actions: ['s3:ListBucketMultipartUploads'],
        resources: [this.bucket.bucketArn],
        conditions: ownPrefix,
      }),
      new iam.PolicyStatement({
        sid: 'ReadWriteOwnObjects',
        actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
        resources: [this.bucket.arnForObjects(`${IDENTITY_ID}/*`)],
      }),
    ];
    if (key !== undefined) {
      // SSE-KMS with a customer managed key: S3 encrypts and decrypts on the caller's behalf.
      statements.push(new iam.PolicyStatement({
        sid: 'UseBucketKeyThroughS3',
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: [key.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `s3.${Aws.REGION}.amazonaws.com` } },
      }));
    }
    return new iam.PolicyDocument({ statements });
  }
}
