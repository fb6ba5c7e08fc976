/**
 * A backend policy changed while the app runs (issue 9): the app restarts
 * once, on the read that sees it, and only for the backend — preferences a
 * policy changes are applied in place by AppController.
 */
import { describe, expect, it } from 'vitest';
import { backendIdentity, backendWatcher } from '../../../src/main/policy/backendChange.js';
import type { StratusConfig } from '../../../src/shared/StratusConfig.js';

const base: StratusConfig = {
  version: 1, auth: 'cognito', region: 'eu-west-1', bucket: 'acme-stratus',
  cognito: { issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AAA', clientId: 'client', identityPoolId: 'eu-west-1:1111', redirectUri: 'http://localhost:53682/callback' },
};

function watch(current: () => StratusConfig | undefined) {
  const reasons: string[] = [];
  const changed = backendWatcher({ started: base, current, restart: (reason) => reasons.push(reason) });
  return { changed, reasons };
}

describe('backend policy changes', () => {
  it('does nothing while the backend stays the same, preferences included', () => {
    const { changed, reasons } = watch(() => ({ ...base, folder: '/elsewhere', deviceName: 'other' }));
    expect(changed()).toBe(false);
    expect(reasons).toEqual([]);
  });

  it('restarts once when the bucket, the user pool or the endpoint changes, or the connection goes away', () => {
    for (const next of [
      { ...base, bucket: 'acme-stratus-eu' },
      { ...base, cognito: { issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_BBB', clientId: 'client', identityPoolId: 'eu-west-1:1111', redirectUri: 'http://localhost:53682/callback' } },
      { ...base, endpoint: 'https://s3.acme.example' },
      undefined,
    ]) {
      const { changed, reasons } = watch(() => next);
      expect(changed()).toBe(true);
      expect(changed()).toBe(true);
      expect(reasons).toHaveLength(1);
      expect(reasons[0]).toContain('nothing waiting to sync is lost');
    }
  });

  it('names only what identifies the backend', () => {
    expect(backendIdentity({ ...base, folder: '/x', logLevel: 'debug' })).toBe(backendIdentity(base));
    expect(backendIdentity(undefined)).toBe('none');
  });
});
