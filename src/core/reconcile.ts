/**
 * The planner: a pure function (local, remote, synced, policy) → Plan.
 *
 * Each side is compared with its own last-synced state (the journal row),
 * never with the other side's clock (SCENARIOS 24). Content identity is the
 * MD5 of the bytes, so a touched-but-identical file is not a change (25, 26)
 * and identical edits on both sides are not a conflict (5, 8). The decision
 * table (SCENARIOS 1–9):
 *
 *   local \ remote | absent/unchanged | new/changed            | deleted
 *   ---------------+------------------+------------------------+-----------------
 *   unchanged      | nothing          | download               | delete local
 *   new/changed    | upload           | same? record : conflict| upload (edit wins)
 *   deleted        | delete remote    | download (edit wins)   | forget
 *
 * Renames are recognised before the table runs: a locally deleted file whose
 * inode and content reappear under a new path becomes a server-side move, and
 * a remotely deleted object whose content reappears under one new key becomes
 * a local rename (SCENARIOS 12–14). Safety checks (safety.ts) run last.
 */
import { conflictPath } from './conflictName.js';
import { caseFoldKey, pathToKey } from './keys.js';
import type { EntryKind, LocalEntry, LocalSnapshot, RemoteEntry, RemoteSnapshot, SyncedEntry } from './model.js';
import type { LocalOs } from './names.js';
import { phaseOf, type Action, type Plan } from './plan.js';
import { checkSafety, type SafetyPolicy } from './safety.js';

export interface ReconcilePolicy extends SafetyPolicy {
  /** The remote prefix, ending with `/`. */
  readonly prefix: string;
  readonly os: LocalOs;
  /** The local disk folds case (macOS, Windows defaults): `Foo` and `foo` are one file. */
  readonly caseInsensitive: boolean;
  /** Shown in conflicted-copy names. */
  readonly deviceName: string;
  /** The time used in conflicted-copy names (the planner has no clock of its own). */
  readonly now: Date;
  /** Local paths the scanner could not read or saw changing: neither deleted nor uploaded this run. */
  readonly unsettled?: ReadonlySet<string>;
  readonly isIgnored?: (path: string, kind: EntryKind) => boolean;
}

export interface ReconcileInput {
  readonly local: LocalSnapshot;
  readonly remote: RemoteSnapshot;
  readonly synced: ReadonlyMap<string, SyncedEntry>;
}

type Change = 'absent' | 'new' | 'unchanged' | 'changed' | 'deleted';

function localChange(l: LocalEntry | undefined, s: SyncedEntry | undefined): Change {
  if (s === undefined) return l === undefined ? 'absent' : 'new';
  if (l === undefined) return 'deleted';
  if (l.kind !== s.kind) return 'changed';
  if (l.kind === 'folder') return 'unchanged';
  // Content decides when both hashes are known (mtime-only changes are not edits).
  if (l.md5 !== undefined && s.md5 !== undefined) return l.md5 === s.md5 ? 'unchanged' : 'changed';
  return l.size === s.local.size && l.mtimeMs === s.local.mtimeMs ? 'unchanged' : 'changed';
}

function remoteChange(r: RemoteEntry | undefined, s: SyncedEntry | undefined): Change {
  if (s === undefined) return r === undefined ? 'absent' : 'new';
  if (r === undefined) return 'deleted';
  if (r.kind !== s.kind) return 'changed';
  if (r.kind === 'folder' || r.etag === s.remote.etag) return 'unchanged';
  // Re-uploaded with the same bytes (e.g. by another client after a lost journal row).
  if (r.md5 !== undefined && s.md5 !== undefined && r.md5 === s.md5) return 'unchanged';
  return 'changed';
}

function sameContent(l: LocalEntry, r: RemoteEntry): boolean {
  if (l.kind !== r.kind) return false;
  if (l.kind === 'folder') return true;
  return l.size === r.size && l.md5 !== undefined && r.md5 !== undefined && l.md5 === r.md5;
}

function syncedEntry(l: LocalEntry, r: RemoteEntry, md5: string | undefined): SyncedEntry {
  return {
    path: l.path,
    kind: l.kind,
    local: { size: l.size, mtimeMs: l.mtimeMs, ...(l.inode === undefined ? {} : { inode: l.inode }) },
    remote: { key: r.key, etag: r.etag, size: r.size },
    ...(md5 === undefined ? {} : { md5 }),
  };
}

/**
 * Whether the journal row `s` already says what syncedEntry(l, r, md5) would:
 * the same test as comparing the two as JSON, without building either.
 */
function isRecorded(s: SyncedEntry, l: LocalEntry, r: RemoteEntry, md5: string | undefined): boolean {
  return (
    s.path === l.path && s.kind === l.kind &&
    sameNumber(s.local.size, l.size) && sameNumber(s.local.mtimeMs, l.mtimeMs) && sameNumber(s.local.inode, l.inode) &&
    s.remote.key === r.key && s.remote.etag === r.etag && sameNumber(s.remote.size, r.size) &&
    s.md5 === md5
  );
}

/** Equal as JSON would print them: NaN and ±Infinity all print `null`, an absent value prints nothing. */
function sameNumber(a: number | undefined, b: number | undefined): boolean {
  return a === b || (a !== undefined && b !== undefined && !Number.isFinite(a) && !Number.isFinite(b));
}

/** Whether `path` or one of its ancestors is in `paths` (without building the list of ancestors). */
function isCovered(paths: ReadonlySet<string>, path: string): boolean {
  if (paths.size === 0) return false;
  if (paths.has(path)) return true;
  for (let slash = path.lastIndexOf('/'); slash > 0; slash = path.lastIndexOf('/', slash - 1)) {
    if (paths.has(path.slice(0, slash))) return true;
  }
  return false;
}

function depth(path: string): number {
  return path.split('/').length;
}

/** Builds the plan. Never performs I/O; deterministic for equal inputs. */
export function reconcile(input: ReconcileInput, policy: ReconcilePolicy): Plan {
  const { local, remote, synced } = input;
  const actions: Action[] = [];
  const handled = new Set<string>();
  const planned = new Set<string>();
  const protectedPaths = new Set<string>(policy.unsettled ?? []);

  for (const problem of [...local.problems, ...remote.problems]) {
    actions.push({ type: 'problem', path: problem.path, code: problem.code, message: problem.message });
    protectedPaths.add(problem.path);
  }

  const pathSet = new Set<string>(local.entries.keys());
  for (const path of remote.entries.keys()) pathSet.add(path);
  for (const path of synced.keys()) pathSet.add(path);
  const allPaths = [...pathSet].sort();
  const taken = (path: string): boolean =>
    local.entries.has(path) || remote.entries.has(path) || synced.has(path) || planned.has(path);

  const keyFor = (path: string, folder: boolean): string | undefined => {
    const result = pathToKey(path, policy.prefix, policy.os, folder);
    if (result.ok) return result.key;
    actions.push({ type: 'problem', path, code: result.problem, message: result.message });
    return undefined;
  };

  // Ignored and protected paths first: an ignored path's journal row is dropped,
  // so hiding a file is never a delete (SCENARIOS 40); a protected one is untouched.
  // A folder the scanner could not list protects everything below it, too.
  for (const path of allPaths) {
    if (isCovered(protectedPaths, path)) {
      handled.add(path);
      continue;
    }
    const kind = (local.entries.get(path) ?? remote.entries.get(path) ?? synced.get(path))?.kind ?? 'file';
    if (policy.isIgnored?.(path, kind) === true) {
      handled.add(path);
      if (synced.has(path)) actions.push({ type: 'forget', path });
    }
  }

  detectLocalMoves(input, handled, planned, actions, keyFor);
  detectRemoteMoves(input, handled, planned, actions);

  const push = (action: Action): void => {
    actions.push(action);
    planned.add(action.path);
  };

  const pushLocal = (path: string, entry: LocalEntry, over: RemoteEntry | undefined): void => {
    if (entry.kind === 'folder') {
      // A remote file in the way of a new local folder (type change): remove it first.
      if (over !== undefined && over.kind === 'file') push({ type: 'deleteRemote', path, key: over.key, etag: over.etag });
      const key = keyFor(path, true);
      if (key !== undefined) push({ type: 'createRemoteFolder', path, key });
      return;
    }
    const key = over !== undefined && over.kind === 'file' ? over.key : keyFor(path, false);
    if (key === undefined || entry.md5 === undefined) return;
    push({
      type: 'upload',
      path,
      key,
      size: entry.size,
      md5: entry.md5,
      mtimeMs: entry.mtimeMs,
      ...(entry.inode === undefined ? {} : { inode: entry.inode }),
      ...(over !== undefined && over.kind === 'file' ? { ifMatch: over.etag } : { ifNoneMatch: true as const }),
    });
  };

  const pushRemote = (path: string, entry: RemoteEntry, over: LocalEntry | undefined): void => {
    if (entry.kind === 'folder') {
      // An unchanged local file where the remote now has a folder: it goes (to the trash).
      if (over !== undefined && over.kind === 'file') push({ type: 'deleteLocal', path, expected: { size: over.size, mtimeMs: over.mtimeMs } });
      push({ type: 'createLocalFolder', path });
      return;
    }
    if (over !== undefined && over.kind === 'folder') push({ type: 'deleteLocalFolder', path });
    push({
      type: 'download',
      path,
      key: entry.key,
      etag: entry.etag,
      size: entry.size,
      ...(entry.md5 === undefined ? {} : { md5: entry.md5 }),
    });
  };

  const resolveConflict = (path: string, l: LocalEntry, r: RemoteEntry): void => {
    if (l.kind === 'file' && r.kind === 'file') {
      // The server's version keeps the name; the local one becomes the conflicted copy.
      const copy = conflictPath(path, policy.deviceName, policy.now, taken);
      const conflictKey = keyFor(copy, false);
      if (conflictKey === undefined) return;
      planned.add(copy);
      push({ type: 'conflict', path, conflictPath: copy, conflictKey, key: r.key, etag: r.etag, size: r.size, expected: { size: l.size, mtimeMs: l.mtimeMs } });
    } else if (l.kind === 'file') {
      // Folder on the server, file here: the folder keeps the name, the file moves aside
      // and is uploaded under its new name by the next run.
      const copy = conflictPath(path, policy.deviceName, policy.now, taken);
      planned.add(copy);
      push({ type: 'moveLocal', path: copy, from: path, expected: { size: l.size, mtimeMs: l.mtimeMs }, reason: 'conflict' });
      push({ type: 'createLocalFolder', path });
    } else {
      // Folder here, file on the server: the server's file moves aside (server-side).
      const copy = conflictPath(path, policy.deviceName, policy.now, taken);
      const key = keyFor(copy, false);
      if (key === undefined) return;
      planned.add(copy);
      push({ type: 'moveRemote', path: copy, from: path, fromKey: r.key, key, etag: r.etag, md5: r.md5 ?? '', size: r.size });
      const folderKey = keyFor(path, true);
      if (folderKey !== undefined) push({ type: 'createRemoteFolder', path, key: folderKey });
    }
  };

  for (const path of allPaths) {
    if (handled.has(path)) continue;
    const l = local.entries.get(path);
    const r = remote.entries.get(path);
    const s = synced.get(path);
    const lc = localChange(l, s);
    const rc = remoteChange(r, s);

    if (lc === 'deleted' && rc === 'deleted') {
      push({ type: 'forget', path });
    } else if ((lc === 'unchanged' || lc === 'absent') && (rc === 'unchanged' || rc === 'absent')) {
      // In sync; refresh the journal row when only metadata moved (touch, re-upload).
      // Folders have no content or times worth recording.
      if (l !== undefined && r !== undefined && s !== undefined && l.kind === 'file') {
        const md5 = l.md5 ?? s.md5;
        if (!isRecorded(s, l, r, md5)) push({ type: 'record', path, entry: syncedEntry(l, r, md5) });
      }
    } else if (lc === 'deleted' && rc === 'unchanged' && r !== undefined) {
      if (r.kind === 'file') push({ type: 'deleteRemote', path, key: r.key, etag: r.etag });
      else if (r.implied === true) push({ type: 'forget', path });
      else push({ type: 'deleteRemoteFolder', path, key: r.key, etag: r.etag });
    } else if (lc === 'unchanged' && rc === 'deleted' && l !== undefined) {
      if (l.kind === 'file') push({ type: 'deleteLocal', path, expected: { size: l.size, mtimeMs: l.mtimeMs } });
      else push({ type: 'deleteLocalFolder', path });
    } else if ((lc === 'new' || lc === 'changed') && rc !== 'new' && rc !== 'changed' && l !== undefined) {
      // Local edit wins over an unchanged, absent or deleted remote (edit beats delete).
      pushLocal(path, l, r !== undefined && rc === 'unchanged' ? r : undefined);
    } else if ((rc === 'new' || rc === 'changed') && lc !== 'new' && lc !== 'changed' && r !== undefined) {
      pushRemote(path, r, lc === 'unchanged' ? l : undefined);
    } else if (l !== undefined && r !== undefined) {
      // Changed on both sides.
      if (sameContent(l, r)) push({ type: 'record', path, entry: syncedEntry(l, r, l.md5) });
      else resolveConflict(path, l, r);
    }
  }

  const safe = policy.caseInsensitive ? preventCaseClashes(actions, input) : actions;
  const ordered = orderActions(safe);
  const stop = checkSafety(ordered, input, policy);
  return stop === undefined ? { actions: ordered } : { actions: ordered, stop };
}

/** Local rename: a synced file vanished and a new file with its inode and content appeared. */
function detectLocalMoves(
  { local, remote, synced }: ReconcileInput,
  handled: Set<string>,
  planned: Set<string>,
  actions: Action[],
  keyFor: (path: string, folder: boolean) => string | undefined,
): void {
  const byInode = new Map<number, LocalEntry | null>();
  for (const entry of local.entries.values()) {
    if (entry.kind !== 'file' || entry.inode === undefined || synced.has(entry.path) || remote.entries.has(entry.path) || handled.has(entry.path)) continue;
    // Two candidates with one inode (hard links) are ambiguous: treat neither as a move.
    byInode.set(entry.inode, byInode.has(entry.inode) ? null : entry);
  }
  // No new local file, no move: skip walking the whole journal.
  if (byInode.size === 0) return;
  for (const s of synced.values()) {
    if (s.kind !== 'file' || s.local.inode === undefined || local.entries.has(s.path) || handled.has(s.path)) continue;
    const target = byInode.get(s.local.inode);
    const r = remote.entries.get(s.path);
    if (target == null || target.md5 !== s.md5 || target.md5 === undefined || r === undefined || r.etag !== s.remote.etag) continue;
    const key = keyFor(target.path, false);
    if (key === undefined) continue;
    actions.push({
      type: 'moveRemote',
      path: target.path,
      from: s.path,
      fromKey: r.key,
      key,
      etag: r.etag,
      md5: target.md5,
      size: target.size,
      local: { size: target.size, mtimeMs: target.mtimeMs, ...(target.inode === undefined ? {} : { inode: target.inode }) },
    });
    byInode.delete(s.local.inode);
    handled.add(s.path).add(target.path);
    planned.add(target.path);
  }
}

/** Remote rename: a synced object vanished and exactly one new object has its content. */
function detectRemoteMoves({ local, remote, synced }: ReconcileInput, handled: Set<string>, planned: Set<string>, actions: Action[]): void {
  const byMd5 = new Map<string, RemoteEntry | null>();
  for (const entry of remote.entries.values()) {
    if (entry.kind !== 'file' || entry.md5 === undefined || synced.has(entry.path) || local.entries.has(entry.path) || handled.has(entry.path)) continue;
    byMd5.set(entry.md5, byMd5.has(entry.md5) ? null : entry);
  }
  // No new remote file, no move: skip walking the whole journal.
  if (byMd5.size === 0) return;
  for (const s of synced.values()) {
    if (s.kind !== 'file' || s.md5 === undefined || remote.entries.has(s.path) || handled.has(s.path)) continue;
    const target = byMd5.get(s.md5);
    const l = local.entries.get(s.path);
    if (target == null || l === undefined || localChange(l, s) !== 'unchanged') continue;
    actions.push({
      type: 'moveLocal',
      path: target.path,
      from: s.path,
      expected: { size: l.size, mtimeMs: l.mtimeMs },
      reason: 'remote-rename',
      remote: { key: target.key, etag: target.etag, size: target.size },
    });
    byMd5.delete(s.md5);
    handled.add(s.path).add(target.path);
    planned.add(target.path);
  }
}

/**
 * On a case-insensitive disk, a new local name that differs only in case from
 * one that stays would overwrite it: report a case clash instead (SCENARIOS 19).
 */
function preventCaseClashes(actions: readonly Action[], { local }: ReconcileInput): Action[] {
  const leaving = new Set<string>();
  for (const a of actions) {
    if (a.type === 'deleteLocal' || a.type === 'deleteLocalFolder') leaving.add(a.path);
    if (a.type === 'moveLocal') leaving.add(a.from);
  }
  const occupied = new Map<string, string>();
  for (const path of local.entries.keys()) if (!leaving.has(path)) occupied.set(caseFoldKey(path), path);
  return actions.map((a) => {
    const creates = a.type === 'download' || a.type === 'createLocalFolder' || a.type === 'moveLocal';
    if (!creates) return a;
    const fold = caseFoldKey(a.path);
    const holder = occupied.get(fold);
    if (holder !== undefined && holder !== a.path) {
      return {
        type: 'problem',
        path: a.path,
        code: 'case-clash',
        message: `"${a.path}" differs only in letter case from "${holder}", and this disk does not tell them apart; rename one of them on the server.`,
      };
    }
    occupied.set(fold, a.path);
    return a;
  });
}

function orderActions(actions: readonly Action[]): Action[] {
  return [...actions].sort((a, b) => {
    const phase = phaseOf(a.type) - phaseOf(b.type);
    if (phase !== 0) return phase;
    // Folders: create parents first, delete children first.
    if (a.type === 'createLocalFolder' || a.type === 'createRemoteFolder') return depth(a.path) - depth(b.path) || cmp(a.path, b.path);
    if (a.type === 'deleteLocalFolder' || a.type === 'deleteRemoteFolder') return depth(b.path) - depth(a.path) || cmp(a.path, b.path);
    return cmp(a.path, b.path);
  });
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
