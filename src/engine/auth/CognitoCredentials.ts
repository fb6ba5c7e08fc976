/**
 * CognitoCredentials: temporary AWS credentials for one signed-in user from a
 * Cognito identity pool (enhanced flow: GetId → GetCredentialsForIdentity),
 * through the SDK's `fromCognitoIdentityPool`.
 *
 * - `logins` maps the user pool's key (issuer without scheme) to a function,
 *   so every credential fetch gets a fresh ID token from the session (AUTH-NOTES).
 * - The identity ID is cached in the vault (per identity pool and user) so a
 *   start does not call the throttled GetId; the SDK drops it after a failure.
 * - The SDK provider caches the identity ID for its lifetime: build a new
 *   CognitoCredentials (and new S3 clients) for each signed-in user.
 * - The user's S3 prefix is `<identityId>/`, the `${cognito-identity.amazonaws.com:sub}`
 *   of the IAM policy.
 *
 * Failures leave as StratusErrors (identity-pool-not-found, identity-pool-denied,
 * signed-out, sign-in-unreachable…); credentials are never logged.
 */
import { fromCognitoIdentityPool } from '@aws-sdk/credential-providers';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import type { Logger } from '../logger.js';
import type { SdkRequestHandlerOptions } from '../net/HttpNetwork.js';
import { identityPoolFailure, type IdentityPoolErrorContext } from './authErrors.js';
import type { CognitoSession } from './CognitoSession.js';

export interface CognitoCredentialsOptions {
  readonly session: CognitoSession;
  /** `<region>:<uuid>`. */
  readonly identityPoolId: string;
  /** The user pool issuer; its form without scheme is the `Logins` key. */
  readonly issuer: string;
  /** App client ID, for messages. */
  readonly clientId: string;
  /** Cognito Identity region. @default the identity pool ID's region prefix */
  readonly region?: string;
  /** Cognito Identity endpoint (the sandbox); AWS's regional endpoint when omitted. */
  readonly endpoint?: string;
  readonly log?: Logger;
  /** @default Date.now */
  readonly now?: () => number;
  /** The Cognito Identity client's agents (proxy, CAs: HttpNetwork.sdkRequestHandler). @default the SDK's */
  readonly requestHandler?: SdkRequestHandlerOptions;
}

/** Credentials with less than this left are fetched anew (the SDK's own renewal window). */
const RENEW_MARGIN_MS = 5 * 60_000;

/** The identity pool's `Logins` key for a user pool: `cognito-idp.<region>.amazonaws.com/<poolId>`. */
export function loginsKeyFor(issuer: string): string {
  return issuer.replace(/^https?:\/\//, '').replace(/\/+$/, '');
}

type Credentials = AwsCredentialIdentity & { readonly identityId?: string };

export class CognitoCredentials {
  /** For `new S3Client({ credentials })`. Resolves to the user's credentials, or rejects with a StratusError. */
  readonly provider: AwsCredentialIdentityProvider;
  private readonly session: CognitoSession;
  private readonly identityPoolId: string;
  private readonly context: IdentityPoolErrorContext;
  private readonly inner: AwsCredentialIdentityProvider;
  private readonly now: () => number;
  private current: Credentials | undefined;
  private fetching: Promise<Credentials> | undefined;

  constructor(options: CognitoCredentialsOptions) {
    const { session, identityPoolId } = options;
    this.session = session;
    this.identityPoolId = identityPoolId;
    this.now = options.now ?? Date.now;
    const region = options.region ?? identityPoolId.split(':')[0] ?? '';
    const loginsKey = loginsKeyFor(options.issuer);
    this.context = {
      identityPoolId, region, loginsKey, clientId: options.clientId,
      ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    };
    this.inner = fromCognitoIdentityPool({
      identityPoolId,
      logins: { [loginsKey]: () => session.freshIdToken() },
      // With a userIdentifier the SDK keeps the identity ID in `cache`: here, the vault's session record.
      userIdentifier: session.user.sub,
      cache: {
        getItem: () => {
          const known = session.stored.identity;
          return known !== undefined && known.identityPoolId === identityPoolId ? known.identityId : null;
        },
        setItem: (_key, identityId) => session.rememberIdentity({ identityPoolId, identityId }),
        removeItem: () => session.forgetIdentity(),
      },
      clientConfig: {
        region,
        ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
        // A silent host would otherwise hang until the OS gives up (minutes).
        requestHandler: { connectionTimeout: 10_000, ...options.requestHandler },
      },
      ...(options.log === undefined ? {} : { logger: sdkLogger(options.log) }),
    });
    this.provider = () => this.credentials();
  }

  /** The identity ID (cached, or from the identity pool). */
  async identityId(): Promise<string> {
    const known = this.session.stored.identity;
    if (known !== undefined && known.identityPoolId === this.identityPoolId) return known.identityId;
    const credentials = await this.credentials();
    if (credentials.identityId === undefined) throw identityPoolFailure(new Error('no identity ID in the answer'), this.context);
    return credentials.identityId;
  }

  /** `<identityId>/`: the only prefix the user's credentials may touch. */
  async prefix(): Promise<string> {
    return `${await this.identityId()}/`;
  }

  /**
   * Drops the cached credentials: the server refused them (ExpiredToken) before
   * their stated expiration, so the next request fetches fresh ones.
   */
  invalidate(): void {
    this.current = undefined;
  }

  private credentials(): Promise<Credentials> {
    const current = this.current;
    if (current?.expiration !== undefined && current.expiration.getTime() - this.now() > RENEW_MARGIN_MS) return Promise.resolve(current);
    this.fetching ??= this.fetch().finally(() => {
      this.fetching = undefined;
    });
    return this.fetching;
  }

  private async fetch(): Promise<Credentials> {
    try {
      this.current = await this.inner();
    } catch (err) {
      if ((err as { name?: unknown }).name !== 'NotAuthorizedException') throw identityPoolFailure(err, this.context);
      // Most often an ID token this computer's clock thought fresh but the pool found expired: refresh once and retry.
      this.session.invalidateIdToken();
      try {
        this.current = await this.inner();
      } catch (again) {
        throw identityPoolFailure(again, this.context);
      }
    }
    return this.current;
  }
}

/** The SDK's logger interface over ours (the logger redacts; the SDK logs no secrets at these levels anyway). */
function sdkLogger(log: Logger): { debug(...content: unknown[]): void; info(...content: unknown[]): void; warn(...content: unknown[]): void; error(...content: unknown[]): void } {
  const line = (content: unknown[]): string => content.map((c) => (typeof c === 'string' ? c : JSON.stringify(c))).join(' ');
  return {
    debug: (...content) => log.debug(line(content)),
    info: (...content) => log.info(line(content)),
    warn: (...content) => log.warn(line(content)),
    error: (...content) => log.error(line(content)),
  };
}
