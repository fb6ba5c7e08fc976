/**
 * The CLI passes the policy AdminIgnorePatterns to the engine (issue 9):
 * `stratus sync --once` against the sandbox never uploads a file the
 * organization ignores, even when the folder's .stratusignore negates the
 * pattern; the resolved list comes from STRATUS_POLICY_FILE, read afresh.
 * `stratus doctor` and `stratus status` apply the policies as sync does, and
 * FirstDownloadConfirmAboveMiB stops a large first download (exit 3) until
 * `--confirm-download`.
 */
import { randomUUID } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineSettings, type Env } from '../../src/cli/config.js';
import { policyEngineOptions } from '../../src/cli/policyCheck.js';
import { ExitCode, runCli } from '../../src/cli/runCli.js';
import { startCliSandbox, type CliSandbox } from './cliSandbox.js';

let world: CliSandbox;
let policyFile: string;
// The default ownership check trusts only root-owned policy files; a non-root run cannot create one.
const isRoot = process.getuid?.() === 0;

beforeAll(async () => {
  world = await startCliSandbox('admin-ignore');
  policyFile = join(world.scratch, 'policy.json');
  if (!isRoot) console.log('skipped (CLI admin ignore tests): STRATUS_POLICY_FILE must be root-owned and these tests cannot create such a file without root');
});
afterAll(async () => {
  await world.dispose();
});

async function writePolicy(content: unknown): Promise<void> {
  await writeFile(policyFile, JSON.stringify(content));
  await chmod(policyFile, 0o644);
}

function env(): Env {
  return { ...world.env, STRATUS_POLICY_FILE: policyFile, STRATUS_STATE_DIR: join(world.scratch, 'state') };
}

async function remoteKeys(prefix: string): Promise<string[]> {
  const out = await world.admin.send(new ListObjectsV2Command({ Bucket: world.sandbox.info.bucket, Prefix: prefix }));
  return (out.Contents ?? []).map((o) => (o.Key ?? '').slice(prefix.length)).sort();
}

describe('engineSettings', () => {
  it('passes admin ignore patterns through, and nothing when there are none', () => {
    expect(engineSettings({}, { adminIgnorePatterns: ['*.pst'] })).toEqual({ adminIgnorePatterns: ['*.pst'] });
    expect(engineSettings({}, { adminIgnorePatterns: [], firstDownloadConfirmBytes: 1024 })).toEqual({ firstDownloadConfirmBytes: 1024 });
    expect(engineSettings({})).toEqual({});
  });
});

describe.skipIf(!isRoot)('the CLI under STRATUS_POLICY_FILE: admin ignore patterns, doctor and status', () => {
  it('resolves the enforced patterns from STRATUS_POLICY_FILE, afresh on every read', async () => {
    const io = { stdout: () => undefined, stderr: () => undefined, version: 'test', env: env(), cwd: world.scratch };
    await writePolicy({ AdminIgnorePatterns: ['*.pst', 'secrets/'] });
    expect((await policyEngineOptions(io)).adminIgnorePatterns).toEqual(['*.pst', 'secrets/']);
    // Removed by the admin: it stops applying at the next read.
    await writePolicy({});
    expect((await policyEngineOptions(io)).adminIgnorePatterns).toEqual([]);
  });

  it('names the preferences enforced policies lock, for the Settings screen of watch --ui (defaults lock nothing)', async () => {
    const io = { stdout: () => undefined, stderr: () => undefined, version: 'test', env: env(), cwd: world.scratch };
    await writePolicy({ UploadLimitKiBps: 512, MassDeleteMaxFiles: 100, Defaults: { LogLevel: 'debug' } });
    expect((await policyEngineOptions(io)).managed).toEqual(['bandwidth', 'massDelete']);
    await writePolicy({});
    expect((await policyEngineOptions(io)).managed).toEqual([]);
  });

  it('never uploads an admin-ignored file, even with a negation in .stratusignore', async () => {
    await writePolicy({ AdminIgnorePatterns: ['*.pst'] });
    const folder = await mkdtemp(join(world.scratch, 'folder-'));
    await mkdir(join(folder, 'mail'));
    await writeFile(join(folder, 'mail/archive.pst'), 'mailbox');
    await writeFile(join(folder, 'report.txt'), 'report');
    await writeFile(join(folder, '.stratusignore'), '!*.pst\n');
    const prefix = `test-${randomUUID()}/`;
    const { info } = world.sandbox;
    const err: string[] = [];
    const code = await runCli(
      ['sync', '--once', '--auth', 'aws', '--endpoint', info.s3Endpoint, '--bucket', info.bucket, '--region', info.region, '--prefix', prefix, '--folder', folder],
      { stdout: () => undefined, stderr: (l) => err.push(l), version: 'test', env: env(), cwd: world.scratch },
    );
    expect(err).toEqual([]);
    expect(code).toBe(ExitCode.ok);
    expect(await remoteKeys(prefix)).toEqual(['.stratusignore', 'mail/', 'report.txt']);

    // Without the policy, the user's negation applies and the file goes up: the check above can fail.
    await writePolicy({});
    expect(await runCli(
      ['sync', '--once', '--auth', 'aws', '--endpoint', info.s3Endpoint, '--bucket', info.bucket, '--region', info.region, '--prefix', prefix, '--folder', folder],
      { stdout: () => undefined, stderr: () => undefined, version: 'test', env: env(), cwd: world.scratch },
    )).toBe(ExitCode.ok);
    expect(await remoteKeys(prefix)).toContain('mail/archive.pst');
  });

  it('stops a large first download (FirstDownloadConfirmAboveMiB) with exit 3 and one line, until --confirm-download', async () => {
    await writePolicy({ Defaults: { FirstDownloadConfirmAboveMiB: 1 } });
    const prefix = `test-${randomUUID()}/`;
    const { info } = world.sandbox;
    await world.admin.send(new PutObjectCommand({ Bucket: info.bucket, Key: `${prefix}video.bin`, Body: Buffer.alloc(1024 * 1024 + 1, 7) }));
    const folder = await mkdtemp(join(world.scratch, 'folder-'));
    const argv = ['sync', '--once', '--auth', 'aws', '--endpoint', info.s3Endpoint, '--bucket', info.bucket, '--region', info.region, '--prefix', prefix, '--folder', folder];
    const err: string[] = [];
    const io = { stdout: () => undefined, stderr: (l: string) => err.push(l), version: 'test', env: env(), cwd: world.scratch };
    expect(await runCli(argv, io)).toBe(ExitCode.safetyStop);
    expect(err.join('\n')).toMatch(/first sync would download 1 file \(2 MiB\).*--confirm-download/);
    expect(await readdir(folder)).toEqual(['.stratus']);
    expect(await runCli([...argv, '--confirm-download'], io)).toBe(ExitCode.ok);
    expect((await readFile(join(folder, 'video.bin'))).length).toBe(1024 * 1024 + 1);
  });

  it('doctor refuses a flag that contradicts an enforced policy, as sync does', async () => {
    await writePolicy({ Bucket: 'acme-stratus' });
    const err: string[] = [];
    const code = await runCli(['doctor', '--auth', 'aws', '--bucket', 'other', '--region', 'eu-west-1', '--prefix', 'a/'], {
      stdout: () => undefined, stderr: (l) => err.push(l), version: 'test', env: env(), cwd: world.scratch,
    });
    expect(code).toBe(ExitCode.usage);
    expect(err).toEqual(['stratus: --bucket other contradicts the policy Bucket = "acme-stratus" set by your organization']);
  });

  it('status uses the folder the policy locks, and refuses another one', async () => {
    const folder = await mkdtemp(join(world.scratch, 'locked-'));
    await writePolicy({ LockSyncFolder: true, DefaultSyncFolder: folder });
    const out: string[] = [];
    const err: string[] = [];
    const io = { stdout: (l: string) => out.push(l), stderr: (l: string) => err.push(l), version: 'test', env: env(), cwd: world.scratch };
    expect(await runCli(['status', '--json'], io)).toBe(ExitCode.ok);
    expect(out.join('\n')).toContain(JSON.stringify(folder).slice(1, -1));
    err.length = 0;
    expect(await runCli(['status', '--folder', world.scratch], io)).toBe(ExitCode.usage);
    expect(err.join('\n')).toContain('contradicts the policy DefaultSyncFolder');
  });
});
