/**
 * What an idle watching client costs, counted at the server (the sandbox's
 * request log): one head-marker GET per poll interval and no listing; a full
 * listing only on the slow timer. With the defaults (poll 15 s, full run
 * 10 min) that is 3600/15 = 240 GETs + 6 × ceil(objects/1000) LISTs per idle
 * client-hour (see src/engine/watch/ContinuousSync.ts).
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ContinuousSync } from '../../../src/engine/watch/ContinuousSync.js';
import { HeadMarker } from '../../../src/engine/watch/HeadMarker.js';
import type { RequestLog } from '../../../sandbox/s3/S3Server.js';
import { startBackend, type S3Backend } from '../../support/s3Backends.js';
import { startEngineWorld, type EngineWorld } from '../scenarios/engineWorld.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let backend: S3Backend;
let world: EngineWorld;
let requests: RequestLog;
const running: ContinuousSync[] = [];

beforeAll(async () => {
  backend = await startBackend('sandbox');
  const log = backend.sandbox?.server.requests;
  if (log === undefined) throw new Error('the sandbox backend has no request log');
  requests = log;
});
afterAll(async () => {
  await backend.dispose();
});
beforeEach(async () => {
  world = await startEngineWorld(backend);
});
afterEach(async () => {
  for (const cs of running.splice(0)) await cs.dispose();
  await world.dispose();
});

async function idleClient(pollMs: number, fullRunMs: number) {
  const a = await world.client('a');
  for (let i = 0; i < 3; i++) await a.write(`file-${i}.txt`, `content ${i}`);
  const marker = new HeadMarker({ client: backend.client(world.prefix), bucket: backend.bucket, prefix: world.prefix, deviceName: 'a' });
  const cs = await ContinuousSync.start({ engine: a.engine, root: a.root, marker, debounceMs: 100, pollMs, fullRunMs });
  running.push(cs);
  let runs = 0;
  cs.scheduler.onDidCompleteRun(() => runs++);
  // The first run uploads the files and publishes the marker; then the client is idle.
  while (runs === 0 || cs.scheduler.isRunning) await sleep(20);
  await sleep(100);
  return { cs, marker, runs: () => runs };
}

describe('requests of an idle watching client, counted at the sandbox', () => {
  it('makes exactly one marker GET per poll interval and no listing', async () => {
    const pollMs = 200;
    const { cs } = await idleClient(pollMs, 3_600_000);
    const markerKey = `${world.prefix}.stratus/head`;
    requests.reset();
    const pollsBefore = cs.polls;
    const started = Date.now();
    await sleep(10 * pollMs + 100);
    const elapsed = Date.now() - started;
    const polls = cs.polls - pollsBefore;
    const seen = requests.all.filter((r) => r.key === undefined || r.key.startsWith(world.prefix));
    // N poll intervals → N GETs of the marker, nothing else (no ListObjectsV2, no HEADs).
    // A window of `elapsed` ms holds floor(elapsed / pollMs) whole intervals, plus one poll
    // at its start when a timer set before the window fires right after it opens.
    // The polls are a timeout chain (the next is set when a GET has answered), so a loaded machine
    // stretches each interval by the GET's own time: fewer polls, never more. The cost bound is the
    // upper one; the lower one only proves the client keeps polling.
    expect(polls).toBeGreaterThanOrEqual(Math.floor(elapsed / pollMs / 2));
    expect(polls).toBeLessThanOrEqual(Math.floor(elapsed / pollMs) + 1);
    expect(requests.count('GetObject', markerKey)).toBe(polls);
    expect(requests.count('ListObjectsV2')).toBe(0);
    expect(seen).toHaveLength(polls);
    console.info(`idle for ${elapsed} ms at poll ${pollMs} ms: ${polls} marker GETs, ${requests.count('ListObjectsV2')} listings, ${seen.length} requests in all`);
  });

  it('lists the whole prefix only on the slow full-run timer', async () => {
    const { cs, runs } = await idleClient(200, 1000);
    // Count runs and listings over the same window: start and end it between runs (a run in flight
    // at either edge would have its listing on one side and its completion on the other).
    const betweenRuns = async (): Promise<void> => {
      while (cs.scheduler.isRunning) await sleep(5);
    };
    await betweenRuns();
    requests.reset();
    const runsBefore = runs();
    await sleep(3300);
    await betweenRuns();
    const fullRuns = runs() - runsBefore;
    expect(fullRuns).toBeGreaterThanOrEqual(2);
    expect(fullRuns).toBeLessThanOrEqual(4);
    // Three files: one ListObjectsV2 page per full run, and no upload, download or marker write.
    expect(requests.count('ListObjectsV2')).toBe(fullRuns);
    expect(requests.count('PutObject')).toBe(0);
    expect(requests.count('GetObject', /\/file-/)).toBe(0);
  });

  it('marker polls cost a bodiless 304 while nothing changed', async () => {
    const { marker } = await idleClient(100_000, 3_600_000);
    // The client's baseline is the marker it published itself.
    expect(await marker.poll()).toBe('unchanged');
    const other = new HeadMarker({ client: backend.client(world.prefix), bucket: backend.bucket, prefix: world.prefix, deviceName: 'b' });
    await other.poll();
    await other.publish();
    expect(await marker.poll()).toBe('changed');
    expect(await marker.poll()).toBe('unchanged');
  });
});
