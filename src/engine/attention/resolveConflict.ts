/**
 * Resolving a recorded conflict on disk (issue 8). Nothing is ever destroyed:
 *   - `both`: both files stay; only the record goes;
 *   - `other` (the cloud's version): this computer's conflicted copy goes to the trash;
 *   - `here` (this computer's version): the cloud's version at the original
 *     path goes to the trash, then the conflicted copy takes the original name.
 * The next run carries the result to the cloud as an ordinary edit or delete.
 * A conflict whose files changed since the user was shown them is refused.
 */
import { lstat, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { CommandResult } from '../../shared/StratusApi.js';
import type { ConflictRecord, ShownConflict } from './AttentionLog.js';

export type ConflictChoice = 'here' | 'other' | 'both';

export interface ResolveConflictInput {
  readonly root: string;
  readonly record: ConflictRecord;
  readonly keep: ConflictChoice;
  readonly trash: (absolutePath: string) => Promise<void>;
  /** Both files as the user was shown them; undefined when this engine never showed them. */
  readonly shown?: ShownConflict;
}

/** The answer for the user, and whether the record goes (resolved, or stale because a file is gone). */
export type ResolveOutcome = { readonly result: CommandResult; readonly forget: boolean };

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export async function resolveConflictOnDisk(input: ResolveConflictInput): Promise<ResolveOutcome> {
  const { record, keep } = input;
  if (keep === 'both') {
    return { result: { ok: true, message: `Both versions are kept: "${record.path}" (from the cloud) and "${record.copyPath}" (this computer's).` }, forget: true };
  }
  const original = join(input.root, ...record.path.split('/'));
  const copy = join(input.root, ...record.copyPath.split('/'));
  const here = await lstat(copy).catch(() => undefined);
  const other = await lstat(original).catch(() => undefined);
  if (here === undefined || !here.isFile() || other === undefined) {
    const missing = here === undefined || !here.isFile() ? record.copyPath : record.path;
    return { result: { ok: false, message: `"${missing}" is no longer there, so the conflict was already resolved by hand. Nothing was changed.` }, forget: true };
  }
  const size = (st: typeof here): number => (st.isFile() ? st.size : 0);
  const { shown } = input;
  if (
    shown !== undefined &&
    (shown.here.size !== here.size || shown.here.mtimeMs !== here.mtimeMs || shown.other.size !== size(other) || shown.other.mtimeMs !== other.mtimeMs)
  ) {
    return { result: { ok: false, message: `"${record.path}" or "${record.copyPath}" changed since the conflict was shown. Nothing was changed; look at both versions again, then choose.` }, forget: false };
  }
  if (keep === 'other') {
    try {
      await input.trash(copy);
    } catch (err) {
      return { result: { ok: false, message: `Could not move "${record.copyPath}" to the trash (${errorText(err)}); both versions are still there.` }, forget: false };
    }
    return { result: { ok: true, message: `Kept the cloud's version of "${record.path}"; this computer's version is in the trash.` }, forget: true };
  }
  try {
    await input.trash(original);
  } catch (err) {
    return { result: { ok: false, message: `Could not move "${record.path}" to the trash (${errorText(err)}); both versions are still there.` }, forget: false };
  }
  try {
    await rename(copy, original);
  } catch (err) {
    return {
      result: { ok: false, message: `The cloud's version of "${record.path}" is in the trash, but "${record.copyPath}" could not be renamed (${errorText(err)}); rename it by hand.` },
      forget: true,
    };
  }
  return { result: { ok: true, message: `Kept this computer's version as "${record.path}"; the cloud's version is in the trash.` }, forget: true };
}
