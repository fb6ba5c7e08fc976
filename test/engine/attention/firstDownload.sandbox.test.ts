/**
 * The first-download rail (issue 9, policy FirstDownloadConfirmAboveMiB)
 * against the sandbox S3 with real folders: a new computer joining a prefix
 * that holds more than the threshold stops before anything moves (nothing
 * downloaded, nothing uploaded); confirming lets the next run download what
 * was shown, and the folder never asks again once its first sync recorded
 * anything. A delete confirmation does not answer it, nor the reverse.
 */
import { describe, expect, it } from 'vitest';
import { sandboxWorldPerTest } from '../../support/sandboxWorld.js';
import { type EngineClient, type EngineWorld } from '../scenarios/engineWorld.js';

let world: EngineWorld;
sandboxWorldPerTest((_backend, w) => {
  world = w;
});

const KiB = 1024;

/** The laptop synced 4 files of 8 KiB (32 KiB); the desktop joins with its own file and the threshold given. */
async function joining(thresholdBytes: number): Promise<{ laptop: EngineClient; desktop: EngineClient }> {
  const laptop = await world.client('laptop');
  for (const n of ['d.bin', 'a.bin', 'c/x.bin', 'b.bin']) await laptop.write(n, Buffer.alloc(8 * KiB, n));
  await laptop.sync();
  const desktop = await world.client('desktop', { firstDownloadConfirmBytes: thresholdBytes });
  await desktop.write('mine.txt', 'written on the desktop');
  return { laptop, desktop };
}

describe('the first-download rail', () => {
  it('stops a first sync above the threshold before anything moves; confirm downloads what was shown', async () => {
    const { laptop, desktop } = await joining(16 * KiB);
    const stopped = await desktop.sync();
    expect(stopped.stopped).toMatchObject({ code: 'first-download', direction: 'local', count: 4, bytes: 32 * KiB, sample: ['a.bin', 'b.bin', 'c/x.bin', 'd.bin'] });
    expect(stopped.counts).toMatchObject({ uploaded: 0, downloaded: 0 });
    expect([...(await desktop.files()).keys()]).toEqual(['mine.txt']);
    expect((await world.remoteFiles()).has('mine.txt')).toBe(false);
    // The delete rail's answer does not fit this stop.
    expect(desktop.engine.answerRail('restore')).toMatchObject({ ok: false });
    expect(desktop.engine.answerRail('confirm', 'deletes')).toMatchObject({ ok: false });
    expect(desktop.engine.answerRail('confirm', 'download')).toMatchObject({ ok: true });
    const confirmed = await desktop.sync();
    expect(confirmed.stopped).toBeUndefined();
    expect(confirmed.counts).toMatchObject({ downloaded: 4, uploaded: 1 });
    expect(await desktop.files()).toEqual(await world.remoteFiles());
    // Recorded: later downloads, however large, never ask again.
    await laptop.write('big.bin', Buffer.alloc(64 * KiB, 1));
    await laptop.sync();
    const later = await desktop.sync();
    expect(later.stopped).toBeUndefined();
    expect(later.counts.downloaded).toBe(1);
  });

  it('does not ask at or below the threshold, and --confirm-download goes ahead at once', async () => {
    const { desktop } = await joining(32 * KiB);
    expect((await desktop.sync()).stopped).toBeUndefined();
    const other = await world.client('tablet', { firstDownloadConfirmBytes: 0 });
    const result = await other.sync({ confirmDownload: true });
    expect(result.stopped).toBeUndefined();
    expect(await other.files()).toEqual(await world.remoteFiles());
  });

  it('asks again when more arrived after the stop than the user was shown', async () => {
    const { laptop, desktop } = await joining(16 * KiB);
    expect((await desktop.sync()).stopped?.count).toBe(4);
    expect(desktop.engine.answerRail('confirm', 'download')).toMatchObject({ ok: true });
    await laptop.write('e.bin', Buffer.alloc(8 * KiB, 2));
    await laptop.sync();
    const again = await desktop.sync();
    expect(again.stopped).toMatchObject({ code: 'first-download', count: 5, bytes: 40 * KiB });
    expect(again.counts.downloaded).toBe(0);
  });
});
