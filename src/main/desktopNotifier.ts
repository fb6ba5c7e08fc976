/**
 * Desktop notifications (Electron `Notification`): NotificationPlanner
 * (notificationPlanner.ts, pure) decides what each status change deserves —
 * errors, items that need the user, and file changes from the cloud batched
 * into one notice every 10 s — and the level; this shows it. Nothing is shown
 * when the "notifications" setting is off: off means off for every level —
 * unless `level` is given (the policies): then it alone decides, because an
 * enforced NotificationLevel wins over the switch.
 * Snooze (the tray menu) mutes file-change notices only. A click opens the
 * status window.
 */
import { Notification } from 'electron';
import type { Disposable } from '../core/Emitter.js';
import { NotificationPlanner, type NotificationLevel } from './notificationPlanner.js';
import type { SettingsStore } from './settings/SettingsStore.js';
import type { StatusService } from './StatusService.js';

/** How often a gathered batch of file changes is checked for being due. */
const FLUSH_MS = 2000;

export class DesktopNotifier implements Disposable {
  private readonly planner: NotificationPlanner;
  private readonly subscription: Disposable;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly o: { readonly status: StatusService; readonly settings: SettingsStore; readonly onClick: () => void; readonly level?: () => NotificationLevel }) {
    const level = o.level ?? ((): NotificationLevel => (o.settings.current.notifications ? 'all' : 'off'));
    this.planner = new NotificationPlanner(level);
    // The status at start is the baseline: nothing in it is news.
    this.planner.statusChanged(o.status.current, Date.now());
    this.subscription = o.status.onDidChangeStatus((next) => {
      for (const n of this.planner.statusChanged(next, Date.now())) this.present(n);
    });
    this.timer = setInterval(() => {
      for (const n of this.planner.flush(Date.now())) this.present(n);
    }, FLUSH_MS);
    this.timer.unref();
  }

  /** Mutes file-change notices for `minutes`. */
  snooze(minutes: number): void {
    this.planner.snooze(minutes, Date.now());
  }

  /** One-off notices (the end of the first run), under the same on/off switch. */
  show(notification: { readonly title: string; readonly body: string }, onClick?: () => void): void {
    if (this.o.level !== undefined ? this.o.level() === 'off' : !this.o.settings.current.notifications) return;
    this.present(notification, onClick);
  }

  private present(notification: { readonly title: string; readonly body: string }, onClick?: () => void): void {
    if (!Notification.isSupported()) return;
    const shown = new Notification({ title: notification.title, body: notification.body });
    shown.on('click', () => (onClick ?? this.o.onClick)());
    shown.show();
  }

  dispose(): void {
    clearInterval(this.timer);
    this.subscription.dispose();
  }
}
