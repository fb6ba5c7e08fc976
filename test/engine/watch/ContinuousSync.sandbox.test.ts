/**
 * Continuous sync end to end on the sandbox: real SyncEngines over real
 * folders, chokidar, the head marker on a real S3 server. Short timings
 * (debounce 200 ms, poll 200 ms) stand in for the defaults; every wait is on
 * an event or a condition, with a deadline.
 */
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HeadMarker } from '../../../src/engine/watch/HeadMarker.js';
import { ContinuousSync, type ContinuousSyncOptions } from '../../../src/engine/watch/ContinuousSync.js';
import type { CompletedRun } from '../../../src/engine/watch/SyncScheduler.js';
import type { S3Backend } from '../../support/s3Backends.js';
import { sandboxWorldPerTest } from '../../support/sandboxWorld.js';
import { type EngineClient, type EngineWorld } from '../scenarios/engineWorld.js';
import { until } from '../../support/until.js';



let backend: S3Backend;
let world: EngineWorld;
const running: ContinuousSync[] = [];
sandboxWorldPerTest((b, w) => {
  backend = b;
  world = w;
}, async () => {
  for (const cs of running.splice(0)) await cs.dispose();
});

interface Watching {
  readonly cs: ContinuousSync;
  readonly marker: HeadMarker;
  readonly runs: CompletedRun[];
  /** Waits until no run is in flight or due and `quietMs` passed without a new one. */
  settle(quietMs?: number): Promise<void>;
}

async function watchClient(client: EngineClient, options: Partial<ContinuousSyncOptions> = {}): Promise<Watching> {
  const marker = new HeadMarker({ client: backend.client(world.prefix), bucket: backend.bucket, prefix: world.prefix, deviceName: client.name });
  const cs = await ContinuousSync.start({ engine: client.engine, root: client.root, marker, debounceMs: 200, pollMs: 200, fullRunMs: 3_600_000, ...options });
  running.push(cs);
  const runs: CompletedRun[] = [];
  cs.scheduler.onDidCompleteRun((r) => runs.push(r));
  const settle = async (quietMs = 600): Promise<void> => {
    let seen = -1;
    let stableSince = Date.now();
    await until(() => {
      if (cs.scheduler.isRunning || seen !== runs.length) {
        seen = runs.length;
        stableSince = Date.now();
      }
      return Date.now() - stableSince >= quietMs;
    }, 10_000, 'the watcher to settle');
  };
  // The first run ('start') is the initial full sync.
  await until(() => runs.length >= 1, 10_000, 'the first run');
  await settle();
  return { cs, marker, runs, settle };
}

function total(runs: readonly CompletedRun[], key: keyof CompletedRun['result']['counts']): number {
  return runs.reduce((n, r) => n + r.result.counts[key], 0);
}

describe('stratus watch on the sandbox', () => {
  it('uploads a file written locally within 2 s', async () => {
    const a = await world.client('a');
    const w = await watchClient(a);
    const started = Date.now();
    await a.write('notes/today.md', 'hello');
    await until(async () => (await world.remoteFiles()).get('notes/today.md') === 'hello', 5000, 'the upload');
    expect(Date.now() - started).toBeLessThan(2000);
    await until(() => w.runs.some((r) => r.result.counts.uploaded === 1), 5000, 'the run to complete');
    expect(w.runs.find((r) => r.result.counts.uploaded === 1)?.reasons).toContain('local');
  });

  it("treats an editor's save (temp file renamed over the original) as one upload, not a delete", async () => {
    const a = await world.client('a');
    await a.write('doc.txt', 'version 1');
    const w = await watchClient(a);
    expect((await world.remoteFiles()).get('doc.txt')).toBe('version 1');
    const before = w.runs.length;
    // What vim/VS Code/Word do: write the whole new content beside the file, then rename it over.
    await writeFile(join(a.root, '.doc.txt.tmp~'), 'version 2');
    await rename(join(a.root, '.doc.txt.tmp~'), join(a.root, 'doc.txt'));
    await until(async () => (await world.remoteFiles()).get('doc.txt') === 'version 2', 5000, 'the saved version');
    await w.settle();
    const after = w.runs.slice(before);
    expect(total(after, 'uploaded')).toBe(1);
    expect(total(after, 'deletedRemote')).toBe(0);
    expect(total(after, 'deletedLocal')).toBe(0);
    // The engine's own keys (the head marker) aside, the remote holds the one file.
    expect([...(await world.remoteFiles()).keys()].filter((k) => !k.startsWith('.stratus/'))).toEqual(['doc.txt']);
    expect((await world.remoteFiles()).has('.stratus/head')).toBe(true);
  });

  it("picks up another client's change through the head marker within one poll interval", async () => {
    const a = await world.client('a');
    const b = await world.client('b');
    const wa = await watchClient(a);
    const wb = await watchClient(b);
    await b.write('from-b.txt', 'made on b');
    // b's run publishes the marker; a polls it (200 ms) and runs. a's full-run timer is an
    // hour and nothing changed locally, so only the marker can have started a's download run:
    // asserted by cause (the run's reason), not by wall-clock time, which a loaded CI stretches.
    await until(() => wb.marker.requests.put >= 1, 5000, 'b to publish the marker');
    await until(async () => (await a.files()).get('from-b.txt') === 'made on b', 5000, 'a to download');
    const remoteRun = wa.runs.find((r) => r.result.counts.downloaded === 1);
    expect(remoteRun?.reasons).toEqual(['remote']);
  });

  it('does not echo its own downloads: at most one extra run, and it plans nothing', async () => {
    const a = await world.client('a');
    const b = await world.client('b');
    const wa = await watchClient(a);
    const wb = await watchClient(b);
    await b.write('shared/one.txt', '1');
    await b.write('shared/two.txt', '2');
    await until(() => wa.runs.some((r) => r.result.counts.downloaded === 2), 5000, 'a to download both');
    const downloadRun = wa.runs.findIndex((r) => r.result.counts.downloaded === 2);
    await wa.settle(1000);
    const after = wa.runs.slice(downloadRun + 1);
    expect(after.length).toBeLessThanOrEqual(1);
    for (const run of after) {
      expect(run.result.counts).toEqual({ uploaded: 0, downloaded: 0, deletedLocal: 0, deletedRemote: 0, moved: 0, conflicts: 0, errors: 0 });
      expect(run.result.plan.actions.filter((x) => x.type !== 'problem')).toEqual([]);
    }
    // And b, whose marker a did not touch (a changed nothing remotely), saw no run from it.
    expect(wa.marker.requests.put).toBe(0);
    await wb.settle();
  });
});
