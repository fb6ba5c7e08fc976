/**
 * Answering a fired safety rail (issue 8) against the sandbox S3, in both
 * directions: `confirm` lets the next run delete at most what the user was
 * shown (a larger delete stops again with the new numbers), once; `restore`
 * makes the next run copy the files back instead, deleting nothing.
 */
import { describe, expect, it } from 'vitest';
import { sandboxWorldPerTest } from '../../support/sandboxWorld.js';
import { type EngineClient, type EngineWorld } from '../scenarios/engineWorld.js';

let world: EngineWorld;
sandboxWorldPerTest((_backend, w) => {
  world = w;
});

const name = (i: number): string => `f${String(i).padStart(2, '0')}.txt`;

/** 30 files synced by the laptop (and the desktop, when asked). */
async function thirtyFiles(withDesktop = false): Promise<{ laptop: EngineClient; desktop?: EngineClient }> {
  const laptop = await world.client('laptop');
  for (let i = 0; i < 30; i++) await laptop.write(name(i), `content ${i}`);
  await laptop.sync();
  if (!withDesktop) return { laptop };
  const desktop = await world.client('desktop');
  await desktop.sync();
  return { laptop, desktop };
}

async function expectInSync(...clients: EngineClient[]): Promise<void> {
  const remote = await world.remoteFiles();
  for (const client of clients) expect(await client.files()).toEqual(remote);
}

describe('answering a safety rail', () => {
  it('refuses an answer when no rail fired', async () => {
    const { laptop } = await thirtyFiles();
    expect(laptop.engine.answerRail('confirm')).toMatchObject({ ok: false, message: expect.stringContaining('No safety stop') });
  });

  it('confirm (cloud deletes): the next run deletes what was shown, once', async () => {
    const { laptop } = await thirtyFiles();
    for (let i = 0; i < 20; i++) await laptop.remove(name(i));
    const stopped = await laptop.sync();
    expect(stopped.stopped).toMatchObject({ code: 'mass-delete', direction: 'remote', count: 20 });
    expect(stopped.stopped?.sample).toEqual(Array.from({ length: 10 }, (_, i) => name(i)));
    expect(laptop.engine.answerRail('confirm')).toMatchObject({ ok: true });
    // A dry run neither uses the answer nor deletes.
    expect((await laptop.sync({ dryRun: true })).stopped).toBeDefined();
    const confirmed = await laptop.sync();
    expect(confirmed.stopped).toBeUndefined();
    expect(confirmed.counts.deletedRemote).toBe(20);
    expect((await world.remoteFiles()).size).toBe(10);
    await expectInSync(laptop);
    // Answered once: nothing is waiting any more.
    expect(laptop.engine.answerRail('confirm')).toMatchObject({ ok: false });
  });

  it('confirm does not confirm a larger delete: the rail fires again with the new numbers', async () => {
    const { laptop } = await thirtyFiles();
    for (let i = 0; i < 20; i++) await laptop.remove(name(i));
    expect((await laptop.sync()).stopped).toMatchObject({ count: 20 });
    expect(laptop.engine.answerRail('confirm')).toMatchObject({ ok: true });
    for (let i = 20; i < 25; i++) await laptop.remove(name(i));
    const again = await laptop.sync();
    expect(again.stopped).toMatchObject({ code: 'mass-delete', direction: 'remote', count: 25 });
    expect(again.counts.deletedRemote).toBe(0);
    expect((await world.remoteFiles()).size).toBe(30);
    // The answer was for that one run: the next run stops too, until the new numbers are confirmed.
    expect((await laptop.sync()).stopped).toMatchObject({ count: 25 });
    expect(laptop.engine.answerRail('confirm')).toMatchObject({ ok: true });
    expect((await laptop.sync()).counts.deletedRemote).toBe(25);
    await expectInSync(laptop);
  });

  it('confirm goes ahead with fewer deletes than were shown', async () => {
    const { laptop } = await thirtyFiles();
    for (let i = 0; i < 20; i++) await laptop.remove(name(i));
    await laptop.sync();
    laptop.engine.answerRail('confirm');
    // The user put two back before the run.
    await laptop.write(name(0), 'content 0');
    await laptop.write(name(1), 'content 1');
    const confirmed = await laptop.sync();
    expect(confirmed.stopped).toBeUndefined();
    expect(confirmed.counts.deletedRemote).toBe(18);
    await expectInSync(laptop);
  });

  it('restore (cloud deletes): files deleted on this computer are downloaded again, nothing is deleted', async () => {
    const { laptop } = await thirtyFiles();
    for (let i = 0; i < 20; i++) await laptop.remove(name(i));
    expect((await laptop.sync()).stopped).toMatchObject({ direction: 'remote', count: 20 });
    expect(laptop.engine.answerRail('restore')).toMatchObject({ ok: true });
    const restored = await laptop.sync();
    expect(restored.stopped).toBeUndefined();
    expect(restored.counts).toMatchObject({ downloaded: 20, deletedRemote: 0, deletedLocal: 0 });
    expect((await laptop.files()).size).toBe(30);
    expect((await world.remoteFiles()).size).toBe(30);
    await expectInSync(laptop);
    expect((await laptop.sync()).plan.actions.filter((a) => a.type !== 'record')).toEqual([]);
  });

  it('confirm (deletes on this computer): files gone from the cloud go to the trash here', async () => {
    const { laptop, desktop } = await thirtyFiles(true);
    for (let i = 0; i < 20; i++) await laptop.remove(name(i));
    await laptop.sync({ confirmDeletes: true });
    const stopped = await desktop!.sync();
    expect(stopped.stopped).toMatchObject({ code: 'mass-delete', direction: 'local', count: 20 });
    expect(desktop!.engine.answerRail('confirm')).toMatchObject({ ok: true });
    const confirmed = await desktop!.sync();
    expect(confirmed.counts.deletedLocal).toBe(20);
    expect(await desktop!.trashed()).toHaveLength(20);
    await expectInSync(laptop, desktop!);
  });

  it('restore (deletes on this computer): files gone from the cloud are uploaded again', async () => {
    const { laptop, desktop } = await thirtyFiles(true);
    for (let i = 0; i < 20; i++) await laptop.remove(name(i));
    await laptop.sync({ confirmDeletes: true });
    expect((await world.remoteFiles()).size).toBe(10);
    expect((await desktop!.sync()).stopped).toMatchObject({ direction: 'local', count: 20 });
    expect(desktop!.engine.answerRail('restore')).toMatchObject({ ok: true });
    const restored = await desktop!.sync();
    expect(restored.counts).toMatchObject({ uploaded: 20, deletedLocal: 0, deletedRemote: 0 });
    expect(await desktop!.trashed()).toEqual([]);
    expect((await world.remoteFiles()).size).toBe(30);
    expect((await laptop.sync()).counts.downloaded).toBe(20);
    await expectInSync(laptop, desktop!);
  });
});
