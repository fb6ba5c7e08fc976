/**
 * The CLI's exit codes (stable; scripts depend on them):
 *   0 converged / success, 1 some items failed (or the run failed part-way),
 *   2 usage, configuration or connection error (nothing was synced),
 *   3 stopped by a safety rail (e.g. mass delete) until confirmed,
 *   130 interrupted (Ctrl-C), as shells report SIGINT.
 */
export const ExitCode = { ok: 0, itemsFailed: 1, usage: 2, safetyStop: 3, interrupted: 130 } as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
