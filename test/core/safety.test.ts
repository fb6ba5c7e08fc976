/**
 * The safety rails' answer to the user (issue 8): a stop names a sorted sample
 * of the paths it held back, and a confirmed stop lets through at most the
 * deletes the user was shown, in that direction only.
 */
import { describe, expect, it } from 'vitest';
import { SimClient, SimRemote, syncUntilQuiet } from '../support/simWorld.js';

function world() {
  const remote = new SimRemote();
  const a = new SimClient('laptop', remote);
  const b = new SimClient('desktop', remote);
  return { remote, a, b };
}

describe('safety rails: sample and confirmed stops', () => {
  it('names at most 10 of the held-back paths, sorted', () => {
    const { a, b } = world();
    for (let i = 0; i < 30; i++) a.write(`f${String(i).padStart(2, '0')}.txt`, `c${i}`);
    syncUntilQuiet([a, b]);
    for (let i = 29; i >= 10; i--) a.remove(`f${String(i).padStart(2, '0')}.txt`);
    const stop = a.plan().stop;
    expect(stop).toMatchObject({ code: 'mass-delete', direction: 'remote', count: 20 });
    expect(stop?.sample).toEqual(['f10.txt', 'f11.txt', 'f12.txt', 'f13.txt', 'f14.txt', 'f15.txt', 'f16.txt', 'f17.txt', 'f18.txt', 'f19.txt']);
  });

  it('names every held-back path when there are few, for the empty-side rails too', () => {
    const { remote, a, b } = world();
    for (const name of ['c.txt', 'a.txt', 'b/x.txt']) a.write(name, name);
    syncUntilQuiet([a, b]);
    a.local.clear();
    expect(a.plan().stop).toMatchObject({ code: 'local-root-empty', direction: 'remote', count: 3, sample: ['a.txt', 'b/x.txt', 'c.txt'] });
    remote.objects.clear();
    expect(b.plan().stop).toMatchObject({ code: 'remote-empty', direction: 'local', count: 3, sample: ['a.txt', 'b/x.txt', 'c.txt'] });
  });

  it('lets a confirmed stop through with the same or fewer deletes in its direction', () => {
    const { a, b } = world();
    for (let i = 0; i < 30; i++) a.write(`f${i}.txt`, `c${i}`);
    syncUntilQuiet([a, b]);
    for (let i = 0; i < 20; i++) a.remove(`f${i}.txt`);
    expect(a.plan({ confirmedStop: { direction: 'remote', count: 20 } }).stop).toBeUndefined();
    expect(a.plan({ confirmedStop: { direction: 'remote', count: 25 } }).stop).toBeUndefined();
  });

  it('does not confirm more deletes than the user saw, nor deletes in the other direction', () => {
    const { a, b } = world();
    for (let i = 0; i < 30; i++) a.write(`f${i}.txt`, `c${i}`);
    syncUntilQuiet([a, b]);
    for (let i = 0; i < 20; i++) a.remove(`f${i}.txt`);
    expect(a.plan({ confirmedStop: { direction: 'remote', count: 19 } }).stop).toMatchObject({ code: 'mass-delete', direction: 'remote', count: 20 });
    expect(a.plan({ confirmedStop: { direction: 'local', count: 20 } }).stop).toMatchObject({ direction: 'remote', count: 20 });
  });
});

describe('the first-download rail (policy FirstDownloadConfirmAboveMiB)', () => {
  /** `laptop` put three files (10 + 20 + 30 bytes) in the cloud; `desktop` joins with an empty folder. */
  function joined() {
    const { a, b } = world();
    a.write('c.txt', 'x'.repeat(30));
    a.write('a.txt', 'x'.repeat(10));
    a.write('b/x.txt', 'x'.repeat(20));
    a.sync();
    return { a, b };
  }

  it('stops a first sync whose downloads total more than the threshold, naming files, bytes and a sorted sample', () => {
    const { b } = joined();
    const stop = b.plan({ firstDownloadConfirmBytes: 59 }).stop;
    expect(stop).toMatchObject({ code: 'first-download', direction: 'local', count: 3, bytes: 60, sample: ['a.txt', 'b/x.txt', 'c.txt'] });
    expect(stop?.message).toContain('--confirm-download');
    expect(b.sync({ firstDownloadConfirmBytes: 59 }).plan.stop?.code).toBe('first-download');
    expect(b.local.size).toBe(0);
  });

  it('does not ask at or below the threshold, without one, or once confirmed', () => {
    const { b } = joined();
    expect(b.plan({ firstDownloadConfirmBytes: 60 }).stop).toBeUndefined();
    expect(b.plan({}).stop).toBeUndefined();
    expect(b.plan({ firstDownloadConfirmBytes: 0, confirmDownload: true }).stop).toBeUndefined();
    expect(b.plan({ firstDownloadConfirmBytes: 0, confirmedDownload: { count: 3, bytes: 60 } }).stop).toBeUndefined();
  });

  it('asks again when more arrived than the user confirmed, and never after the first sync recorded anything', () => {
    const { a, b } = joined();
    expect(b.plan({ firstDownloadConfirmBytes: 0, confirmedDownload: { count: 2, bytes: 60 } }).stop).toMatchObject({ code: 'first-download', count: 3 });
    expect(b.plan({ firstDownloadConfirmBytes: 0, confirmedDownload: { count: 3, bytes: 59 } }).stop).toMatchObject({ code: 'first-download', bytes: 60 });
    expect(b.sync({ firstDownloadConfirmBytes: 0, confirmDownload: true }).plan.stop).toBeUndefined();
    a.write('d.txt', 'x'.repeat(100));
    a.sync();
    expect(b.plan({ firstDownloadConfirmBytes: 0 }).stop).toBeUndefined();
  });

  it('is not a delete rail: --confirm-deletes does not answer it', () => {
    const { b } = joined();
    expect(b.plan({ firstDownloadConfirmBytes: 0, confirmDeletes: true }).stop?.code).toBe('first-download');
  });
});

