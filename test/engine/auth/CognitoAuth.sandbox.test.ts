/**
 * Sign-in against the sandbox (Cognito-shaped user pool, identity pool, S3),
 * with the hosted UI walked by fetch: the stored session, token refresh near
 * expiry, revocation and sign-out, per-user credentials that cannot read each
 * other's prefix, and every configuration mistake as one clear error.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { authError, signInCancelled } from '../../../src/engine/auth/authErrors.js';
import { CognitoAuth } from '../../../src/engine/auth/CognitoAuth.js';
import { ID_TOKEN_REFRESH_MARGIN_MS } from '../../../src/engine/auth/CognitoSession.js';
import { MemoryTokenVault } from '../../../src/engine/auth/TokenVault.js';
import { S3RemoteStore } from '../../../src/engine/remote/S3RemoteStore.js';
import type { CognitoSettings } from '../../../src/shared/StratusConfig.js';
import { startSandbox, type Sandbox } from '../../../sandbox/startSandbox.js';
import { CookieJar, fetchBrowser, freePort } from './authTestKit.js';

let scratch: string;
let sandbox: Sandbox;
let cognito: CognitoSettings;
const clients: S3Client[] = [];

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'stratus-auth-'));
  sandbox = await startSandbox({ dataDir: join(scratch, 'sandbox'), redirectPort: await freePort() });
  if (sandbox.info.stratusConfig.cognito === undefined) throw new Error('the sandbox config has no cognito block');
  cognito = sandbox.info.stratusConfig.cognito;
});

afterAll(async () => {
  for (const client of clients) client.destroy();
  await sandbox?.close();
  await rm(scratch, { recursive: true, force: true });
});

function user(name: string): { username: string; password: string } {
  const found = sandbox.info.users.find((u) => u.username === name);
  if (found === undefined) throw new Error(`no sandbox user ${name}`);
  return found;
}

async function signIn(name: string, vault = new MemoryTokenVault(), now?: () => number, jar?: CookieJar) {
  const auth = await CognitoAuth.connect({ cognito, vault, ...(now === undefined ? {} : { now }) });
  const browser = fetchBrowser(user(name), cognito.redirectUri, undefined, jar);
  const signedIn = await auth.signIn({ openUrl: browser.open, timeoutMs: 20_000 });
  const page = await browser.done;
  return { auth, vault, signedIn, page };
}

function s3(credentials: S3Client['config']['credentials']): S3Client {
  const client = new S3Client({ region: sandbox.info.region, endpoint: sandbox.info.s3Endpoint, forcePathStyle: true, credentials });
  clients.push(client);
  return client;
}

describe('signing in through the hosted UI', () => {
  it('stores the refresh token and identity (no ID or access token) and tells the browser it can close', async () => {
    const { vault, signedIn, page } = await signIn('ada');
    expect(page.status).toBe(200);
    expect(page.page).toContain('You can close this window');
    expect(signedIn.identityId).toBe(sandbox.identityIdFor('ada'));
    const stored = await vault.get();
    expect(stored).toMatchObject({ username: 'ada', email: 'ada@example.com', identity: { identityPoolId: cognito.identityPoolId, identityId: signedIn.identityId } });
    expect(stored?.refreshToken).toMatch(/.{20,}/);
    expect(Object.keys(stored ?? {}).sort()).toEqual(['email', 'identity', 'refreshToken', 'signedInAt', 'sub', 'username']);
    // Nothing JWT-shaped (ID/access tokens) is in what the vault keeps.
    expect(JSON.stringify(stored)).not.toMatch(/eyJ[\w-]+\.[\w-]+\.[\w-]+/);
  });

  it('refreshes the ID token only when less than five minutes are left', async () => {
    let offset = 0;
    const { auth } = await signIn('ada', new MemoryTokenVault(), () => Date.now() + offset);
    const session = await auth.restore();
    if (session === undefined) throw new Error('no session restored');
    let refreshes = 0;
    session.onDidRefresh(() => refreshes++);
    await session.freshIdToken();
    expect(refreshes).toBe(1); // a restored session has no ID token in memory yet
    const expiresAt = session.idTokenExpiresAt ?? 0;

    offset = expiresAt - Date.now() - ID_TOKEN_REFRESH_MARGIN_MS - 60_000; // six minutes left
    await session.freshIdToken();
    expect(refreshes).toBe(1);

    offset = expiresAt - Date.now() - ID_TOKEN_REFRESH_MARGIN_MS + 60_000; // four minutes left
    await Promise.all([session.freshIdToken(), session.freshIdToken()]);
    expect(refreshes).toBe(2); // concurrent callers share one refresh
  });

  it('reports a revoked refresh token as signed-out and clears the vault', async () => {
    const { auth, vault } = await signIn('grace');
    const stored = await vault.get();
    if (stored === undefined) throw new Error('not stored');
    await auth.oidc.revoke(stored.refreshToken);
    const session = await auth.restore();
    await expect(session?.freshIdToken()).rejects.toMatchObject({ code: 'signed-out', severity: 'fatal' });
    expect(await vault.get()).toBeUndefined();

    // The credential provider surfaces the same error (so a sync says "signed out", not "access denied").
    const copy = new MemoryTokenVault({ ...stored, identity: undefined as never });
    const again = await CognitoAuth.connect({ cognito, vault: copy });
    const restored = await again.restore();
    if (restored === undefined) throw new Error('no session');
    await expect(again.credentialsFor(restored).provider()).rejects.toMatchObject({ code: 'signed-out' });
  });

  it('signs out: revokes the refresh token (a refresh then fails) and clears the vault', async () => {
    const { auth, vault, signedIn } = await signIn('ada');
    const token = (await vault.get())?.refreshToken ?? '';
    await signedIn.session.signOut();
    expect(await vault.get()).toBeUndefined();
    await expect(auth.oidc.refresh(token, signedIn.session.user.sub)).rejects.toMatchObject({ code: 'signed-out' });
    await expect(signedIn.session.freshIdToken()).rejects.toMatchObject({ code: 'signed-out' });
    const logout = auth.logoutUrl();
    expect(logout.pathname).toBe('/logout');
    expect(logout.searchParams.get('client_id')).toBe(cognito.clientId);
    expect(logout.searchParams.get('logout_uri')).toBe(sandbox.info.logoutUri);
    // The sandbox hosted UI accepts it (a registered sign-out URL) and redirects there.
    const response = await fetch(logout, { redirect: 'manual' });
    expect(response.headers.get('location')).toBe(sandbox.info.logoutUri);
  });
});

describe('signing in again while signed in', () => {
  it('revokes the refresh token it replaces; the new one stays valid, even in the same browser session', async () => {
    const vault = new MemoryTokenVault();
    const jar = new CookieJar();
    const first = await signIn('ada', vault, undefined, jar);
    expect(first.signedIn.replaced).toBeUndefined();
    const oldToken = (await vault.get())?.refreshToken ?? '';
    const sessionCookies = jar.names().length;
    expect(sessionCookies).toBeGreaterThan(0);

    // Same cookie jar: the hosted UI session is reused (no password form), as in one real browser.
    const second = await signIn('ada', vault, undefined, jar);
    const newToken = (await vault.get())?.refreshToken ?? '';
    expect(newToken).toMatch(/.{20,}/);
    expect(newToken).not.toBe(oldToken);
    expect(second.signedIn.replaced).toEqual({ username: 'ada', revoked: true });

    // The user pool refuses the old token and still honours the new one.
    await expect(second.auth.oidc.refresh(oldToken, second.signedIn.session.user.sub)).rejects.toMatchObject({ code: 'signed-out' });
    await expect(second.auth.oidc.refresh(newToken, second.signedIn.session.user.sub)).resolves.toMatchObject({ claims: { username: 'ada' } });
  });

  it('revokes the other user\'s sign-in when someone else signs in on this computer', async () => {
    const vault = new MemoryTokenVault();
    await signIn('ada', vault);
    const adaToken = (await vault.get())?.refreshToken ?? '';
    const grace = await signIn('grace', vault);
    expect(grace.signedIn.replaced).toEqual({ username: 'ada', revoked: true });
    expect(await vault.get()).toMatchObject({ username: 'grace' });
    await expect(grace.auth.oidc.refresh(adaToken, 'any')).rejects.toMatchObject({ code: 'signed-out' });
  });

  it('keeps the new sign-in and reports it when the old token cannot be revoked', async () => {
    const vault = new MemoryTokenVault();
    await signIn('ada', vault);
    const oldToken = (await vault.get())?.refreshToken ?? '';
    const auth = await CognitoAuth.connect({ cognito, vault });
    const revoke = vi.spyOn(auth.oidc, 'revoke').mockRejectedValueOnce(authError('sign-in-unreachable', 'Cannot reach the sign-in server.'));
    const browser = fetchBrowser(user('ada'), cognito.redirectUri);
    const signedIn = await auth.signIn({ openUrl: browser.open, timeoutMs: 20_000 });
    expect(revoke).toHaveBeenCalledWith(oldToken);
    expect(signedIn.replaced).toMatchObject({ username: 'ada', revoked: false, error: { code: 'sign-in-unreachable' } });
    const stored = await vault.get();
    expect(stored?.refreshToken).not.toBe(oldToken);
    expect(stored?.refreshToken).toBe(signedIn.session.stored.refreshToken);
  });
});

describe('the page at the end of the hosted UI sign-out', () => {
  it('answers the registered sign-out URL once with "You are signed out", then stops listening', async () => {
    const { auth, signedIn } = await signIn('ada');
    await signedIn.session.signOut();
    const page = await auth.serveSignedOutPage({ timeoutMs: 20_000 });
    expect(page.url).toBe(sandbox.info.logoutUri);
    // What a browser does: /logout on the hosted UI, then its redirect to the loopback sign-out URL.
    const response = await fetch(auth.logoutUrl());
    expect(response.url).toBe(sandbox.info.logoutUri);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('You are signed out');
    await expect(page.done).resolves.toBe('shown');
    await page.close();
    await expect(fetch(sandbox.info.logoutUri)).rejects.toThrow();
  });

  it('gives up quietly when no browser comes back, and when stopped', async () => {
    const { auth } = await signIn('ada');
    const page = await auth.serveSignedOutPage({ timeoutMs: 100 });
    await expect(page.done).resolves.toBe('timeout');
    await page.close();
    const controller = new AbortController();
    const stopped = await auth.serveSignedOutPage({ timeoutMs: 20_000, signal: controller.signal });
    controller.abort();
    await expect(stopped.done).resolves.toBe('aborted');
    await stopped.close();
    await expect(fetch(sandbox.info.logoutUri)).rejects.toThrow();
  });
});

describe('cancelling a sign-in', () => {
  it('rejects with the cancellation reason and frees the callback port', async () => {
    const vault = new MemoryTokenVault();
    const auth = await CognitoAuth.connect({ cognito, vault });
    const controller = new AbortController();
    const err = await auth.signIn({ openUrl: () => controller.abort(signInCancelled()), timeoutMs: 20_000, signal: controller.signal }).then(() => undefined, (e: unknown) => e);
    expect(err).toMatchObject({ code: 'sign-in-cancelled', severity: 'fatal' });
    expect(await vault.get()).toBeUndefined();
    await expect(fetch(cognito.redirectUri)).rejects.toThrow();
  });

  it('sends the LoginHint policy to the hosted UI as login_hint, and nothing without one', async () => {
    const urls: string[] = [];
    for (const loginHint of ['ada@acme.example', undefined]) {
      const auth = await CognitoAuth.connect({ cognito, vault: new MemoryTokenVault(), ...(loginHint === undefined ? {} : { loginHint }) });
      const controller = new AbortController();
      await auth.signIn({ openUrl: (url) => { urls.push(url); controller.abort(signInCancelled()); }, timeoutMs: 20_000, signal: controller.signal }).catch(() => undefined);
    }
    expect(new URL(urls[0] ?? '').searchParams.get('login_hint')).toBe('ada@acme.example');
    expect(new URL(urls[1] ?? '').searchParams.has('login_hint')).toBe(false);
  });

  it('does not show the sign-in page when cancelled before it was ready', async () => {
    const auth = await CognitoAuth.connect({ cognito, vault: new MemoryTokenVault() });
    const controller = new AbortController();
    controller.abort(signInCancelled());
    const openUrl = vi.fn();
    await expect(auth.signIn({ openUrl, signal: controller.signal })).rejects.toMatchObject({ code: 'sign-in-cancelled' });
    expect(openUrl).not.toHaveBeenCalled();
  });
});

describe('per-user credentials', () => {
  it('give each user their own prefix; the other prefix is access denied, never an empty remote', async () => {
    const ada = await signIn('ada');
    const grace = await signIn('grace');
    expect(ada.signedIn.identityId).not.toBe(grace.signedIn.identityId);
    // A new provider per user: grace's credentials are not ada's cached identity.
    const graceS3 = s3(grace.signedIn.credentials.provider);
    await graceS3.send(new PutObjectCommand({ Bucket: sandbox.info.bucket, Key: `${grace.signedIn.identityId}/secret.txt`, Body: 'grace' }));

    const adaClient = s3(ada.signedIn.credentials.provider);
    const own = new S3RemoteStore({ client: adaClient, bucket: sandbox.info.bucket, prefix: await ada.signedIn.credentials.prefix() });
    const ownKeys: string[] = [];
    for await (const object of own.list()) ownKeys.push(object.key);
    expect(ownKeys.every((key) => key.startsWith(`${ada.signedIn.identityId}/`))).toBe(true);

    const other = new S3RemoteStore({ client: adaClient, bucket: sandbox.info.bucket, prefix: `${grace.signedIn.identityId}/` });
    const listing = (async () => {
      const keys: string[] = [];
      for await (const object of other.list()) keys.push(object.key);
      return keys;
    })();
    const err = await listing.then(() => undefined, (e: unknown) => e);
    expect(err).toMatchObject({ code: 'remote-list-failed', cause: { code: 'access-denied' } });
  });

  it('uses the identity ID cached in the vault instead of asking the identity pool again', async () => {
    const { vault } = await signIn('ada');
    const auth = await CognitoAuth.connect({ cognito: { ...cognito, identityEndpoint: 'http://127.0.0.1:1' }, vault });
    const session = await auth.restore();
    if (session === undefined) throw new Error('no session');
    // The identity endpoint is unreachable, yet the prefix is known: it came from the vault.
    expect(await auth.credentialsFor(session).prefix()).toBe(`${sandbox.identityIdFor('ada') ?? '?'}/`);
  });
});

describe('sign-in failures, one clear error each', () => {
  async function attempt(settings: Partial<CognitoSettings>, options: { tamper?: (u: URL) => URL; timeoutMs?: number; clockSkewSeconds?: number } = {}) {
    const vault = new MemoryTokenVault();
    const run = async () => {
      const auth = await CognitoAuth.connect({ cognito: { ...cognito, ...settings }, vault, ...(options.clockSkewSeconds === undefined ? {} : { clockSkewSeconds: options.clockSkewSeconds }) });
      const browser = fetchBrowser(user('ada'), cognito.redirectUri, options.tamper);
      return auth.signIn({ openUrl: browser.open, timeoutMs: options.timeoutMs ?? 20_000 });
    };
    const err = await run().then(() => undefined, (e: unknown) => e);
    // Nothing is stored by a failed sign-in.
    expect(await vault.get()).toBeUndefined();
    return err as { code?: string; message?: string };
  }

  it('wrong user pool (discovery fails)', async () => {
    const err = await attempt({ issuer: `${cognito.issuer.replace(/_\w+$/, '_Nope')}` });
    expect(err).toMatchObject({ code: 'sign-in-issuer-invalid' });
    expect(err.message).toContain('check cognito.issuer');
  });

  it('unreachable hosted UI', async () => {
    const err = await attempt({ issuer: `http://localhost:${await freePort()}/us-east-1_Gone` });
    expect(err).toMatchObject({ code: 'sign-in-unreachable' });
  });

  it('wrong app client id (the hosted UI refuses the request before any browser waits)', async () => {
    const err = await attempt({ clientId: 'no-such-client' });
    expect(err).toMatchObject({ code: 'sign-in-rejected' });
    expect(err.message).toContain('invalid_client');
    expect(err.message).toContain('cognito.clientId');
  });

  it('a callback URL the app client does not allow', async () => {
    const err = await attempt({ redirectUri: `http://localhost:${await freePort()}/callback` });
    expect(err).toMatchObject({ code: 'sign-in-rejected' });
    expect(err.message).toContain('allowed callback URL');
  });

  it('wrong identity pool id (ResourceNotFoundException)', async () => {
    const err = await attempt({ identityPoolId: 'us-east-1:00000000-0000-0000-0000-000000000000' });
    expect(err).toMatchObject({ code: 'identity-pool-not-found' });
    expect(err.message).toContain('cognito.identityPoolId');
  });

  it('a state that does not match the request', async () => {
    const err = await attempt({}, { tamper: (callback) => { const u = new URL(callback); u.searchParams.set('state', 'forged'); return u; } });
    expect(err).toMatchObject({ code: 'sign-in-state-mismatch' });
  });

  it('access_denied from the hosted UI (the user cancelled)', async () => {
    const err = await attempt({}, { tamper: (callback) => { const u = new URL(callback.origin + callback.pathname); u.searchParams.set('error', 'access_denied'); u.searchParams.set('state', callback.searchParams.get('state') ?? ''); return u; } });
    expect(err).toMatchObject({ code: 'sign-in-denied' });
  });

  it('a browser that never comes back (timeout)', async () => {
    const vault = new MemoryTokenVault();
    const auth = await CognitoAuth.connect({ cognito, vault });
    await expect(auth.signIn({ openUrl: () => undefined, timeoutMs: 200 })).rejects.toMatchObject({ code: 'sign-in-timeout' });
  });

  it('a computer clock far off from the server\'s (two hours ahead: the one-hour ID token looks expired)', async () => {
    const err = await attempt({}, { clockSkewSeconds: 2 * 3600 });
    expect(err).toMatchObject({ code: 'clock-skew' });
  });
});
