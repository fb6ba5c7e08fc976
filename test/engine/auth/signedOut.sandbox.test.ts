/**
 * Issue 6: a refresh token revoked while the engine runs puts continuous sync
 * in "signed out — sign in again" (the scheduler's 'signed-out' state) instead
 * of a retry loop, and the queued work survives: after a new sign-in, a new
 * engine on the same folder uploads what was waiting. And a long upload goes
 * on while ID tokens and storage credentials expire under it. Against the whole
 * sandbox (hosted UI, identity pool, S3 with per-identity policy) with
 * 2-second ID tokens, so the revoked session is noticed within seconds.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CognitoAuth } from '../../../src/engine/auth/CognitoAuth.js';
import { MemoryTokenVault } from '../../../src/engine/auth/TokenVault.js';
import { refreshCredentialsOnExpiry, selfCachingProvider } from '../../../src/engine/remote/credentialRefresh.js';
import { S3RemoteStore } from '../../../src/engine/remote/S3RemoteStore.js';
import { SyncEngine } from '../../../src/engine/SyncEngine.js';
import { SyncScheduler, type SchedulerState } from '../../../src/engine/watch/SyncScheduler.js';
import { startSandbox, type Sandbox } from '../../../sandbox/startSandbox.js';
import { fetchBrowser, freePort } from './authTestKit.js';

let scratch: string;
let sandbox: Sandbox;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'stratus-signed-out-'));
  // Free sign-in callback ports: another test file signing in on the default one at the same time would collide.
  sandbox = await startSandbox({ dataDir: join(scratch, 'sandbox'), idTokenTtlSeconds: 2, redirectPort: await freePort() });
});

afterAll(async () => {
  await sandbox.close();
  await rm(scratch, { recursive: true, force: true });
});

/** Signs in `user` and builds what the CLI's cognito mode builds: self-caching credentials, refresh on ExpiredToken, the store. */
async function signedInEngine(vault: MemoryTokenVault, folder: string): Promise<{ engine: SyncEngine; client: S3Client; prefix: string }> {
  const cognito = sandbox.info.stratusConfig.cognito;
  if (cognito === undefined) throw new Error('the sandbox config has no cognito block');
  const auth = await CognitoAuth.connect({ cognito, vault });
  const user = sandbox.info.users[0];
  if (user === undefined) throw new Error('the sandbox has no users');
  const { session } = await auth.signIn({ openUrl: fetchBrowser(user, sandbox.info.redirectUri).open, timeoutMs: 20_000 });
  const credentials = auth.credentialsFor(session);
  const prefix = await credentials.prefix();
  const client = new S3Client({
    region: sandbox.info.region, endpoint: sandbox.info.s3Endpoint, forcePathStyle: true, credentials: selfCachingProvider(credentials.provider),
  });
  refreshCredentialsOnExpiry(client, () => credentials.invalidate());
  const remote = new S3RemoteStore({ client, bucket: sandbox.info.bucket, prefix });
  const engine = await SyncEngine.open({
    root: folder, remote, location: { endpoint: sandbox.info.s3Endpoint, bucket: sandbox.info.bucket, prefix }, trash: async () => undefined,
  });
  return { engine, client, prefix };
}

async function remoteNames(prefix: string): Promise<string[]> {
  const admin = new S3Client({
    region: sandbox.info.region, endpoint: sandbox.info.s3Endpoint, forcePathStyle: true,
    credentials: { accessKeyId: sandbox.info.adminAccessKeyId, secretAccessKey: sandbox.info.adminSecretAccessKey },
  });
  try {
    const out = await admin.send(new ListObjectsV2Command({ Bucket: sandbox.info.bucket, Prefix: prefix }));
    return (out.Contents ?? []).map((o) => (o.Key ?? '').slice(prefix.length)).filter((k) => !k.startsWith('.stratus/')).sort();
  } finally {
    admin.destroy();
  }
}

describe('sign-in lifetimes during sync', () => {
  it('stops in signed-out without a retry loop, keeps the queue, and a new sign-in carries on', async () => {
    const folder = await mkdtemp(join(scratch, 'folder-'));
    const vault = new MemoryTokenVault();
    const first = await signedInEngine(vault, folder);
    const states: SchedulerState[] = [];
    let runs = 0;
    const scheduler = new SyncScheduler({ engine: first.engine, debounceMs: 50, initialBackoffMs: 100, maxBackoffMs: 200 });
    scheduler.onDidChangeState((change) => states.push(change.state));
    scheduler.onDidCompleteRun(() => runs++);

    await writeFile(join(folder, 'before.txt'), 'synced while signed in');
    scheduler.requestRun('start', { immediate: true });
    await scheduler.whenIdle();
    while (runs === 0 || scheduler.isRunning) await sleep(20);
    expect(await remoteNames(first.prefix)).toEqual(['before.txt']);

    // Signed out elsewhere: the refresh token is revoked at the user pool, the storage credentials are cut short.
    const stored = await vault.get();
    const revoke = await fetch(`${sandbox.info.hostedUiBase}/oauth2/revoke`, {
      method: 'POST',
      body: new URLSearchParams({ token: stored?.refreshToken ?? '', client_id: sandbox.info.clientId }),
    });
    expect(revoke.status).toBe(200);
    await sleep(2500); // the ID token in memory expires too
    sandbox.faults.set({ expireCredentials: true });

    await writeFile(join(folder, 'queued.txt'), 'written after the sign-in ended');
    scheduler.requestRun('local', { immediate: true });
    const deadline = Date.now() + 15_000;
    while (scheduler.state !== 'signed-out' && Date.now() < deadline) await sleep(50);
    expect(scheduler.state).toBe('signed-out');
    // No retry loop: well past the 100–200 ms backoff, no further run was started.
    const runsWhenSignedOut = runs;
    await sleep(1000);
    expect(scheduler.state).toBe('signed-out');
    expect(runs).toBe(runsWhenSignedOut);
    expect(states.filter((s) => s === 'error')).toEqual([]);
    await scheduler.dispose();
    await first.engine.close();
    first.client.destroy();

    // Nothing was lost or deleted on either side, and the queued file waits locally.
    expect(await remoteNames(first.prefix)).toEqual(['before.txt']);

    // A new sign-in, a new engine on the same folder: the queued file goes up.
    const second = await signedInEngine(new MemoryTokenVault(), folder);
    const result = await second.engine.runOnce();
    expect(result.errors).toEqual([]);
    expect(result.counts.uploaded).toBe(1);
    expect(await remoteNames(second.prefix)).toEqual(['before.txt', 'queued.txt']);
    await second.engine.close();
    second.client.destroy();
  }, 60_000);

  it('keeps a long upload going while ID tokens (2 s) and storage credentials (3 s) expire under it', async () => {
    const short = await startSandbox({ dataDir: join(scratch, 'short-sandbox'), idTokenTtlSeconds: 2, credentialTtlMs: 3000, redirectPort: await freePort() });
    try {
      const cognito = short.info.stratusConfig.cognito;
      const user = short.info.users[0];
      if (cognito === undefined || user === undefined) throw new Error('the sandbox config has no cognito block or user');
      const auth = await CognitoAuth.connect({ cognito, vault: new MemoryTokenVault() });
      const { session } = await auth.signIn({ openUrl: fetchBrowser(user, short.info.redirectUri).open, timeoutMs: 20_000 });
      let refreshes = 0;
      session.onDidRefresh(() => refreshes++);
      const credentials = auth.credentialsFor(session);
      const prefix = await credentials.prefix();
      const client = new S3Client({
        region: short.info.region, endpoint: short.info.s3Endpoint, forcePathStyle: true, credentials: selfCachingProvider(credentials.provider),
      });
      refreshCredentialsOnExpiry(client, () => credentials.invalidate());
      const MiB = 1024 * 1024;
      // 30 MiB in 5 MiB parts at 5 MiB/s: about six seconds, two credential lifetimes and three ID token lifetimes.
      const remote = new S3RemoteStore({
        client, bucket: short.info.bucket, prefix, multipartThreshold: 5 * MiB, resumableThreshold: 5 * MiB, partSize: 5 * MiB,
        queueSize: 1, bandwidth: { uploadBytesPerSecond: 5 * MiB },
      });
      const folder = await mkdtemp(join(scratch, 'long-'));
      await writeFile(join(folder, 'long.bin'), Buffer.alloc(30 * MiB, 7));
      const engine = await SyncEngine.open({
        root: folder, remote, location: { endpoint: short.info.s3Endpoint, bucket: short.info.bucket, prefix }, trash: async () => undefined,
      });
      const started = Date.now();
      const result = await engine.runOnce();
      await engine.close();
      client.destroy();
      expect(result.errors).toEqual([]);
      expect(result.counts.uploaded).toBe(1);
      expect(Date.now() - started).toBeGreaterThan(3000);
      expect(refreshes).toBeGreaterThanOrEqual(1);
    } finally {
      await short.close();
    }
  }, 60_000);
});
