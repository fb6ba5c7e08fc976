import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Env, MergedSettings } from '../../src/cli/config.js';
import { applyPolicies, policyEngineOptions, policyLoginHint } from '../../src/cli/policyCheck.js';
import { ExitCode, runCli } from '../../src/cli/runCli.js';
import type { PolicySet } from '../../src/engine/policy/PolicySource.js';

let dir: string;
let folder: string;
let policyFile: string;
let env: Env;
// The default ownership check trusts only root-owned policy files; a non-root run cannot create one.
const isRoot = process.getuid?.() === 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stratus-cli-policy-'));
  folder = join(dir, 'Stratus');
  await mkdir(folder);
  policyFile = join(dir, 'policy.json');
  env = { STRATUS_POLICY_FILE: policyFile, STRATUS_STATE_DIR: join(dir, 'state'), HOME: dir };
  if (!isRoot) console.log('skipped (CLI policy tests): STRATUS_POLICY_FILE must be root-owned and these tests cannot create such a file without root; the ownership check is tested with injected owners in test/engine/policy');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function writePolicy(content: unknown, mode = 0o644): Promise<void> {
  await writeFile(policyFile, JSON.stringify(content));
  await chmod(policyFile, mode);
}

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { stdout: (l) => out.push(l), stderr: (l) => err.push(l), version: '9.9.9', env, cwd: dir });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe.skipIf(!isRoot)('stratus and managed policies (STRATUS_POLICY_FILE)', () => {
  it('hands the engine MinimumFreeDiskMiB and AdminIgnorePatterns, and the sign-in its LoginHint, read afresh each time', async () => {
    const io = { stdout: () => undefined, stderr: () => undefined, version: 'test', env, cwd: dir };
    await writePolicy({ MinimumFreeDiskMiB: 2048, AdminIgnorePatterns: ['*.pst'], LoginHint: 'ada@acme.example' });
    expect(await policyEngineOptions(io)).toEqual({ adminIgnorePatterns: ['*.pst'], minFreeBytes: 2048 * 1024 * 1024, managed: [] });
    expect(await policyLoginHint(io)).toBe('ada@acme.example');
    await writePolicy({});
    // Not set: the engine keeps its own floor (256 MiB), no hint is sent.
    expect(await policyEngineOptions(io)).toEqual({ adminIgnorePatterns: [], managed: [] });
    expect(await policyLoginHint(io)).toBeUndefined();
  });

  it('config --json prints every setting with its value, source and lock', async () => {
    await writePolicy({ Bucket: 'acme-stratus', CognitoRegion: 'eu-west-1', LockSyncFolder: false, Defaults: { UpdateChannel: 'beta', DefaultSyncFolder: '~/Acme' } });
    const configFile = join(dir, 'config.json');
    await writeFile(configFile, JSON.stringify({ version: 1, auth: 'aws', region: 'eu-west-1', prefix: 'team/ada/', endpoint: 'http://127.0.0.1:9000' }));
    const result = await run('config', '--json', '--config', configFile, '--folder', folder);
    expect(result).toMatchObject({ code: ExitCode.ok, err: '' });
    const report = JSON.parse(result.out) as Record<string, unknown>;
    expect(report['bucket']).toEqual({ value: 'acme-stratus', source: 'policy', locked: true });
    // Same value as the enforced policy: no conflict, still locked.
    expect(report['region']).toEqual({ value: 'eu-west-1', source: 'policy', locked: true });
    expect(report['endpoint']).toEqual({ value: 'http://127.0.0.1:9000', source: 'user', locked: false });
    expect(report['folder']).toEqual({ value: folder, source: 'flag', locked: false });
    expect(report['updateChannel']).toEqual({ value: 'beta', source: 'policy-default', locked: false });
    expect(report['lockSyncFolder']).toEqual({ value: false, source: 'policy', locked: true });
    expect(report['massDeleteMaxFiles']).toEqual({ value: 500, source: 'default', locked: false });
    expect(report['loginHint']).toEqual({ value: null, source: 'default', locked: false });
    expect(report['auth']).toEqual({ value: 'aws', source: 'user', locked: false });
    expect(report['prefix']).toEqual({ value: 'team/ada/', source: 'user', locked: false });
    for (const value of Object.values(report)) expect(Object.keys(value as object).sort()).toEqual(['locked', 'source', 'value']);
  });

  it('refuses a flag that contradicts an enforced policy, in one line, with exit code 2', async () => {
    await writePolicy({ Bucket: 'acme-stratus' });
    const result = await run('sync', '--once', '--bucket', 'other', '--region', 'eu-west-1', '--prefix', 'a/', '--folder', folder);
    expect(result).toEqual({ code: ExitCode.usage, out: '', err: 'stratus: --bucket other contradicts the policy Bucket = "acme-stratus" set by your organization' });
    const watch = await run('watch', '--bucket', 'other', '--region', 'eu-west-1', '--prefix', 'a/', '--folder', folder);
    expect(watch.code).toBe(ExitCode.usage);
    expect(watch.err).toContain('--bucket other contradicts the policy Bucket = "acme-stratus" set by your organization');
  });

  it('refuses a config file or environment value that contradicts the policy, and says where it came from', async () => {
    await writePolicy({ CognitoRegion: 'eu-west-1', LockBackend: true });
    const configFile = join(dir, 'elsewhere.json');
    await writeFile(configFile, JSON.stringify({ version: 1, auth: 'aws', region: 'us-east-1', bucket: 'b', prefix: 'a/', endpoint: 'http://minio:9000' }));
    const saved = env;
    env = { ...saved, STRATUS_BUCKET: 'theirs' };
    try {
      const result = await run('sync', '--once', '--config', configFile, '--folder', folder);
      expect(result.code).toBe(ExitCode.usage);
      expect(result.err.split('\n')).toEqual([
        `stratus: "region": "us-east-1" in the config file ${configFile} contradicts the policy CognitoRegion = "eu-west-1" set by your organization`,
        "stratus: STRATUS_BUCKET=theirs contradicts the policy LockBackend = true set by your organization (only your organization's backend may be used, and it sets no bucket)",
        `stratus: "endpoint": "http://minio:9000" in the config file ${configFile} contradicts the policy LockBackend = true set by your organization (only your organization's backend may be used, and it sets no endpoint)`,
      ]);
    } finally {
      env = saved;
    }
  });

  it('refuses --auth aws when AllowAwsAuthMode is false, and then defaults to Cognito sign-in', async () => {
    await writePolicy({ AllowAwsAuthMode: false });
    const refused = await run('sync', '--once', '--auth', 'aws', '--bucket', 'b-1', '--region', 'eu-west-1', '--prefix', 'a/', '--folder', folder);
    expect(refused).toEqual({
      code: ExitCode.usage,
      out: '',
      err: 'stratus: --auth aws contradicts the policy AllowAwsAuthMode = false set by your organization (sign in with "stratus login" instead)',
    });
    const report = JSON.parse((await run('config', '--json')).out) as Record<string, unknown>;
    expect(report['auth']).toEqual({ value: 'cognito', source: 'policy', locked: true });
    expect(report['allowAwsAuthMode']).toEqual({ value: false, source: 'policy', locked: true });
  });

  it('needs no config file on a machine the admin set up: whoami finds the account from the policies', async () => {
    await writePolicy({ CognitoRegion: 'eu-west-1', CognitoUserPoolId: 'eu-west-1_AbCdEf', CognitoAppClientId: 'client123', CognitoIdentityPoolId: 'eu-west-1:1111-2222', Bucket: 'acme-stratus', AllowAwsAuthMode: false });
    const result = await run('whoami');
    // Past the settings: the account is complete, only the sign-in is missing.
    expect(result.err).not.toMatch(/signing in is for auth|cognito settings are required|contradicts/);
    expect(result.err).toMatch(/not signed in/i);
  });

  it('stops applying a policy removed from the file at the next command', async () => {
    await writePolicy({ Bucket: 'acme-stratus' });
    const locked = await run('sync', '--once', '--bucket', 'mine', '--region', 'eu-west-1', '--prefix', 'a/');
    expect(locked.err).toContain('contradicts the policy Bucket');
    expect(JSON.parse((await run('config', '--json', '--bucket', 'mine')).out)).toMatchObject({ bucket: { value: 'acme-stratus', source: 'policy', locked: true } });
    await writePolicy({});
    expect(JSON.parse((await run('config', '--json', '--bucket', 'mine')).out)).toMatchObject({ bucket: { value: 'mine', source: 'flag', locked: false } });
    const unlocked = await run('sync', '--once', '--bucket', 'mine', '--region', 'eu-west-1', '--prefix', 'a/');
    expect(unlocked.err).not.toContain('contradicts');
    expect(unlocked.err).toContain('no folder given');
  });

  it('ignores a policy file others can write, with a warning, and config still prints', async () => {
    await writePolicy({ Bucket: 'acme-stratus' }, 0o666);
    const result = await run('config', '--json', '--bucket', 'mine');
    expect(result.code).toBe(ExitCode.ok);
    expect(result.err).toBe(`stratus: warning: policy ${policyFile}: ignored because it is writable by group or others (mode 666) (only root may be able to change a policy file); none of its policies apply`);
    expect(JSON.parse(result.out)).toMatchObject({ bucket: { value: 'mine', source: 'flag', locked: false } });
  });

  it('warns about a policy of the wrong type and applies the others', async () => {
    await writePolicy({ Bucket: 'acme-stratus', MassDeleteMaxFiles: 'many' });
    const result = await run('config', '--json');
    expect(result.err).toBe(`stratus: warning: policy ${policyFile}: MassDeleteMaxFiles must be an integer from 1 to 1000000, got the string "many" (ignored)`);
    expect(JSON.parse(result.out)).toMatchObject({ bucket: { source: 'policy' }, massDeleteMaxFiles: { value: 500, source: 'default' } });
  });

  it('prints a readable table without --json, and lists config in --help', async () => {
    await writePolicy({ Bucket: 'acme-stratus' });
    const result = await run('config');
    expect(result.out).toMatch(/^bucket +"acme-stratus" {2}policy, managed by your organization$/m);
    expect(result.out).toMatch(/^endpoint +\(not set\) {2}default$/m);
    expect((await run('--help')).out).toMatch(/^ {2}config {11}Show each setting's value/m);
  });
});

describe('applyPolicies', () => {
  const empty = { enforced: {}, defaults: {}, problems: [] };
  const merged = (raw: Record<string, unknown>, sources: Record<string, string>): MergedSettings => ({ raw, sources: new Map(Object.entries(sources)) });

  it('fills backend, folder and Cognito settings the user did not give, and makes Cognito the auth mode', () => {
    const policies: PolicySet = {
      machine: {
        enforced: { CognitoRegion: 'eu-west-1', CognitoUserPoolId: 'eu-west-1_AbC', CognitoAppClientId: 'client', CognitoIdentityPoolId: 'eu-west-1:id', CognitoHostedUiDomain: 'https://auth.acme.example', Bucket: 'acme-stratus', S3Endpoint: 'https://s3.acme.example' },
        defaults: { DefaultSyncFolder: '~/Acme' },
        problems: [],
      },
      user: empty,
    };
    const result = applyPolicies(merged({ version: 1, auth: 'aws' }, { auth: 'default' }), policies, { HOME: '/home/ada' });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.merged.raw).toEqual({
      version: 1,
      auth: 'cognito',
      region: 'eu-west-1',
      bucket: 'acme-stratus',
      endpoint: 'https://s3.acme.example',
      forcePathStyle: true,
      folder: '/home/ada/Acme',
      cognito: {
        issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC',
        clientId: 'client',
        identityPoolId: 'eu-west-1:id',
        hostedUiBase: 'https://auth.acme.example',
        redirectUri: 'http://localhost:53682/callback',
      },
    });
    expect(result.merged.sources.get('bucket')).toBe('the policy Bucket');
    expect(result.merged.sources.get('folder')).toBe('the policy DefaultSyncFolder');
  });

  it('fills the folder a lock holds to its built-in default, and refuses another', () => {
    const policies: PolicySet = { machine: { enforced: { LockSyncFolder: true }, defaults: {}, problems: [] }, user: empty };
    const filled = applyPolicies(merged({ version: 1, auth: 'aws' }, { auth: 'default' }), policies, { HOME: '/home/ada' });
    expect(filled.ok && filled.merged.raw['folder']).toBe('/home/ada/Stratus');
    expect(filled.ok && filled.merged.sources.get('folder')).toBe('the policy LockSyncFolder');
    expect(applyPolicies(merged({ version: 1, folder: '/home/ada/Stratus/' }, { folder: '--folder' }), policies, { HOME: '/home/ada' }).ok).toBe(true);
    expect(applyPolicies(merged({ version: 1, folder: '/data' }, { folder: '--folder' }), policies, { HOME: '/home/ada' })).toEqual({
      ok: false,
      errors: ['--folder /data contradicts the policy LockSyncFolder = true set by your organization (folder must be "~/Stratus")'],
    });
  });

  it('keeps what the user gave when it agrees, and leaves "aws" when the admin only set defaults', () => {
    const policies: PolicySet = { machine: { enforced: { Bucket: 'acme-stratus' }, defaults: { CognitoUserPoolId: 'eu-west-1_AbC' }, problems: [] }, user: empty };
    const result = applyPolicies(merged({ version: 1, auth: 'aws', bucket: 'acme-stratus' }, { auth: 'default', bucket: '--bucket' }), policies, {});
    expect(result.ok && result.merged.raw['auth']).toBe('aws');
    expect(result.ok && result.merged.sources.get('bucket')).toBe('--bucket');
  });

  it('compares a Cognito config by its user pool ID and port, not its issuer host', () => {
    const policies: PolicySet = { machine: { enforced: { CognitoUserPoolId: 'eu-west-1_AbC', CognitoRedirectPort: 53682 }, defaults: {}, problems: [] }, user: empty };
    const cognito = { issuer: 'http://127.0.0.1:4000/eu-west-1_AbC', clientId: 'c', identityPoolId: 'p', redirectUri: 'http://localhost:53682/callback' };
    const ok = applyPolicies(merged({ version: 1, auth: 'cognito', cognito }, { auth: 'the config file /c.json', cognito: 'the config file /c.json' }), policies, {});
    expect(ok.ok).toBe(true);
    const other = { ...cognito, issuer: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Zzz', redirectUri: 'http://localhost:8080/callback' };
    const refused = applyPolicies(merged({ version: 1, auth: 'cognito', cognito: other }, { auth: 'the config file /c.json', cognito: 'the config file /c.json' }), policies, {});
    expect(refused).toEqual({
      ok: false,
      errors: [
        '"cognito.issuer": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Zzz" in the config file /c.json contradicts the policy CognitoUserPoolId = "eu-west-1_AbC" set by your organization',
        '"cognito.redirectUri": "http://localhost:8080/callback" in the config file /c.json contradicts the policy CognitoRedirectPort = 53682 set by your organization',
      ],
    });
  });
});
