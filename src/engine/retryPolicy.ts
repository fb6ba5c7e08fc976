/**
 * When a failed item is tried again: exponential backoff with full jitter
 * (so many clients that failed together do not retry together), capped at an
 * hour, never sooner than the server asked (Retry-After / SlowDown).
 * Written here rather than taken from a library because the state must
 * persist in the journal across restarts (RetryRecord), which in-memory retry
 * helpers (p-retry and friends) do not do.
 */

/** @default base 2 s, cap 1 h */
export function nextAttemptDelayMs(attempts: number, random: () => number, options: { baseMs?: number; capMs?: number; atLeastMs?: number } = {}): number {
  const base = options.baseMs ?? 2_000;
  const cap = options.capMs ?? 3_600_000;
  const ceiling = Math.min(cap, base * 2 ** Math.max(0, attempts - 1));
  // "Full jitter": uniform in [ceiling/2, ceiling], keeping a floor so retries never bunch at zero.
  const delay = ceiling / 2 + random() * (ceiling / 2);
  return Math.max(delay, options.atLeastMs ?? 0);
}
