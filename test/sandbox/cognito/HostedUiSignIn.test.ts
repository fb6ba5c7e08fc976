/**
 * The whole sign-in path in real Chromium: hosted UI → loopback callback → code
 * exchange (openid-client) → identity pool credentials (AWS SDK), then refresh and
 * revocation. Needs Debian's Chromium (test/support/chromium.ts says how to get it).
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import * as client from 'openid-client';
import type { Browser, Page } from 'playwright-core';
import { fromCognitoIdentityPool } from '@aws-sdk/credential-providers';
import { CredentialStore } from '../../../sandbox/CredentialStore.js';
import { startIdentityPool, type IdentityPool } from '../../../sandbox/cognito/IdentityPool.js';
import { SIGN_IN_ERROR, startUserPool, type UserPool } from '../../../sandbox/cognito/UserPool.js';
import { launchChromium } from '../../support/chromium.js';
import { authorizationRequest, discover, startCallbackServer, type CallbackServer } from './cognitoTestKit.js';


const alice = { username: 'alice', password: 'correct horse battery staple', email: 'alice@example.com' };
const SCREENSHOT = resolve('test-results', 'sandbox-hosted-ui.png');

describe('hosted UI sign-in in Chromium', () => {
  let browser: Browser;
  let callback: CallbackServer;
  let userPool: UserPool;
  let identityPool: IdentityPool;
  let credentials: CredentialStore;
  let config: client.Configuration;
  let callbackHits = 0;

  beforeAll(async () => {
    callback = await startCallbackServer();
    userPool = await startUserPool({ redirectUris: [callback.redirectUri], users: [alice] });
    credentials = new CredentialStore();
    identityPool = await startIdentityPool({
      providers: [{ issuer: userPool.issuer, clientId: userPool.clientId, jwksUri: userPool.jwksUri }],
      credentials,
    });
    config = await discover(userPool.issuer, userPool.clientId);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await identityPool?.close();
    await userPool?.close();
    await callback?.close();
  });

  /** Resolves with the callback URL, counting every hit so tests can assert "no redirect". */
  function nextCallback(): Promise<URL> {
    return callback.next().then((url) => {
      callbackHits++;
      return url;
    });
  }

  async function openSignIn(page: Page) {
    const request = await authorizationRequest(config, callback.redirectUri);
    await page.goto(request.url.href);
    await expect.poll(() => page.getByRole('button', { name: 'Sign in' }).count()).toBe(1);
    return request;
  }

  async function submit(page: Page, username: string, password: string): Promise<void> {
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  it('signs in, exchanges the code with PKCE, and gets identity pool credentials', async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const request = await openSignIn(page);
      mkdirSync(resolve('test-results'), { recursive: true });
      await page.screenshot({ path: SCREENSHOT });

      const arrived = nextCallback();
      await submit(page, alice.username, alice.password);
      const callbackUrl = await arrived;
      await page.waitForURL((url) => url.href.startsWith(callback.redirectUri));

      const tokens = await client.authorizationCodeGrant(config, callbackUrl, {
        pkceCodeVerifier: request.codeVerifier,
        expectedState: request.state,
        expectedNonce: request.nonce,
      });
      const idClaims = decodeJwt(tokens.id_token ?? '');
      expect(idClaims).toMatchObject({ 'cognito:username': 'alice', token_use: 'id', aud: userPool.clientId });

      const aws = fromCognitoIdentityPool({
        identityPoolId: identityPool.identityPoolId,
        logins: { [userPool.loginsKey]: async () => tokens.id_token ?? '' },
        clientConfig: { region: identityPool.region, endpoint: identityPool.endpoint },
      });
      const creds = await aws();
      expect(creds.identityId).toMatch(/^us-east-1:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(creds.identityId).toBe(identityPool.identityIdFor(idClaims.sub ?? ''));
      expect(creds.accessKeyId).toMatch(/^ASIA/);
      expect(creds.sessionToken).toEqual(expect.any(String));
      expect(credentials.lookup(creds.accessKeyId)).toMatchObject({ identityId: creds.identityId });

      const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token ?? '');
      expect(decodeJwt(refreshed.id_token ?? '')).toMatchObject({ sub: idClaims.sub, token_use: 'id' });

      await client.tokenRevocation(config, tokens.refresh_token ?? '');
      const afterRevoke = await client.refreshTokenGrant(config, tokens.refresh_token ?? '').catch((e: unknown) => e);
      expect(afterRevoke).toBeInstanceOf(client.ResponseBodyError);
      expect((afterRevoke as client.ResponseBodyError).error).toBe('invalid_grant');
    } finally {
      await context.close();
    }
  });

  it('shows an error for a wrong password and for an unknown user, and does not redirect', async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await openSignIn(page);
      mkdirSync(resolve('test-results'), { recursive: true });
      const hitsBefore = callbackHits;

      await submit(page, alice.username, 'not the password');
      await expect.poll(() => page.getByRole('alert').textContent()).toBe(SIGN_IN_ERROR);
      expect(new URL(page.url()).origin).toBe(userPool.hostedUiBase);
      // The user name stays filled in, the password does not.
      expect(await page.getByLabel('Username').inputValue()).toBe('alice');
      expect(await page.getByLabel('Password').inputValue()).toBe('');

      await page.screenshot({ path: SCREENSHOT.replace('.png', '-error.png') });

      await submit(page, 'mallory', 'whatever');
      await expect.poll(() => page.getByRole('alert').textContent()).toBe(SIGN_IN_ERROR);
      expect(new URL(page.url()).origin).toBe(userPool.hostedUiBase);
      expect(callbackHits).toBe(hitsBefore);
    } finally {
      await context.close();
    }
  });
});
