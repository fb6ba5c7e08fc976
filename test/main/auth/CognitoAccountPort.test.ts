/**
 * The app's cognito account: restore without network when nobody is signed
 * in, failures sorted into "offline, try again" and "sign in again", and the
 * SDK's credentials carried to the engine with an ISO expiration.
 */
import { describe, expect, it } from 'vitest';
import { authError } from '../../../src/engine/auth/authErrors.js';
import { classifyRestoreFailure, CognitoAccountPort, toEngineCredentials } from '../../../src/main/auth/CognitoAccountPort.js';

describe('CognitoAccountPort', () => {
  it('answers signed-out without any network when the vault is empty', async () => {
    const port = new CognitoAccountPort({
      // An issuer nothing listens on: reaching for it would fail, not answer signed-out.
      cognito: { issuer: 'http://127.0.0.1:9/pool', clientId: 'c', identityPoolId: 'us-east-1:1', redirectUri: 'http://localhost:53682/callback' },
      vault: { get: () => Promise.resolve(undefined), set: () => Promise.resolve(), clear: () => Promise.resolve() },
      flow: { signIn: () => Promise.reject(new Error('not used')), cancel: () => undefined },
      endBrowserSession: () => Promise.resolve(),
    });
    expect(await port.restore()).toEqual({ kind: 'signed-out' });
  });

  it('treats an unreachable server, a busy identity pool, clock skew and network errors as offline', () => {
    for (const err of [
      authError('sign-in-unreachable', 'Cannot reach the sign-in server'),
      authError('identity-pool-busy', 'busy'),
      authError('clock-skew', 'skew'),
      Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
    ]) {
      expect(classifyRestoreFailure(err).kind).toBe('unreachable');
    }
  });

  it('treats a revoked session, a damaged vault or a wrong pool as signed out, with the reason', () => {
    expect(classifyRestoreFailure(authError('signed-out', 'You are signed out'))).toEqual({ kind: 'signed-out', message: 'You are signed out' });
    expect(classifyRestoreFailure(authError('token-vault-damaged', 'damaged')).kind).toBe('signed-out');
    expect(classifyRestoreFailure(authError('identity-pool-not-found', 'no pool')).kind).toBe('signed-out');
  });

  it('carries credentials to the engine with an ISO 8601 expiration', () => {
    expect(toEngineCredentials({ accessKeyId: 'A', secretAccessKey: 'S', sessionToken: 'T', expiration: new Date('2026-11-22T11:00:00.000Z') }))
      .toEqual({ accessKeyId: 'A', secretAccessKey: 'S', sessionToken: 'T', expiration: '2026-11-22T11:00:00.000Z' });
    expect(toEngineCredentials({ accessKeyId: 'A', secretAccessKey: 'S' })).toEqual({ accessKeyId: 'A', secretAccessKey: 'S' });
  });
});
