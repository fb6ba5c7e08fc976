/**
 * The item problems a local scan reports, worded for the person who owns the
 * files: what is wrong, with which file, and what they can do. Nothing the
 * scanner leaves out of a snapshot is left out silently; it is one of these
 * (or ignored by a rule the user can read).
 */
import type { ItemProblem } from '../../core/model.js';

export type LocalProblemCode =
  | 'symlink'
  | 'special-file'
  | 'nfc-clash'
  | 'case-clash'
  | 'non-canonical-name'
  | 'name-not-utf8'
  | 'unreadable'
  | 'changing';

export interface LocalProblem extends ItemProblem {
  readonly code: LocalProblemCode;
}

/** How a folder is named in a message; the root has no core path. */
function where(folder: string): string {
  return folder === '' ? 'the sync folder' : `"${folder}"`;
}

function parentOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '' : path.slice(0, slash);
}

export function symlinkProblem(path: string): LocalProblem {
  return {
    path,
    code: 'symlink',
    message: `"${path}" is a symbolic link; Stratus does not follow links, so it is not synced. Replace it with the real file or folder, or add it to .stratusignore to hide this message.`,
  };
}

export function specialFileProblem(path: string): LocalProblem {
  return {
    path,
    code: 'special-file',
    message: `"${path}" is a device, pipe or socket, not a regular file; Stratus syncs only files and folders. Move it out of the sync folder or add it to .stratusignore.`,
  };
}

/** The second of two names in one folder that are one name once NFC-normalised (or case-folded, on a case-insensitive disk). */
export function nfcClashProblem(path: string, kind: 'nfc' | 'case'): LocalProblem {
  const name = path.slice(path.lastIndexOf('/') + 1);
  const how =
    kind === 'nfc'
      ? 'the same name written with different Unicode accent encodings (they look identical)'
      : 'names that differ only in upper/lower case, which this disk treats as the same name';
  return {
    path,
    code: kind === 'nfc' ? 'nfc-clash' : 'case-clash',
    message: `${where(parentOf(path))} holds two items with ${how}: "${name}". Only the first is synced; rename the other one to sync it too.`,
  };
}

export function nonCanonicalNameProblem(path: string, isFolder: boolean): LocalProblem {
  return {
    path,
    code: 'non-canonical-name',
    message: `"${path}" uses the character "\u201B" in a way Stratus reserves for encoding names, so ${isFolder ? 'this folder and everything in it are' : 'it is'} not synced. Rename it to sync it.`,
  };
}

/** On Linux a name may be any bytes; Node shows bytes that are not UTF-8 as U+FFFD and cannot open the file by that name. */
export function nameNotUtf8Problem(path: string): LocalProblem {
  return {
    path,
    code: 'name-not-utf8',
    message: `An item in ${where(parentOf(path))} has a name that is not valid UTF-8 (shown as "${path.slice(path.lastIndexOf('/') + 1)}"), so Stratus cannot read it. Rename it to sync it.`,
  };
}

function unreadableAdvice(code: string): string {
  if (code === 'EBUSY') return 'it is in use by another program. Close that program';
  if (code === 'EACCES' || code === 'EPERM') return 'you lack permission to read it. Fix its permissions';
  return `the disk reported ${code}. Check the disk`;
}

export function unreadableProblem(path: string, code: string, isFolder: boolean): LocalProblem {
  const what = isFolder ? 'list the folder' : 'read';
  return {
    path,
    code: 'unreadable',
    message: `Stratus could not ${what} "${path}" (${code}): ${unreadableAdvice(code)}; it will be tried again on the next sync. Until then it is left alone on both sides.`,
  };
}

export function changingProblem(path: string): LocalProblem {
  return {
    path,
    code: 'changing',
    message: `"${path}" kept changing while Stratus read it, so it was not synced this time. It will be synced once it stops changing (e.g. when the program writing it finishes).`,
  };
}
