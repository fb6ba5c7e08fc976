/**
 * The one place S3 keys and sync-root-relative paths are mapped to each other.
 *
 * A path inside core is POSIX, relative to the sync root, NFC, with no leading
 * or trailing slash and no empty, `.` or `..` segment. A key is `<prefix>` plus
 * the decoded segments joined by `/`, with a trailing `/` for a folder marker.
 * Remote keys that cannot be a safe local path (empty segments, over-long
 * names) are refused with a reason the user sees; nothing is ever mapped
 * outside the sync root (fuzzed in test/core/keys.test.ts).
 */
import { decodeName, encodeName, isCanonicalName, type LocalOs } from './names.js';

/** S3's limit on a key, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 1024;
/** The common file-name limit (ext4, APFS, NTFS all allow 255; we count UTF-8 bytes, the strictest). */
export const MAX_NAME_BYTES = 255;

export type KeyProblem = 'outside-prefix' | 'empty-segment' | 'name-too-long';
export type PathProblem = 'invalid-path' | 'non-canonical-name' | 'key-too-long';

export type KeyToPathResult =
  | { readonly ok: true; readonly path: string; readonly folder: boolean }
  /** The key is the prefix's own folder marker (`<prefix>` itself): not an entry. */
  | { readonly ok: true; readonly path: ''; readonly folder: true }
  | { readonly ok: false; readonly problem: KeyProblem; readonly message: string };

export type PathToKeyResult =
  | { readonly ok: true; readonly key: string }
  | { readonly ok: false; readonly problem: PathProblem; readonly message: string };

/** UTF-8 byte length, computed by hand: the pure core has no TextEncoder. */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (const ch of text) {
    const code = ch.codePointAt(0) as number;
    bytes += code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
  }
  return bytes;
}

/** Maps a listed key to the local path it syncs to. `prefix` ends with `/` (or is empty). */
export function keyToPath(key: string, prefix: string, os: LocalOs): KeyToPathResult {
  if (!key.startsWith(prefix)) {
    return { ok: false, problem: 'outside-prefix', message: `"${key}" is outside the synced prefix "${prefix}".` };
  }
  let rest = key.slice(prefix.length);
  if (rest === '') return { ok: true, path: '', folder: true };
  const folder = rest.endsWith('/');
  if (folder) rest = rest.slice(0, -1);
  const segments = rest.split('/');
  if (segments.some((segment) => segment === '')) {
    return {
      ok: false,
      problem: 'empty-segment',
      message: `"${key}" has an empty folder name ("//" or a leading "/"), which no local disk can hold; rename it on the server.`,
    };
  }
  const names: string[] = [];
  for (const segment of segments) {
    const name = encodeName(segment, os).normalize('NFC');
    if (utf8Length(name) > MAX_NAME_BYTES) {
      return {
        ok: false,
        problem: 'name-too-long',
        message: `"${key}" has a name longer than ${MAX_NAME_BYTES} bytes, which local disks refuse; shorten it on the server.`,
      };
    }
    names.push(name);
  }
  return { ok: true, path: names.join('/'), folder };
}

/** Maps a local path to the key it is uploaded as. */
export function pathToKey(path: string, prefix: string, os: LocalOs, folder: boolean): PathToKeyResult {
  const segments = path.split('/');
  if (path === '' || segments.some((s) => s === '' || s === '.' || s === '..')) {
    return { ok: false, problem: 'invalid-path', message: `"${path}" is not a valid path inside the sync folder.` };
  }
  const decoded: string[] = [];
  for (const segment of segments) {
    if (!isCanonicalName(segment, os)) {
      return {
        ok: false,
        problem: 'non-canonical-name',
        message: `"${path}" uses the character "\u201B" in a way Stratus reserves for encoding names; rename the file to sync it.`,
      };
    }
    decoded.push(decodeName(segment, os));
  }
  const key = prefix + decoded.join('/') + (folder ? '/' : '');
  if (utf8Length(key) > MAX_KEY_BYTES) {
    return {
      ok: false,
      problem: 'key-too-long',
      message: `"${path}" is too long to upload: S3 keys are limited to ${MAX_KEY_BYTES} bytes; shorten its name or folder path.`,
    };
  }
  return { ok: true, key };
}

/** Folder-aware parent of a path (`a/b/c` → `a/b`, `a` → ``). */
export function parentPath(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '' : path.slice(0, slash);
}

/** Every ancestor of a path, nearest last (`a/b/c` → [`a`, `a/b`]). */
export function ancestors(path: string): string[] {
  const parts = path.split('/');
  return parts.slice(0, -1).map((_, i) => parts.slice(0, i + 1).join('/'));
}

/** Key used to detect names that collide on a case-insensitive disk. */
export function caseFoldKey(path: string): string {
  return path.normalize('NFC').toLowerCase();
}
