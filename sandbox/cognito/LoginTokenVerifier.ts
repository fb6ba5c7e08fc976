/**
 * LoginTokenVerifier: checks the ID tokens an identity pool receives in `Logins`,
 * the way Cognito Identity does for a Cognito user pool provider: signature against
 * the pool's JWKS, expiry, issuer = provider, `aud` = a configured app client,
 * `token_use` = "id". Rejections carry Cognito's NotAuthorizedException texts.
 *
 * A provider is addressed by either `Logins` key form:
 *   - the issuer without its scheme, `localhost:PORT/us-east-1_Sandbox01`, and
 *   - the AWS form, `cognito-idp.us-east-1.amazonaws.com/us-east-1_Sandbox01`,
 * so a client can build the key exactly as it would for real Cognito.
 */
import { createRemoteJWKSet, decodeJwt, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { CognitoIdentityError, INVALID_LOGIN } from './CognitoIdentityError.js';

export interface LoginProvider {
  /** e.g. `http://localhost:PORT/us-east-1_Sandbox01` */
  readonly issuer: string;
  readonly clientId: string;
  readonly jwksUri: string;
}

export interface VerifiedLogin {
  readonly provider: LoginProvider;
  /** The user pool's ID (last issuer path segment), stable across sandbox restarts. */
  readonly userPoolId: string;
  readonly sub: string;
}

interface ProviderEntry {
  readonly provider: LoginProvider;
  readonly userPoolId: string;
  readonly keys: ReturnType<typeof createRemoteJWKSet>;
}

function userPoolIdOf(issuer: string): string {
  const last = new URL(issuer).pathname.split('/').filter(Boolean).pop();
  if (!last) throw new Error(`provider issuer ${issuer} has no user pool ID path`);
  return last;
}

function regionOf(userPoolId: string): string {
  return userPoolId.split('_')[0] ?? '';
}

/** Timeout, network error (fetch's TypeError) or a non-200/non-JSON JWKS response. */
function isKeyFetchFailure(err: unknown): boolean {
  return (
    err instanceof joseErrors.JWKSTimeout ||
    err instanceof TypeError ||
    (err instanceof joseErrors.JOSEError && err.code === 'ERR_JOSE_GENERIC')
  );
}

export class LoginTokenVerifier {
  private readonly byKey = new Map<string, ProviderEntry>();

  constructor(
    providers: readonly LoginProvider[],
    private readonly now: () => number,
  ) {
    for (const provider of providers) {
      const userPoolId = userPoolIdOf(provider.issuer);
      // A short cooldown lets a restarted user pool's new signing key be picked up quickly.
      const keys = createRemoteJWKSet(new URL(provider.jwksUri), { cooldownDuration: 1000, timeoutDuration: 5000 });
      const entry = { provider, userPoolId, keys };
      this.byKey.set(provider.issuer.replace(/^https?:\/\//, ''), entry);
      this.byKey.set(`cognito-idp.${regionOf(userPoolId)}.amazonaws.com/${userPoolId}`, entry);
    }
  }

  /** The provider a `Logins` key names, if it is one of this pool's. */
  providerFor(loginsKey: string): LoginProvider | undefined {
    return this.byKey.get(loginsKey)?.provider;
  }

  async verify(loginsKey: string, token: string): Promise<VerifiedLogin> {
    const entry = this.byKey.get(loginsKey);
    if (!entry) {
      throw new CognitoIdentityError('NotAuthorizedException', 'Token is not from a supported provider of this identity pool.');
    }
    let unverified: JWTPayload;
    try {
      unverified = decodeJwt(token);
    } catch {
      throw new CognitoIdentityError('NotAuthorizedException', `${INVALID_LOGIN} Not a valid OpenId Connect identity token.`);
    }
    const nowSeconds = Math.floor(this.now() / 1000);
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, entry.keys, { currentDate: new Date(this.now()), algorithms: ['RS256'] }));
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) {
        throw new CognitoIdentityError(
          'NotAuthorizedException',
          `${INVALID_LOGIN} Token expired: ${nowSeconds} >= ${unverified.exp ?? 0}`,
        );
      }
      if (isKeyFetchFailure(err)) {
        // The user pool is unreachable: a server-side failure the SDK may retry.
        throw new CognitoIdentityError('InternalErrorException', 'Could not fetch the identity provider keys.');
      }
      throw new CognitoIdentityError('NotAuthorizedException', `${INVALID_LOGIN} Couldn't verify signed token.`);
    }
    if (payload.iss !== entry.provider.issuer) {
      throw new CognitoIdentityError('NotAuthorizedException', `${INVALID_LOGIN} Issuer doesn't match providerName`);
    }
    const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
    if (!audiences.includes(entry.provider.clientId)) {
      throw new CognitoIdentityError('NotAuthorizedException', `${INVALID_LOGIN} Incorrect token audience.`);
    }
    if (payload['token_use'] !== 'id' || typeof payload.sub !== 'string' || payload.sub === '') {
      // Access tokens (token_use "access") are rejected here, as Cognito does.
      throw new CognitoIdentityError('NotAuthorizedException', `${INVALID_LOGIN} Not a valid OpenId Connect identity token.`);
    }
    return { provider: entry.provider, userPoolId: entry.userPoolId, sub: payload.sub };
  }
}
