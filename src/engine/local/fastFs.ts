/**
 * fastFs: small per-item file-system calls done synchronously while the disk
 * answers fast, and asynchronously for good once it does not.
 *
 * Why: on a local disk an lstat returns from the cache in microseconds, and
 * the promise API costs far more CPU than the call itself (measured for issue
 * 4 on a busy 2-core machine: 10,000 lstat calls ≈ 300–400 ms through
 * fs/promises, ≈ 90–130 ms synchronous; the no-change re-sync of 10,000 files
 * went from a median 1.32 s to 1.22 s). A slow disk (a network share) must
 * never hold the event loop, so one call slower than SLOW_CALL_MS switches the
 * process to the asynchronous calls. The results (values and errors) are the
 * same either way.
 *
 * Tried and not kept: the same for the per-upload stat/lstat/read of small
 * files (2,000 × 4 KiB first upload: no difference within noise, the run is
 * bound by the SDK's per-request CPU).
 */

/** A single call slower than this means the disk is not answering from memory. */
const SLOW_CALL_MS = 2;

let slowDisk = false;

/** Whether synchronous calls are still in use (false once the disk was slow). */
export function fastCallsEnabled(): boolean {
  return !slowDisk;
}

/** Runs `call` synchronously, noting a slow answer; its error is thrown as is. */
export function timedSync<T>(call: () => T): T {
  const started = performance.now();
  try {
    return call();
  } finally {
    if (performance.now() - started > SLOW_CALL_MS) slowDisk = true;
  }
}
