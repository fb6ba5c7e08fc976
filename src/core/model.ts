/**
 * The sync model: what one side looks like (snapshot entries) and what both
 * sides last agreed on (synced entries, the journal's rows). Paths are core
 * paths (see keys.ts); ETags are stored unquoted; `md5` is the hex MD5 of a
 * file's content, the currency for "same content?" across sides.
 */

export type EntryKind = 'file' | 'folder';

export interface LocalEntry {
  readonly path: string;
  readonly kind: EntryKind;
  /** Bytes; 0 for folders. */
  readonly size: number;
  /** Modification time in ms since the epoch, as the local disk reports it. */
  readonly mtimeMs: number;
  /** Inode / file ID when the platform has one: lets a rename be told from delete + create. */
  readonly inode?: number;
  /** Hex MD5 of the content; discovery fills it for every file (hash-cached). */
  readonly md5?: string;
}

export interface RemoteEntry {
  readonly path: string;
  /** The key as listed (may differ from pathToKey(path) for foreign, non-NFC keys). */
  readonly key: string;
  readonly kind: EntryKind;
  readonly size: number;
  /** Unquoted ETag; for a folder known only from its children, ''. */
  readonly etag: string;
  /** Hex MD5 of the content when known: a single-part ETag, or our md5 metadata. */
  readonly md5?: string;
  /** Folder that exists only because keys exist below it (no `dir/` marker). */
  readonly implied?: boolean;
}

/** One journal row: the state both sides had when this path was last in sync. */
export interface SyncedEntry {
  readonly path: string;
  readonly kind: EntryKind;
  readonly local: { readonly size: number; readonly mtimeMs: number; readonly inode?: number };
  readonly remote: { readonly key: string; readonly etag: string; readonly size: number };
  /** Content MD5 at that time (files). */
  readonly md5?: string;
}

/** A per-item problem found while looking at one side; shown to the user, never silently skipped. */
export interface ItemProblem {
  readonly path: string;
  readonly key?: string;
  readonly code: string;
  readonly message: string;
}

export interface LocalSnapshot {
  readonly entries: ReadonlyMap<string, LocalEntry>;
  readonly problems: readonly ItemProblem[];
}

export interface RemoteSnapshot {
  readonly entries: ReadonlyMap<string, RemoteEntry>;
  readonly problems: readonly ItemProblem[];
}

/** True for the 32-hex-digit ETag of a single-part upload (no `-N` part count). */
export function isPlainMd5Etag(etag: string): boolean {
  return /^[0-9a-f]{32}$/.test(etag);
}

/** Strips the quotes S3 puts around ETags (`"abc"` → `abc`). */
export function unquoteEtag(etag: string): string {
  return etag.replace(/^W\//, '').replace(/^"(.*)"$/, '$1');
}
