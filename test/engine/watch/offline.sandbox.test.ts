/**
 * SCENARIOS 46 — the network goes away: the watching client says "offline",
 * queues local changes, probes cheaply with backoff, and when the network is
 * back it resumes by itself and converges. The network is a TCP proxy in
 * front of the sandbox that the test cuts (every connection reset) and
 * restores.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { S3Client } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { S3RemoteStore } from '../../../src/engine/remote/S3RemoteStore.js';
import { SyncEngine } from '../../../src/engine/SyncEngine.js';
import { ContinuousSync } from '../../../src/engine/watch/ContinuousSync.js';
import { HeadMarker } from '../../../src/engine/watch/HeadMarker.js';
import type { SchedulerState } from '../../../src/engine/watch/SyncScheduler.js';
import { startBackend, type S3Backend } from '../../support/s3Backends.js';
import { startEngineWorld, type EngineWorld } from '../scenarios/engineWorld.js';
import { until } from '../../support/until.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));


/** A cuttable network: forwards to `port` while up; resets every connection while down. */
async function startLink(port: number): Promise<{ endpoint: string; down(): void; up(): void; close(): Promise<void> }> {
  let isDown = false;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    if (isDown) {
      client.resetAndDestroy();
      return;
    }
    const upstream = connect(port, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    down() {
      isDown = true;
      for (const s of sockets) s.resetAndDestroy();
    },
    up() {
      isDown = false;
    },
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}

let backend: S3Backend;
let world: EngineWorld;
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  backend = await startBackend('sandbox');
  world = await startEngineWorld(backend);
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
afterAll(async () => {
  await world.dispose();
  await backend.dispose();
});

describe('offline and back', () => {
  it('says offline while the server is unreachable, then resumes by itself and converges', async () => {
    const port = Number(new URL(backend.endpoint).port);
    const link = await startLink(port);
    cleanups.push(() => link.close());
    const a = await world.client('a');
    // The engine of client a talks through the link; the world's own client checks the server directly.
    const credentials = backend.credentialsFor(world.prefix);
    const s3 = new S3Client({ endpoint: link.endpoint, region: backend.region, forcePathStyle: true, credentials, maxAttempts: 1, requestHandler: { connectionTimeout: 1000 } });
    cleanups.push(async () => s3.destroy());
    await a.engine.close();
    const engine = await SyncEngine.open({
      root: a.root,
      remote: new S3RemoteStore({ client: s3, bucket: backend.bucket, prefix: world.prefix }),
      location: { endpoint: backend.endpoint, bucket: backend.bucket, prefix: world.prefix },
      deviceName: 'a',
      minFreeBytes: 0,
    });
    a.engine = engine;
    const marker = new HeadMarker({ client: s3, bucket: backend.bucket, prefix: world.prefix, deviceName: 'a' });
    const cs = await ContinuousSync.start({
      engine, root: a.root, marker, debounceMs: 100, pollMs: 200, fullRunMs: 3_600_000,
      scheduler: { initialBackoffMs: 100, maxBackoffMs: 400 },
    });
    cleanups.push(() => cs.dispose());
    const states: SchedulerState[] = [];
    let runs = 0;
    cs.scheduler.onDidChangeState((c) => states.push(c.state));
    cs.scheduler.onDidCompleteRun(() => runs++);
    await until(() => runs === 1 && !cs.scheduler.isRunning, 5000, 'the first run');

    link.down();
    await a.write('written-offline.txt', 'queued');
    await until(() => cs.scheduler.state === 'offline', 5000, 'offline');
    // Still offline a while later: the probes fail, nothing is lost, nothing reached the server.
    await sleep(800);
    expect(cs.scheduler.state).toBe('offline');
    expect(await world.remoteKeys()).not.toContain(`${world.prefix}written-offline.txt`);

    link.up();
    await until(async () => (await world.remoteFiles()).get('written-offline.txt') === 'queued', 5000, 'the queued upload');
    await until(() => cs.scheduler.state === 'idle' && !cs.scheduler.isRunning, 5000, 'idle again');
    // syncing → offline, (probes…), → idle ("back online") → syncing → idle.
    const offlineAt = states.indexOf('offline');
    expect(offlineAt).toBeGreaterThan(-1);
    expect(states.slice(offlineAt)).toEqual(['offline', 'idle', 'syncing', 'idle']);
  });
});
