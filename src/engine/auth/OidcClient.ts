/**
 * OidcClient: the user pool side of sign-in, over openid-client v6, for a
 * public native client (no secret, https://www.rfc-editor.org/rfc/rfc8252):
 *
 * - discovery from the issuer (OpenID Connect Discovery 1.0 §4);
 * - the authorization request: code flow with S256 PKCE
 *   (https://www.rfc-editor.org/rfc/rfc7636#section-4.2), `state` against CSRF
 *   (https://www.rfc-editor.org/rfc/rfc6749#section-10.12) and `nonce` against
 *   ID token replay (OpenID Connect Core §3.1.2.1) — always sent, because
 *   Cognito's discovery does not advertise PKCE;
 * - a preflight of that request, so a wrong client ID or an unregistered
 *   callback is one clear error instead of a browser page the CLI never sees;
 * - the code exchange (RFC 6749 §4.1.3) with ID token validation: issuer,
 *   audience, expiry, nonce by openid-client (OIDC Core §3.1.3.7), and
 *   Cognito's `token_use` = "id" here;
 * - refresh (RFC 6749 §6; Cognito may not rotate the refresh token, then the
 *   old one is kept), revocation (https://www.rfc-editor.org/rfc/rfc7009), and
 *   Cognito's hosted UI `/logout` URL (built by hand: no end_session_endpoint).
 *
 * Every failure leaves as a StratusError (authErrors.ts). Nothing here logs.
 */
import * as oidc from 'openid-client';
import type { AgentFetch } from '../net/agentFetch.js';
import { authError, isNetworkFailure, oidcFailure } from './authErrors.js';

export interface OidcClientOptions {
  /** `https://cognito-idp.<region>.amazonaws.com/<userPoolId>` (plain http only for a loopback sandbox). */
  readonly issuer: string;
  readonly clientId: string;
  /** Hosted UI origin for /logout and /oauth2/revoke when discovery lacks them. @default origin of the authorization endpoint */
  readonly hostedUiBase?: string;
  /** Per-request timeout. @default 15 s */
  readonly timeoutSeconds?: number;
  /** Seconds to add to this computer's clock when checking token times (a known offset; tests). @default 0 */
  readonly clockSkewSeconds?: number;
  /** Every request to the user pool goes through it (the proxy and CAs of src/engine/net). @default the global fetch */
  readonly fetch?: AgentFetch;
}

export interface AuthorizationRequest {
  /** Open this in a browser. Holds no secret, but is single-use: do not log it. */
  readonly url: URL;
  readonly redirectUri: string;
  readonly state: string;
  readonly nonce: string;
  readonly codeVerifier: string;
}

export interface IdClaims {
  readonly sub: string;
  /** `cognito:username` (falls back to `sub`). */
  readonly username: string;
  readonly email?: string;
}

/** Tokens from the token endpoint; kept in memory only, except the refresh token (in the vault). */
export interface TokenSet {
  readonly idToken: string;
  readonly accessToken: string;
  /** Absent on a refresh without rotation: keep the previous one. */
  readonly refreshToken?: string;
  /** When the ID token expires (epoch ms, from its `exp`). */
  readonly idTokenExpiresAt: number;
  readonly claims: IdClaims;
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);
const PREFLIGHT_ERROR = /\b(invalid_client|unauthorized_client|invalid_request|invalid_redirect_uri|redirect_mismatch|invalid_scope|unsupported_response_type)\b(?::\s*([^<]{0,120}))?/;

function checkIssuer(issuer: string): URL {
  let url: URL;
  try {
    url = new URL(issuer);
  } catch (err) {
    throw authError('sign-in-issuer-invalid', `cognito.issuer "${issuer}" is not a URL; use https://cognito-idp.<region>.amazonaws.com/<userPoolId>.`, err);
  }
  if (url.protocol === 'https:') return url;
  if (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname)) return url;
  throw authError('sign-in-issuer-invalid', `cognito.issuer must be an https URL (plain http only for a sandbox on this computer), got "${issuer}".`);
}

function stringClaim(claims: Record<string, unknown>, name: string): string | undefined {
  const value = claims[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

export class OidcClient {
  readonly issuer: string;
  readonly clientId: string;
  private readonly config: oidc.Configuration;
  private readonly insecure: boolean;
  private readonly hostedUiBase: string;
  private readonly fetch: AgentFetch | undefined;

  private constructor(options: OidcClientOptions, config: oidc.Configuration, insecure: boolean) {
    this.issuer = options.issuer;
    this.fetch = options.fetch;
    this.clientId = options.clientId;
    this.config = config;
    this.insecure = insecure;
    this.hostedUiBase = (options.hostedUiBase ?? new URL(config.serverMetadata().authorization_endpoint ?? options.issuer).origin).replace(/\/+$/, '');
  }

  /** Fetches the issuer's discovery document; fails with 'sign-in-issuer-invalid' or 'sign-in-unreachable'. */
  static async discover(options: OidcClientOptions): Promise<OidcClient> {
    const issuerUrl = checkIssuer(options.issuer);
    const insecure = issuerUrl.protocol === 'http:';
    const metadata: Partial<oidc.ClientMetadata> = options.clockSkewSeconds === undefined ? {} : { [oidc.clockSkew]: options.clockSkewSeconds };
    let config: oidc.Configuration;
    try {
      config = await oidc.discovery(issuerUrl, options.clientId, metadata, oidc.None(), {
        timeout: options.timeoutSeconds ?? 15,
        // Kept by the Configuration for every later request (token, revocation).
        ...(options.fetch === undefined ? {} : { [oidc.customFetch]: options.fetch }),
        // Deprecated on purpose upstream; used only for a loopback sandbox issuer (checkIssuer refuses other http).
        ...(insecure ? { execute: [oidc.allowInsecureRequests] } : {}),
      });
    } catch (err) {
      throw oidcFailure(err, { step: 'discovery', issuer: options.issuer, clientId: options.clientId });
    }
    if (config.serverMetadata().authorization_endpoint === undefined || config.serverMetadata().token_endpoint === undefined) {
      throw authError('sign-in-issuer-invalid', `The discovery document of ${options.issuer} lists no authorization or token endpoint; check cognito.issuer.`);
    }
    return new OidcClient(options, config, insecure);
  }

  /** A fresh authorization request (https://www.rfc-editor.org/rfc/rfc6749#section-4.1.1) with PKCE, state and nonce. */
  async authorizationRequest(redirectUri: string, loginHint?: string): Promise<AuthorizationRequest> {
    const codeVerifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const url = oidc.buildAuthorizationUrl(this.config, {
      redirect_uri: redirectUri,
      scope: 'openid email profile',
      code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state,
      nonce,
      // The LoginHint policy: the hosted UI fills in the user name (OIDC Core §3.1.2.1).
      ...(loginHint === undefined || loginHint === '' ? {} : { login_hint: loginHint }),
    });
    return { url, redirectUri, state, nonce, codeVerifier };
  }

  /**
   * Asks the hosted UI for the authorization page without a browser. A wrong
   * client ID or an unregistered callback shows an error page in the browser
   * (RFC 6749 §4.1.2.1: the server must not redirect to an unverified URI), which
   * the app would otherwise wait on until it times out.
   */
  async preflight(request: AuthorizationRequest): Promise<void> {
    const origin = request.url.origin;
    let response: Response;
    try {
      response = await (this.fetch ?? fetch)(request.url, { redirect: 'manual', signal: AbortSignal.timeout((this.config.timeout ?? 15) * 1000) });
    } catch (err) {
      if (isNetworkFailure(err)) {
        throw authError('sign-in-unreachable', `Cannot reach the sign-in page at ${origin} (check cognito.issuer and cognito.hostedUiBase, and your network connection).`, err);
      }
      throw oidcFailure(err, { step: 'code-exchange', issuer: this.issuer, clientId: this.clientId });
    }
    const location = response.headers.get('location');
    const body = response.status >= 400 ? await response.text() : '';
    await response.body?.cancel().catch(() => undefined);
    let detail: string | undefined;
    if (response.status >= 400) {
      const match = PREFLIGHT_ERROR.exec(body);
      detail = match === null ? `HTTP ${response.status}` : `${match[1] ?? ''}${match[2] === undefined ? '' : `: ${match[2].trim()}`}`;
    } else if (location !== null) {
      const next = new URL(location, request.url);
      const error = next.searchParams.get('error');
      // Cognito sends configuration errors to its /error page; OAuth errors may come back to the callback itself.
      if (next.pathname === '/error' || error !== null) detail = error ?? 'error page';
    }
    if (detail !== undefined) {
      throw authError(
        'sign-in-rejected',
        `The hosted UI at ${origin} refused the sign-in request (${detail}): check cognito.clientId, and that ${request.redirectUri} is an allowed callback URL of that app client (exactly, port included).`,
      );
    }
  }

  /** Exchanges the callback's code (RFC 6749 §4.1.3) and validates the ID token. */
  async exchange(callbackUrl: URL, request: AuthorizationRequest): Promise<TokenSet> {
    let response: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
    try {
      response = await oidc.authorizationCodeGrant(this.config, callbackUrl, {
        pkceCodeVerifier: request.codeVerifier,
        expectedState: request.state,
        expectedNonce: request.nonce,
        idTokenExpected: true,
      });
    } catch (err) {
      throw oidcFailure(err, { step: 'code-exchange', issuer: this.issuer, clientId: this.clientId, endpoint: this.tokenEndpoint() });
    }
    if (response.refresh_token === undefined) {
      throw authError('sign-in-failed', 'The user pool issued no refresh token; enable the authorization code grant with the openid scope for this app client.');
    }
    return this.tokenSet(response, undefined);
  }

  /** New ID and access tokens from the refresh token (RFC 6749 §6); 'signed-out' when it was revoked or expired. */
  async refresh(refreshToken: string, expectedSub: string): Promise<TokenSet> {
    let response: Awaited<ReturnType<typeof oidc.refreshTokenGrant>>;
    try {
      response = await oidc.refreshTokenGrant(this.config, refreshToken);
    } catch (err) {
      throw oidcFailure(err, { step: 'refresh', issuer: this.issuer, clientId: this.clientId, endpoint: this.tokenEndpoint() });
    }
    return this.tokenSet(response, expectedSub);
  }

  /**
   * Revokes the refresh token, and with it the tokens issued from it
   * (https://www.rfc-editor.org/rfc/rfc7009#section-2.1). Cognito's /logout
   * does not do this; it only ends the browser session.
   */
  async revoke(refreshToken: string): Promise<void> {
    const { supportsPKCE: _helper, ...metadata } = this.config.serverMetadata();
    let config = this.config;
    if (metadata.revocation_endpoint === undefined) {
      // Cognito serves /oauth2/revoke on the hosted UI domain but may not list it in discovery.
      config = new oidc.Configuration({ ...metadata, revocation_endpoint: `${this.hostedUiBase}/oauth2/revoke` }, this.clientId, undefined, oidc.None());
      config.timeout = this.config.timeout;
      const custom = this.config[oidc.customFetch];
      if (custom !== undefined) config[oidc.customFetch] = custom;
      // Same loopback-only exception as discovery.
      if (this.insecure) oidc.allowInsecureRequests(config);
    }
    try {
      await oidc.tokenRevocation(config, refreshToken, { token_type_hint: 'refresh_token' });
    } catch (err) {
      throw oidcFailure(err, { step: 'revoke', issuer: this.issuer, clientId: this.clientId, endpoint: this.hostedUiBase });
    }
  }

  /** Cognito's hosted UI sign-out: `/logout?client_id=…&logout_uri=…` (logout_uri must be an allowed sign-out URL). */
  logoutUrl(logoutUri: string): URL {
    const url = new URL(`${this.hostedUiBase}/logout`);
    url.searchParams.set('client_id', this.clientId);
    url.searchParams.set('logout_uri', logoutUri);
    return url;
  }

  private tokenEndpoint(): string {
    return this.config.serverMetadata().token_endpoint ?? this.issuer;
  }

  private tokenSet(response: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers, expectedSub: string | undefined): TokenSet {
    const claims = response.claims() as Record<string, unknown> | undefined;
    if (response.id_token === undefined || claims === undefined) {
      throw authError('sign-in-invalid-token', 'The user pool returned no ID token; allow the openid scope for this app client.');
    }
    // Cognito marks ID tokens token_use=id; an access token in its place must never reach the identity pool.
    if (claims['token_use'] !== 'id') {
      throw authError('sign-in-invalid-token', `The user pool's ID token has token_use "${String(claims['token_use'])}", not "id"; check cognito.issuer.`);
    }
    const sub = stringClaim(claims, 'sub');
    const exp = claims['exp'];
    if (sub === undefined || typeof exp !== 'number') throw authError('sign-in-invalid-token', 'The user pool\'s ID token has no subject or expiry.');
    if (expectedSub !== undefined && sub !== expectedSub) {
      throw authError('sign-in-invalid-token', 'The refreshed ID token belongs to another user; sign in again.');
    }
    const email = stringClaim(claims, 'email');
    return {
      idToken: response.id_token,
      accessToken: response.access_token,
      ...(response.refresh_token === undefined ? {} : { refreshToken: response.refresh_token }),
      idTokenExpiresAt: exp * 1000,
      claims: { sub, username: stringClaim(claims, 'cognito:username') ?? sub, ...(email === undefined ? {} : { email }) },
    };
  }
}
