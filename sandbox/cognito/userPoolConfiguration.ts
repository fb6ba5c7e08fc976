/**
 * The oidc-provider configuration that makes it behave like a Cognito user pool app
 * client for a desktop app: authorization code + S256 PKCE only, one public client
 * with exact redirect URIs, refresh tokens whenever `openid` is granted, Cognito's
 * token claims, JWT access tokens, and Cognito's default lifetimes.
 */
import { randomBytes } from 'node:crypto';
import type { JWK } from 'jose';
import { errors, type KoaContext } from 'oidc-provider';
import { renderErrorPage, PAGE_HEADERS } from './hostedUiPages.js';
import { OidcMemoryStore } from './OidcMemoryStore.js';
import type { SandboxUserDirectory } from './SandboxUserDirectory.js';

/** Scopes the sandbox app client allows, as in a Cognito app client's "OpenID Connect scopes". */
export const ALLOWED_SCOPES = 'openid email profile';

export const ROUTES = {
  authorization: '/oauth2/authorize',
  token: '/oauth2/token',
  userinfo: '/oauth2/userInfo',
  revocation: '/oauth2/revoke',
} as const;

export interface UserPoolConfigurationInput {
  readonly userPoolId: string;
  readonly clientId: string;
  readonly appName: string;
  readonly redirectUris: readonly string[];
  readonly postLogoutRedirectUris: readonly string[];
  readonly signingKey: JWK;
  readonly users: SandboxUserDirectory;
  /** Resource indicator (RFC 8707) every access token is issued for; its URL is also its `aud`. */
  readonly accessTokenResource: string;
  readonly idTokenTtlSeconds: number;
  readonly refreshTokenTtlSeconds: number;
  readonly rotateRefreshTokens: boolean;
  /** Distinguishes cookie names from other sandboxes' in the same browser. */
  readonly cookiePrefix: string;
}

/** The slices of oidc-provider's token models the callbacks below read. */
interface TokenLike {
  readonly kind: string;
  readonly accountId?: string;
  readonly grantId?: string;
}
interface ClientLike {
  readonly clientId: string;
  grantTypeAllowed(type: string): boolean;
}
interface GrantSourceLike {
  readonly scopes: Set<string>;
}

/** Cognito hosted UI session cookie lifetime (1 h); also how long a sign-in page stays valid. */
const SESSION_TTL_SECONDS = 60 * 60;
/** Cognito authorization codes are valid for 5 minutes. */
const CODE_TTL_SECONDS = 5 * 60;

export function userPoolConfiguration(input: UserPoolConfigurationInput): Record<string, unknown> {
  const { users } = input;
  // No `path` here: oidc-provider scopes the interaction cookie to /login/<uid> itself.
  const cookieOptions = { httpOnly: true, sameSite: 'lax' };

  return {
    adapter: new OidcMemoryStore().adapterFactory,
    clients: [
      {
        client_id: input.clientId,
        client_name: input.appName,
        // `web`, not `native`: oidc-provider ignores the loopback port for native clients,
        // Cognito matches callback URLs exactly (plain http is still allowed for localhost).
        application_type: 'web',
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        redirect_uris: [...input.redirectUris],
        post_logout_redirect_uris: [...input.postLogoutRedirectUris],
        scope: ALLOWED_SCOPES,
        // Cognito ID tokens always carry auth_time.
        require_auth_time: true,
        id_token_signed_response_alg: 'RS256',
      },
    ],
    jwks: { keys: [input.signingKey] },
    responseTypes: ['code'],
    // What Cognito's discovery document lists (public clients use `none` unadvertised).
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'none'],
    // Cognito requires redirect_uri at the token endpoint even with one registered URL.
    allowOmittingSingleRegisteredRedirectUri: false,
    // Every request needs a challenge (https://www.rfc-editor.org/rfc/rfc7636#section-4.4.1);
    // oidc-provider 9 accepts only S256, so `plain` is refused too.
    pkce: { required: () => true },
    scopes: ['openid', 'email', 'profile'],
    claims: {
      auth_time: null,
      iss: null,
      openid: ['sub', 'cognito:username', 'token_use'],
      email: ['email', 'email_verified'],
      profile: ['cognito:username'],
    },
    // Put the scope-bound claims (email) into the ID token itself, as Cognito does.
    conformIdTokenClaims: false,
    async findAccount(_ctx: unknown, sub: string) {
      const user = users.findBySub(sub);
      if (!user) return undefined;
      return {
        accountId: sub,
        claims: (use: string) => ({
          sub,
          'cognito:username': user.username,
          email: user.email,
          email_verified: true,
          ...(use === 'id_token' ? { token_use: 'id' } : {}),
        }),
      };
    },
    // Cognito issues a refresh token with every authorization code exchange that has
    // `openid`; no `offline_access` scope or consent prompt is involved.
    issueRefreshToken: (_ctx: unknown, client: ClientLike, source: GrantSourceLike) =>
      client.grantTypeAllowed('refresh_token') && source.scopes.has('openid'),
    rotateRefreshToken: () => input.rotateRefreshTokens,
    // Cognito starts a new token family (its `origin_jti`) with every sign-in, and revoking a refresh
    // token ends only its own family. oidc-provider reuses the hosted UI session's grant for a second
    // sign-in, and revocation destroys every token of a grant: revoking the first sign-in's refresh
    // token would end the second one too. So each authorization gets its own grant: only the one the
    // (silent) consent step of this very authorization just created is ever loaded.
    async loadExistingGrant(ctx: KoaContext) {
      const grantId = ctx.oidc?.result?.consent?.grantId;
      return grantId === undefined ? undefined : ctx.oidc?.provider.Grant.find(grantId);
    },
    // Hosted UI sign-out ends the browser session only; tokens live on (AUTH-NOTES).
    expiresWithSession: () => false,
    extraTokenClaims(ctx: KoaContext, token: TokenLike) {
      if (token.kind !== 'AccessToken') return undefined;
      const user = token.accountId ? users.findBySub(token.accountId) : undefined;
      const entities = ctx.oidc?.entities;
      return {
        token_use: 'access',
        username: user?.username,
        auth_time: entities?.AuthorizationCode?.authTime ?? entities?.RefreshToken?.authTime,
        // Cognito's revocation identifier; here the grant that revocation destroys.
        origin_jti: token.grantId,
        version: 2,
      };
    },
    features: {
      devInteractions: { enabled: false },
      pushedAuthorizationRequests: { enabled: false },
      dPoP: { enabled: false },
      introspection: { enabled: false },
      // Cognito's /logout is not RP-initiated logout; it is served by hostedUiRoutes.
      rpInitiatedLogout: { enabled: false },
      userinfo: { enabled: true },
      // A public client may revoke only its own tokens (https://www.rfc-editor.org/rfc/rfc7009#section-2.1).
      revocation: {
        enabled: true,
        allowedPolicy: async (_ctx: unknown, client: ClientLike, token: { clientId: string }) =>
          token.clientId === client.clientId,
      },
      // Resource indicators (https://www.rfc-editor.org/rfc/rfc8707) are how oidc-provider issues JWT access tokens; every
      // token gets the one default resource, so clients never send `resource` themselves.
      resourceIndicators: {
        enabled: true,
        defaultResource: async () => input.accessTokenResource,
        useGrantedResource: async () => true,
        getResourceServerInfo: async (_ctx: unknown, resource: string) => {
          if (resource !== input.accessTokenResource) throw new errors.InvalidTarget();
          return {
            scope: ALLOWED_SCOPES,
            accessTokenFormat: 'jwt',
            accessTokenTTL: input.idTokenTtlSeconds,
          };
        },
      },
    },
    ttl: {
      AccessToken: input.idTokenTtlSeconds,
      AuthorizationCode: CODE_TTL_SECONDS,
      IdToken: input.idTokenTtlSeconds,
      RefreshToken: input.refreshTokenTtlSeconds,
      Grant: input.refreshTokenTtlSeconds,
      Session: SESSION_TTL_SECONDS,
      Interaction: SESSION_TTL_SECONDS,
    },
    cookies: {
      names: {
        session: `${input.cookiePrefix}_session`,
        interaction: `${input.cookiePrefix}_interaction`,
        resume: `${input.cookiePrefix}_resume`,
      },
      long: cookieOptions,
      short: cookieOptions,
      keys: [randomBytes(32).toString('base64url')],
    },
    interactions: {
      url: (_ctx: unknown, interaction: { uid: string }) => `/login/${interaction.uid}`,
    },
    routes: {
      ...ROUTES,
      jwks: `/${input.userPoolId}/.well-known/jwks.json`,
    },
    // A desktop app calls the token endpoint from Node, never from a web origin.
    clientBasedCORS: () => false,
    renderError(ctx: KoaContext, out: Record<string, string>) {
      for (const [name, value] of Object.entries(PAGE_HEADERS)) ctx.set(name, value);
      ctx.type = 'html';
      const detail = out['error_description'] ?? out['error'] ?? 'unknown error';
      ctx.body = renderErrorPage('An error was encountered with the requested page', `${out['error'] ?? 'error'}: ${detail}`);
    },
  };
}
