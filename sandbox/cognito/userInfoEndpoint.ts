/**
 * Cognito's `/oauth2/userInfo` (https://openid.net/specs/openid-connect-core-1_0.html#UserInfo)
 * for the sandbox's JWT access tokens.
 *
 * oidc-provider's own userinfo endpoint refuses access tokens that carry an audience,
 * and JWT access tokens must carry one there, so this endpoint verifies the token
 * itself: signature, expiry, `token_use`, `openid` scope, and that its grant
 * (`origin_jti`) was not revoked — Cognito also rejects access tokens whose refresh
 * token was revoked. Answers with Cognito's attribute shape (`email_verified` is the
 * string "true", as Cognito returns it).
 */
import { createLocalJWKSet, jwtVerify, errors as joseErrors, type JSONWebKeySet } from 'jose';
import type { KoaContext, Middleware, Provider } from 'oidc-provider';
import type { SandboxUserDirectory } from './SandboxUserDirectory.js';

export interface UserInfoSettings {
  readonly path: string;
  readonly issuer: string;
  readonly clientId: string;
  readonly publicJwks: JSONWebKeySet;
  readonly provider: Provider;
  readonly users: SandboxUserDirectory;
  readonly now: () => number;
}

function bearer(ctx: KoaContext): string | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(ctx.get('authorization'));
  return match?.[1];
}

/** Errors go in WWW-Authenticate (https://www.rfc-editor.org/rfc/rfc6750#section-3) and the Cognito-style JSON body. */
function reject(ctx: KoaContext, status: number, error: string, description: string): void {
  ctx.status = status;
  ctx.set('WWW-Authenticate', `Bearer error="${error}", error_description="${description}"`);
  ctx.set('Cache-Control', 'no-store');
  ctx.body = { error, error_description: description };
}

export function userInfoEndpoint(settings: UserInfoSettings): Middleware {
  const keys = createLocalJWKSet(settings.publicJwks);

  async function respond(ctx: KoaContext): Promise<void> {
    const token = bearer(ctx);
    if (!token) {
      reject(ctx, 401, 'invalid_request', 'Access token is missing');
      return;
    }
    let payload;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        issuer: settings.issuer,
        currentDate: new Date(settings.now()),
      }));
    } catch (err) {
      const expired = err instanceof joseErrors.JWTExpired;
      reject(ctx, 401, 'invalid_token', expired ? 'Access token is expired' : 'Invalid access token');
      return;
    }
    const scopes = typeof payload['scope'] === 'string' ? payload['scope'].split(' ') : [];
    const grantId = payload['origin_jti'];
    if (payload['token_use'] !== 'access' || payload['client_id'] !== settings.clientId) {
      reject(ctx, 401, 'invalid_token', 'Invalid access token');
      return;
    }
    if (typeof grantId !== 'string' || !(await settings.provider.Grant.find(grantId))) {
      reject(ctx, 401, 'invalid_token', 'Access token has been revoked');
      return;
    }
    if (!scopes.includes('openid')) {
      reject(ctx, 403, 'insufficient_scope', 'Access token does not contain openid scope');
      return;
    }
    const user = typeof payload.sub === 'string' ? settings.users.findBySub(payload.sub) : undefined;
    if (!user) {
      reject(ctx, 401, 'invalid_token', 'User does not exist');
      return;
    }
    ctx.set('Cache-Control', 'no-store');
    ctx.body = {
      sub: user.sub,
      ...(scopes.includes('email') ? { email_verified: 'true', email: user.email } : {}),
      username: user.username,
    };
  }

  return async (ctx, next) => {
    if (ctx.path !== settings.path) return next();
    if (ctx.method !== 'GET' && ctx.method !== 'POST') {
      ctx.status = 405;
      ctx.set('Allow', 'GET, POST');
      return undefined;
    }
    return respond(ctx);
  };
}
