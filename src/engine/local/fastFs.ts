/**
 * fastFs: small per-item file-system calls done synchronously while the disk
 * answers fast, and asynchronously for good once it does not.
 *
 * Why: on a local disk an lstat returns from the cache in microseconds, and
 * the promise API costs far more CPU than the call itself (measured for issue
 * 4 on a busy 2-core machine: 10,000 lstat calls ≈ 300–400 ms through
 * fs/promises, ≈ 90–130 ms synchronous; the no-change re-sync of 10,000 files
 * went from a median 1.32 s to 1.22 s). A slow disk (a network share) must
 * never hold the event loop, so a few calls slower than SLOW_CALL_MS (or one
 * much slower) switch the process to the asynchronous calls. The results
 * (values and errors) are the same either way.
 *
 * The per-upload lstat/stat/open/read/close of small files use it too
 * (Propagator, s3Transfers, fileStreams): once small files went out without
 * the SDK's middleware (leanPut.ts), their ≈ 6 promise fs calls per upload
 * were ≈ 1.1 s of the main thread's CPU in a 2,000 × 4 KiB first upload
 * (profile); before that the SDK's per-request cost hid them.
 */
import { lstatSync, statSync, type Stats } from 'node:fs';
import { lstat, stat } from 'node:fs/promises';

/** A call slower than this did not come from memory (or the thread was preempted). */
const SLOW_CALL_MS = 2;
/** This many slow calls mean the disk is slow: from then on, asynchronous calls only. */
const SLOW_CALLS_TO_SWITCH = 4;
/** One call this slow switches at once (a network share, a spinning disk waking up). */
const VERY_SLOW_CALL_MS = 20;

let slowCalls = 0;

/** Whether synchronous calls are still in use (false once the disk was slow). */
export function fastCallsEnabled(): boolean {
  return slowCalls < SLOW_CALLS_TO_SWITCH;
}

/**
 * Runs `call` synchronously, noting a slow answer; its error is thrown as is.
 * A few isolated slow calls are tolerated: on a busy machine a 10 µs lstat is
 * now and then descheduled for a few ms, and switching a whole run to the
 * asynchronous calls for that once made a 10,000-file scan ten times slower
 * (issue 4, first sync: 0.6 s → 7.8 s, and tens of MB more memory in stream
 * buffers). A slow disk is still caught after a handful of calls.
 */
export function timedSync<T>(call: () => T): T {
  const started = performance.now();
  try {
    return call();
  } finally {
    const ms = performance.now() - started;
    if (ms > SLOW_CALL_MS) slowCalls += ms > VERY_SLOW_CALL_MS ? SLOW_CALLS_TO_SWITCH : 1;
  }
}

/** lstat (or stat, `follow`) synchronously while the disk is fast, else through fs/promises; undefined when the path is gone. */
export async function quickStat(path: string, follow: boolean): Promise<Stats | undefined> {
  if (fastCallsEnabled()) return timedSync(() => (follow ? statSync(path, { throwIfNoEntry: false }) : lstatSync(path, { throwIfNoEntry: false })));
  return (follow ? stat(path) : lstat(path)).catch((err: unknown) => {
    if ((err as { code?: unknown }).code === 'ENOENT') return undefined;
    throw err;
  });
}
