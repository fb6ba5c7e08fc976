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
