/**
 * Identity-pool credentials with short-lived ID tokens (a user pool issuing
 * 2-second tokens, started directly since startSandbox keeps Cognito's 1 h):
 * the `logins` function renews an expired ID token from the refresh token,
 * where a stored token would be refused; and an identity pool that does not
 * trust the app client is reported as identity-pool-denied.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { fromCognitoIdentityPool } from '@aws-sdk/credential-providers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CognitoAuth } from '../../../src/engine/auth/CognitoAuth.js';
import { loginsKeyFor } from '../../../src/engine/auth/CognitoCredentials.js';
import { MemoryTokenVault } from '../../../src/engine/auth/TokenVault.js';
import type { CognitoSettings } from '../../../src/shared/StratusConfig.js';
import { CredentialStore } from '../../../sandbox/CredentialStore.js';
import { startIdentityPool, type IdentityPool } from '../../../sandbox/cognito/IdentityPool.js';
import { startUserPool, type UserPool } from '../../../sandbox/cognito/UserPool.js';
import { fetchBrowser, freePort } from './authTestKit.js';

const ADA = { username: 'ada', password: 'Stratus-sandbox-1', email: 'ada@example.com' };
const TTL_SECONDS = 2;

let redirectUri: string;
let userPool: UserPool;
let identityPool: IdentityPool;
let distrustingPool: IdentityPool;

beforeAll(async () => {
  redirectUri = `http://localhost:${await freePort()}/callback`;
  userPool = await startUserPool({ redirectUris: [redirectUri], users: [ADA], idTokenTtlSeconds: TTL_SECONDS });
  const credentials = new CredentialStore();
  identityPool = await startIdentityPool({ providers: [{ issuer: userPool.issuer, clientId: userPool.clientId, jwksUri: userPool.jwksUri }], credentials });
  // Trusts the user pool, but only another app client: Cognito answers NotAuthorizedException.
  distrustingPool = await startIdentityPool({ providers: [{ issuer: userPool.issuer, clientId: 'another-app-client', jwksUri: userPool.jwksUri }], credentials });
});

afterAll(async () => {
  await distrustingPool?.close();
  await identityPool?.close();
  await userPool?.close();
});

function settings(pool: IdentityPool): CognitoSettings {
  return { issuer: userPool.issuer, clientId: userPool.clientId, identityPoolId: pool.identityPoolId, redirectUri, identityEndpoint: pool.endpoint };
}

describe('credentials from short-lived ID tokens', () => {
  it('refreshes an expired ID token inside the logins function, where the stored token is refused', async () => {
    const vault = new MemoryTokenVault();
    const auth = await CognitoAuth.connect({ cognito: settings(identityPool), vault });
    const browser = fetchBrowser(ADA, redirectUri);
    const { session, identityId } = await auth.signIn({ openUrl: browser.open, timeoutMs: 20_000 });
    const staleIdToken = await session.freshIdToken();
    let refreshes = 0;
    session.onDidRefresh(() => refreshes++);

    await sleep(TTL_SECONDS * 1000 + 1200);

    // Control: the SDK with the ID token as it was stored is refused once it expired (AUTH-NOTES).
    const stored = fromCognitoIdentityPool({
      identityPoolId: identityPool.identityPoolId,
      logins: { [loginsKeyFor(userPool.issuer)]: staleIdToken },
      clientConfig: { region: identityPool.region, endpoint: identityPool.endpoint },
    });
    await expect(stored()).rejects.toMatchObject({ name: 'NotAuthorizedException', message: expect.stringContaining('expired') as unknown });

    // Stratus' provider (a new one, as for a new run) asks the session, which refreshes first.
    const credentials = auth.credentialsFor(session);
    const fresh = await credentials.provider();
    expect(fresh.accessKeyId).toMatch(/^ASIA/);
    expect(refreshes).toBeGreaterThanOrEqual(1);
    expect(await credentials.identityId()).toBe(identityId);
  });

  it('reports an identity pool that does not trust this app client as identity-pool-denied', async () => {
    const vault = new MemoryTokenVault();
    const auth = await CognitoAuth.connect({ cognito: settings(distrustingPool), vault });
    const browser = fetchBrowser(ADA, redirectUri);
    const err = await auth.signIn({ openUrl: browser.open, timeoutMs: 20_000 }).then(() => undefined, (e: unknown) => e);
    expect(err).toMatchObject({ code: 'identity-pool-denied', severity: 'fatal' });
    expect((err as Error).message).toContain(loginsKeyFor(userPool.issuer));
    expect(await vault.get()).toBeUndefined();
  });
});
