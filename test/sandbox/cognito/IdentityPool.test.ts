import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose';
import { fromCognitoIdentityPool } from '@aws-sdk/credential-providers';
import { CredentialStore } from '../../../sandbox/CredentialStore.js';
import { startIdentityPool, type IdentityPool, type IdentityPoolOptions } from '../../../sandbox/cognito/IdentityPool.js';

/** A stand-in user pool: a JWKS endpoint and a way to mint ID tokens with any claims. */
interface FakeIssuer {
  readonly issuer: string;
  readonly jwksUri: string;
  readonly loginsKey: string;
  readonly clientId: string;
  mint(claims?: JWTPayload, options?: { key?: CryptoKey; expiresAt?: number }): Promise<string>;
  close(): Promise<void>;
}

const KID = 'fake-1';

async function startFakeIssuer(): Promise<FakeIssuer> {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: KID, alg: 'RS256', use: 'sig' }] };
  const server: Server = createServer((req, res) => {
    res.writeHead(req.url?.endsWith('/.well-known/jwks.json') ? 200 : 404, { 'content-type': 'application/json' });
    res.end(JSON.stringify(jwks));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}/us-east-1_Fake01`;
  const clientId = 'fakeclient';
  return {
    issuer,
    clientId,
    jwksUri: `${issuer}/.well-known/jwks.json`,
    loginsKey: issuer.replace('http://', ''),
    async mint(claims = {}, options = {}) {
      const now = Math.floor(Date.now() / 1000);
      const payload = { iss: issuer, aud: clientId, sub: 'sub-alice', token_use: 'id', 'cognito:username': 'alice', ...claims };
      return new SignJWT(payload)
        .setProtectedHeader({ alg: 'RS256', kid: KID })
        .setIssuedAt(now)
        .setExpirationTime(options.expiresAt ?? now + 3600)
        .sign(options.key ?? privateKey);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

let fake: FakeIssuer;
let credentials: CredentialStore;
let pool: IdentityPool;
let clock = Date.now();
const TTL_MS = 15 * 60_000;

function poolOptions(): IdentityPoolOptions {
  return {
    providers: [{ issuer: fake.issuer, clientId: fake.clientId, jwksUri: fake.jwksUri }],
    credentials,
    credentialTtlMs: TTL_MS,
    now: () => clock,
  };
}

beforeAll(async () => {
  fake = await startFakeIssuer();
  credentials = new CredentialStore({ now: () => clock });
  pool = await startIdentityPool(poolOptions());
});

afterAll(async () => {
  await pool?.close();
  await fake?.close();
});

async function call(operation: string, body: unknown, endpoint = pool.endpoint) {
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': `AWSCognitoIdentityService.${operation}`,
    },
    body: JSON.stringify(body),
  });
  return {
    status: response.status,
    errorType: response.headers.get('x-amzn-errortype'),
    body: (await response.json()) as Record<string, unknown>,
  };
}

async function getId(logins: Record<string, string>, identityPoolId = pool.identityPoolId) {
  return call('GetId', { IdentityPoolId: identityPoolId, Logins: logins });
}

async function expectError(
  response: Promise<{ status: number; errorType: string | null; body: Record<string, unknown> }>,
  type: string,
  message?: RegExp,
) {
  const { status, errorType, body } = await response;
  expect(status).toBe(400);
  expect(errorType).toBe(type);
  expect(body['__type']).toBe(type);
  if (message) expect(body['message']).toMatch(message);
}

describe('IdentityPool GetId', () => {
  it('returns a <region>:<uuid> identity ID that is the same on every call', async () => {
    const token = await fake.mint();
    const first = await getId({ [fake.loginsKey]: token });
    expect(first.status).toBe(200);
    expect(first.body['IdentityId']).toMatch(/^us-east-1:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    const second = await getId({ [fake.loginsKey]: await fake.mint() });
    expect(second.body['IdentityId']).toBe(first.body['IdentityId']);
    expect(pool.identityIdFor('sub-alice')).toBe(first.body['IdentityId']);
  });

  it('gives different users different identity IDs', async () => {
    const alice = await getId({ [fake.loginsKey]: await fake.mint() });
    const bob = await getId({ [fake.loginsKey]: await fake.mint({ sub: 'sub-bob' }) });
    expect(bob.body['IdentityId']).not.toBe(alice.body['IdentityId']);
  });

  it("accepts the AWS form of the Logins key (cognito-idp.<region>.amazonaws.com/<poolId>)", async () => {
    const token = await fake.mint();
    const hostForm = await getId({ [fake.loginsKey]: token });
    const awsForm = await getId({ 'cognito-idp.us-east-1.amazonaws.com/us-east-1_Fake01': token });
    expect(awsForm.body['IdentityId']).toBe(hostForm.body['IdentityId']);
  });

  it('keeps identity IDs across a restart of the identity pool', async () => {
    const before = await getId({ [fake.loginsKey]: await fake.mint() });
    const restarted = await startIdentityPool(poolOptions());
    try {
      expect(restarted.identityIdFor('sub-alice')).toBe(before.body['IdentityId']);
      const after = await call(
        'GetId',
        { IdentityPoolId: restarted.identityPoolId, Logins: { [fake.loginsKey]: await fake.mint() } },
        restarted.endpoint,
      );
      expect(after.body['IdentityId']).toBe(before.body['IdentityId']);
    } finally {
      await restarted.close();
    }
  });

  it('rejects an expired ID token with NotAuthorizedException', async () => {
    const token = await fake.mint({}, { expiresAt: Math.floor(clock / 1000) - 60 });
    await expectError(getId({ [fake.loginsKey]: token }), 'NotAuthorizedException', /^Invalid login token\. Token expired: \d+ >= \d+$/);
  });

  it('rejects a token signed with another key', async () => {
    const { privateKey: forger } = await generateKeyPair('RS256');
    const token = await fake.mint({}, { key: forger });
    await expectError(getId({ [fake.loginsKey]: token }), 'NotAuthorizedException', /Couldn't verify signed token/);
  });

  it('rejects a token for another app client', async () => {
    const token = await fake.mint({ aud: 'someone-else' });
    await expectError(getId({ [fake.loginsKey]: token }), 'NotAuthorizedException', /Incorrect token audience/);
  });

  it('rejects an access token', async () => {
    const token = await fake.mint({ token_use: 'access' });
    await expectError(getId({ [fake.loginsKey]: token }), 'NotAuthorizedException', /identity token/);
  });

  it('rejects a token under a provider the pool does not trust', async () => {
    const token = await fake.mint();
    await expectError(getId({ 'localhost:1/us-east-1_Other': token }), 'NotAuthorizedException', /supported provider/);
  });

  it('rejects garbage in place of a token', async () => {
    await expectError(getId({ [fake.loginsKey]: 'not-a-jwt' }), 'NotAuthorizedException');
  });

  it('answers ResourceNotFoundException for another identity pool ID', async () => {
    const token = await fake.mint();
    await expectError(
      getId({ [fake.loginsKey]: token }, 'us-east-1:00000000-0000-0000-0000-000000000000'),
      'ResourceNotFoundException',
      /IdentityPool .* not found/,
    );
  });

  it('answers InvalidParameterException for a malformed identity pool ID or Logins', async () => {
    await expectError(getId({ [fake.loginsKey]: await fake.mint() }, 'nonsense'), 'InvalidParameterException');
    await expectError(call('GetId', { IdentityPoolId: pool.identityPoolId, Logins: 'x' }), 'InvalidParameterException');
  });

  it('refuses a guest (no Logins), as a pool without unauthenticated access does', async () => {
    await expectError(call('GetId', { IdentityPoolId: pool.identityPoolId }), 'NotAuthorizedException', /Unauthenticated/);
  });

  it('answers UnknownOperationException for other operations', async () => {
    const { status, body } = await call('ListIdentityPools', {});
    expect(status).toBe(400);
    expect(body['__type']).toBe('UnknownOperationException');
  });
});

describe('IdentityPool GetCredentialsForIdentity', () => {
  it('issues credentials for the identity that expire after the configured TTL', async () => {
    const logins = { [fake.loginsKey]: await fake.mint() };
    const identityId = (await getId(logins)).body['IdentityId'] as string;
    const { status, body } = await call('GetCredentialsForIdentity', { IdentityId: identityId, Logins: logins });
    expect(status).toBe(200);
    const creds = body['Credentials'] as Record<string, unknown>;
    expect(body['IdentityId']).toBe(identityId);
    expect(creds['Expiration']).toBe(Math.floor((clock + TTL_MS) / 1000));
    const issued = credentials.lookup(creds['AccessKeyId'] as string);
    expect(issued).toMatchObject({ kind: 'identity', identityId, secretAccessKey: creds['SecretKey'] });
    expect(issued?.kind === 'identity' && issued.sessionToken).toBe(creds['SessionToken']);
  });

  it("refuses another user's identity ID", async () => {
    const bobId = (await getId({ [fake.loginsKey]: await fake.mint({ sub: 'sub-bob' }) })).body['IdentityId'];
    await expectError(
      call('GetCredentialsForIdentity', { IdentityId: bobId, Logins: { [fake.loginsKey]: await fake.mint() } }),
      'NotAuthorizedException',
      /Logins don't match/,
    );
  });

  it('answers ResourceNotFoundException for an identity that does not exist', async () => {
    await expectError(
      call('GetCredentialsForIdentity', {
        IdentityId: 'us-east-1:00000000-0000-0000-0000-000000000000',
        Logins: { [fake.loginsKey]: await fake.mint() },
      }),
      'ResourceNotFoundException',
    );
  });

  it('rejects a token that expired since GetId', async () => {
    const logins = { [fake.loginsKey]: await fake.mint({}, { expiresAt: Math.floor(clock / 1000) + 60 }) };
    const identityId = (await getId(logins)).body['IdentityId'];
    clock += 5 * 60_000;
    try {
      await expectError(call('GetCredentialsForIdentity', { IdentityId: identityId, Logins: logins }), 'NotAuthorizedException', /Token expired/);
    } finally {
      clock -= 5 * 60_000;
    }
  });
});

describe('IdentityPool with the AWS SDK', () => {
  it('works with fromCognitoIdentityPool unchanged', async () => {
    const provider = fromCognitoIdentityPool({
      identityPoolId: pool.identityPoolId,
      logins: { [fake.loginsKey]: () => fake.mint() },
      clientConfig: { region: 'us-east-1', endpoint: pool.endpoint },
    });
    const creds = await provider();
    expect(creds.identityId).toBe(pool.identityIdFor('sub-alice'));
    expect(creds.accessKeyId).toMatch(/^ASIA/);
    expect(creds.sessionToken).toEqual(expect.any(String));
    expect(creds.expiration?.getTime()).toBe(Math.floor((clock + TTL_MS) / 1000) * 1000);
  });

  it('surfaces Cognito errors as typed SDK exceptions', async () => {
    const provider = fromCognitoIdentityPool({
      identityPoolId: pool.identityPoolId,
      logins: { [fake.loginsKey]: await fake.mint({ aud: 'someone-else' }) },
      clientConfig: { region: 'us-east-1', endpoint: pool.endpoint, maxAttempts: 1 },
    });
    await expect(provider()).rejects.toMatchObject({ name: 'NotAuthorizedException' });
  });
});
