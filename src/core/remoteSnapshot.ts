/**
 * Turns a complete listing of the prefix into a RemoteSnapshot: keys become
 * core paths (keys.ts), `dir/` markers become folders, every ancestor of a
 * key becomes an (implied) folder, and keys that cannot be synced become
 * visible problems. Pure; the S3 adapter feeds it what ListObjectsV2 returned.
 */
import { ancestors, keyToPath } from './keys.js';
import { isPlainMd5Etag, type ItemProblem, type RemoteEntry, type RemoteSnapshot } from './model.js';
import type { LocalOs } from './names.js';

export interface ListedObject {
  readonly key: string;
  readonly size: number;
  /** Unquoted. */
  readonly etag: string;
}

export interface RemoteSnapshotOptions {
  readonly prefix: string;
  readonly os: LocalOs;
  /** Known content MD5s for ETags that are not MD5s (multipart, SSE-KMS), e.g. from the journal or HEAD. */
  readonly md5ForEtag?: (key: string, etag: string) => string | undefined;
  /** Keys that are the engine's own (e.g. `<prefix>.stratus/`) and never synced. */
  readonly isInternalKey?: (key: string) => boolean;
}

export function buildRemoteSnapshot(objects: Iterable<ListedObject>, options: RemoteSnapshotOptions): RemoteSnapshot {
  const entries = new Map<string, RemoteEntry>();
  const problems: ItemProblem[] = [];
  const files: RemoteEntry[] = [];
  const sorted = [...objects].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));

  for (const object of sorted) {
    if (options.isInternalKey?.(object.key) === true) continue;
    const mapped = keyToPath(object.key, options.prefix, options.os);
    if (!mapped.ok) {
      problems.push({ path: object.key, key: object.key, code: mapped.problem, message: mapped.message });
      continue;
    }
    if (mapped.path === '') continue;
    const existing = entries.get(mapped.path);
    if (existing !== undefined && !(existing.kind === 'folder' && mapped.folder)) {
      // Two keys, one local name (NFC/NFD twins, or encodings that meet): keep the first.
      problems.push({
        path: mapped.path,
        key: object.key,
        code: 'name-clash',
        message: `"${object.key}" and "${existing.key}" would both be saved as "${mapped.path}"; rename one of them on the server.`,
      });
      continue;
    }
    if (mapped.folder) {
      entries.set(mapped.path, { path: mapped.path, key: object.key, kind: 'folder', size: 0, etag: object.etag });
    } else {
      const hinted = isPlainMd5Etag(object.etag) ? object.etag : options.md5ForEtag?.(object.key, object.etag);
      const entry: RemoteEntry = {
        path: mapped.path,
        key: object.key,
        kind: 'file',
        size: object.size,
        etag: object.etag,
        ...(hinted === undefined ? {} : { md5: hinted }),
      };
      entries.set(mapped.path, entry);
      files.push(entry);
    }
  }

  // Folders implied by deeper keys; a file standing where a folder must be is a clash.
  for (const entry of [...entries.values()]) {
    for (const folder of ancestors(entry.path)) {
      const holder = entries.get(folder);
      if (holder === undefined) {
        const key = `${options.prefix}${folder}/`;
        entries.set(folder, { path: folder, key, kind: 'folder', size: 0, etag: '', implied: true });
      } else if (holder.kind === 'file') {
        problems.push({
          path: folder,
          key: holder.key,
          code: 'file-folder-clash',
          message: `On the server "${folder}" is both a file and a folder; rename the file "${holder.key}" to sync it.`,
        });
        entries.set(folder, { path: folder, key: `${options.prefix}${folder}/`, kind: 'folder', size: 0, etag: '', implied: true });
      }
    }
  }
  return { entries, problems };
}
