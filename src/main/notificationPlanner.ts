/**
 * Which desktop notifications to show, and when (issue 8): three levels —
 * errors, items that need the user (conflicts, sign-in required, a fired
 * rail), and file changes — with
 *   - file changes batched: what arrived from the cloud over a 10 s window is
 *     one notice ("12 files added or changed from the cloud"), never one per
 *     file; the user's own uploads are not news to them and are not notified;
 *   - duplicates dropped: the same notice again within 10 minutes is not shown;
 *   - Snooze (30 min / 1 h / 8 h) muting file-change notices only — an error or
 *     a conflict still gets through;
 *   - a level (`all`, `attention`, `errors`, `off`; the NotificationLevel
 *     policy of issue 9, or the user's on/off switch): off means off for every
 *     level.
 * Pure and clock-driven (`now` passed in), so every rule is tested in Node;
 * DesktopNotifier shows what it returns and calls `flush` on a timer.
 */
import type { ActivityEntry, StatusSnapshot } from '../shared/StratusApi.js';
import { notificationFor } from './notifications.js';

export type NotificationLevel = 'all' | 'attention' | 'errors' | 'off';

export interface PlannedNotification {
  readonly level: 'error' | 'attention' | 'file-change';
  readonly title: string;
  readonly body: string;
}

/** File changes are gathered this long after the first one, then shown as one notice. */
export const BATCH_MS = 10_000;
/** The same title and body within this long is shown once. */
export const DEDUPE_MS = 10 * 60_000;

const INCOMING: ReadonlySet<ActivityEntry['kind']> = new Set(['downloaded', 'deleted-here']);

function entryKey(e: ActivityEntry): string {
  return `${e.at}|${e.kind}|${e.path}`;
}

function plural(n: number, one: string): string {
  return `${n.toLocaleString('en-US')} ${one}${n === 1 ? '' : 's'}`;
}

export class NotificationPlanner {
  private snoozedUntil = 0;
  private batch: { startedAt: number; added: number; deleted: number; names: string[] } | undefined;
  private readonly seen = new Set<string>();
  private readonly shown = new Map<string, number>();
  private previous: StatusSnapshot | undefined;

  constructor(private level: () => NotificationLevel) {}

  /** Mutes file-change notices until `now + minutes`. */
  snooze(minutes: number, now: number): void {
    this.snoozedUntil = now + minutes * 60_000;
    this.batch = undefined;
  }

  get snoozeEnd(): number | undefined {
    return this.snoozedUntil > 0 ? this.snoozedUntil : undefined;
  }

  /** What to show now for this status change (file changes wait for `flush`). */
  statusChanged(next: StatusSnapshot, now: number): PlannedNotification[] {
    const previous = this.previous;
    this.previous = next;
    const out: PlannedNotification[] = [];
    const attention = notificationFor(previous, next);
    if (attention !== undefined) out.push({ level: 'attention', title: attention.title, body: attention.body });
    const error = this.errorFor(previous, next);
    if (error !== undefined) out.push(error);
    this.gatherFileChanges(next, now);
    return out.filter((n) => this.allowed(n, now));
  }

  /** The batched file-change notice, once its window is over (call it every few seconds). */
  flush(now: number): PlannedNotification[] {
    const batch = this.batch;
    if (batch === undefined || now - batch.startedAt < BATCH_MS) return [];
    this.batch = undefined;
    const parts = [
      ...(batch.added > 0 ? [`${plural(batch.added, 'file')} added or changed from the cloud`] : []),
      ...(batch.deleted > 0 ? [`${plural(batch.deleted, 'file')} deleted because ${batch.deleted === 1 ? 'it was' : 'they were'} deleted elsewhere (in the trash)`] : []),
    ];
    const total = batch.added + batch.deleted;
    const names = batch.names.slice(0, 3).join(', ');
    const notice: PlannedNotification = {
      level: 'file-change',
      title: parts.join('; '),
      body: total <= 3 ? names : `${names} and ${(total - 3).toLocaleString('en-US')} more`,
    };
    return this.allowed(notice, now) ? [notice] : [];
  }

  /** A run that failed as a whole, or new items that failed and will not be retried by themselves. */
  private errorFor(previous: StatusSnapshot | undefined, next: StatusSnapshot): PlannedNotification | undefined {
    const stuck = (s: StatusSnapshot | undefined): Set<string> =>
      new Set((s?.attention ?? []).filter((i) => i.kind === 'error' && !i.retrying).map((i) => i.path));
    const before = stuck(previous);
    const fresh = [...stuck(next)].filter((p) => !before.has(p));
    if (fresh.length > 0) {
      return {
        level: 'error',
        title: fresh.length === 1 ? 'A file could not be synced' : `${fresh.length} files could not be synced`,
        body: fresh.length === 1 ? `"${fresh[0] ?? ''}": open Stratus to see why and retry.` : 'Open Stratus to see why and retry.',
      };
    }
    return undefined;
  }

  private gatherFileChanges(next: StatusSnapshot, now: number): void {
    for (const entry of next.recent ?? []) {
      const key = entryKey(entry);
      if (this.seen.has(key)) continue;
      this.seen.add(key);
      if (!INCOMING.has(entry.kind) || entry.failed !== undefined) continue;
      if (now < this.snoozedUntil || this.level() !== 'all') continue;
      this.batch ??= { startedAt: now, added: 0, deleted: 0, names: [] };
      if (entry.kind === 'downloaded') this.batch.added++;
      else this.batch.deleted++;
      this.batch.names.push(entry.path.slice(entry.path.lastIndexOf('/') + 1));
    }
    // The Activity list holds 50 entries: remembering far more than that only grows.
    if (this.seen.size > 500) {
      const current = new Set((next.recent ?? []).map(entryKey));
      for (const key of this.seen) if (!current.has(key)) this.seen.delete(key);
    }
  }

  private allowed(n: PlannedNotification, now: number): boolean {
    const level = this.level();
    if (level === 'off') return false;
    if (level === 'errors' && n.level !== 'error') return false;
    if (level === 'attention' && n.level === 'file-change') return false;
    if (n.level === 'file-change' && now < this.snoozedUntil) return false;
    const key = `${n.title}\n${n.body}`;
    const last = this.shown.get(key);
    if (last !== undefined && now - last < DEDUPE_MS) return false;
    this.shown.set(key, now);
    return true;
  }
}

