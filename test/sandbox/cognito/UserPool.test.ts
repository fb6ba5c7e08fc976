import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import * as client from 'openid-client';
import { SIGN_IN_ERROR, startUserPool, type UserPool } from '../../../sandbox/cognito/UserPool.js';
import {
  authorizationRequest,
  CookieJar,
  discover,
  follow,
  hop,
  signInWithFetch,
  startCallbackServer,
  type CallbackServer,
} from './cognitoTestKit.js';

const alice = { username: 'alice', password: 'correct horse battery staple', email: 'alice@example.com' };

let pool: UserPool;
let callback: CallbackServer;
let config: client.Configuration;

beforeAll(async () => {
  callback = await startCallbackServer();
  pool = await startUserPool({
    redirectUris: [callback.redirectUri],
    postLogoutRedirectUris: [`http://localhost:${callback.port}/signed-out`],
    users: [alice],
  });
  config = await discover(pool.issuer, pool.clientId);
});

afterAll(async () => {
  await pool?.close();
  await callback?.close();
});

async function signIn(jar = new CookieJar()) {
  const request = await authorizationRequest(config, callback.redirectUri);
  const result = await signInWithFetch(request.url, callback.redirectUri, alice.username, alice.password, jar);
  if (!result.callback) throw new Error(`sign-in did not reach the callback: ${JSON.stringify(result.hops.at(-1))}`);
  const tokens = await client.authorizationCodeGrant(config, result.callback, {
    pkceCodeVerifier: request.codeVerifier,
    expectedState: request.state,
    expectedNonce: request.nonce,
  });
  return { tokens, request, jar };
}

async function expectOAuthError(promise: Promise<unknown>, error: string): Promise<void> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(client.ResponseBodyError);
  expect((err as client.ResponseBodyError).error).toBe(error);
}

describe('UserPool discovery', () => {
  it('serves discovery under the Cognito-shaped issuer path with Cognito endpoint paths', async () => {
    expect(pool.issuer).toMatch(/^http:\/\/localhost:\d+\/us-east-1_Sandbox01$/);
    const meta = config.serverMetadata();
    expect(meta.issuer).toBe(pool.issuer);
    expect(meta.authorization_endpoint).toBe(`${pool.hostedUiBase}/oauth2/authorize`);
    expect(meta.token_endpoint).toBe(`${pool.hostedUiBase}/oauth2/token`);
    expect(meta.userinfo_endpoint).toBe(`${pool.hostedUiBase}/oauth2/userInfo`);
    expect(meta.revocation_endpoint).toBe(`${pool.hostedUiBase}/oauth2/revoke`);
    expect(meta.jwks_uri).toBe(`${pool.issuer}/.well-known/jwks.json`);
    expect(meta.jwks_uri).toBe(pool.jwksUri);
    const jwks = (await (await fetch(pool.jwksUri)).json()) as { keys: { kty: string; d?: string }[] };
    expect(jwks.keys[0]?.kty).toBe('RSA');
    expect(jwks.keys[0]?.d).toBeUndefined();
  });

  it('does not serve discovery at the origin root', async () => {
    expect((await fetch(`${pool.hostedUiBase}/.well-known/openid-configuration`)).status).toBe(404);
  });
});

describe('UserPool tokens', () => {
  it('issues Cognito-shaped ID and access tokens and a refresh token for an S256 PKCE code exchange', async () => {
    const { tokens, request } = await signIn();
    const id = decodeJwt(tokens.id_token ?? '');
    expect(id).toMatchObject({
      iss: pool.issuer,
      aud: pool.clientId,
      token_use: 'id',
      'cognito:username': 'alice',
      email: alice.email,
      email_verified: true,
      nonce: request.nonce,
    });
    expect(id.sub).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(typeof id['auth_time']).toBe('number');
    expect((id.exp ?? 0) - (id.iat ?? 0)).toBe(3600);

    const access = decodeJwt(tokens.access_token);
    expect(access).toMatchObject({
      iss: pool.issuer,
      sub: id.sub,
      token_use: 'access',
      client_id: pool.clientId,
      username: 'alice',
      scope: 'openid email profile',
    });
    expect(tokens.refresh_token).toEqual(expect.any(String));
  });

  it('answers userInfo with the Cognito attribute shape', async () => {
    const { tokens } = await signIn();
    const sub = decodeJwt(tokens.id_token ?? '').sub ?? '';
    const info = await client.fetchUserInfo(config, tokens.access_token, sub);
    expect(info).toEqual({ sub, email_verified: 'true', email: alice.email, username: 'alice' });
  });

  it('refreshes without rotating the refresh token, as a Cognito client without rotation does', async () => {
    const { tokens } = await signIn();
    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token ?? '');
    expect(refreshed.refresh_token).toBeUndefined();
    expect(decodeJwt(refreshed.id_token ?? '')).toMatchObject({ token_use: 'id', 'cognito:username': 'alice' });
    // The same refresh token keeps working.
    await client.refreshTokenGrant(config, tokens.refresh_token ?? '');
  });

  it('makes a revoked refresh token and its access tokens unusable', async () => {
    const { tokens } = await signIn();
    await client.tokenRevocation(config, tokens.refresh_token ?? '');
    await expectOAuthError(client.refreshTokenGrant(config, tokens.refresh_token ?? ''), 'invalid_grant');
    const userInfo = await fetch(`${pool.hostedUiBase}/oauth2/userInfo`, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    expect(userInfo.status).toBe(401);
    expect(await userInfo.json()).toMatchObject({ error: 'invalid_token' });
  });

  it('rejects a code exchanged with the wrong code_verifier', async () => {
    const request = await authorizationRequest(config, callback.redirectUri);
    const result = await signInWithFetch(request.url, callback.redirectUri, alice.username, alice.password);
    await expectOAuthError(
      client.authorizationCodeGrant(config, result.callback ?? new URL('http://invalid'), {
        pkceCodeVerifier: client.randomPKCECodeVerifier(),
        expectedState: request.state,
        expectedNonce: request.nonce,
      }),
      'invalid_grant',
    );
  });
});

describe('UserPool options', () => {
  it('issues ID and access tokens with the configured lifetime', async () => {
    const shortLived = await startUserPool({ redirectUris: [callback.redirectUri], users: [alice], idTokenTtlSeconds: 300 });
    try {
      const shortConfig = await discover(shortLived.issuer, shortLived.clientId);
      const request = await authorizationRequest(shortConfig, callback.redirectUri);
      const result = await signInWithFetch(request.url, callback.redirectUri, alice.username, alice.password);
      const tokens = await client.authorizationCodeGrant(shortConfig, result.callback ?? new URL('http://invalid'), {
        pkceCodeVerifier: request.codeVerifier,
        expectedState: request.state,
        expectedNonce: request.nonce,
      });
      expect(tokens.expires_in).toBe(300);
      const id = decodeJwt(tokens.id_token ?? '');
      expect((id.exp ?? 0) - (id.iat ?? 0)).toBe(300);
      const access = decodeJwt(tokens.access_token);
      expect((access.exp ?? 0) - (access.iat ?? 0)).toBe(300);
    } finally {
      await shortLived.close();
    }
  });
});

describe('UserPool authorization requests', () => {
  function authorizeUrl(params: Record<string, string>): string {
    const url = new URL(`${pool.hostedUiBase}/oauth2/authorize`);
    url.search = new URLSearchParams({
      client_id: pool.clientId,
      response_type: 'code',
      scope: 'openid email',
      redirect_uri: callback.redirectUri,
      state: 'xyz',
      ...params,
    }).toString();
    return url.href;
  }

  it('rejects a request without a PKCE code challenge', async () => {
    const first = await hop(new CookieJar(), authorizeUrl({}));
    const location = new URL(first.location ?? 'http://invalid');
    expect(location.href.startsWith(callback.redirectUri)).toBe(true);
    expect(location.searchParams.get('error')).toBe('invalid_request');
    expect(location.searchParams.get('code')).toBeNull();
  });

  it('rejects the plain PKCE method', async () => {
    const first = await hop(
      new CookieJar(),
      authorizeUrl({ code_challenge: 'a'.repeat(43), code_challenge_method: 'plain' }),
    );
    const location = new URL(first.location ?? 'http://invalid');
    expect(location.searchParams.get('error')).toBe('invalid_request');
    expect(location.searchParams.get('code')).toBeNull();
  });

  it('rejects a redirect URI that differs from the registered one only by port', async () => {
    const other = `http://localhost:${callback.port === 65535 ? 65534 : callback.port + 1}/callback`;
    const first = await hop(
      new CookieJar(),
      authorizeUrl({ redirect_uri: other, code_challenge: 'a'.repeat(43), code_challenge_method: 'S256' }),
    );
    expect(first.status).toBe(400);
    expect(first.location).toBeUndefined();
    expect(first.body).toContain('redirect_uri');
  });
});

describe('UserPool hosted UI', () => {
  it('shows Cognito\'s error text for a wrong password and does not redirect', async () => {
    const request = await authorizationRequest(config, callback.redirectUri);
    const result = await signInWithFetch(request.url, callback.redirectUri, 'alice', 'wrong');
    const last = result.hops.at(-1);
    expect(result.callback).toBeUndefined();
    expect(last?.status).toBe(400);
    expect(last?.body).toContain(SIGN_IN_ERROR);
  });

  it('keeps the hosted UI session, so a second authorization skips the form', async () => {
    const { jar } = await signIn();
    const request = await authorizationRequest(config, callback.redirectUri);
    const hops = await follow(jar, request.url.href, callback.redirectUri);
    expect(hops.at(-1)?.location?.startsWith(callback.redirectUri)).toBe(true);
    expect(hops.some((h) => h.body.includes('id="password"'))).toBe(false);
  });

  it('ends the session at /logout and redirects to a registered sign-out URL, leaving refresh tokens valid', async () => {
    const { jar, tokens } = await signIn();
    const logoutUri = `http://localhost:${callback.port}/signed-out`;
    const logout = await hop(
      jar,
      `${pool.hostedUiBase}/logout?${new URLSearchParams({ client_id: pool.clientId, logout_uri: logoutUri })}`,
    );
    expect(logout.status).toBe(303);
    expect(logout.location).toBe(logoutUri);

    const request = await authorizationRequest(config, callback.redirectUri);
    const hops = await follow(jar, request.url.href, callback.redirectUri);
    expect(hops.at(-1)?.body).toContain('id="password"');
    // Cognito's /logout ends the browser session only; the app must revoke tokens itself.
    await client.refreshTokenGrant(config, tokens.refresh_token ?? '');
  });

  it("supports /logout's redirect_uri form, which signs out and shows the sign-in form again", async () => {
    const { jar } = await signIn();
    const request = await authorizationRequest(config, callback.redirectUri);
    const logoutUrl = new URL(`${pool.hostedUiBase}/logout`);
    logoutUrl.search = request.url.search;
    const hops = await follow(jar, logoutUrl.href, callback.redirectUri);
    expect(hops[0]?.location).toMatch(/\/oauth2\/authorize\?/);
    expect(hops.at(-1)?.body).toContain('id="password"');
  });

  it('refuses /logout to an unregistered sign-out URL', async () => {
    const logout = await hop(
      new CookieJar(),
      `${pool.hostedUiBase}/logout?${new URLSearchParams({ client_id: pool.clientId, logout_uri: 'http://localhost:1/evil' })}`,
    );
    expect(logout.status).toBe(400);
    expect(logout.location).toBeUndefined();
  });
});
