/**
 * infra/scripts/outputs-to-config.js: the stack's outputs (as `cdk deploy
 * --outputs-file` or `aws cloudformation describe-stacks` write them) become a
 * Stratus policy file with enforced root keys and a valid Stratus config.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { policyNamed } from '../../src/shared/policies.js';
import { parseStratusConfig } from '../../src/shared/StratusConfig.js';

const run = promisify(execFile);
const SCRIPT = new URL('../../infra/scripts/outputs-to-config.js', import.meta.url).pathname;

const OUTPUTS = {
  Region: 'eu-west-1',
  UserPoolId: 'eu-west-1_AbCdEfGhI',
  AppClientId: '1example23456789abcdefghij',
  HostedUiDomainUrl: 'https://acme-stratus.auth.eu-west-1.amazoncognito.com',
  IdentityPoolId: 'eu-west-1:01234567-89ab-cdef-0123-456789abcdef',
  BucketName: 'stratusbackend-bucket83908e77-1abcdefghijk',
  RedirectPort: '53682',
};

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stratus-outputs-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function convert(input: unknown, ...args: string[]): Promise<{ policy: Record<string, unknown>; config: unknown; stdout: string }> {
  const outDir = await mkdtemp(join(dir, 'out-'));
  const file = join(outDir, 'outputs.json');
  await writeFile(file, JSON.stringify(input));
  const { stdout } = await run(process.execPath, [SCRIPT, '--outputs', file, '--out-dir', outDir, ...args]);
  return {
    policy: JSON.parse(await readFile(join(outDir, 'policy.json'), 'utf8')) as Record<string, unknown>,
    config: JSON.parse(await readFile(join(outDir, 'stratus.json'), 'utf8')) as unknown,
    stdout,
  };
}

const EXPECTED_POLICY = {
  CognitoRegion: 'eu-west-1',
  CognitoUserPoolId: 'eu-west-1_AbCdEfGhI',
  CognitoAppClientId: '1example23456789abcdefghij',
  CognitoHostedUiDomain: 'https://acme-stratus.auth.eu-west-1.amazoncognito.com',
  CognitoIdentityPoolId: 'eu-west-1:01234567-89ab-cdef-0123-456789abcdef',
  CognitoRedirectPort: 53682,
  Bucket: 'stratusbackend-bucket83908e77-1abcdefghijk',
  LockBackend: true,
};

describe('outputs-to-config', () => {
  it('writes an enforced policy file whose keys and types are the defined policies', async () => {
    const { policy } = await convert({ OtherStack: { Foo: 'bar' }, StratusBackend: OUTPUTS });
    expect(policy).toEqual(EXPECTED_POLICY);
    for (const [name, value] of Object.entries(policy)) {
      const definition = policyNamed(name);
      expect(definition, name).toBeDefined();
      expect(definition?.canBeEnforced, name).toBe(true);
      expect(typeof value, name).toBe(definition?.type === 'integer' ? 'number' : definition?.type);
    }
  });

  it('writes a Stratus config the app and CLI accept', async () => {
    const { config } = await convert({ StratusBackend: OUTPUTS });
    expect(parseStratusConfig(config)).toEqual({ ok: true, config });
    expect(config).toEqual({
      version: 1,
      auth: 'cognito',
      region: 'eu-west-1',
      bucket: 'stratusbackend-bucket83908e77-1abcdefghijk',
      cognito: {
        issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEfGhI',
        clientId: '1example23456789abcdefghij',
        identityPoolId: 'eu-west-1:01234567-89ab-cdef-0123-456789abcdef',
        redirectUri: 'http://localhost:53682/callback',
        hostedUiBase: 'https://acme-stratus.auth.eu-west-1.amazoncognito.com',
      },
    });
  });

  it('reads describe-stacks output too, and picks the stack named with --stack', async () => {
    const describeStacks = {
      Stacks: [
        { StackName: 'Staging', Outputs: Object.entries({ ...OUTPUTS, RedirectPort: '49152' }).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })) },
        { StackName: 'Prod', Outputs: Object.entries(OUTPUTS).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })) },
      ],
    };
    const { policy, config } = await convert(describeStacks, '--stack', 'Staging');
    expect(policy['CognitoRedirectPort']).toBe(49152);
    expect((config as { cognito: { redirectUri: string } }).cognito.redirectUri).toBe('http://localhost:49152/callback');
  });

  it('says in one line what is wrong, with exit code 2', async () => {
    const outDir = await mkdtemp(join(dir, 'bad-'));
    const file = join(outDir, 'outputs.json');
    const failure = async (input: unknown, ...args: string[]) => {
      await writeFile(file, JSON.stringify(input));
      const err = await run(process.execPath, [SCRIPT, '--outputs', file, '--out-dir', outDir, ...args]).then(() => undefined, (e: unknown) => e);
      expect(err).toMatchObject({ code: 2 });
      return (err as { stderr: string }).stderr.trim();
    };
    expect(await failure({ A: OUTPUTS, B: OUTPUTS })).toMatch(/more than one Stratus backend stack .* --stack$/);
    expect(await failure({ A: OUTPUTS }, '--stack', 'Nope')).toMatch(/no stack Nope/);
    const { BucketName: _bucket, ...withoutBucket } = OUTPUTS;
    expect(await failure({ A: withoutBucket }, '--stack', 'A')).toMatch(/lack BucketName/);
    expect(await failure({ A: { ...OUTPUTS, RedirectPort: '80' } })).toMatch(/RedirectPort 80/);
  });
});
