/**
 * `npm run sandbox` as a process: the built entry (out/tsc/sandbox/main.js) prints
 * one JSON line a parent can rely on, serves S3 to the admin key it printed, keeps
 * that key across restarts, stops cleanly on SIGINT, and fails fast on bad flags
 * or a busy port. Needs `npx tsc -b` (part of `npm run build`) first.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { parseStratusConfig, type StratusConfig } from '../../src/shared/StratusConfig.js';
import type { SandboxInfo } from '../../sandbox/startSandbox.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const MAIN = join(ROOT, 'out', 'tsc', 'sandbox', 'main.js');

interface Run {
  readonly child: ChildProcess;
  readonly stderr: () => string;
  readonly exited: Promise<number | null>;
}

function run(args: string[]): Run {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run npm run build first (or npx tsc -b)`);
  const child = spawn(process.execPath, [MAIN, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  return { child, stderr: () => stderr, exited };
}

/** The first stdout line, or a rejection carrying stderr if the process ends first. */
function firstLine({ child, stderr, exited }: Run, timeoutMs = 20_000): Promise<string> {
  const lines = createInterface({ input: child.stdout! });
  return new Promise<string>((resolveLine, reject) => {
    const timer = setTimeout(() => reject(new Error(`no output within ${timeoutMs} ms; stderr: ${stderr()}`)), timeoutMs);
    lines.once('line', (line) => {
      clearTimeout(timer);
      resolveLine(line);
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`sandbox exited with ${code} before printing; stderr: ${stderr()}`));
    });
  });
}

type PrintedInfo = SandboxInfo & { configFile: string };

describe('npm run sandbox --json', () => {
  let dataDir: string;
  let sandbox: Run;
  let info: PrintedInfo;
  let firstStdoutLine: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'stratus-sandbox-main-'));
    sandbox = run(['--json', '--data-dir', dataDir]);
    firstStdoutLine = await firstLine(sandbox);
    info = JSON.parse(firstStdoutLine) as PrintedInfo;
  });

  afterAll(async () => {
    if (sandbox?.child.exitCode === null) sandbox.child.kill('SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
  });

  it('prints every endpoint, ID, user and key as one JSON object on the first line', () => {
    expect(firstStdoutLine.trim().startsWith('{')).toBe(true);
    expect(info).toMatchObject({
      dataDir,
      region: 'us-east-1',
      bucket: 'stratus',
      s3Endpoint: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
      adminAccessKeyId: expect.stringMatching(/^AKIA[A-Z0-9]{16}$/),
      adminSecretAccessKey: expect.stringMatching(/^\S{20,}$/),
      issuer: expect.stringMatching(/^http:\/\/localhost:\d+\/us-east-1_\w+$/),
      userPoolId: expect.stringMatching(/^us-east-1_\w+$/),
      clientId: expect.any(String),
      hostedUiBase: expect.stringMatching(/^http:\/\/localhost:\d+$/),
      identityPoolId: expect.stringMatching(/^us-east-1:[0-9a-f-]{36}$/),
      identityEndpoint: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
      redirectUri: 'http://localhost:53682/callback',
      logoutUri: 'http://localhost:53682/logout',
      configFile: join(dataDir, 'stratus.json'),
    });
    expect(info.issuer).toBe(`${info.hostedUiBase}/${info.userPoolId}`);
    expect(info.loginsKey).toBe(info.issuer.replace('http://', ''));
    expect(info.users.map((u) => u.username)).toEqual(['ada', 'grace']);
    for (const user of info.users) expect(user.password).toMatch(/^\S{8,}$/);
  });

  it('emits a Stratus config that parses and points at the sandbox, and writes it to configFile', async () => {
    const parsed = parseStratusConfig(info.stratusConfig);
    expect(parsed.ok ? [] : parsed.errors).toEqual([]);
    const config: StratusConfig = info.stratusConfig;
    expect(config).toEqual({
      version: 1,
      auth: 'cognito',
      region: info.region,
      bucket: info.bucket,
      endpoint: info.s3Endpoint,
      forcePathStyle: true,
      cognito: {
        issuer: info.issuer,
        clientId: info.clientId,
        identityPoolId: info.identityPoolId,
        redirectUri: info.redirectUri,
        identityEndpoint: info.identityEndpoint,
        hostedUiBase: info.hostedUiBase,
      },
    });
    expect(JSON.parse(await readFile(info.configFile, 'utf8'))).toEqual(info.stratusConfig);
  });

  it('serves the bucket to the printed admin key', async () => {
    const s3 = new S3Client({
      endpoint: info.s3Endpoint,
      region: info.region,
      forcePathStyle: true,
      credentials: { accessKeyId: info.adminAccessKeyId, secretAccessKey: info.adminSecretAccessKey },
    });
    try {
      await s3.send(new PutObjectCommand({ Bucket: info.bucket, Key: 'admin-was-here.txt', Body: 'hello' }));
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: info.bucket }));
      expect(listed.Contents?.map((o) => o.Key)).toEqual(['admin-was-here.txt']);
    } finally {
      s3.destroy();
    }
  });

  it('keeps the admin key in a 0600 admin.json', async () => {
    const file = join(dataDir, 'admin.json');
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({
      version: 1,
      accessKeyId: info.adminAccessKeyId,
      secretAccessKey: info.adminSecretAccessKey,
    });
    if (process.platform !== 'win32') expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it('stops every server on SIGINT and exits 0', async () => {
    sandbox.child.kill('SIGINT');
    expect(await sandbox.exited).toBe(0);
    expect(sandbox.stderr()).toMatch(/Sandbox stopped\./);
    await expect(fetch(info.s3Endpoint)).rejects.toThrow();
    await expect(fetch(`${info.issuer}/.well-known/openid-configuration`)).rejects.toThrow();
  });

  it('comes back with the same admin key and the same objects after a restart', async () => {
    const again = run(['--json', '--data-dir', dataDir]);
    try {
      const restarted = JSON.parse(await firstLine(again)) as PrintedInfo;
      expect(restarted.adminAccessKeyId).toBe(info.adminAccessKeyId);
      expect(restarted.adminSecretAccessKey).toBe(info.adminSecretAccessKey);
      const s3 = new S3Client({
        endpoint: restarted.s3Endpoint,
        region: restarted.region,
        forcePathStyle: true,
        credentials: { accessKeyId: restarted.adminAccessKeyId, secretAccessKey: restarted.adminSecretAccessKey },
      });
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: restarted.bucket })).finally(() => s3.destroy());
      expect(listed.Contents?.map((o) => o.Key)).toEqual(['admin-was-here.txt']);
    } finally {
      again.child.kill('SIGTERM');
      expect(await again.exited).toBe(0);
    }
  });
});

describe('npm run sandbox with bad input', () => {
  it('rejects an unknown flag with one line and exit code 2', async () => {
    const bad = run(['--no-such-flag']);
    expect(await bad.exited).toBe(2);
    expect(bad.stderr().trim().split('\n')).toEqual([expect.stringContaining("'--no-such-flag'")]);
  });

  it('rejects a port that is not a number with exit code 2', async () => {
    const bad = run(['--port', 'eighty']);
    expect(await bad.exited).toBe(2);
    expect(bad.stderr()).toContain('--port');
  });

  it('names the busy port and exits 1 when a port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((ready) => blocker.listen(0, '127.0.0.1', ready));
    const port = (blocker.address() as AddressInfo).port;
    const dataDir = await mkdtemp(join(tmpdir(), 'stratus-sandbox-busy-'));
    try {
      // The blocker holds the base port, which S3 wants; the ports above it are likely free.
      const busy = run(['--json', '--port', String(port), '--data-dir', dataDir]);
      expect(await busy.exited).toBe(1);
      expect(busy.stderr().trim().split('\n')).toEqual([expect.stringContaining(`port ${port}`)]);
    } finally {
      blocker.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
