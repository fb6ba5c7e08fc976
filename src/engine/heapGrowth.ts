/**
 * How far V8 lets the old generation grow past the live data before its next
 * full collection, set per phase of a sync run. Emits nothing.
 *
 * Why: while thousands of small transfers run, the objects of the requests in
 * flight (SDK middleware, headers, sockets' write requests) keep surviving two
 * young-generation collections and are promoted, about 18 KB per upload; they
 * are garbage soon after, but V8 sizes the old generation at up to 4× the live
 * data when collecting looks cheap, so a first sync of 10,000 small files held
 * ≈ 65 MB of old generation for ≈ 22 MB of live data, plus the native memory
 * (buffers, hashes) those objects keep until they are collected (issue 4: peak
 * RSS 180–200 MB, limit 150 MB). Growth of 30 % past the live data keeps it at
 * ≈ 130–140 MB for a few more full collections of a small heap (≈ 10 ms each,
 * one every few seconds).
 *
 * During discovery the live data itself grows (journal, scan and listing of
 * every file), and there a tight factor only means more full collections of a
 * growing heap (issue 4, re-sync of 10,000 files: +2 collections, ≈ +130 ms), so
 * it may double. Not V8's own choice (up to 4×): the limit set by the last
 * collection of discovery holds until the first one of the transfers, and on a
 * busy machine a first sync then grew to ≈ 60 MB before that (peak RSS 161–171
 * MB; 133–138 MB with 2×; no change in the re-sync's collections or time).
 * The setting is process-wide; with several engines in one process the last
 * phase entered wins, which only shifts this trade-off.
 * The CLI (bin/stratus.js) starts V8 with the transfer value already, so the
 * limit of its first full collection is set the same way.
 */
import { setFlagsFromString } from 'node:v8';

export type HeapPhase = 'discovery' | 'transfer';

/** `--heap-growing-percent` per phase (0 would be V8's default: its own factor, up to 4×). */
const GROWING_PERCENT: Readonly<Record<HeapPhase, number>> = { discovery: 100, transfer: 30 };

let current: number | undefined;

/** Tunes V8's old-generation growth for the phase a run enters. */
export function enterHeapPhase(phase: HeapPhase): void {
  const percent = GROWING_PERCENT[phase];
  if (percent === current) return;
  // A plain number V8 reads each time it sets the next collection's limit; safe to change at run time.
  setFlagsFromString(`--heap-growing-percent=${percent}`);
  current = percent;
}
