/**
 * Test data for the journal suites: realistic synced rows and hash-cache rows
 * (paths of about 60 characters, keys of about 110 under an identity-id prefix,
 * real-looking hex MD5s and ETags), built deterministically from an index.
 */
import { createHash } from 'node:crypto';
import type { SyncedEntry } from '../../../src/core/model.js';
import type { HashCacheEntry } from '../../../src/engine/ports.js';

/** `<identityId>/`, as a Cognito identity pool spells it. */
export const IDENTITY_PREFIX = 'us-east-1:6f1c2a9e-3b7d-4e21-9c55-0a8f4d2b7e13/';

const FOLDERS = ['Documents/Projects', 'Pictures/Holidays 2025', 'Work/Clients/Acme Corp', 'Music/Albums/Live'];

function md5Of(text: string): string {
  return createHash('md5').update(text).digest('hex');
}

/** A ~60-character core path, unique per index. */
export function realisticPath(i: number): string {
  const folder = FOLDERS[i % FOLDERS.length] ?? 'Documents';
  return `${folder}/area-${String(i % 97).padStart(2, '0')}/quarterly-report-${String(i).padStart(6, '0')}-v2.docx`;
}

export function syncedFile(path: string, i = 0): SyncedEntry {
  const md5 = md5Of(`content ${path} ${i}`);
  return {
    path,
    kind: 'file',
    local: { size: 10_000 + i, mtimeMs: 1_764_000_000_000 + i * 1000.25, inode: 1_000_000 + i },
    remote: { key: IDENTITY_PREFIX + path, etag: md5, size: 10_000 + i },
    md5,
  };
}

export function syncedFolder(path: string): SyncedEntry {
  return {
    path,
    kind: 'folder',
    local: { size: 0, mtimeMs: 1_764_000_000_000 },
    remote: { key: `${IDENTITY_PREFIX}${path}/`, etag: 'd41d8cd98f00b204e9800998ecf8427e', size: 0 },
  };
}

export function hashEntry(path: string, i = 0): HashCacheEntry {
  return {
    path,
    inode: 2_000_000 + i,
    size: 10_000 + i,
    mtimeMs: 1_764_000_000_000 + i * 1000.25,
    ctimeMs: 1_764_000_000_500 + i * 1000.25,
    md5: md5Of(`content ${path} ${i}`),
  };
}
