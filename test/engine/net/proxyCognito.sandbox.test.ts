/**
 * Sign-in through the proxy (issue 9): CognitoAuth given an HttpNetwork with
 * ProxyUrl = a real tinyproxy and ExtraCaCertificates = a throwaway test CA.
 * openid-client's requests (discovery, token) to the sandbox user pool go
 * through the proxy as plain-http forwards (the sandbox hosted UI is http on
 * loopback; its issuer is fixed, so it is not put behind TLS here), and the
 * Cognito Identity client reaches the identity API over TLS (a certificate
 * from the test CA) with CONNECT through the same proxy.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CognitoAuth } from '../../../src/engine/auth/CognitoAuth.js';
import { MemoryTokenVault } from '../../../src/engine/auth/TokenVault.js';
import { HttpNetwork } from '../../../src/engine/net/HttpNetwork.js';
import { CredentialStore } from '../../../sandbox/CredentialStore.js';
import { startIdentityPool, type IdentityPool } from '../../../sandbox/cognito/IdentityPool.js';
import { startUserPool, type UserPool } from '../../../sandbox/cognito/UserPool.js';
import { fetchBrowser, freePort } from '../auth/authTestKit.js';
import { startTlsForwarder, type TlsForwarder } from '../../support/tlsForwarder.js';
import { createTestCa, hasOpenssl, type TestCa } from './testCa.js';
import { startTinyproxy, tinyproxyUnavailable, type Tinyproxy } from './tinyproxy.js';

const ADA = { username: 'ada', password: 'Stratus-sandbox-1', email: 'ada@example.com' };

const skipReason = tinyproxyUnavailable() ?? (!(await hasOpenssl()) ? 'the openssl command is not installed (it makes the test CA)' : undefined);
if (skipReason !== undefined) console.log(`skipped (sign-in through a proxy): ${skipReason}`);

let dir: string;
let ca: TestCa;
let redirectUri: string;
let userPool: UserPool;
let identityPool: IdentityPool;
let tls: TlsForwarder;
let proxy: Tinyproxy;

describe.skipIf(skipReason !== undefined)('Cognito sign-in through a real proxy, identity API over TLS from a test CA', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'stratus-proxy-cognito-'));
    ca = await createTestCa(dir);
    redirectUri = `http://localhost:${await freePort()}/callback`;
    userPool = await startUserPool({ redirectUris: [redirectUri], users: [ADA] });
    identityPool = await startIdentityPool({ providers: [{ issuer: userPool.issuer, clientId: userPool.clientId, jwksUri: userPool.jwksUri }], credentials: new CredentialStore() });
    tls = await startTlsForwarder({ key: ca.serverKey, cert: ca.serverCert, targetPort: Number(new URL(identityPool.endpoint).port) });
    proxy = await startTinyproxy(dir, [tls.port]);
  });

  afterAll(async () => {
    await proxy?.stop();
    await tls?.close();
    await identityPool?.close();
    await userPool?.close();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  async function signIn(network: HttpNetwork): Promise<string> {
    const cognito = { issuer: userPool.issuer, clientId: userPool.clientId, identityPoolId: identityPool.identityPoolId, redirectUri, identityEndpoint: tls.url };
    const auth = await CognitoAuth.connect({ cognito, vault: new MemoryTokenVault(), network });
    const browser = fetchBrowser(ADA, redirectUri);
    const { identityId } = await auth.signIn({ openUrl: browser.open, timeoutMs: 20_000 });
    return identityId;
  }

  it('discovers, exchanges the code and gets identity-pool credentials, all through the proxy', async () => {
    const network = await HttpNetwork.create({ settings: { proxyUrl: proxy.url, extraCaCertificates: ca.caFile } });
    try {
      const identityId = await signIn(network);
      expect(identityId).toMatch(/^us-east-1:/);
    } finally {
      network.dispose();
    }
    const log = await proxy.log();
    const origin = new URL(userPool.issuer).origin;
    // openid-client's fetch: plain-http requests forwarded by the proxy (absolute URIs in the request line).
    expect(log).toContain(`GET ${userPool.issuer}/.well-known/openid-configuration`);
    expect(log).toMatch(new RegExp(`POST ${origin.replace(/[.]/g, '\\.')}/\\S*token`));
    // The Cognito Identity client: a CONNECT tunnel to the TLS identity endpoint.
    expect(await proxy.connects()).toContain(`127.0.0.1:${tls.port}`);
  });

  it('fails on the identity API certificate without the test CA, naming the certificate code', async () => {
    const network = await HttpNetwork.create({ settings: { proxyUrl: proxy.url } });
    try {
      const err = await signIn(network).then(() => undefined, (e: unknown) => e);
      expect(err).toMatchObject({ code: 'identity-pool-denied' });
      const { certificateProblem } = await import('../../../src/engine/net/certificateProblem.js');
      expect(certificateProblem(err)).toEqual({ code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', kind: 'untrusted' });
    } finally {
      network.dispose();
    }
  });
});
