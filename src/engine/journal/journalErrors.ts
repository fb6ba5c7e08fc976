/**
 * Turns what node:sqlite throws into StratusErrors with `journal-*` codes and
 * messages a person can act on (what happened, to which file, what to do).
 */
import { StratusError } from '../../core/StratusError.js';

/** A row whose values our STRICT schema could not have produced: the file is not what we wrote. */
export class BadRowError extends Error {}

export function corruptJournalError(file: string, detail: string, cause?: unknown): StratusError {
  return new StratusError(
    'journal-corrupt',
    `The sync journal at ${file} is damaged (${detail}), so Stratus cannot tell what was last in sync ` +
      'and cannot use it. To rebuild it, quit Stratus, move that file ' +
      '(and any "-wal" and "-shm" files next to it) somewhere else, and run Stratus again: it will ' +
      'create a new journal and compare both sides afresh.',
    { severity: 'fatal', cause },
  );
}

/** SQLite's primary result codes we branch on (https://www.sqlite.org/rescode.html). */
const SQLITE_BUSY = 5;
const SQLITE_LOCKED = 6;
const SQLITE_CORRUPT = 11;
const SQLITE_FULL = 13;
const SQLITE_CONSTRAINT = 19;
const SQLITE_MISMATCH = 20;
const SQLITE_NOTADB = 26;

/** Maps whatever node:sqlite threw to a StratusError a person can act on. */
export function toJournalError(error: unknown, file: string, action: string, entryPath?: string): StratusError {
  if (error instanceof StratusError) return error;
  if (error instanceof BadRowError) return corruptJournalError(file, error.message, error);
  const errcode = (error as { errcode?: unknown } | null)?.errcode;
  const primary = typeof errcode === 'number' ? errcode & 0xff : undefined;
  const detail = describeError(error);
  const withPath = entryPath === undefined ? {} : { path: entryPath };
  switch (primary) {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return corruptJournalError(file, detail, error);
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return new StratusError(
        'journal-busy',
        `Stratus could not ${action} because another program keeps the sync journal at ${file} locked. ` +
          'Make sure only one Stratus runs for this folder, then try again.',
        { severity: 'fatal', cause: error, ...withPath },
      );
    case SQLITE_FULL:
      return new StratusError(
        'journal-disk-full',
        `Stratus could not ${action}: the disk holding the sync journal at ${file} is full. Free some space, then sync again.`,
        { severity: 'fatal', cause: error, ...withPath },
      );
    case SQLITE_CONSTRAINT:
    case SQLITE_MISMATCH:
      // Bad input from the engine (e.g. an unknown kind), not a damaged file: that item fails, the run goes on.
      return new StratusError(
        'journal-invalid-entry',
        `Stratus could not ${action}${entryPath === undefined ? '' : ` for ${entryPath}`}: ${detail}. Nothing was changed.`,
        { severity: 'item', cause: error, ...withPath },
      );
    default:
      return new StratusError(
        'journal-io',
        `Stratus could not ${action} in the sync journal at ${file}: ${detail}. ` +
          'Check that the disk is available and writable, then try again.',
        { severity: 'fatal', cause: error, ...withPath },
      );
  }
}

export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
