/** A clean SyncResult (nothing moved, nothing failed) with `over` applied, for tests of what consumes run results. */
import type { SyncResult } from '../../src/engine/SyncResult.js';

export function syncResult(over: Partial<SyncResult> = {}): SyncResult {
  return {
    dryRun: false,
    plan: { actions: [] } as unknown as SyncResult['plan'],
    counts: { uploaded: 0, downloaded: 0, deletedLocal: 0, deletedRemote: 0, moved: 0, conflicts: 0, errors: 0 },
    errors: [],
    runAgain: false,
    durationMs: 1,
    ...over,
  };
}
