/**
 * RateLimiter: a bandwidth limit in bytes per second for one direction
 * (uploads or downloads), shared by every transfer in that direction.
 *
 * A token bucket holding at most one second's worth of bytes: callers take
 * what they are about to send (or have just received) and wait out any
 * deficit, so concurrent transfers share the rate and a short burst after an
 * idle moment is allowed. Limits change at runtime (`setRate`), including
 * while transfers wait. Written here because it is twenty lines and the
 * maintained token-bucket packages are callback- or timer-per-token based.
 *
 * Granularity: an upload takes a whole part (or a whole small file) before
 * sending it, so the rate holds on average over a part's duration, not
 * within it; downloads take per received chunk (smooth, with backpressure).
 */
export class RateLimiter {
  private rate: number | undefined;
  private tokens = 0;
  private updatedAt: number;

  constructor(
    bytesPerSecond?: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.updatedAt = now();
    this.setRate(bytesPerSecond);
  }

  /** Bytes per second, or undefined for no limit. */
  get bytesPerSecond(): number | undefined {
    return this.rate;
  }

  setRate(bytesPerSecond: number | undefined): void {
    if (bytesPerSecond !== undefined && (!Number.isFinite(bytesPerSecond) || bytesPerSecond <= 0)) {
      throw new RangeError(`A bandwidth limit must be a positive number of bytes per second, not ${String(bytesPerSecond)}.`);
    }
    this.refill();
    this.rate = bytesPerSecond;
    if (bytesPerSecond !== undefined) this.tokens = Math.min(this.tokens, bytesPerSecond);
  }

  /** Resolves once `bytes` fit the limit (at once without one); rejects with the signal's reason when aborted. */
  async take(bytes: number, signal?: AbortSignal): Promise<void> {
    for (;;) {
      signal?.throwIfAborted();
      const rate = this.rate;
      if (rate === undefined) return;
      this.refill();
      if (this.tokens >= 0) {
        // Debt is allowed: a part larger than a second's worth goes now and later callers wait it out.
        this.tokens -= bytes;
        return;
      }
      // Wait out the current debt, then look again (the rate may have changed meanwhile).
      await sleep(Math.min(1000, Math.ceil((-this.tokens / rate) * 1000)), signal);
    }
  }

  private refill(): void {
    const at = this.now();
    const elapsed = Math.max(0, at - this.updatedAt) / 1000;
    this.updatedAt = at;
    if (this.rate === undefined) {
      this.tokens = 0;
      return;
    }
    this.tokens = Math.min(this.rate, this.tokens + elapsed * this.rate);
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason instanceof Error ? signal.reason : new DOMException('Aborted', 'AbortError'));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
