/**
 * The sandbox's acceptance test: a user signs in on the hosted UI in real Chromium
 * (authorization code + S256 PKCE, state, nonce), the ID token becomes identity pool
 * credentials through the AWS SDK, and with them the user may read, write and list
 * only under `s3://stratus/<identityId>/` — the same contract the production IAM
 * policy gives. Skips, saying why, when no Chromium binary is installed.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import * as client from 'openid-client';
import type { Browser } from 'playwright-core';
import {
  GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client, S3ServiceException,
} from '@aws-sdk/client-s3';
import { fromCognitoIdentityPool } from '@aws-sdk/credential-providers';
import type { StratusConfig } from '../../src/shared/StratusConfig.js';
import { startSandbox, type Sandbox } from '../../sandbox/startSandbox.js';
import { CHROMIUM_PATH, launchChromium } from '../support/chromium.js';
import {
  authorizationRequest, discover, signInWithFetch, startCallbackServer, type CallbackServer,
} from './cognito/cognitoTestKit.js';

const hasChromium = existsSync(CHROMIUM_PATH);
if (!hasChromium) console.warn(`[skip] sandbox sign-in acceptance test: no Chromium at ${CHROMIUM_PATH} (set STRATUS_CHROMIUM)`);

/** Expects the S3 call to fail the way IAM's implicit deny does. */
async function expectAccessDenied(call: Promise<unknown>): Promise<void> {
  const err = await call.then(
    () => new Error('expected AccessDenied, but the request succeeded'),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(S3ServiceException);
  expect({ name: (err as S3ServiceException).name, status: (err as S3ServiceException).$metadata.httpStatusCode }).toEqual({
    name: 'AccessDenied',
    status: 403,
  });
}

describe.skipIf(!hasChromium)('signing in to the sandbox and writing to S3', () => {
  let dataDir: string;
  let callback: CallbackServer;
  let sandbox: Sandbox;
  let browser: Browser;
  let oidc: client.Configuration;
  const clients: S3Client[] = [];

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'stratus-sandbox-signin-'));
    // The app's loopback callback, on a free port the sandbox's user pool must accept exactly.
    callback = await startCallbackServer();
    sandbox = await startSandbox({ dataDir, redirectPort: callback.port });
    oidc = await discover(sandbox.info.issuer, sandbox.info.clientId);
    browser = await launchChromium();
  });

  afterAll(async () => {
    for (const s3 of clients) s3.destroy();
    await browser?.close();
    await sandbox?.close();
    await callback?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  /** Exchanges a callback URL for tokens, checking PKCE, state and nonce. */
  async function exchange(callbackUrl: URL, request: Awaited<ReturnType<typeof authorizationRequest>>) {
    const tokens = await client.authorizationCodeGrant(oidc, callbackUrl, {
      pkceCodeVerifier: request.codeVerifier,
      expectedState: request.state,
      expectedNonce: request.nonce,
    });
    if (!tokens.id_token) throw new Error('no ID token in the token response');
    return tokens.id_token;
  }

  /** An S3 client signed with the identity pool's credentials for `idToken`. */
  async function s3For(idToken: string): Promise<{ s3: S3Client; identityId: string }> {
    const { info } = sandbox;
    const credentials = fromCognitoIdentityPool({
      identityPoolId: info.identityPoolId,
      logins: { [info.loginsKey]: idToken },
      clientConfig: { region: info.region, endpoint: info.identityEndpoint },
    });
    const { identityId } = await credentials();
    const s3 = new S3Client({ region: info.region, endpoint: info.s3Endpoint, forcePathStyle: true, credentials });
    clients.push(s3);
    return { s3, identityId };
  }

  it('emits a Stratus config with the callback URL the app listens on', () => {
    const config: StratusConfig = sandbox.info.stratusConfig;
    expect(config.cognito?.redirectUri).toBe(callback.redirectUri);
  });

  it('lets a user signed in on the hosted UI write, read and list only under their identity ID', async () => {
    const { info } = sandbox;
    const ada = info.users.find((u) => u.username === 'ada');
    const grace = info.users.find((u) => u.username === 'grace');
    if (!ada || !grace) throw new Error('the sandbox should seed ada and grace');

    // Ada signs in through the hosted UI in a real browser.
    const request = await authorizationRequest(oidc, callback.redirectUri);
    const context = await browser.newContext();
    let callbackUrl: URL;
    try {
      const page = await context.newPage();
      await page.goto(request.url.href);
      await page.getByLabel('Username').fill(ada.username);
      await page.getByLabel('Password').fill(ada.password);
      const arrived = callback.next();
      await page.getByRole('button', { name: 'Sign in' }).click();
      callbackUrl = await arrived;
    } finally {
      await context.close();
    }
    const idToken = await exchange(callbackUrl, request);
    expect(decodeJwt(idToken)).toMatchObject({ 'cognito:username': 'ada', iss: info.issuer, aud: info.clientId });

    const { s3, identityId } = await s3For(idToken);
    expect(identityId).toMatch(/^us-east-1:[0-9a-f-]{36}$/);
    expect(identityId).toBe(sandbox.identityIdFor('ada'));

    // Grace signs in too (no browser needed), so "someone else's prefix" is a real identity.
    const graceRequest = await authorizationRequest(oidc, callback.redirectUri);
    const graceSignIn = await signInWithFetch(graceRequest.url, callback.redirectUri, grace.username, grace.password);
    if (!graceSignIn.callback) throw new Error('grace could not sign in');
    const other = await s3For(await exchange(graceSignIn.callback, graceRequest));
    expect(other.identityId).not.toBe(identityId);
    await other.s3.send(new PutObjectCommand({ Bucket: info.bucket, Key: `${other.identityId}/grace.txt`, Body: 'grace' }));

    // Inside her own prefix Ada may write, read and list.
    const key = `${identityId}/notes/hello.txt`;
    await s3.send(new PutObjectCommand({ Bucket: info.bucket, Key: key, Body: 'hello from ada' }));
    const got = await s3.send(new GetObjectCommand({ Bucket: info.bucket, Key: key }));
    expect(await got.Body?.transformToString()).toBe('hello from ada');
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: info.bucket, Prefix: `${identityId}/` }));
    expect(listed.Contents?.map((o) => o.Key)).toEqual([key]);

    // Everywhere else she is denied, as by the production IAM policy.
    await expectAccessDenied(s3.send(new PutObjectCommand({ Bucket: info.bucket, Key: `${other.identityId}/x`, Body: 'x' })));
    await expectAccessDenied(s3.send(new GetObjectCommand({ Bucket: info.bucket, Key: `${other.identityId}/grace.txt` })));
    await expectAccessDenied(s3.send(new PutObjectCommand({ Bucket: info.bucket, Key: 'x', Body: 'x' })));
    await expectAccessDenied(s3.send(new ListObjectsV2Command({ Bucket: info.bucket })));
    await expectAccessDenied(s3.send(new ListObjectsV2Command({ Bucket: info.bucket, Prefix: `${other.identityId}/` })));
  });
});
