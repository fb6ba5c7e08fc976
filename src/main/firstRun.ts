/**
 * The first-run flow, as a small pure state machine that AppController
 * drives with the renderer's commands (sign-in, choose-folder) and the
 * engine's statuses, and shows through `StatusSnapshot.setup`:
 *
 *   sign-in ──signed-in──> choose-folder ──folder (missing or empty)──> first-sync ──check done──> done
 *     (cognito, no            │   ^                                      ^
 *      account yet)           │   └──merge declined / folder refused─┐   │
 *                             └──folder holds files──> confirm-merge ─┴───┘ merge confirmed
 *
 * - Sign in: skipped when the connection needs none (auth "aws") or a session
 *   was restored.
 * - Choose the folder: `~/Stratus` by default, created empty; a folder that
 *   already holds files is merged with what is in the cloud (nothing is
 *   deleted), and the user confirms that first. The home folder itself, the
 *   file-system root and a file are refused with a sentence.
 * - First sync: waits for the first completed check, with progress from the
 *   status (`firstSyncProgress`).
 * - Done: one line explains the tray (`TRAY_LINE`).
 *
 * `inspectFolder` is the only I/O (node:fs); everything else is pure.
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { CommandResult, SetupState, StatusSnapshot } from '../shared/StratusApi.js';

export type FolderInspection =
  | { readonly kind: 'missing' }
  | { readonly kind: 'empty' }
  /** `entries`: how many files and folders are directly inside (Stratus' own `.stratus` not counted). */
  | { readonly kind: 'non-empty'; readonly entries: number }
  | { readonly kind: 'refused'; readonly reason: string };

export type FirstRunState =
  | { readonly step: 'sign-in'; readonly problem?: string }
  | { readonly step: 'choose-folder'; readonly suggested: string; readonly problem?: string }
  | { readonly step: 'confirm-merge'; readonly folder: string; readonly entries: number }
  /** `create`: the folder does not exist yet and is made (empty) before syncing. */
  | { readonly step: 'first-sync'; readonly folder: string; readonly create: boolean }
  | { readonly step: 'done'; readonly folder: string; readonly message: string };

export type FirstRunEvent =
  | { readonly type: 'signed-in' }
  | { readonly type: 'sign-in-failed'; readonly message: string }
  | { readonly type: 'folder-chosen'; readonly folder: string; readonly inspection: FolderInspection }
  | { readonly type: 'merge-confirmed' }
  | { readonly type: 'merge-declined' }
  | { readonly type: 'status'; readonly status: StatusSnapshot };

export const TRAY_LINE = 'Stratus lives in the tray: its icon shows whether your files are up to date, and its menu opens your folder, pauses syncing or quits.';

export interface FirstRunFacts {
  /** The connection signs in (auth "cognito") and nobody is signed in yet. */
  readonly needsSignIn: boolean;
  /** The sync folder already chosen, if any. */
  readonly folder?: string;
  readonly home: string;
  /** The organization's folder (policy DefaultSyncFolder, `~` expanded), offered first; else `<home>/Stratus`. */
  readonly suggestedFolder?: string;
}

/** The default sync folder: `Stratus` in the home folder. */
export function defaultFolder(home: string): string {
  return path.join(home, 'Stratus');
}

/** Where the flow starts, or undefined when there is nothing to do (signed in and a folder chosen). */
export function firstRunStart(facts: FirstRunFacts): FirstRunState | undefined {
  if (facts.needsSignIn) return { step: 'sign-in' };
  if (facts.folder === undefined) return { step: 'choose-folder', suggested: facts.suggestedFolder ?? defaultFolder(facts.home) };
  return undefined;
}

/** The first completed check is over: a check time and neither checking nor transferring. */
export function firstSyncDone(status: StatusSnapshot): boolean {
  return status.lastCheckAt !== undefined && status.sync !== 'checking' && status.sync !== 'syncing';
}

/** One line of progress for the first sync. */
export function firstSyncProgress(status: StatusSnapshot): string {
  const p = status.progress;
  if (status.sync === 'syncing' && p !== undefined && p.total > 0) return `Syncing your files: ${p.done.toLocaleString('en-US')} of ${p.total.toLocaleString('en-US')} done`;
  if (status.sync === 'checking') return 'Comparing your folder with the cloud…';
  if (status.sync === 'offline') return 'Waiting for the network…';
  return status.message ?? 'Starting the first sync…';
}

export function firstRunNext(state: FirstRunState, event: FirstRunEvent, facts: FirstRunFacts): FirstRunState {
  switch (state.step) {
    case 'sign-in':
      if (event.type === 'signed-in') return facts.folder === undefined ? { step: 'choose-folder', suggested: facts.suggestedFolder ?? defaultFolder(facts.home) } : { step: 'first-sync', folder: facts.folder, create: false };
      if (event.type === 'sign-in-failed') return { step: 'sign-in', problem: event.message };
      return state;
    case 'choose-folder': {
      if (event.type !== 'folder-chosen') return state;
      const { inspection, folder } = event;
      switch (inspection.kind) {
        case 'missing': return { step: 'first-sync', folder, create: true };
        case 'empty': return { step: 'first-sync', folder, create: false };
        case 'non-empty': return { step: 'confirm-merge', folder, entries: inspection.entries };
        case 'refused': return { step: 'choose-folder', suggested: state.suggested, problem: inspection.reason };
      }
      return state;
    }
    case 'confirm-merge':
      if (event.type === 'merge-confirmed') return { step: 'first-sync', folder: state.folder, create: false };
      if (event.type === 'merge-declined') return { step: 'choose-folder', suggested: facts.suggestedFolder ?? defaultFolder(facts.home) };
      return state;
    case 'first-sync':
      if (event.type === 'status' && firstSyncDone(event.status)) return { step: 'done', folder: state.folder, message: TRAY_LINE };
      return state;
    case 'done':
      return state;
  }
}

/** What the status snapshot says about the flow (`StatusSnapshot.setup`, the renderer's first-run screens). */
export function setupState(state: FirstRunState, facts: { readonly home: string; readonly machine: string; readonly suggestedFolder?: string }): SetupState {
  const step: SetupState['step'] = state.step === 'confirm-merge' ? 'choose-folder' : state.step;
  const suggestedFolder = state.step === 'choose-folder' ? state.suggested : facts.suggestedFolder ?? defaultFolder(facts.home);
  return { step, suggestedFolder, machine: facts.machine };
}

export type FolderDecision =
  | { readonly accept: true; readonly create: boolean }
  /** `result` is the answer to the `choose-folder` command: a reason, or the merge question (`confirm`). */
  | { readonly accept: false; readonly result: CommandResult };

/**
 * The `choose-folder` command's verdict: a missing folder is created, an
 * empty one used, one holding files only with `merge` (else the answer asks
 * the merge question in `confirm`, and the renderer sends the command again
 * with `merge: true`), a refused one never.
 */
export function folderDecision(folder: string, inspection: FolderInspection, merge: boolean): FolderDecision {
  switch (inspection.kind) {
    case 'missing': return { accept: true, create: true };
    case 'empty': return { accept: true, create: false };
    case 'refused': return { accept: false, result: { ok: false, message: inspection.reason } };
    case 'non-empty':
      return merge ? { accept: true, create: false } : { accept: false, result: { ok: false, confirm: mergeQuestion(folder, inspection.entries) } };
  }
}

export type FolderChoice =
  | { readonly kind: 'chosen'; readonly folder: string; readonly inspection: FolderInspection }
  /** Nothing chosen (picker cancelled), or the answer carries the merge question: `result` is the command's answer. */
  | { readonly kind: 'not-yet'; readonly result: CommandResult }
  | { readonly kind: 'declined'; readonly result: CommandResult }
  | { readonly kind: 'refused'; readonly folder: string; readonly inspection: FolderInspection; readonly result: CommandResult };

export interface FolderChoicePorts {
  readonly pickFolder: (suggested: string) => Promise<string | undefined>;
  readonly confirmMerge: (question: string) => Promise<boolean>;
}

/**
 * Carries out `choose-folder`: the path from the renderer, or (none given)
 * the system folder picker — then the merge question is asked in a dialog,
 * since the renderer does not know the path to send again. A missing folder
 * is created here (with its parents).
 */
export async function chooseFolderFlow(o: {
  readonly path: string | undefined;
  readonly merge: boolean;
  readonly suggested: string;
  readonly dialogs: FolderChoicePorts;
  readonly folders: { inspect(folder: string): Promise<FolderInspection>; create(folder: string): Promise<void> };
}): Promise<FolderChoice> {
  const nothing: CommandResult = { ok: false, message: 'No folder was chosen.' };
  const folder = o.path ?? await o.dialogs.pickFolder(o.suggested);
  if (folder === undefined) return { kind: 'not-yet', result: nothing };
  const inspection = await o.folders.inspect(folder);
  let decision = folderDecision(folder, inspection, o.merge);
  if (!decision.accept && decision.result.confirm !== undefined && o.path === undefined) {
    if (!(await o.dialogs.confirmMerge(decision.result.confirm))) return { kind: 'declined', result: nothing };
    decision = folderDecision(folder, inspection, true);
  }
  if (!decision.accept) {
    return inspection.kind === 'refused' ? { kind: 'refused', folder, inspection, result: decision.result } : { kind: 'not-yet', result: decision.result };
  }
  if (decision.create) {
    try {
      await o.folders.create(folder);
    } catch (err) {
      return { kind: 'not-yet', result: { ok: false, message: `Stratus could not create ${folder}: ${err instanceof Error ? err.message : String(err)}` } };
    }
  }
  return { kind: 'chosen', folder, inspection };
}

/** The sentence confirming a merge with a folder that holds files. */
export function mergeQuestion(folder: string, entries: number): string {
  return `${folder} already holds ${entries.toLocaleString('en-US')} ${entries === 1 ? 'item' : 'items'}. Stratus will merge it with what is in the cloud: `
    + 'files from both sides are kept, and nothing is deleted.';
}

/**
 * What is at `folder`: missing, empty, holding files, or refused (a file, the
 * home folder itself, the file-system root). `.stratus` (Stratus' own) does
 * not count as content.
 */
export async function inspectFolder(folder: string, home: string): Promise<FolderInspection> {
  const resolved = path.resolve(folder);
  if (resolved === path.parse(resolved).root) return { kind: 'refused', reason: `${resolved} is the top of the disk; choose or create a folder inside your home folder.` };
  if (resolved === path.resolve(home)) return { kind: 'refused', reason: 'Syncing your whole home folder would upload everything in it; choose or create a folder inside it, such as Stratus.' };
  const st = await stat(resolved).catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? undefined : err));
  if (st === undefined) return { kind: 'missing' };
  if (st instanceof Error) return { kind: 'refused', reason: `${resolved} cannot be read (${st.code ?? st.message}); choose another folder.` };
  if (!st.isDirectory()) return { kind: 'refused', reason: `${resolved} is a file, not a folder; choose a folder.` };
  const entries = (await readdir(resolved)).filter((name) => name !== '.stratus');
  return entries.length === 0 ? { kind: 'empty' } : { kind: 'non-empty', entries: entries.length };
}
