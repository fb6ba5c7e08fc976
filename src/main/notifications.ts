/**
 * Which desktop notification a status change deserves, as a pure function of
 * the previous and the next status: one when a conflict is found, when a
 * safety rail fires, and when signing in again is required — once per
 * transition, never again for the same situation on the next status (the
 * engine sends one after every change). AppNotifier (the thin Electron part
 * in composition) shows it with `Notification` when notifications are on.
 * Nothing is notified while the first-run screens are up (`setup`).
 */
import type { AttentionItem, StatusSnapshot } from '../shared/StratusApi.js';

export type NotificationKind = 'sign-in-required' | 'rail' | 'conflict';

export interface AppNotification {
  readonly kind: NotificationKind;
  readonly title: string;
  readonly body: string;
}

function conflictPaths(status: StatusSnapshot | undefined): Set<string> {
  const items: readonly AttentionItem[] = status?.attention ?? [];
  return new Set(items.filter((item) => item.kind === 'conflict').map((item) => item.path));
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/**
 * The notification for going from `previous` to `next`, or undefined. When
 * several things happen at once, the one that needs the user most wins:
 * sign-in required, then a fired rail, then new conflicts (all of them in one
 * notification: "3 conflicts", never one per file).
 */
export function notificationFor(previous: StatusSnapshot | undefined, next: StatusSnapshot): AppNotification | undefined {
  // During the first run the window is open on its step and says it all.
  if (next.setup !== undefined && next.setup.step !== 'done') return undefined;
  if (next.sync === 'sign-in-required' && previous?.sync !== 'sign-in-required') {
    return {
      kind: 'sign-in-required',
      title: 'Sign in to keep syncing',
      body: next.message ?? 'Your Stratus session ended. Sign in again; nothing waiting to sync is lost.',
    };
  }
  const rail = next.rail;
  const before = previous?.rail;
  if (rail !== undefined && (before === undefined || before.code !== rail.code || before.direction !== rail.direction)) {
    const where = rail.direction === 'remote' ? 'in the cloud' : 'on this computer';
    return {
      kind: 'rail',
      title: 'Stratus stopped before deleting files',
      body: `${rail.count.toLocaleString('en-US')} ${rail.count === 1 ? 'file' : 'files'} would be deleted ${where}. Open Stratus to confirm or restore them.`,
    };
  }
  const known = conflictPaths(previous);
  const found = [...conflictPaths(next)].filter((path) => !known.has(path));
  if (found.length > 0) {
    return {
      kind: 'conflict',
      title: found.length === 1 ? 'Conflict: both versions kept' : `${found.length} conflicts: both versions kept`,
      body: found.length === 1
        ? `"${baseName(found[0] ?? '')}" was changed here and in the cloud. Open Stratus to choose which version to keep.`
        : 'Files were changed here and in the cloud. Open Stratus to choose which versions to keep.',
    };
  }
  return undefined;
}
