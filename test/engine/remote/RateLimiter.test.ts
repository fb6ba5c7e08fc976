import { describe, expect, it } from 'vitest';
import { RateLimiter } from '../../../src/engine/remote/RateLimiter.js';

describe('RateLimiter', () => {
  it('lets everything through at once without a limit', async () => {
    const limiter = new RateLimiter();
    const started = performance.now();
    for (let i = 0; i < 100; i += 1) await limiter.take(1e9);
    expect(performance.now() - started).toBeLessThan(500);
  });

  it('holds concurrent takers to the rate on average: 4 × 100 kB at 200 kB/s need ≥ 1 s after the first', async () => {
    const limiter = new RateLimiter(200_000);
    const done: number[] = [];
    const started = performance.now();
    await Promise.all([0, 1, 2, 3].map(async () => {
      await limiter.take(100_000);
      done.push(performance.now() - started);
    }));
    done.sort((a, b) => a - b);
    // The bucket starts empty: the first goes on credit, then each waits out the debt before it.
    expect(done[0]).toBeLessThan(200);
    expect(done[3]).toBeGreaterThanOrEqual(1000 - 20);
  });

  it('applies a lifted limit to waiting takers, and refuses nonsense rates', async () => {
    const limiter = new RateLimiter(1000);
    await limiter.take(1_000_000); // a debt of ~1000 s at 1 kB/s
    const waiting = limiter.take(1);
    limiter.setRate(undefined);
    const started = performance.now();
    await waiting;
    expect(performance.now() - started).toBeLessThan(1500);
    expect(() => limiter.setRate(0)).toThrow(RangeError);
    expect(() => limiter.setRate(Number.NaN)).toThrow(RangeError);
  });

  it('rejects a waiting take when its signal aborts', async () => {
    const limiter = new RateLimiter(1000);
    await limiter.take(1_000_000);
    const controller = new AbortController();
    const waiting = limiter.take(1, controller.signal);
    controller.abort(new Error('paused'));
    await expect(waiting).rejects.toThrow('paused');
  });
});
