import { describe, expect, it } from 'vitest';
import { Emitter } from '../../src/core/Emitter.js';

describe('Emitter', () => {
  it('delivers values to every subscriber in order of subscription', () => {
    const emitter = new Emitter<number>();
    const seen: string[] = [];
    emitter.event((v) => seen.push(`a${v}`));
    emitter.event((v) => seen.push(`b${v}`));
    emitter.fire(1);
    expect(seen).toEqual(['a1', 'b1']);
  });

  it('lets a listener unsubscribe while an event is being delivered', () => {
    const emitter = new Emitter<void>();
    let second = 0;
    const first = emitter.event(() => first.dispose());
    emitter.event(() => second++);
    emitter.fire();
    emitter.fire();
    expect(second).toBe(2);
    expect(emitter.listenerCount).toBe(1);
  });

  it('ignores subscriptions after dispose', () => {
    const emitter = new Emitter<number>();
    emitter.dispose();
    let calls = 0;
    emitter.event(() => calls++);
    emitter.fire(1);
    expect(calls).toBe(0);
  });
});
