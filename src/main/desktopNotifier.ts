/**
 * Desktop notifications (Electron `Notification`): the ones notificationFor
 * (notifications.ts, pure) picks for each status change — once per
 * transition — and one-off ones (the end of the first run). Nothing is shown
 * when the "notifications" setting is off: off means off for every kind.
 * A click opens the status window.
 */
import { Notification } from 'electron';
import type { Disposable } from '../core/Emitter.js';
import type { StatusSnapshot } from '../shared/StratusApi.js';
import { notificationFor } from './notifications.js';
import type { SettingsStore } from './settings/SettingsStore.js';
import type { StatusService } from './StatusService.js';

export class DesktopNotifier implements Disposable {
  private previous: StatusSnapshot | undefined;
  private readonly subscription: Disposable;

  constructor(private readonly o: { readonly status: StatusService; readonly settings: SettingsStore; readonly onClick: () => void }) {
    this.previous = o.status.current;
    this.subscription = o.status.onDidChangeStatus((next) => {
      const notification = notificationFor(this.previous, next);
      this.previous = next;
      if (notification !== undefined) this.show(notification);
    });
  }

  show(notification: { readonly title: string; readonly body: string }): void {
    if (!this.o.settings.current.notifications || !Notification.isSupported()) return;
    const shown = new Notification({ title: notification.title, body: notification.body });
    shown.on('click', () => this.o.onClick());
    shown.show();
  }

  dispose(): void {
    this.subscription.dispose();
  }
}
