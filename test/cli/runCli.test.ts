import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ExitCode, runCli } from '../../src/cli/runCli.js';
import type { Env } from '../../src/cli/config.js';

const repo = resolve(import.meta.dirname, '../..');

async function runIn(env: Env, cwd: string, ...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { stdout: (l) => out.push(l), stderr: (l) => err.push(l), version: '9.9.9', env, cwd });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { stdout: (l) => out.push(l), stderr: (l) => err.push(l), version: '9.9.9' });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('stratus CLI', () => {
  it('prints the version', async () => {
    expect(await run('--version')).toEqual({ code: ExitCode.ok, out: '9.9.9', err: '' });
  });

  it('prints usage with the exit codes for --help', async () => {
    const result = await run('--help');
    expect(result.code).toBe(ExitCode.ok);
    expect(result.out).toContain('Usage: stratus');
    expect(result.out).toContain('3 stopped by a safety rail');
    for (const option of ['sync --once', 'status', '--dry-run', '--confirm-deletes', '--json', '--verbose', '--folder', '--bucket', '--region', '--endpoint', '--auth', '--prefix', '--config', 'STRATUS_CONFIG']) {
      expect(result.out).toContain(option);
    }
  });

  it('prints usage and exits 2 when no command is given', async () => {
    const result = await run();
    expect(result.code).toBe(ExitCode.usage);
    expect(result.out).toContain('Usage: stratus');
  });

  it('exits 2 with a one-line reason for an unknown flag or command', async () => {
    const flag = await run('--frobnicate');
    expect(flag.code).toBe(ExitCode.usage);
    expect(flag.err).toMatch(/^stratus: Unknown option '--frobnicate'/);
    const command = await run('teleport');
    expect(command.code).toBe(ExitCode.usage);
    expect(command.err).toContain('unknown command "teleport"');
  });

  it('refuses an option the command does not use, and extra arguments', async () => {
    expect(await run('status', '--once')).toMatchObject({ code: ExitCode.usage, err: expect.stringMatching(/^stratus: --once is not an option of "stratus status"\./) as unknown });
    expect(await run('sync', '--once', 'now')).toMatchObject({ code: ExitCode.usage, err: expect.stringContaining('unexpected argument "now"') as unknown });
  });

  it('says plainly that sync needs --once and that watch syncs continuously', async () => {
    const bare = await run('sync');
    expect(bare.code).toBe(ExitCode.usage);
    expect(bare.err).toBe('stratus: "stratus sync" needs --once (one sync pass); for continuous sync run "stratus watch"');
    // watch is a command now: it takes its own flags and refuses sync's.
    const watch = await run('watch', '--once');
    expect(watch.code).toBe(ExitCode.usage);
    expect(watch.err).toMatch(/^stratus: --once is not an option of "stratus watch"\./);
  });

  it('runs as the package bin from the build output', () => {
    if (!existsSync(join(repo, 'out/tsc/src/cli/index.js'))) {
      throw new Error('out/tsc is missing: run "npm run build" first (npm test does).');
    }
    const result = spawnSync(process.execPath, [join(repo, 'bin/stratus.js'), '--version'], { encoding: 'utf8' });
    const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { version: string };
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe(pkg.version);
    expect(result.status).toBe(0);
  });
});

describe('stratus sync --once before it reaches the server', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'stratus-cli-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  afterEach(() => {
    vi.unstubAllEnvs();
  });
  const complete = (): string[] => ['sync', '--once', '--bucket', 'stratus', '--region', 'us-east-1', '--prefix', 'p/', '--folder', dir, '--endpoint', 'http://127.0.0.1:9'];

  it('lists every settings problem, one per line, and exits 2', async () => {
    const result = await runIn({}, dir, 'sync', '--once', '--bucket', 'No_Such');
    expect(result.code).toBe(ExitCode.usage);
    expect(result.out).toBe('');
    expect(result.err.split('\n')).toEqual([
      'stratus: no region given: use --region, STRATUS_REGION, AWS_REGION or "region" in the config file',
      'stratus: bucket "No_Such" is not a valid S3 bucket name (from --bucket)',
      'stratus: no prefix given: use --prefix, STRATUS_PREFIX or "prefix" in the config file',
      'stratus: no folder given: use --folder, STRATUS_FOLDER or "folder" in the config file',
    ]);
  });

  it('takes settings from the environment', async () => {
    const env = { STRATUS_BUCKET: 'stratus', STRATUS_REGION: 'us-east-1', STRATUS_PREFIX: 'p/', STRATUS_FOLDER: join(dir, 'absent') };
    const result = await runIn(env, dir, 'sync', '--once');
    expect(result).toEqual({ code: ExitCode.usage, out: '', err: `stratus: the folder "${join(dir, 'absent')}" does not exist (create it first, or check the path)` });
  });

  it('asks for the cognito settings when --auth cognito comes without them', async () => {
    // Cognito mode itself is covered against the sandbox in login.sandbox.test.ts.
    const result = await runIn({}, dir, 'sync', '--once', '--auth', 'cognito', '--region', 'us-east-1', '--bucket', 'stratus', '--folder', dir);
    expect(result).toEqual({ code: ExitCode.usage, out: '', err: 'stratus: cognito settings are required when auth is "cognito"' });
  });

  it('says no AWS credentials were found when the chain has none, without a stack trace', async () => {
    // The chain's later links (web identity, containers, instance metadata) read process.env: keep the host's out.
    for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE', 'AWS_WEB_IDENTITY_TOKEN_FILE',
      'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI', 'AWS_CONTAINER_CREDENTIALS_FULL_URI']) vi.stubEnv(name, undefined);
    vi.stubEnv('AWS_EC2_METADATA_DISABLED', 'true');
    vi.stubEnv('AWS_CONFIG_FILE', '/dev/null');
    vi.stubEnv('AWS_SHARED_CREDENTIALS_FILE', '/dev/null');
    const env = { AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null', HOME: dir };
    const result = await runIn(env, dir, ...complete());
    expect(result).toEqual({ code: ExitCode.usage, out: '', err: 'stratus: no AWS credentials found (set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or a profile)' });
  });
});

describe('stratus status', () => {
  it('reports a folder that was never synced', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'stratus-cli-status-'));
    try {
      const result = await runIn({}, dir, 'status', '--folder', '.');
      expect(result.code).toBe(ExitCode.ok);
      expect(result.out).toContain(`folder:     ${dir}`);
      expect(result.out).toContain('last run:   never');
      const json = await runIn({ STRATUS_FOLDER: dir }, '/', 'status', '--json');
      expect(JSON.parse(json.out)).toEqual({ folder: dir, location: null, syncedFiles: 0, syncedFolders: 0, retries: [], lastRun: null });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('needs a folder that exists', async () => {
    expect(await runIn({}, '/', 'status')).toMatchObject({ code: ExitCode.usage, err: 'stratus: no folder given: use --folder, STRATUS_FOLDER or "folder" in the config file' });
    expect(await runIn({}, '/', 'status', '--folder', '/no/such/dir')).toMatchObject({ code: ExitCode.usage, err: expect.stringContaining('does not exist') as unknown });
  });
});
