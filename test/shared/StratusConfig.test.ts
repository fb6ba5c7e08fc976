import { describe, expect, it } from 'vitest';
import { parseStratusConfig } from '../../src/shared/StratusConfig.js';

const cognito = {
  version: 1,
  auth: 'cognito',
  region: 'eu-west-1',
  bucket: 'acme-stratus',
  cognito: {
    issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf',
    clientId: '3n4b5urk1ft4fl3mg5e62d9ado',
    identityPoolId: 'eu-west-1:4a5b6c7d-0000-4000-8000-000000000000',
    redirectUri: 'http://localhost:53682/callback',
  },
};

describe('parseStratusConfig', () => {
  it('accepts a cognito config and an aws-mode config with an S3-compatible endpoint', () => {
    expect(parseStratusConfig(cognito)).toMatchObject({ ok: true });
    expect(
      parseStratusConfig({ version: 1, auth: 'aws', region: 'us-east-1', bucket: 'data', prefix: 'team/ada/', endpoint: 'http://127.0.0.1:7480', forcePathStyle: true }),
    ).toMatchObject({ ok: true });
  });

  it('lists every problem, each in words a person can act on', () => {
    const result = parseStratusConfig({ version: 2, auth: 'aws', region: '', bucket: 'Bad_Bucket', prefix: '/abs', endpoint: 'ftp://x' });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.errors).toEqual([
        'version must be 1, got 2',
        'region must be a non-empty string',
        'bucket "Bad_Bucket" is not a valid S3 bucket name',
        'endpoint must be an http(s) URL such as https://example.com, got "ftp://x"',
        'prefix must not start with "/" and must end with "/" (e.g. "team/ada/")',
      ]);
    }
  });

  it('requires the cognito block in cognito mode and checks its URLs', () => {
    expect(parseStratusConfig({ ...cognito, cognito: undefined })).toEqual({
      ok: false,
      errors: ['cognito settings are required when auth is "cognito"'],
    });
    const bad = parseStratusConfig({ ...cognito, cognito: { ...cognito.cognito, redirectUri: 'localhost:53682/callback' } });
    expect(bad.ok).toBe(false);
  });

  it('rejects something that is not an object', () => {
    expect(parseStratusConfig('{"version":1}')).toEqual({ ok: false, errors: ['the config must be a JSON object'] });
  });
});
